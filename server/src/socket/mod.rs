//! `GET /ws/{doc_id}`: the y-websocket endpoint.
//!
//! Every socket is authorised here, before its document is loaded: the token
//! (`?token=` or `Authorization: Bearer`), the document's existence and the
//! caller's role. Refusals still upgrade, then close at once with the code of
//! API.md, because a WebSocket client only ever sees close codes.

pub mod admission;
pub mod connection;
pub mod rate;

use axum::Router;
use axum::extract::{Path, Query, State, WebSocketUpgrade};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use crate::error::ApiError;
use crate::state::AppState;

/// tungstenite reserves its read buffer up front for every connection, so it is most
/// of an idle connection's memory. Edits and cursor moves are tens of bytes; larger
/// frames still arrive whole (tungstenite reserves the announced frame length), at
/// the cost of a few more reads.
const READ_BUFFER: usize = 256;
/// Frames over the limit are refused by us with 4413; tungstenite only cuts off
/// the absurd ones, so it needs headroom beyond our own check.
const FRAME_HEADROOM: usize = 64 * 1024;

/// Routes of the live-editing endpoint.
pub fn router() -> Router<AppState> {
    Router::new().route("/ws/{doc_id}", get(upgrade))
}

/// Query parameters a client may pass on the upgrade.
#[derive(Debug, Default, Deserialize)]
struct Params {
    /// `1` or `true`: acks after durable storage.
    ack: Option<String>,
    /// The access token (what y-websocket's `params` sends); a header works too.
    token: Option<String>,
}

async fn upgrade(
    ws: WebSocketUpgrade,
    Path(doc_id): Path<String>,
    params: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
    headers: HeaderMap,
    State(state): State<AppState>,
) -> Response {
    if !admission::origin_allowed(&state.config.allowed_origins, &headers) {
        return ApiError::Forbidden("origin not allowed".to_owned()).into_response();
    }
    // A malformed query string is treated as no options rather than refusing the socket.
    let params = params.map(|Query(p)| p).unwrap_or_default();
    let token = params
        .token
        .as_deref()
        .or_else(|| crate::auth::bearer_token(&headers));
    let wants_ack = matches!(params.ack.as_deref(), Some("1" | "true"));
    let admission = admission::admit(&state, &doc_id, token, wants_ack).await;
    let max_frame = state.hub.limits().max_frame_bytes;
    let hub = state.hub.clone();
    let auth = state.auth.clone();
    ws.read_buffer_size(READ_BUFFER)
        .write_buffer_size(0)
        .max_message_size(max_frame + FRAME_HEADROOM)
        .max_frame_size(max_frame + FRAME_HEADROOM)
        .on_upgrade(move |socket| connection::serve(socket, hub, auth, admission))
}
