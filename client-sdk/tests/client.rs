//! `LiveDoc` against a small in-process y-websocket server (the real
//! server's tests live in `server/tests`). The fake keeps one doc, relays
//! updates and awareness to the other sockets, acks when asked, and closes
//! `/ws/forbidden` with 4403 and bad frames with 4400.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures_util::{SinkExt, StreamExt};
use rocqet_client::{ClientError, ConnectOptions, LiveDoc};
use rocqet_crdt::protocol::{self, Frame};
use serde_json::json;
use tokio::net::TcpListener;
use tokio::sync::broadcast;
use tokio::time::timeout;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use yrs::sync::Awareness;
use yrs::updates::decoder::Decode;
use yrs::{ReadTxn, Transact, Update};

const WAIT: Duration = Duration::from_secs(5);

struct Hub {
    doc: yrs::Doc,
    awareness: Mutex<Awareness>,
    relay: broadcast::Sender<(usize, Vec<u8>)>,
    uris: Mutex<Vec<String>>,
}

/// Starts the fake server; returns its `ws://…/ws` base and the hub.
async fn start() -> (String, Arc<Hub>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    let doc = rocqet_crdt::new_doc();
    let hub = Arc::new(Hub {
        awareness: Mutex::new(Awareness::new(doc.clone())),
        doc,
        relay: broadcast::channel(64).0,
        uris: Mutex::new(Vec::new()),
    });
    let served = hub.clone();
    tokio::spawn(async move {
        for conn in 0.. {
            let Ok((tcp, _)) = listener.accept().await else {
                return;
            };
            tokio::spawn(serve(tcp, conn, served.clone()));
        }
    });
    (format!("ws://{addr}/ws"), hub)
}

async fn serve(tcp: tokio::net::TcpStream, conn: usize, hub: Arc<Hub>) {
    let mut uri = String::new();
    // The callback's signature is tungstenite's; its error type is not ours.
    #[allow(clippy::result_large_err)]
    let record = |req: &Request, resp: Response| {
        uri = req.uri().to_string();
        Ok(resp)
    };
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tcp, record).await else {
        return;
    };
    hub.uris.lock().expect("lock").push(uri.clone());
    let close = |code: u16, reason: &str| {
        Message::Close(Some(CloseFrame {
            code: code.into(),
            reason: reason.to_owned().into(),
        }))
    };
    if uri.starts_with("/ws/forbidden") {
        let _ = ws.send(close(4403, "forbidden")).await;
        return;
    }
    let ack = uri.contains("ack=1");
    let mut relayed = hub.relay.subscribe();
    let hello = {
        let sv = hub.doc.transact().state_vector();
        let awareness = hub
            .awareness
            .lock()
            .expect("lock")
            .update()
            .expect("awareness");
        [
            protocol::encode_sync_step1(&sv),
            protocol::encode_awareness(&awareness),
        ]
    };
    for frame in hello {
        let _ = ws.send(Message::Binary(frame.into())).await;
    }
    loop {
        tokio::select! {
            incoming = ws.next() => {
                let Some(Ok(message)) = incoming else { return };
                let Message::Binary(bytes) = message else { continue };
                let replies = match handle(&hub, conn, ack, &bytes) {
                    Ok(replies) => replies,
                    Err(()) => {
                        let _ = ws.send(close(4400, "bad message")).await;
                        return;
                    }
                };
                for reply in replies {
                    let _ = ws.send(Message::Binary(reply.into())).await;
                }
            }
            Ok((from, frame)) = relayed.recv() => {
                if from != conn {
                    let _ = ws.send(Message::Binary(frame.into())).await;
                }
            }
        }
    }
}

fn handle(hub: &Hub, conn: usize, ack: bool, bytes: &[u8]) -> Result<Vec<Vec<u8>>, ()> {
    let mut replies = Vec::new();
    match protocol::decode_frame(bytes).map_err(|_| ())? {
        Frame::SyncStep1(sv) => {
            let diff = hub.doc.transact().encode_diff_v1(&sv);
            replies.push(protocol::encode_sync_step2(&diff));
        }
        Frame::SyncStep2(update) | Frame::Update(update) => {
            let decoded = Update::decode_v1(update).map_err(|_| ())?;
            hub.doc
                .transact_mut()
                .apply_update(decoded)
                .map_err(|_| ())?;
            let _ = hub.relay.send((conn, protocol::encode_update(update)));
            if ack {
                replies.push(protocol::ACK_FRAME.to_vec());
            }
        }
        Frame::Awareness(update) => {
            hub.awareness
                .lock()
                .expect("lock")
                .apply_update(update)
                .map_err(|_| ())?;
            let _ = hub.relay.send((conn, bytes.to_vec()));
        }
        _ => {}
    }
    Ok(replies)
}

async fn open(base: &str, options: ConnectOptions) -> LiveDoc {
    let live = LiveDoc::connect(&format!("{base}/doc-1"), options)
        .await
        .expect("connect");
    timeout(WAIT, live.wait_synced())
        .await
        .expect("timely")
        .expect("synced");
    live
}

