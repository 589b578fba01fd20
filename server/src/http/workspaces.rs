//! Workspaces, their members and their audit log over REST.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, patch};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::audit::{self, Event};
use super::guard;
use super::json::Json;
use super::validate::Checks;
use crate::auth::{Caller, RequestMeta, Role};
use crate::cluster::Notice;
use crate::error::ApiError;
use crate::ids::{UserId, WorkspaceId};
use crate::state::AppState;
use crate::store::{
    Added, AuditEntry, CONFLICT_ALREADY_INVITED, CONFLICT_ALREADY_MEMBER, CONFLICT_LAST_OWNER,
    CONFLICT_OWNER_ONLY, CONFLICT_SLUG_TAKEN, Invite, Member, NewWorkspace, StoreError,
    WorkspaceRecord,
};

/// Workspace routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/workspaces", get(list).post(create))
        .route(
            "/api/workspaces/{ws}",
            get(read).patch(update).delete(remove),
        )
        .route(
            "/api/workspaces/{ws}/members",
            get(members).post(add_member),
        )
        .route(
            "/api/workspaces/{ws}/members/{user_id}",
            patch(set_role).delete(remove_member),
        )
        .route("/api/workspaces/{ws}/audit", get(audit_log))
}

/// Longest workspace name.
const MAX_NAME: usize = 100;
/// Longest slug.
const MAX_SLUG: usize = 64;

/// A workspace, with the caller's role in it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceBody {
    pub id: WorkspaceId,
    pub slug: String,
    pub name: String,
    pub role: Role,
    pub created_at: DateTime<Utc>,
}

impl WorkspaceBody {
    fn new(ws: WorkspaceRecord, role: Role) -> Self {
        Self {
            id: ws.id,
            slug: ws.slug,
            name: ws.name,
            role,
            created_at: ws.created_at,
        }
    }
}

/// `POST /api/workspaces`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct CreateWorkspace {
    /// 1 to 100 characters, not only spaces.
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: String,
    /// Lowercase letters, digits and inner dashes; derived from the name when absent.
    #[schema(max_length = 64, pattern = "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    pub slug: Option<String>,
}

/// `PATCH /api/workspaces/{ws}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct UpdateWorkspace {
    #[schema(min_length = 1, max_length = 100, pattern = r"\S")]
    pub name: Option<String>,
    #[schema(max_length = 64, pattern = "^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")]
    pub slug: Option<String>,
}

/// A list of workspaces.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkspaceList {
    pub items: Vec<WorkspaceBody>,
}

/// Whether a member entry is a membership or a pending invite.
#[derive(Debug, Clone, Copy, Serialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum MemberStatus {
    /// Has an account and the role.
    Active,
    /// No account yet: becomes active when this email registers.
    Invited,
}

/// A member or a pending invite.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberBody {
    /// `null` for a pending invite.
    pub user_id: Option<UserId>,
    pub email: String,
    /// `null` for a pending invite.
    pub name: Option<String>,
    pub role: Role,
    pub status: MemberStatus,
    pub created_at: DateTime<Utc>,
}

impl From<Member> for MemberBody {
    fn from(m: Member) -> Self {
        Self {
            user_id: Some(m.user_id),
            email: m.email,
            name: Some(m.name),
            role: m.role,
            status: MemberStatus::Active,
            created_at: m.created_at,
        }
    }
}

impl From<Invite> for MemberBody {
    fn from(i: Invite) -> Self {
        Self {
            user_id: None,
            email: i.email,
            name: None,
            role: i.role,
            status: MemberStatus::Invited,
            created_at: i.created_at,
        }
    }
}

/// Members, then pending invites.
#[derive(Debug, Serialize, ToSchema)]
pub struct MemberList {
    pub items: Vec<MemberBody>,
}

/// `POST /api/workspaces/{ws}/members`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AddMember {
    pub email: String,
    pub role: Role,
}

/// `PATCH /api/workspaces/{ws}/members/{user_id}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct SetRole {
    pub role: Role,
}

