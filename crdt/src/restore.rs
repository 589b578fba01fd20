//! Restoring an old version: the live document edited until its content equals the version's.
//!
//! History is never rewritten: the restore is an ordinary edit of the live
//! document, made of the same minimal CRDT edits as a PATCH (see
//! [`crate::apply_patch`]), so open editors converge on it and a peer's
//! concurrent edit survives the merge (text typed elsewhere stays; a field
//! added elsewhere stays).

use crate::collection::{FIELDS, RELATIONS, Spec};
use crate::error::CrdtError;
use crate::kind::DocKind;
use crate::placeholders;
use crate::schema::{
    META_DESCRIPTION, META_NAME, META_SETTINGS, META_TAGS, META_TITLE, ROOT_CONTENT,
    ROOT_VARIABLES, VAR_DEFAULT, VAR_DESCRIPTION, VAR_REQUIRED,
};
use crate::{apply_patch, materialise};
use serde_json::{Map as JsonMap, Value};
use std::collections::HashSet;
use yrs::{Doc, Map, ReadTxn, Transact};

/// Edits `live` so that its materialised content equals `target`, the materialised content of an old version; returns the edit as a v1 update (empty when nothing changed).
///
/// Only content keys and `kind` are read from `target`: the server-owned
/// fields ([`crate::schema::SERVER_FIELDS`]) are ignored, so the API's
/// document JSON works as well as [`materialise`] output. A content key
/// missing from `target` is left as it is; a `kind` other than `kind` is a
/// validation error.
///
/// Prompts: title, description, tags and content are set (content by
/// character diff); settings keys the target lacks are removed; variables
/// are declared as in the target, except that a placeholder the target
/// lists with all-default attributes is left undeclared unless `live`
/// declares it, so it stays implicit as it was.
///
/// Models: items keep their ids. An item `live` still has is updated in
/// place (only the props that differ are written, including its position,
/// so renames, retypes and moves are undone); an item deleted since is
/// re-created under its old id (ids are only map keys, so they can be
/// reused; the new item is a fresh CRDT map, so a peer's concurrent edit
/// of the deleted item stays lost); an item added since is deleted.
///
/// Errors: [`CrdtError::Validation`] when the target breaks the schema the
/// live document is held to (for example two fields with one name, which
/// concurrent renames can produce); nothing is changed then. As with
/// `apply_patch`, [`CrdtError::Update`] means yrs panicked and `live` must
/// be reloaded. Call from the task that owns `live`: the target is compared
/// with the live content read just before the edit.
pub fn restore(live: &Doc, kind: DocKind, target: &Value) -> Result<Vec<u8>, CrdtError> {
    let current = materialise(live, kind);
    let mut patch = match kind {
        DocKind::Prompt => prompt_patch(live, &current, target),
        DocKind::Model => model_patch(&current, target),
    };
    // Passed on so that a version of the other kind is refused, not half-applied.
    if let Some(target_kind) = target.get("kind") {
        patch.insert("kind".into(), target_kind.clone());
    }
    apply_patch(live, kind, &Value::Object(patch))
}

/// Copies the `keys` whose value in `target` differs from `current` into `patch`.
///
/// Equal values are left out: a patch writes `""` over a missing key even
/// though both read as `""`, and a no-op restore should edit nothing.
fn copy(patch: &mut JsonMap<String, Value>, current: &Value, target: &Value, keys: &[&str]) {
    for &key in keys {
        if let Some(value) = target.get(key).filter(|&v| current.get(key) != Some(v)) {
            patch.insert(key.to_owned(), value.clone());
        }
    }
}

