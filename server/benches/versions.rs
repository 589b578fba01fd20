//! Reading old versions: a prompt with 1,000 versions (realistic small edits,
//! a snapshot every 10th version), then version 1,000 (a snapshot) and version
//! 999 (the worst case: a snapshot plus 9 diffs) read many times. Two paths:
//! the versions service alone (one range query + rebuild + materialise) and
//! the whole HTTP request (`GET /api/prompts/{id}/versions/{n}` with a bearer
//! token, through a running server). Prints p50/p99/max.
//!
//! `cargo bench -p rocqet-server --bench versions` (SQLite in a temp file);
//! `ROCQET_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1/rocqet_bench cargo bench
//! -p rocqet-server --bench versions` for PostgreSQL (an existing, empty database).

use std::sync::Arc;
use std::time::Instant;

use hdrhistogram::Histogram;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rocqet_crdt::{DocKind, history};
use rocqet_server::auth::tokens::TokenKeys;
use rocqet_server::clock::{Clock, SystemClock};
use rocqet_server::config::Config;
use rocqet_server::ids::{DocId, UserId, WorkspaceId};
use rocqet_server::store::{
    self, NewDocument, NewUser, NewVersion, NewWorkspace, Store, VersionKind,
};
use rocqet_server::versions::read;
use serde_json::json;
use yrs::{ReadTxn, Transact};

const VERSIONS: i64 = 1_000;
const SNAPSHOT_EVERY: i64 = 10;
const RUNS: usize = 2_000;
const SECRET: &str = "bench-secret-bench-secret-bench-secret!";

fn report(name: &str, h: &Histogram<u64>) {
    println!(
        "{name:<44} p50 {:>7.3} ms  p99 {:>7.3} ms  max {:>7.3} ms  (n={})",
        h.value_at_quantile(0.50) as f64 / 1e6,
        h.value_at_quantile(0.99) as f64 / 1e6,
        h.max() as f64 / 1e6,
        h.len()
    );
}

