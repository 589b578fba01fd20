//! Three-way text merge, for a REST edit made on an older read of a prompt.
//!
//! The REST client changed `base` into `ours`; meanwhile the live text moved from
//! `base` to `current`. Diffing `ours` against `current` directly would undo
//! everything that landed in between. Instead both changes are replayed as
//! concurrent edits of the same base on scratch docs and merged by yrs itself,
//! so the result is exactly what two live editors would have converged on:
//! both sides' insertions kept, every deletion honoured.

use yrs::block::ClientID;
use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, OffsetKind, Options, ReadTxn, StateVector, Text, Transact, Update};

use crate::text_diff;

/// Scratch docs need fixed client ids so the merge is deterministic.
fn scratch(client: u64) -> Doc {
    Doc::with_options(Options {
        client_id: ClientID::new(client),
        offset_kind: OffsetKind::Utf16,
        ..Options::default()
    })
}

/// `base` edited into `edited`, on a doc that starts from `base_state`.
fn fork(client: u64, base_state: &[u8], base: &str, edited: &str) -> Option<Doc> {
    let doc = scratch(client);
    let text = doc.get_or_insert_text("t");
    let mut txn = doc.transact_mut();
    txn.apply_update(Update::decode_v1(base_state).ok()?).ok()?;
    let edits = text_diff::plan(base, edited, OffsetKind::Utf16)?;
    text_diff::apply(&mut txn, &text, &edits);
    drop(txn);
    Some(doc)
}

/// Merges two independent edits of `base`; `None` only for texts too long for yrs offsets.
pub fn merge_text(base: &str, ours: &str, current: &str) -> Option<String> {
    if ours == base || ours == current {
        return Some(current.to_owned());
    }
    if current == base {
        return Some(ours.to_owned());
    }
    let root = scratch(1);
    let text = root.get_or_insert_text("t");
    text.insert(&mut root.transact_mut(), 0, base);
    let base_state = root
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let theirs = fork(2, &base_state, base, current)?;
    let ours_doc = fork(3, &base_state, base, ours)?;
    let our_changes = ours_doc
        .transact()
        .encode_state_as_update_v1(&theirs.transact().state_vector());
    theirs
        .transact_mut()
        .apply_update(Update::decode_v1(&our_changes).ok()?)
        .ok()?;
    let merged = theirs
        .get_or_insert_text("t")
        .get_string(&theirs.transact());
    Some(merged)
}

#[cfg(test)]
mod tests {
    use super::merge_text;

    #[test]
    fn keeps_edits_on_both_sides_of_ours() {
        let merged = merge_text("middle", "MIDDLE", "L0middleR0").unwrap();
        assert_eq!(merged, "L0MIDDLER0");
    }

    #[test]
    fn one_sided_changes_pass_through() {
        assert_eq!(merge_text("a", "a", "ab").unwrap(), "ab");
        assert_eq!(merge_text("a", "ba", "a").unwrap(), "ba");
    }

    #[test]
    fn concurrent_deletions_of_the_same_text_delete_once() {
        assert_eq!(merge_text("abcdef", "abef", "acdef").unwrap(), "aef");
    }

    #[test]
    fn both_insertions_at_one_spot_survive_in_a_stable_order() {
        let merged = merge_text("ab", "aXb", "aYb").unwrap();
        assert!(merged == "aXYb" || merged == "aYXb", "{merged}");
        assert_eq!(merged, merge_text("ab", "aXb", "aYb").unwrap());
    }

    #[test]
    fn works_in_utf16_units_around_emoji() {
        assert_eq!(
            merge_text("😀 hi", "😀 hey", "😀😀 hi").unwrap(),
            "😀😀 hey"
        );
    }
}
