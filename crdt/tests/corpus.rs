//! Replays `tests/corpus/*` through the hub's frame path ([`harness::run`]):
//! `decode_frame`, then `apply_update` on a seeded doc for updates. Every file
//! must end in an error or a clean result: a panic escaping fails the test,
//! and so does `Outcome::Panicked` (no file is currently allowed one).
//!
//! The named files are made by [`cases`], which says how and what each one
//! must do; `cargo test -p rocqet-crdt --test corpus -- --ignored` rewrites
//! them. Any other file (`crash-*`, `fuzz-*`: inputs the fuzzer found, see
//! `fuzz/README.md`) only has to not panic.
#![allow(clippy::unwrap_used)]

mod harness;

use harness::{Outcome, SEED_CLIENT, make_seed, run, seeded_doc};
use rocqet_crdt::protocol::{
    Frame, decode_frame, encode_sync_step1, encode_sync_step2, encode_update,
};
use rocqet_crdt::{ApplyError, CrdtError, DocKind, apply_patch, apply_update, materialise};
use serde_json::json;
use std::path::PathBuf;
use yrs::encoding::write::Write;
use yrs::{ClientID, Doc, OffsetKind, Options, ReadTxn, StateVector, Transact};

/// Files that may come back `Panicked` without being in `FOUND`, each with
/// the reason it is accepted (none: `FOUND` names its outcomes exactly).
const MAY_PANIC: &[(&str, &str)] = &[];

/// Inputs the fuzzer found (copied from `fuzz/artifacts/frame/`), what they
/// do now and what they did before the fix.
const FOUND: &[(&str, Outcome, &str)] = &[
    (
        "crash-json-content-pending.bin",
        Outcome::Invalid,
        "legacy JSON content left pending; yrs then panicked (unwrap in merge_pending_v1) encoding the doc's state. Now refused by the update check",
    ),
    (
        "crash-text-length-out-of-step.bin",
        Outcome::Applied,
        "Format + string items with origins in other types, plus deletions: yrs applies it but the content text's cached length (0) disagrees with its string (\"[y\"); apply_patch then panicked in remove_range. Now the patch is refused (Validation)",
    ),
    (
        "crash-inverted-origins.bin",
        Outcome::Damaged,
        "an item whose right origin (1, 10) lies left of its origin (1, 13), plus deletions: yrs applies it and its list is broken; apply_patch then panicked in remove_range. Now contained: CrdtError::Update (doc damaged)",
    ),
    (
        "leak-subdoc.bin",
        Outcome::Invalid,
        "a subdocument item: LeakSanitizer saw the seeded doc and its reload leak (yrs keeps a doc holding a subdoc alive). Now refused by the update check",
    ),
];

fn corpus_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/corpus")
}

/// A lib0 varuint.
fn var(n: u64) -> Vec<u8> {
    let mut out = Vec::new();
    out.write_var(n);
    out
}

/// A lib0 string: varuint length, UTF-8 bytes.
fn string(s: &str) -> Vec<u8> {
    let mut out = Vec::new();
    out.write_string(s);
    out
}

/// A v1 update with one client writing `blocks` from `clock`, and the given delete set bytes.
fn update(client: u64, clock: u64, blocks: &[Vec<u8>], delete_set: &[u8]) -> Vec<u8> {
    let mut out = vec![1];
    out.extend(var(blocks.len() as u64));
    out.extend(var(client));
    out.extend(var(clock));
    for block in blocks {
        out.extend(block);
    }
    out.extend(delete_set);
    out
}

/// A string item with no origins, in the root type `root`.
fn string_in_root(root: &str, text: &str) -> Vec<u8> {
    [vec![4, 1], string(root), string(text)].concat()
}

/// A string item with no origins whose parent is the item (client, clock).
fn string_under(client: u64, clock: u64, text: &str) -> Vec<u8> {
    [vec![4, 0], var(client), var(clock), string(text)].concat()
}

/// An Any item in root "t" holding one value: `depth` nested one-element arrays around null.
fn nested_any(depth: usize) -> Vec<u8> {
    let mut block = [vec![8, 1], string("t"), vec![1]].concat();
    block.extend([117, 1].repeat(depth));
    block.push(126);
    block
}