/// A prompt of about 60 lines edited a little between versions, every version stored as the server stores it.
async fn build_history(store: &Arc<dyn Store>, doc_id: DocId) -> (yrs::Doc, serde_json::Value) {
    let mut rng = StdRng::seed_from_u64(7);
    let doc = rocqet_crdt::new_doc();
    let mut lines: Vec<String> = (0..60)
        .map(|i| format!("Line {i}: answer the {{{{question}}}} about {{{{topic}}}} politely."))
        .collect();
    let mut parent: Option<Vec<u8>> = None;
    let mut content = serde_json::Value::Null;
    for number in 1..=VERSIONS {
        for _ in 0..rng.random_range(1..4) {
            let i = rng.random_range(0..lines.len());
            match rng.random_range(0..4) {
                0 => lines.insert(i, format!("Added at version {number}.")),
                1 if lines.len() > 40 => {
                    lines.remove(i);
                }
                _ => lines[i] = lines[i].replace("politely", "briefly and politely"),
            }
        }
        let mut patch = json!({"content": lines.join("\n")});
        if number % 25 == 0 {
            patch["title"] = json!(format!("Support prompt r{number}"));
        }
        rocqet_crdt::apply_patch(&doc, DocKind::Prompt, &patch).expect("patch");
        let with_snapshot = number == 1 || number % SNAPSHOT_EVERY == 0;
        let cut = history::cut(&doc, parent.as_deref(), with_snapshot).expect("cut");
        parent = Some(cut.state_vector.clone());
        store
            .insert_version(NewVersion {
                doc_id,
                number,
                parent: (number > 1).then_some(number - 1),
                kind: VersionKind::Auto,
                message: None,
                authors: Vec::new(),
                created_at: chrono::Utc::now(),
                restored_from: None,
                state_vector: cut.state_vector,
                diff: cut.diff,
                snapshot: cut.snapshot,
            })
            .await
            .expect("version");
        if number == VERSIONS - 1 {
            content = rocqet_crdt::materialise(&doc, DocKind::Prompt);
        }
    }
    (doc, content)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    // `cargo bench` passes `--bench`; `cargo test --all-targets` runs the binary
    // without it, and a benchmark has no business in the test run.
    if !std::env::args().any(|arg| arg == "--bench") {
        return;
    }
    let url = std::env::var("ROCQET_BENCH_DATABASE_URL").unwrap_or_else(|_| {
        let path =
            std::env::temp_dir().join(format!("rocqet_bench_{}.db", uuid::Uuid::new_v4().simple()));
        format!("sqlite://{}", path.display())
    });
    let store = store::connect(&url).await.expect("database");
    let user = UserId::new();
    store
        .create_user(NewUser {
            id: user,
            email: format!("bench-{}@bench.rocqet", uuid::Uuid::new_v4().simple()),
            name: "bench".into(),
            password_hash: "x".into(),
        })
        .await
        .expect("user");
    let workspace = WorkspaceId::new();
    store
        .create_workspace(NewWorkspace {
            id: workspace,
            slug: format!("b-{}", uuid::Uuid::new_v4().simple()),
            name: "bench".into(),
            owner: user,
        })
        .await
        .expect("workspace");
    let doc_id = DocId::new();
    store
        .create_document(NewDocument {
            id: doc_id,
            workspace_id: workspace,
            kind: DocKind::Prompt,
            state: Vec::new(),
            materialised: rocqet_crdt::materialise(&rocqet_crdt::new_doc(), DocKind::Prompt),
        })
        .await
        .expect("document");
    let started = Instant::now();
    let (doc, expected_999) = build_history(&store, doc_id).await;
    println!(
        "database: {}; {VERSIONS} versions written in {:.1} s",
        store::redact_url(&url),
        started.elapsed().as_secs_f64()
    );
    let got = read::content_at(&store, doc_id, DocKind::Prompt, VERSIONS - 1)
        .await
        .expect("read");
    assert_eq!(got, expected_999, "version 999 rebuilds exactly");

    // All a cut costs the room (`RoomVersions::cut`): one encode of its state.
    let mut h = Histogram::<u64>::new(3).expect("histogram");
    for _ in 0..RUNS {
        let started = Instant::now();
        let state = doc
            .transact()
            .encode_state_as_update_v1(&yrs::StateVector::default());
        h.record(started.elapsed().as_nanos() as u64)
            .expect("record");
        std::hint::black_box(state);
    }
    report("room: state encode per cut", &h);

    for number in [VERSIONS, VERSIONS - 1] {
        let mut h = Histogram::<u64>::new(3).expect("histogram");
        for _ in 0..RUNS {
            let started = Instant::now();
            let chain = store.version_chain(doc_id, number).await.expect("chain");
            h.record(started.elapsed().as_nanos() as u64)
                .expect("record");
            std::hint::black_box(chain);
        }
        report(&format!("store: chain query for version {number}"), &h);
        let chain = store.version_chain(doc_id, number).await.expect("chain");
        let mut h = Histogram::<u64>::new(3).expect("histogram");
        for _ in 0..RUNS {
            let started = Instant::now();
            let content = history::content_at(
                DocKind::Prompt,
                &chain.snapshot,
                chain.diffs.iter().map(Vec::as_slice),
            )
            .expect("rebuild");
            h.record(started.elapsed().as_nanos() as u64)
                .expect("record");
            std::hint::black_box(content);
        }
        report(&format!("cpu: rebuild + materialise {number}"), &h);
        let mut h = Histogram::<u64>::new(3).expect("histogram");
        for _ in 0..RUNS {
            let started = Instant::now();
            let content = read::content_at(&store, doc_id, DocKind::Prompt, number)
                .await
                .expect("read");
            h.record(started.elapsed().as_nanos() as u64)
                .expect("record");
            std::hint::black_box(content);
        }
        report(&format!("service: read version {number}"), &h);
    }

    // The same through HTTP: auth (cached), guard, store, rebuild, JSON.
    let mut config = Config::for_database(url.clone());
    config.jwt_secret = Some(SECRET.to_owned());
    config.web_dir = std::env::temp_dir().join("rocqet-no-web");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let running = rocqet_server::start(config, listener, rocqet_server::Options::default())
        .await
        .expect("server");
    let token = TokenKeys::new(SECRET.as_bytes())
        .issue(user, "bench", SystemClock.now_ms())
        .expect("token")
        .token;
    let http = reqwest::Client::new();
    for number in [VERSIONS, VERSIONS - 1] {
        let url = format!(
            "http://{}/api/prompts/{doc_id}/versions/{number}",
            running.addr()
        );
        let mut h = Histogram::<u64>::new(3).expect("histogram");
        for run in 0..RUNS + 100 {
            let started = Instant::now();
            let response = http
                .get(&url)
                .bearer_auth(&token)
                .send()
                .await
                .expect("request");
            assert_eq!(response.status(), 200);
            let body = response.bytes().await.expect("body");
            // The first requests warm the connection and the access cache.
            if run >= 100 {
                h.record(started.elapsed().as_nanos() as u64)
                    .expect("record");
            }
            std::hint::black_box(body);
        }
        report(&format!("HTTP GET .../versions/{number}"), &h);
    }
    let _ = running.shutdown().await;
    if let Some(path) = url.strip_prefix("sqlite://") {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{path}{suffix}"));
        }
    }
}
