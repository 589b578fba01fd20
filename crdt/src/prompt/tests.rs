use crate::schema::ROOT_CONTENT;
use crate::test_support::{errors, fork, patch, paths, sync};
use crate::{DocKind, materialise, new_doc};
use serde_json::json;
use yrs::{GetString, Text, Transact};

#[test]
fn prompt_patch_round_trips() {
    let doc = new_doc();
    let p = json!({
        "kind": "prompt", "title": "Greeter", "description": "Says hi", "tags": ["a", "b"],
        "content": "Hi {{ name }}, about {{topic}}.",
        "variables": [{"name": "topic", "description": "What", "default": "cats", "required": false},
                      {"name": "unused"}],
        "settings": {"temperature": 0.5, "max_tokens": 256, "stop": ["\n"]},
    });
    assert!(!patch(&doc, DocKind::Prompt, p).is_empty());
    assert_eq!(
        materialise(&doc, DocKind::Prompt),
        json!({
            "kind": "prompt", "title": "Greeter", "description": "Says hi", "tags": ["a", "b"],
            "content": "Hi {{ name }}, about {{topic}}.",
            "variables": [
                {"name": "name", "description": "", "default": null, "required": true},
                {"name": "topic", "description": "What", "default": "cats", "required": false},
                {"name": "unused", "description": "", "default": null, "required": true},
            ],
            "settings": {"temperature": 0.5, "max_tokens": 256, "stop": ["\n"]},
        })
    );
}

#[test]
fn partial_prompt_patch_touches_only_given_keys() {
    let doc = new_doc();
    patch(
        &doc,
        DocKind::Prompt,
        json!({"title": "T", "settings": {"a": 1, "b": 2},
        "variables": [{"name": "x", "description": "d"}, {"name": "y"}]}),
    );
    patch(
        &doc,
        DocKind::Prompt,
        json!({"settings": {"a": null, "c": 3},
        "variables": [{"name": "x", "required": false}]}),
    );
    let p = materialise(&doc, DocKind::Prompt);
    assert_eq!(p["title"], "T");
    assert_eq!(p["settings"], json!({"b": 2, "c": 3}));
    assert_eq!(
        p["variables"],
        json!([{"name": "x", "description": "d", "default": null, "required": false}])
    );
}

#[test]
fn prompt_validation_errors_change_nothing() {
    let doc = new_doc();
    patch(
        &doc,
        DocKind::Prompt,
        json!({"title": "T", "content": "abc"}),
    );
    let before = materialise(&doc, DocKind::Prompt);
    let errs = errors(
        &doc,
        DocKind::Prompt,
        json!({
            "title": 1, "content": "changed", "tags": "x", "settings": [],
            "variables": [{"name": "ok"}, {"name": "bad name"}, {"name": "ok"}, {"default": 3}],
        }),
    );
    assert_eq!(
        paths(&errs),
        [
            "title",
            "tags",
            "settings",
            "variables[1].name",
            "variables[2].name",
            "variables[3].name",
            "variables[3].default"
        ]
    );
    assert_eq!(materialise(&doc, DocKind::Prompt), before);
    assert_eq!(
        paths(&errors(
            &doc,
            DocKind::Prompt,
            json!(["not", "an", "object"])
        )),
        [""]
    );
}

#[test]
fn text_patch_is_a_minimal_edit() {
    let doc = new_doc();
    let long = "lorem ipsum ".repeat(200);
    patch(&doc, DocKind::Prompt, json!({"content": long}));
    let update = patch(
        &doc,
        DocKind::Prompt,
        json!({"content": format!("{long}!")}),
    );
    assert!(
        update.len() < 64,
        "update of {} bytes for one character",
        update.len()
    );
    let update = patch(
        &doc,
        DocKind::Prompt,
        json!({"content": format!("X{}!", &long[1..])}),
    );
    assert!(
        update.len() < 64,
        "update of {} bytes for one character",
        update.len()
    );
}

#[test]
fn concurrent_text_edit_survives_patch() {
    let a = new_doc();
    patch(&a, DocKind::Prompt, json!({"content": "Hello 😀 world"}));
    let b = fork(&a);
    // Peer A types at the start through yrs directly, like an editor would.
    {
        let text = a.get_or_insert_text(ROOT_CONTENT);
        text.insert(&mut a.transact_mut(), 0, "Oh, ");
    }
    // Peer B's REST patch changes the end, computed from its stale text.
    patch(
        &b,
        DocKind::Prompt,
        json!({"content": "Hello 😀 world, again"}),
    );
    sync(&a, &b);
    for doc in [&a, &b] {
        let text = doc.get_or_insert_text(ROOT_CONTENT);
        assert_eq!(
            text.get_string(&doc.transact()),
            "Oh, Hello 😀 world, again"
        );
    }
}

#[test]
fn settings_edited_concurrently_on_different_keys_both_survive() {
    let a = new_doc();
    patch(&a, DocKind::Prompt, json!({"settings": {"temperature": 1}}));
    let b = fork(&a);
    patch(
        &a,
        DocKind::Prompt,
        json!({"settings": {"temperature": 0.2}}),
    );
    patch(&b, DocKind::Prompt, json!({"settings": {"top_p": 0.9}}));
    sync(&a, &b);
    for doc in [&a, &b] {
        assert_eq!(
            materialise(doc, DocKind::Prompt)["settings"],
            json!({"temperature": 0.2, "top_p": 0.9})
        );
    }
}
