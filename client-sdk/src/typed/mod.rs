//! Typed handles over live documents: [`Prompt`] and [`Model`].
//!
//! Both read through `rocqet_crdt::materialise` (the same JSON the REST API
//! serves) and write through `rocqet_crdt::apply_patch`, so every edit is the
//! minimal CRDT change the server itself would make, and the document schema
//! is checked before anything is written.

mod model;
mod prompt;
mod schema;

pub use model::Model;
pub use prompt::{Prompt, PromptContent, PromptPatch};
/// A rendered prompt: the filled text and the missing names (from `rocqet-crdt`).
pub use rocqet_crdt::render::Rendered;
/// A prompt variable: name, description, default, required (from `rocqet-crdt`).
pub use rocqet_crdt::render::Variable;
pub use schema::{
    Field, FieldPatch, FieldType, ModelContent, ModelPatch, Relation, RelationKind, RelationPatch,
};

use rocqet_crdt::DocKind;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::{ClientError, LiveDoc};

/// Runs a read-modify-write edit under the edit lock, so no remote update
/// lands between what `edit` reads and the patch it applies.
fn locked<R>(
    live: &LiveDoc,
    edit: impl FnOnce(&yrs::Doc) -> Result<R, ClientError>,
) -> Result<R, ClientError> {
    let _edits = live.shared().edit_lock();
    edit(live.doc())
}

/// Applies `patch` to the live document as one transaction (sent as one
/// update). Nothing changes if the schema refuses it.
fn apply(live: &LiveDoc, kind: DocKind, patch: &Value) -> Result<(), ClientError> {
    locked(live, |doc| {
        rocqet_crdt::apply_patch(doc, kind, patch)?;
        Ok(())
    })
}

/// Reads the document as `T` through the API's JSON. The materialised JSON
/// always has the schema's shape, so a failure here is a bug worth a log
/// line, not an error for the caller: it reads as the empty default.
fn read<T: DeserializeOwned + Default>(live: &LiveDoc, kind: DocKind) -> T {
    let json = rocqet_crdt::materialise(live.doc(), kind);
    serde_json::from_value(json).unwrap_or_else(|e| {
        tracing::warn!(%kind, "materialised document does not match its type: {e}");
        T::default()
    })
}
