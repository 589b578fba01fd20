//! One inbound frame down the hub's path, shared by `tests/corpus.rs` and the
//! fuzz target (`fuzz/fuzz_targets/frame.rs` includes this file by path).
//!
//! [`run`] decodes the frame like the hub does and, for an update, applies it
//! with [`apply_update`] to a fresh doc seeded with a small prompt, then uses
//! the doc the way the hub would afterwards. It panics only when one of its
//! checks fails or when crate/yrs code outside `apply_update` panics; a panic
//! inside the apply comes back as [`Outcome::Panicked`], never unwinds.
#![allow(dead_code)]

use rocqet_crdt::protocol::{
    Frame, decode_frame, encode_awareness, encode_frame, update_payload_offset,
};
use rocqet_crdt::{
    ApplyError, CrdtError, DocKind, apply_patch, apply_update, materialise, new_doc,
};
use serde_json::json;
use yrs::sync::Awareness;
use yrs::{ClientID, Doc, Options, ReadTxn, StateVector, Transact};

/// The client id that wrote the seed prompt, so corpus files can name its items: (1, clock).
pub const SEED_CLIENT: u64 = 1;

/// What happened to one input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// `decode_frame` refused the bytes.
    Malformed,
    /// A well-formed frame that carries no document update, handled.
    Handled,
    /// An update applied (or parked as pending by yrs) cleanly.
    Applied,
    /// `ApplyError::Invalid`: refused, the doc untouched.
    Invalid,
    /// `ApplyError::PartlyApplied`: refused after part of it went in.
    PartlyApplied,
    /// `ApplyError::Panicked`: yrs panicked inside the apply; the doc was dropped unused.
    Panicked,
    /// Applied (or refused) without a panic, but left the doc so inconsistent
    /// that yrs panicked in a later `apply_patch`, which contained it and
    /// reported the doc damaged (`CrdtError::Update`).
    Damaged,
    /// Applied (or refused) without a panic, but the doc's full state, as the
    /// hub would store it, no longer loads cleanly into a fresh doc. A known,
    /// unfixed yrs 0.28 weakness (see `FOUND` in `tests/corpus.rs`).
    Unloadable,
}

/// The seed prompt as one v1 update written by [`SEED_CLIENT`]: [`make_seed`]'s
/// output, stored in `seed.bin` because yrs encodes maps in hash order, so
/// every run of `make_seed` gives different (equivalent) bytes, and corpus
/// files name seed items by clock.
pub fn seed_update() -> &'static [u8] {
    include_bytes!("seed.bin")
}

/// A prompt over every prompt root, in two transactions (so its text has
/// deletions), written by [`SEED_CLIENT`] with [`new_doc`]'s options.
pub fn make_seed() -> Doc {
    let mut options = Options::with_client_id(ClientID::new(SEED_CLIENT));
    options.offset_kind = new_doc().offset_kind();
    let doc = Doc::with_options(options);
    let first = json!({
        "title": "Greeting",
        "description": "Says hello",
        "tags": ["demo", "hello"],
        "content": "Hello {{name}}, welcome to {{place}}! 👋",
        "variables": [{"name": "name", "description": "who", "default": "world", "required": false}],
        "settings": {"temperature": 0.7, "stop": ["\n"], "nested": {"a": [1, 2, {"b": null}]}},
    });
    apply_patch(&doc, DocKind::Prompt, &first).expect("the seed patch is valid");
    let second = json!({"content": "Hi {{name}}, welcome to {{city}}! 👋", "tags": ["hello"]});
    apply_patch(&doc, DocKind::Prompt, &second).expect("the seed patch is valid");
    doc
}

/// A fresh [`new_doc`] holding the seed prompt.
pub fn seeded_doc() -> Doc {
    let doc = new_doc();
    apply_update(&doc, seed_update()).expect("the seed update applies");
    doc
}

/// Runs one frame; see the module docs.
pub fn run(data: &[u8]) -> Outcome {
    let Ok(frame) = decode_frame(data) else {
        return Outcome::Malformed;
    };
    let again = encode_frame(&frame);
    assert_eq!(
        decode_frame(&again).ok().as_ref(),
        Some(&frame),
        "re-encoding changed the frame"
    );
    match frame {
        Frame::Update(update) | Frame::SyncStep2(update) => {
            assert_eq!(
                update_payload_offset(data).map(|at| &data[at..]),
                Some(update)
            );
            let doc = seeded_doc();
            let before = doc.transact().state_vector();
            let outcome = match apply_update(&doc, update) {
                Ok(()) => Outcome::Applied,
                Err(ApplyError::Invalid(e)) => {
                    let e = e.to_string();
                    assert!(!e.contains("update check panicked"), "{e}");
                    assert_eq!(
                        doc.transact().state_vector(),
                        before,
                        "Invalid changed the doc"
                    );
                    Outcome::Invalid
                }
                Err(ApplyError::PartlyApplied(_)) => Outcome::PartlyApplied,
                // The doc can no longer be trusted: drop it without touching it.
                Err(ApplyError::Panicked) => return Outcome::Panicked,
            };
            use_afterwards(&doc).unwrap_or(outcome)
        }
        Frame::SyncStep1(sv) => {
            let diff = seeded_doc().transact().encode_state_as_update_v1(&sv);
            // The SyncStep2 the hub answers with must apply on a fresh peer.
            let peer = new_doc();
            if let Err(e) = apply_update(&peer, &diff) {
                panic!("our own SyncStep2 for {sv:?} does not apply: {e}");
            }
            Outcome::Handled
        }
        Frame::Awareness(update) => {
            let mut awareness = Awareness::new(new_doc());
            let _ = awareness.apply_update(update);
            // The full state the hub answers QueryAwareness with must decode again.
            if let Ok(full) = awareness.update() {
                let frame = encode_awareness(&full);
                assert!(
                    decode_frame(&frame).is_ok(),
                    "our awareness frame is malformed"
                );
            }
            Outcome::Handled
        }
        Frame::QueryAwareness | Frame::Auth(_) | Frame::Ack(_) => Outcome::Handled,
    }
}

/// What the hub does with a doc after an update: read it as JSON, store its
/// full state (which should load again), patch it from the REST API. Returns
/// [`Outcome::Unloadable`] or [`Outcome::Damaged`] when that goes wrong
/// without a panic (a damaged doc is then dropped unused).
fn use_afterwards(doc: &Doc) -> Option<Outcome> {
    for kind in [DocKind::Prompt, DocKind::Model] {
        let _ = materialise(doc, kind);
    }
    let full = doc
        .transact()
        .encode_state_as_update_v1(&StateVector::default());
    let unloadable = match apply_update(&new_doc(), &full) {
        Ok(()) => false,
        Err(ApplyError::Panicked) => panic!("loading the doc's own full state panicked in yrs"),
        Err(_) => true,
    };
    let prompt = json!({"content": "Bye {{who}}", "title": "t", "variables": [{"name": "who"}]});
    let model = json!({"name": "M", "fields": [{"name": "email", "type": "string"}]});
    for (kind, patch) in [(DocKind::Prompt, prompt), (DocKind::Model, model)] {
        if let Err(CrdtError::Update(_)) = apply_patch(doc, kind, &patch) {
            return Some(Outcome::Damaged);
        }
    }
    let _ = materialise(doc, DocKind::Prompt);
    unloadable.then_some(Outcome::Unloadable)
}
