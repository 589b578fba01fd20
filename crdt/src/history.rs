//! Versions as stored, and any version's content rebuilt from them.
//!
//! A version keeps the document's state vector when it was cut, the diff
//! from its parent version (a v1 update holding everything the parent's
//! state vector lacks) and, every Nth version, a full snapshot (a v1 update
//! of the whole state). Version `k` is rebuilt by applying the nearest
//! snapshot at or before `k`, then the diffs of the versions after it up to
//! `k`, in order, to an empty document. Nothing else is needed: not the
//! update log (which compaction folds away), not the live document.
//!
//! Why diffs against the parent's state vector are enough: a state-based
//! update carries every item the state vector lacks (GC'd ones as
//! placeholders) plus the document's whole delete set at cut time, so
//! applying diffs in order reproduces exactly the set of items and
//! deletions the document had, and materialising that gives the same JSON.
//!
//! The first version, cut without a parent, has a diff that is itself a
//! full snapshot, and can serve as one.

use crate::error::CrdtError;
use crate::kind::DocKind;
use crate::protocol::decode_state_vector;
use crate::update::{ApplyError, apply_update, decode_update, has_pending};
use crate::{materialise, new_doc};
use serde_json::Value;
use std::collections::BTreeMap;
use std::ops::Range;
use yrs::updates::encoder::Encode;
use yrs::{Doc, IdSet, ReadTxn, StateVector, Transact};

/// What to store for a new version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cut {
    /// The document's state vector at cut time (v1); the next version's parent state vector.
    pub state_vector: Vec<u8>,
    /// Everything the parent's state vector lacks, plus the whole delete set (a v1 update).
    pub diff: Vec<u8>,
    /// The whole state (a v1 update), when asked for.
    pub snapshot: Option<Vec<u8>>,
}

/// Cuts a version of `doc`: its state vector, the diff from the parent version, and a snapshot if `with_snapshot`.
///
/// `parent_state_vector` is the stored state vector of the previous version,
/// `None` for the first version (whose diff is then the whole state).
/// All three are read in one transaction, so they describe the same state.
/// Must not be called while the caller holds a transaction on `doc`.
pub fn cut(
    doc: &Doc,
    parent_state_vector: Option<&[u8]>,
    with_snapshot: bool,
) -> Result<Cut, CrdtError> {
    let parent = parent_state_vector
        .map(decode_state_vector)
        .transpose()?
        .unwrap_or_default();
    let txn = doc.transact();
    let diff = txn.encode_state_as_update_v1(&parent);
    let snapshot = with_snapshot.then(|| match parent_state_vector {
        // Against an empty state vector the diff already is the whole state.
        None => diff.clone(),
        Some(_) => txn.encode_state_as_update_v1(&StateVector::default()),
    });
    Ok(Cut {
        state_vector: txn.state_vector().encode_v1(),
        diff,
        snapshot,
    })
}

/// Whether `doc` is still in the state of the version whose state vector and diff are given (then no new version is due).
///
/// The state vector alone is not enough: deleting adds no items, so a
/// delete-only edit leaves it unchanged. The version's diff carries the
/// whole delete set at its cut time, which is compared too.
pub fn unchanged_since(doc: &Doc, state_vector: &[u8], diff: &[u8]) -> Result<bool, CrdtError> {
    let version_sv = decode_state_vector(state_vector)?;
    let version_ds = normalise(decode_update(diff)?.delete_set());
    let txn = doc.transact();
    if txn.state_vector() != version_sv {
        return Ok(false);
    }
    Ok(normalise(&txn.snapshot().delete_set) == version_ds)
}

/// A delete set as sorted, merged clock ranges per client, so equal sets compare equal however they were fragmented.
fn normalise(set: &IdSet) -> BTreeMap<u64, Vec<Range<u32>>> {
    let mut out = BTreeMap::new();
    for (client, ranges) in set.iter() {
        let mut ranges: Vec<Range<u32>> =
            ranges.iter().filter(|r| !r.is_empty()).cloned().collect();
        ranges.sort_by_key(|r| (r.start, r.end));
        let mut merged: Vec<Range<u32>> = Vec::with_capacity(ranges.len());
        for r in ranges {
            match merged.last_mut() {
                Some(last) if r.start <= last.end => last.end = last.end.max(r.end),
                _ => merged.push(r),
            }
        }
        if !merged.is_empty() {
            out.insert(client.get(), merged);
        }
    }
    out
}

/// Rebuilds a version as a fresh document: `snapshot`, then each of `diffs` in version order.
///
/// Every piece goes through the panic-safe [`apply_update`]. A piece that
/// does not apply, or a chain that leaves content waiting for updates it
/// lacks (a diff missing from the sequence), is an error naming the piece.
pub fn rebuild<'a>(
    snapshot: &[u8],
    diffs: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Doc, CrdtError> {
    let doc = new_doc();
    apply_stored(&doc, snapshot, "snapshot")?;
    for (i, diff) in diffs.into_iter().enumerate() {
        apply_stored(&doc, diff, &format!("diff {i}"))?;
    }
    if has_pending(&doc.transact()) {
        return Err(CrdtError::Update(
            "the diffs do not continue the snapshot: a version in between is missing".into(),
        ));
    }
    Ok(doc)
}

/// A version's content as the API's JSON: [`rebuild`], then [`materialise`].
pub fn content_at<'a>(
    kind: DocKind,
    snapshot: &[u8],
    diffs: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Value, CrdtError> {
    Ok(materialise(&rebuild(snapshot, diffs)?, kind))
}

/// Applies one stored piece, naming it in the error; the scratch doc is dropped on any failure.
fn apply_stored(doc: &Doc, bytes: &[u8], what: &str) -> Result<(), CrdtError> {
    apply_update(doc, bytes).map_err(|e| match e {
        ApplyError::Invalid(CrdtError::Malformed(m))
        | ApplyError::PartlyApplied(CrdtError::Malformed(m)) => {
            CrdtError::Malformed(format!("{what}: {m}"))
        }
        ApplyError::Invalid(other) | ApplyError::PartlyApplied(other) => {
            CrdtError::Update(format!("{what}: {other}"))
        }
        ApplyError::Panicked => CrdtError::Update(format!("{what}: yrs panicked applying it")),
    })
}

#[cfg(test)]
mod tests;
