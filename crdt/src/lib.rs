//! Pure CRDT logic for Rocqet Hub: document schemas over yrs, the wire
//! codec, JSON materialisation and patching. No I/O, no async.
//!
//! - [`schema`]: the name of every shared type and key (mirrored by `web/`).
//! - [`new_doc`], [`materialise`], [`apply_patch`]: create a document, read
//!   it as the API's JSON, change it from a PATCH body as minimal CRDT edits.
//! - [`protocol`]: y-websocket frames in and out, plus our ack extension.
//! - [`decode_update`]: untrusted update bytes to a `yrs::Update`, never a panic.
//! - [`apply_update`]: decode and apply untrusted update bytes; a yrs panic
//!   comes back as [`ApplyError::Panicked`], never unwinds into the caller.
//! - [`placeholders`]: `{{name}}` parsing (and the `\{{` escape), shared with
//!   rendering.
//! - [`position`]: the fractional indexes that order fields and relations.
//! - [`history`]: versions as stored (state vector, diff, snapshot) and any
//!   version's content rebuilt from them.
//! - [`restore`]: the minimal edit that brings the live document back to an
//!   old version's content.
//! - [`diff`]: what changed between two versions' contents, as JSON.
//! - [`render`]: a prompt template with its placeholders filled in.
//!
//! ```
//! use rocqet_crdt::{DocKind, apply_patch, materialise, new_doc};
//! use serde_json::json;
//!
//! let doc = new_doc();
//! let update = apply_patch(&doc, DocKind::Prompt, &json!({"content": "Hi {{name}}"})).unwrap();
//! assert!(!update.is_empty()); // broadcast this to peers as a sync Update
//!
//! let prompt = materialise(&doc, DocKind::Prompt);
//! assert_eq!(prompt["variables"][0]["name"], "name");
//!
//! // The same update as a y-websocket frame, and back.
//! use rocqet_crdt::protocol::{Frame, decode_frame, encode_update};
//! let frame = encode_update(&update);
//! assert_eq!(decode_frame(&frame).unwrap(), Frame::Update(&update[..]));
//! ```
#![forbid(unsafe_code)]
// Tests may unwrap; library code never unwraps anything derived from input.
#![cfg_attr(test, allow(clippy::unwrap_used))]

mod collection;
pub mod diff;
mod document;
mod error;
pub mod history;
mod json;
mod kind;
mod model;
mod ordering;
pub mod placeholders;
pub mod position;
mod prompt;
pub mod protocol;
pub mod render;
mod restore;
pub mod schema;
#[cfg(test)]
mod test_support;
mod text_diff;
pub mod text_merge;
mod update;
mod validate;

pub use document::{apply_patch, materialise, new_doc};
pub use error::{CrdtError, FieldError};
pub use kind::{DocKind, UnknownKind};
pub use restore::restore;
pub use update::{ApplyError, apply_client_update, apply_update, decode_update, fold_updates};
