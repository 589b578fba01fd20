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

use super::json::Json;
use crate::error::ApiError;
use crate::ids::{DocId, WorkspaceId};
use crate::state::AppState;
use crate::store::{DocumentRecord, ListQuery, NewDocument, SortOrder};

/// Document routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/api/workspaces/{ws}/{kind}", get(list).post(create))
        .route("/api/{kind}/{id}", get(read).patch(patch).delete(remove))
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

fn doc_id(raw: &str) -> Result<DocId, ApiError> {
    raw.parse().map_err(|_| ApiError::not_found("document"))
}

/// Resolves `{ws}` (id or slug). Until identity lands there is one workspace.
async fn workspace(state: &AppState, ws: &str) -> Result<WorkspaceId, ApiError> {
    let default = state.store.default_workspace().await?;
    if ws == "default" || ws.parse::<WorkspaceId>().is_ok_and(|id| id == default) {
        Ok(default)
    } else {
        Err(ApiError::not_found("workspace"))
    }
}

/// The API shape of a document: its content plus server-owned fields.
fn document_json(record: &DocumentRecord, content: Value) -> Value {
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

async fn create(
    State(state): State<AppState>,
    Path((ws, kind)): Path<(String, String)>,
    Json(body): Json<Value>,
) -> Result<impl IntoResponse, ApiError> {
    let kind = kind_of(&kind)?;
    let workspace_id = workspace(&state, &ws).await?;
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
    Ok((
        StatusCode::CREATED,
        Json(document_json(&record, materialised)),
    ))
}

/// Listing parameters of API.md.
#[derive(Debug, Deserialize)]
struct ListParams {
    q: Option<String>,
    tag: Option<String>,
    limit: Option<u32>,
    cursor: Option<String>,
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

async fn list(
    State(state): State<AppState>,
    Path((ws, kind)): Path<(String, String)>,
    params: Result<Query<ListParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Json<Value>, ApiError> {
    let kind = kind_of(&kind)?;
    let Query(params) = params.map_err(|e| ApiError::InvalidPayload(e.body_text()))?;
    let workspace_id = workspace(&state, &ws).await?;
    let limit = params.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::InvalidPayload(
            "limit must be between 1 and 200".to_owned(),
        ));
    }
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

/// `?version=` and `?label=` come with versions; refused clearly until then.
#[derive(Debug, Deserialize)]
struct ReadParams {
    version: Option<String>,
    label: Option<String>,
}

async fn read(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, String)>,
    Query(params): Query<ReadParams>,
) -> Result<impl IntoResponse, ApiError> {
    let kind = kind_of(&kind)?;
    let id = doc_id(&id)?;
    if params.version.is_some() || params.label.is_some() {
        return Err(ApiError::InvalidPayload(
            "versions are not available on this server yet".to_owned(),
        ));
    }
    let record = record(&state, kind, id).await?;
    let (content, etag) = state.hub.read(id).await?;
    Ok(with_etag(&etag, Json(document_json(&record, content))))
}

async fn patch(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, String)>,
    headers: HeaderMap,
    Json(body): Json<Value>,
) -> Result<impl IntoResponse, ApiError> {
    let kind = kind_of(&kind)?;
    let id = doc_id(&id)?;
    let body = patch_body(body)?;
    let record = record(&state, kind, id).await?;
    let base = headers
        .get(header::IF_MATCH)
        .map(|v| v.to_str().map(str::to_owned))
        .transpose()
        .map_err(|_| ApiError::InvalidPayload("If-Match must be an ETag".to_owned()))?;
    let (content, etag) = state.hub.patch(id, body, base).await?;
    // Listing and search see a REST edit at once; socket edits follow on the next sweep.
    state.store.save_materialised(id, &content).await?;
    Ok(with_etag(&etag, Json(document_json(&record, content))))
}

async fn remove(
    State(state): State<AppState>,
    Path((kind, id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let kind = kind_of(&kind)?;
    let id = doc_id(&id)?;
    record(&state, kind, id).await?;
    state.store.delete_document(id).await?;
    state.hub.close_document(id).await;
    Ok(StatusCode::NO_CONTENT)
}
