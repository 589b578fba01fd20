//! Prompts and models: create, list, read, patch, delete, presence.

use std::marker::PhantomData;

use chrono::{DateTime, Utc};
use reqwest::Method;
use rocqet_crdt::DocKind;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::{Call, Client, Page, segment};
use crate::{
    ClientError, DocId, ModelContent, ModelPatch, PeerUser, PromptContent, PromptPatch, WorkspaceId,
};

/// A document kind's content type, tying it to its URL segment and patch.
///
/// ```
/// use rocqet_client::rest::DocumentKind;
/// use rocqet_client::{ModelContent, PromptContent};
///
/// assert_eq!(PromptContent::KIND.plural(), "prompts");
/// assert_eq!(ModelContent::KIND.plural(), "models");
/// ```
pub trait DocumentKind: DeserializeOwned + Serialize + Default + Clone + Send + Sync {
    /// Which kind this is.
    const KIND: DocKind;
    /// The partial change its create and PATCH take.
    type Patch: Serialize + Sync;
}

impl DocumentKind for PromptContent {
    const KIND: DocKind = DocKind::Prompt;
    type Patch = PromptPatch;
}

impl DocumentKind for ModelContent {
    const KIND: DocKind = DocKind::Model;
    type Patch = ModelPatch;
}

/// A stored document: its content plus the server-owned fields.
///
/// ```
/// use rocqet_client::rest::Document;
/// use rocqet_client::PromptContent;
///
/// let doc: Document<PromptContent> = serde_json::from_str(r#"{"id":"d1","workspace_id":"w1",
///     "kind":"prompt","version":3,"created_at":"2026-01-01T00:00:00Z",
///     "updated_at":"2026-01-02T00:00:00Z","title":"Greeter","content":"Hi {{name}}"}"#)?;
/// assert_eq!(doc.content.title, "Greeter");
/// assert_eq!(doc.version, 3);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Document<C> {
    /// Document id.
    pub id: DocId,
    /// The workspace it belongs to.
    pub workspace_id: WorkspaceId,
    /// The newest version number (or the one read, for a version read).
    pub version: i64,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// When it last changed (or when the version read was cut).
    pub updated_at: DateTime<Utc>,
    /// Its content.
    #[serde(flatten)]
    pub content: C,
    /// The `ETag` of a live read, for [`Documents::patch_if_match`].
    #[serde(skip)]
    pub etag: Option<String>,
}

/// Listing order (`?sort=`).
///
/// ```
/// use rocqet_client::rest::Sort;
///
/// assert_eq!(Sort::CreatedDesc.as_str(), "-created_at");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Sort {
    /// Most recently updated first (the server's default).
    Updated,
    /// Oldest first.
    Created,
    /// Newest first.
    CreatedDesc,
    /// By title (models: name), A to Z.
    Title,
}

impl Sort {
    /// The `sort` parameter value.
    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Updated => "updated",
            Sort::Created => "created",
            Sort::CreatedDesc => "-created_at",
            Sort::Title => "title",
        }
    }
}

/// Listing parameters: search, tag filter, order, page.
///
/// ```
/// use rocqet_client::rest::{ListQuery, Sort};
///
/// let query = ListQuery::new().q("welcome email").tag("onboarding").sort(Sort::Title).limit(20);
/// assert_eq!(query.limit, Some(20));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Words in the title, description or content (the last may be a prefix).
    pub q: Option<String>,
    /// Only documents with this tag.
    pub tag: Option<String>,
    /// Order.
    pub sort: Option<Sort>,
    /// 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

impl ListQuery {
    /// Everything, default order, first page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Full-text search.
    pub fn q(mut self, q: impl Into<String>) -> Self {
        self.q = Some(q.into());
        self
    }

    /// Tag filter.
    pub fn tag(mut self, tag: impl Into<String>) -> Self {
        self.tag = Some(tag.into());
        self
    }

    /// Order.
    pub fn sort(mut self, sort: Sort) -> Self {
        self.sort = Some(sort);
        self
    }

    /// Page size.
    pub fn limit(mut self, limit: u32) -> Self {
        self.limit = Some(limit);
        self
    }

    /// Continues after a previous page.
    pub fn cursor(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
        self
    }
}

/// Which past content to read.
///
/// ```
/// use rocqet_client::rest::At;
///
/// let production = At::Label("production".into());
/// assert_ne!(production, At::Version(3));
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum At {
    /// Version number `n`.
    Version(i64),
    /// Where a label points (`latest`: the newest version).
    Label(String),
}

/// Someone in a document now, as the server authenticated them.
///
/// ```
/// use rocqet_client::rest::PresenceEntry;
///
/// let p: PresenceEntry = serde_json::from_str(r#"{"user":{"id":"u1","name":"Ada"},"state":null}"#)?;
/// assert_eq!(p.user.name, "Ada");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PresenceEntry {
    /// Who.
    pub user: PeerUser,
    /// Their awareness state; `null` before they set one.
    #[serde(default)]
    pub state: Value,
}

