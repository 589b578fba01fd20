//! Versions, labels, and rendering a prompt.

use chrono::{DateTime, Utc};
use reqwest::{Method, StatusCode};
use rocqet_crdt::diff::{ModelDiff, PromptDiff};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{Call, Client, Document, DocumentKind, Documents, Page, PageQuery, segment};
use crate::{ClientError, DocId, UserId};

/// How a version came to be.
///
/// ```
/// use rocqet_client::rest::VersionKind;
///
/// assert_eq!(serde_json::from_str::<VersionKind>(r#""restore""#)?, VersionKind::Restore);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionKind {
    /// Cut by the server: editing paused, ran long, or the last editor left.
    Auto,
    /// Cut by a user.
    Manual,
    /// Recorded after restoring an older version's content.
    Restore,
}

/// A user credited on a version.
///
/// ```
/// use rocqet_client::rest::VersionUser;
///
/// let u: VersionUser = serde_json::from_str(r#"{"id":"u1","name":null}"#)?;
/// assert_eq!(u.name, None);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct VersionUser {
    /// User id.
    pub id: UserId,
    /// `None` when the account no longer exists.
    pub name: Option<String>,
}

/// One version of a document.
///
/// ```
/// use rocqet_client::rest::{Version, VersionKind};
///
/// let v: Version = serde_json::from_str(r#"{"number":2,"kind":"manual","message":"ship it",
///     "labels":["production"],"author":null,"created_at":"2026-01-01T00:00:00Z"}"#)?;
/// assert_eq!((v.number, v.kind), (2, VersionKind::Manual));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Version {
    /// Per document, from 1, without gaps.
    pub number: i64,
    /// How it was made.
    pub kind: VersionKind,
    /// The message given when cutting it.
    pub message: Option<String>,
    /// Labels pointing at it (`latest` is implicit and not listed).
    #[serde(default)]
    pub labels: Vec<String>,
    /// Who made it, when known.
    pub author: Option<VersionUser>,
    /// Everyone credited.
    #[serde(default)]
    pub authors: Vec<VersionUser>,
    /// When it was cut.
    pub created_at: DateTime<Utc>,
    /// The version a `restore` version brought back.
    #[serde(default)]
    pub restored_from: Option<i64>,
}

/// The answer of cutting or restoring: the version, and whether it is new
/// (`false`: nothing had changed, so this is the newest existing one).
///
/// ```
/// # use rocqet_client::rest::VersionOutcome;
/// # fn demo(outcome: VersionOutcome) {
/// if !outcome.created {
///     println!("nothing new since version {}", outcome.version.number);
/// }
/// # }
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionOutcome {
    /// The version.
    pub version: Version,
    /// Whether this call created it (201) or found it (200).
    pub created: bool,
}

/// `POST /api/{kind}/{id}/versions`.
///
/// ```
/// use rocqet_client::rest::CreateVersion;
///
/// let cut = CreateVersion::new().message("tone down").label("staging");
/// assert_eq!(cut.labels, ["staging"]);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CreateVersion {
    /// Up to 1000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    /// Labels to point at the new version (`production` needs admin).
    #[serde(default)]
    pub labels: Vec<String>,
}

impl CreateVersion {
    /// No message, no labels.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the message.
    pub fn message(mut self, message: impl Into<String>) -> Self {
        self.message = Some(message.into());
        self
    }

    /// Adds a label.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.labels.push(label.into());
        self
    }
}

/// What changed between two versions.
///
/// ```
/// use rocqet_client::rest::VersionDiff;
///
/// let d: VersionDiff = serde_json::from_str(r#"{"kind":"prompt","from":1,"to":2,
///     "changes":{"metadata":[],"content":[],"variables":{"added":[],"removed":[],"changed":[]}}}"#)?;
/// assert!(d.prompt_changes().is_some());
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VersionDiff {
    /// `prompt` or `model`.
    pub kind: String,
    /// The older side; `None` is the empty document.
    pub from: Option<i64>,
    /// The newer side.
    pub to: i64,
    /// The changes, as JSON (see the typed accessors).
    pub changes: Value,
}

impl VersionDiff {
    /// The changes of a prompt diff, typed by `rocqet-crdt`.
    pub fn prompt_changes(&self) -> Option<PromptDiff> {
        (self.kind == "prompt")
            .then(|| serde_json::from_value(self.changes.clone()).ok())
            .flatten()
    }

    /// The changes of a model diff, typed by `rocqet-crdt`.
    pub fn model_changes(&self) -> Option<ModelDiff> {
        (self.kind == "model")
            .then(|| serde_json::from_value(self.changes.clone()).ok())
            .flatten()
    }
}