/// One audit log entry.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditItem {
    pub id: uuid::Uuid,
    /// `workspace.create`, `member.add`, `document.delete`, ...
    pub action: String,
    pub actor: Option<UserId>,
    pub target_kind: String,
    pub target_id: Option<String>,
    pub ip: Option<String>,
    pub user_agent: Option<String>,
    pub details: serde_json::Value,
    pub at: DateTime<Utc>,
}

impl From<AuditEntry> for AuditItem {
    fn from(e: AuditEntry) -> Self {
        Self {
            id: e.id,
            action: e.action,
            actor: e.actor,
            target_kind: e.target_kind,
            target_id: e.target_id,
            ip: e.ip,
            user_agent: e.user_agent,
            details: e.details,
            at: e.at,
        }
    }
}

/// A page of the audit log, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditPage {
    pub items: Vec<AuditItem>,
    pub next_cursor: Option<String>,
}

/// `?limit=&cursor=`.
#[derive(Debug, Deserialize, IntoParams)]
pub struct PageParams {
    /// 1 to 200 (default 50).
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    pub cursor: Option<String>,
}

/// A slug from a name: lowercase ASCII letters and digits, other runs become one dash.
fn slugify(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_ascii_alphanumeric() {
            slug.push(c.to_ascii_lowercase());
        } else if !slug.ends_with('-') && !slug.is_empty() {
            slug.push('-');
        }
    }
    let slug: String = slug.trim_matches('-').chars().take(MAX_SLUG).collect();
    let slug = slug.trim_end_matches('-').to_owned();
    if slug.is_empty() {
        format!("ws-{}", &uuid::Uuid::new_v4().simple().to_string()[..8])
    } else {
        slug
    }
}

fn check_slug(checks: &mut Checks, slug: &str) {
    let shape_ok = !slug.is_empty()
        && slug.len() <= MAX_SLUG
        && slug
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !slug.starts_with('-')
        && !slug.ends_with('-');
    if !shape_ok {
        checks.fail(
            "slug",
            format!("1 to {MAX_SLUG} lowercase letters, digits and inner dashes"),
        );
    } else if uuid::Uuid::try_parse(slug).is_ok() {
        checks.fail("slug", "must not look like an id");
    }
}

fn slug_conflict(e: StoreError) -> ApiError {
    match e {
        StoreError::Conflict(what) if what == CONFLICT_SLUG_TAKEN => {
            ApiError::Conflict("this slug is taken".to_owned())
        }
        other => other.into(),
    }
}

/// Creates a workspace; the caller becomes its owner.
#[utoipa::path(post, path = "/api/workspaces", tag = "workspaces",
    request_body = CreateWorkspace,
    responses((status = 201, description = "Created", body = WorkspaceBody)))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    meta: RequestMeta,
    Json(body): Json<CreateWorkspace>,
) -> Result<impl IntoResponse, ApiError> {
    let name = body.name.trim().to_owned();
    let mut checks = Checks::default();
    checks.length("name", &name, 1, MAX_NAME);
    let slug = body.slug.unwrap_or_else(|| slugify(&name));
    check_slug(&mut checks, &slug);
    checks.finish()?;
    let record = state
        .store
        .create_workspace(NewWorkspace {
            id: WorkspaceId::new(),
            slug,
            name,
            owner: caller.user,
        })
        .await
        .map_err(slug_conflict)?;
    state
        .announce(Notice::RoleChanged {
            workspace: record.id,
            user: caller.user,
            role: Some(Role::Owner),
        })
        .await;
    let event = Event::in_workspace(
        record.id,
        caller.user,
        "workspace.create",
        "workspace",
        record.id,
    );
    audit::record(&state, &meta, event).await;
    Ok((
        StatusCode::CREATED,
        Json(WorkspaceBody::new(record, Role::Owner)),
    ))
}

