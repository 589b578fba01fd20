//! `ApiError`: every REST failure, its status, and the JSON body of API.md.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use rocqet_crdt::CrdtError;
use serde_json::json;

use crate::hub::HubError;
use crate::store::StoreError;
use crate::versions::VersionError;

/// A REST error; `IntoResponse` writes `{"error":{"code","message","details"}}`.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// 400 `INVALID_PAYLOAD`: malformed JSON, wrong types, bad query parameters.
    #[error("{0}")]
    InvalidPayload(String),
    /// 401 `UNAUTHORIZED`.
    #[error("{0}")]
    Unauthorized(String),
    /// 403 `FORBIDDEN`.
    #[error("{0}")]
    Forbidden(String),
    /// 404 `NOT_FOUND`.
    #[error("{0}")]
    NotFound(String),
    /// 409 `CONFLICT`: duplicate slug or email, stale precondition.
    #[error("{0}")]
    Conflict(String),
    /// 413 `PAYLOAD_TOO_LARGE`.
    #[error("{0}")]
    PayloadTooLarge(String),
    /// 422 `VALIDATION_FAILED`, with `[{"field","message"}]` details.
    #[error("validation failed")]
    Validation(Vec<rocqet_crdt::FieldError>),
    /// 429 `RATE_LIMITED`, with `Retry-After` in seconds.
    #[error("rate limited")]
    RateLimited { retry_after_secs: u64 },
    /// 503 `UNAVAILABLE`: a dependency (database, Redis) is down; try again.
    #[error("{0}")]
    Unavailable(String),
    /// 500 `INTERNAL_ERROR`: the cause is logged, never sent.
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    /// The HTTP status for this error; the one place statuses are decided.
    pub fn status_code(&self) -> StatusCode {
        match self {
            ApiError::InvalidPayload(_) => StatusCode::BAD_REQUEST,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Validation(_) => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::RateLimited { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The stable machine-readable code of API.md.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::InvalidPayload(_) => "INVALID_PAYLOAD",
            ApiError::Unauthorized(_) => "UNAUTHORIZED",
            ApiError::Forbidden(_) => "FORBIDDEN",
            ApiError::NotFound(_) => "NOT_FOUND",
            ApiError::Conflict(_) => "CONFLICT",
            ApiError::PayloadTooLarge(_) => "PAYLOAD_TOO_LARGE",
            ApiError::Validation(_) => "VALIDATION_FAILED",
            ApiError::RateLimited { .. } => "RATE_LIMITED",
            ApiError::Unavailable(_) => "UNAVAILABLE",
            ApiError::Internal(_) => "INTERNAL_ERROR",
        }
    }

    /// A 404 naming what was missing.
    pub fn not_found(what: &str) -> Self {
        ApiError::NotFound(format!("{what} not found"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let status = self.status_code();
        let (message, details) = match &self {
            ApiError::Internal(cause) => {
                tracing::error!(%cause, "internal error");
                ("internal error".to_owned(), serde_json::Value::Null)
            }
            ApiError::Validation(fields) => (
                "validation failed".to_owned(),
                serde_json::to_value(fields).unwrap_or(serde_json::Value::Null),
            ),
            other => (other.to_string(), serde_json::Value::Null),
        };
        let body = json!({"error": {"code": self.code(), "message": message, "details": details}});
        let mut response = (status, axum::Json(body)).into_response();
        if let ApiError::RateLimited { retry_after_secs } = self {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(retry_after_secs));
        }
        response
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::not_found("resource"),
            StoreError::Conflict(what) => ApiError::Conflict(format!("conflict on {what}")),
            StoreError::InvalidCursor => ApiError::InvalidPayload("invalid cursor".to_owned()),
            StoreError::Database(db) if is_unavailable(&db) => {
                tracing::warn!(error = %db, "database unavailable");
                ApiError::Unavailable("database unavailable".to_owned())
            }
            other => ApiError::Internal(other.to_string()),
        }
    }
}

fn is_unavailable(e: &sqlx::Error) -> bool {
    matches!(
        e,
        sqlx::Error::PoolTimedOut | sqlx::Error::Io(_) | sqlx::Error::PoolClosed
    )
}

impl From<CrdtError> for ApiError {
    fn from(e: CrdtError) -> Self {
        match e {
            CrdtError::Validation(fields) => ApiError::Validation(fields),
            CrdtError::Malformed(m) | CrdtError::Update(m) => ApiError::InvalidPayload(m),
        }
    }
}

impl From<HubError> for ApiError {
    fn from(e: HubError) -> Self {
        match e {
            HubError::NotFound => ApiError::not_found("document"),
            HubError::Store(store) => match std::sync::Arc::try_unwrap(store) {
                Ok(store) => store.into(),
                Err(shared) => ApiError::Internal(shared.to_string()),
            },
            HubError::Crdt(crdt) => match &*crdt {
                CrdtError::Validation(fields) => ApiError::Validation(fields.clone()),
                other => ApiError::InvalidPayload(other.to_string()),
            },
            HubError::TooManyConnections => ApiError::RateLimited {
                retry_after_secs: 1,
            },
            HubError::TooLarge => ApiError::PayloadTooLarge("document too large".to_owned()),
            HubError::ShuttingDown => ApiError::Unavailable("server shutting down".to_owned()),
            HubError::Stale => ApiError::Conflict(
                "the read this change was made on is too old to merge; read the document again"
                    .to_owned(),
            ),
            HubError::Gone => ApiError::Unavailable("document is reloading; retry".to_owned()),
        }
    }
}

impl From<VersionError> for ApiError {
    fn from(e: VersionError) -> Self {
        match e {
            VersionError::NotFound => ApiError::not_found("version"),
            VersionError::Store(StoreError::NotFound) => ApiError::not_found("document"),
            VersionError::Store(store) => store.into(),
            VersionError::Corrupt(cause) => ApiError::Internal(cause),
            VersionError::Hub(hub) => hub.into(),
        }
    }
}
