//! Health, readiness and metrics.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;
use serde_json::json;

use super::json::Json;
use crate::error::ApiError;
use crate::state::AppState;

/// Operational routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
}

/// The process is alive.
#[utoipa::path(get, path = "/healthz", tag = "operations", security(()),
    responses((status = 200, description = "Alive", body = Object)))]
pub(super) async fn healthz() -> Json<serde_json::Value> {
    Json(json!({"status": "ok"}))
}

/// The database answers; reports Redis when configured (`redis: "down"` is degraded, not unready).
#[utoipa::path(get, path = "/readyz", tag = "operations", security(()),
    responses((status = 200, description = "Ready", body = Object),
              (status = 503, description = "A dependency is down", body = super::openapi::ErrorBody)))]
pub(super) async fn readyz(
    State(state): State<AppState>,
) -> Result<Json<serde_json::Value>, ApiError> {
    state.store.ping().await.map_err(|e| {
        tracing::warn!(error = %e, "readiness check failed");
        ApiError::Unavailable("database unreachable".to_owned())
    })?;
    // Without Redis a node still serves (and stores) its own clients' edits, so it
    // stays ready: if Redis is down for every node, failing them all would be worse.
    let (status, redis) = match &state.cluster {
        None => ("ready", "not configured"),
        Some(cluster) if cluster.ping().await => ("ready", "ok"),
        Some(_) => ("degraded", "down"),
    };
    Ok(Json(
        json!({"status": status, "database": "ok", "redis": redis}),
    ))
}

/// Prometheus text exposition.
#[utoipa::path(get, path = "/metrics", tag = "operations", security(()),
    responses((status = 200, description = "Prometheus text format", content_type = "text/plain", body = String)))]
pub(super) async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    metrics::gauge!("rocqet_persist_queue_depth").set(state.hub.persist_queue_depth() as f64);
    metrics::gauge!("rocqet_rooms").set(state.hub.room_count() as f64);
    (
        [(header::CONTENT_TYPE, "text/plain; version=0.0.4")],
        state.metrics.render(),
    )
}