/// The caller's workspaces.
#[utoipa::path(get, path = "/api/workspaces", tag = "workspaces",
    responses((status = 200, description = "The caller's workspaces", body = WorkspaceList)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
) -> Result<Json<WorkspaceList>, ApiError> {
    let items = state
        .store
        .workspaces_of(caller.user)
        .await?
        .into_iter()
        .map(|(ws, role)| WorkspaceBody::new(ws, role))
        .collect();
    Ok(Json(WorkspaceList { items }))
}

/// One workspace (any member).
#[utoipa::path(get, path = "/api/workspaces/{ws}", tag = "workspaces",
    params(("ws" = String, Path, description = "Workspace id or slug")),
    responses((status = 200, description = "The workspace", body = WorkspaceBody)))]
async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path(ws): Path<String>,
) -> Result<Json<WorkspaceBody>, ApiError> {
    let (record, role) = guard::workspace(&state, &caller, &ws, Role::Viewer).await?;
    Ok(Json(WorkspaceBody::new(record, role)))
}

/// Renames or re-slugs a workspace (owner).
#[utoipa::path(patch, path = "/api/workspaces/{ws}", tag = "workspaces",
    params(("ws" = String, Path, description = "Workspace id or slug")),
    request_body = UpdateWorkspace,
    responses((status = 200, description = "The workspace", body = WorkspaceBody)))]
async fn update(
    State(state): State<AppState>,
    caller: Caller,
    meta: RequestMeta,
    Path(ws): Path<String>,
    Json(body): Json<UpdateWorkspace>,
) -> Result<Json<WorkspaceBody>, ApiError> {
    let (record, role) = guard::workspace(&state, &caller, &ws, Role::Owner).await?;
    let name = body.name.map(|n| n.trim().to_owned());
    let mut checks = Checks::default();
    if let Some(name) = &name {
        checks.length("name", name, 1, MAX_NAME);
    }
    if let Some(slug) = &body.slug {
        check_slug(&mut checks, slug);
    }
    checks.finish()?;
    let updated = state
        .store
        .update_workspace(record.id, name.as_deref(), body.slug.as_deref())
        .await
        .map_err(slug_conflict)?;
    let event = Event::in_workspace(
        record.id,
        caller.user,
        "workspace.update",
        "workspace",
        record.id,
    )
    .with(serde_json::json!({"name": updated.name, "slug": updated.slug}));
    audit::record(&state, &meta, event).await;
    Ok(Json(WorkspaceBody::new(updated, role)))
}

/// Deletes a workspace and everything in it (owner). Open sockets close with 4410.
#[utoipa::path(delete, path = "/api/workspaces/{ws}", tag = "workspaces",
    params(("ws" = String, Path, description = "Workspace id or slug")),
    responses((status = 204, description = "Deleted")))]
async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    meta: RequestMeta,
    Path(ws): Path<String>,
) -> Result<StatusCode, ApiError> {
    let (record, _) = guard::workspace(&state, &caller, &ws, Role::Owner).await?;
    state.store.delete_workspace(record.id).await?;
    state
        .announce(Notice::WorkspaceDeleted {
            workspace: record.id,
        })
        .await;
    let event = Event::in_workspace(
        record.id,
        caller.user,
        "workspace.delete",
        "workspace",
        record.id,
    )
    .with(serde_json::json!({"slug": record.slug}));
    audit::record(&state, &meta, event).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Members and pending invites (any member).
#[utoipa::path(get, path = "/api/workspaces/{ws}/members", tag = "members",
    params(("ws" = String, Path, description = "Workspace id or slug")),
    responses((status = 200, description = "Members, then pending invites", body = MemberList)))]
async fn members(
    State(state): State<AppState>,
    caller: Caller,
    Path(ws): Path<String>,
) -> Result<Json<MemberList>, ApiError> {
    let (record, _) = guard::workspace(&state, &caller, &ws, Role::Viewer).await?;
    let mut items: Vec<MemberBody> = state
        .store
        .members(record.id)
        .await?
        .into_iter()
        .map(MemberBody::from)
        .collect();
    items.extend(
        state
            .store
            .invites(record.id)
            .await?
            .into_iter()
            .map(MemberBody::from),
    );
    Ok(Json(MemberList { items }))
}