/// Client 5 puts a subdocument (guid "sub", no options) under key "doc" of
/// root map "m": the bytes yrs writes for `map.insert(txn, "doc", subdoc)`,
/// minus its options map, whose key order yrs leaves to a hash.
fn subdoc_update() -> Vec<u8> {
    let block = [
        vec![0x29, 1],
        string("m"),
        string("doc"),
        string("sub"),
        vec![118, 0],
    ]
    .concat();
    update(5, 0, &[block], &[0])
}

/// A doc with its own fixed client id holding the seed prompt.
fn peer(client: u64) -> Doc {
    let mut options = Options::with_client_id(ClientID::new(client));
    options.offset_kind = OffsetKind::Utf16;
    let doc = Doc::with_options(options);
    apply_update(&doc, harness::seed_update()).unwrap();
    doc
}

/// The first clock of the seed client whose item is not a shared type, found
/// by trying: an update naming it as a parent is refused cleanly.
fn seed_leaf_clock() -> u64 {
    (0..1000)
        .find(|&clock| {
            let bad = update(9, 0, &[string_under(SEED_CLIENT, clock, "y")], &[0]);
            matches!(
                apply_update(&seeded_doc(), &bad),
                Err(ApplyError::Invalid(CrdtError::Update(_)))
            )
        })
        .unwrap()
}

