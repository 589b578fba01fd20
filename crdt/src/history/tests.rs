use super::*;
use crate::test_support::{apply, fork, patch, sync};
use crate::{CrdtError, restore};
use edits::{add_field, edit_model, edit_prompt, model_op, prompt_op, type_marker};
use proptest::prelude::*;
use serde_json::{Value, json};
use yrs::Doc;

mod edits;

/// One stored version plus the content it had when cut.
struct Stored {
    cut: Cut,
    content: Value,
}

/// The server's reload after compaction: a fresh doc (new client id) from the whole state.
fn reload(doc: &Doc) -> Doc {
    let state = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let fresh = new_doc();
    apply_update(&fresh, &state).unwrap();
    fresh
}

/// Cuts the next version of `doc`, with a snapshot when its number is a multiple of `every`.
fn cut_next(doc: &Doc, kind: DocKind, versions: &mut Vec<Stored>, every: usize) {
    let parent = versions.last().map(|v| v.cut.state_vector.as_slice());
    let cut = cut(doc, parent, versions.len().is_multiple_of(every)).unwrap();
    assert!(unchanged_since(doc, &cut.state_vector, &cut.diff).unwrap());
    versions.push(Stored {
        cut,
        content: materialise(doc, kind),
    });
}

/// Version `k` rebuilt from the nearest snapshot at or before it plus the diffs after that.
fn content_of(versions: &[Stored], kind: DocKind, k: usize) -> Value {
    let base = (0..=k)
        .rev()
        .find(|&j| versions[j].cut.snapshot.is_some())
        .unwrap();
    let snapshot = versions[base].cut.snapshot.as_deref().unwrap();
    let diffs = versions[base + 1..=k].iter().map(|v| v.cut.diff.as_slice());
    content_at(kind, snapshot, diffs).unwrap()
}

#[derive(Debug, Clone)]
enum Step<Op> {
    /// `op` on the server's doc, or on the peer's when `peer`.
    Edit { peer: bool, op: Op },
    /// The two docs exchange what they lack.
    Sync,
    /// The server cuts a version.
    Cut,
    /// The server compacts its log and reloads the doc from it.
    Reload,
}

fn steps<Op: Clone + std::fmt::Debug>(
    op: impl Strategy<Value = Op>,
) -> impl Strategy<Value = Vec<Step<Op>>> {
    let step = prop_oneof![
        6 => (any::<bool>(), op).prop_map(|(peer, op)| Step::Edit { peer, op }),
        1 => Just(Step::Sync),
        2 => Just(Step::Cut),
        1 => Just(Step::Reload),
    ];
    proptest::collection::vec(step, 0..40)
}

