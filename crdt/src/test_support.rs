//! Helpers shared by the document tests: peers, syncing and patch shortcuts.

use crate::{CrdtError, DocKind, FieldError, apply_patch, materialise, new_doc};
use serde_json::{Value, json};
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, StateVector, Transact, Update};

/// Applies a v1 update to `doc`.
pub fn apply(doc: &Doc, update: &[u8]) {
    let mut txn = doc.transact_mut();
    txn.apply_update(Update::decode_v1(update).unwrap())
        .unwrap();
}

/// Sends each doc what the other is missing.
pub fn sync(a: &Doc, b: &Doc) {
    let a_to_b = a
        .transact()
        .encode_state_as_update_v1(&b.transact().state_vector());
    let b_to_a = b
        .transact()
        .encode_state_as_update_v1(&a.transact().state_vector());
    apply(b, &a_to_b);
    apply(a, &b_to_a);
}

/// A second peer (own client id) holding a copy of `doc`.
pub fn fork(doc: &Doc) -> Doc {
    let copy = new_doc();
    apply(
        &copy,
        &doc.transact()
            .encode_state_as_update_v1(&StateVector::default()),
    );
    copy
}

/// Applies a patch that must be valid.
pub fn patch(doc: &Doc, kind: DocKind, p: Value) -> Vec<u8> {
    apply_patch(doc, kind, &p).unwrap()
}

/// Applies a patch that must fail validation; returns its errors.
pub fn errors(doc: &Doc, kind: DocKind, p: Value) -> Vec<FieldError> {
    match apply_patch(doc, kind, &p) {
        Err(CrdtError::Validation(errors)) => errors,
        other => panic!("expected validation errors, got {other:?}"),
    }
}

/// The JSON paths of `errors`, in order.
pub fn paths(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field.as_str()).collect()
}

/// A model doc whose fields have ids and names `names`, in that order.
pub fn model_with_fields(names: &[&str]) -> Doc {
    let doc = new_doc();
    let fields: Vec<_> = names.iter().map(|n| json!({"id": n, "name": n})).collect();
    patch(&doc, DocKind::Model, json!({"fields": fields}));
    doc
}

/// The materialised field names, in order.
pub fn field_names(doc: &Doc) -> Vec<String> {
    let m = materialise(doc, DocKind::Model);
    m["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap().to_owned())
        .collect()
}
