//! Unit tests of the frame handler and the per-connection bookkeeping.

use super::*;
use yrs::{GetString, Text, WriteTxn};

fn shared(ack: bool) -> (Arc<Shared>, mpsc::UnboundedReceiver<Outgoing>) {
    let shared = Shared::new(rocqet_crdt::new_doc(), ack, false);
    let rx = shared.begin_connection();
    shared.observe_doc("test".into()).expect("observe");
    (shared, rx)
}

fn doc_with(text: &str) -> Doc {
    let doc = rocqet_crdt::new_doc();
    let mut txn = doc.transact_mut();
    txn.get_or_insert_text("content").insert(&mut txn, 0, text);
    drop(txn);
    doc
}

fn text_of(doc: &Doc) -> String {
    let txn = doc.transact();
    txn.get_text("content")
        .map(|t| t.get_string(&txn))
        .unwrap_or_default()
}

fn next_frame(rx: &mut mpsc::UnboundedReceiver<Outgoing>) -> Vec<u8> {
    match rx.try_recv() {
        Ok(Outgoing::Frame(bytes)) => bytes,
        other => panic!("expected a frame, got {other:?}"),
    }
}

fn full_update(doc: &Doc) -> Vec<u8> {
    doc.transact()
        .encode_state_as_update_v1(&yrs::StateVector::default())
}

#[test]
fn answers_sync_step1_with_the_missing_state() {
    let (shared, mut rx) = shared(true);
    let mut txn = shared.doc.transact_mut();
    txn.get_or_insert_text("content").insert(&mut txn, 0, "abc");
    drop(txn);
    let _local_update = next_frame(&mut rx);

    let empty = yrs::StateVector::default();
    shared
        .handle_frame(&protocol::encode_sync_step1(&empty))
        .expect("step1");

    let reply = next_frame(&mut rx);
    let Ok(Frame::SyncStep2(diff)) = protocol::decode_frame(&reply) else {
        panic!("expected SyncStep2, got {reply:?}");
    };
    let server = rocqet_crdt::new_doc();
    let update = Update::decode_v1(diff).expect("update");
    server.transact_mut().apply_update(update).expect("apply");
    assert_eq!(text_of(&server), "abc");
    // The local update and the SyncStep2 both await an ack.
    assert_eq!(shared.state.borrow().sent, 2);
}

#[test]
fn sync_step2_applies_and_marks_synced_without_echo() {
    let (shared, mut rx) = shared(false);
    let server = doc_with("from server");
    let frame = protocol::encode_sync_step2(&full_update(&server));
    shared.handle_frame(&frame).expect("step2");
    assert_eq!(text_of(&shared.doc), "from server");
    assert!(shared.state.borrow().synced);
    assert!(
        rx.try_recv().is_err(),
        "remote changes must not be sent back"
    );
}

#[test]
fn local_edits_are_sent_as_updates() {
    let (shared, mut rx) = shared(false);
    let mut txn = shared.doc.transact_mut();
    txn.get_or_insert_text("content").insert(&mut txn, 0, "hi");
    drop(txn);
    let frame = next_frame(&mut rx);
    let Ok(Frame::Update(update)) = protocol::decode_frame(&frame) else {
        panic!("expected Update, got {frame:?}");
    };
    let other = rocqet_crdt::new_doc();
    other
        .transact_mut()
        .apply_update(Update::decode_v1(update).expect("decode"))
        .expect("apply");
    assert_eq!(text_of(&other), "hi");
    // Without acks nothing is counted.
    assert_eq!(shared.state.borrow().sent, 0);
}

#[test]
fn acks_count_down_and_negative_acks_are_recorded() {
    let (shared, _rx) = shared(true);
    shared.send(protocol::encode_update(&[0, 0]), true);
    shared.send(protocol::encode_update(&[0, 0]), true);
    shared.handle_frame(&protocol::ACK_FRAME).expect("ack");
    shared.handle_frame(&[protocol::MSG_ACK, 0]).expect("nack");
    let state = shared.state.borrow();
    assert_eq!((state.sent, state.acked, state.rejected), (2, 2, 1));
}

