//! Labels: names (`production`, `staging`, `tenant-a`...) pointing at one version each.
//!
//! Names are 1 to 64 of `a-z 0-9 . _ -`, starting with a letter or digit.
//! `latest` is implicit (always the newest version) and cannot be set.
//! Editors move labels; `production` needs admin or owner.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde_json::json;

use super::{LabelBody, SetLabel, kind_of};
use crate::auth::{Caller, RequestMeta, Role};
use crate::error::ApiError;
use crate::http::audit::{self, Event};
use crate::http::guard;
use crate::http::json::Json;
use crate::http::validate::Checks;
use crate::ids::{DocId, WorkspaceId};
use crate::state::AppState;
use crate::store::StoreError;
use crate::versions::read::LATEST;
use rocqet_crdt::DocKind;

/// The label only admins and owners may move or remove.
pub const PRODUCTION: &str = "production";
/// Longest label name.
const MAX_LABEL: usize = 64;

/// `[a-z0-9][a-z0-9._-]*`, 1 to 64 characters, not `latest`.
pub(super) fn check_label(checks: &mut Checks, field: &str, label: &str) {
    let shape_ok = label.len() <= MAX_LABEL
        && label.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
        && label
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '.' | '_' | '-'));
    if !shape_ok {
        checks.fail(
            field,
            format!("1 to {MAX_LABEL} of a-z 0-9 . _ -, starting with a letter or digit"),
        );
    } else if label == LATEST {
        checks.fail(
            field,
            "`latest` is implicit: it always names the newest version",
        );
    }
}

/// Moving `production` needs admin or owner; every other label needs editor.
pub(super) fn may_move(label: &str, role: Role) -> Result<(), ApiError> {
    if label == PRODUCTION && role < Role::Admin {
        return Err(ApiError::Forbidden(format!(
            "moving the {PRODUCTION} label requires the admin role (you are {role})"
        )));
    }
    Ok(())
}

/// Where a label change happens and who makes it.
pub(super) struct LabelTarget<'a> {
    pub caller: &'a Caller,
    pub meta: &'a RequestMeta,
    pub kind: DocKind,
    pub id: DocId,
    pub workspace: WorkspaceId,
}

/// Points `label` at `number` and writes the audit entry (`label.set`).
pub(super) async fn move_label(
    state: &AppState,
    target: &LabelTarget<'_>,
    label: &str,
    number: i64,
) -> Result<(), ApiError> {
    let now = crate::clock::utc(state.clock.now_ms());
    let previous = state
        .store
        .set_label(target.id, label, number, now)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("version"),
            other => other.into(),
        })?;
    let event = Event::in_workspace(
        target.workspace,
        target.caller.user,
        "label.set",
        target.kind.as_str(),
        target.id,
    )
    .with(json!({"label": label, "version": number, "previous": previous}));
    audit::record(state, target.meta, event).await;
    Ok(())
}

/// Points a label at a version, creating or moving it (editor; `production`: admin).
#[utoipa::path(put, path = "/api/{kind}/{id}/labels/{label}", tag = "versions",
    params(("kind" = String, Path, description = "`prompts` or `models`"),
           ("id" = String, Path, description = "Document id"),
           ("label" = String, Path, description = "`[a-z0-9][a-z0-9._-]*`, up to 64; not `latest`")),
    request_body = SetLabel,
    responses((status = 200, description = "Where the label points now", body = LabelBody),
              (status = 403, description = "`production` by an editor"),
              (status = 404, description = "No such document or version"),
              (status = 422, description = "Invalid or reserved label name")))]
pub(crate) async fn set(
    State(state): State<AppState>,
    caller: Caller,
    meta: RequestMeta,
    Path((kind, id, label)): Path<(String, String, String)>,
    Json(body): Json<SetLabel>,
) -> Result<Json<LabelBody>, ApiError> {
    let kind = kind_of(&kind)?;
    let (id, place, role) = guard::document(&state, &caller, kind, &id, Role::Editor).await?;
    let mut checks = Checks::default();
    check_label(&mut checks, "label", &label);
    checks.finish()?;
    may_move(&label, role)?;
    if body.version < 1 {
        return Err(ApiError::not_found("version"));
    }
    let target = LabelTarget {
        caller: &caller,
        meta: &meta,
        kind,
        id,
        workspace: place.workspace_id,
    };
    move_label(&state, &target, &label, body.version).await?;
    Ok(Json(LabelBody {
        label,
        version: body.version,
    }))
}

/// Removes a label (editor; `production`: admin).
#[utoipa::path(delete, path = "/api/{kind}/{id}/labels/{label}", tag = "versions",
    params(("kind" = String, Path, description = "`prompts` or `models`"),
           ("id" = String, Path, description = "Document id"),
           ("label" = String, Path, description = "The label")),
    responses((status = 204, description = "Removed"),
              (status = 403, description = "`production` by an editor"),
              (status = 404, description = "No such document or label"),
              (status = 422, description = "`latest` cannot be removed")))]
pub(crate) async fn delete(
    State(state): State<AppState>,
    caller: Caller,
    meta: RequestMeta,
    Path((kind, id, label)): Path<(String, String, String)>,
) -> Result<StatusCode, ApiError> {
    let kind = kind_of(&kind)?;
    let (id, place, role) = guard::document(&state, &caller, kind, &id, Role::Editor).await?;
    if label == LATEST {
        let mut checks = Checks::default();
        check_label(&mut checks, "label", &label);
        checks.finish()?;
    }
    may_move(&label, role)?;
    let number = state
        .store
        .delete_label(id, &label)
        .await
        .map_err(|e| match e {
            StoreError::NotFound => ApiError::not_found("label"),
            other => other.into(),
        })?;
    let event = Event::in_workspace(
        place.workspace_id,
        caller.user,
        "label.delete",
        kind.as_str(),
        id,
    )
    .with(json!({"label": label, "version": number}));
    audit::record(&state, &meta, event).await;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn valid(label: &str) -> bool {
        let mut checks = Checks::default();
        check_label(&mut checks, "label", label);
        checks.finish().is_ok()
    }

    #[test]
    fn label_names() {
        for ok in [
            "production",
            "staging",
            "tenant-a",
            "v1.2_rc",
            "0",
            &"a".repeat(64),
        ] {
            assert!(valid(ok), "{ok}");
        }
        for bad in [
            "",
            "latest",
            "Prod",
            "-x",
            ".x",
            "a b",
            "é",
            &"a".repeat(65),
        ] {
            assert!(!valid(bad), "{bad}");
        }
    }

    #[test]
    fn production_needs_admin() {
        assert!(may_move(PRODUCTION, Role::Editor).is_err());
        assert!(may_move(PRODUCTION, Role::Admin).is_ok());
        assert!(may_move("staging", Role::Editor).is_ok());
    }
}
