//! Random edits for the history scenarios: prompt and model operations, and
//! the concurrent edit a peer makes while a restore happens.

use crate::test_support::patch;
use crate::{CrdtError, DocKind, apply_patch, materialise};
use proptest::prelude::*;
use proptest::sample::Index;
use serde_json::{Value, json};
use yrs::Doc;

/// A patch that must be valid or fail validation (concurrent history can make it invalid).
fn try_patch(doc: &Doc, kind: DocKind, p: Value) {
    match apply_patch(doc, kind, &p) {
        Ok(_) | Err(CrdtError::Validation(_)) => {}
        Err(e) => panic!("{e:?} for {p}"),
    }
}

#[derive(Debug, Clone)]
pub(super) enum PromptOp {
    Insert(Index, String),
    Delete(Index, usize),
    Title(String),
    Tags(Vec<String>),
    Variables(Vec<(String, Option<String>, bool)>),
    Setting(String, Option<i64>),
}

pub(super) fn prompt_op() -> impl Strategy<Value = PromptOp> {
    let text = "( |a|b|é|\n|\\{\\{v1\\}\\}|\\{\\{ v2 \\}\\}|\\\\\\{\\{v3\\}\\}){1,6}";
    let variables = proptest::collection::btree_map(
        "v[1-4]",
        (proptest::option::of("[xy]{0,2}"), any::<bool>()),
        0..3,
    )
    .prop_map(|m| m.into_iter().map(|(n, (d, r))| (n, d, r)).collect());
    prop_oneof![
        3 => (any::<Index>(), text).prop_map(|(at, s)| PromptOp::Insert(at, s)),
        2 => (any::<Index>(), 0..6usize).prop_map(|(at, n)| PromptOp::Delete(at, n)),
        1 => "[A-Z]{0,3}".prop_map(PromptOp::Title),
        1 => proptest::collection::vec("[a-c]", 0..3).prop_map(PromptOp::Tags),
        1 => variables.prop_map(PromptOp::Variables),
        1 => ("[k-m]", proptest::option::of(0..3i64)).prop_map(|(k, v)| PromptOp::Setting(k, v)),
    ]
}

pub(super) fn edit_prompt(doc: &Doc, op: &PromptOp, _step: usize) {
    let kind = DocKind::Prompt;
    let content = materialise(doc, kind)["content"]
        .as_str()
        .unwrap()
        .to_owned();
    let chars: Vec<char> = content.chars().collect();
    let p = match op {
        PromptOp::Insert(at, s) => {
            let i = at.index(chars.len() + 1);
            let new: String = chars[..i]
                .iter()
                .chain(s.chars().collect::<Vec<_>>().iter())
                .chain(&chars[i..])
                .collect();
            json!({"content": new})
        }
        PromptOp::Delete(at, n) => {
            let i = at.index(chars.len() + 1);
            let end = (i + n).min(chars.len());
            let new: String = chars[..i].iter().chain(&chars[end..]).collect();
            json!({"content": new})
        }
        PromptOp::Title(t) => json!({"title": t}),
        PromptOp::Tags(t) => json!({"tags": t}),
        PromptOp::Variables(vars) => {
            let list: Vec<_> = vars
                .iter()
                .map(|(n, d, r)| json!({"name": n, "default": d, "required": r}))
                .collect();
            json!({"variables": list})
        }
        PromptOp::Setting(k, v) => json!({"settings": {k.as_str(): v}}),
    };
    try_patch(doc, kind, p);
}

/// Types a marker at the start of the peer's prompt; the check finds it after the merge.
pub(super) fn type_marker(doc: &Doc) -> Box<dyn Fn(&Value) -> bool> {
    let content = materialise(doc, DocKind::Prompt)["content"]
        .as_str()
        .unwrap()
        .to_owned();
    patch(
        doc,
        DocKind::Prompt,
        json!({"content": format!("§{content}")}),
    );
    Box::new(|merged| merged["content"].as_str().unwrap().contains('§'))
}

