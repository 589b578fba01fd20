//! What changed between two versions, computed from their materialised JSON.
//!
//! Both sides are contents of the same kind as [`crate::materialise`]
//! writes them (any two versions, in either order, or a version and the live
//! document). Inputs are read leniently: a missing or mistyped key reads as
//! empty, so a diff never fails. Every list has a defined order, so the same
//! two contents always give the same JSON. Field names are snake_case.
//!
//! Prompt diff ([`PromptDiff`]):
//!
//! ```json
//! {
//!   "metadata": [{"field": "title", "from": "Greeter", "to": "Greeter v2"}],
//!   "content": [{"old_start": 1, "old_lines": 1, "new_start": 1, "new_lines": 1, "lines": [
//!     {"op": "delete", "old_line": 1, "new_line": null, "text": "Hi {{name}}",
//!      "segments": [{"op": "equal", "text": "Hi {{"}, {"op": "delete", "text": "name"},
//!                   {"op": "equal", "text": "}}"}]},
//!     {"op": "insert", "old_line": null, "new_line": 1, "text": "Hi {{user}}",
//!      "segments": [{"op": "equal", "text": "Hi {{"}, {"op": "insert", "text": "user"},
//!                   {"op": "equal", "text": "}}"}]}]}],
//!   "variables": {"added": [{"name": "user", "description": "", "default": null, "required": true}],
//!                 "removed": [{"name": "name", "description": "", "default": null, "required": true}],
//!                 "changed": []}
//! }
//! ```
//!
//! Model diff ([`ModelDiff`]):
//!
//! ```json
//! {
//!   "metadata": [{"field": "name", "from": "User", "to": "Person"}],
//!   "fields": {"added": [], "removed": [], "renamed": [{"id": "f2", "from": "email", "to": "mail"}],
//!              "retyped": [{"id": "f2", "name": "mail", "from": "string", "to": "text"}],
//!              "reordered": ["f2"],
//!              "changed": [{"id": "f1", "name": "id", "attribute": "unique", "from": false, "to": true}]},
//!   "relations": {"added": [], "removed": [], "renamed": [], "retyped": [], "reordered": [], "changed": []}
//! }
//! ```
//!
//! See [`text`] for the hunk format and [`CollectionDiff`] for what each
//! list of a model diff holds.

mod model;
mod order;
mod prompt;
pub mod text;

pub use model::{AttributeChange, CollectionDiff, ModelDiff, Renamed, Retyped, model};
pub use prompt::{PromptDiff, VariableChange, VariablesDiff, prompt};
pub use text::{Hunk, Line, Op, Segment};

use crate::kind::DocKind;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// A diff body of either kind; serialises as the inner diff (no tag: the caller knows the kind).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Diff {
    /// Changes between two prompts.
    Prompt(PromptDiff),
    /// Changes between two models.
    Model(ModelDiff),
}

/// The changes from `from` to `to`, two materialised contents of `kind`.
pub fn diff(kind: DocKind, from: &Value, to: &Value) -> Diff {
    match kind {
        DocKind::Prompt => Diff::Prompt(prompt(from, to)),
        DocKind::Model => Diff::Model(model(from, to)),
    }
}

/// One changed metadata value: `field` is a top-level key or a path like `settings.temperature`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetadataChange {
    /// Which value changed.
    pub field: String,
    /// The old value; null when the key did not exist.
    pub from: Value,
    /// The new value; null when the key no longer exists.
    pub to: Value,
}

/// The value under `key`, or null.
fn get<'a>(value: &'a Value, key: &str) -> &'a Value {
    value.get(key).unwrap_or(&Value::Null)
}

/// The string under `key`, or `""`.
fn get_str<'a>(value: &'a Value, key: &str) -> &'a str {
    value.get(key).and_then(Value::as_str).unwrap_or_default()
}

/// The array under `key`, or an empty slice.
fn get_list<'a>(value: &'a Value, key: &str) -> &'a [Value] {
    value
        .get(key)
        .and_then(Value::as_array)
        .map_or(&[], Vec::as_slice)
}

/// A [`MetadataChange`] for each of `keys` whose values differ, in the order of `keys`.
fn changed_keys(from: &Value, to: &Value, keys: &[&str]) -> Vec<MetadataChange> {
    keys.iter()
        .filter(|&&k| get(from, k) != get(to, k))
        .map(|&k| MetadataChange {
            field: k.to_owned(),
            from: get(from, k).clone(),
            to: get(to, k).clone(),
        })
        .collect()
}

#[cfg(test)]
mod tests;
