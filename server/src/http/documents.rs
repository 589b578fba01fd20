//! Prompts and models over REST: create, list, read, patch (as a live CRDT edit), delete.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use rocqet_crdt::DocKind;
use serde::Deserialize;
use serde_json::{Value, json};
use yrs::{ReadTxn, StateVector, Transact};

use super::audit::{self, Event};
use super::guard;
use super::json::Json;
use crate::auth::{Caller, RequestMeta, Role};
use crate::cluster::Notice;
use crate::error::ApiError;
use crate::ids::{DocId, UserId};
use crate::state::AppState;
use crate::store::{DocumentRecord, ListQuery, NewDocument, SortOrder};

/// Document routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/workspaces/{ws}/{kind}", get(list).post(create))
        .route("/api/{kind}/{id}", get(read).patch(patch).delete(remove))
        .route("/api/{kind}/{id}/presence", get(presence))
}

/// `prompts` or `models` from the URL; anything else is a 404 like any unknown route.
fn kind_of(segment: &str) -> Result<DocKind, ApiError> {
    DocKind::from_plural(segment).ok_or_else(|| ApiError::not_found("route"))
}

/// A request body as a patch: an object, minus the server-owned fields a client may
/// echo back from a GET (`id`, `version`, timestamps...).
fn patch_body(body: Value) -> Result<Value, ApiError> {
    let Value::Object(mut map) = body else {
        return Err(ApiError::InvalidPayload(
            "expected a JSON object".to_owned(),
        ));
    };
    for key in rocqet_crdt::schema::SERVER_FIELDS {
        map.remove(key);
    }
    Ok(Value::Object(map))
}

/// The API shape of a document: its content plus server-owned fields.
pub(super) fn document_json(record: &DocumentRecord, content: Value) -> Value {
    let mut body = match content {
        Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    body.insert("id".into(), json!(record.id));
    body.insert("workspace_id".into(), json!(record.workspace_id));
    body.insert("kind".into(), json!(record.kind.as_str()));
    body.insert("version".into(), json!(record.version));
    body.insert("created_at".into(), json!(record.created_at));
    body.insert("updated_at".into(), json!(record.updated_at));
    Value::Object(body)
}

/// Adds the `ETag` a later PATCH may send back in `If-Match`.
fn with_etag(etag: &str, body: Json<Value>) -> impl IntoResponse + use<> {
    let value = HeaderValue::from_str(etag).ok();
    (value.map(|v| [(header::ETAG, v)]), body)
}

/// A record of this kind, or 404 (a prompt is not found under `/api/models`).
async fn record(state: &AppState, kind: DocKind, id: DocId) -> Result<DocumentRecord, ApiError> {
    let record = state.store.document(id).await.map_err(|e| match e {
        crate::store::StoreError::NotFound => ApiError::not_found("document"),
        other => other.into(),
    })?;
    if record.kind != kind {
        return Err(ApiError::not_found("document"));
    }
    Ok(record)
}

/// Creates a prompt or model from a partial document.
#[utoipa::path(post, path = "/api/workspaces/{ws}/{kind}", tag = "documents",
    params(("ws" = String, Path, description = "Workspace id or slug"),
           ("kind" = String, Path, description = "`prompts` or `models`")),
    request_body = crate::http::openapi::DocumentPatch,
    responses((status = 201, description = "Created", body = crate::http::openapi::Document)))]
