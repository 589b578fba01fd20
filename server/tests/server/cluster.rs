//! Scale-out: several nodes behind no balancer at all, sharing PostgreSQL and
//! Redis; clients spread over them must see one document.

use std::collections::BTreeSet;
use std::time::Duration;

use futures_util::StreamExt;
use reqwest::Method;
use rocqet_client::{ConnectOptions, LiveDoc};
use rocqet_crdt::protocol::{self, Frame};
use rocqet_server::hub::peer_edits::TAKE_OVER_AFTER_MS;
use serde_json::json;
use sqlx::{Connection, Executor, PgConnection};
use yrs::updates::decoder::Decode;
use yrs::{
    Any, Doc, GetString, In, Map, MapPrelim, MapRef, ReadTxn, Text, Transact, Update, WriteTxn,
};

use crate::support::cluster::{Nodes, PrivateRedis, shared_redis_url};
use crate::support::db::TestDb;
use crate::support::process::ServerProcess;
use crate::support::raw::RawSocket;

/// Bound on any single wait; a passing test never comes near it.
const WAIT: Duration = Duration::from_secs(30);
/// The bound on converging after Redis comes back.
const AFTER_REDIS_RETURNS: Duration = Duration::from_secs(5);

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

async fn open(url: &str, doc: Option<Doc>) -> LiveDoc {
    let mut options = ConnectOptions::new().ack(true);
    if let Some(doc) = doc {
        options = options.doc(doc);
    }
    let live = within("connect", LiveDoc::connect(url, options))
        .await
        .unwrap();
    within("sync", live.wait_synced()).await.unwrap();
    live
}

/// Appends `s` to the prompt text.
fn append(live: &LiveDoc, s: &str) {
    let len = live.text("content").chars().count() as u32;
    live.insert_text("content", len, s);
}

/// Adds a model field the way an editor does: one new map under `fields`.
fn add_field(live: &LiveDoc, id: &str, name: &str) {
    live.edit(|txn| {
        let fields: MapRef = txn.get_or_insert_map("fields");
        let props: Vec<(&str, In)> = vec![
            ("name", In::Any(Any::from(name))),
            ("type", In::Any(Any::from("string"))),
            ("required", In::Any(Any::Bool(false))),
            ("unique", In::Any(Any::Bool(false))),
            ("description", In::Any(Any::from(""))),
            (
                "position",
                In::Any(Any::from(rocqet_crdt::position::between(None, None))),
            ),
        ];
        fields.insert(txn, id, MapPrelim::from_iter(props));
    });
}

fn field_count(live: &LiveDoc) -> u32 {
    live.edit(|txn| txn.get_or_insert_map("fields").len(txn))
}

