//! A walk over v1 update bytes before yrs decodes them, refusing what would
//! make yrs panic, over-allocate or overflow the stack.
//!
//! Mirrors `Update::decode_v1` of yrs 0.28 field by field, with the same lib0
//! readers, so it reads exactly the bytes yrs would read. On top of what yrs
//! itself refuses it refuses:
//! - client ids above 53 bits (`ClientID::new` debug-asserts: a panic);
//! - a client listed twice: yrs appends the second run of blocks to the
//!   first, out of clock order, and integrating that frees a block the
//!   document still links to (a heap use-after-free under AddressSanitizer,
//!   found fuzzing with a 20-byte update). Yjs writes each client once;
//! - clocks that run past [`MAX_CLOCK`]: yrs adds a client's block lengths as
//!   `u32` (overflow-checked: a panic) and, integrating, subtracts clocks as
//!   `i32` (a panic from 2^31 on). Yjs never gets near 2^31 operations per
//!   client id;
//! - delete-set ranges whose end runs past [`MAX_CLOCK`] (same `u32` addition);
//! - counts larger than the bytes left (yrs reserves room for `count` entries
//!   up front, so five bytes could ask for gigabytes);
//! - `Any` values nested deeper than [`MAX_ANY_DEPTH`]: yrs decodes, drops and
//!   serialises them recursively, and a 2 KiB update nesting arrays 1000 deep
//!   overflowed a 2 MiB thread stack (an abort, which `catch_unwind` cannot stop);
//! - legacy JSON content (type 2), which yrs 0.28 cannot re-encode, and
//!   subdocuments (type 9), which it leaks (see [`content`]);
//! - signed varints (`Any` integers) that overflow 64 bits: yrs' reader
//!   panics on them under overflow checks (found fuzzing);
//! - weak-link type refs (yrs' `weak` feature, not enabled here; yrs refuses
//!   them too without it).
//!
//! Trailing bytes after the delete set are ignored, as yrs ignores them.

use crate::error::CrdtError;
use std::collections::HashSet;
use yrs::encoding::read::{Cursor, Read};

/// Deepest nesting of arrays and maps in an `Any` value. serde_json, which
/// parses every PATCH body, stops at 128 too, so anything our own API can
/// store fits.
pub(super) const MAX_ANY_DEPTH: usize = 128;

/// Highest clock an update may reach (`i32::MAX`), see the module docs.
pub(super) const MAX_CLOCK: u32 = i32::MAX as u32;

/// Client ids are 53-bit (JavaScript safe integers).
const CLIENT_ID_BITS: u32 = 53;

/// Fails with the first reason the update must not reach yrs' decoder.
pub(super) fn check_v1(bytes: &[u8]) -> Result<(), CrdtError> {
    let mut cur = Cursor::new(bytes);
    let clients = count(&mut cur, "client", 3)?;
    let mut seen = HashSet::new();
    for _ in 0..clients {
        let blocks = count(&mut cur, "block", 1)?;
        let client = client_id(&mut cur)?;
        if !seen.insert(client) {
            return Err(malformed(format!("client {client} appears twice")));
        }
        let mut clock: u32 = cur.read_var()?;
        if blocks > 0 {
            clock = within_clock(client, Some(clock))?;
        }
        for _ in 0..blocks {
            let len = block(&mut cur)?;
            clock = within_clock(client, clock.checked_add(len))?;
        }
    }
    delete_set(&mut cur)
}

fn malformed(message: String) -> CrdtError {
    CrdtError::Malformed(message)
}

/// A `u32` count of entries taking at least `min_entry_bytes` each.
fn count(cur: &mut Cursor<'_>, what: &str, min_entry_bytes: usize) -> Result<u32, CrdtError> {
    let n: u32 = cur.read_var()?;
    bounded(cur, n as usize, what, min_entry_bytes)?;
    Ok(n)
}

fn bounded(
    cur: &Cursor<'_>,
    n: usize,
    what: &str,
    min_entry_bytes: usize,
) -> Result<(), CrdtError> {
    let left = cur.buf.len() - cur.next;
    if n > left / min_entry_bytes {
        return Err(malformed(format!(
            "{n} {what} entries cannot fit in the {left} bytes left"
        )));
    }
    Ok(())
}

fn within_clock(client: u64, clock: Option<u32>) -> Result<u32, CrdtError> {
    clock
        .filter(|&clock| clock <= MAX_CLOCK)
        .ok_or_else(|| malformed(format!("client {client}'s clock runs past {MAX_CLOCK}")))
}

fn client_id(cur: &mut Cursor<'_>) -> Result<u64, CrdtError> {
    let id: u64 = cur.read_var()?;
    if id >> CLIENT_ID_BITS != 0 {
        return Err(malformed(format!(
            "client id {id} exceeds {CLIENT_ID_BITS} bits"
        )));
    }
    Ok(id)
}

