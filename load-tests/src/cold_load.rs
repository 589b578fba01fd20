//! `cold-load`: how long opening a document with a long history takes when
//! its room is not loaded. On a Rocqet server it starts itself, it prepares
//! a document stored as a compacted snapshot plus a tail of un-compacted
//! updates, and a document with many versions; then, after a restart each
//! time (SIGKILL, so nothing is flushed or compacted), times socket connect →
//! first SyncStep2 for both and reading version 1 and the latest version over
//! REST. Last, in one running process, it times opens after idle unload (the
//! unload compacts, so those load the snapshot alone).

use std::time::{Duration, Instant};

use clap::Args;
use rocqet_crdt::protocol;
use serde_json::json;
use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, Text, TextRef, Transact, Update};

use crate::conn::{Client, Incoming, Res};
use crate::report::{Errors, Latencies, brief, emit};
use crate::server::{Server, ServerArgs};
use crate::target::Common;

/// The shared text the history is written into (Rocqet's prompt body).
const TEXT: &str = "content";
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);
/// The server compacts a room's log once this many rows sit on its snapshot
/// (`COMPACT_AFTER_ROWS` in server/src/hub/room.rs); a longer tail would not stay a tail.
const COMPACT_AFTER_ROWS: u64 = 2000;
/// Updates in flight while preparing: enough to keep the persister's batches full.
const WINDOW: u64 = 128;

#[derive(Debug, Args)]
pub struct ColdLoadArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Free-form label copied into the JSON result.
    #[arg(long, default_value = "")]
    pub label: String,
    /// Also append the JSON result line to this file.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
    /// Updates folded into the snapshot.
    #[arg(long, default_value_t = 5000)]
    pub history: u64,
    /// Un-compacted updates on top of the snapshot (below 2,000, where the server compacts).
    #[arg(long, default_value_t = 1500)]
    pub tail: u64,
    /// Versions of the second document, one edit and one `POST .../versions` each.
    #[arg(long, default_value_t = 200)]
    pub versions: u64,
    /// Characters each edit inserts.
    #[arg(long, default_value_t = 40)]
    pub edit_chars: usize,
    /// Cold opens timed after restarts, and again after idle unloads (at most 200).
    #[arg(long, default_value_t = 20)]
    pub samples: usize,
    /// Bound on the whole run, in seconds.
    #[arg(long, default_value_t = 300)]
    pub max_seconds: u64,
}

/// Timings over the run.
#[derive(Default)]
struct Timings {
    restart: Latencies,
    open_tail: Latencies,
    open_versions: Latencies,
    read_v1: Latencies,
    read_latest: Latencies,
    open_compacted: Latencies,
    read_v1_warm: Latencies,
    read_latest_warm: Latencies,
    prepare_s: f64,
    state_bytes: usize,
    latest_version: i64,
}