fn prompt_patch(live: &Doc, current: &Value, target: &Value) -> JsonMap<String, Value> {
    let mut patch = JsonMap::new();
    copy(
        &mut patch,
        current,
        target,
        &[META_TITLE, META_DESCRIPTION, META_TAGS, ROOT_CONTENT],
    );
    let settings = target
        .get(META_SETTINGS)
        .filter(|&s| current.get(META_SETTINGS) != Some(s));
    if let Some(settings) = settings {
        let mut settings = settings.clone();
        // A patch merges settings; null removes the keys the target lacks.
        if let (Some(wanted), Some(now)) = (
            settings.as_object_mut(),
            current.get(META_SETTINGS).and_then(Value::as_object),
        ) {
            for key in now.keys() {
                if !wanted.contains_key(key) {
                    wanted.insert(key.clone(), Value::Null);
                }
            }
        }
        patch.insert(META_SETTINGS.into(), settings);
    }
    if let Some(variables) = target.get(ROOT_VARIABLES) {
        let content = target
            .get(ROOT_CONTENT)
            .or_else(|| current.get(ROOT_CONTENT))
            .and_then(Value::as_str)
            .unwrap_or_default();
        let declared = declared_variables(live);
        patch.insert(
            ROOT_VARIABLES.into(),
            variables_patch(variables, content, &declared),
        );
    }
    patch
}

/// The names `live` declares in its variables map (materialised JSON also lists implicit ones).
fn declared_variables(live: &Doc) -> HashSet<String> {
    let txn = live.transact();
    txn.get_map(ROOT_VARIABLES)
        .map(|m| m.keys(&txn).map(str::to_owned).collect())
        .unwrap_or_default()
}

/// The target's variables as a patch list, leaving implicit placeholders undeclared.
fn variables_patch(variables: &Value, content: &str, declared: &HashSet<String>) -> Value {
    let Some(items) = variables.as_array() else {
        // Not a list: let the patch's validation report it.
        return variables.clone();
    };
    let placeholders: HashSet<String> = placeholders::extract(content).into_iter().collect();
    let list = items
        .iter()
        .filter(|item| {
            let Some(name) = item.get("name").and_then(Value::as_str) else {
                return true;
            };
            let implicit = placeholders.contains(name)
                && item.get(VAR_DESCRIPTION).and_then(Value::as_str) == Some("")
                && item.get(VAR_DEFAULT).is_some_and(Value::is_null)
                && item.get(VAR_REQUIRED).and_then(Value::as_bool) == Some(true);
            !implicit || declared.contains(name)
        })
        .map(|item| match item.as_object() {
            // Only the keys a patch takes: a newer materialisation may add more.
            Some(obj) => Value::Object(
                ["name", VAR_DESCRIPTION, VAR_DEFAULT, VAR_REQUIRED]
                    .into_iter()
                    .filter_map(|k| Some((k.to_owned(), obj.get(k)?.clone())))
                    .collect(),
            ),
            None => item.clone(),
        })
        .collect();
    Value::Array(list)
}

fn model_patch(current: &Value, target: &Value) -> JsonMap<String, Value> {
    let mut patch = JsonMap::new();
    copy(&mut patch, current, target, &[META_NAME, META_DESCRIPTION]);
    for spec in [&FIELDS, &RELATIONS] {
        if let Some(items) = target.get(spec.root) {
            let now = current.get(spec.root).and_then(Value::as_array);
            patch.insert(spec.root.to_owned(), items_patch(spec, items, now));
        }
    }
    patch
}

/// The target's items as a patch list in target order: existing ids with only their differing props, others in full.
fn items_patch(spec: &Spec, items: &Value, now: Option<&Vec<Value>>) -> Value {
    let Some(items) = items.as_array() else {
        return items.clone();
    };
    let list = items
        .iter()
        .map(|item| {
            let Some(obj) = item.as_object() else {
                return item.clone();
            };
            let live = obj
                .get("id")
                .and_then(|id| now.into_iter().flatten().find(|i| i.get("id") == Some(id)));
            let mut out = JsonMap::new();
            if let Some(id) = obj.get("id") {
                out.insert("id".into(), id.clone());
            }
            for prop in spec.props {
                let Some(value) = obj.get(prop.key) else {
                    continue;
                };
                // Unchanged props are left out, so a value the live item
                // tolerates but a patch would refuse does not block the restore.
                if live.and_then(|l| l.get(prop.key)) != Some(value) {
                    out.insert(prop.key.to_owned(), value.clone());
                }
            }
            Value::Object(out)
        })
        .collect();
    Value::Array(list)
}

#[cfg(test)]
mod tests;
