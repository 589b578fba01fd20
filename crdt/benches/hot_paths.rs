//! Criterion benchmarks of the paths every edit or read goes through: decode +
//! apply an update, encode state and updates, materialise a prompt and a
//! model to JSON, and turn a JSON change (a REST PATCH body) into CRDT edits.
//!
//! `cargo bench -p rocqet-crdt --bench hot_paths` (figures in
//! `target/criterion/`); `-- apply_patch` runs only the names containing that.
//!
//! The documents are built the way editors build them, not in one insert: the
//! prompt body is typed word by word by two clients (with some deletions), so
//! its block list looks like a real one, and the model has 30 fields and 5
//! relations made by successive patches.

use std::hint::black_box;

use criterion::{BatchSize, Criterion};
use rocqet_crdt::schema::ROOT_CONTENT;
use rocqet_crdt::{DocKind, apply_client_update, apply_patch, decode_update, materialise, new_doc};
use serde_json::{Value, json};
use yrs::updates::encoder::Encode;
use yrs::{Doc, GetString, ReadTxn, StateVector, Text, Transact};

/// Words typed into the prompt body (about 2,300 characters).
const WORDS: usize = 400;
const FIELDS: usize = 30;
const RELATIONS: usize = 5;

fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs this binary
    // without it, and benchmarks have no business in the test run.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let mut c = Criterion::default().configure_from_args();
    let fixtures = Fixtures::new();
    decode_and_apply(&mut c, &fixtures);
    encode(&mut c, &fixtures);
    materialise_json(&mut c, &fixtures);
    json_to_crdt(&mut c, &fixtures);
    c.final_summary();
}

/// The documents and updates every group uses, built once.
struct Fixtures {
    prompt: Doc,
    model: Doc,
    /// One typed word as a client sends it (a v1 update on top of `prompt`).
    typing_update: Vec<u8>,
    /// The prompt's whole state, as a room loads it from a snapshot.
    prompt_state: Vec<u8>,
    /// The prompt's state vector halfway through the typing (an older version's).
    halfway: StateVector,
}

impl Fixtures {
    fn new() -> Fixtures {
        let prompt = new_doc();
        apply_patch(
            &prompt,
            DocKind::Prompt,
            &json!({
                "title": "Support reply",
                "description": "Answers a customer ticket in the product's voice",
                "tags": ["support", "email", "v2"],
                "settings": {"model": "gpt-4o", "temperature": 0.3, "max_tokens": 800},
                "variables": [
                    {"name": "customer", "description": "Full name", "required": true},
                    {"name": "ticket", "description": "The ticket body", "required": true},
                    {"name": "tone", "default": "friendly"},
                ],
            }),
        )
        .expect("prompt metadata");
        let other = new_doc();
        let mut halfway = StateVector::default();
        for i in 0..WORDS {
            // Two writers alternate, each syncing the other's words first, as live peers do.
            let (author, reader) = if i.is_multiple_of(2) {
                (&prompt, &other)
            } else {
                (&other, &prompt)
            };
            let update = type_word(author, i);
            apply_client_update(reader, &update).expect("peer update");
            if i == WORDS / 2 {
                halfway = prompt.transact().state_vector();
            }
        }
        let typing_update = type_word(&other, WORDS);
        let prompt_state = prompt
            .transact()
            .encode_state_as_update_v1(&StateVector::default());

        let model = new_doc();
        for i in 0..FIELDS {
            let fields: Vec<Value> = (0..=i).map(field).collect();
            apply_patch(&model, DocKind::Model, &json!({"fields": fields})).expect("fields");
        }
        let relations: Vec<Value> = (0..RELATIONS)
            .map(|i| {
                json!({"id": format!("r{i}"), "name": format!("rel_{i}"), "kind": "one_to_many",
                       "target": format!("model-{i}")})
            })
            .collect();
        apply_patch(
            &model,
            DocKind::Model,
            &json!({"name": "Order", "description": "A customer's order", "relations": relations}),
        )
        .expect("relations");
        Fixtures {
            prompt,
            model,
            typing_update,
            prompt_state,
            halfway,
        }
    }

    /// A fresh copy of the prompt, so a benchmark that edits it starts from the same state each time.
    fn prompt_copy(&self) -> Doc {
        let copy = new_doc();
        apply_client_update(&copy, &self.prompt_state).expect("copy");
        copy
    }

    fn model_copy(&self) -> Doc {
        let copy = new_doc();
        let state = self
            .model
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        apply_client_update(&copy, &state).expect("copy");
        copy
    }
}