pub async fn run(args: ColdLoadArgs) -> Result<(), String> {
    if args.tail >= COMPACT_AFTER_ROWS {
        return Err(format!(
            "--tail must stay below {COMPACT_AFTER_ROWS}: the server compacts the log there"
        ));
    }
    if args.history + args.tail == 0 || args.history > 200_000 || args.versions > 5_000 {
        return Err("need 1 <= history+tail, history <= 200000, versions <= 5000".into());
    }
    if args.samples == 0 || args.samples > 200 || args.edit_chars > 10_000 {
        return Err("need 1 <= samples <= 200 and edit-chars <= 10000".into());
    }
    if args.max_seconds == 0 || args.max_seconds > 600 {
        return Err("--max-seconds must be 1..=600".into());
    }
    // Preparation pipelines thousands of updates on one socket (over the default
    // 500/s limit), and idle unload at the next sweep makes the compacted phase quick.
    let env = [
        ("ROCQET_UPDATES_PER_SEC", "1000000".to_string()),
        ("ROCQET_IDLE_UNLOAD_SECS", "0".to_string()),
    ];
    let mut server = Server::start(&args.server, &env).await?;
    let mut t = Timings::default();
    let mut errors = Errors::default();
    let outcome = tokio::time::timeout(
        Duration::from_secs(args.max_seconds),
        measure(&args, &mut server, &mut t),
    )
    .await
    .unwrap_or_else(|_| Err(format!("run exceeded {} s", args.max_seconds)));
    server.stop().await;
    if let Err(e) = &outcome {
        errors.add(format!("aborted: {e}"));
    }

    let result = json!({
        "cmd": "cold-load",
        "target": "rocqet",
        "backend": args.server.backend(),
        "label": args.label,
        "history": args.history,
        "tail": args.tail,
        "versions": args.versions,
        "latest_version": t.latest_version,
        "edit_chars": args.edit_chars,
        "samples": args.samples,
        "state_bytes": t.state_bytes,
        "prepare_s": (t.prepare_s * 100.0).round() / 100.0,
        "restart": t.restart.summary(),
        "open_snapshot_tail": t.open_tail.summary(),
        "open_many_versions": t.open_versions.summary(),
        "open_compacted": t.open_compacted.summary(),
        "read_version_1": t.read_v1.summary(),
        "read_version_latest": t.read_latest.summary(),
        "read_version_1_warm": t.read_v1_warm.summary(),
        "read_version_latest_warm": t.read_latest_warm.summary(),
        "complete": outcome.is_ok(),
        "errors": errors.to_json(),
    });
    emit(&result, args.out.as_deref());
    eprintln!(
        "cold-load [{}] snapshot of {} + tail of {} updates ({} KiB), {} versions, {} samples; prepared in {:.1} s",
        args.server.backend(),
        args.history,
        args.tail,
        t.state_bytes / 1024,
        t.latest_version,
        args.samples,
        t.prepare_s
    );
    for (name, l) in [
        ("open, snapshot + tail (after restart)", &t.open_tail),
        ("open, many versions (after restart)", &t.open_versions),
        ("read version 1 (after restart)", &t.read_v1),
        ("read latest version (after restart)", &t.read_latest),
        ("open, compacted (after idle unload)", &t.open_compacted),
        ("read version 1 (warm process)", &t.read_v1_warm),
        ("read latest version (warm process)", &t.read_latest_warm),
        ("server restart to ready", &t.restart),
    ] {
        eprintln!("  {name:<40} {}", brief(&l.summary()));
    }
    if errors.total() > 0 {
        eprintln!("  errors: {}", errors.to_json());
    }
    outcome
}

