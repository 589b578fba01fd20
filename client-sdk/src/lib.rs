//! Rust SDK for Rocqet Hub.
//!
//! - [`LiveDoc`] opens one document over a WebSocket speaking the standard
//!   y-websocket protocol: it syncs with the server, sends every local edit
//!   as it commits, applies remote ones, relays awareness, and, with
//!   [`ConnectOptions::ack`], counts the server's save acks so
//!   [`LiveDoc::wait_saved`] means "stored". With
//!   [`ConnectOptions::reconnect`] it survives lost sockets: it goes
//!   [`Status::Offline`], keeps local edits, and dials again with
//!   exponential [`Backoff`] and jitter; the next sync handshake sends what
//!   the server is missing.
//! - [`Prompt`] and [`Model`] are typed handles over a `LiveDoc`, reading and
//!   editing through `rocqet-crdt`'s schema (the same JSON and the same
//!   minimal edits as the server's REST PATCH).
//! - Presence: [`LiveDoc::set_presence`] and [`LiveDoc::peers`], with the
//!   user the server vouches for in each [`Peer`].
//! - [`Status`] events: connecting, synced, saved, offline, closed.
//! - [`rest::Client`] covers the REST API with typed requests and answers.
//!
//! Nothing here sleeps to wait: the `wait_*` methods wake on each change and
//! are meant to be wrapped in `tokio::time::timeout`.
//!
//! ```no_run
//! use std::time::Duration;
//! use rocqet_client::{ConnectOptions, LiveDoc};
//!
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! let options = ConnectOptions::new().token("eyJ...").ack(true);
//! let live = LiveDoc::connect("ws://127.0.0.1:8080/ws/0190e5c2-...", options).await?;
//! live.wait_synced().await?;
//!
//! live.insert_text("content", 0, "Hello");
//! live.set_awareness(serde_json::json!({"user": {"name": "Ada"}}))?;
//! live.wait_saved().await?; // the server has stored the edit
//!
//! // Wait (bounded) for someone else's edit to arrive.
//! tokio::time::timeout(
//!     Duration::from_secs(5),
//!     live.wait_until(|_doc| live.text("content").ends_with("world")),
//! )
//! .await??;
//! live.close().await;
//! # Ok(())
//! # }
//! ```
//!
//! Logging in over REST, then editing a prompt live:
//!
//! ```no_run
//! use rocqet_client::rest::Client;
//! use rocqet_client::{DocId, Status};
//!
//! # async fn demo() -> Result<(), rocqet_client::ClientError> {
//! let client = Client::new("http://127.0.0.1:8080")?;
//! client.login("ada@example.com", "correct horse battery").await?;
//! // Token, acks, reconnect and token refresh come from the session.
//! let prompt = client.open_prompt(&DocId::from("0190e5c2-...")).await?;
//! prompt.set_content("Hello {{name}}")?;
//! prompt.wait_status(Status::Saved).await?;
//! # Ok(())
//! # }
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod error;
mod ids;
mod live;
mod options;
mod presence;
pub mod rest;
mod status;
mod token;
mod typed;

pub use error::{ApiError, ClientError, ErrorCode};
pub use ids::{DocId, UserId, WorkspaceId};
pub use live::reconnect::Backoff;
pub use live::{Changes, LiveDoc};
pub use options::ConnectOptions;
pub use presence::{Peer, PeerUser};
pub use status::Status;
pub use token::TokenProvider;
pub use typed::{
    Field, FieldPatch, FieldType, Model, ModelContent, ModelPatch, Prompt, PromptContent,
    PromptPatch, Relation, RelationKind, RelationPatch, Rendered, Variable,
};
/// The yrs version this SDK speaks, re-exported so callers match it.
pub use yrs;
