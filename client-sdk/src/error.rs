//! The SDK's one error type, and the API's error body it carries.

use std::fmt;
use std::time::Duration;

use rocqet_crdt::FieldError;
use serde_json::Value;
use tokio_tungstenite::tungstenite;

/// Everything that can go wrong in the SDK.
///
/// ```
/// use rocqet_client::{ClientError, ErrorCode};
///
/// fn explain(err: &ClientError) -> String {
///     match err {
///         ClientError::Api(api) if api.code == ErrorCode::NotFound => "no such thing".into(),
///         ClientError::Closed { code: 4403, .. } => "no access".into(),
///         other => other.to_string(),
///     }
/// }
/// assert_eq!(explain(&ClientError::AckDisabled), ClientError::AckDisabled.to_string());
/// ```
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    /// The URL could not be used (not `ws://` or `wss://`, or malformed).
    #[error("invalid url: {0}")]
    InvalidUrl(String),
    /// The server refused the WebSocket upgrade with this HTTP status.
    #[error("websocket upgrade rejected with HTTP {status}")]
    Rejected {
        /// The HTTP status code of the refusal.
        status: u16,
    },
    /// Transport failure while connecting (DNS, TCP, TLS, handshake).
    #[error("websocket: {0}")]
    WebSocket(Box<tungstenite::Error>),
    /// The connection is closed; `code` is the close code the server sent
    /// (1006 when the connection dropped without a close frame).
    #[error("connection closed ({code}: {reason})")]
    Closed {
        /// WebSocket close code, for example 4400 or 4401.
        code: u16,
        /// The close reason the server gave.
        reason: String,
    },
    /// The server sent something this client cannot decode or apply.
    #[error("protocol error: {0}")]
    Protocol(String),
    /// `wait_saved` needs acks: connect with [`ConnectOptions::ack`](crate::ConnectOptions::ack).
    #[error("acks are off; connect with ConnectOptions::ack(true) to track saves")]
    AckDisabled,
    /// The server answered an update with a negative ack: it was not stored.
    #[error("the server did not store {0} update(s)")]
    NotSaved(u64),
    /// Awareness state could not be serialised.
    #[error("awareness: {0}")]
    Awareness(String),
    /// The local document was busy in another transaction.
    #[error("document busy: {0}")]
    DocBusy(String),
    /// A REST call got a non-2xx answer; the API's error body is inside.
    #[error("{0}")]
    Api(Box<ApiError>),
    /// A REST call got no answer (connection refused, timeout, TLS).
    #[error("http: {0}")]
    Http(Box<reqwest::Error>),
    /// A REST answer was not the JSON the API promises.
    #[error("unexpected response: {0}")]
    Decode(String),
    /// A REST call needs a session: log in or register first.
    #[error("not logged in")]
    NotLoggedIn,
    /// A typed edit breaks the document schema; nothing was changed.
    #[error("invalid edit: {}", field_list(.0))]
    Invalid(Vec<FieldError>),
}

impl ClientError {
    /// The HTTP status behind this error: the REST answer's, or the refused
    /// upgrade's. `None` for everything else.
    pub fn status(&self) -> Option<u16> {
        match self {
            ClientError::Api(api) => Some(api.status),
            ClientError::Rejected { status } => Some(*status),
            _ => None,
        }
    }

    /// The API error code of a REST failure, if this is one.
    pub fn code(&self) -> Option<&ErrorCode> {
        match self {
            ClientError::Api(api) => Some(&api.code),
            _ => None,
        }
    }
}

fn field_list(fields: &[FieldError]) -> String {
    fields
        .iter()
        .map(|f| format!("{}: {}", f.field, f.message))
        .collect::<Vec<_>>()
        .join("; ")
}

impl From<tungstenite::Error> for ClientError {
    fn from(err: tungstenite::Error) -> Self {
        match err {
            tungstenite::Error::Http(response) => ClientError::Rejected {
                status: response.status().as_u16(),
            },
            tungstenite::Error::Url(e) => ClientError::InvalidUrl(e.to_string()),
            other => ClientError::WebSocket(Box::new(other)),
        }
    }
}

