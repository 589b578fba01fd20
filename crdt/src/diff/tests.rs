//! The diff examples: exact JSON for typical edits, compared whole.

use super::*;
use crate::test_support::patch;
use crate::{materialise, new_doc};
use serde_json::json;

/// Materialised contents of a doc after each of `patches`, applied in turn.
fn versions(kind: DocKind, patches: &[Value]) -> Vec<Value> {
    let doc = new_doc();
    patches
        .iter()
        .map(|p| {
            patch(&doc, kind, p.clone());
            materialise(&doc, kind)
        })
        .collect()
}

fn diff_json(kind: DocKind, from: &Value, to: &Value) -> Value {
    serde_json::to_value(diff(kind, from, to)).unwrap()
}

#[test]
fn prompt_placeholder_rename() {
    let v = versions(
        DocKind::Prompt,
        &[
            json!({"title": "Greeter", "content": "Hi {{name}}"}),
            json!({"title": "Greeter v2", "content": "Hi {{user}}"}),
        ],
    );
    assert_eq!(
        diff_json(DocKind::Prompt, &v[0], &v[1]),
        json!({
          "metadata": [{"field": "title", "from": "Greeter", "to": "Greeter v2"}],
          "content": [{"old_start": 1, "old_lines": 1, "new_start": 1, "new_lines": 1, "lines": [
            {"op": "delete", "old_line": 1, "new_line": null, "text": "Hi {{name}}",
             "segments": [{"op": "equal", "text": "Hi {{"}, {"op": "delete", "text": "name"},
                          {"op": "equal", "text": "}}"}]},
            {"op": "insert", "old_line": null, "new_line": 1, "text": "Hi {{user}}",
             "segments": [{"op": "equal", "text": "Hi {{"}, {"op": "insert", "text": "user"},
                          {"op": "equal", "text": "}}"}]}]}],
          "variables": {"added": [{"name": "user", "description": "", "default": null, "required": true}],
                        "removed": [{"name": "name", "description": "", "default": null, "required": true}],
                        "changed": []}
        })
    );
}

#[test]
fn prompt_body_settings_and_variables() {
    let old = "Line one\nLine two\nLine three\nLine four\nAnswer about {{topic}} briefly.\n\
               Line six\nLine seven\nLine eight\nLine nine";
    let new = "Line one\nLine two\nLine three\nLine four\nAnswer about {{topic}} in depth.\n\
               Line six\nCite sources.\nLine seven\nLine eight\nLine nine";
    let v = versions(
        DocKind::Prompt,
        &[
            json!({"content": old, "tags": ["support"],
                   "settings": {"temperature": 0.2, "max_tokens": 256},
                   "variables": [{"name": "topic", "description": "Subject"},
                                 {"name": "tone", "default": "warm"}]}),
            json!({"content": new, "tags": ["support", "docs"],
                   "settings": {"temperature": 0.7, "max_tokens": null, "model": "gpt"},
                   "variables": [{"name": "topic", "description": "The subject", "default": "Rust",
                                  "required": false},
                                 {"name": "audience"}]}),
        ],
    );
    let eq = |o: usize, n: usize, text: &str| json!({"op": "equal", "old_line": o, "new_line": n, "text": text});
    assert_eq!(
        diff_json(DocKind::Prompt, &v[0], &v[1]),
        json!({
          "metadata": [
            {"field": "tags", "from": ["support"], "to": ["support", "docs"]},
            {"field": "settings.max_tokens", "from": 256, "to": null},
            {"field": "settings.model", "from": null, "to": "gpt"},
            {"field": "settings.temperature", "from": 0.2, "to": 0.7},
          ],
          "content": [{"old_start": 2, "old_lines": 8, "new_start": 2, "new_lines": 9, "lines": [
            eq(2, 2, "Line two\n"), eq(3, 3, "Line three\n"), eq(4, 4, "Line four\n"),
            {"op": "delete", "old_line": 5, "new_line": null,
             "text": "Answer about {{topic}} briefly.\n",
             "segments": [{"op": "equal", "text": "Answer about {{topic}} "},
                          {"op": "delete", "text": "briefly"}, {"op": "equal", "text": ".\n"}]},
            {"op": "insert", "old_line": null, "new_line": 5,
             "text": "Answer about {{topic}} in depth.\n",
             "segments": [{"op": "equal", "text": "Answer about {{topic}} "},
                          {"op": "insert", "text": "in depth"}, {"op": "equal", "text": ".\n"}]},
            eq(6, 6, "Line six\n"),
            {"op": "insert", "old_line": null, "new_line": 7, "text": "Cite sources.\n"},
            eq(7, 8, "Line seven\n"), eq(8, 9, "Line eight\n"), eq(9, 10, "Line nine"),
          ]}],
          "variables": {
            "added": [{"name": "audience", "description": "", "default": null, "required": true}],
            "removed": [{"name": "tone", "description": "", "default": "warm", "required": true}],
            "changed": [
              {"name": "topic", "attribute": "description", "from": "Subject", "to": "The subject"},
              {"name": "topic", "attribute": "default", "from": null, "to": "Rust"},
              {"name": "topic", "attribute": "required", "from": true, "to": false},
            ]
          }
        })
    );
}

