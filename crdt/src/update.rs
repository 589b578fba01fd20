//! Decoding and applying document updates from untrusted peers.

use crate::error::CrdtError;
use std::panic::{AssertUnwindSafe, catch_unwind};
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, Transact, Update};

mod check;

/// Decodes a v1 update from the wire; a malformed one is an error, never a panic.
///
/// yrs' decoder trusts its input in ways that crash a process: it
/// debug-asserts on client ids above 53 bits, adds clocks with overflow checks,
/// reserves memory for whatever count a length prefix claims and recurses
/// without limit into nested values (a stack overflow, which nothing can
/// catch). So the bytes are first walked by a strict mirror of yrs' v1 decoder
/// (`update/check.rs`) that refuses all of that, then decoded by yrs under
/// `catch_unwind` (it needs the default `panic = "unwind"`) in case the mirror
/// missed something. Apply the result with `TransactionMut::apply_update`, or
/// use [`apply_update`], which also contains panics from integration.
pub fn decode_update(bytes: &[u8]) -> Result<Update, CrdtError> {
    check::check_v1(bytes).map_err(|e| match e {
        CrdtError::Malformed(reason) => CrdtError::Malformed(format!("bad update: {reason}")),
        other => other,
    })?;
    match catch_unwind(|| Update::decode_v1(bytes)) {
        Ok(Ok(update)) => Ok(update),
        Ok(Err(e)) => Err(CrdtError::Malformed(format!("bad update: {e}"))),
        Err(_) => Err(CrdtError::Malformed(
            "bad update: decoder rejected it".into(),
        )),
    }
}

/// Why [`apply_update`] did not apply an update.
#[derive(Debug, thiserror::Error)]
pub enum ApplyError {
    /// Refused before anything changed: the bytes are malformed
    /// ([`CrdtError::Malformed`]) or yrs rejected the update without integrating
    /// any of it ([`CrdtError::Update`]). The document is untouched; keep using it.
    #[error(transparent)]
    Invalid(CrdtError),
    /// yrs refused the update ([`CrdtError::Update`]) after integrating part of
    /// it: yrs 0.28 checks a block's parent only when it reaches that block, so
    /// an update whose later block names a non-type item as its parent leaves
    /// the earlier blocks in the document. The document is consistent but holds
    /// changes that no accepted update describes (nothing stored or broadcast
    /// has them): treat it like [`ApplyError::Panicked`] and reload it.
    #[error("update partly applied, then rejected: {0}")]
    PartlyApplied(CrdtError),
    /// yrs panicked part-way through applying (a debug assertion or overflow
    /// check on hostile input). The document's internal state can no longer be
    /// trusted: stop using it and reload it from storage.
    #[error("update apply panicked; the document can no longer be trusted")]
    Panicked,
}

/// Decodes untrusted v1 update bytes and applies them to `doc` in one transaction, never letting a yrs panic escape.
///
/// Decoding goes through [`decode_update`], so malformed bytes are
/// [`ApplyError::Invalid`] before the document is locked. The apply runs under
/// `catch_unwind` (it needs the default `panic = "unwind"`); the transaction is
/// committed (dropped) under a second `catch_unwind` *after* the first one has
/// caught, so a commit that panics on a half-integrated state is a second,
/// caught panic rather than a panic during unwinding, which would abort.
///
/// Must not be called while the caller holds a transaction on `doc` (yrs
/// transactions block until the previous one ends). An update whose
/// dependencies are missing is not an error: yrs keeps it pending, as usual.
///
/// `Ok` is yrs' word, not a proof of sanity: fuzzing found updates that yrs
/// integrates without complaint (an item whose right origin lies left of its
/// origin) and that leave its item list inconsistent, so that a later edit
/// panics in yrs. [`crate::apply_patch`] contains such a panic and reports
/// the document damaged ([`CrdtError::Update`]).
pub fn apply_update(doc: &Doc, update: &[u8]) -> Result<(), ApplyError> {
    let update = decode_update(update).map_err(ApplyError::Invalid)?;
    let mut txn = doc.transact_mut();
    let applied = catch_unwind(AssertUnwindSafe(|| {
        txn.apply_update(update).map_err(|e| {
            // Only the integration loop returns errors, before any delete is
            // applied, so "nothing changed" is: no new items, no deletions.
            let touched = txn.state_vector() != *txn.before_state()
                || !txn.insert_set().is_empty()
                || !txn.delete_set().is_empty();
            (CrdtError::Update(e.to_string()), touched)
        })
    }));
    let committed = catch_unwind(AssertUnwindSafe(move || drop(txn)));
    match (applied, committed) {
        (Ok(Ok(())), Ok(())) => Ok(()),
        (Ok(Err((error, false))), Ok(())) => Err(ApplyError::Invalid(error)),
        (Ok(Err((error, true))), Ok(())) => Err(ApplyError::PartlyApplied(error)),
        (Err(_), _) | (_, Err(_)) => Err(ApplyError::Panicked),
    }
}

