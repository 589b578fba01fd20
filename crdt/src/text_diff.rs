//! Minimal character edits that turn one text into another.
//!
//! Replacing a whole `Y.Text` would delete text a peer is typing into at the
//! same moment; diffing by characters keeps every untouched character's
//! CRDT identity, so concurrent edits elsewhere survive the merge.

use similar::{Algorithm, DiffOp, capture_diff_slices};
use std::ops::Range;
use yrs::{OffsetKind, Text, TextRef, TransactionMut};

/// One splice, in the document's offset units (UTF-16 code units for docs from `new_doc`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct TextEdit {
    /// Where the splice starts in the text as it is when this edit runs.
    pub index: u32,
    /// How many UTF-16 units to delete at `index`.
    pub remove: u32,
    /// What to insert at `index` after deleting.
    pub insert: String,
}

/// The edits from `old` to `new`, last first so earlier offsets stay valid
/// while applying; `None` if `old` is too long for yrs' `u32` offsets.
pub(crate) fn plan(old: &str, new: &str, unit: OffsetKind) -> Option<Vec<TextEdit>> {
    let old_chars: Vec<char> = old.chars().collect();
    let new_chars: Vec<char> = new.chars().collect();
    // offsets[i] = offset of old char i in the doc's units; one extra entry for the end.
    let mut offsets = Vec::with_capacity(old_chars.len() + 1);
    let mut offset = 0u32;
    offsets.push(0);
    for c in &old_chars {
        let len = match unit {
            OffsetKind::Utf16 => c.len_utf16(),
            OffsetKind::Bytes => c.len_utf8(),
        };
        offset = offset.checked_add(u32::try_from(len).ok()?)?;
        offsets.push(offset);
    }
    // Myers here is similar's bounded-work variant, so a pathological input
    // yields a coarser (still correct) diff rather than quadratic time.
    let ops = capture_diff_slices(Algorithm::Myers, &old_chars, &new_chars);
    let mut edits = Vec::new();
    for (old_range, new_range) in coalesce(&ops).into_iter().rev() {
        let start = *offsets.get(old_range.start)?;
        let end = *offsets.get(old_range.end)?;
        edits.push(TextEdit {
            index: start,
            remove: end - start,
            insert: new_chars.get(new_range)?.iter().collect(),
        });
    }
    Some(edits)
}

/// Unchanged runs shorter than this between two changes are rewritten with
/// them: a char diff of "kitten" → "sitting" is then one splice, not five
/// confetti edits that fragment the CRDT and read oddly to peers.
const MIN_KEPT_RUN: usize = 4;

/// The changed (old, new) char ranges, in order, with short kept runs merged in.
fn coalesce(ops: &[DiffOp]) -> Vec<(Range<usize>, Range<usize>)> {
    let mut out: Vec<(Range<usize>, Range<usize>)> = Vec::new();
    let mut pending: Option<(Range<usize>, Range<usize>)> = None;
    for (i, op) in ops.iter().enumerate() {
        let (old, new) = (op.old_range(), op.new_range());
        let is_last = i + 1 == ops.len();
        match (op, pending.as_mut()) {
            (DiffOp::Equal { len, .. }, Some(p)) if *len < MIN_KEPT_RUN && !is_last => {
                p.0.end = old.end;
                p.1.end = new.end;
            }
            (DiffOp::Equal { .. }, _) => out.extend(pending.take()),
            (_, Some(p)) => {
                p.0.end = old.end;
                p.1.end = new.end;
            }
            (_, None) => pending = Some((old, new)),
        }
    }
    out.extend(pending);
    out
}

/// Applies edits from [`plan`] to `text`.
///
/// A splice inserts before it deletes, so the new text takes the old text's left
/// neighbour as its origin: a peer's concurrent insertion right after the replaced
/// run then stays after the replacement instead of jumping in front of it.
pub(crate) fn apply(txn: &mut TransactionMut, text: &TextRef, edits: &[TextEdit]) {
    let unit = txn.doc().offset_kind();
    for edit in edits {
        let mut at = edit.index;
        if !edit.insert.is_empty() {
            text.insert(txn, at, &edit.insert);
            at = at.saturating_add(units(&edit.insert, unit));
        }
        if edit.remove > 0 {
            text.remove_range(txn, at, edit.remove);
        }
    }
}

/// Length of `s` in the doc's offset units.
fn units(s: &str, unit: OffsetKind) -> u32 {
    let n = match unit {
        OffsetKind::Bytes => s.len(),
        OffsetKind::Utf16 => s.encode_utf16().count(),
    };
    u32::try_from(n).unwrap_or(u32::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::document::new_doc;
    use proptest::prelude::*;
    use yrs::{GetString, Transact};

    fn run(old: &str, new: &str) -> (String, Vec<TextEdit>) {
        let doc = new_doc();
        let text = doc.get_or_insert_text("t");
        let mut txn = doc.transact_mut();
        text.insert(&mut txn, 0, old);
        let edits = plan(old, new, doc.offset_kind()).unwrap();
        apply(&mut txn, &text, &edits);
        (text.get_string(&txn), edits)
    }

    #[test]
    fn touches_only_the_changed_characters() {
        let (out, edits) = run("Hello world", "Hello brave world!");
        assert_eq!(out, "Hello brave world!");
        let inserted: usize = edits.iter().map(|e| e.insert.len()).sum();
        assert_eq!(inserted, "brave ".len() + 1);
        assert!(edits.iter().all(|e| e.remove == 0));
    }

    #[test]
    fn counts_offsets_in_utf16_units() {
        let (out, edits) = run("😀a😀b", "😀a😀c");
        assert_eq!(out, "😀a😀c");
        assert_eq!(
            edits,
            [TextEdit {
                index: 5,
                remove: 1,
                insert: "c".into()
            }]
        );
    }

    #[test]
    fn identical_texts_need_no_edits() {
        assert_eq!(plan("same", "same", OffsetKind::Utf16).unwrap(), []);
    }

    #[test]
    fn short_kept_runs_merge_into_one_splice() {
        let (out, edits) = run("a kitten!", "a sitting!");
        assert_eq!(out, "a sitting!");
        assert_eq!(
            edits,
            [TextEdit {
                index: 2,
                remove: 6,
                insert: "sitting".into()
            }]
        );
    }

    #[test]
    fn docs_counting_bytes_get_byte_offsets() {
        let edits = plan("é!", "é?", OffsetKind::Bytes).unwrap();
        assert_eq!(
            edits,
            [TextEdit {
                index: 2,
                remove: 1,
                insert: "?".into()
            }]
        );
    }

    proptest! {
        #[test]
        fn applying_the_plan_yields_the_target(old in "[ab😀é\n]{0,20}", new in "[ab😀é\n]{0,20}") {
            prop_assert_eq!(run(&old, &new).0, new);
        }
    }
}