#[test]
fn identical_prompts_have_an_empty_diff() {
    let v = versions(
        DocKind::Prompt,
        &[json!({"title": "T", "content": "a\nb", "settings": {"k": 1}})],
    );
    assert_eq!(
        diff_json(DocKind::Prompt, &v[0], &v[0]),
        json!({"metadata": [], "content": [], "variables": {"added": [], "removed": [], "changed": []}})
    );
}

#[test]
fn model_rename_retype_move() {
    let v = versions(
        DocKind::Model,
        &[
            json!({"name": "User", "fields": [
                {"id": "f1", "name": "id", "type": "uuid"},
                {"id": "f2", "name": "email", "type": "string"}]}),
            json!({"name": "Person", "fields": [
                {"id": "f2", "name": "mail", "type": "text"},
                {"id": "f1", "unique": true}]}),
        ],
    );
    let empty = json!({"added": [], "removed": [], "renamed": [], "retyped": [], "reordered": [],
                       "changed": []});
    assert_eq!(
        diff_json(DocKind::Model, &v[0], &v[1]),
        json!({
          "metadata": [{"field": "name", "from": "User", "to": "Person"}],
          "fields": {"added": [], "removed": [],
                     "renamed": [{"id": "f2", "from": "email", "to": "mail"}],
                     "retyped": [{"id": "f2", "name": "mail", "from": "string", "to": "text"}],
                     "reordered": ["f2"],
                     "changed": [{"id": "f1", "name": "id", "attribute": "unique", "from": false, "to": true}]},
          "relations": empty
        })
    );
}

#[test]
fn model_fields_and_relations_added_removed_changed() {
    let v = versions(
        DocKind::Model,
        &[
            json!({"name": "Order", "description": "", "fields": [
                {"id": "a", "name": "id", "type": "uuid"},
                {"id": "b", "name": "status", "type": "enum", "enum_values": ["new", "paid"]},
                {"id": "c", "name": "total", "type": "number"},
                {"id": "d", "name": "note", "type": "text"}],
              "relations": [
                {"id": "r1", "name": "customer", "kind": "one_to_one", "target": "m-user"},
                {"id": "r2", "name": "lines", "kind": "one_to_many", "target": "m-line"}]}),
            json!({"description": "A purchase", "fields": [
                {"id": "a"},
                {"id": "c"},
                {"id": "b", "enum_values": ["new", "paid", "shipped"], "default": "new"},
                {"id": "e", "name": "placed_at", "type": "datetime", "required": true}],
              "relations": [
                {"id": "r1", "kind": "many_to_many", "target": "m-customer"},
                {"id": "r3", "name": "coupon", "kind": "one_to_one", "target": "m-coupon"}]}),
        ],
    );
    assert_eq!(
        diff_json(DocKind::Model, &v[0], &v[1]),
        json!({
          "metadata": [{"field": "description", "from": "", "to": "A purchase"}],
          "fields": {
            "added": [{"id": "e", "name": "placed_at", "type": "datetime", "required": true,
                       "unique": false, "default": null, "enum_values": [], "description": ""}],
            "removed": [{"id": "d", "name": "note", "type": "text", "required": false,
                         "unique": false, "default": null, "enum_values": [], "description": ""}],
            "renamed": [],
            "retyped": [],
            "reordered": ["c"],
            "changed": [
              {"id": "b", "name": "status", "attribute": "default", "from": null, "to": "new"},
              {"id": "b", "name": "status", "attribute": "enum_values",
               "from": ["new", "paid"], "to": ["new", "paid", "shipped"]},
            ]
          },
          "relations": {
            "added": [{"id": "r3", "name": "coupon", "kind": "one_to_one", "target": "m-coupon"}],
            "removed": [{"id": "r2", "name": "lines", "kind": "one_to_many", "target": "m-line"}],
            "renamed": [],
            "retyped": [{"id": "r1", "name": "customer", "from": "one_to_one", "to": "many_to_many"}],
            "reordered": [],
            "changed": [{"id": "r1", "name": "customer", "attribute": "target",
                         "from": "m-user", "to": "m-customer"}]
          }
        })
    );
}

#[test]
fn diffs_read_anything_without_failing() {
    let junk = json!({"fields": [1, {"id": 2}, {"id": "x"}, {"id": "x", "name": "dup"}],
                      "content": 5, "variables": "no", "settings": []});
    for kind in DocKind::ALL {
        let d = diff(kind, &junk, &json!(null));
        let back: Diff = serde_json::from_value(serde_json::to_value(&d).unwrap()).unwrap();
        assert_eq!(back, d);
    }
    let Diff::Model(m) = diff(DocKind::Model, &junk, &json!({})) else {
        panic!("a model diff")
    };
    assert_eq!(m.fields.removed, [json!({"id": "x"})]);
}
