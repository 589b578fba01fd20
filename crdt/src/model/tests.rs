use crate::schema::{POSITION, ROOT_FIELDS};
use crate::test_support::{errors, field_names, fork, model_with_fields, patch, paths, sync};
use crate::{DocKind, materialise, new_doc};
use proptest::prelude::*;
use serde_json::json;
use yrs::{Doc, ReadTxn, Transact};

fn position_of(doc: &Doc, id: &str) -> String {
    let txn = doc.transact();
    let fields = txn.get_map(ROOT_FIELDS).unwrap();
    let field = crate::json::get_map(&txn, &fields, id).unwrap();
    crate::json::get_string(&txn, &field, POSITION)
}

#[test]
fn model_patch_round_trips() {
    let doc = new_doc();
    let p = json!({
        "kind": "model", "name": "User", "description": "A person",
        "fields": [
            {"id": "f1", "name": "id", "type": "uuid", "required": true, "unique": true, "default": null,
             "enum_values": [], "description": "Primary key"},
            {"id": "f2", "name": "role", "type": "enum", "required": false, "unique": false, "default": "user",
             "enum_values": ["user", "admin"], "description": ""},
        ],
        "relations": [{"id": "r1", "name": "posts", "kind": "one_to_many", "target": "post-model-id"}],
    });
    patch(&doc, DocKind::Model, p.clone());
    assert_eq!(materialise(&doc, DocKind::Model), p);
}

