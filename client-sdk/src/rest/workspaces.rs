//! Workspaces, their members and their audit log.

use chrono::{DateTime, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use super::{Call, Client, Page, PageQuery, Role, segment};
use crate::{ClientError, UserId, WorkspaceId};

/// A workspace, with the caller's role in it.
///
/// ```
/// use rocqet_client::rest::Workspace;
///
/// let ws: Workspace = serde_json::from_str(r#"{"id":"w1","slug":"acme","name":"Acme",
///     "role":"owner","created_at":"2026-01-01T00:00:00Z"}"#)?;
/// assert_eq!(ws.slug, "acme");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Workspace {
    /// Workspace id.
    pub id: WorkspaceId,
    /// URL name; routes take it in place of the id.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// The caller's role.
    pub role: Role,
    /// When it was created.
    pub created_at: DateTime<Utc>,
}

/// `POST /api/workspaces`.
///
/// ```
/// use rocqet_client::rest::NewWorkspace;
///
/// let ws = NewWorkspace::new("Acme Prompts").slug("acme");
/// assert_eq!(serde_json::to_value(&ws)?, serde_json::json!({"name": "Acme Prompts", "slug": "acme"}));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewWorkspace {
    /// 1 to 100 characters.
    pub name: String,
    /// Lowercase letters, digits and inner dashes; derived from the name when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
}

impl NewWorkspace {
    /// A workspace called `name`, slug derived by the server.
    pub fn new(name: impl Into<String>) -> Self {
        NewWorkspace {
            name: name.into(),
            slug: None,
        }
    }

    /// Picks the slug.
    pub fn slug(mut self, slug: impl Into<String>) -> Self {
        self.slug = Some(slug.into());
        self
    }
}

/// `PATCH /api/workspaces/{ws}`: unset parts stay.
///
/// ```
/// use rocqet_client::rest::WorkspaceChange;
///
/// let change = WorkspaceChange { name: Some("Acme".into()), slug: None };
/// assert_eq!(serde_json::to_value(&change)?, serde_json::json!({"name": "Acme"}));
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WorkspaceChange {
    /// New name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// New slug.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug: Option<String>,
}

/// Whether a member entry is a membership or a pending invite.
///
/// ```
/// use rocqet_client::rest::MemberStatus;
///
/// assert_eq!(serde_json::from_str::<MemberStatus>(r#""invited""#)?, MemberStatus::Invited);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    /// Has an account and the role.
    Active,
    /// No account yet: becomes active when this email registers.
    Invited,
}

/// A member, or a pending invite.
///
/// ```
/// use rocqet_client::rest::{Member, MemberStatus};
///
/// let m: Member = serde_json::from_str(r#"{"user_id":null,"email":"bo@example.com","name":null,
///     "role":"editor","status":"invited","created_at":"2026-01-01T00:00:00Z"}"#)?;
/// assert_eq!(m.status, MemberStatus::Invited);
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Member {
    /// `None` for a pending invite.
    pub user_id: Option<UserId>,
    /// Email address.
    pub email: String,
    /// `None` for a pending invite.
    pub name: Option<String>,
    /// Role in the workspace.
    pub role: Role,
    /// Member or invite.
    pub status: MemberStatus,
    /// When they were added or invited.
    pub created_at: DateTime<Utc>,
}

/// One audit log entry.
///
/// ```
/// use rocqet_client::rest::AuditEntry;
///
/// let e: AuditEntry = serde_json::from_str(r#"{"id":"a1","action":"workspace.create","actor":"u1",
///     "target_kind":"workspace","target_id":"w1","ip":null,"user_agent":null,"details":null,
///     "at":"2026-01-01T00:00:00Z"}"#)?;
/// assert_eq!(e.action, "workspace.create");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuditEntry {
    /// Entry id.
    pub id: String,
    /// `workspace.create`, `member.add`, `document.delete`, ...
    pub action: String,
    /// Who did it.
    pub actor: Option<UserId>,
    /// What kind of thing it was done to.
    pub target_kind: String,
    /// Which one.
    pub target_id: Option<String>,
    /// The caller's address.
    pub ip: Option<String>,
    /// The caller's user agent.
    pub user_agent: Option<String>,
    /// Small structured facts (a role, a version number).
    #[serde(default)]
    pub details: Value,
    /// When.
    pub at: DateTime<Utc>,
}