#[derive(Debug, Clone)]
pub(super) enum ModelOp {
    AddField(usize),
    RemoveField(Index),
    RenameField(Index),
    RetypeField(Index, usize),
    MoveField(Index, Index),
    ToggleRequired(Index),
    AddRelation(usize),
    RemoveRelation(Index),
    RenameRelation(Index),
    Rename(String),
}

pub(super) fn model_op() -> impl Strategy<Value = ModelOp> {
    let ty = 0..crate::schema::FIELD_TYPES.len();
    let rel = 0..crate::schema::RELATION_KINDS.len();
    prop_oneof![
        3 => ty.clone().prop_map(ModelOp::AddField),
        1 => any::<Index>().prop_map(ModelOp::RemoveField),
        1 => any::<Index>().prop_map(ModelOp::RenameField),
        1 => (any::<Index>(), ty).prop_map(|(i, t)| ModelOp::RetypeField(i, t)),
        2 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| ModelOp::MoveField(a, b)),
        1 => any::<Index>().prop_map(ModelOp::ToggleRequired),
        1 => rel.prop_map(ModelOp::AddRelation),
        1 => any::<Index>().prop_map(ModelOp::RemoveRelation),
        1 => any::<Index>().prop_map(ModelOp::RenameRelation),
        1 => "[A-Z][a-z]{0,3}".prop_map(ModelOp::Rename),
    ]
}

pub(super) fn edit_model(doc: &Doc, op: &ModelOp, step: usize) {
    let kind = DocKind::Model;
    let m = materialise(doc, kind);
    let mut fields = m["fields"].as_array().unwrap().clone();
    let mut relations = m["relations"].as_array().unwrap().clone();
    // Names unique per step and peer, so edits never collide on a name.
    let name = format!("n{step}_{:x}", doc.client_id().get() % 0xfff);
    let pick = |list: &[Value], at: &Index| (!list.is_empty()).then(|| at.index(list.len()));
    match op {
        ModelOp::AddField(t) => {
            fields.push(json!({"name": name, "type": crate::schema::FIELD_TYPES[*t]}));
        }
        ModelOp::RemoveField(at) => {
            if let Some(i) = pick(&fields, at) {
                fields.remove(i);
            }
        }
        ModelOp::RenameField(at) => {
            if let Some(i) = pick(&fields, at) {
                fields[i]["name"] = json!(name);
            }
        }
        ModelOp::RetypeField(at, t) => {
            if let Some(i) = pick(&fields, at) {
                fields[i]["type"] = json!(crate::schema::FIELD_TYPES[*t]);
            }
        }
        ModelOp::MoveField(from, to) => {
            if let Some(i) = pick(&fields, from) {
                let f = fields.remove(i);
                let j = to.index(fields.len() + 1);
                fields.insert(j, f);
            }
        }
        ModelOp::ToggleRequired(at) => {
            if let Some(i) = pick(&fields, at) {
                let now = fields[i]["required"].as_bool().unwrap();
                fields[i]["required"] = json!(!now);
            }
        }
        ModelOp::AddRelation(k) => relations
            .push(json!({"name": name, "kind": crate::schema::RELATION_KINDS[*k], "target": "t"})),
        ModelOp::RemoveRelation(at) => {
            if let Some(i) = pick(&relations, at) {
                relations.remove(i);
            }
        }
        ModelOp::RenameRelation(at) => {
            if let Some(i) = pick(&relations, at) {
                relations[i]["name"] = json!(name);
            }
        }
        ModelOp::Rename(n) => return try_patch(doc, kind, json!({"name": n})),
    }
    try_patch(doc, kind, json!({"fields": fields, "relations": relations}));
}

/// Adds a field on the peer; the check finds it after the merge.
pub(super) fn add_field(doc: &Doc) -> Box<dyn Fn(&Value) -> bool> {
    let mut fields = materialise(doc, DocKind::Model)["fields"]
        .as_array()
        .unwrap()
        .clone();
    fields.push(json!({"id": "peer-field", "name": "added by the peer"}));
    patch(doc, DocKind::Model, json!({"fields": fields}));
    Box::new(|merged| {
        merged["fields"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["id"] == "peer-field")
    })
}