async fn measure(args: &ColdLoadArgs, server: &mut Server, t: &mut Timings) -> Res<()> {
    let common = Common::rocqet_at(server.ws_url(), args.label.clone(), None);
    let docs = common.make_docs(2).await?;
    let (history_doc, versions_doc) = (&docs[0], &docs[1]);
    let http = Rest::new(&common)?;

    // Prepare: the snapshot (written, then compacted by the idle unload), the
    // tail (written, then the server is killed before anything compacts it),
    // and the versions (one edit, then one cut, each).
    let prepared = Instant::now();
    let mut history = Writer::new(args.edit_chars);
    let client = history.open(&common, history_doc).await?;
    let client = history.pump(client, args.history).await?;
    client.close().await;
    http.wait_unloaded().await?;
    let client = history.open(&common, history_doc).await?;
    let held_tail = history.pump(client, args.tail).await?;
    let mut versioned = Writer::new(args.edit_chars);
    let mut held_versions = versioned.open(&common, versions_doc).await?;
    for _ in 0..args.versions {
        held_versions = versioned.pump(held_versions, 1).await?;
        t.latest_version = http.cut_version(versions_doc).await?;
    }
    server.kill().await?;
    drop((held_tail, held_versions));
    t.prepare_s = prepared.elapsed().as_secs_f64();
    eprintln!("prepared in {:.1} s; timing cold opens", t.prepare_s);

    let latest = t.latest_version.max(1);
    for sample in 0..args.samples {
        let took = server.restart().await?;
        t.restart.record(took);
        // Warm the process itself (database pool, token check), not the rooms.
        http.me().await?;
        let started = Instant::now();
        let (tail_client, state) =
            Client::connect(common.endpoint(history_doc, false), HANDSHAKE_TIMEOUT).await?;
        t.open_tail.record(started.elapsed());
        if sample == 0 {
            t.state_bytes = state.len();
            let entries = count_entries(&state)?;
            if entries != args.history + args.tail {
                return Err(format!(
                    "the document holds {entries} edits, {} were acked",
                    args.history + args.tail
                ));
            }
        }
        let started = Instant::now();
        let (versions_client, _) =
            Client::connect(common.endpoint(versions_doc, false), HANDSHAKE_TIMEOUT).await?;
        t.open_versions.record(started.elapsed());
        t.read_v1.record(http.read_version(versions_doc, 1).await?);
        t.read_latest
            .record(http.read_version(versions_doc, latest).await?);
        // Killed with the sockets open: no unload, so no compaction of the tail.
        server.kill().await?;
        drop((tail_client, versions_client));
    }

    server.restart().await?;
    let (client, _) =
        Client::connect(common.endpoint(history_doc, false), HANDSHAKE_TIMEOUT).await?;
    client.close().await;
    http.wait_unloaded().await?;
    for _ in 0..args.samples {
        let started = Instant::now();
        let (client, _) =
            Client::connect(common.endpoint(history_doc, false), HANDSHAKE_TIMEOUT).await?;
        t.open_compacted.record(started.elapsed());
        client.close().await;
        t.read_v1_warm
            .record(http.read_version(versions_doc, 1).await?);
        t.read_latest_warm
            .record(http.read_version(versions_doc, latest).await?);
        http.wait_unloaded().await?;
    }
    Ok(())
}

/// Edits in a full state: the `;`-terminated entries of its text.
fn count_entries(state: &[u8]) -> Res<u64> {
    let doc = Doc::new();
    let text = doc.get_or_insert_text(TEXT);
    let update = Update::decode_v1(state).map_err(|e| format!("server state: {e}"))?;
    doc.transact_mut()
        .apply_update(update)
        .map_err(|e| format!("server state: {e}"))?;
    Ok(text.get_string(&doc.transact()).matches(';').count() as u64)
}

/// The one client writing a document's history, across its connections.
struct Writer {
    local: Doc,
    text: TextRef,
    seq: u64,
    pad: String,
}

impl Writer {
    fn new(edit_chars: usize) -> Writer {
        let local = Doc::new();
        let text = local.get_or_insert_text(TEXT);
        Writer {
            local,
            text,
            seq: 0,
            pad: "x".repeat(edit_chars.saturating_sub(8)),
        }
    }

    /// An `?ack=1` socket whose handshake is acked, so every later ack is for an edit.
    async fn open(&self, common: &Common, doc: &str) -> Res<Client> {
        let (mut client, _) = Client::connect_holding(
            common.endpoint(doc, true),
            HANDSHAKE_TIMEOUT,
            Some(self.local.clone()),
        )
        .await?;
        let mut acks = 0;
        while client.step2_sent == 0 || acks < client.step2_sent {
            if let Incoming::Ack(_) = recv(&mut client).await? {
                acks += 1;
            }
        }
        Ok(client)
    }