/// `{items}` of the unpaged listings.
#[derive(Deserialize)]
struct Items<T> {
    items: Vec<T>,
}

fn ws_path(ws: &str) -> String {
    format!("/api/workspaces/{}", segment(ws))
}

impl Client {
    /// Creates a workspace; the caller becomes its owner.
    pub async fn create_workspace(&self, new: &NewWorkspace) -> Result<Workspace, ClientError> {
        let call = Call::new(Method::POST, "/api/workspaces".into()).json(new)?;
        self.json(call).await
    }

    /// The caller's workspaces.
    pub async fn workspaces(&self) -> Result<Vec<Workspace>, ClientError> {
        let list: Items<Workspace> = self
            .json(Call::new(Method::GET, "/api/workspaces".into()))
            .await?;
        Ok(list.items)
    }

    /// One workspace, by id or slug.
    pub async fn workspace(&self, ws: impl AsRef<str>) -> Result<Workspace, ClientError> {
        self.json(Call::new(Method::GET, ws_path(ws.as_ref())))
            .await
    }

    /// Renames or re-slugs a workspace (owner).
    pub async fn update_workspace(
        &self,
        ws: impl AsRef<str>,
        change: &WorkspaceChange,
    ) -> Result<Workspace, ClientError> {
        let call = Call::new(Method::PATCH, ws_path(ws.as_ref())).json(change)?;
        self.json(call).await
    }

    /// Deletes a workspace and everything in it (owner).
    pub async fn delete_workspace(&self, ws: impl AsRef<str>) -> Result<(), ClientError> {
        self.send(Call::new(Method::DELETE, ws_path(ws.as_ref())))
            .await?;
        Ok(())
    }

    /// Members, then pending invites.
    pub async fn members(&self, ws: impl AsRef<str>) -> Result<Vec<Member>, ClientError> {
        let path = format!("{}/members", ws_path(ws.as_ref()));
        let list: Items<Member> = self.json(Call::new(Method::GET, path)).await?;
        Ok(list.items)
    }

    /// Adds a member by email (admin); an email without an account becomes
    /// a pending invite.
    pub async fn add_member(
        &self,
        ws: impl AsRef<str>,
        email: &str,
        role: Role,
    ) -> Result<Member, ClientError> {
        let path = format!("{}/members", ws_path(ws.as_ref()));
        let call = Call::new(Method::POST, path).json(&json!({"email": email, "role": role}))?;
        self.json(call).await
    }

    /// Changes a member's role (admin; owners only to or from owner).
    pub async fn set_member_role(
        &self,
        ws: impl AsRef<str>,
        user: &UserId,
        role: Role,
    ) -> Result<Member, ClientError> {
        let path = format!(
            "{}/members/{}",
            ws_path(ws.as_ref()),
            segment(user.as_str())
        );
        let call = Call::new(Method::PATCH, path).json(&json!({"role": role}))?;
        self.json(call).await
    }

    /// Removes a member (admin), or leaves (your own id).
    pub async fn remove_member(
        &self,
        ws: impl AsRef<str>,
        user: &UserId,
    ) -> Result<(), ClientError> {
        let path = format!(
            "{}/members/{}",
            ws_path(ws.as_ref()),
            segment(user.as_str())
        );
        self.send(Call::new(Method::DELETE, path)).await?;
        Ok(())
    }

    /// A page of the audit log, newest first (admin).
    pub async fn audit(
        &self,
        ws: impl AsRef<str>,
        page: &PageQuery,
    ) -> Result<Page<AuditEntry>, ClientError> {
        let path = format!("{}/audit", ws_path(ws.as_ref()));
        let call = Call::new(Method::GET, path)
            .param("limit", page.limit)
            .param("cursor", page.cursor.as_ref());
        self.json(call).await
    }
}