/// Plays `steps`, cutting versions on the server's doc, then checks every version's rebuild and a restore to it.
fn check_history<Op>(
    kind: DocKind,
    steps: &[Step<Op>],
    every: usize,
    edit: impl Fn(&Doc, &Op, usize),
    concurrent_edit: impl Fn(&Doc) -> Box<dyn Fn(&Value) -> bool>,
) {
    let mut server = new_doc();
    let peer = new_doc();
    let mut versions = Vec::new();
    for (i, step) in steps.iter().enumerate() {
        match step {
            Step::Edit { peer: true, op } => edit(&peer, op, i),
            Step::Edit { peer: false, op } => edit(&server, op, i),
            Step::Sync => sync(&server, &peer),
            Step::Cut => cut_next(&server, kind, &mut versions, every),
            Step::Reload => {
                let unchanged = |doc: &Doc| {
                    let last = versions.last().map(|v: &Stored| &v.cut);
                    last.map(|c| unchanged_since(doc, &c.state_vector, &c.diff).unwrap())
                };
                let before = unchanged(&server);
                server = reload(&server);
                assert_eq!(unchanged(&server), before, "reloading is not a change");
            }
        }
        if let Some(last) = versions.last() {
            // A doc that has not changed since a version reads as that version.
            if unchanged_since(&server, &last.cut.state_vector, &last.cut.diff).unwrap() {
                assert_eq!(materialise(&server, kind), last.content);
            }
        }
    }
    sync(&server, &peer);
    cut_next(&server, kind, &mut versions, every);
    for k in 0..versions.len() {
        assert_eq!(
            content_of(&versions, kind, k),
            versions[k].content,
            "version {k}"
        );
        let live = fork(&server);
        let other = fork(&server);
        let update = restore(&live, kind, &versions[k].content).unwrap();
        assert_eq!(materialise(&live, kind), versions[k].content, "restore {k}");
        // A peer's edit made while the restore happened survives the merge.
        let survived = concurrent_edit(&other);
        if !update.is_empty() {
            apply(&other, &update);
        }
        sync(&live, &other);
        assert_eq!(materialise(&live, kind), materialise(&other, kind));
        assert!(survived(&materialise(&live, kind)), "restore {k}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    #[test]
    fn every_prompt_version_rebuilds_and_restores(steps in steps(prompt_op()), every in 1..=5usize) {
        check_history(DocKind::Prompt, &steps, every, edit_prompt, type_marker);
    }

    #[test]
    fn every_model_version_rebuilds_and_restores(steps in steps(model_op()), every in 1..=5usize) {
        check_history(DocKind::Model, &steps, every, edit_model, add_field);
    }
}

#[test]
fn versions_rebuild_after_the_log_is_compacted() {
    let kind = DocKind::Prompt;
    let mut doc = new_doc();
    let mut versions = Vec::new();
    patch(
        &doc,
        kind,
        json!({"title": "A", "content": "one two three"}),
    );
    cut_next(&doc, kind, &mut versions, 3);
    patch(&doc, kind, json!({"content": "one three"}));
    cut_next(&doc, kind, &mut versions, 3);
    // Compaction: the log becomes one state blob, the room reloads from it,
    // and the doc that made versions 0 and 1 is gone.
    doc = reload(&doc);
    let last = &versions[1].cut;
    assert!(unchanged_since(&doc, &last.state_vector, &last.diff).unwrap());
    patch(
        &doc,
        kind,
        json!({"content": "one three four", "tags": ["t"]}),
    );
    cut_next(&doc, kind, &mut versions, 3);
    doc = reload(&doc);
    patch(&doc, kind, json!({"content": "three four"}));
    cut_next(&doc, kind, &mut versions, 3);
    drop(doc);
    let contents: Vec<_> = (0..versions.len())
        .map(|k| content_of(&versions, kind, k)["content"].clone())
        .collect();
    assert_eq!(
        contents,
        ["one two three", "one three", "one three four", "three four"]
    );
    assert_eq!(
        versions.iter().filter(|v| v.cut.snapshot.is_some()).count(),
        2
    );
}

#[test]
fn first_diff_is_a_snapshot_and_later_diffs_are_small() {
    let doc = new_doc();
    patch(&doc, DocKind::Prompt, json!({"content": "x".repeat(1000)}));
    let first = cut(&doc, None, true).unwrap();
    assert_eq!(first.snapshot.as_deref(), Some(first.diff.as_slice()));
    patch(&doc, DocKind::Prompt, json!({"title": "T"}));
    let second = cut(&doc, Some(&first.state_vector), false).unwrap();
    assert!(second.snapshot.is_none());
    assert!(second.diff.len() < 100, "{}", second.diff.len());
    let content = content_at(DocKind::Prompt, &first.diff, [second.diff.as_slice()]).unwrap();
    assert_eq!(content, materialise(&doc, DocKind::Prompt));
}

#[test]
fn delete_only_edits_count_as_changes() {
    let doc = new_doc();
    patch(&doc, DocKind::Prompt, json!({"content": "abc"}));
    let v = cut(&doc, None, false).unwrap();
    assert!(unchanged_since(&doc, &v.state_vector, &v.diff).unwrap());
    patch(&doc, DocKind::Prompt, json!({"content": "ac"}));
    assert!(!unchanged_since(&doc, &v.state_vector, &v.diff).unwrap());
    let w = cut(&doc, Some(&v.state_vector), false).unwrap();
    assert_eq!(w.state_vector, v.state_vector, "deleting adds no items");
    assert!(unchanged_since(&doc, &w.state_vector, &w.diff).unwrap());
    patch(&doc, DocKind::Prompt, json!({"title": "t"}));
    assert!(!unchanged_since(&doc, &w.state_vector, &w.diff).unwrap());
}

#[test]
fn a_missing_diff_or_bad_bytes_is_an_error() {
    let doc = new_doc();
    let mut cuts: Vec<Cut> = Vec::new();
    for text in ["a", "ab", "abc"] {
        patch(&doc, DocKind::Prompt, json!({"content": text}));
        let parent = cuts.last().map(|c| c.state_vector.clone());
        cuts.push(cut(&doc, parent.as_deref(), false).unwrap());
    }
    let err = rebuild(&cuts[0].diff, [cuts[2].diff.as_slice()]).unwrap_err();
    assert!(matches!(err, CrdtError::Update(_)), "{err:?}");
    let err = rebuild(&cuts[0].diff, [&[0xff, 0xff][..]]).unwrap_err();
    assert!(
        matches!(&err, CrdtError::Malformed(m) if m.starts_with("diff 0:")),
        "{err:?}"
    );
    assert!(rebuild(&[], []).is_err());
    assert!(cut(&doc, Some(&[0xff]), false).is_err());
    assert!(unchanged_since(&doc, &[], &cuts[2].diff).is_err());
}