/// Types word `i` into the prompt body: mostly appended, every seventh in the
/// middle, every eleventh replacing the previous character (a typo fixed).
fn type_word(doc: &Doc, i: usize) -> Vec<u8> {
    let text = doc.get_or_insert_text(ROOT_CONTENT);
    let mut txn = doc.transact_mut();
    let len = text.len(&txn);
    let word = if i.is_multiple_of(13) {
        format!("{{{{var_{}}}}} ", i % 3)
    } else {
        format!("word{i} ")
    };
    let at = if i.is_multiple_of(7) { len / 2 } else { len };
    if i.is_multiple_of(11) && at > 0 {
        text.remove_range(&mut txn, at - 1, 1);
        text.insert(&mut txn, at - 1, &word);
    } else {
        text.insert(&mut txn, at, &word);
    }
    txn.encode_update_v1()
}

fn field(i: usize) -> Value {
    let types = ["string", "integer", "boolean", "enum", "datetime", "uuid"];
    let kind = types[i % types.len()];
    json!({
        "id": format!("f{i}"),
        "name": format!("field_{i}"),
        "type": kind,
        "required": i.is_multiple_of(2),
        "unique": i.is_multiple_of(5),
        "enum_values": if kind == "enum" { json!(["a", "b", "c"]) } else { json!([]) },
        "description": format!("Field number {i}"),
    })
}

fn decode_and_apply(c: &mut Criterion, f: &Fixtures) {
    let mut g = c.benchmark_group("decode_apply");
    g.bench_function("decode typing update", |b| {
        b.iter(|| decode_update(black_box(&f.typing_update)).expect("decode"))
    });
    g.bench_function("apply typing update to 2k-char prompt", |b| {
        b.iter_batched(
            || f.prompt_copy(),
            // Returning the doc lets criterion drop it outside the timing.
            |doc| {
                apply_client_update(&doc, black_box(&f.typing_update)).expect("apply");
                doc
            },
            BatchSize::SmallInput,
        )
    });
    g.bench_function("apply full prompt state to empty doc", |b| {
        b.iter_batched(
            new_doc,
            |doc| {
                apply_client_update(&doc, black_box(&f.prompt_state)).expect("apply");
                doc
            },
            BatchSize::SmallInput,
        )
    });
    g.finish();
}

fn encode(c: &mut Criterion, f: &Fixtures) {
    let mut g = c.benchmark_group("encode");
    g.bench_function("state vector", |b| {
        b.iter(|| f.prompt.transact().state_vector().encode_v1())
    });
    g.bench_function("full prompt state", |b| {
        b.iter(|| {
            f.prompt
                .transact()
                .encode_state_as_update_v1(&StateVector::default())
        })
    });
    g.bench_function("diff since a version halfway", |b| {
        b.iter(|| {
            f.prompt
                .transact()
                .encode_state_as_update_v1(black_box(&f.halfway))
        })
    });
    g.bench_function("update frame", |b| {
        b.iter(|| rocqet_crdt::protocol::encode_update(black_box(&f.typing_update)))
    });
    g.finish();
}

fn materialise_json(c: &mut Criterion, f: &Fixtures) {
    let mut g = c.benchmark_group("materialise");
    g.bench_function("prompt", |b| {
        b.iter(|| materialise(black_box(&f.prompt), DocKind::Prompt))
    });
    g.bench_function("model, 30 fields", |b| {
        b.iter(|| materialise(black_box(&f.model), DocKind::Model))
    });
    g.finish();
}

fn json_to_crdt(c: &mut Criterion, f: &Fixtures) {
    let content = f
        .prompt
        .get_or_insert_text(ROOT_CONTENT)
        .get_string(&f.prompt.transact());
    // One word changed in the middle of the body: the PATCH an API client sends.
    let edited = content.replacen("word200", "sentence200", 1);
    let content_patch = json!({"content": edited});
    let meta_patch = json!({
        "title": "Support reply (formal)",
        "tags": ["support", "email", "v3"],
        "variables": [{"name": "customer", "description": "Full legal name", "required": true}],
    });
    let mut fields: Vec<Value> = (0..FIELDS).map(field).collect();
    fields[FIELDS / 2]["type"] = json!("text");
    let field_edit = json!({ "fields": fields });
    let mut with_new: Vec<Value> = (0..FIELDS).map(field).collect();
    with_new.push(json!({"name": "added_field", "type": "json"}));
    let field_add = json!({ "fields": with_new });

    let mut g = c.benchmark_group("apply_patch");
    let cases = [
        (
            "prompt: one word of the content",
            DocKind::Prompt,
            &content_patch,
        ),
        (
            "prompt: title, tags, a variable",
            DocKind::Prompt,
            &meta_patch,
        ),
        ("model: one field's type of 30", DocKind::Model, &field_edit),
        ("model: add a field to 30", DocKind::Model, &field_add),
    ];
    for (name, kind, patch) in cases {
        g.bench_function(name, |b| {
            b.iter_batched(
                || match kind {
                    DocKind::Prompt => f.prompt_copy(),
                    DocKind::Model => f.model_copy(),
                },
                |doc| {
                    let update = apply_patch(&doc, kind, black_box(patch)).expect("patch");
                    (doc, update)
                },
                BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}