/// Only owners hand out or take away ownership.
fn may_grant(actor: Role, granted: Role) -> Result<(), ApiError> {
    if granted == Role::Owner && actor != Role::Owner {
        return Err(ApiError::Forbidden(
            "only an owner can make or unmake owners".to_owned(),
        ));
    }
    Ok(())
}

/// Adds a member by email; an email without an account becomes a pending invite (admin).
#[utoipa::path(post, path = "/api/workspaces/{ws}/members", tag = "members",
    params(("ws" = String, Path, description = "Workspace id or slug")),
    request_body = AddMember,
    responses((status = 201, description = "Added (status active) or invited (status invited)", body = MemberBody)))]
async fn add_member(
    State(state): State<AppState>,
    caller: Caller,
    meta: RequestMeta,
    Path(ws): Path<String>,
    Json(body): Json<AddMember>,
) -> Result<impl IntoResponse, ApiError> {
    let (record, role) = guard::workspace(&state, &caller, &ws, Role::Admin).await?;
    may_grant(role, body.role)?;
    let email = crate::store::normalise_email(&body.email);
    let mut checks = Checks::default();
    checks.email("email", &email);
    checks.finish()?;
    let added = state
        .store
        .add_member(record.id, &email, body.role, caller.user)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(what) if what == CONFLICT_ALREADY_MEMBER => {
                ApiError::Conflict("already a member".to_owned())
            }
            StoreError::Conflict(what) if what == CONFLICT_ALREADY_INVITED => {
                ApiError::Conflict("already invited".to_owned())
            }
            other => other.into(),
        })?;
    let (body, event) = match added {
        Added::Member(member) => {
            state
                .announce(Notice::RoleChanged {
                    workspace: record.id,
                    user: member.user_id,
                    role: Some(member.role),
                })
                .await;
            let event = Event::in_workspace(
                record.id,
                caller.user,
                "member.add",
                "member",
                member.user_id,
            )
            .with(serde_json::json!({"role": member.role}));
            (MemberBody::from(member), event)
        }
        Added::Invited(invite) => {
            let event = Event::in_workspace(
                record.id,
                caller.user,
                "member.invite",
                "invite",
                &invite.email,
            )
            .with(serde_json::json!({"role": invite.role}));
            (MemberBody::from(invite), event)
        }
    };
    audit::record(&state, &meta, event).await;
    Ok((StatusCode::CREATED, Json(body)))
}

fn member_id(raw: &str) -> Result<UserId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("member"))
}

fn membership_error(e: StoreError) -> ApiError {
    match e {
        StoreError::NotFound => ApiError::not_found("member"),
        StoreError::Conflict(what) if what == CONFLICT_LAST_OWNER => {
            ApiError::Conflict("a workspace must keep at least one owner".to_owned())
        }
        StoreError::Conflict(what) if what == CONFLICT_OWNER_ONLY => {
            ApiError::Forbidden("only an owner can make or unmake owners".to_owned())
        }
        other => other.into(),
    }
}

/// Changes a member's role (admin; owners only to or from owner). Their open sockets
/// become read-only or writable at once.
#[utoipa::path(patch, path = "/api/workspaces/{ws}/members/{user_id}", tag = "members",
    params(("ws" = String, Path, description = "Workspace id or slug"),
           ("user_id" = String, Path, description = "The member's user id")),
    request_body = SetRole,
    responses((status = 200, description = "The member", body = MemberBody)))]
