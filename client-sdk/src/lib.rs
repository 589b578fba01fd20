//! Rust SDK for Rocqet Hub.
//!
//! [`LiveDoc`] opens one document over one WebSocket speaking the standard
//! y-websocket protocol: it syncs with the server, sends every local edit as
//! it commits, applies remote ones, relays awareness, and, with
//! [`ConnectOptions::ack`], counts the server's save acks so
//! [`LiveDoc::wait_saved`] means "stored".
//!
//! Nothing here sleeps: the `wait_*` methods wake on each change and are
//! meant to be wrapped in `tokio::time::timeout`.
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
#![forbid(unsafe_code)]

mod conn;
mod error;
mod live;
mod options;

pub use error::ClientError;
pub use live::LiveDoc;
pub use options::ConnectOptions;
/// The yrs version this SDK speaks, re-exported so callers match it.
pub use yrs;