async fn stored_rows(db: &TestDb, doc: &str) -> i64 {
    let mut conn = PgConnection::connect(db.url()).await.unwrap();
    let id: uuid::Uuid = doc.parse().unwrap();
    sqlx::query_scalar("SELECT count(*) FROM doc_updates WHERE doc_id = $1")
        .bind(id)
        .fetch_one(&mut conn)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_nodes_converge_on_text_fields_and_presence() {
    let nodes = Nodes::start(3, &shared_redis_url()).await;
    let token = nodes.owner.token.clone();
    let prompt = nodes
        .create("prompts", json!({"title": "t", "content": ""}))
        .await;
    let model = nodes
        .create("models", json!({"name": "User", "fields": []}))
        .await;

    let mut writers = Vec::new();
    for i in 0..6 {
        writers.push(open(&nodes.ws_url(i % 3, &prompt, &token), None).await);
    }
    for (i, live) in writers.iter().enumerate() {
        append(live, &format!("[{i}]"));
    }
    let markers: Vec<String> = (0..6).map(|i| format!("[{i}]")).collect();
    for live in &writers {
        within(
            "every writer sees every marker",
            live.wait_until(|_| {
                let text = live.text("content");
                markers.iter().all(|m| text.contains(m.as_str()))
            }),
        )
        .await
        .unwrap();
        within("acked", live.wait_saved()).await.unwrap();
    }
    let text = writers[0].text("content");
    assert!(
        writers.iter().all(|w| w.text("content") == text),
        "one text everywhere"
    );
    for node in 0..3 {
        let (status, body) = nodes
            .call(
                node,
                None,
                Method::GET,
                &format!("/api/prompts/{prompt}"),
                None,
            )
            .await;
        assert_eq!(status, 200);
        assert_eq!(
            body["content"], text,
            "node {node} serves the converged text"
        );
    }
    // Each update is stored once, by the node its client sent it to.
    assert_eq!(
        stored_rows(&nodes.db, &prompt).await,
        6,
        "six edits, six rows"
    );

    // Model fields added at once on three nodes all survive.
    let mut modellers = Vec::new();
    for node in 0..3 {
        modellers.push(open(&nodes.ws_url(node, &model, &token), None).await);
    }
    for (node, live) in modellers.iter().enumerate() {
        add_field(live, &format!("f{node}"), &format!("field_{node}"));
    }
    for live in &modellers {
        within(
            "every field everywhere",
            live.wait_until(|_| field_count(live) == 3),
        )
        .await
        .unwrap();
        within("acked", live.wait_saved()).await.unwrap();
    }
    let (_, body) = nodes
        .call(2, None, Method::GET, &format!("/api/models/{model}"), None)
        .await;
    let names: BTreeSet<&str> = body["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, BTreeSet::from(["field_0", "field_1", "field_2"]));

    // Awareness crosses nodes, stamped with the token's identity by the first node.
    writers[0]
        .set_awareness(json!({"user": {"name": "forged", "color": "#0af"}}))
        .unwrap();
    let far = &writers[2];
    within(
        "awareness reaches another node",
        far.wait_awareness(|states| {
            states
                .iter()
                .any(|(_, s)| s["user"]["color"] == "#0af" && s["user"]["name"] == "owner")
        }),
    )
    .await
    .unwrap();
    // So does the presence endpoint: node 2 lists a client connected to node 0.
    let (status, present) = nodes
        .call(
            2,
            None,
            Method::GET,
            &format!("/api/prompts/{prompt}/presence"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{present}");
    let far_away: Vec<_> = present
        .as_array()
        .unwrap()
        .iter()
        .filter(|p| p["state"]["user"]["color"] == "#0af")
        .collect();
    assert_eq!(far_away.len(), 1, "{present}");
    assert_eq!(far_away[0]["user"]["id"], nodes.owner.user_id.as_str());
    assert_eq!(far_away[0]["user"]["name"], "owner");

    let (status, ready) = nodes.call(1, None, Method::GET, "/readyz", None).await;
    assert_eq!((status, &ready["redis"]), (200, &json!("ok")), "{ready}");
    let metrics = nodes
        .http
        .get(format!("{}/metrics", nodes.base(1)))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("rocqet_cluster_messages_total{direction=\"in\"}")
            && metrics.contains("rocqet_cluster_delivery_seconds"),
        "cross-node metrics are exported"
    );
}

/// An edit in flight (applied on node 0, its write to the log not committed yet)
/// when a late node reads the database reaches that node's first sync: the late
/// node asks its peers, which answer once the edit is stored.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_late_node_serves_in_flight_edits_on_its_first_sync() {
    let mut nodes = Nodes::start(1, &shared_redis_url()).await;
    let token = nodes.owner.token.clone();
    let prompt = nodes
        .create("prompts", json!({"title": "t", "content": "stored "}))
        .await;
    let writer = open(&nodes.ws_url(0, &prompt, &token), None).await;
    // The sync handshake's own SyncStep2 is acked too; let that settle first.
    within("handshake stored", writer.wait_saved())
        .await
        .unwrap();

    // Hold every write to the log: the edit is applied on node 0 but not stored.
    let mut blocker = PgConnection::connect(nodes.db.url()).await.unwrap();
    blocker.execute("BEGIN").await.unwrap();
    blocker
        .execute("LOCK TABLE doc_updates IN EXCLUSIVE MODE")
        .await
        .unwrap();
    append(&writer, "in-flight");
    assert_eq!(writer.unacked(), 1, "the edit cannot be stored yet");

    // Watch the document's channel for the late node's question, which it asks
    // after reading the database (so that read cannot have seen the edit).
    let redis = redis::Client::open(nodes.redis_url.as_str()).unwrap();
    let mut watch = redis.get_async_pubsub().await.unwrap();
    watch
        .subscribe(format!("{}:doc:{prompt}", nodes.prefix))
        .await
        .unwrap();
    let late = nodes.add().await;
    let url = nodes.ws_url(late, &prompt, &token);
    let reader = tokio::spawn(async move { open(&url, None).await });
    within("the late node asks its peers", async {
        let mut messages = watch.on_message();
        // Byte 1 of a cluster message is its kind; 3 is Hello.
        while let Some(message) = messages.next().await {
            if message.get_payload_bytes().get(1) == Some(&3) {
                return;
            }
        }
        panic!("channel closed");
    })
    .await;
    blocker.execute("COMMIT").await.unwrap();

    let reader = within("first sync", reader).await.unwrap();
    assert_eq!(
        reader.text("content"),
        "stored in-flight",
        "the first sync already holds the edit the database did not have at load"
    );
    within("stored after the lock", writer.wait_saved())
        .await
        .unwrap();
    assert_eq!(stored_rows(&nodes.db, &prompt).await, 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_resync_within_five_seconds_after_redis_returns() {
    let mut redis = PrivateRedis::start().await;
    let mut nodes = Nodes::start(2, &redis.url()).await;
    let token = nodes.owner.token.clone();
    let prompt = nodes
        .create("prompts", json!({"title": "t", "content": ""}))
        .await;
    let a = open(&nodes.ws_url(0, &prompt, &token), None).await;
    let b = open(&nodes.ws_url(1, &prompt, &token), None).await;
    append(&a, "a1;");
    append(&b, "b1;");
    let all = |live: &LiveDoc, markers: &[&str]| {
        let text = live.text("content");
        markers.iter().all(|m| text.contains(m))
    };
    for live in [&a, &b] {
        within(
            "converge before the outage",
            live.wait_until(|_| all(live, &["a1;", "b1;"])),
        )
        .await
        .unwrap();
    }

    redis.stop().await;
    for node in 0..2 {
        nodes.wait_for_redis(node, "down").await;
    }
    // Each node keeps serving (and storing) its own clients. An edit made on top of a
    // peer's update whose "stored" was lost with the link is acked once this node has
    // stored that update itself, which it does once the update is overdue.
    append(&a, "a2;");
    append(&b, "b2;");
    nodes.advance_and_sweep(TAKE_OVER_AFTER_MS).await;
    within("a stored", a.wait_saved()).await.unwrap();
    within("b stored", b.wait_saved()).await.unwrap();
    assert!(
        !a.text("content").contains("b2;"),
        "nothing crosses while Redis is down"
    );

    redis.restart().await;
    let markers = ["a1;", "b1;", "a2;", "b2;"];
    for live in [&a, &b] {
        tokio::time::timeout(
            AFTER_REDIS_RETURNS,
            live.wait_until(|_| all(live, &markers)),
        )
        .await
        .expect("converged within 5 s of Redis returning")
        .unwrap();
    }
    assert_eq!(a.text("content"), b.text("content"));
    let expected = a.text("content");
    a.close().await;
    b.close().await;

    // Nothing was lost: the stored document, read by a fresh node, has it all.
    nodes.stop_all().await;
    let fresh = nodes.add().await;
    let (_, body) = nodes
        .call(
            fresh,
            None,
            Method::GET,
            &format!("/api/prompts/{prompt}"),
            None,
        )
        .await;
    assert_eq!(body["content"], expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_of_a_killed_node_move_and_keep_every_acked_edit() {
    let db = TestDb::postgres().await;
    let prefix = format!("rocqet-test-{}", uuid::Uuid::new_v4().simple());
    let args = vec![
        "--redis-url".to_owned(),
        shared_redis_url(),
        "--redis-prefix".to_owned(),
        prefix,
    ];
    let mut servers = Vec::new();
    for _ in 0..3 {
        servers.push(ServerProcess::start_with(db.url(), &args).await);
    }
    let http = reqwest::Client::new();
    let base = |s: &ServerProcess| format!("http://{}", s.addr);
    let owner = crate::support::accounts::register(&http, &base(&servers[0]), "owner").await;
    crate::support::accounts::create_workspace(&http, &base(&servers[0]), &owner, "default").await;
    let (status, created) = crate::support::accounts::request(
        &http,
        Method::POST,
        &format!("{}/api/workspaces/default/prompts", base(&servers[0])),
        Some(&owner.token),
        Some(json!({"title": "t", "content": ""})),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    let prompt = created["id"].as_str().unwrap().to_owned();
    let url = |s: &ServerProcess| format!("ws://{}/ws/{prompt}?token={}", s.addr, owner.token);

    // Writers 0 and 1 on node 0 (the one to die), 2 on node 1, 3 on node 2.
    let homes = [0, 0, 1, 2];
    let mut writers = Vec::new();
    for home in homes {
        writers.push(open(&url(&servers[home]), None).await);
    }
    let mut acked: Vec<String> = Vec::new();
    for round in 0..5 {
        for (w, live) in writers.iter().enumerate() {
            append(live, &format!("<{w}.{round}>"));
        }
        for live in &writers {
            within("acked", live.wait_saved()).await.unwrap();
        }
        acked.extend((0..writers.len()).map(|w| format!("<{w}.{round}>")));
    }
    // Mid-edit: node 0's writers keep typing without waiting, then node 0 dies.
    for round in 5..8 {
        append(&writers[0], &format!("<0.{round}>"));
        append(&writers[1], &format!("<1.{round}>"));
    }
    servers[0].sigkill().await;

    // Node 0's clients reconnect to node 1 with the documents they kept.
    for w in [0, 1] {
        let doc = writers[w].doc().clone();
        writers[w] = open(&url(&servers[1]), Some(doc)).await;
    }
    let everything: Vec<String> = (0..4)
        .flat_map(|w| {
            let rounds = if w < 2 { 8 } else { 5 };
            (0..rounds).map(move |r| format!("<{w}.{r}>"))
        })
        .collect();
    for live in &writers {
        within(
            "everyone converges on everything",
            live.wait_until(|_| {
                let text = live.text("content");
                everything.iter().all(|m| text.contains(m.as_str()))
            }),
        )
        .await
        .unwrap();
        within("everything stored", live.wait_saved())
            .await
            .unwrap();
    }
    let text = writers[0].text("content");
    assert!(writers.iter().all(|w| w.text("content") == text));
    for w in &writers {
        w.close().await;
    }
    // Every node goes; a fresh one reads every acked edit from the store alone.
    for server in &mut servers[1..] {
        server.sigkill().await;
    }
    let fresh = ServerProcess::start_with(db.url(), &args).await;
    let (_, body) = crate::support::accounts::request(
        &http,
        Method::GET,
        &format!("{}/api/prompts/{prompt}", base(&fresh)),
        Some(&owner.token),
        None,
    )
    .await;
    let served = body["content"].as_str().unwrap().to_owned();
    for marker in &acked {
        assert!(
            served.contains(marker.as_str()),
            "acked {marker} is present"
        );
    }
    assert_eq!(served, text);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn access_changes_reach_sockets_on_every_node() {
    let nodes = Nodes::start(2, &shared_redis_url()).await;
    let prompt = nodes
        .create("prompts", json!({"title": "t", "content": "x"}))
        .await;
    let eve = nodes.member("eve", "editor").await;
    let sam = nodes.member("sam", "editor").await;
    let eve_live = open(&nodes.ws_url(1, &prompt, &eve.token), None).await;
    let sam_live = open(&nodes.ws_url(1, &prompt, &sam.token), None).await;

    // Downgraded on node 0: her socket on node 1 turns read-only.
    let (status, _) = nodes
        .call(
            0,
            None,
            Method::PATCH,
            &format!("/api/workspaces/default/members/{}", eve.user_id),
            Some(json!({"role": "viewer"})),
        )
        .await;
    assert_eq!(status, 200);
    within("told read-only", eve_live.wait_denied())
        .await
        .unwrap();

    // Removed on node 0: closed with 4403 on node 1, and node 1 refuses her again.
    let (status, _) = nodes
        .call(
            0,
            None,
            Method::DELETE,
            &format!("/api/workspaces/default/members/{}", eve.user_id),
            None,
        )
        .await;
    assert_eq!(status, 204);
    let (code, _) = within("closed", eve_live.wait_closed()).await;
    assert_eq!(code, 4403);
    let again = LiveDoc::connect(&nodes.ws_url(1, &prompt, &eve.token), ConnectOptions::new())
        .await
        .unwrap();
    let (code, _) = within("refused", again.wait_closed()).await;
    assert_eq!(code, 4403);

    // Logged out everywhere on node 0: closed with 4401 on node 1.
    let (status, body) = crate::support::accounts::request(
        &nodes.http,
        Method::POST,
        &format!("{}/api/auth/logout", nodes.base(0)),
        Some(&sam.token),
        Some(json!({"refresh_token": sam.refresh, "everywhere": true})),
    )
    .await;
    assert_eq!(status, 204, "{body}");
    let (code, _) = within("closed", sam_live.wait_closed()).await;
    assert_eq!(code, 4401);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_version_is_cut_once_when_editors_leave_two_nodes() {
    let nodes = Nodes::start(2, &shared_redis_url()).await;
    let token = nodes.owner.token.clone();
    let prompt = nodes
        .create("prompts", json!({"title": "t", "content": ""}))
        .await;
    let (_, before) = nodes
        .call(
            0,
            None,
            Method::GET,
            &format!("/api/prompts/{prompt}/versions"),
            None,
        )
        .await;
    let versions_before = before["items"].as_array().unwrap().len();

    let a = open(&nodes.ws_url(0, &prompt, &token), None).await;
    let b = open(&nodes.ws_url(1, &prompt, &token), None).await;
    append(&a, "from a;");
    append(&b, "from b;");
    for live in [&a, &b] {
        within(
            "converge",
            live.wait_until(|_| {
                let text = live.text("content");
                text.contains("from a;") && text.contains("from b;")
            }),
        )
        .await
        .unwrap();
        within("stored", live.wait_saved()).await.unwrap();
    }
    // Both nodes see their last editor leave and both try to cut a version.
    tokio::join!(a.close(), b.close());
    let id: rocqet_server::ids::DocId = prompt.parse().unwrap();
    within("both rooms are empty", async {
        while !nodes.hub(0).presence(id).await.is_empty()
            || !nodes.hub(1).presence(id).await.is_empty()
        {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    })
    .await;
    nodes.hub(0).versions_written(id).await;
    nodes.hub(1).versions_written(id).await;
    let (_, after) = nodes
        .call(
            0,
            None,
            Method::GET,
            &format!("/api/prompts/{prompt}/versions"),
            None,
        )
        .await;
    assert_eq!(
        after["items"].as_array().unwrap().len(),
        versions_before + 1,
        "one version for one change, not one per node: {after}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn removals_made_while_redis_is_down_reach_sockets_once_it_returns() {
    let mut redis = PrivateRedis::start().await;
    let nodes = Nodes::start(2, &redis.url()).await;
    let prompt = nodes
        .create("prompts", json!({"title": "t", "content": "x"}))
        .await;
    let doomed = nodes
        .create("prompts", json!({"title": "doomed", "content": "y"}))
        .await;
    let eve = nodes.member("eve", "editor").await;
    let eve_live = open(&nodes.ws_url(1, &prompt, &eve.token), None).await;
    let owner_live = open(&nodes.ws_url(1, &doomed, &nodes.owner.token), None).await;

    redis.stop().await;
    for node in 0..2 {
        nodes.wait_for_redis(node, "down").await;
    }
    // Removed on node 0 while its notice cannot travel.
    let (status, _) = nodes
        .call(
            0,
            None,
            Method::DELETE,
            &format!("/api/workspaces/default/members/{}", eve.user_id),
            None,
        )
        .await;
    assert_eq!(status, 204);
    // And a document deleted there.
    let (status, _) = nodes
        .call(
            0,
            None,
            Method::DELETE,
            &format!("/api/prompts/{doomed}"),
            None,
        )
        .await;
    assert_eq!(status, 204);
    assert!(eve_live.closed().is_none(), "node 1 has not heard yet");
    assert!(owner_live.closed().is_none(), "node 1 has not heard yet");

    redis.restart().await;
    let (code, _) = within("closed once Redis is back", eve_live.wait_closed()).await;
    assert_eq!(code, 4403);
    let (code, _) = within("closed once Redis is back", owner_live.wait_closed()).await;
    assert_eq!(code, 4410);
}

/// Updates cross nodes before they are stored. An edit made on another node on top
/// of such an update is acked only once that update is stored too: by its origin,
/// or, when the origin never says so, by the node holding it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ack_waits_until_the_peer_edit_it_builds_on_is_stored() {
    let mut nodes = Nodes::start(1, &shared_redis_url()).await;
    // Node 1 gathers its writes for ten minutes: its clients' edits reach node 0 at
    // once, and are not stored while this test runs.
    let slow = nodes
        .add_with(|config| config.limits.persist_batch_ms = 600_000)
        .await;
    let token = nodes.owner.token.clone();
    let prompt = nodes
        .create("prompts", json!({"title": "t", "content": ""}))
        .await;
    let origin = open(&nodes.ws_url(slow, &prompt, &token), None).await;
    let mut builder =
        RawSocket::connect(&format!("{}&ack=1", nodes.ws_url(0, &prompt, &token))).await;

    append(&origin, "unstored ");
    let local = Doc::new();
    let text = local.get_or_insert_text("content");
    within("the edit crosses before it is stored", async {
        while text.get_string(&local.transact()) != "unstored " {
            let frame = builder.next_binary().await.expect("open");
            if let Ok(Frame::Update(update) | Frame::SyncStep2(update)) =
                protocol::decode_frame(&frame)
            {
                let update = Update::decode_v1(update).expect("server update");
                local.transact_mut().apply_update(update).expect("applies");
            }
        }
    })
    .await;

    // Build on it twice; node 0 stores both edits. Its persister handles a document's
    // batches one after another, so once the second is stored, an ack for the first
    // sent at its commit would already be on the socket.
    for (at, s, rows) in [(9, "built-on-it", 1), (20, "!", 2)] {
        let before = local.transact().state_vector();
        text.insert(&mut local.transact_mut(), at, s);
        let edit = local.transact().encode_state_as_update_v1(&before);
        builder.send(protocol::encode_update(&edit)).await;
        within("node 0 stores the edit", async {
            while stored_rows(&nodes.db, &prompt).await < rows {
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
        })
        .await;
    }
    assert_eq!(
        stored_rows(&nodes.db, &prompt).await,
        2,
        "only the new edits"
    );
    // A round trip on the same socket: an ack already sent would come first.
    builder
        .send(protocol::encode_sync_step1(
            &local.transact().state_vector(),
        ))
        .await;
    within("the reply", async {
        loop {
            let frame = builder.next_binary().await.expect("open");
            assert_ne!(
                frame,
                protocol::ACK_FRAME,
                "acked while the edit it builds on is stored nowhere"
            );
            if matches!(protocol::decode_frame(&frame), Ok(Frame::SyncStep2(_))) {
                return;
            }
        }
    })
    .await;

    // The origin never confirms (its node holds the write): once the update is
    // overdue, node 0 stores it itself, and both acks follow, in order.
    nodes.advance_and_sweep(TAKE_OVER_AFTER_MS).await;
    within("both acks", async {
        for _ in 0..2 {
            while builder.next_binary().await.expect("open") != protocol::ACK_FRAME {}
        }
    })
    .await;
    assert_eq!(stored_rows(&nodes.db, &prompt).await, 3);

    // A node that hears no peer (another channel prefix) reads it all from the store.
    let isolated = nodes
        .add_with(|config| config.redis_prefix = format!("isolated-{}", uuid::Uuid::new_v4()))
        .await;
    let (_, body) = nodes
        .call(
            isolated,
            None,
            Method::GET,
            &format!("/api/prompts/{prompt}"),
            None,
        )
        .await;
    assert_eq!(body["content"], "unstored built-on-it!");
    // The slow node still holds its write; it is dropped with the test, not flushed.
}
