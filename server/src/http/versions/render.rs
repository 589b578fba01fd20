//! Rendering a prompt: its live or versioned template with the placeholders filled in.
//!
//! The grammar is `rocqet_crdt::render`'s: `{{name}}` with optional spaces
//! inside the braces; a name is an ASCII letter or `_`, then letters, digits,
//! `_`, `.` or `-`; `\{{` is a literal `{{`.

use axum::extract::{Path, State};
use rocqet_crdt::DocKind;

use super::{RenderBody, RenderRequest, optional_body, read_content};
use crate::auth::{Caller, Role};
use crate::error::ApiError;
use crate::http::guard;
use crate::http::json::Json;
use crate::state::AppState;
use crate::versions::Selector;

/// Fills a prompt's placeholders from `variables` (viewer). Without `version` or
/// `label` the live content is rendered.
#[utoipa::path(post, path = "/api/prompts/{id}/render", tag = "versions",
    params(("id" = String, Path, description = "Prompt id")),
    request_body = RenderRequest,
    responses((status = 200, description = "The filled text and what is missing", body = RenderBody),
              (status = 400, description = "Both `version` and `label` given"),
              (status = 404, description = "No such prompt, version or label")))]
pub(crate) async fn render(
    State(state): State<AppState>,
    caller: Caller,
    Path(id): Path<String>,
    raw: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<Json<RenderBody>, ApiError> {
    let (id, _, _) = guard::document(&state, &caller, DocKind::Prompt, &id, Role::Viewer).await?;
    let body: RenderRequest = optional_body(raw)?;
    let selector = match (body.version, body.label) {
        (Some(_), Some(_)) => {
            return Err(ApiError::InvalidPayload(
                "give either version or label, not both".to_owned(),
            ));
        }
        (Some(n), None) => Some(Selector::Number(n)),
        (None, Some(label)) => Some(Selector::Label(label)),
        (None, None) => None,
    };
    let (content, version) = match selector {
        Some(selector) => {
            let (content, number) = read_content(&state, DocKind::Prompt, id, &selector).await?;
            (content, Some(number))
        }
        None => (state.hub.read(id).await?.0, None),
    };
    let rendered = rocqet_crdt::render::render_prompt(&content, &body.variables);
    Ok(Json(RenderBody {
        text: rendered.text,
        missing: rendered.missing,
        version,
    }))
}
