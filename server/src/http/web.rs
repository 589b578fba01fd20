//! Everything no route matched: JSON 404s under `/api`, otherwise the web editor,
//! served from the built bundle, or a placeholder page until it is built.

use axum::Router;
use axum::response::Html;
use axum::routing::{any, get};
use tower_http::services::{ServeDir, ServeFile};

use crate::error::ApiError;

/// Shown when no built editor is found, so `/` always answers.
const PLACEHOLDER: &str = include_str!("../../../web/index.html");

/// The fallback router: unknown API paths get our error body; the rest is the editor
/// (a Vite build in `dir`, with `index.html` for client-side routes) or the placeholder.
pub fn fallback(dir: &std::path::Path) -> Router {
    let api_not_found = any(|| async { ApiError::not_found("route") });
    let router = Router::new()
        .route("/api", api_not_found.clone())
        .route("/api/{*rest}", api_not_found);
    let index = dir.join("index.html");
    if index.is_file() {
        router.fallback_service(ServeDir::new(dir).fallback(ServeFile::new(index)))
    } else {
        router.route("/", get(|| async { Html(PLACEHOLDER) }))
    }
}