/// [`apply_update`] with the hub's policy for updates from clients: content that
/// would be parked as pending (waiting for dependencies this document lacks) is
/// refused. A client of one central server syncs from that server and never needs
/// it; yrs never validates parked blocks (the fuzzer's `crash-pending-bad-parent`);
/// and parked content would sit in memory, unstored. The parking has happened by
/// the time it shows, so the refusal is [`ApplyError::PartlyApplied`]: reload.
pub fn apply_client_update(doc: &Doc, update: &[u8]) -> Result<(), ApplyError> {
    let had_pending = has_pending(&doc.transact());
    apply_update(doc, update)?;
    if !had_pending && has_pending(&doc.transact()) {
        let reason = "update depends on content this document does not have";
        return Err(ApplyError::PartlyApplied(CrdtError::Update(
            reason.to_owned(),
        )));
    }
    Ok(())
}

/// Folds stored updates into a snapshot: the state holding both, as one v1 update.
/// Compaction uses it so that log rows some other writer stored (and this one has
/// not seen) survive being folded away. Unreadable rows are skipped, as on load;
/// an unreadable state is an error.
pub fn fold_updates<'a>(
    state: &'a [u8],
    updates: impl IntoIterator<Item = &'a [u8]>,
) -> Result<Vec<u8>, CrdtError> {
    let doc = Doc::new();
    // The state must read: folding an unreadable one would store an empty document.
    if !state.is_empty() {
        match apply_update(&doc, state) {
            Ok(()) => {}
            Err(ApplyError::Invalid(error) | ApplyError::PartlyApplied(error)) => {
                return Err(error);
            }
            Err(ApplyError::Panicked) => {
                return Err(CrdtError::Update("folding panicked".to_owned()));
            }
        }
    }
    for update in updates {
        if update.is_empty() {
            continue;
        }
        match apply_update(&doc, update) {
            Ok(()) | Err(ApplyError::Invalid(_)) => {}
            Err(ApplyError::PartlyApplied(error)) => return Err(error),
            Err(ApplyError::Panicked) => {
                return Err(CrdtError::Update("folding panicked".to_owned()));
            }
        }
    }
    let txn = doc.transact();
    Ok(txn.encode_state_as_update_v1(&yrs::StateVector::default()))
}

/// Does the document hold blocks or deletions waiting for missing dependencies?
pub(crate) fn has_pending<T: ReadTxn>(txn: &T) -> bool {
    let store = txn.store();
    store.pending_update().is_some() || store.pending_ds().is_some()
}

#[cfg(test)]
mod fold_tests {
    use super::*;
    use yrs::{GetString, Text};

    #[test]
    fn folding_keeps_rows_the_snapshot_lacks() {
        let writer = Doc::with_client_id(1);
        let text = writer.get_or_insert_text("content");
        let before = writer.transact().state_vector();
        text.insert(&mut writer.transact_mut(), 0, "hello");
        let snapshot = writer
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        let mid = writer.transact().state_vector();
        text.insert(&mut writer.transact_mut(), 5, " world");
        let unseen = writer.transact().encode_state_as_update_v1(&mid);
        let already_in = writer.transact().encode_state_as_update_v1(&before);

        let folded = fold_updates(
            &snapshot,
            [unseen.as_slice(), already_in.as_slice(), &[0xff][..]],
        )
        .expect("folds");
        let doc = Doc::new();
        apply_update(&doc, &folded).expect("applies");
        let content = doc.get_or_insert_text("content");
        assert_eq!(content.get_string(&doc.transact()), "hello world");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DocKind, apply_patch, new_doc};
    use proptest::prelude::*;
    use yrs::Transact;

    #[test]
    fn client_updates_with_missing_dependencies_are_refused() {
        use yrs::{GetString, Text};
        let author = new_doc();
        let text = author.get_or_insert_text("content");
        let mut updates = Vec::new();
        for piece in ["ab", "cd"] {
            let before = author.transact().state_vector();
            let len = text.len(&author.transact());
            text.insert(&mut author.transact_mut(), len, piece);
            updates.push(author.transact().encode_state_as_update_v1(&before));
        }
        let server = new_doc();
        assert!(matches!(
            apply_client_update(&server, &updates[1]),
            Err(ApplyError::PartlyApplied(_))
        ));
        let fresh = new_doc();
        apply_client_update(&fresh, &updates[0]).unwrap();
        apply_client_update(&fresh, &updates[1]).unwrap();
        assert_eq!(
            fresh
                .get_or_insert_text("content")
                .get_string(&fresh.transact()),
            "abcd"
        );
    }