async fn set_role(
    State(state): State<AppState>,
    caller: Caller,
    meta: RequestMeta,
    Path((ws, user_id)): Path<(String, String)>,
    Json(body): Json<SetRole>,
) -> Result<Json<MemberBody>, ApiError> {
    let (record, role) = guard::workspace(&state, &caller, &ws, Role::Admin).await?;
    let user = member_id(&user_id)?;
    let current = state.auth.access.role(record.id, user).await?;
    let Some(current) = current else {
        return Err(ApiError::not_found("member"));
    };
    may_grant(role, body.role)?;
    may_grant(role, current)?;
    // The cached `current` may be stale: the store re-checks "owners only touch
    // owners" under the same lock as the change.
    let member = state
        .store
        .set_role(record.id, user, body.role, role == Role::Owner)
        .await
        .map_err(membership_error)?;
    state
        .announce(Notice::RoleChanged {
            workspace: record.id,
            user,
            role: Some(body.role),
        })
        .await;
    let event = Event::in_workspace(record.id, caller.user, "member.role", "member", user)
        .with(serde_json::json!({"from": current, "to": body.role}));
    audit::record(&state, &meta, event).await;
    Ok(Json(member.into()))
}

/// Removes a member (admin; owners only by owners; anyone may leave). Their open
/// sockets on the workspace's documents close with 4403 at once.
#[utoipa::path(delete, path = "/api/workspaces/{ws}/members/{user_id}", tag = "members",
    params(("ws" = String, Path, description = "Workspace id or slug"),
           ("user_id" = String, Path, description = "The member's user id")),
    responses((status = 204, description = "Removed")))]
async fn remove_member(
    State(state): State<AppState>,
    caller: Caller,
    meta: RequestMeta,
    Path((ws, user_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let parsed = user_id.parse::<UserId>().ok();
    let leaving = parsed == Some(caller.user);
    let min = if leaving { Role::Viewer } else { Role::Admin };
    let (record, role) = guard::workspace(&state, &caller, &ws, min).await?;
    let user = parsed.ok_or_else(|| ApiError::not_found("member"))?;
    let Some(current) = state.auth.access.role(record.id, user).await? else {
        return Err(ApiError::not_found("member"));
    };
    if !leaving {
        may_grant(role, current)?;
    }
    state
        .store
        .remove_member(record.id, user, leaving || role == Role::Owner)
        .await
        .map_err(membership_error)?;
    state
        .announce(Notice::RoleChanged {
            workspace: record.id,
            user,
            role: None,
        })
        .await;
    let event = Event::in_workspace(record.id, caller.user, "member.remove", "member", user)
        .with(serde_json::json!({"role": current}));
    audit::record(&state, &meta, event).await;
    Ok(StatusCode::NO_CONTENT)
}

/// The workspace's audit log, newest first (admin).
#[utoipa::path(get, path = "/api/workspaces/{ws}/audit", tag = "workspaces",
    params(("ws" = String, Path, description = "Workspace id or slug"), PageParams),
    responses((status = 200, description = "A page of entries", body = AuditPage)))]
async fn audit_log(
    State(state): State<AppState>,
    caller: Caller,
    Path(ws): Path<String>,
    params: Result<Query<PageParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<AuditPage>, ApiError> {
    let Query(params) = params.map_err(|e| ApiError::InvalidPayload(e.body_text()))?;
    let (record, _) = guard::workspace(&state, &caller, &ws, Role::Admin).await?;
    let limit = super::validate::page_limit(params.limit)?;
    let page = state
        .store
        .audit(record.id, limit, params.cursor.as_deref())
        .await?;
    Ok(Json(AuditPage {
        items: page.items.into_iter().map(AuditItem::from).collect(),
        next_cursor: page.next_cursor,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slugs_come_from_names() {
        assert_eq!(slugify("Acme Prompts!"), "acme-prompts");
        assert_eq!(slugify("  --Ünïcode  ws--"), "n-code-ws");
        assert!(slugify("!!!").starts_with("ws-"));
        let mut checks = Checks::default();
        check_slug(&mut checks, "acme-prompts");
        assert!(checks.finish().is_ok());
        let mut checks = Checks::default();
        check_slug(&mut checks, "Bad Slug");
        assert!(checks.finish().is_err());
    }
}