/// The document routes of one kind: `client.prompts()` or `client.models()`.
///
/// ```no_run
/// use rocqet_client::rest::Client;
/// use rocqet_client::{FieldPatch, FieldType, ModelPatch};
///
/// # async fn demo(client: Client) -> Result<(), rocqet_client::ClientError> {
/// let user = client
///     .models()
///     .create("acme", &ModelPatch::new().name("User").fields(vec![
///         FieldPatch::new("email", FieldType::String).unique(true),
///     ]))
///     .await?;
/// let read = client.models().get(&user.id).await?;
/// assert_eq!(read.content.fields[0].name, "email");
/// # Ok(())
/// # }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Documents<'c, C> {
    pub(super) client: &'c Client,
    kind: PhantomData<fn() -> C>,
}

impl Client {
    /// The prompt routes.
    pub fn prompts(&self) -> Documents<'_, PromptContent> {
        Documents {
            client: self,
            kind: PhantomData,
        }
    }

    /// The model routes.
    pub fn models(&self) -> Documents<'_, ModelContent> {
        Documents {
            client: self,
            kind: PhantomData,
        }
    }
}

impl<C: DocumentKind> Documents<'_, C> {
    /// `/api/{kind}/{id}` plus `rest`.
    pub(super) fn path(&self, id: &DocId, rest: &str) -> String {
        format!("/api/{}/{}{rest}", C::KIND.plural(), segment(id.as_str()))
    }

    /// Creates a document in workspace `ws` (id or slug) from a partial one.
    pub async fn create(
        &self,
        ws: impl AsRef<str>,
        patch: &C::Patch,
    ) -> Result<Document<C>, ClientError> {
        let path = format!(
            "/api/workspaces/{}/{}",
            segment(ws.as_ref()),
            C::KIND.plural()
        );
        let call = Call::new(Method::POST, path).json(patch)?;
        self.client.json(call).await
    }

    /// One page of the workspace's documents of this kind.
    pub async fn list(
        &self,
        ws: impl AsRef<str>,
        query: &ListQuery,
    ) -> Result<Page<Document<C>>, ClientError> {
        let path = format!(
            "/api/workspaces/{}/{}",
            segment(ws.as_ref()),
            C::KIND.plural()
        );
        let call = Call::new(Method::GET, path)
            .param("q", query.q.as_ref())
            .param("tag", query.tag.as_ref())
            .param("sort", query.sort.map(Sort::as_str))
            .param("limit", query.limit)
            .param("cursor", query.cursor.as_ref());
        self.client.json(call).await
    }

    /// The live document, with its `ETag`.
    pub async fn get(&self, id: &DocId) -> Result<Document<C>, ClientError> {
        let answer = self
            .client
            .send(Call::new(Method::GET, self.path(id, "")))
            .await?;
        let mut doc: Document<C> = answer.json()?;
        doc.etag = answer.etag;
        Ok(doc)
    }

    /// The document's content at a version or label.
    pub async fn get_at(&self, id: &DocId, at: &At) -> Result<Document<C>, ClientError> {
        let call = Call::new(Method::GET, self.path(id, ""));
        let call = match at {
            At::Version(n) => call.param("version", Some(n)),
            At::Label(label) => call.param("label", Some(label)),
        };
        self.client.json(call).await
    }

    /// Applies a partial change as a CRDT edit: open editors see it at once.
    pub async fn patch(&self, id: &DocId, patch: &C::Patch) -> Result<Document<C>, ClientError> {
        self.patch_if_match(id, patch, None).await
    }

    /// Like [`patch`](Self::patch), with the `ETag` of the read the change was
    /// made on: a content change is then merged onto what landed since.
    pub async fn patch_if_match(
        &self,
        id: &DocId,
        patch: &C::Patch,
        etag: Option<&str>,
    ) -> Result<Document<C>, ClientError> {
        let call = Call::new(Method::PATCH, self.path(id, ""))
            .json(patch)?
            .if_match(etag);
        let answer = self.client.send(call).await?;
        let mut doc: Document<C> = answer.json()?;
        doc.etag = answer.etag;
        Ok(doc)
    }

    /// Deletes the document (its history is kept); open sockets close with 4410.
    pub async fn delete(&self, id: &DocId) -> Result<(), ClientError> {
        self.client
            .send(Call::new(Method::DELETE, self.path(id, "")))
            .await?;
        Ok(())
    }

    /// Who is connected to the document now.
    pub async fn presence(&self, id: &DocId) -> Result<Vec<PresenceEntry>, ClientError> {
        self.client
            .json(Call::new(Method::GET, self.path(id, "/presence")))
            .await
    }
}