/// An ID: client id, then clock.
fn id(cur: &mut Cursor<'_>) -> Result<(), CrdtError> {
    client_id(cur)?;
    cur.read_var::<u32>()?;
    Ok(())
}

// yrs' block and content tags (`yrs::block::BLOCK_*`, `HAS_*`, `TYPE_REFS_*`).
const GC: u8 = 0;
const SKIP: u8 = 10;
const HAS_ORIGIN: u8 = 0b1000_0000;
const HAS_RIGHT_ORIGIN: u8 = 0b0100_0000;
const HAS_PARENT_SUB: u8 = 0b0010_0000;
const TYPE_REF_XML_ELEMENT: u8 = 3;
/// Type refs that carry nothing more: array, map, text, xml fragment, xml hook, xml text, subdoc, undefined.
const PLAIN_TYPE_REFS: [u8; 8] = [0, 1, 2, 4, 5, 6, 9, 15];

/// One block; returns how far it advances its client's clock.
fn block(cur: &mut Cursor<'_>) -> Result<u32, CrdtError> {
    let info = cur.read_u8()?;
    if info == GC || info == SKIP {
        let len: u32 = cur.read_var()?;
        if len == 0 {
            return Err(malformed("empty block".into()));
        }
        return Ok(len);
    }
    if info & HAS_ORIGIN != 0 {
        id(cur)?;
    }
    if info & HAS_RIGHT_ORIGIN != 0 {
        id(cur)?;
    }
    if info & (HAS_ORIGIN | HAS_RIGHT_ORIGIN) == 0 {
        // No origin to copy the parent from: the parent is named or an ID.
        if cur.read_var::<u32>()? == 1 {
            cur.read_string()?;
        } else {
            id(cur)?;
        }
        if info & HAS_PARENT_SUB != 0 {
            cur.read_string()?;
        }
    }
    content(cur, info)
}

/// Item content by the low four bits of `info`; returns its length in clock
/// ticks (`ItemContent::len_utf16`; 0 means yrs drops the item).
fn content(cur: &mut Cursor<'_>, info: u8) -> Result<u32, CrdtError> {
    Ok(match info & 0b1111 {
        // Deleted: a length.
        1 => cur.read_var()?,
        // Legacy JSON content (Yjs' ContentJSON, unused since Yjs 13). yrs 0.28
        // decodes one string more than its count and encodes the count, so
        // the item does not survive re-encoding: a doc holding one writes
        // snapshots that do not load, or panics (`merge_pending_v1` unwraps)
        // encoding its state while the item is pending.
        2 => return Err(malformed("legacy JSON content is not supported".into())),
        // Binary.
        3 => {
            cur.read_buf()?;
            1
        }
        // String: its length in UTF-16 code units.
        4 => {
            let s = cur.read_string()?;
            // At most one unit per byte, and the frame is far below 4 GiB.
            u32::try_from(s.encode_utf16().count())
                .map_err(|_| malformed("string content too long".into()))?
        }
        // Embed: a JSON string (serde_json bounds its nesting).
        5 => {
            cur.read_string()?;
            1
        }
        // Format: a key and a JSON string.
        6 => {
            cur.read_string()?;
            cur.read_string()?;
            1
        }
        // A shared type.
        7 => {
            match cur.read_u8()? {
                TYPE_REF_XML_ELEMENT => {
                    cur.read_string()?;
                }
                type_ref if PLAIN_TYPE_REFS.contains(&type_ref) => {}
                type_ref => return Err(malformed(format!("unsupported type ref {type_ref}"))),
            }
            1
        }
        // Any: a count of values.
        8 => {
            let n = count(cur, "Any value", 1)?;
            for _ in 0..n {
                any_value(cur, 0)?;
            }
            n
        }
        // A subdocument. Rocqet's schema has none, and yrs 0.28 leaks every
        // doc that holds one (found fuzzing under LeakSanitizer: the parent
        // doc, the subdoc and all their items stay allocated after the last
        // handle is dropped), so one small update would leak a whole room.
        9 => return Err(malformed("subdocuments are not supported".into())),
        other => return Err(malformed(format!("unknown content type {other}"))),
    })
}