impl From<reqwest::Error> for ClientError {
    fn from(err: reqwest::Error) -> Self {
        ClientError::Http(Box::new(err))
    }
}

impl From<rocqet_crdt::CrdtError> for ClientError {
    fn from(err: rocqet_crdt::CrdtError) -> Self {
        match err {
            rocqet_crdt::CrdtError::Validation(fields) => ClientError::Invalid(fields),
            other => ClientError::Protocol(other.to_string()),
        }
    }
}

/// A REST failure as the API reports it: `{"error": {"code", "message",
/// "details"}}` plus the HTTP status (and `Retry-After` on 429).
///
/// ```
/// use rocqet_client::{ApiError, ErrorCode};
///
/// let body = br#"{"error":{"code":"VALIDATION_FAILED","message":"validation failed",
///     "details":[{"field":"email","message":"must be an email address"}]}}"#;
/// let err = ApiError::from_response(422, body, None);
/// assert_eq!(err.code, ErrorCode::ValidationFailed);
/// assert_eq!(err.fields()[0].field, "email");
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    /// HTTP status, for example 404.
    pub status: u16,
    /// The stable machine-readable code.
    pub code: ErrorCode,
    /// What went wrong, for humans.
    pub message: String,
    /// Extra facts: for `VALIDATION_FAILED`, `[{"field","message"}]`.
    pub details: Value,
    /// How long to wait before trying again (429 only).
    pub retry_after: Option<Duration>,
}

impl ApiError {
    /// Reads an error answer. A body that is not the API's error shape
    /// (a proxy's HTML page, say) still gives an error with the status and
    /// the start of the body as its message.
    pub fn from_response(status: u16, body: &[u8], retry_after: Option<Duration>) -> Self {
        let parsed: Option<Value> = serde_json::from_slice(body).ok();
        let error = parsed.as_ref().and_then(|v| v.get("error"));
        let text = |key: &str| {
            error
                .and_then(|e| e.get(key))
                .and_then(Value::as_str)
                .map(str::to_owned)
        };
        let code = match text("code") {
            Some(code) => ErrorCode::from_code(&code),
            None => ErrorCode::from_status(status),
        };
        let message = text("message").unwrap_or_else(|| {
            let raw = String::from_utf8_lossy(body);
            raw.chars().take(200).collect()
        });
        let details = error
            .and_then(|e| e.get("details"))
            .cloned()
            .unwrap_or(Value::Null);
        ApiError {
            status,
            code,
            message,
            details,
            retry_after,
        }
    }

    /// The rejected fields of a `VALIDATION_FAILED` answer (empty otherwise).
    pub fn fields(&self) -> Vec<FieldError> {
        self.details
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|item| {
                let field = item.get("field")?.as_str()?;
                let message = item.get("message")?.as_str()?;
                Some(FieldError::new(field, message))
            })
            .collect()
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {} {}: {}", self.status, self.code, self.message)?;
        let fields = self.fields();
        if !fields.is_empty() {
            write!(f, " ({})", field_list(&fields))?;
        }
        Ok(())
    }
}

/// The API's error codes (API.md, "Errors").
///
/// ```
/// use rocqet_client::ErrorCode;
///
/// assert_eq!(ErrorCode::from_code("NOT_FOUND"), ErrorCode::NotFound);
/// assert_eq!(ErrorCode::from_code("TEAPOT").as_str(), "TEAPOT");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// 400: malformed JSON, wrong types, bad query parameters.
    InvalidPayload,
    /// 401: no token, or a bad or expired one.
    Unauthorized,
    /// 403: the role does not allow it.
    Forbidden,
    /// 404: no such resource (or not visible to the caller).
    NotFound,
    /// 409: duplicate slug or email, stale precondition.
    Conflict,
    /// 413: the body is too large.
    PayloadTooLarge,
    /// 422: fields failed validation; see [`ApiError::fields`].
    ValidationFailed,
    /// 429: slow down; see [`ApiError::retry_after`].
    RateLimited,
    /// 503: a dependency is down; try again.
    Unavailable,
    /// 500: the server failed.
    Internal,
    /// A code this SDK does not know yet.
    Other(String),
}

