//! Bad input closes only the offending socket, with the documented code; the
//! document stays intact and everyone else keeps syncing; nothing panics.

use rocqet_crdt::protocol::{self, Frame};
use serde_json::json;
use tokio_tungstenite::tungstenite::Message;
use yrs::updates::decoder::Decode;
use yrs::{GetString, ReadTxn, StateVector, Text, Transact, Update};

use crate::server_test;
use crate::support::db::TestDb;
use crate::support::raw::{Ending, RawSocket};
use crate::support::server::TestServer;

server_test!(
    garbage_bytes_close_with_4400,
    truncated_varint_closes_with_4400,
    random_update_payload_closes_with_4400,
    flipped_update_bytes_never_hurt_the_room,
    oversized_frame_closes_with_4413,
    text_frame_closes_with_4400,
    awareness_flood_closes_with_4429,
    unknown_document_closes_with_4404,
    client_that_never_reads_is_dropped,
    fuzz_corpus_never_hurts_the_server,
);

/// Joins as a fresh client and returns the document text after the sync handshake.
pub async fn synced_text(server: &TestServer, id: &str) -> String {
    let mut socket = RawSocket::connect(&server.ws_url(id)).await;
    socket
        .send(protocol::encode_sync_step1(&StateVector::default()))
        .await;
    let doc = rocqet_crdt::new_doc();
    loop {
        let frame = socket
            .next_binary()
            .await
            .expect("server answers the handshake");
        if let Ok(Frame::SyncStep2(update)) = protocol::decode_frame(&frame) {
            doc.transact_mut()
                .apply_update(Update::decode_v1(update).unwrap())
                .unwrap();
            break;
        }
    }
    let text = doc.get_or_insert_text("content");
    text.get_string(&doc.transact())
}

/// A client-made edit appending `suffix`, as a standard Update frame, built on the current content.
async fn append_frame(server: &TestServer, id: &str, suffix: &str) -> Vec<u8> {
    let mut socket = RawSocket::connect(&server.ws_url(id)).await;
    socket
        .send(protocol::encode_sync_step1(&StateVector::default()))
        .await;
    let doc = rocqet_crdt::new_doc();
    loop {
        let frame = socket.next_binary().await.expect("handshake");
        if let Ok(Frame::SyncStep2(update)) = protocol::decode_frame(&frame) {
            doc.transact_mut()
                .apply_update(Update::decode_v1(update).unwrap())
                .unwrap();
            break;
        }
    }
    let text = doc.get_or_insert_text("content");
    let before = doc.transact().state_vector();
    {
        let mut txn = doc.transact_mut();
        let len = text.len(&txn);
        text.insert(&mut txn, len, suffix);
    }
    protocol::encode_update(&doc.transact().encode_state_as_update_v1(&before))
}

/// Runs `offend` on a bad connection while a good one watches; checks the good one keeps syncing.
async fn only_offender_closes(db: TestDb, expected: u16, offend: impl AsyncFnOnce(&mut RawSocket)) {
    let server = TestServer::start_with(db, |c| c.limits.max_frame_bytes = 64 * 1024).await;
    let id = server.create_prompt("intact").await;
    let mut good = RawSocket::connect(&format!("{}&ack=1", server.ws_url(&id))).await;
    let mut bad = RawSocket::connect(&server.ws_url(&id)).await;
    offend(&mut bad).await;
    let ending = bad.ending().await;
    assert!(
        matches!(ending, Ending::Closed(code, _) if code == expected),
        "expected {expected}, got {ending:?}"
    );
    assert_eq!(synced_text(&server, &id).await, "intact");
    let edit = append_frame(&server, &id, " and live").await;
    good.send_acked(edit).await;
    let (_, body) = server
        .call(reqwest::Method::GET, &format!("/api/prompts/{id}"), None)
        .await;
    assert_eq!(body["content"], "intact and live");
    assert_eq!(synced_text(&server, &id).await, "intact and live");
}

async fn garbage_bytes_close_with_4400(db: TestDb) {
    only_offender_closes(db, 4400, async |bad| {
        bad.send(vec![0xff, 0x13, 0x37, 0x00, 0x42]).await
    })
    .await;
}

async fn truncated_varint_closes_with_4400(db: TestDb) {
    only_offender_closes(db, 4400, async |bad| bad.send(vec![0, 2, 0x80]).await).await;
}

async fn random_update_payload_closes_with_4400(db: TestDb) {
    // A fixed pseudo-random payload (xorshift, seed printed) that is not a valid update.
    let seed = 0x5eed_u64;
    println!("random update seed {seed:#x}");
    let mut x = seed;
    let payload: Vec<u8> = (0..64)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    assert!(
        Update::decode_v1(&payload).is_err(),
        "seed must give an undecodable update"
    );
    only_offender_closes(db, 4400, async |bad| {
        bad.send(protocol::encode_update(&payload)).await
    })
    .await;
}

