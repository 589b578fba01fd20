//! Durability across a crash: the real `rocqet` binary is SIGKILLed while SDK
//! clients write with acks on, then restarted on the same database.
//!
//! Before any writer comes back, a fresh observer checks per client, by state
//! vector, that every acked update survived. Then the writers reconnect with
//! the docs they kept, and their unacked updates (sent but lost, or made while
//! the server was down) must come back: afterwards the server holds exactly the
//! union of the writers' states and every replica reads the same text.
//!
//! The kill moment and all edits come from one seed, printed at the start;
//! rerun with `ROCQET_DURABILITY_SEED=<seed>` to replay it (thread scheduling
//! still varies).

use std::time::Duration;

use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rocqet_client::{ConnectOptions, LiveDoc};
use serde_json::json;
use tokio::sync::oneshot;
use yrs::{Doc, GetString, ReadTxn, StateVector, Text, Transact, WriteTxn};

use crate::server_test;
use crate::support::db::TestDb;
use crate::support::process::ServerProcess;

/// Bound on any single wait; a passing test never comes near it.
const WAIT: Duration = Duration::from_secs(30);
/// Concurrent writing clients.
const WRITERS: usize = 3;
/// Crash/restart cycles in one test.
const KILLS: usize = 3;
/// Edits each writer has made and seen acked before a kill may happen.
const WARMUP_EDITS: usize = 10;
/// The root text every writer edits.
const TEXT: &str = "content";

server_test!(acked_updates_survive_sigkill);

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

/// The seed: `ROCQET_DURABILITY_SEED` when set, otherwise fresh.
fn seed() -> u64 {
    match std::env::var("ROCQET_DURABILITY_SEED") {
        Ok(text) => text
            .trim()
            .parse()
            .expect("ROCQET_DURABILITY_SEED is a u64"),
        Err(_) => rand::random(),
    }
}

/// Registers the writers' account and workspace, creates the prompt everyone
/// edits and returns its id.
async fn create_prompt(server: &mut ServerProcess) -> String {
    let http = reqwest::Client::new();
    let base = format!("http://{}", server.addr);
    let owner = crate::support::accounts::register(&http, &base, "writer").await;
    crate::support::accounts::create_workspace(&http, &base, &owner, "default").await;
    server.token = owner.token;
    let response = http
        .post(format!("{base}/api/workspaces/default/prompts"))
        .bearer_auth(&server.token)
        .json(&json!({"title": "d", "content": ""}))
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(status, 201, "create prompt: {body}");
    body["id"].as_str().expect("id").to_owned()
}

/// Connects, syncs and, with acks, waits until the sync's own SyncStep2 is
/// stored: from then on the k-th ack answers the k-th local edit.
async fn open(server: &ServerProcess, id: &str, doc: Option<Doc>, ack: bool) -> LiveDoc {
    let mut options = ConnectOptions::new().ack(ack);
    if let Some(doc) = doc {
        options = options.doc(doc);
    }
    let live = within("connect", LiveDoc::connect(&server.ws_url(id), options))
        .await
        .unwrap();
    within("sync", live.wait_synced()).await.unwrap();
    if ack {
        within("sync stored", live.wait_saved()).await.unwrap();
    }
    live
}

fn state_vector(doc: &Doc) -> StateVector {
    doc.transact().state_vector()
}

fn own_clock(doc: &Doc) -> u32 {
    state_vector(doc).get(&doc.client_id())
}

fn text_of(doc: &Doc) -> String {
    let txn = doc.transact();
    txn.get_text(TEXT)
        .map(|t| t.get_string(&txn))
        .unwrap_or_default()
}

/// One random edit in one transaction (so the length read and the edit see
/// the same text even while remote updates arrive): mostly a short insert,
/// sometimes a delete. Every edit changes the doc, so it is exactly one update.
fn random_edit(live: &LiveDoc, rng: &mut StdRng) {
    live.edit(|txn| {
        let text = txn.get_or_insert_text(TEXT);
        let len = text.len(txn);
        if len > 0 && rng.random_bool(0.1) {
            let at = rng.random_range(0..len);
            let n = rng.random_range(1..=(len - at).min(3));
            text.remove_range(txn, at, n);
        } else {
            let at = rng.random_range(0..=len);
            let n = rng.random_range(1..=3);
            let s: String = (0..n)
                .map(|_| char::from(rng.random_range(b'a'..=b'z')))
                .collect();
            text.insert(txn, at, &s);
        }
    });
}

/// What one writer knew when its connection died.
#[derive(Debug)]
struct Written {
    /// Edits made on this connection.
    edits: usize,
    /// Of those, how many were acked (acks come one per update, in order).
    acked_edits: usize,
    /// Own clock after the last acked edit: the server must have at least this.
    acked_clock: u32,
    /// Own clock when `wait_saved` last returned: a lower bound of `acked_clock`.
    saved_clock: u32,
    /// Own clock including everything sent but unacked and the offline edits.
    final_clock: u32,
    /// Edits made after the connection died, never sent.
    offline: usize,
}

