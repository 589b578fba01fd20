//! The HTTP surface: REST areas, the WebSocket endpoint, operations and the web editor.

pub mod documents;
pub mod json;
mod ops;
mod web;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Request;
use tower_http::trace::TraceLayer;

use crate::state::AppState;

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.limits.max_body_bytes;
    let web_dir = state.config.web_dir.clone();
    Router::new()
        .merge(documents::router())
        .merge(crate::socket::router())
        .merge(ops::router())
        .layer(DefaultBodyLimit::max(body_limit))
        // Only the path is traced: the query string may carry a token.
        .layer(TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
            tracing::info_span!("http", method = %request.method(), path = %request.uri().path())
        }))
        .with_state(state)
        .fallback_service(web::fallback(&web_dir))
}