/// Where a label points.
///
/// ```
/// use rocqet_client::rest::Label;
///
/// let l: Label = serde_json::from_str(r#"{"label":"production","version":4}"#)?;
/// assert_eq!(l.version, 4);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Label {
    /// The label.
    pub label: String,
    /// The version it points at.
    pub version: i64,
}

/// `POST /api/prompts/{id}/render`.
///
/// ```
/// use rocqet_client::rest::RenderRequest;
///
/// let request = RenderRequest::new().value("name", "Ada").label("production");
/// assert_eq!(request.variables["name"], "Ada");
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct RenderRequest {
    /// Values by placeholder name; non-strings are inserted as JSON text.
    #[serde(default)]
    pub variables: Map<String, Value>,
    /// Render this version instead of the live content.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub version: Option<i64>,
    /// Render the version this label points at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

impl RenderRequest {
    /// The live content, no values.
    pub fn new() -> Self {
        Self::default()
    }

    /// Gives placeholder `name` a value.
    pub fn value(mut self, name: impl Into<String>, value: impl Into<Value>) -> Self {
        self.variables.insert(name.into(), value.into());
        self
    }

    /// Renders version `n`.
    pub fn version(mut self, n: i64) -> Self {
        self.version = Some(n);
        self
    }

    /// Renders the version `label` points at.
    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }
}

/// A rendered prompt.
///
/// ```
/// use rocqet_client::rest::RenderResult;
///
/// let r: RenderResult = serde_json::from_str(r#"{"text":"Hi Ada","missing":[],"version":null}"#)?;
/// assert_eq!(r.text, "Hi Ada");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RenderResult {
    /// The template with its placeholders filled.
    pub text: String,
    /// Required placeholders with no value and no default.
    pub missing: Vec<String>,
    /// The version rendered; `None` for the live content.
    #[serde(default)]
    pub version: Option<i64>,
}

impl<C: DocumentKind> Documents<'_, C> {
    /// A page of the document's versions, newest first.
    pub async fn versions(
        &self,
        id: &DocId,
        page: &PageQuery,
    ) -> Result<Page<Version>, ClientError> {
        let call = Call::new(Method::GET, self.path(id, "/versions"))
            .param("limit", page.limit)
            .param("cursor", page.cursor.as_ref());
        self.client.json(call).await
    }

    /// Cuts a version of the current content (editor).
    pub async fn cut_version(
        &self,
        id: &DocId,
        request: &CreateVersion,
    ) -> Result<VersionOutcome, ClientError> {
        let call = Call::new(Method::POST, self.path(id, "/versions")).json(request)?;
        self.outcome(call).await
    }

    /// The content at version `n`.
    pub async fn version(&self, id: &DocId, n: i64) -> Result<Document<C>, ClientError> {
        let path = self.path(id, &format!("/versions/{n}"));
        self.client.json(Call::new(Method::GET, path)).await
    }

    /// The changes from version `from` (default `n - 1`) to `n`.
    pub async fn diff(
        &self,
        id: &DocId,
        n: i64,
        from: Option<i64>,
    ) -> Result<VersionDiff, ClientError> {
        let path = self.path(id, &format!("/versions/{n}/diff"));
        let call = Call::new(Method::GET, path).param("from", from);
        self.client.json(call).await
    }

    /// Brings the live document back to version `n`'s content as a new edit
    /// (open editors converge on it), recorded as a `restore` version.
    pub async fn restore(&self, id: &DocId, n: i64) -> Result<VersionOutcome, ClientError> {
        let path = self.path(id, &format!("/versions/{n}/restore"));
        self.outcome(Call::new(Method::POST, path)).await
    }

    /// Points `label` at version `n` (editor; `production` needs admin).
    pub async fn set_label(&self, id: &DocId, label: &str, n: i64) -> Result<Label, ClientError> {
        let path = self.path(id, &format!("/labels/{}", segment(label)));
        let call = Call::new(Method::PUT, path).json(&json!({"version": n}))?;
        self.client.json(call).await
    }

    /// Removes `label`.
    pub async fn delete_label(&self, id: &DocId, label: &str) -> Result<(), ClientError> {
        let path = self.path(id, &format!("/labels/{}", segment(label)));
        self.client.send(Call::new(Method::DELETE, path)).await?;
        Ok(())
    }

    async fn outcome(&self, call: Call) -> Result<VersionOutcome, ClientError> {
        let answer = self.client.send(call).await?;
        Ok(VersionOutcome {
            version: answer.json()?,
            created: answer.status == StatusCode::CREATED,
        })
    }
}

impl Client {
    /// Fills a prompt's placeholders (viewer).
    pub async fn render(
        &self,
        prompt: &DocId,
        request: &RenderRequest,
    ) -> Result<RenderResult, ClientError> {
        let path = format!("/api/prompts/{}/render", segment(prompt.as_str()));
        let call = Call::new(Method::POST, path).json(request)?;
        self.json(call).await
    }
}
