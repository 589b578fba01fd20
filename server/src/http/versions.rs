//! Versions over REST: list, cut, read, diff, restore, labels, and rendering a prompt.
//!
//! Reading a version returns the same JSON as the live document, with
//! `version` set to its number and `updated_at` to when it was cut.
//! `GET /api/{kind}/{id}?version=N|label=L` (in `documents.rs`) answers the
//! same way through [`read_selected`].

use std::collections::HashMap;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::{get, post, put};
use rocqet_crdt::DocKind;
use serde_json::{Value, json};

use super::audit::{self, Event};
use super::guard;
use super::json::Json;
use super::validate::Checks;
use crate::auth::{Caller, RequestMeta, Role};
use crate::error::ApiError;
use crate::ids::{DocId, UserId};
use crate::state::AppState;
use crate::store::{StoreError, VersionKind, VersionRecord};
use crate::versions::read::{self, Selector};
use crate::versions::{CutOutcome, CutRequest};

mod bodies;
pub(crate) mod labels;
pub(crate) mod render;

pub use bodies::*;

use labels::{LabelTarget, check_label, may_move, move_label};

/// Version, label and render routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/{kind}/{id}/versions", get(list).post(create))
        .route("/api/{kind}/{id}/versions/{n}", get(read_version))
        .route("/api/{kind}/{id}/versions/{n}/diff", get(diff))
        .route("/api/{kind}/{id}/versions/{n}/restore", post(restore))
        .route(
            "/api/{kind}/{id}/labels/{label}",
            put(labels::set).delete(labels::delete),
        )
        .route("/api/prompts/{id}/render", post(render::render))
}

/// Longest version message.
const MAX_MESSAGE: usize = 1000;

/// The OpenAPI description of these routes (`http::openapi` lists or merges them).
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    list,
    create,
    read_version,
    diff,
    restore,
    labels::set,
    labels::delete,
    render::render
))]
pub struct VersionsApi;

/// `prompts` or `models` from the URL; anything else is a 404 like any unknown route.
fn kind_of(segment: &str) -> Result<DocKind, ApiError> {
    DocKind::from_plural(segment).ok_or_else(|| ApiError::not_found("route"))
}

/// A version number from the path; anything else names no version.
fn number(raw: &str) -> Result<i64, ApiError> {
    raw.parse::<i64>()
        .ok()
        .filter(|n| *n >= 1)
        .ok_or_else(|| ApiError::not_found("version"))
}

/// A JSON body that may be left out entirely (then all defaults), with our error format.
fn optional_body<T: serde::de::DeserializeOwned + Default>(
    raw: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<T, ApiError> {
    let raw = raw.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::PayloadTooLarge("request body too large".to_owned())
        } else {
            ApiError::InvalidPayload(rejection.body_text())
        }
    })?;
    if raw.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(&raw).map_err(|e| ApiError::InvalidPayload(e.to_string()))
}

/// Versions as the API shows them, author names looked up once per user.
async fn version_bodies(
    state: &AppState,
    records: Vec<VersionRecord>,
) -> Result<Vec<VersionBody>, ApiError> {
    let mut names: HashMap<UserId, Option<String>> = HashMap::new();
    for id in records.iter().flat_map(|r| r.authors.iter()) {
        if names.contains_key(id) {
            continue;
        }
        let name = match state.store.user(*id).await {
            Ok(user) => Some(user.name),
            Err(StoreError::NotFound) => None,
            Err(other) => return Err(other.into()),
        };
        names.insert(*id, name);
    }
    let user = |id: &UserId| VersionUser {
        id: *id,
        name: names.get(id).cloned().flatten(),
    };
    Ok(records
        .into_iter()
        .map(|r| VersionBody {
            number: r.number,
            kind: r.kind,
            message: r.message,
            labels: r.labels,
            author: r.authors.first().map(user),
            authors: r.authors.iter().map(user).collect(),
            created_at: r.created_at,
            restored_from: r.restored_from,
        })
        .collect())
}

/// One version as the API shows it.
async fn version_body(state: &AppState, record: VersionRecord) -> Result<VersionBody, ApiError> {
    version_bodies(state, vec![record])
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal("no version body".to_owned()))
}

/// The content at `selector` (materialised JSON) and the version number it resolved to.
async fn read_content(
    state: &AppState,
    kind: DocKind,
    id: DocId,
    selector: &Selector,
) -> Result<(Value, i64), ApiError> {
    let number = read::resolve(&*state.store, id, selector).await?;
    Ok((
        read::content_at(&state.store, id, kind, number).await?,
        number,
    ))
}

