//! What identity adds to every REST request and socket upgrade: verifying the
//! access token, checking the session, and looking up the caller's role and the
//! document's workspace. Prints p50/p99/max over many runs, cold (first lookup
//! goes to the database) and warm (cached).
//!
//! `cargo bench -p rocqet-server --bench access` (SQLite in a temp file);
//! `ROCQET_BENCH_DATABASE_URL=postgres://postgres@127.0.0.1/test cargo bench ...` for PostgreSQL.

use std::sync::Arc;
use std::time::Instant;

use hdrhistogram::Histogram;
use rocqet_crdt::DocKind;
use rocqet_server::auth::throttle::Throttle;
use rocqet_server::auth::{Auth, Role};
use rocqet_server::clock::SystemClock;
use rocqet_server::ids::{DocId, UserId, WorkspaceId};
use rocqet_server::store::{self, NewDocument, NewUser, NewWorkspace};

const RUNS: usize = 20_000;
const COLD_RUNS: usize = 500;

fn report(name: &str, h: &Histogram<u64>) {
    println!(
        "{name:<40} p50 {:>7.1} µs  p99 {:>7.1} µs  max {:>8.1} µs  (n={})",
        h.value_at_quantile(0.50) as f64 / 1000.0,
        h.value_at_quantile(0.99) as f64 / 1000.0,
        h.max() as f64 / 1000.0,
        h.len()
    );
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
    let clock: rocqet_server::clock::SharedClock = Arc::new(SystemClock);
    let auth = Auth::new(
        b"bench-secret-bench-secret-bench-secret!",
        store.clone(),
        clock.clone(),
        Throttle::new(1000, 1000),
    );

    // Many users and documents, so cold lookups are not all the same row.
    let mut people = Vec::new();
    for i in 0..COLD_RUNS {
        let user = UserId::new();
        store
            .create_user(NewUser {
                id: user,
                email: format!("bench{i}-{}@bench.rocqet", uuid::Uuid::new_v4().simple()),
                name: format!("user {i}"),
                password_hash: "x".into(),
            })
            .await
            .expect("user");
        let ws = WorkspaceId::new();
        store
            .create_workspace(NewWorkspace {
                id: ws,
                slug: format!("b-{}", uuid::Uuid::new_v4().simple()),
                name: "b".into(),
                owner: user,
            })
            .await
            .expect("workspace");
        let doc = DocId::new();
        store
            .create_document(NewDocument {
                id: doc,
                workspace_id: ws,
                kind: DocKind::Prompt,
                state: Vec::new(),
                materialised: serde_json::json!({"kind": "prompt", "title": "b", "description": "", "tags": [], "content": "", "variables": [], "settings": {}}),
            })
            .await
            .expect("document");
        let token = auth
            .keys
            .issue(user, "bench", clock.now_ms())
            .expect("token")
            .token;
        people.push((token, doc));
    }

    let mut verify = Histogram::<u64>::new(3).expect("histogram");
    let mut cold = Histogram::<u64>::new(3).expect("histogram");
    let mut warm = Histogram::<u64>::new(3).expect("histogram");

    // Cold: first request of each user (session, document and role from the database).
    for (token, doc) in &people {
        let started = Instant::now();
        let caller = auth.authenticate(Some(token)).await.expect("valid");
        let place = auth.access.document(*doc).await.expect("doc");
        let role = auth
            .access
            .role(place.workspace_id, caller.user)
            .await
            .expect("role");
        cold.record(started.elapsed().as_nanos() as u64)
            .expect("record");
        assert_eq!(role, Some(Role::Owner));
    }
    // Warm: the steady state of a busy server.
    for i in 0..RUNS {
        let (token, doc) = &people[i % people.len()];
        let started = Instant::now();
        let _ = auth.keys.verify(token, clock.now_ms()).expect("valid");
        verify
            .record(started.elapsed().as_nanos() as u64)
            .expect("record");
        let started = Instant::now();
        let caller = auth.authenticate(Some(token)).await.expect("valid");
        let place = auth.access.document(*doc).await.expect("doc");
        let role = auth
            .access
            .role(place.workspace_id, caller.user)
            .await
            .expect("role");
        warm.record(started.elapsed().as_nanos() as u64)
            .expect("record");
        assert_eq!(role, Some(Role::Owner));
    }
    println!("database: {}", store::redact_url(&url));
    report("token verify (HS256)", &verify);
    report("token + session + doc + role, warm", &warm);
    report("token + session + doc + role, cold", &cold);
    if let Some(path) = url.strip_prefix("sqlite://") {
        let _ = std::fs::remove_file(path);
    }
}
