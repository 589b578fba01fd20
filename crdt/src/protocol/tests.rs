use super::*;
use proptest::prelude::*;
use std::collections::HashMap;
use std::sync::Arc;
use yrs::ClientID;
use yrs::sync::awareness::AwarenessUpdateEntry;

/// Yjs client ids are 53-bit.
fn client_id() -> impl Strategy<Value = u64> {
    0..(1u64 << 53)
}

fn state_vector() -> impl Strategy<Value = StateVector> {
    proptest::collection::hash_map(client_id(), any::<u32>(), 0..8)
        .prop_map(|m| m.into_iter().map(|(c, k)| (ClientID::new(c), k)).collect())
}

fn awareness() -> impl Strategy<Value = AwarenessUpdate> {
    proptest::collection::hash_map(client_id(), (any::<u32>(), ".{0,20}"), 0..5).prop_map(|m| {
        AwarenessUpdate {
            clients: m
                .into_iter()
                .map(|(c, (clock, json))| {
                    (
                        ClientID::new(c),
                        AwarenessUpdateEntry {
                            clock,
                            json: Arc::from(json),
                        },
                    )
                })
                .collect::<HashMap<_, _>>(),
        }
    })
}

/// Every frame variant; payload-borrowing variants carry their bytes alongside.
#[derive(Debug, Clone)]
enum Owned {
    Step1(StateVector),
    Step2(Vec<u8>),
    Update(Vec<u8>),
    Awareness(AwarenessUpdate),
    Query,
    Auth(Option<String>),
    Ack(bool),
}

impl Owned {
    fn frame(&self) -> Frame<'_> {
        match self {
            Owned::Step1(sv) => Frame::SyncStep1(sv.clone()),
            Owned::Step2(u) => Frame::SyncStep2(u),
            Owned::Update(u) => Frame::Update(u),
            Owned::Awareness(a) => Frame::Awareness(a.clone()),
            Owned::Query => Frame::QueryAwareness,
            Owned::Auth(r) => Frame::Auth(r.clone()),
            Owned::Ack(b) => Frame::Ack(*b),
        }
    }
}

fn any_frame() -> impl Strategy<Value = Owned> {
    let bytes = || proptest::collection::vec(any::<u8>(), 0..300);
    prop_oneof![
        state_vector().prop_map(Owned::Step1),
        bytes().prop_map(Owned::Step2),
        bytes().prop_map(Owned::Update),
        awareness().prop_map(Owned::Awareness),
        Just(Owned::Query),
        proptest::option::of(".{0,40}").prop_map(Owned::Auth),
        any::<bool>().prop_map(Owned::Ack),
    ]
}

proptest! {
    #[test]
    fn every_frame_round_trips(owned in any_frame()) {
        let frame = owned.frame();
        let bytes = encode_frame(&frame);
        prop_assert_eq!(decode_frame(&bytes).unwrap(), frame);
    }

    #[test]
    fn encoding_matches_yrs_sync_messages(owned in any_frame()) {
        let frame = owned.frame();
        if let Some(message) = frame.to_message() {
            prop_assert_eq!(encode_frame(&frame), message.encode_v1());
        }
    }

    #[test]
    fn any_prefix_or_extension_of_a_frame_is_rejected(owned in any_frame(), extra in 1u8..=255) {
        let bytes = encode_frame(&owned.frame());
        for cut in 0..bytes.len() {
            prop_assert!(decode_frame(&bytes[..cut]).is_err(), "prefix {} of {:?}", cut, bytes);
        }
        let mut longer = bytes.clone();
        longer.push(extra);
        prop_assert!(decode_frame(&longer).is_err());
    }

    #[test]
    fn garbage_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..64)) {
        let _ = decode_frame(&bytes);
        let _ = update_payload_offset(&bytes);
    }

    #[test]
    fn garbage_payloads_behind_valid_headers_never_panic(
        header in prop::sample::select(vec![vec![0u8, 0], vec![1], vec![2, 0], vec![0, 2]]),
        payload in proptest::collection::vec(any::<u8>(), 0..64),
    ) {
        let mut bytes = header;
        bytes.write_buf(&payload);
        let _ = decode_frame(&bytes);
    }

    #[test]
    fn payload_offset_slices_the_update(update in proptest::collection::vec(any::<u8>(), 0..300)) {
        for bytes in [encode_update(&update), encode_sync_step2(&update)] {
            let offset = update_payload_offset(&bytes).unwrap();
            prop_assert_eq!(&bytes[offset..], &update[..]);
        }
    }
}

#[test]
fn golden_bytes() {
    assert_eq!(ACK_FRAME, [8, 1]);
    assert_eq!(encode_ack(true), ACK_FRAME);
    assert_eq!(decode_frame(&ACK_FRAME).unwrap(), Frame::Ack(true));
    assert_eq!(encode_sync_step1(&StateVector::default()), [0, 0, 1, 0]);
    assert_eq!(
        decode_frame(&[0, 0, 1, 0]).unwrap(),
        Frame::SyncStep1(StateVector::default())
    );
    assert_eq!(encode_update(&[0, 0]), [0, 2, 2, 0, 0]);
    assert_eq!(encode_sync_step2(&[0, 0]), [0, 1, 2, 0, 0]);
    assert_eq!(encode_query_awareness(), [3]);
    assert_eq!(encode_permission_denied("no"), [2, 0, 2, b'n', b'o']);
    assert_eq!(decode_frame(&[2, 1]).unwrap(), Frame::Auth(None));
}

#[test]
fn rejects_malformed_frames() {
    let cases: &[(&str, &[u8])] = &[
        ("empty", &[]),
        ("unknown tag", &[4]),
        ("unknown large tag", &[0x80, 0x01]),
        ("unknown sync type", &[0, 3, 0]),
        ("truncated varint", &[0x80]),
        ("overlong varint", &[0xff; 12]),
        ("trailing bytes after query", &[3, 0]),
        ("trailing bytes after update", &[0, 2, 1, 7, 7]),
        ("update length past end", &[0, 2, 5, 1, 2]),
        ("huge update length", &[0, 2, 0xff, 0xff, 0xff, 0xff, 0x0f]),
        (
            "state vector claims 4 billion clients",
            &[0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0x0f],
        ),
        ("state vector with trailing byte", &[0, 0, 2, 0, 9]),
        (
            "state vector client id over 53 bits",
            &[
                0, 0, 12, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1,
            ],
        ),
        (
            "awareness client id over 53 bits",
            &[
                1, 13, 1, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f, 1, 0,
            ],
        ),
        (
            "awareness claims 4 billion clients",
            &[1, 5, 0xff, 0xff, 0xff, 0xff, 0x0f],
        ),
        ("awareness with bad utf-8", &[1, 5, 1, 1, 1, 1, 0xff]),
        ("auth with unknown permission", &[2, 7]),
        ("auth reason missing", &[2, 0]),
        ("ack with unknown status", &[8, 2]),
        ("ack without status", &[8]),
    ];
    for (name, bytes) in cases {
        assert!(
            matches!(decode_frame(bytes), Err(CrdtError::Malformed(_))),
            "{name}: {bytes:?}"
        );
    }
}

#[test]
fn decodes_frames_written_by_yrs() {
    let doc = crate::new_doc();
    let mut awareness = yrs::sync::Awareness::new(doc);
    awareness
        .set_local_state(serde_json::json!({"user": {"name": "Ada"}}))
        .unwrap();
    let update = awareness.update().unwrap();
    let bytes = Message::Awareness(update.clone()).encode_v1();
    assert_eq!(decode_frame(&bytes).unwrap(), Frame::Awareness(update));
}