/// The document at `selector` in the live document's JSON shape.
pub(super) async fn read_selected(
    state: &AppState,
    kind: DocKind,
    id: DocId,
    selector: &Selector,
) -> Result<Value, ApiError> {
    let number = read::resolve(&*state.store, id, selector).await?;
    // The document row and the version are independent: one round trip, not two.
    let (version, record) = tokio::join!(
        read::version_at(&state.store, id, kind, number),
        state.store.document(id)
    );
    let version = version?;
    let record = record.map_err(|e| match e {
        StoreError::NotFound => ApiError::not_found("document"),
        other => other.into(),
    })?;
    // The version's number and cut time stand in for the live document's.
    let as_cut = crate::store::DocumentRecord {
        version: number,
        updated_at: version.created_at,
        ..record
    };
    Ok(super::documents::document_json(&as_cut, version.content))
}

/// The document's versions, newest first (viewer).
#[utoipa::path(get, path = "/api/{kind}/{id}/versions", tag = "versions",
    params(("kind" = String, Path, description = "`prompts` or `models`"),
           ("id" = String, Path, description = "Document id"), VersionPageParams),
    responses((status = 200, description = "A page of versions", body = VersionPage)))]
async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, id)): Path<(String, String)>,
    params: Result<Query<VersionPageParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<VersionPage>, ApiError> {
    let kind = kind_of(&kind)?;
    let Query(params) = params.map_err(|e| ApiError::InvalidPayload(e.body_text()))?;
    let (id, _, _) = guard::document(&state, &caller, kind, &id, Role::Viewer).await?;
    let limit = super::validate::page_limit(params.limit)?;
    let before = params
        .cursor
        .as_deref()
        .map(|c| c.parse::<i64>().ok().filter(|n| *n >= 1))
        .map(|c| c.ok_or_else(|| ApiError::InvalidPayload("invalid cursor".to_owned())))
        .transpose()?;
    let page = state.store.list_versions(id, limit, before).await?;
    Ok(Json(VersionPage {
        items: version_bodies(&state, page.items).await?,
        next_cursor: page.next_before.map(|n| n.to_string()),
    }))
}

/// Cuts a version of the current content (editor; `production` in `labels` needs
/// admin). 201 with the new version, or 200 with the newest one when nothing changed
/// since it; `labels` then point at that one.
#[utoipa::path(post, path = "/api/{kind}/{id}/versions", tag = "versions",
    params(("kind" = String, Path, description = "`prompts` or `models`"),
           ("id" = String, Path, description = "Document id")),
    request_body = CreateVersion,
    responses((status = 201, description = "Cut", body = VersionBody),
              (status = 200, description = "Nothing changed: the newest version", body = VersionBody)))]
async fn create(
    State(state): State<AppState>,
    caller: Caller,
    meta: RequestMeta,
    Path((kind, id)): Path<(String, String)>,
    raw: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<impl IntoResponse, ApiError> {
    let kind = kind_of(&kind)?;
    let (id, place, role) = guard::document(&state, &caller, kind, &id, Role::Editor).await?;
    let request: CreateVersion = optional_body(raw)?;
    let message = request
        .message
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty());
    let mut checks = Checks::default();
    if let Some(message) = &message {
        checks.length("message", message, 1, MAX_MESSAGE);
    }
    for (i, label) in request.labels.iter().enumerate() {
        check_label(&mut checks, &format!("labels[{i}]"), label);
    }
    checks.finish()?;
    for label in &request.labels {
        may_move(label, role)?;
    }
    let cut = CutRequest {
        kind: VersionKind::Manual,
        message,
        by: Some(caller.user),
        restored_from: None,
    };
    let outcome = state.hub.cut_version(id, cut).await?;
    let created = matches!(outcome, CutOutcome::Created(_));
    let number = outcome.version().number;
    if created {
        let event = Event::in_workspace(
            place.workspace_id,
            caller.user,
            "version.create",
            kind.as_str(),
            id,
        )
        .with(json!({"number": number}));
        audit::record(&state, &meta, event).await;
    }
    let target = LabelTarget {
        caller: &caller,
        meta: &meta,
        kind,
        id,
        workspace: place.workspace_id,
    };
    for label in &request.labels {
        move_label(&state, &target, label, number).await?;
    }
    let record = state.store.version(id, number).await?;
    let status = if created {
        StatusCode::CREATED
    } else {
        StatusCode::OK
    };
    Ok((status, Json(version_body(&state, record).await?)))
}

/// The content at version `n`, in the live document's JSON shape with `version: n` (viewer).
#[utoipa::path(get, path = "/api/{kind}/{id}/versions/{n}", tag = "versions",
    params(("kind" = String, Path, description = "`prompts` or `models`"),
           ("id" = String, Path, description = "Document id"),
           ("n" = i64, Path, description = "Version number")),
    responses((status = 200, description = "The document as it was at version n (a prompt or a model, \
                as `GET /api/{kind}/{id}` returns it; `updated_at` is when the version was cut)",
               body = serde_json::Value),
              (status = 404, description = "No such document or version")))]
