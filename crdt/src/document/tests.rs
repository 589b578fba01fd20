use super::*;
use crate::test_support::{apply, field_names, fork, model_with_fields, patch};
use serde_json::json;
use yrs::{ReadTxn, WriteTxn};

#[test]
fn empty_doc_materialises_as_empty_documents() {
    let doc = new_doc();
    assert_eq!(
        materialise(&doc, DocKind::Prompt),
        json!({"kind": "prompt", "title": "", "description": "", "tags": [], "content": "",
               "variables": [], "settings": {}})
    );
    assert_eq!(
        materialise(&doc, DocKind::Model),
        json!({"kind": "model", "name": "", "description": "", "fields": [], "relations": []})
    );
}

#[test]
fn unchanged_patch_returns_an_empty_update() {
    let doc = new_doc();
    let p = json!({"title": "T", "content": "abc", "tags": ["x"], "settings": {"k": 1, "gone": null},
        "variables": [{"name": "v", "default": null}]});
    patch(&doc, DocKind::Prompt, p.clone());
    let before = doc.transact().state_vector();
    assert!(patch(&doc, DocKind::Prompt, p).is_empty());
    assert!(patch(&doc, DocKind::Prompt, json!({})).is_empty());
    assert_eq!(doc.transact().state_vector(), before);

    let model = model_with_fields(&["a", "b"]);
    assert!(
        patch(
            &model,
            DocKind::Model,
            json!({"fields": [{"id": "a"}, {"id": "b", "name": "b"}]})
        )
        .is_empty()
    );
}

#[test]
fn patch_update_brings_a_peer_to_the_same_state() {
    let doc = new_doc();
    let peer = fork(&doc);
    let update = patch(
        &doc,
        DocKind::Model,
        json!({"name": "User", "fields": [{"name": "email", "type": "string", "unique": true}]}),
    );
    apply(&peer, &update);
    assert_eq!(
        materialise(&peer, DocKind::Model),
        materialise(&doc, DocKind::Model)
    );
}

#[test]
fn materialise_tolerates_foreign_shapes() {
    let doc = new_doc();
    {
        let mut txn = doc.transact_mut();
        let meta = txn.get_or_insert_map(crate::schema::ROOT_META);
        meta.insert(&mut txn, "title", 42);
        meta.insert(
            &mut txn,
            "tags",
            yrs::Any::from(vec![yrs::Any::from("ok"), yrs::Any::from(1)]),
        );
        let vars = txn.get_or_insert_map(crate::schema::ROOT_VARIABLES);
        vars.insert(&mut txn, "plain", "not a map");
        let fields = txn.get_or_insert_map(crate::schema::ROOT_FIELDS);
        fields.insert(&mut txn, "junk", 1);
    }
    let p = materialise(&doc, DocKind::Prompt);
    assert_eq!(p["title"], "");
    assert_eq!(p["tags"], json!(["ok"]));
    assert_eq!(
        p["variables"],
        json!([{"name": "plain", "description": "", "default": null, "required": true}])
    );
    assert_eq!(materialise(&doc, DocKind::Model)["fields"], json!([]));
    // A patch repairs the broken entries instead of failing on them.
    patch(
        &doc,
        DocKind::Model,
        json!({"fields": [{"id": "junk", "name": "fixed"}]}),
    );
    assert_eq!(field_names(&doc), ["fixed"]);
}

#[test]
fn content_with_an_embed_is_refused_not_mangled() {
    use yrs::Text;
    let doc = new_doc();
    patch(&doc, DocKind::Prompt, json!({"content": "Hello world"}));
    {
        let mut txn = doc.transact_mut();
        let text = txn.get_or_insert_text(crate::schema::ROOT_CONTENT);
        text.insert_embed(&mut txn, 5, yrs::Any::from("img"));
    }
    let err = apply_patch(&doc, DocKind::Prompt, &json!({"content": "Hello there"})).unwrap_err();
    assert!(matches!(err, CrdtError::Validation(_)), "{err:?}");
    assert_eq!(materialise(&doc, DocKind::Prompt)["content"], "Hello world");
}
