//! Role checks for REST handlers: resolve the workspace or document, then require a role.

use rocqet_crdt::DocKind;

use crate::auth::{Caller, DocPlace, Role};
use crate::error::ApiError;
use crate::ids::DocId;
use crate::state::AppState;
use crate::store::{StoreError, WorkspaceRecord};

/// The workspace `{ws}` (id or slug) if the caller holds at least `min` in it.
/// Non-members get 403 like members without the role: the workspace's existence
/// is not a secret worth a different answer, and sockets answer 4403 alike.
pub async fn workspace(
    state: &AppState,
    caller: &Caller,
    ws: &str,
    min: Role,
) -> Result<(WorkspaceRecord, Role), ApiError> {
    let record = state.store.workspace(ws).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("workspace"),
        other => other.into(),
    })?;
    let role = require(state, caller, &record.id, min).await?;
    Ok((record, role))
}

/// The document `{id}` of `kind` if the caller holds at least `min` in its workspace.
/// A malformed id, a deleted document or one of the other kind is a 404.
pub async fn document(
    state: &AppState,
    caller: &Caller,
    kind: DocKind,
    id: &str,
    min: Role,
) -> Result<(DocId, DocPlace, Role), ApiError> {
    let id: DocId = id.parse().map_err(|_| ApiError::not_found("document"))?;
    let place = state.auth.access.document(id).await.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("document"),
        other => other.into(),
    })?;
    if place.kind != kind {
        return Err(ApiError::not_found("document"));
    }
    let role = require(state, caller, &place.workspace_id, min).await?;
    Ok((id, place, role))
}

async fn require(
    state: &AppState,
    caller: &Caller,
    ws: &crate::ids::WorkspaceId,
    min: Role,
) -> Result<Role, ApiError> {
    match state.auth.access.role(*ws, caller.user).await? {
        None => Err(ApiError::Forbidden(
            "not a member of this workspace".to_owned(),
        )),
        Some(role) if role < min => Err(ApiError::Forbidden(format!(
            "requires the {min} role (you are {role})"
        ))),
        Some(role) => Ok(role),
    }
}
