//! Decoding document updates from untrusted peers.

use crate::error::CrdtError;
use std::panic::catch_unwind;
use yrs::Update;
use yrs::updates::decoder::Decode;

/// Decodes a v1 update from the wire; a malformed one is an error, never a panic.
///
/// yrs' decoder debug-asserts on client ids above 53 bits (which Yjs never
/// produces), so a hostile frame would panic a debug build; the decode is
/// isolated here (with `catch_unwind`, so it needs the default
/// `panic = "unwind"`), before the update touches any document. Apply the result
/// with `TransactionMut::apply_update`, whose own errors are
/// [`CrdtError::Update`] material.
pub fn decode_update(bytes: &[u8]) -> Result<Update, CrdtError> {
    match catch_unwind(|| Update::decode_v1(bytes)) {
        Ok(Ok(update)) => Ok(update),
        Ok(Err(e)) => Err(CrdtError::Malformed(format!("bad update: {e}"))),
        Err(_) => Err(CrdtError::Malformed(
            "bad update: decoder rejected it".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{DocKind, apply_patch, new_doc};
    use proptest::prelude::*;
    use yrs::Transact;

    #[test]
    fn decodes_updates_made_by_apply_patch() {
        let doc = new_doc();
        let bytes = apply_patch(&doc, DocKind::Prompt, &serde_json::json!({"title": "x"})).unwrap();
        let peer = new_doc();
        peer.transact_mut()
            .apply_update(decode_update(&bytes).unwrap())
            .unwrap();
        assert_eq!(crate::materialise(&peer, DocKind::Prompt)["title"], "x");
    }

    #[test]
    fn rejects_oversized_client_ids_without_panicking() {
        // One struct group, one struct, client id 2^60, clock 0, a 1-char string item.
        let bytes = [
            1, 1, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x10, 0, 4, 1, 1, b'c', 1, b'x',
            0,
        ];
        assert!(decode_update(&bytes).is_err());
    }

    proptest! {
        #[test]
        fn garbage_is_an_error_not_a_panic(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
            let _ = decode_update(&bytes);
        }
    }
}
