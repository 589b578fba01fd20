//! `LiveDoc` without reconnect: sync, awareness, acks, close codes.

use rocqet_client::rest::Role;
use rocqet_client::{ClientError, ConnectOptions, LiveDoc, Status};
use serde_json::json;
use yrs::{GetString, ReadTxn, Text, Transact, WriteTxn};

use crate::support::{TestServer, options, prompt, within};

async fn open(url: &str, options: ConnectOptions) -> LiveDoc {
    let live = LiveDoc::connect(url, options).await.expect("connect");
    within(live.wait_synced()).await.expect("synced");
    live
}

#[tokio::test]
async fn two_clients_converge_and_see_each_others_awareness() {
    let server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = prompt(&ada, "acme", "").await;
    let a = open(&server.ws_url(&id), options(&ada)).await;
    let b = open(&server.ws_url(&id), options(&ada)).await;

    a.insert_text("content", 0, "Hello");
    within(b.wait_text("content", "Hello")).await.expect("text");
    b.insert_text("content", 5, " world");
    within(a.wait_text("content", "Hello world"))
        .await
        .expect("text");

    a.set_awareness(json!({"cursor": 3})).expect("awareness");
    within(b.wait_awareness(|s| s.len() == 1))
        .await
        .expect("aw");
    let states = b.awareness_states();
    assert_eq!(states[0].0, a.client_id());
    assert_eq!(states[0].1["cursor"], 3);
    assert!(a.awareness_states().is_empty(), "own state is not listed");

    a.close().await;
    within(b.wait_awareness(|s| s.is_empty()))
        .await
        .expect("left");
}

#[tokio::test]
async fn late_joiner_receives_existing_state() {
    let server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = prompt(&ada, "acme", "").await;
    let a = open(&server.ws_url(&id), options(&ada)).await;
    a.insert_text("content", 0, "ünïcødé ✓");
    within(a.wait_saved()).await.expect("saved");
    let b = open(&server.ws_url(&id), options(&ada)).await;
    assert_eq!(b.text("content"), "ünïcødé ✓");
}

#[tokio::test]
async fn saved_means_every_update_was_acked() {
    let server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = prompt(&ada, "acme", "").await;
    let live = open(&server.ws_url(&id), options(&ada)).await;
    for i in 0..5 {
        live.insert_text("content", i, "x");
    }
    within(live.wait_saved()).await.expect("saved");
    assert_eq!(live.unacked(), 0);
    assert_eq!(live.status(), Status::Saved);
    let stored = ada.prompts().get(&id).await.expect("read");
    assert_eq!(stored.content.content, "xxxxx");
}

#[tokio::test]
async fn wait_saved_needs_acks() {
    let server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = prompt(&ada, "acme", "").await;
    let no_acks = options(&ada).ack(false);
    let live = open(&server.ws_url(&id), no_acks).await;
    assert!(matches!(
        live.wait_saved().await,
        Err(ClientError::AckDisabled)
    ));
    assert_eq!(live.status(), Status::Synced, "without acks, synced is all");
}

#[tokio::test]
async fn server_close_code_is_reported() {
    let server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let eve = server.user("eve").await;
    let id = prompt(&ada, "acme", "").await;
    let live = LiveDoc::connect(&server.ws_url(&id), options(&eve))
        .await
        .expect("connect");
    let result = within(live.wait_synced()).await;
    assert!(
        matches!(result, Err(ClientError::Closed { code: 4403, .. })),
        "{result:?}"
    );
    assert_eq!(live.closed().map(|c| c.0), Some(4403));
    assert_eq!(live.status(), Status::Closed);
}

#[tokio::test]
async fn a_viewer_is_told_its_socket_is_read_only() {
    let server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let vic = server.user("vic").await;
    ada.add_member("acme", "vic@sdk.test", Role::Viewer)
        .await
        .expect("add viewer");
    let id = prompt(&ada, "acme", "").await;
    let live = open(&server.ws_url(&id), options(&vic)).await;
    let reason = within(live.wait_denied()).await.expect("denied");
    assert!(!reason.is_empty());
}

#[tokio::test]
async fn bad_frames_get_the_servers_close_code() {
    let server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = prompt(&ada, "acme", "").await;
    let live = open(&server.ws_url(&id), options(&ada)).await;
    live.send_raw(vec![0, 9, 9]);
    let (code, _) = within(live.wait_closed()).await;
    assert_eq!(code, 4400);
}

#[tokio::test]
async fn offline_edits_sync_on_reconnect_with_the_same_doc() {
    let server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = prompt(&ada, "acme", "").await;
    let first = open(&server.ws_url(&id), options(&ada)).await;
    first.insert_text("content", 0, "online");
    within(first.wait_saved()).await.expect("saved");
    within(first.close()).await;
    let doc = first.doc().clone();
    drop(first);

    {
        let mut txn = doc.transact_mut();
        let text = txn.get_or_insert_text("content");
        text.push(&mut txn, " offline");
    }
    let second = open(&server.ws_url(&id), options(&ada).doc(doc.clone())).await;
    within(second.wait_saved()).await.expect("saved");
    let stored = ada.prompts().get(&id).await.expect("read");
    assert_eq!(stored.content.content, "online offline");
    let txn = doc.transact();
    let text = txn.get_text("content").expect("text");
    assert_eq!(text.get_string(&txn), "online offline");
}

#[tokio::test]
async fn refused_upgrade_is_an_error() {
    let server = TestServer::start().await;
    // Not a socket route: the server answers with HTTP 401, not an upgrade.
    let url = server.ws_url(&"x".into()).replace("/ws/x", "/api/auth/me");
    let result = LiveDoc::connect(&url, ConnectOptions::new()).await;
    assert!(
        matches!(result, Err(ClientError::Rejected { status: 401 })),
        "{result:?}"
    );
}

#[tokio::test]
async fn a_missing_token_closes_with_4401() {
    let server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = prompt(&ada, "acme", "").await;
    // No token at all: the server closes with 4401.
    let anonymous = LiveDoc::connect(&server.ws_url(&id), ConnectOptions::new())
        .await
        .expect("connect");
    let (code, _) = within(anonymous.wait_closed()).await;
    assert_eq!(code, 4401);
}

#[tokio::test]
async fn wss_urls_are_dialed_with_tls() {
    // A plain TCP peer: the TLS handshake fails, which shows TLS was attempted
    // (without TLS support the URL itself would be refused as unusable).
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let addr = listener.local_addr().expect("addr");
    tokio::spawn(async move {
        while let Ok((tcp, _)) = listener.accept().await {
            drop(tcp);
        }
    });
    let result = LiveDoc::connect(&format!("wss://{addr}/ws/d"), ConnectOptions::new()).await;
    assert!(
        matches!(result, Err(ClientError::WebSocket(_))),
        "{result:?}"
    );
}