    #[test]
    fn decodes_updates_made_by_apply_patch() {
        let doc = new_doc();
        let bytes = apply_patch(&doc, DocKind::Prompt, &serde_json::json!({"title": "x"})).unwrap();
        let peer = new_doc();
        peer.transact_mut()
            .apply_update(decode_update(&bytes).unwrap())
            .unwrap();
        assert_eq!(crate::materialise(&peer, DocKind::Prompt)["title"], "x");
    }

    #[test]
    fn rejects_oversized_client_ids_without_panicking() {
        // One struct group, one struct, client id 2^60, clock 0, a 1-char string item.
        let bytes = [
            1, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 4, 1, 1, b'c', 1, b'x',
            0,
        ];
        assert!(decode_update(&bytes).is_err());
    }

    fn state_vector(doc: &Doc) -> yrs::StateVector {
        doc.transact().state_vector()
    }

    /// A doc holding the string item (1, 0) "ab" in root text "t", made from hand-encoded bytes.
    fn doc_with_string_item() -> Doc {
        let doc = new_doc();
        // 1 client; 1 block from client 1 at clock 0: info 4 (string, no
        // origins), parent named "t", content "ab"; empty delete set.
        apply_update(&doc, &[1, 1, 1, 0, 4, 1, 1, b't', 2, b'a', b'b', 0]).unwrap();
        doc
    }

    /// One valid item from `good` into root "t" and one from `bad` whose parent is the string item (1, 0).
    fn update_with_bad_parent(good: u8, bad: u8) -> Vec<u8> {
        vec![
            2, // clients
            1, bad, 0, 4, 0, 1, 0, 1, b'y', // parent id (1, 0), content "y"
            1, good, 0, 4, 1, 1, b't', 1, b'x', // parent "t", content "x"
            0,    // delete set
        ]
    }

    #[test]
    fn apply_update_applies_a_valid_update() {
        let doc = new_doc();
        let bytes = apply_patch(&doc, DocKind::Prompt, &serde_json::json!({"title": "x"})).unwrap();
        let peer = new_doc();
        apply_update(&peer, &bytes).unwrap();
        assert_eq!(crate::materialise(&peer, DocKind::Prompt)["title"], "x");
        assert_eq!(state_vector(&peer), state_vector(&doc));
        // Applying it again is a no-op, not an error.
        apply_update(&peer, &bytes).unwrap();
    }

    #[test]
    fn apply_update_refuses_garbage_and_leaves_the_doc_alone() {
        let doc = new_doc();
        apply_patch(&doc, DocKind::Prompt, &serde_json::json!({"title": "x"})).unwrap();
        let before = state_vector(&doc);
        let oversized_client = [
            1, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 4, 1, 1, b'c', 1, b'x',
            0,
        ];
        for garbage in [&[0xff, 0xff][..], &[1, 1, 1], &[], &oversized_client] {
            let outcome = apply_update(&doc, garbage);
            assert!(
                matches!(outcome, Err(ApplyError::Invalid(CrdtError::Malformed(_)))),
                "{garbage:?}: {outcome:?}"
            );
            assert_eq!(state_vector(&doc), before);
        }
        assert_eq!(crate::materialise(&doc, DocKind::Prompt)["title"], "x");
    }

    #[test]
    fn apply_update_tells_a_clean_rejection_from_a_partial_one() {
        // yrs integrates clients from the highest id down: a bad parent met
        // first is refused before anything changes...
        let doc = doc_with_string_item();
        let before = state_vector(&doc);
        let outcome = apply_update(&doc, &update_with_bad_parent(2, 3));
        assert!(
            matches!(outcome, Err(ApplyError::Invalid(CrdtError::Update(_)))),
            "{outcome:?}"
        );
        assert_eq!(state_vector(&doc), before);
        // ...one met after a valid block leaves that block in the document.
        let doc = doc_with_string_item();
        let outcome = apply_update(&doc, &update_with_bad_parent(3, 2));
        assert!(
            matches!(
                outcome,
                Err(ApplyError::PartlyApplied(CrdtError::Update(_)))
            ),
            "{outcome:?}"
        );
        assert_ne!(state_vector(&doc), before);
    }

    proptest! {
        #[test]
        fn garbage_is_an_error_not_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_update(&bytes);
        }
    }
}