/// One lib0 `Any` value at nesting `depth` (the tags of `yrs::Any::decode`).
fn any_value(cur: &mut Cursor<'_>, depth: usize) -> Result<(), CrdtError> {
    match cur.read_u8()? {
        // undefined, null, false, true
        127 | 126 | 121 | 120 => {}
        125 => signed_var(cur)?,
        124 => {
            cur.read_f32()?;
        }
        123 => {
            cur.read_f64()?;
        }
        122 => {
            cur.read_i64()?;
        }
        119 => {
            cur.read_string()?;
        }
        116 => {
            cur.read_buf()?;
        }
        tag @ (117 | 118) => {
            if depth >= MAX_ANY_DEPTH {
                return Err(malformed(format!(
                    "value nested deeper than {MAX_ANY_DEPTH}"
                )));
            }
            let map = tag == 118;
            let n: usize = cur.read_var()?;
            bounded(cur, n, "Any entry", if map { 2 } else { 1 })?;
            for _ in 0..n {
                if map {
                    cur.read_string()?;
                }
                any_value(cur, depth + 1)?;
            }
        }
        tag => return Err(malformed(format!("unknown value tag {tag}"))),
    }
    Ok(())
}

/// A lib0 signed varint, read like yrs' `read_var_i64` but refusing where
/// that panics under overflow checks: it shifts a tenth continuation byte
/// by 69 bits, and negates `i64::MIN`.
fn signed_var(cur: &mut Cursor<'_>) -> Result<(), CrdtError> {
    let too_long = || malformed("signed varint overflows 64 bits".into());
    let first = cur.read_u8()?;
    let negative = first & 0b0100_0000 != 0;
    let mut num = i64::from(first & 0b0011_1111);
    let mut shift = 6u32;
    let mut byte = first;
    while byte & 0b1000_0000 != 0 {
        byte = cur.read_u8()?;
        if shift >= i64::BITS {
            return Err(too_long());
        }
        num |= i64::from(byte & 0b0111_1111) << shift;
        shift += 7;
    }
    if negative && num == i64::MIN {
        return Err(too_long());
    }
    Ok(())
}