pub(super) async fn create(
    State(state): State<AppState>,
    caller: Caller,
    meta: RequestMeta,
    Path((ws, kind)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Result<impl IntoResponse, ApiError> {
    let kind = kind_of(&kind)?;
    let (ws, _) = guard::workspace(&state, &caller, &ws, Role::Editor).await?;
    let workspace_id = ws.id;
    let body = patch_body(body)?;
    let doc = rocqet_crdt::new_doc();
    rocqet_crdt::apply_patch(&doc, kind, &body)?;
    let state_bytes = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let materialised = rocqet_crdt::materialise(&doc, kind);
    let new = NewDocument {
        id: DocId::new(),
        workspace_id,
        kind,
        state: state_bytes,
        materialised: materialised.clone(),
    };
    let record = state.store.create_document(new).await?;
    let event = Event::in_workspace(
        workspace_id,
        caller.user,
        "document.create",
        kind.as_str(),
        record.id,
    );
    audit::record(&state, &meta, event).await;
    Ok((
        StatusCode::CREATED,
        Json(document_json(&record, materialised)),
    ))
}

/// Listing parameters of API.md.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct ListParams {
    /// Words in the title, description or content (the last may be a prefix).
    q: Option<String>,
    /// Only documents with this tag.
    tag: Option<String>,
    /// 1 to 200 (default 50).
    limit: Option<u32>,
    /// `next_cursor` of the previous page.
    cursor: Option<String>,
    /// `updated` (default, newest first), `created`, `-created_at` or `title`.
    sort: Option<String>,
}

fn sort_order(raw: Option<&str>) -> Result<SortOrder, ApiError> {
    Ok(match raw {
        None | Some("updated" | "-updated_at" | "updated_desc") => SortOrder::UpdatedDesc,
        Some("created" | "created_at" | "created_asc") => SortOrder::CreatedAsc,
        Some("-created_at" | "created_desc") => SortOrder::CreatedDesc,
        Some("title" | "name" | "title_asc") => SortOrder::TitleAsc,
        Some(other) => {
            return Err(ApiError::InvalidPayload(format!(
                "unknown sort '{other}': use updated, created, -created_at or title"
            )));
        }
    })
}

/// Lists the workspace's prompts or models, with search and cursor pagination.
#[utoipa::path(get, path = "/api/workspaces/{ws}/{kind}", tag = "documents",
    params(("ws" = String, Path, description = "Workspace id or slug"),
           ("kind" = String, Path, description = "`prompts` or `models`"), ListParams),
    responses((status = 200, description = "A page", body = crate::http::openapi::DocumentPage)))]
pub(super) async fn list(
    State(state): State<AppState>,
    caller: Caller,
    Path((ws, kind)): Path<(String, String)>,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let kind = kind_of(&kind)?;
    let Query(params) = params.map_err(|e| ApiError::InvalidPayload(e.body_text()))?;
    let (ws, _) = guard::workspace(&state, &caller, &ws, Role::Viewer).await?;
    let workspace_id = ws.id;
    let limit = super::validate::page_limit(params.limit)?;
    let query = ListQuery {
        workspace_id,
        kind,
        q: params.q.filter(|q| !q.trim().is_empty()),
        tag: params.tag,
        sort: sort_order(params.sort.as_deref())?,
        limit,
        cursor: params.cursor,
    };
    let page = state.store.list_documents(&query).await?;
    let items: Vec<Value> = page
        .items
        .iter()
        .map(|r| document_json(r, r.materialised.clone()))
        .collect();
    Ok(Json(
        json!({"items": items, "next_cursor": page.next_cursor}),
    ))
}

/// `?version=N` or `?label=L` (`latest`: the newest version) read a version instead of the live document.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
pub(super) struct ReadParams {
    version: Option<String>,
    label: Option<String>,
}

/// The live document, or its content at a version or label.
#[utoipa::path(get, path = "/api/{kind}/{id}", tag = "documents",
    params(("kind" = String, Path, description = "`prompts` or `models`"), ("id" = String, Path, description = "Document id"), ReadParams),
    responses((status = 200, description = "The document; an `ETag` header names this read for `If-Match`",
               body = crate::http::openapi::Document)))]
pub(super) async fn read(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, id)): Path<(String, String)>,
    Query(params): Query<ReadParams>,
) -> Result<axum::response::Response, ApiError> {
    let kind = kind_of(&kind)?;
    let (id, _, _) = guard::document(&state, &caller, kind, &id, Role::Viewer).await?;
    let selector = match (params.version, params.label) {
        (Some(_), Some(_)) => {
            return Err(ApiError::InvalidPayload(
                "give either version or label, not both".to_owned(),
            ));
        }
        (Some(n), None) => Some(crate::versions::Selector::Number(n.parse().map_err(
            |_| ApiError::InvalidPayload("version must be a version number".to_owned()),
        )?)),
        (None, Some(label)) => Some(crate::versions::Selector::Label(label)),
        (None, None) => None,
    };
    if let Some(selector) = selector {
        // No ETag: a PATCH must be based on a read of the live document.
        let body = super::versions::read_selected(&state, kind, id, &selector).await?;
        return Ok(Json(body).into_response());
    }
    let record = record(&state, kind, id).await?;
    let (content, etag) = state.hub.read(id).await?;
    Ok(with_etag(&etag, Json(document_json(&record, content))).into_response())
}