/// Writes until the connection dies, then makes a few offline edits.
async fn write_until_killed(
    live: LiveDoc,
    mut rng: StdRng,
    warmed_up: oneshot::Sender<()>,
) -> (LiveDoc, Written) {
    assert_eq!(
        live.unacked(),
        0,
        "the connection starts with everything acked"
    );
    let base = own_clock(live.doc());
    // clocks[k] = own clock after edit k; the k-th ack makes it durable.
    let mut clocks: Vec<u32> = Vec::new();
    let mut saved_clock = base;
    let mut warmed_up = Some(warmed_up);
    while live.closed().is_none() {
        random_edit(&live, &mut rng);
        clocks.push(own_clock(live.doc()));
        let warm = clocks.len() == WARMUP_EDITS;
        if warm || rng.random_bool(0.05) {
            let clock = own_clock(live.doc());
            match within("wait_saved while writing", live.wait_saved()).await {
                Ok(()) => saved_clock = clock,
                Err(_) => break, // the server died meanwhile
            }
            if warm && let Some(tx) = warmed_up.take() {
                let _ = tx.send(());
            }
        }
        tokio::time::sleep(Duration::from_millis(rng.random_range(1..=6))).await;
    }
    // Wait for the reader to see the end: afterwards no ack can arrive.
    let (code, reason) = within("connection ends", live.wait_closed()).await;
    assert_eq!(
        code, 1006,
        "the server must not close the socket itself (only the kill ends it): {reason}"
    );
    let unacked = usize::try_from(live.unacked()).unwrap();
    assert!(
        unacked <= clocks.len(),
        "{unacked} unacked but only {} edits sent",
        clocks.len()
    );
    let acked_edits = clocks.len() - unacked;
    let acked_clock = match acked_edits {
        0 => base,
        n => clocks[n - 1],
    };
    assert!(acked_clock >= saved_clock, "ack counting is off");
    let offline = rng.random_range(0..=3);
    for _ in 0..offline {
        random_edit(&live, &mut rng);
    }
    let written = Written {
        edits: clocks.len(),
        acked_edits,
        acked_clock,
        saved_clock,
        final_clock: own_clock(live.doc()),
        offline,
    };
    (live, written)
}

async fn acked_updates_survive_sigkill(db: TestDb) {
    let seed = seed();
    println!("durability seed: {seed} (replay with ROCQET_DURABILITY_SEED={seed})");
    let mut rng = StdRng::seed_from_u64(seed);
    let started = std::time::Instant::now();

    let mut server = ServerProcess::start(db.url()).await;
    let id = create_prompt(&mut server).await;
    let docs: Vec<Doc> = (0..WRITERS).map(|_| rocqet_crdt::new_doc()).collect();
    let mut lives = Vec::new();
    for doc in &docs {
        lives.push(open(&server, &id, Some(doc.clone()), true).await);
    }

    let (mut acked_total, mut unacked_total) = (0, 0);
    for round in 1..=KILLS {
        // Write concurrently; kill at a seeded moment once everyone is warm.
        let mut tasks = Vec::new();
        let mut warm = Vec::new();
        for live in lives.drain(..) {
            let (tx, rx) = oneshot::channel();
            let writer_rng = StdRng::seed_from_u64(rng.random());
            tasks.push(tokio::spawn(write_until_killed(live, writer_rng, tx)));
            warm.push(rx);
        }
        for rx in warm {
            within("writer warm-up", rx)
                .await
                .expect("a writer stopped before its warm-up edits were stored");
        }
        let delay = rng.random_range(0..400);
        tokio::time::sleep(Duration::from_millis(delay)).await;
        server.sigkill().await;
        let mut written = Vec::new();
        for task in tasks {
            let (live, w) = within("writer stops", task).await.unwrap();
            // The dead connection goes before its doc is reconnected.
            drop(live);
            written.push(w);
        }

        // Restart; before any writer is back, every acked update must be there.
        let token = std::mem::take(&mut server.token);
        server = ServerProcess::start(db.url()).await;
        server.token = token;
        let observer = open(&server, &id, None, false).await;
        let stored = state_vector(observer.doc());
        drop(observer);
        for (i, (doc, w)) in docs.iter().zip(&written).enumerate() {
            let has = stored.get(&doc.client_id());
            println!(
                "round {round} (kill after {delay} ms): writer {i}: {} edits, {} acked \
                 (clock {}, last wait_saved {}), {} offline; own clock {}, server has {has}",
                w.edits, w.acked_edits, w.acked_clock, w.saved_clock, w.offline, w.final_clock
            );
            assert!(
                has >= w.acked_clock,
                "seed {seed}, round {round}: writer {i} had clock {} acked but the server \
                 restarted with only {has}",
                w.acked_clock
            );
            assert!(has <= w.final_clock, "the server invented updates");
            acked_total += w.acked_edits;
            unacked_total += w.edits - w.acked_edits + w.offline;
        }

        // The writers return with their docs; their unacked updates come back.
        for doc in &docs {
            lives.push(open(&server, &id, Some(doc.clone()), true).await);
        }
        let mut union = StateVector::default();
        for doc in &docs {
            union.merge(state_vector(doc));
        }
        let check = open(&server, &id, None, false).await;
        assert_eq!(
            state_vector(check.doc()),
            union,
            "seed {seed}, round {round}: after the writers resynced the server holds \
             exactly the union of their states"
        );
        let text = text_of(check.doc());
        for (i, live) in lives.iter().enumerate() {
            within(
                "writer converges",
                live.wait_until(|doc| state_vector(doc) == union),
            )
            .await
            .unwrap();
            assert_eq!(live.text(TEXT), text, "round {round}: writer {i} diverged");
        }
        drop(check);
    }
    server.sigkill().await;
    println!(
        "durability: {KILLS} kills, {acked_total} acked updates checked, \
         {unacked_total} unacked or offline edits resynced from clients, final text {} chars, {:?}",
        text_of(&docs[0]).len(),
        started.elapsed()
    );
}