/// The delete set: per client, ranges of (clock, length).
fn delete_set(cur: &mut Cursor<'_>) -> Result<(), CrdtError> {
    let clients = count(cur, "deleted client", 2)?;
    for _ in 0..clients {
        let client = client_id(cur)?;
        let ranges = count(cur, "deleted range", 2)?;
        for _ in 0..ranges {
            let clock: u32 = cur.read_var()?;
            let len: u32 = cur.read_var()?;
            within_clock(client, clock.checked_add(len))?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::collections::HashMap;
    use std::panic::catch_unwind;
    use std::sync::Arc;
    use yrs::updates::decoder::Decode;
    use yrs::{
        Any, Array, Doc, GetString, Map, ReadTxn, StateVector, Text, Transact, Update,
        XmlElementPrelim, XmlFragment, XmlTextPrelim,
    };

    fn nested(depth: usize) -> Any {
        (0..depth).fold(Any::Null, |inner, _| Any::from(vec![inner]))
    }

    /// Every content type yrs encodes, with deletions (so a delete set) and
    /// multi-unit strings; returns each transaction's update and the full state.
    fn every_kind_of_update() -> (Vec<Vec<u8>>, Vec<u8>) {
        let doc = crate::new_doc();
        let text = doc.get_or_insert_text("text");
        let array = doc.get_or_insert_array("array");
        let map = doc.get_or_insert_map("map");
        let xml = doc.get_or_insert_xml_fragment("xml");
        let mut updates = Vec::new();
        let mut step = |edit: &dyn Fn(&mut yrs::TransactionMut)| {
            let mut txn = doc.transact_mut();
            edit(&mut txn);
            updates.push(txn.encode_update_v1());
        };
        step(&|txn| text.insert(txn, 0, "héllo 👋 wörld"));
        step(&|txn| {
            let bold: HashMap<Arc<str>, Any> = HashMap::from([("bold".into(), Any::Bool(true))]);
            text.insert_with_attributes(txn, 2, "XY", bold.clone());
            text.format(txn, 0, 4, bold);
            text.insert_embed(
                txn,
                1,
                Any::from(HashMap::from([("img".to_owned(), Any::from("a.png"))])),
            );
        });
        step(&|txn| text.remove_range(txn, 3, 5));
        step(&|txn| {
            array.insert_range(
                txn,
                0,
                [Any::from(1), Any::from(2.5), Any::from("s"), Any::Null],
            );
            array.push_back(txn, Any::Buffer(Arc::from(&[1u8, 2, 3][..])));
            array.push_back(txn, nested(MAX_ANY_DEPTH));
            array.push_back(txn, Any::from(i64::MIN));
            array.push_back(txn, Any::Undefined);
        });
        step(&|txn| {
            map.insert(txn, "k", Any::from("v"));
            map.insert(txn, "k", Any::from(false));
            map.insert(txn, "sub", yrs::MapPrelim::default());
        });
        step(&|txn| {
            let el = xml.push_back(txn, XmlElementPrelim::empty("p"));
            el.push_back(txn, XmlTextPrelim::new("inner"));
            array.remove_range(txn, 0, 2);
        });
        let full = doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        assert!(
            !doc.get_or_insert_text("text")
                .get_string(&doc.transact())
                .is_empty()
        );
        (updates, full)
    }

    #[test]
    fn accepts_every_kind_of_update_yrs_makes() {
        let (updates, full) = every_kind_of_update();
        for update in updates.iter().chain([&full]) {
            check_v1(update).unwrap();
            Update::decode_v1(update).unwrap();
        }
    }

    #[test]
    fn refuses_subdocuments() {
        let doc = crate::new_doc();
        let map = doc.get_or_insert_map("m");
        let mut txn = doc.transact_mut();
        map.insert(&mut txn, "doc", Doc::new());
        let update = txn.encode_update_v1();
        let err = check_v1(&update).unwrap_err().to_string();
        assert!(err.contains("subdocuments"), "{err}");
    }

    #[test]
    fn refuses_values_nested_too_deep() {
        let doc = crate::new_doc();
        let array = doc.get_or_insert_array("a");
        let mut txn = doc.transact_mut();
        array.push_back(&mut txn, nested(MAX_ANY_DEPTH + 1));
        let update = txn.encode_update_v1();
        let err = check_v1(&update).unwrap_err().to_string();
        assert!(err.contains("nested deeper"), "{err}");
    }

    #[test]
    fn refuses_what_makes_yrs_panic() {
        // client 2^53, clock 0, a one-char string item in root "c"
        let big_client = [
            1, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 4, 1, 1, b'c', 1, b'x', 0,
        ];
        // client 5 at clock 2^32 - 1, a one-char string: clock + len overflows u32
        let overflow = [
            1, 1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f, 4, 1, 1, b'c', 1, b'x', 0,
        ];
        // client 5 at clock 2^31: yrs' i32 offset overflows while integrating
        let past_i32 = [
            1, 1, 5, 0x80, 0x80, 0x80, 0x80, 0x08, 4, 1, 1, b'c', 1, b'x', 0,
        ];
        // delete set: client 5, range at clock 2^32 - 1 of length 2
        let ds_overflow = [0, 1, 5, 1, 0xff, 0xff, 0xff, 0xff, 0x0f, 2];
        // 2^32 - 1 clients claimed in 5 bytes
        let many = [0xff, 0xff, 0xff, 0xff, 0x0f];
        // an Any integer in root "t": -(2^63) (yrs negates i64::MIN), then
        // one continuation byte more (yrs shifts by 69)
        let any_int =
            |varint: &[u8]| [&[1, 1, 5, 0, 8, 1, 1, b't', 1, 125][..], varint, &[0]].concat();
        let i64_min = any_int(&[0xc0, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x02]);
        let too_long = any_int(&[
            0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01,
        ]);
        // client 5 twice: yrs appends the second run out of clock order
        let twice = [
            2, 1, 5, 4, 4, 1, 1, b'c', 1, b'x', 1, 5, 0, 4, 1, 1, b'c', 1, b'y', 0,
        ];
        for bytes in [
            &big_client[..],
            &overflow,
            &past_i32,
            &ds_overflow,
            &many,
            &i64_min,
            &too_long,
            &twice,
        ] {
            let err = check_v1(bytes).unwrap_err().to_string();
            assert!(!err.contains("end of buffer"), "{bytes:?}: {err}");
        }
        // The longest signed varints yrs reads without panicking pass.
        check_v1(&any_int(&[
            0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01,
        ]))
        .unwrap();
        check_v1(&any_int(&[0x3f])).unwrap();
    }

    /// yrs' verdict, panics counted as refusals.
    fn yrs_accepts(bytes: &[u8]) -> bool {
        matches!(catch_unwind(|| Update::decode_v1(bytes)), Ok(Ok(_)))
    }

    /// The rules yrs does not have; any other refusal of bytes yrs decodes is a mirror bug.
    fn extra_rule(reason: &str) -> bool {
        [
            "clock runs past",
            "exceeds 53 bits",
            "nested deeper",
            "type ref 7",
            "legacy JSON",
            "subdocuments",
        ]
        .iter()
        .any(|rule| reason.contains(rule))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn agrees_with_yrs_on_mutated_updates(
            pick in any::<prop::sample::Index>(),
            edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>(), 0u8..3), 1..4),
        ) {
            let (mut updates, full) = every_kind_of_update();
            updates.push(full);
            let mut bytes = pick.get(&updates).clone();
            for (at, byte, op) in edits {
                let i = at.index(bytes.len() + 1);
                match op {
                    0 if i < bytes.len() => bytes[i] = byte,
                    1 => bytes.insert(i, byte),
                    _ => { bytes.truncate(i); }
                }
            }
            if let Err(e) = check_v1(&bytes)
                && yrs_accepts(&bytes)
            {
                prop_assert!(extra_rule(&e.to_string()), "yrs decodes {bytes:?} but the check says {e}");
            }
        }
    }
}