/// Applies a partial document as a CRDT edit that open editors see at once. With
/// `If-Match: <ETag of a read>`, a content change is merged onto what landed since.
#[utoipa::path(patch, path = "/api/{kind}/{id}", tag = "documents",
    params(("kind" = String, Path, description = "`prompts` or `models`"), ("id" = String, Path, description = "Document id"),
           ("If-Match" = Option<String>, Header, description = "ETag of the read the change was made on")),
    request_body = crate::http::openapi::DocumentPatch,
    responses((status = 200, description = "The document after the edit", body = crate::http::openapi::Document)))]
pub(super) async fn patch(
    State(state): State<AppState>,
    caller: Caller,
    meta: RequestMeta,
    Path((kind, id)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<impl IntoResponse, ApiError> {
    let kind = kind_of(&kind)?;
    let (id, place, _) = guard::document(&state, &caller, kind, &id, Role::Editor).await?;
    let body = patch_body(body)?;
    let record = record(&state, kind, id).await?;
    let base = headers
        .get(header::IF_MATCH)
        .map(|v| v.to_str().map(str::to_owned))
        .transpose()
        .map_err(|_| ApiError::InvalidPayload("If-Match must be an ETag".to_owned()))?;
    let (content, etag) = state.hub.patch(id, body, base, Some(caller.user)).await?;
    // Listing and search see a REST edit at once; socket edits follow on the next sweep.
    state.store.save_materialised(id, &content).await?;
    let event = Event::in_workspace(
        place.workspace_id,
        caller.user,
        "document.update",
        kind.as_str(),
        id,
    );
    audit::record(&state, &meta, event).await;
    Ok(with_etag(&etag, Json(document_json(&record, content))))
}

/// Deletes a document (its history is kept); open sockets close with 4410.
#[utoipa::path(delete, path = "/api/{kind}/{id}", tag = "documents",
    params(("kind" = String, Path, description = "`prompts` or `models`"), ("id" = String, Path, description = "Document id")),
    responses((status = 204, description = "Deleted")))]
pub(super) async fn remove(
    State(state): State<AppState>,
    caller: Caller,
    meta: RequestMeta,
    Path((kind, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let kind = kind_of(&kind)?;
    let (id, place, _) = guard::document(&state, &caller, kind, &id, Role::Editor).await?;
    state.store.delete_document(id).await.map_err(|e| match e {
        crate::store::StoreError::NotFound => ApiError::not_found("document"),
        other => other.into(),
    })?;
    state.announce(Notice::DocumentDeleted { doc: id }).await;
    let event = Event::in_workspace(
        place.workspace_id,
        caller.user,
        "document.delete",
        kind.as_str(),
        id,
    );
    audit::record(&state, &meta, event).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Someone in a document now.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PresenceEntry {
    pub user: PresentUser,
    /// Their awareness state (cursor, selection...); `null` before they set one.
    pub state: Value,
}

/// The authenticated identity of a present user.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PresentUser {
    pub id: UserId,
    pub name: String,
}

/// Who is connected to the document now, as the server authenticated them.
#[utoipa::path(get, path = "/api/{kind}/{id}/presence", tag = "documents",
    params(("kind" = String, Path, description = "`prompts` or `models`"), ("id" = String, Path, description = "Document id")),
    responses((status = 200, description = "One entry per connection", body = Vec<PresenceEntry>)))]
pub(super) async fn presence(
    State(state): State<AppState>,
    caller: Caller,
    Path((kind, id)): Path<(String, String)>,
) -> Result<Json<Vec<PresenceEntry>>, ApiError> {
    let kind = kind_of(&kind)?;
    let (id, _, _) = guard::document(&state, &caller, kind, &id, Role::Viewer).await?;
    let present = state.hub.presence(id).await;
    Ok(Json(
        present
            .into_iter()
            .map(|p| PresenceEntry {
                user: PresentUser {
                    id: p.user,
                    name: p.name.to_string(),
                },
                state: p.state,
            })
            .collect(),
    ))
}