/// Every named corpus file: name, bytes, expected outcome, how it was made and why it is there.
fn cases() -> Vec<(&'static str, Vec<u8>, Outcome, &'static str)> {
    use Outcome::*;
    let big = 1u64 << 53;
    let edit = {
        let doc = peer(2);
        apply_patch(&doc, DocKind::Prompt, &json!({"content": "Hey {{name}}!"})).unwrap()
    };
    let seed_sv = seeded_doc().transact().state_vector();
    let leaf = seed_leaf_clock();
    vec![
        // -- known yrs panics, now refused before yrs decodes --
        (
            "update-client-id-2pow53.bin",
            encode_update(&update(big, 0, &[string_in_root("t", "x")], &[0])),
            Invalid,
            "client id 2^53: yrs' ClientID::new debug-asserts (a panic) while decoding",
        ),
        (
            "update-clock-overflow-u32.bin",
            encode_update(&update(
                5,
                u64::from(u32::MAX),
                &[string_in_root("t", "x")],
                &[0],
            )),
            Invalid,
            "clock 2^32-1 plus a 1-long item: `clock += block.len()` overflows (update.rs:862, a panic)",
        ),
        (
            "update-clock-past-i32.bin",
            encode_update(&update(5, 1 << 31, &[string_in_root("t", "x")], &[0])),
            Invalid,
            "clock 2^31: decodes, then yrs' i32 offset while integrating overflows (was Panicked)",
        ),
        (
            "update-delete-set-overflow.bin",
            encode_update(&[vec![0, 1, 5, 1], var(u64::from(u32::MAX)), var(2)].concat()),
            Invalid,
            "delete-set range clock 2^32-1, length 2: `clock + len` in Range::decode overflows (a panic)",
        ),
        (
            "update-deep-any.bin",
            encode_update(&update(5, 0, &[nested_any(1000)], &[0])),
            Invalid,
            "Any arrays nested 1000 deep (2 KiB): yrs' recursive decode overflowed a 2 MiB stack (an abort)",
        ),
        (
            "update-any-depth-128.bin",
            encode_update(&update(5, 0, &[nested_any(128)], &[0])),
            Applied,
            "Any nested exactly at the limit (MAX_ANY_DEPTH = 128) still applies",
        ),
        (
            "update-huge-client-count.bin",
            encode_update(&var(u64::from(u32::MAX))),
            Invalid,
            "claims 2^32-1 clients in 5 bytes: yrs would reserve room for all of them",
        ),
        (
            "update-huge-block-count.bin",
            encode_update(&[vec![1], var(u64::from(u32::MAX)), vec![5, 0]].concat()),
            Invalid,
            "claims 2^32-1 blocks for one client: the same up-front reservation",
        ),
        (
            "update-huge-any-count.bin",
            encode_update(
                &[
                    vec![1, 1, 5, 0, 8, 1],
                    string("t"),
                    var(u64::from(u32::MAX)),
                ]
                .concat(),
            ),
            Invalid,
            "an Any item claiming 2^32-1 values",
        ),
        (
            "update-json-content.bin",
            encode_update(&[vec![1, 1, 5, 0, 2, 1], string("t"), var(1), string("1")].concat()),
            Invalid,
            "legacy JSON content (type 2): yrs reads count+1 strings but writes count, so a doc holding it cannot re-encode",
        ),
        (
            "update-json-count-past-i32.bin",
            encode_update(&[vec![1, 1, 5, 0, 2, 1], string("t"), var(1 << 31)].concat()),
            Invalid,
            "JSON content count 2^31: yrs casts it to i32",
        ),
        (
            "update-subdoc.bin",
            encode_update(&subdoc_update()),
            Invalid,
            "a map entry holding a subdocument, as yrs writes it: yrs leaks a doc holding one",
        ),
        (
            "update-truncated-varint.bin",
            encode_update(&[0x80]),
            Invalid,
            "update payload that ends inside a varint",
        ),
        (
            "update-garbage.bin",
            encode_update(&[0xff, 0xff]),
            Invalid,
            "update payload of garbage",
        ),
        // -- yrs' own refusal, clean and after partial integration --
        (
            "update-bad-parent-clean.bin",
            encode_update(&update(9, 0, &[string_under(SEED_CLIENT, leaf, "y")], &[0])),
            Invalid,
            "an item whose parent is a seed string/value item (found by trying clocks): UpdateError, nothing integrated",
        ),
        (
            "update-bad-parent-partial.bin",
            encode_update(
                &[
                    vec![2],
                    var(1),
                    var(2),
                    var(0),
                    string_under(3, 0, "y"),
                    var(1),
                    var(3),
                    var(0),
                    string_in_root("t", "x"),
                    vec![0],
                ]
                .concat(),
            ),
            PartlyApplied,
            "client 3's item goes in first, then client 2's names it as parent: UpdateError after a change",
        ),
        // -- frames decode_frame refuses --
        (
            "frame-truncated-varint.bin",
            vec![0, 2, 0x80],
            Malformed,
            "sync update whose length varint is cut short",
        ),
        (
            "frame-truncated-tag.bin",
            vec![0x80],
            Malformed,
            "message tag varint cut short",
        ),
        (
            "frame-huge-length-prefix.bin",
            [vec![0, 2], var(u64::from(u32::MAX)), vec![1, 2, 3]].concat(),
            Malformed,
            "length prefix 2^32-1 with 3 bytes behind it",
        ),
        (
            "frame-varint-too-long.bin",
            [vec![0, 2], vec![0xff; 11]].concat(),
            Malformed,
            "an 11-byte varint",
        ),
        (
            "frame-trailing-bytes.bin",
            [encode_update(&edit), vec![0]].concat(),
            Malformed,
            "a valid update frame plus one byte",
        ),
        (
            "frame-unknown-tag.bin",
            vec![9],
            Malformed,
            "message type 9",
        ),
        (
            "awareness-client-id-2pow53.bin",
            [vec![1], {
                let p = [var(1), var(big), var(0), string("{}")].concat();
                [var(p.len() as u64), p].concat()
            }]
            .concat(),
            Malformed,
            "awareness entry for client 2^53 (ClientID::new would debug-assert)",
        ),
        (
            "awareness-huge-count.bin",
            [vec![1, 5], var(u64::from(u32::MAX))].concat(),
            Malformed,
            "awareness update claiming 2^32-1 entries",
        ),
        (
            "syncstep1-client-id-2pow53.bin",
            [vec![0, 0], {
                let p = [var(1), var(big), var(0)].concat();
                [var(p.len() as u64), p].concat()
            }]
            .concat(),
            Malformed,
            "state vector entry for client 2^53",
        ),
        // -- well-formed frames --
        (
            "update-valid-edit.bin",
            encode_update(&edit),
            Applied,
            "a PATCH of the seed by client 2",
        ),
        (
            "syncstep2-full-seed.bin",
            encode_sync_step2(harness::seed_update()),
            Applied,
            "the seed itself again: a no-op",
        ),
        (
            "update-pending.bin",
            encode_update(&update(
                9,
                0,
                &[[vec![0x84], var(8), var(5), string("z")].concat()],
                &[0],
            )),
            Applied,
            "an item whose left origin (8, 5) is missing: yrs parks it as pending",
        ),
        (
            "update-empty.bin",
            encode_update(&[0, 0]),
            Applied,
            "no blocks, no deletions",
        ),
        (
            "syncstep1-empty.bin",
            encode_sync_step1(&StateVector::default()),
            Handled,
            "everything, please",
        ),
        (
            "syncstep1-seed.bin",
            encode_sync_step1(&seed_sv),
            Handled,
            "nothing, please",
        ),
        (
            "syncstep1-huge-clocks.bin",
            encode_sync_step1(&StateVector::from_iter([
                (ClientID::new(SEED_CLIENT), u32::MAX),
                (ClientID::new(7), i32::MAX as u32),
            ])),
            Handled,
            "clocks far past anything the doc has",
        ),
        (
            "awareness-valid.bin",
            [vec![1], {
                let p = [var(1), var(42), var(3), string(r#"{"user":{"name":"a"}}"#)].concat();
                [var(p.len() as u64), p].concat()
            }]
            .concat(),
            Handled,
            "one presence state",
        ),
        (
            "awareness-null-state.bin",
            [vec![1], {
                let p = [var(1), var(42), var(4), string("null")].concat();
                [var(p.len() as u64), p].concat()
            }]
            .concat(),
            Handled,
            "a client leaving",
        ),
        ("query-awareness.bin", vec![3], Handled, "query awareness"),
        (
            "auth-denied.bin",
            [vec![2, 0], string("no")].concat(),
            Handled,
            "auth: permission denied",
        ),
        ("ack.bin", vec![8, 1], Handled, "our ack extension"),
    ]
}

#[test]
fn the_stored_seed_is_make_seeds_prompt() {
    let made = make_seed();
    assert_eq!(
        materialise(&seeded_doc(), DocKind::Prompt),
        materialise(&made, DocKind::Prompt)
    );
    assert_eq!(
        seeded_doc().transact().state_vector(),
        made.transact().state_vector()
    );
}

#[test]
fn replay_corpus() {
    let cases = cases();
    let mut seen = 0;
    let mut entries: Vec<_> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        let bytes = std::fs::read(&path).unwrap();
        let outcome = run(&bytes);
        let case = cases.iter().find(|(case, ..)| *case == name);
        let found = FOUND.iter().find(|(file, ..)| *file == name);
        if let Some((_, made, expected, why)) = case {
            seen += 1;
            assert_eq!(&bytes, made, "{name} is stale: rerun the generator");
            assert_eq!(outcome, *expected, "{name} ({why})");
        } else if let Some((_, expected, why)) = found {
            seen += 1;
            assert_eq!(outcome, *expected, "{name} ({why})");
        } else if outcome == Outcome::Panicked {
            assert!(
                MAY_PANIC.iter().any(|(file, _)| *file == name),
                "{name}: yrs panicked inside apply_update"
            );
        }
    }
    assert_eq!(
        seen,
        cases.len() + FOUND.len(),
        "named corpus files are missing"
    );
}

/// xorshift64*: a tiny deterministic generator, so a failure names its seed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

/// Bytes that lib0 and the frame codec treat specially.
const INTERESTING: [u8; 12] = [0, 1, 2, 4, 8, 10, 0x7f, 0x80, 0xff, 116, 117, 118];

/// A cheap stand-in for `cargo fuzz` that runs in every `cargo test`:
/// corpus files and random bytes, mutated with a fixed seed, through the
/// same harness. `ROCQET_FUZZ_ITERS` sets the count (default 100 000), and
/// `ROCQET_FUZZ_SEED` the seed.
#[test]
fn mutated_frames_never_panic() {
    use std::cell::RefCell;
    use std::panic::{AssertUnwindSafe, catch_unwind};
    thread_local!(static LAST: RefCell<String> = const { RefCell::new(String::new()) });
    let iters: usize = std::env::var("ROCQET_FUZZ_ITERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let seed: u64 = std::env::var("ROCQET_FUZZ_SEED")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(0x5eed);
    let mut seeds: Vec<Vec<u8>> = std::fs::read_dir(corpus_dir())
        .unwrap()
        .map(|e| std::fs::read(e.unwrap().path()).unwrap())
        .collect();
    seeds.sort();
    let mut rng = Rng(seed | 1);
    // Contained panics (inside apply_update / apply_patch) are expected; keep
    // their messages quiet but at hand in case one escapes.
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(|info| {
        LAST.with(|l| *l.borrow_mut() = info.to_string())
    }));
    let mut counts = std::collections::BTreeMap::new();
    for i in 0..iters {
        let mut bytes: Vec<u8> = if rng.below(8) == 0 {
            (0..rng.below(40)).map(|_| rng.next() as u8).collect()
        } else {
            seeds[rng.below(seeds.len())].clone()
        };
        // Mostly mutate an update's payload and frame it again, so the
        // mutations reach yrs instead of breaking the frame header.
        let payload = match decode_frame(&bytes) {
            Ok(Frame::Update(p) | Frame::SyncStep2(p)) if rng.below(4) != 0 => Some(p.to_vec()),
            _ => None,
        };
        let wrap = payload.is_some();
        if let Some(p) = payload {
            bytes = p;
        }
        for _ in 0..=rng.below(4) {
            let at = rng.below(bytes.len() + 1);
            let byte = if rng.below(2) == 0 {
                INTERESTING[rng.below(INTERESTING.len())]
            } else {
                rng.next() as u8
            };
            match rng.below(6) {
                0 | 1 if at < bytes.len() => bytes[at] = byte,
                2 => bytes.insert(at, byte),
                3 if at < bytes.len() => {
                    bytes.remove(at);
                }
                4 => {
                    let other = &seeds[rng.below(seeds.len())];
                    let from = rng.below(other.len());
                    let to = (from + rng.below(16)).min(other.len());
                    bytes.splice(at..at, other[from..to].iter().copied());
                }
                _ => bytes.truncate(at),
            }
        }
        if wrap {
            bytes = encode_update(&bytes);
        }
        match catch_unwind(AssertUnwindSafe(|| run(&bytes))) {
            Ok(outcome) => {
                assert_ne!(
                    outcome,
                    Outcome::Panicked,
                    "iteration {i} (seed {seed}): {bytes:?}"
                );
                *counts.entry(format!("{outcome:?}")).or_insert(0) += 1;
            }
            Err(_) => {
                std::panic::set_hook(previous);
                let message = LAST.with(|l| l.borrow().clone());
                panic!("iteration {i} (seed {seed}): {bytes:?} panicked: {message}");
            }
        }
    }
    let _ = std::panic::take_hook();
    std::panic::set_hook(previous);
    eprintln!("{iters} mutated frames: {counts:?}");
}

/// Rewrites the named corpus files (the fuzzer's finds are left alone).
/// With `ROCQET_NEW_SEED=1` it first rewrites `tests/harness/seed.bin` from
/// `make_seed` (then run it once more, without: the cases depend on the seed).
#[test]
#[ignore = "writes tests/corpus/; run on purpose"]
fn generate_corpus() {
    if std::env::var_os("ROCQET_NEW_SEED").is_some() {
        let seed = make_seed()
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/harness/seed.bin");
        std::fs::write(path, seed).unwrap();
        return;
    }
    let dir = corpus_dir();
    std::fs::create_dir_all(&dir).unwrap();
    for (name, bytes, ..) in cases() {
        std::fs::write(dir.join(name), bytes).unwrap();
    }
}