#[test]
fn new_items_get_defaults_and_unique_generated_ids() {
    let doc = new_doc();
    patch(
        &doc,
        DocKind::Model,
        json!({"fields": [{"name": "a"}, {"name": "b", "type": "integer"}]}),
    );
    patch(&doc, DocKind::Model, json!({"fields": [{"name": "c"}]}));
    let again = materialise(&doc, DocKind::Model);
    assert_eq!(
        field_names(&doc),
        ["c"],
        "fields missing from the list are deleted"
    );
    let c = &again["fields"][0];
    assert_eq!(c["type"], "string");
    assert_eq!(c["required"], false);
    assert_eq!(c["enum_values"], json!([]));

    let doc = new_doc();
    patch(
        &doc,
        DocKind::Model,
        json!({"fields": [{"name": "a"}, {"name": "b"}]}),
    );
    let first = materialise(&doc, DocKind::Model)["fields"].clone();
    let mut keep: Vec<_> = first
        .as_array()
        .unwrap()
        .iter()
        .map(|f| json!({"id": f["id"]}))
        .collect();
    keep.push(json!({"name": "c"}));
    patch(&doc, DocKind::Model, json!({"fields": keep}));
    let ids: std::collections::HashSet<_> = materialise(&doc, DocKind::Model)["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 3);
    assert_eq!(field_names(&doc), ["a", "b", "c"]);
}

#[test]
fn validation_errors_list_json_paths_and_change_nothing() {
    let doc = new_doc();
    patch(
        &doc,
        DocKind::Model,
        json!({"name": "M", "fields": [{"id": "a", "name": "a"}]}),
    );
    let before = (
        materialise(&doc, DocKind::Model),
        doc.transact().state_vector(),
    );
    let errs = errors(
        &doc,
        DocKind::Model,
        json!({
            "kind": "prompt", "name": 5, "colour": "red",
            "fields": [
                {"id": "a", "name": "renamed"},
                {"name": "x", "type": "float", "enum_values": ["ok", 1], "extra": true},
                {"type": "string"},
                {"id": "a", "name": "dupe-id"},
            ],
            "relations": [{"name": "r", "kind": "one_to_all", "target": "t"}],
        }),
    );
    assert_eq!(
        paths(&errs),
        [
            "colour",
            "kind",
            "name",
            "fields[1].extra",
            "fields[1].type",
            "fields[1].enum_values[1]",
            "fields[3].id",
            "relations[0].kind"
        ]
    );
    assert_eq!(
        (
            materialise(&doc, DocKind::Model),
            doc.transact().state_vector()
        ),
        before
    );

    let errs = errors(
        &doc,
        DocKind::Model,
        json!({"fields": [{"id": "a"}, {"type": "string"}, {"name": "a"}],
        "relations": [{"name": "r"}]}),
    );
    assert_eq!(
        paths(&errs),
        [
            "fields[1].name",
            "fields[2].name",
            "relations[0].kind",
            "relations[0].target"
        ]
    );
    assert_eq!(errs[0].message, "required for a new field");
    assert_eq!(errs[1].message, "duplicate field name");
    assert_eq!(
        (
            materialise(&doc, DocKind::Model),
            doc.transact().state_vector()
        ),
        before
    );
}

#[test]
fn reorder_rewrites_only_the_moved_position() {
    let doc = model_with_fields(&["a", "b", "c", "d"]);
    let before: Vec<_> = ["a", "b", "c", "d"]
        .iter()
        .map(|id| position_of(&doc, id))
        .collect();
    patch(
        &doc,
        DocKind::Model,
        json!({"fields": [{"id": "a"}, {"id": "c"}, {"id": "d"}, {"id": "b"}]}),
    );
    assert_eq!(field_names(&doc), ["a", "c", "d", "b"]);
    let after: Vec<_> = ["a", "b", "c", "d"]
        .iter()
        .map(|id| position_of(&doc, id))
        .collect();
    let moved: Vec<_> = before.iter().zip(&after).map(|(x, y)| x != y).collect();
    assert_eq!(moved, [false, true, false, false]);
}

#[test]
fn concurrent_reorder_and_edit_converge_without_duplicates() {
    let a = model_with_fields(&["a", "b", "c"]);
    let b = fork(&a);
    patch(
        &a,
        DocKind::Model,
        json!({"fields": [{"id": "c"}, {"id": "a"}, {"id": "b"}]}),
    );
    patch(
        &b,
        DocKind::Model,
        json!({"fields": [{"id": "a"}, {"id": "b", "name": "bee", "type": "text"}, {"id": "c"}]}),
    );
    sync(&a, &b);
    assert_eq!(
        materialise(&a, DocKind::Model),
        materialise(&b, DocKind::Model)
    );
    assert_eq!(field_names(&a), ["c", "a", "bee"]);
    assert_eq!(materialise(&a, DocKind::Model)["fields"][2]["type"], "text");
}

#[test]
fn concurrent_moves_and_inserts_converge_without_duplicates() {
    let a = model_with_fields(&["a", "b", "c", "d"]);
    let b = fork(&a);
    patch(
        &a,
        DocKind::Model,
        json!({"fields": [{"id": "d"}, {"id": "a"}, {"id": "b"}, {"id": "c"}, {"name": "from_a"}]}),
    );
    patch(
        &b,
        DocKind::Model,
        json!({"fields": [{"id": "a"}, {"id": "c"}, {"id": "b"}, {"id": "d"}, {"name": "from_b"}]}),
    );
    sync(&a, &b);
    assert_eq!(
        materialise(&a, DocKind::Model),
        materialise(&b, DocKind::Model)
    );
    let mut names = field_names(&a);
    assert_eq!(names[0], "d");
    names.sort();
    assert_eq!(names, ["a", "b", "c", "d", "from_a", "from_b"]);
}

/// A desired field list: some of `BASE` in a random order, plus new items.
fn list_edit(peer: &'static str) -> impl Strategy<Value = Vec<String>> {
    let kept = proptest::sample::subsequence(BASE.to_vec(), 0..=BASE.len()).prop_shuffle();
    (kept, proptest::collection::vec(0..=BASE.len(), 0..3)).prop_map(move |(kept, inserts)| {
        let mut names: Vec<String> = kept.into_iter().map(str::to_owned).collect();
        for (n, at) in inserts.into_iter().enumerate() {
            names.insert(at.min(names.len()), format!("new_{peer}{n}"));
        }
        names
    })
}

const BASE: [&str; 5] = ["a", "b", "c", "d", "e"];

/// The patch for `names`: base items by id, new items by name only.
fn list_patch(names: &[String]) -> serde_json::Value {
    let items: Vec<_> = names
        .iter()
        .map(|n| {
            if n.starts_with("new_") {
                json!({"name": n})
            } else {
                json!({"id": n})
            }
        })
        .collect();
    json!({"fields": items})
}

proptest! {
    #[test]
    fn concurrent_list_patches_converge(a_names in list_edit("a"), b_names in list_edit("b")) {
        let a = model_with_fields(&BASE);
        let b = fork(&a);
        patch(&a, DocKind::Model, list_patch(&a_names));
        patch(&b, DocKind::Model, list_patch(&b_names));
        prop_assert_eq!(field_names(&a), a_names.clone());
        prop_assert_eq!(field_names(&b), b_names.clone());
        sync(&a, &b);
        prop_assert_eq!(materialise(&a, DocKind::Model), materialise(&b, DocKind::Model));
        let mut merged = field_names(&a);
        merged.sort();
        let mut expected: Vec<String> = a_names
            .iter()
            .filter(|n| n.starts_with("new_") || b_names.contains(n))
            .chain(b_names.iter().filter(|n| n.starts_with("new_")))
            .cloned()
            .collect();
        expected.sort();
        prop_assert_eq!(merged, expected);
    }
}
