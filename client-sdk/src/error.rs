//! The SDK's one error type.

use tokio_tungstenite::tungstenite;

/// Everything that can go wrong in the SDK.
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