#[tokio::test]
async fn two_clients_converge_and_see_each_others_awareness() {
    let (base, _hub) = start().await;
    let a = open(&base, ConnectOptions::new()).await;
    let b = open(&base, ConnectOptions::new()).await;

    a.insert_text("content", 0, "Hello");
    timeout(WAIT, b.wait_text("content", "Hello"))
        .await
        .expect("timely")
        .expect("text");
    b.insert_text("content", 5, " world");
    timeout(WAIT, a.wait_until(|_| a.text("content") == "Hello world"))
        .await
        .expect("timely")
        .expect("text");

    a.set_awareness(json!({"user": "a"})).expect("awareness");
    timeout(WAIT, b.wait_awareness(|s| s.len() == 1))
        .await
        .expect("timely")
        .expect("aw");
    assert_eq!(
        b.awareness_states(),
        vec![(a.client_id(), json!({"user": "a"}))]
    );
    assert!(a.awareness_states().is_empty(), "own state is not listed");

    a.close().await;
    timeout(WAIT, b.wait_awareness(|s| s.is_empty()))
        .await
        .expect("timely")
        .expect("left");
}

#[tokio::test]
async fn late_joiner_receives_existing_state() {
    let (base, _hub) = start().await;
    let a = open(&base, ConnectOptions::new().ack(true)).await;
    a.insert_text("content", 0, "ünïcødé ✓");
    timeout(WAIT, a.wait_saved())
        .await
        .expect("timely")
        .expect("saved");
    let b = open(&base, ConnectOptions::new()).await;
    assert_eq!(b.text("content"), "ünïcødé ✓");
}

#[tokio::test]
async fn saved_means_every_update_was_acked() {
    let (base, hub) = start().await;
    let live = open(&base, ConnectOptions::new().token("t.o/k").ack(true)).await;
    for i in 0..5 {
        live.insert_text("content", i, "x");
    }
    timeout(WAIT, live.wait_saved())
        .await
        .expect("timely")
        .expect("saved");
    assert_eq!(live.unacked(), 0);
    let uris = hub.uris.lock().expect("lock").clone();
    assert_eq!(uris, vec!["/ws/doc-1?token=t.o%2Fk&ack=1".to_owned()]);
}

#[tokio::test]
async fn wait_saved_needs_acks() {
    let (base, _hub) = start().await;
    let live = open(&base, ConnectOptions::new()).await;
    assert!(matches!(
        live.wait_saved().await,
        Err(ClientError::AckDisabled)
    ));
}

#[tokio::test]
async fn server_close_code_is_reported() {
    let (base, _hub) = start().await;
    let live = LiveDoc::connect(&format!("{base}/forbidden"), ConnectOptions::new())
        .await
        .expect("connect");
    let result = timeout(WAIT, live.wait_synced()).await.expect("timely");
    assert!(
        matches!(result, Err(ClientError::Closed { code: 4403, .. })),
        "{result:?}"
    );
    assert_eq!(live.closed(), Some((4403, "forbidden".to_owned())));
}

#[tokio::test]
async fn bad_frames_get_the_servers_close_code() {
    let (base, _hub) = start().await;
    let live = open(&base, ConnectOptions::new()).await;
    live.send_raw(vec![0, 9, 9]);
    let closed = timeout(WAIT, live.wait_closed()).await.expect("timely");
    assert_eq!(closed, (4400, "bad message".to_owned()));
}

#[tokio::test]
async fn offline_edits_sync_on_reconnect_with_the_same_doc() {
    let (base, hub) = start().await;
    let first = open(&base, ConnectOptions::new().ack(true)).await;
    first.insert_text("content", 0, "online");
    timeout(WAIT, first.wait_saved())
        .await
        .expect("timely")
        .expect("saved");
    first.close().await;
    let doc = first.doc().clone();
    drop(first);

    {
        let mut txn = doc.transact_mut();
        let text = yrs::WriteTxn::get_or_insert_text(&mut txn, "content");
        yrs::Text::push(&text, &mut txn, " offline");
    }
    let second = open(&base, ConnectOptions::new().ack(true).doc(doc)).await;
    timeout(WAIT, second.wait_saved())
        .await
        .expect("timely")
        .expect("saved");
    let txn = hub.doc.transact();
    let text = txn.get_text("content").expect("text");
    assert_eq!(yrs::GetString::get_string(&text, &txn), "online offline");
}

#[tokio::test]
async fn refused_upgrade_is_an_error() {
    let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        let (mut tcp, _) = listener.accept().await.expect("accept");
        let mut buf = [0u8; 1024];
        let _ = tokio::io::AsyncReadExt::read(&mut tcp, &mut buf).await;
        let reply = b"HTTP/1.1 401 Unauthorized\r\ncontent-length: 0\r\n\r\n";
        let _ = tokio::io::AsyncWriteExt::write_all(&mut tcp, reply).await;
    });
    let result = LiveDoc::connect(&format!("ws://{addr}/ws/d"), ConnectOptions::new()).await;
    assert!(
        matches!(result, Err(ClientError::Rejected { status: 401 })),
        "{result:?}"
    );
}