async fn read_version(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, id, n)): Path<(String, String, String)>,
) -> Result<Json<Value>, ApiError> {
    let kind = kind_of(&kind)?;
    let (id, _, _) = guard::document(&state, &caller, kind, &id, Role::Viewer).await?;
    let n = number(&n)?;
    Ok(Json(
        read_selected(&state, kind, id, &Selector::Number(n)).await?,
    ))
}

/// The changes from version `from` (default `n - 1`; for version 1 the empty
/// document) to version `n` (viewer). `from` may also be newer than `n`.
#[utoipa::path(get, path = "/api/{kind}/{id}/versions/{n}/diff", tag = "versions",
    params(("kind" = String, Path, description = "`prompts` or `models`"),
           ("id" = String, Path, description = "Document id"),
           ("n" = i64, Path, description = "Version number"), DiffParams),
    responses((status = 200, description = "The changes", body = DiffBody),
              (status = 404, description = "No such document or version")))]
async fn diff(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, id, n)): Path<(String, String, String)>,
    params: Result<Query<DiffParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<DiffBody>, ApiError> {
    let kind = kind_of(&kind)?;
    let Query(params) = params.map_err(|e| ApiError::InvalidPayload(e.body_text()))?;
    let (id, _, _) = guard::document(&state, &caller, kind, &id, Role::Viewer).await?;
    let to = number(&n)?;
    let from = match params.from {
        Some(from) if from >= 1 => Some(from),
        Some(_) => return Err(ApiError::not_found("version")),
        None => (to > 1).then_some(to - 1),
    };
    let changes = read::diff(&state.store, id, kind, from, to).await?;
    Ok(Json(DiffBody {
        kind: kind.as_str().to_owned(),
        from,
        to,
        changes,
    }))
}

/// Brings the live document back to version `n`'s content as an ordinary edit:
/// open editors receive it like any other change, and edits made concurrently
/// merge with it. Then records a version of kind `restore` naming `n` (editor).
/// 201 with that version; 200 with the newest version when the document already
/// had exactly that content and nothing unversioned (no edit, no new version).
#[utoipa::path(post, path = "/api/{kind}/{id}/versions/{n}/restore", tag = "versions",
    params(("kind" = String, Path, description = "`prompts` or `models`"),
           ("id" = String, Path, description = "Document id"),
           ("n" = i64, Path, description = "The version to bring back")),
    responses((status = 201, description = "Restored: the new version", body = VersionBody),
              (status = 200, description = "Nothing to restore: the newest version", body = VersionBody),
              (status = 404, description = "No such document or version")))]
async fn restore(
    State(state): State<AppState>,
    caller: Caller,
    meta: RequestMeta,
    Path((kind, id, n)): Path<(String, String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let kind = kind_of(&kind)?;
    let (id, place, _) = guard::document(&state, &caller, kind, &id, Role::Editor).await?;
    let n = number(&n)?;
    let target = read::content_at(&state.store, id, kind, n).await?;
    let request = CutRequest {
        kind: VersionKind::Restore,
        message: None,
        by: Some(caller.user),
        restored_from: Some(n),
    };
    let outcome = state.hub.restore(id, target, request).await?;
    let status = match &outcome {
        CutOutcome::Created(version) => {
            let event = Event::in_workspace(
                place.workspace_id,
                caller.user,
                "version.restore",
                kind.as_str(),
                id,
            )
            .with(json!({"from": n, "number": version.number}));
            audit::record(&state, &meta, event).await;
            StatusCode::CREATED
        }
        CutOutcome::Unchanged(_) => StatusCode::OK,
    };
    let record = state.store.version(id, outcome.version().number).await?;
    Ok((status, Json(version_body(&state, record).await?)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use utoipa::OpenApi;

    #[test]
    fn every_route_is_described() {
        let doc = serde_json::to_value(VersionsApi::openapi()).unwrap_or_default();
        for path in [
            "/api/{kind}/{id}/versions",
            "/api/{kind}/{id}/versions/{n}",
            "/api/{kind}/{id}/versions/{n}/diff",
            "/api/{kind}/{id}/versions/{n}/restore",
            "/api/{kind}/{id}/labels/{label}",
            "/api/prompts/{id}/render",
        ] {
            assert!(doc["paths"].get(path).is_some(), "{path}");
        }
        let schemas = &doc["components"]["schemas"];
        for schema in [
            "VersionBody",
            "VersionPage",
            "DiffBody",
            "LabelBody",
            "RenderBody",
        ] {
            assert!(schemas.get(schema).is_some(), "{schema}");
        }
        let changes = &schemas["DiffBody"]["properties"]["changes"];
        assert_eq!(changes["type"], "object", "{changes}");
    }
}
