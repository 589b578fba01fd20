//! `GET /api/openapi.json`: the REST contract, generated from the handlers'
//! annotations so it cannot drift from the code.

use axum::Router;
use axum::routing::get;
use serde::Serialize;
use utoipa::openapi::path::Operation;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::{ContentBuilder, RefOr, ResponseBuilder};
use utoipa::{Modify, OpenApi, ToSchema};

mod documents;

pub(crate) use documents::DocumentPage;
pub use documents::{Document, DocumentPatch};

use super::json::Json;
use super::{auth, documents as docs, ops, versions, workspaces};
use crate::state::AppState;

/// The OpenAPI route.
pub fn router() -> Router<AppState> {
    Router::new().route("/api/openapi.json", get(spec))
}

async fn spec() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}

/// The error body every non-2xx answer carries.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

/// `code` is one of API.md's; `details` is `[{field, message}]` for 422, else null.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// `INVALID_PAYLOAD`, `UNAUTHORIZED`, `FORBIDDEN`, `NOT_FOUND`, `CONFLICT`,
    /// `PAYLOAD_TOO_LARGE`, `VALIDATION_FAILED`, `RATE_LIMITED`, `UNAVAILABLE`, `INTERNAL_ERROR`.
    pub code: String,
    pub message: String,
    pub details: Option<Vec<FieldProblem>>,
}

/// One invalid field of a 422.
#[derive(Debug, Serialize, ToSchema)]
pub struct FieldProblem {
    pub field: String,
    pub message: String,
}

/// The document of the whole API.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Rocqet Hub",
        description = "Real-time collaboration on LLM prompts and data models. Live editing \
            speaks the y-websocket protocol on `GET /ws/{doc_id}?token=...` (not described here); \
            everything else is this REST API. Errors always have the body `ErrorBody`."
    ),
    paths(
        auth::register, auth::login, auth::refresh, auth::logout, auth::me,
        workspaces::create, workspaces::list, workspaces::read, workspaces::update,
        workspaces::remove, workspaces::members, workspaces::add_member,
        workspaces::set_role, workspaces::remove_member, workspaces::audit_log,
        versions::list, versions::create, versions::read_version, versions::diff,
        versions::restore, versions::labels::set, versions::labels::delete,
        versions::render::render,
        docs::create, docs::list, docs::read, docs::patch, docs::remove, docs::presence,
        ops::healthz, ops::readyz, ops::metrics,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Conventions),
    security(("bearer" = [])),
)]
pub struct ApiDoc;

/// Statuses any authenticated `/api` route may answer besides its own.
const API_ERRORS: [(&str, &str); 10] = [
    (
        "400",
        "Malformed JSON, wrong types or bad query parameters (INVALID_PAYLOAD)",
    ),
    ("401", "No, bad or expired access token (UNAUTHORIZED)"),
    (
        "403",
        "Not a member, or the role does not allow it (FORBIDDEN)",
    ),
    ("404", "No such resource (NOT_FOUND)"),
    ("409", "Duplicate or stale precondition (CONFLICT)"),
    ("413", "Body or document too large (PAYLOAD_TOO_LARGE)"),
    ("422", "Field validation failed (VALIDATION_FAILED)"),
    ("429", "Rate limited; see Retry-After (RATE_LIMITED)"),
    ("500", "Internal error (INTERNAL_ERROR)"),
    ("503", "A dependency is unavailable; retry (UNAVAILABLE)"),
];

/// Adds the bearer scheme and the shared error responses, so each handler's
/// annotation only lists what is particular to it.
struct Conventions;

impl Modify for Conventions {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .build(),
            ),
        );
        for (path, item) in openapi.paths.paths.iter_mut() {
            if !path.starts_with("/api/") {
                continue;
            }
            let operations = [
                &mut item.get,
                &mut item.post,
                &mut item.put,
                &mut item.patch,
                &mut item.delete,
            ];
            for operation in operations.into_iter().flatten() {
                add_errors(operation);
            }
        }
    }
}

fn add_errors(operation: &mut Operation) {
    for (status, description) in API_ERRORS {
        if operation.responses.responses.contains_key(status) {
            continue;
        }
        let response = ResponseBuilder::new()
            .description(description)
            .content(
                "application/json",
                ContentBuilder::new()
                    .schema(Some(RefOr::Ref(utoipa::openapi::Ref::from_schema_name(
                        "ErrorBody",
                    ))))
                    .build(),
            )
            .build();
        operation
            .responses
            .responses
            .insert(status.to_owned(), RefOr::T(response));
    }
}