#[test]
fn awareness_of_others_is_listed_and_queries_are_answered() {
    let (shared, mut rx) = shared(false);
    let peer = Awareness::new(rocqet_crdt::new_doc());
    let mut peer = peer;
    peer.set_local_state(serde_json::json!({"name": "Ada"}))
        .expect("set");
    let update = peer.update().expect("update");
    shared
        .handle_frame(&protocol::encode_awareness(&update))
        .expect("awareness");
    let peer_id = peer.client_id().get();
    assert_eq!(
        shared.other_states(),
        vec![(peer_id, serde_json::json!({"name": "Ada"}))]
    );

    shared
        .handle_frame(&protocol::encode_query_awareness())
        .expect("query");
    let reply = next_frame(&mut rx);
    assert!(matches!(
        protocol::decode_frame(&reply),
        Ok(Frame::Awareness(_))
    ));
}

#[test]
fn permission_denied_is_recorded() {
    let (shared, _rx) = shared(false);
    let mut frame = vec![2, 0, 6];
    frame.extend_from_slice(b"nope!!");
    shared.handle_frame(&frame).expect("auth");
    assert_eq!(shared.state.borrow().denied.as_deref(), Some("nope!!"));
}

#[test]
fn garbage_is_an_error_not_a_panic() {
    let (shared, _rx) = shared(false);
    for frame in [
        &[][..],
        &[0],
        &[0, 2],
        &[0, 2, 5, 1],
        &[0, 2, 2, 255, 255],
        &[99, 1, 2],
    ] {
        assert!(shared.handle_frame(frame).is_err(), "{frame:?} accepted");
    }
    assert!(!shared.state.borrow().synced);
}

#[test]
fn forgotten_peers_come_back_with_their_unchanged_state() {
    let (shared, _rx) = shared(false);
    shared
        .awareness()
        .set_local_state(serde_json::json!({"me": 1}))
        .expect("set");
    let mut peer = Awareness::new(rocqet_crdt::new_doc());
    peer.set_local_state(serde_json::json!({"name": "Ada"}))
        .expect("set");
    let hello = protocol::encode_awareness(&peer.update().expect("update"));
    shared.handle_frame(&hello).expect("awareness");
    assert_eq!(shared.other_states().len(), 1);

    shared.forget_others();
    assert!(shared.other_states().is_empty());
    // The next connection's hello carries the same, unchanged state.
    shared.handle_frame(&hello).expect("awareness");
    assert_eq!(
        shared.other_states().len(),
        1,
        "not mistaken for an old state"
    );
    let mine = shared.awareness().local_state_raw();
    assert_eq!(mine.as_deref(), Some(r#"{"me":1}"#), "own state kept");
}

#[test]
fn the_announced_state_outruns_the_servers_removal() {
    let (shared, _rx) = shared(false);
    shared
        .awareness()
        .set_local_state(serde_json::json!({"typing": true}))
        .expect("set");
    let me = shared.doc.client_id();
    let server = Awareness::new(rocqet_crdt::new_doc());
    let mut server = server;
    let first = shared
        .awareness()
        .update_with_clients([me])
        .expect("update");
    server.apply_update(first).expect("apply");
    // The old socket closed: the server removed our state (clock + 1).
    server.remove_state(me);

    let hello = shared.announced_awareness().expect("a state to announce");
    let Ok(Frame::Awareness(update)) = protocol::decode_frame(&hello) else {
        panic!("expected awareness");
    };
    server.apply_update(update).expect("apply");
    assert!(server.iter().any(|(id, s)| id == me && s.data.is_some()));
}

#[test]
fn a_new_connection_counts_afresh_and_status_follows() {
    let (shared, _rx) = shared(true);
    let mut events = shared.status_events();
    let server = doc_with("x");
    shared
        .handle_frame(&protocol::encode_sync_step1(&yrs::StateVector::default()))
        .expect("step1");
    shared
        .handle_frame(&protocol::encode_sync_step2(&full_update(&server)))
        .expect("step2");
    assert_eq!(
        shared.status(),
        Status::Synced,
        "our SyncStep2 awaits its ack"
    );
    shared.handle_frame(&protocol::ACK_FRAME).expect("ack");
    assert_eq!(shared.status(), Status::Saved);

    shared.modify(|s| s.phase = Phase::Offline);
    assert_eq!(shared.status(), Status::Offline);
    let _rx = shared.begin_connection();
    let state = shared.state.borrow().clone();
    assert_eq!((state.sent, state.acked, state.synced), (0, 0, false));
    assert_eq!(state.connections, 2);
    assert_eq!(shared.status(), Status::Connecting);

    let seen: Vec<_> = std::iter::from_fn(|| events.try_recv().ok()).collect();
    let expected = [
        Status::Synced,
        Status::Saved,
        Status::Offline,
        Status::Connecting,
    ];
    assert_eq!(seen, expected);
}
