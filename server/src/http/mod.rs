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
            Some((name, _))
                if SECRET_PARAMS
                    .iter()
                    .any(|s| percent_decoded(name).eq_ignore_ascii_case(s)) =>
            {
                format!("{name}=***")
            }
            _ => pair.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("&")
}

/// A query parameter name as the server's parser reads it (`%74oken` is `token`).
fn percent_decoded(name: &str) -> String {
    let bytes = name.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' if i + 2 < bytes.len() => {
                let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).unwrap_or("");
                match u8::from_str_radix(hex, 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            b'+' => out.push(b' '),
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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
        assert_eq!(redacted_query("%74oken=eyJ&%"), "%74oken=***&%");
        assert_eq!(redacted_query("to%6Ben=x&a=%"), "to%6Ben=***&a=%");
        assert_eq!(redacted_query(""), "");
    }
}