impl ErrorCode {
    /// Parses the `code` of an error body.
    pub fn from_code(code: &str) -> Self {
        match code {
            "INVALID_PAYLOAD" => ErrorCode::InvalidPayload,
            "UNAUTHORIZED" => ErrorCode::Unauthorized,
            "FORBIDDEN" => ErrorCode::Forbidden,
            "NOT_FOUND" => ErrorCode::NotFound,
            "CONFLICT" => ErrorCode::Conflict,
            "PAYLOAD_TOO_LARGE" => ErrorCode::PayloadTooLarge,
            "VALIDATION_FAILED" => ErrorCode::ValidationFailed,
            "RATE_LIMITED" => ErrorCode::RateLimited,
            "UNAVAILABLE" => ErrorCode::Unavailable,
            "INTERNAL_ERROR" => ErrorCode::Internal,
            other => ErrorCode::Other(other.to_owned()),
        }
    }

    /// The code an answer without an error body most likely means.
    pub fn from_status(status: u16) -> Self {
        match status {
            400 => ErrorCode::InvalidPayload,
            401 => ErrorCode::Unauthorized,
            403 => ErrorCode::Forbidden,
            404 => ErrorCode::NotFound,
            409 => ErrorCode::Conflict,
            413 => ErrorCode::PayloadTooLarge,
            422 => ErrorCode::ValidationFailed,
            429 => ErrorCode::RateLimited,
            503 => ErrorCode::Unavailable,
            500 => ErrorCode::Internal,
            other => ErrorCode::Other(format!("HTTP_{other}")),
        }
    }

    /// The code as the API spells it.
    pub fn as_str(&self) -> &str {
        match self {
            ErrorCode::InvalidPayload => "INVALID_PAYLOAD",
            ErrorCode::Unauthorized => "UNAUTHORIZED",
            ErrorCode::Forbidden => "FORBIDDEN",
            ErrorCode::NotFound => "NOT_FOUND",
            ErrorCode::Conflict => "CONFLICT",
            ErrorCode::PayloadTooLarge => "PAYLOAD_TOO_LARGE",
            ErrorCode::ValidationFailed => "VALIDATION_FAILED",
            ErrorCode::RateLimited => "RATE_LIMITED",
            ErrorCode::Unavailable => "UNAVAILABLE",
            ErrorCode::Internal => "INTERNAL_ERROR",
            ErrorCode::Other(code) => code,
        }
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_api_error_body() {
        let body = br#"{"error":{"code":"RATE_LIMITED","message":"rate limited","details":null}}"#;
        let err = ApiError::from_response(429, body, Some(Duration::from_secs(3)));
        assert_eq!(err.code, ErrorCode::RateLimited);
        assert_eq!(err.message, "rate limited");
        assert_eq!(err.retry_after, Some(Duration::from_secs(3)));
        assert!(err.fields().is_empty());
    }

    #[test]
    fn a_foreign_body_still_gives_status_and_text() {
        let err = ApiError::from_response(502, b"<html>bad gateway</html>", None);
        assert_eq!(err.code, ErrorCode::Other("HTTP_502".into()));
        assert_eq!(err.message, "<html>bad gateway</html>");
        let err = ApiError::from_response(404, b"", None);
        assert_eq!(err.code, ErrorCode::NotFound);
    }

    #[test]
    fn validation_details_become_field_errors_in_the_message() {
        let body = br#"{"error":{"code":"VALIDATION_FAILED","message":"validation failed",
            "details":[{"field":"name","message":"must be 1 to 100 characters"}]}}"#;
        let err = ClientError::Api(Box::new(ApiError::from_response(422, body, None)));
        assert_eq!(err.status(), Some(422));
        assert_eq!(err.code(), Some(&ErrorCode::ValidationFailed));
        assert_eq!(
            err.to_string(),
            "HTTP 422 VALIDATION_FAILED: validation failed (name: must be 1 to 100 characters)"
        );
    }
}