async fn flipped_update_bytes_never_hurt_the_room(db: TestDb) {
    let server = TestServer::start(db).await;
    let id = server.create_prompt("intact").await;
    let valid = append_frame(&server, &id, "!").await;
    let mut closed_4400 = 0;
    // Every single-byte flip of a real update, each on its own connection.
    for at in 2..valid.len() {
        let mut flipped = valid.clone();
        flipped[at] ^= 0xff;
        let mut bad = RawSocket::connect(&server.ws_url(&id)).await;
        bad.send(flipped).await;
        // Ask for the state so the round trip proves the frame was processed.
        bad.try_send(Message::Binary(
            protocol::encode_sync_step1(&StateVector::default()).into(),
        ))
        .await;
        loop {
            match bad.next_binary().await {
                None => {
                    closed_4400 += 1;
                    break;
                }
                Some(frame)
                    if matches!(protocol::decode_frame(&frame), Ok(Frame::SyncStep2(_))) =>
                {
                    break;
                }
                Some(_) => {}
            }
        }
    }
    println!("{closed_4400} of {} flips were refused", valid.len() - 2);
    assert!(closed_4400 > 0, "some flips must be refused");
    // The room still answers and still accepts a proper edit.
    let text = synced_text(&server, &id).await;
    let edit = append_frame(&server, &id, "~").await;
    let mut good = RawSocket::connect(&format!("{}&ack=1", server.ws_url(&id))).await;
    good.send_acked(edit).await;
    assert!(
        synced_text(&server, &id).await.ends_with('~'),
        "room still live after flips (was {text:?})"
    );
}

async fn oversized_frame_closes_with_4413(db: TestDb) {
    only_offender_closes(db, 4413, async |bad| {
        bad.send(protocol::encode_update(&vec![0u8; 100 * 1024]))
            .await
    })
    .await;
}

async fn text_frame_closes_with_4400(db: TestDb) {
    only_offender_closes(db, 4400, async |bad| {
        bad.try_send(Message::Text("hello".into())).await;
    })
    .await;
}

async fn awareness_flood_closes_with_4429(db: TestDb) {
    only_offender_closes(db, 4429, async |bad| {
        for clock in 1..=1000u32 {
            let mut clients = std::collections::HashMap::new();
            clients.insert(
                yrs::block::ClientID::new(99),
                yrs::sync::awareness::AwarenessUpdateEntry {
                    clock,
                    json: r#"{"cursor":1}"#.into(),
                },
            );
            let frame = protocol::encode_awareness(&yrs::sync::AwarenessUpdate { clients });
            if !bad.try_send(Message::Binary(frame.into())).await {
                break;
            }
        }
    })
    .await;
}

async fn unknown_document_closes_with_4404(db: TestDb) {
    let server = TestServer::start(db).await;
    let mut socket = RawSocket::connect(&server.ws_url(&uuid::Uuid::now_v7().to_string())).await;
    assert_eq!(socket.close_code().await, 4404);
    let mut socket = RawSocket::connect(&server.ws_url("not-a-uuid")).await;
    assert_eq!(socket.close_code().await, 4404);
    let (status, _) = server.call(reqwest::Method::GET, "/readyz", None).await;
    assert_eq!(status, 200);
    let _ = json!(null);
}

async fn client_that_never_reads_is_dropped(db: TestDb) {
    let server = TestServer::start_with(db, |c| c.limits.outbox_frames = 8).await;
    let id = server.create_prompt("").await;
    let mut sleeper = RawSocket::connect(&server.ws_url(&id)).await;
    let mut writer = RawSocket::connect(&server.ws_url(&id)).await;
    // Enough data to fill the sleeper's socket buffers many times over.
    let chunk = "y".repeat(16 * 1024);
    let mut written = String::new();
    let local = rocqet_crdt::new_doc();
    for _ in 0..800 {
        let frame = append_frame_local(&local, &mut written, &chunk);
        writer.send(frame).await;
    }
    // The writer is unaffected and everything it wrote is there.
    let text = synced_text(&server, &id).await;
    assert_eq!(text.len(), written.len());
    // The sleeper was cut off: it gets what was buffered, then a drop or 1013, never all 800 updates.
    let ending = sleeper.ending().await;
    assert!(
        matches!(ending, Ending::Dropped | Ending::Closed(1013, _)),
        "{ending:?}"
    );
}

/// Appends `chunk` to the local doc and mirror and returns the Update frame.
fn append_frame_local(doc: &yrs::Doc, written: &mut String, chunk: &str) -> Vec<u8> {
    {
        let text = doc.get_or_insert_text("content");
        let before = doc.transact().state_vector();
        {
            let mut txn = doc.transact_mut();
            let len = text.len(&txn);
            text.insert(&mut txn, len, chunk);
        }
        written.push_str(chunk);
        protocol::encode_update(&doc.transact().encode_state_as_update_v1(&before))
    }
}

/// Every input the crdt fuzzer kept (crashers included), sent as a frame on its own
/// connection: the server answers or closes that socket, and stays healthy.
async fn fuzz_corpus_never_hurts_the_server(db: TestDb) {
    let server = TestServer::start(db).await;
    let id = server.create_prompt("intact").await;
    let corpus = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../crdt/tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&corpus)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(files.len() > 10, "corpus found at {}", corpus.display());
    let probe = protocol::encode_sync_step1(&StateVector::default());
    for file in &files {
        let frame = std::fs::read(file).unwrap();
        let mut socket = RawSocket::connect(&server.ws_url(&id)).await;
        if !socket.try_send(Message::Binary(frame.into())).await {
            continue;
        }
        socket.try_send(Message::Binary(probe.clone().into())).await;
        // Either the server answers the probe or it closes this socket; both are fine.
        while let Some(reply) = socket.next_binary().await {
            if matches!(protocol::decode_frame(&reply), Ok(Frame::SyncStep2(_))) {
                break;
            }
        }
    }
    let edit = append_frame(&server, &id, " still live").await;
    let mut good = RawSocket::connect(&format!("{}&ack=1", server.ws_url(&id))).await;
    good.send_acked(edit).await;
    assert!(synced_text(&server, &id).await.ends_with(" still live"));
    let (status, _) = server.call(reqwest::Method::GET, "/healthz", None).await;
    assert_eq!(status, 200);
}
