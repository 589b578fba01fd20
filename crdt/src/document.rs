//! The three entry points over a document: create, read as JSON, patch.
//!
//! Neither function may be called while the caller holds a transaction on
//! the same doc: yrs transactions block until the previous one ends.

use crate::error::CrdtError;
use crate::json::get_any;
use crate::kind::DocKind;
use crate::{model, prompt};
use serde_json::Value;
use std::panic::{AssertUnwindSafe, catch_unwind};
use yrs::{Any, Doc, Map, MapRef, OffsetKind, Options, Transact, TransactionMut};

/// A yrs Doc with the options every Rocqet party uses (OffsetKind::Utf16 so text offsets match JS Yjs; skip_gc false).
pub fn new_doc() -> Doc {
    Doc::with_options(Options {
        offset_kind: OffsetKind::Utf16,
        skip_gc: false,
        ..Options::default()
    })
}

/// The document's content as the JSON of API.md, without the server-owned fields (id, workspace_id, version, created_at, updated_at).
///
/// Missing roots read as empty defaults, so a fresh doc is a valid empty
/// prompt or model; values of the wrong type read as their default too.
pub fn materialise(doc: &Doc, kind: DocKind) -> Value {
    let txn = doc.transact();
    match kind {
        DocKind::Prompt => prompt::materialise(&txn),
        DocKind::Model => model::materialise(&txn),
    }
}

/// Applies a partial JSON change as minimal CRDT edits in ONE transaction and returns that transaction's v1 update (an empty Vec when nothing changed).
///
/// Validates everything first: on any error nothing is changed, except
/// [`CrdtError::Update`], which `apply_patch` returns only when yrs panicked
/// while writing: the document is then damaged (see `commit`) and must be
/// reloaded.
///
/// Model items created without an `id` get a generated one, `<prefix><client id hex>_<clock>_<n>`
/// (`f` for fields, `r` for relations), unique because the doc's clock for
/// its client grows with every transaction that creates items.
pub fn apply_patch(doc: &Doc, kind: DocKind, patch: &Value) -> Result<Vec<u8>, CrdtError> {
    // Shape checks need no document, so they run before taking the write lock.
    match kind {
        DocKind::Prompt => {
            let patch = prompt::parse(patch)?;
            let unit = doc.offset_kind();
            commit(doc, |txn| {
                let plan = prompt::plan(txn, patch, unit)?;
                prompt::write(txn, plan);
                Ok(())
            })
        }
        DocKind::Model => {
            let patch = model::parse(patch)?;
            let client = doc.client_id();
            commit(doc, |txn| {
                let plan = model::plan(txn, patch, client)?;
                model::write(txn, plan);
                Ok(())
            })
        }
    }
}

/// Runs `edit` in one transaction; returns its update, or nothing if it wrote nothing.
///
/// A panic inside yrs while writing (seen only on documents that a hostile
/// update left internally inconsistent, e.g. `remove_range` finding fewer
/// items than the text's length promised) is contained and reported as
/// [`CrdtError::Update`]: the document may then hold part of the edit and can
/// no longer be trusted, like after [`crate::ApplyError::Panicked`]. The
/// transaction is committed under a second `catch_unwind`, after the first one
/// caught, so a panicking commit cannot abort the process.
fn commit(
    doc: &Doc,
    edit: impl FnOnce(&mut TransactionMut) -> Result<(), CrdtError>,
) -> Result<Vec<u8>, CrdtError> {
    let mut txn = doc.transact_mut();
    let outcome = catch_unwind(AssertUnwindSafe(|| {
        // Plans check everything against the current state and only then write,
        // so an error here leaves the transaction empty.
        edit(&mut txn)?;
        if txn.insert_set().is_empty() && txn.delete_set().is_empty() {
            return Ok(Vec::new());
        }
        Ok(txn.encode_update_v1())
    }));
    let committed = catch_unwind(AssertUnwindSafe(move || drop(txn)));
    match (outcome, committed) {
        (Ok(result), Ok(())) => result,
        _ => Err(CrdtError::Update(DAMAGED.into())),
    }
}

/// The [`CrdtError::Update`] message of a patch that made yrs panic.
pub(crate) const DAMAGED: &str =
    "the document is damaged (yrs panicked while patching it); reload it from storage";

/// Writes `value` under `key` unless it is already stored there.
pub(crate) fn set_if_changed(txn: &mut TransactionMut, map: &MapRef, key: &str, value: Any) {
    if get_any(txn, map, key).as_ref() != Some(&value) {
        map.insert(txn, key, value);
    }
}

#[cfg(test)]
mod tests;
