//! The HTTP surface: REST areas, the WebSocket endpoint, operations and the web editor.

mod audit;
pub mod auth;
pub mod documents;
mod guard;
pub mod json;
mod openapi;
mod ops;
mod validate;
pub mod versions;
mod web;
pub mod workspaces;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::Request;
use tower_http::trace::TraceLayer;

use crate::state::AppState;

/// Query parameters whose values are credentials.
const SECRET_PARAMS: [&str; 3] = ["token", "access_token", "refresh_token"];

/// The query string as traced: credential values replaced by `***`, so a socket's
/// `?token=` never reaches a log line.
pub fn redacted_query(query: &str) -> String {
    query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((name, _)) if SECRET_PARAMS.iter().any(|s| name.eq_ignore_ascii_case(s)) => {
                format!("{name}=***")
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// The whole application router.
pub fn router(state: AppState) -> Router {
    let body_limit = state.config.limits.max_body_bytes;
    let web_dir = state.config.web_dir.clone();
    Router::new()
        .merge(auth::router())
        .merge(workspaces::router())
        .merge(documents::router())
        .merge(versions::router())
        .merge(crate::socket::router())
        .merge(ops::router())
        .merge(openapi::router())
        .layer(DefaultBodyLimit::max(body_limit))
        .layer(
            TraceLayer::new_for_http().make_span_with(|request: &Request<_>| {
                tracing::info_span!(
                    "http",
                    method = %request.method(),
                    path = %request.uri().path(),
                    query = %redacted_query(request.uri().query().unwrap_or("")),
                )
            }),
        )
        .with_state(state)
        .fallback_service(web::fallback(&web_dir))
}

#[cfg(test)]
mod tests {
    use super::redacted_query;

    #[test]
    fn tokens_in_query_strings_are_redacted() {
        assert_eq!(redacted_query("token=eyJ.abc.def&ack=1"), "token=***&ack=1");
        assert_eq!(redacted_query("ack=1&TOKEN=x"), "ack=1&TOKEN=***");
        assert_eq!(redacted_query("q=token&limit=5"), "q=token&limit=5");
        assert_eq!(redacted_query(""), "");
    }
}
