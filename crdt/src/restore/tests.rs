use super::*;
use crate::test_support::{apply, fork, patch, sync};
use crate::{CrdtError, new_doc};
use serde_json::json;

#[test]
fn prompt_comes_back_and_a_concurrent_edit_survives() {
    let kind = DocKind::Prompt;
    let live = new_doc();
    patch(
        &live,
        kind,
        json!({"title": "Greeter", "tags": ["a"], "content": "Hello world, {{name}}.",
               "settings": {"temperature": 0.5},
               "variables": [{"name": "tone", "default": "warm"}]}),
    );
    let v1 = materialise(&live, kind);
    patch(
        &live,
        kind,
        json!({"title": "Greeter 2", "tags": [], "content": "Hello there world, {{who}}.",
               "settings": {"temperature": null, "top_p": 1},
               "variables": [{"name": "who", "description": "d"}]}),
    );
    let peer = fork(&live);
    patch(
        &peer,
        kind,
        json!({"content": "PEER Hello there world, {{who}}."}),
    );

    let update = restore(&live, kind, &v1).unwrap();
    assert_eq!(materialise(&live, kind), v1);
    apply(&peer, &update);
    sync(&live, &peer);
    let merged = materialise(&live, kind);
    assert_eq!(merged, materialise(&peer, kind));
    assert_eq!(merged["content"], "PEER Hello world, {{name}}.");
    assert_eq!(merged["title"], "Greeter");
}

#[test]
fn implicit_placeholders_stay_undeclared() {
    let kind = DocKind::Prompt;
    let live = new_doc();
    patch(&live, kind, json!({"content": "{{a}} {{b}}"}));
    let v1 = materialise(&live, kind);
    patch(
        &live,
        kind,
        json!({"content": "{{b}}", "variables": [{"name": "b", "description": "x"}]}),
    );
    restore(&live, kind, &v1).unwrap();
    assert_eq!(materialise(&live, kind), v1);
    // `b` stays declared (it was when the restore ran), `a` stays implicit:
    // deleting `{{a}}` later drops it from the variables again.
    assert_eq!(declared_variables(&live), HashSet::from(["b".to_owned()]));
    patch(&live, kind, json!({"content": ""}));
    let names: Vec<_> = materialise(&live, kind)["variables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].clone())
        .collect();
    assert_eq!(names, ["b"]);
}

fn model_v1() -> Doc {
    let live = new_doc();
    patch(
        &live,
        DocKind::Model,
        json!({"name": "User", "fields": [
            {"id": "f1", "name": "id", "type": "uuid", "required": true},
            {"id": "f2", "name": "email", "type": "string", "unique": true},
            {"id": "f3", "name": "age", "type": "integer"},
        ], "relations": [{"id": "r1", "name": "posts", "kind": "one_to_many", "target": "post"}]}),
    );
    live
}

#[test]
fn model_items_come_back_under_their_ids() {
    let kind = DocKind::Model;
    let live = model_v1();
    let v1 = materialise(&live, kind);
    // Since v1: f3 removed, f2 renamed, retyped and moved first, f4 added, r1 removed.
    patch(
        &live,
        kind,
        json!({"name": "Person", "fields": [
            {"id": "f2", "name": "mail", "type": "text"},
            {"id": "f1"},
            {"id": "f4", "name": "nickname"},
        ], "relations": []}),
    );
    let peer = fork(&live);
    let mut fields = materialise(&peer, kind)["fields"].clone();
    fields
        .as_array_mut()
        .unwrap()
        .push(json!({"id": "p1", "name": "from_peer"}));
    patch(&peer, kind, json!({"fields": fields}));

    let update = restore(&live, kind, &v1).unwrap();
    assert_eq!(materialise(&live, kind), v1);
    apply(&peer, &update);
    sync(&live, &peer);
    let merged = materialise(&live, kind);
    assert_eq!(merged, materialise(&peer, kind));
    let ids: Vec<_> = merged["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["f1", "f2", "f3", "p1"]);
    assert_eq!(merged["relations"], v1["relations"]);
}

#[test]
fn server_fields_are_ignored_and_a_no_op_restore_is_empty() {
    let kind = DocKind::Model;
    let live = model_v1();
    let mut target = materialise(&live, kind);
    for (key, value) in [
        ("id", json!("0190a0b0-0000-7000-8000-000000000000")),
        ("workspace_id", json!("w")),
        ("version", json!(7)),
        ("created_at", json!("2026-01-01T00:00:00Z")),
        ("updated_at", json!("2026-01-01T00:00:00Z")),
    ] {
        target[key] = value;
    }
    assert!(restore(&live, kind, &target).unwrap().is_empty());
}

#[test]
fn a_target_that_breaks_the_schema_changes_nothing() {
    let kind = DocKind::Model;
    let live = model_v1();
    let before = materialise(&live, kind);
    let mut target = before.clone();
    target["fields"][2]["name"] = json!("email");
    let err = restore(&live, kind, &target).unwrap_err();
    assert!(matches!(err, CrdtError::Validation(_)), "{err:?}");
    assert_eq!(materialise(&live, kind), before);
}

#[test]
fn a_version_of_the_other_kind_is_refused() {
    let live = model_v1();
    let prompt = materialise(&new_doc(), DocKind::Prompt);
    let err = restore(&live, DocKind::Model, &prompt).unwrap_err();
    assert!(matches!(err, CrdtError::Validation(_)), "{err:?}");
}
