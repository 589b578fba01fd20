//! Live editing through the hub: standard yjs clients and the Rust SDK together,
//! awareness, REST edits reaching open editors, expiry and unload by injected time.

use std::time::Duration;

use reqwest::Method;
use rocqet_client::{ConnectOptions, LiveDoc};
use serde_json::json;
use yrs::{ReadTxn, Transact};

use crate::server_test;
use crate::support::db::TestDb;
use crate::support::node::NodeClient;
use crate::support::server::TestServer;

/// Bound on any single wait; a passing test never comes near it.
const WAIT: Duration = Duration::from_secs(20);

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

async fn sdk(server: &TestServer, id: &str) -> LiveDoc {
    let doc = LiveDoc::connect(&server.ws_url(id), ConnectOptions::new().ack(true))
        .await
        .unwrap();
    within("sdk sync", doc.wait_synced()).await.unwrap();
    doc
}

server_test!(
    patch_reaches_open_editors,
    awareness_expires_without_renewal,
    idle_room_unloads_and_reloads_intact,
    shutdown_flushes_and_closes_with_1001,
    rest_patch_during_socket_edits_keeps_every_edit,
);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn yjs_clients_and_the_sdk_sync_through_the_server() {
    let server = TestServer::start(TestDb::sqlite()).await;
    let id = server.create_prompt("").await;
    let mut a = NodeClient::spawn().await.unwrap();
    let mut b = NodeClient::spawn().await.unwrap();
    a.connect(&server.ws_base(), &id, Some(&server.owner.token))
        .await
        .unwrap();
    b.connect(&server.ws_base(), &id, Some(&server.owner.token))
        .await
        .unwrap();
    let rust = sdk(&server, &id).await;

    a.insert(0, "hello ").await.unwrap();
    b.wait_text("hello ", WAIT).await.unwrap();
    within("rust sees js", rust.wait_text("content", "hello "))
        .await
        .unwrap();
    rust.insert_text("content", 6, "from rust");
    a.wait_text("hello from rust", WAIT).await.unwrap();
    b.wait_text("hello from rust", WAIT).await.unwrap();
    within("saved", rust.wait_saved()).await.unwrap();

    // A late joiner gets everything in its first sync.
    let mut late = NodeClient::spawn().await.unwrap();
    late.connect(&server.ws_base(), &id, Some(&server.owner.token))
        .await
        .unwrap();
    assert_eq!(late.text().await.unwrap(), "hello from rust");

    // Awareness crosses clients, stamped with the authenticated user whatever the
    // client claims, and leaves with its client.
    a.awareness_set(json!({"user": {"name": "ada", "id": "forged", "color": "#0af"}, "cursor": 7}))
        .await
        .unwrap();
    let owner_id = server.owner.user_id.clone();
    let is_a = |v: &serde_json::Value| v["cursor"] == 7;
    let seen = b.wait_awareness(1, WAIT).await.unwrap();
    let state = &seen
        .iter()
        .find(|(_, v)| is_a(v))
        .expect("a's state reached b")
        .1;
    assert_eq!(
        state["user"]["name"], "owner",
        "the name is the token's: {state}"
    );
    assert_eq!(state["user"]["id"], owner_id.as_str());
    assert_eq!(state["user"]["color"], "#0af", "other user fields are kept");
    within(
        "rust sees a's state, stamped",
        rust.wait_awareness(|s| {
            s.iter()
                .any(|(_, v)| is_a(v) && v["user"]["name"] == "owner")
        }),
    )
    .await
    .unwrap();
    assert!(
        !rust
            .awareness_states()
            .iter()
            .any(|(_, v)| v["user"]["name"] == "ada"),
        "the forged name never reaches anyone"
    );
    late.wait_awareness(1, WAIT).await.unwrap();
    a.disconnect().await.unwrap();
    within(
        "rust sees a leave",
        rust.wait_awareness(|s| s.iter().all(|(_, v)| !is_a(v))),
    )
    .await
    .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_are_pinged_every_thirty_seconds() {
    let server = TestServer::start(TestDb::sqlite()).await;
    let id = server.create_prompt("").await;
    let mut socket = crate::support::raw::RawSocket::connect(&server.ws_url(&id)).await;
    // The first frame (SyncStep1) proves the connection joined its room.
    socket.next_binary().await.expect("sync step 1");
    server.advance_and_sweep(29_000).await;
    server.advance_and_sweep(1_000).await;
    assert!(
        socket.next_ping().await,
        "a ping after 30 s of injected time"
    );
}

async fn patch_reaches_open_editors(db: TestDb) {
    let server = TestServer::start(db).await;
    let id = server.create_prompt("Dear {{name}},").await;
    let editor = sdk(&server, &id).await;
    let (status, body) = server
        .call(
            Method::PATCH,
            &format!("/api/prompts/{id}"),
            Some(json!({"content": "Dear {{name}}, thanks!", "title": "Thanks"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    within(
        "patch reaches editor",
        editor.wait_text("content", "Dear {{name}}, thanks!"),
    )
    .await
    .unwrap();
}

async fn awareness_expires_without_renewal(db: TestDb) {
    let server = TestServer::start(db).await;
    let id = server.create_prompt("").await;
    let quiet = sdk(&server, &id).await;
    let watcher = sdk(&server, &id).await;
    quiet.set_awareness(json!({"cursor": 3})).unwrap();
    within(
        "watcher sees state",
        watcher.wait_awareness(|s| s.len() == 1),
    )
    .await
    .unwrap();
    server.advance_and_sweep(29_000).await;
    assert_eq!(watcher.awareness_states().len(), 1, "still fresh at 29 s");
    server.advance_and_sweep(2_000).await;
    within(
        "stale state dropped",
        watcher.wait_awareness(|s| s.is_empty()),
    )
    .await
    .unwrap();
}

async fn idle_room_unloads_and_reloads_intact(db: TestDb) {
    let server = TestServer::start(db).await;
    let id = server.create_prompt("start").await;
    let editor = sdk(&server, &id).await;
    editor.insert_text("content", 5, " and more");
    within("saved", editor.wait_saved()).await.unwrap();
    editor.close().await;
    drop(editor);
    server.advance_and_sweep(1_000).await;
    assert!(
        server.hub().is_loaded(id.parse().unwrap()),
        "not before the idle timeout"
    );
    server.advance_and_sweep(30_000).await;
    assert!(
        !server.hub().is_loaded(id.parse().unwrap()),
        "unloaded after the idle timeout"
    );
    let stored = server
        .db
        .store()
        .await
        .load_state(id.parse().unwrap())
        .await
        .unwrap();
    assert!(
        stored.updates.is_empty(),
        "the log was compacted into the snapshot"
    );
    let again = sdk(&server, &id).await;
    assert_eq!(again.text("content"), "start and more");
    let (_, listed) = server
        .call(Method::GET, "/api/workspaces/default/prompts?q=more", None)
        .await;
    assert_eq!(
        listed["items"].as_array().unwrap().len(),
        1,
        "search sees socket edits after the flush"
    );
}

async fn shutdown_flushes_and_closes_with_1001(db: TestDb) {
    let server = TestServer::start(db).await;
    let id = server.create_prompt("").await;
    let editor = sdk(&server, &id).await;
    editor.insert_text("content", 0, "kept across restart");
    within("saved", editor.wait_saved()).await.unwrap();
    let server = {
        let closing = tokio::spawn(async move { editor.wait_closed().await });
        let server = server.restart().await;
        let (code, _) = within("closed on shutdown", closing).await.unwrap();
        assert_eq!(code, 1001);
        server
    };
    let again = sdk(&server, &id).await;
    assert_eq!(again.text("content"), "kept across restart");
}

async fn rest_patch_during_socket_edits_keeps_every_edit(db: TestDb) {
    let server = TestServer::start(db).await;
    let id = server.create_prompt("middle").await;
    let left = sdk(&server, &id).await;
    let right = sdk(&server, &id).await;
    let url = format!("{}/api/prompts/{id}", server.base);
    let response = server
        .http
        .get(&url)
        .bearer_auth(&server.owner.token)
        .send()
        .await
        .unwrap();
    let etag = response.headers()["etag"].to_str().unwrap().to_owned();
    let read: serde_json::Value = response.json().await.unwrap();
    let base = read["content"].as_str().unwrap().to_owned();
    // Socket edits land after the REST client read its base ...
    for i in 0..5 {
        left.insert_text("content", 0, &format!("L{i}"));
        let len = right.text("content").encode_utf16().count() as u32;
        right.insert_text("content", len, &format!("R{i}"));
    }
    within("left saved", left.wait_saved()).await.unwrap();
    within("right saved", right.wait_saved()).await.unwrap();
    // ... and the PATCH, built on that base, changes only the middle.
    let ours = base.replace("middle", "MIDDLE");
    let patch = server
        .http
        .patch(&url)
        .bearer_auth(&server.owner.token)
        .header("if-match", &etag)
        .json(&json!({"content": ours}))
        .send();
    // More socket edits race the PATCH itself.
    let (response, ()) = tokio::join!(patch, async {
        left.insert_text("content", 0, "L5");
    });
    let response = response.unwrap();
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    within("left saved", left.wait_saved()).await.unwrap();
    let (_, body) = if body["content"].as_str().unwrap().contains("L5") {
        (200, body)
    } else {
        server
            .call(Method::GET, &format!("/api/prompts/{id}"), None)
            .await
    };
    let content = body["content"].as_str().unwrap().to_owned();
    for i in 0..5 {
        assert!(
            content.contains(&format!("L{i}")) && content.contains(&format!("R{i}")),
            "{content}"
        );
    }
    assert!(content.contains("L5"), "{content}");
    assert!(
        content.contains("MIDDLE") && !content.contains("middle"),
        "{content}"
    );
    within("left converges", left.wait_text("content", &content))
        .await
        .unwrap();
    within("right converges", right.wait_text("content", &content))
        .await
        .unwrap();
    let (_, sv) = server.hub().snapshot(id.parse().unwrap()).await.unwrap();
    assert_eq!(left.doc().transact().state_vector(), sv);
}