    /// Sends `count` edits, at most [`WINDOW`] unacked at a time; returns once all are acked.
    async fn pump(&mut self, mut client: Client, count: u64) -> Res<Client> {
        let (mut sent, mut acked) = (0u64, 0u64);
        while acked < count {
            if sent < count && sent - acked < WINDOW {
                let update = {
                    let mut txn = self.local.transact_mut();
                    let end = self.text.len(&txn);
                    let entry = format!("{}:{};", self.seq, self.pad);
                    self.text.insert(&mut txn, end, &entry);
                    txn.encode_update_v1()
                };
                self.seq += 1;
                client.send(&protocol::encode_update(&update)).await?;
                sent += 1;
                continue;
            }
            match recv(&mut client).await? {
                Incoming::Ack(true) => acked += 1,
                Incoming::Ack(false) => return Err("an edit was not stored".into()),
                _ => {}
            }
        }
        Ok(client)
    }
}

/// The next message, bounded; a closed socket is an error here.
async fn recv(client: &mut Client) -> Res<Incoming> {
    match tokio::time::timeout(HANDSHAKE_TIMEOUT, client.recv()).await {
        Ok(Ok(Some(incoming))) => Ok(incoming),
        Ok(Ok(None)) => Err("closed by server".into()),
        Ok(Err(e)) => Err(e),
        Err(_) => Err("no message from the server".into()),
    }
}

/// The REST calls of the scenario, as the account `make_docs` registered.
struct Rest {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Rest {
    fn new(common: &Common) -> Res<Rest> {
        Ok(Rest {
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(30))
                .build()
                .map_err(|e| e.to_string())?,
            base: common.http_base(),
            token: common.token().ok_or("no account")?.to_string(),
        })
    }

    /// `POST /api/prompts/{id}/versions`; the new version's number.
    async fn cut_version(&self, doc: &str) -> Res<i64> {
        let resp = self
            .http
            .post(format!("{}/api/prompts/{doc}/versions", self.base))
            .bearer_auth(&self.token)
            .json(&json!({"message": "cold-load"}))
            .send()
            .await
            .map_err(|e| format!("cut version: {e}"))?;
        if resp.status() != reqwest::StatusCode::CREATED {
            return Err(format!("cut version: HTTP {}", resp.status()));
        }
        let body: serde_json::Value = resp.json().await.map_err(|e| e.to_string())?;
        body["number"]
            .as_i64()
            .ok_or_else(|| "cut version: no number".to_string())
    }

    /// `GET /api/prompts/{id}/versions/{n}`, body read in full; how long it took.
    async fn read_version(&self, doc: &str, n: i64) -> Res<Duration> {
        let started = Instant::now();
        let resp = self
            .http
            .get(format!("{}/api/prompts/{doc}/versions/{n}", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| format!("read version {n}: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("read version {n}: HTTP {}", resp.status()));
        }
        resp.bytes()
            .await
            .map_err(|e| format!("read version {n}: {e}"))?;
        Ok(started.elapsed())
    }

    /// `GET /api/auth/me`.
    async fn me(&self) -> Res<()> {
        let resp = self
            .http
            .get(format!("{}/api/auth/me", self.base))
            .bearer_auth(&self.token)
            .send()
            .await
            .map_err(|e| format!("me: {e}"))?;
        if !resp.status().is_success() {
            return Err(format!("me: HTTP {}", resp.status()));
        }
        Ok(())
    }

    /// Waits until the server has no room loaded (`rocqet_rooms 0` in /metrics): unloading flushes and compacts.
    async fn wait_unloaded(&self) -> Res<()> {
        let deadline = Instant::now() + Duration::from_secs(20);
        while Instant::now() < deadline {
            let text = self
                .http
                .get(format!("{}/metrics", self.base))
                .send()
                .await
                .map_err(|e| format!("metrics: {e}"))?
                .text()
                .await
                .map_err(|e| format!("metrics: {e}"))?;
            let rooms = text
                .lines()
                .find_map(|l| l.strip_prefix("rocqet_rooms "))
                .and_then(|v| v.trim().parse::<f64>().ok());
            if rooms == Some(0.0) {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err("rooms still loaded 20 s after the last client left".into())
    }
}
