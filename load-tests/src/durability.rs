//! `durability`: writers on `?ack=1` sockets while the scenario SIGKILLs the
//! Rocqet server at seeded random moments and restarts it on the same
//! database. After every restart a fresh sync must hold every update acked
//! before the kill (acked lost: must be 0). Then the writers reconnect: the
//! sync handshake resends whatever the server lacks of their documents, and
//! every update that was never acked must be back.

use std::collections::{HashMap, HashSet};
use std::ops::Range;
use std::time::Duration;

use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rocqet_crdt::protocol;
use serde_json::json;
use tokio::time::{Instant, MissedTickBehavior};
use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, Text, TextRef, Transact, Update};

use crate::conn::{Client, Endpoint, Incoming, Res};
use crate::report::{Errors, Latencies, brief, emit};
use crate::server::{Server, ServerArgs};
use crate::target::Common;

/// The shared text every writer appends to (Rocqet's prompt body).
const TEXT: &str = "content";
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(20);
/// How long writers may take to notice the kill (the kernel closes their
/// sockets at once; this only bounds a misbehaving run).
const NOTICE_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Debug, Args)]
pub struct DurabilityArgs {
    #[command(flatten)]
    pub server: ServerArgs,
    /// Free-form label copied into the JSON result.
    #[arg(long, default_value = "")]
    pub label: String,
    /// Also append the JSON result line to this file.
    #[arg(long)]
    pub out: Option<std::path::PathBuf>,
    /// Server kills (and restarts) in the run, at most 100.
    #[arg(long, default_value_t = 20)]
    pub kills: u32,
    #[arg(long, default_value_t = 4)]
    pub docs: usize,
    /// Writers per document.
    #[arg(long, default_value_t = 2)]
    pub writers: usize,
    /// Updates per second per writer (Rocqet refuses more than 500 by default).
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// Earliest kill, in milliseconds after the writers start.
    #[arg(long, default_value_t = 200)]
    pub min_ms: u64,
    /// Latest kill, in milliseconds after the writers start.
    #[arg(long, default_value_t = 2000)]
    pub max_ms: u64,
    /// Seed of the kill moments (printed; random when not given).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Bound on the whole run, in seconds.
    #[arg(long, default_value_t = 300)]
    pub max_seconds: u64,
}

/// One writer's edits, kept across kills: its document is what it resends on
/// reconnect, and acks arrive in send order, so "acked" is a prefix of its
/// sequence numbers.
struct Writer {
    id: usize,
    doc: usize,
    local: Doc,
    text: TextRef,
    /// Edits `0..next_seq` were made (and sent, unless the socket was already gone).
    next_seq: u64,
    /// Edits `0..acked_through` are acked: durably stored.
    acked_through: u64,
}

impl Writer {
    fn new(id: usize, doc: usize) -> Writer {
        let local = Doc::new();
        let text = local.get_or_insert_text(TEXT);
        Writer {
            id,
            doc,
            local,
            text,
            next_seq: 0,
            acked_through: 0,
        }
    }

    /// Appends this writer's next marker; returns the v1 update.
    fn edit(&mut self) -> Vec<u8> {
        let mut txn = self.local.transact_mut();
        let end = self.text.len(&txn);
        let marker = format!("{}:{};", self.id, self.next_seq);
        self.text.insert(&mut txn, end, &marker);
        self.next_seq += 1;
        txn.encode_update_v1()
    }
}

/// Totals over the run.
#[derive(Default)]
struct Tally {
    kills: u32,
    sent: u64,
    acked: u64,
    acked_lost: u64,
    unacked_at_kill: u64,
    /// Unacked at the kill, yet in the database after the restart (stored, ack not yet out).
    unacked_persisted: u64,
    /// Unacked at the kill, present once the writers resent through the handshake.
    unacked_recovered: u64,
    /// Unacked at the kill and still missing after the resend (must be 0 too).
    unacked_lost: u64,
    stray_acks: u64,
    kill_after_ms: Vec<u64>,
    restart: Latencies,
    /// Per writer, the edits unacked at the last kill, checked after the resend.
    unacked: HashMap<usize, Range<u64>>,
}

pub async fn run(args: DurabilityArgs) -> Result<(), String> {
    if args.kills == 0 || args.kills > 100 {
        return Err("--kills must be 1..=100".into());
    }
    if args.docs == 0 || args.writers == 0 || args.docs * args.writers > 200 {
        return Err("need 1 <= docs*writers <= 200".into());
    }
    if args.min_ms > args.max_ms || args.max_ms > 30_000 || args.rate <= 0.0 {
        return Err("need min-ms <= max-ms <= 30000 and rate > 0".into());
    }
    if args.max_seconds == 0 || args.max_seconds > 600 {
        return Err("--max-seconds must be 1..=600".into());
    }
    let seed = args.seed.unwrap_or_else(rand::random);
    eprintln!(
        "durability [{}]: {} kills, seed {seed}",
        args.server.backend(),
        args.kills
    );
    let mut server = Server::start(&args.server, &[]).await?;
    let mut tally = Tally::default();
    let mut errors = Errors::default();
    let outcome = tokio::time::timeout(
        Duration::from_secs(args.max_seconds),
        cycles(&args, seed, &mut server, &mut tally, &mut errors),
    )
    .await
    .unwrap_or_else(|_| Err(format!("run exceeded {} s", args.max_seconds)));
    server.stop().await;
    if let Err(e) = &outcome {
        errors.add(format!("aborted: {e}"));
    }

    let restart = tally.restart.summary();
    let result = json!({
        "cmd": "durability",
        "target": "rocqet",
        "backend": args.server.backend(),
        "label": args.label,
        "seed": seed,
        "kills_planned": args.kills,
        "kills": tally.kills,
        "docs": args.docs, "writers_per_doc": args.writers, "rate": args.rate,
        "updates_sent": tally.sent,
        "acked": tally.acked,
        "acked_lost": tally.acked_lost,
        "unacked_at_kill": tally.unacked_at_kill,
        "unacked_persisted": tally.unacked_persisted,
        "unacked_recovered": tally.unacked_recovered,
        "unacked_lost": tally.unacked_lost,
        "stray_acks": tally.stray_acks,
        "kill_after_ms": tally.kill_after_ms,
        "restart": restart,
        "complete": outcome.is_ok(),
        "errors": errors.to_json(),
    });
    emit(&result, args.out.as_deref());
    eprintln!(
        "durability [{}] {} kills (seed {seed}): sent {}, acked {}, ACKED LOST {}; unacked at kill {} ({} already stored, {} recovered by resend, {} lost); errors {}",
        args.server.backend(),
        tally.kills,
        tally.sent,
        tally.acked,
        tally.acked_lost,
        tally.unacked_at_kill,
        tally.unacked_persisted,
        tally.unacked_recovered,
        tally.unacked_lost,
        errors.total()
    );
    eprintln!("  restart to ready: {}", brief(&restart));
    outcome
}

/// Connect, (check the resend), write, kill, restart, check: `kills` times, then a last reconnect and check.
async fn cycles(
    args: &DurabilityArgs,
    seed: u64,
    server: &mut Server,
    tally: &mut Tally,
    errors: &mut Errors,
) -> Res<()> {
    let common = Common::rocqet_at(server.ws_url(), args.label.clone(), None);
    let docs = common.make_docs(args.docs).await?;
    let mut writers: Vec<Writer> = (0..args.docs * args.writers)
        .map(|i| Writer::new(i, i / args.writers))
        .collect();
    let mut rng = StdRng::seed_from_u64(seed);
    let period = Duration::from_secs_f64(1.0 / args.rate);
    for cycle in 0..=args.kills {
        // Reconnect everyone: the handshake resends what the server lacks.
        let mut tasks = Vec::with_capacity(writers.len());
        for w in writers.drain(..) {
            let ep = common.endpoint(&docs[w.doc], true);
            tasks.push(tokio::spawn(reconnect(w, ep)));
        }
        let mut clients = Vec::with_capacity(tasks.len());
        for t in tasks {
            let (w, client) = t.await.map_err(|e| e.to_string())?;
            writers.push(w);
            clients.push(client.map_err(|e| format!("reconnect after kill {cycle}: {e}"))?);
        }
        if cycle > 0 {
            check_resend(&common, &docs, &writers, tally).await?;
        }
        if cycle == args.kills {
            for c in clients {
                c.close().await;
            }
            break;
        }

        // Write until the kill.
        let start = Instant::now() + Duration::from_millis(50);
        let kill_after = rng.random_range(args.min_ms..=args.max_ms);
        let kill_at = start + Duration::from_millis(kill_after);
        let mut tasks = Vec::with_capacity(writers.len());
        for (w, client) in writers.drain(..).zip(clients) {
            tasks.push(tokio::spawn(write(w, client, start, period, kill_at)));
        }
        tokio::time::sleep_until(kill_at).await;
        server.kill().await?;
        tally.kills += 1;
        tally.kill_after_ms.push(kill_after);
        for t in tasks {
            let (w, written) = t.await.map_err(|e| e.to_string())?;
            tally.sent += written.sent;
            tally.acked += written.acked;
            tally.stray_acks += written.stray_acks;
            if let Some(e) = written.error {
                errors.add(e);
            }
            writers.push(w);
        }

        // Restart on the same database; what survived is what was stored.
        let took = server.restart().await?;
        tally.restart.record(took);
        check_after_restart(&common, &docs, &writers, tally).await?;
    }
    Ok(())
}

/// What one write phase did.
#[derive(Default)]
struct Written {
    sent: u64,
    acked: u64,
    stray_acks: u64,
    error: Option<String>,
}

/// Connects holding the writer's document; once the handshake's SyncStep2 (the
/// resend) is acked, everything the writer made is stored.
async fn reconnect(mut w: Writer, ep: Endpoint) -> (Writer, Res<Client>) {
    let local = w.local.clone();
    let connected = async move {
        let (mut client, _) = Client::connect_holding(ep, HANDSHAKE_TIMEOUT, Some(local)).await?;
        let mut acks = 0;
        let settled = tokio::time::timeout(HANDSHAKE_TIMEOUT, async {
            while client.step2_sent == 0 || acks < client.step2_sent {
                match client.recv().await? {
                    Some(Incoming::Ack(true)) => acks += 1,
                    Some(Incoming::Ack(false)) => return Err("resend not stored".to_string()),
                    Some(_) => {}
                    None => return Err("closed during handshake".to_string()),
                }
            }
            Ok(())
        })
        .await;
        match settled {
            Ok(Ok(())) => Ok(client),
            Ok(Err(e)) => Err(e),
            Err(_) => Err("no ack for the handshake's SyncStep2".to_string()),
        }
    }
    .await;
    if connected.is_ok() {
        w.acked_through = w.next_seq;
    }
    (w, connected)
}

/// Writes at `period` until the socket dies (the kill) or `kill_at` + a grace period.
async fn write(
    mut w: Writer,
    mut client: Client,
    start: Instant,
    period: Duration,
    kill_at: Instant,
) -> (Writer, Written) {
    let mut out = Written::default();
    let phase = period.mul_f64(rand::random::<f64>());
    let mut tick = tokio::time::interval_at(start + phase, period);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let give_up = kill_at + NOTICE_TIMEOUT;
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(give_up) => {
                out.error = Some("socket still open long after the kill".into());
                break;
            }
            _ = tick.tick() => {
                let update = w.edit();
                if let Err(e) = client.send(&protocol::encode_update(&update)).await {
                    // Expected at the kill: this edit stays unacked and comes back with the resend.
                    if Instant::now() < kill_at {
                        out.error = Some(e);
                    }
                    break;
                }
                out.sent += 1;
            }
            r = client.recv() => match r {
                Ok(Some(Incoming::Ack(true))) if w.acked_through < w.next_seq => {
                    w.acked_through += 1;
                    out.acked += 1;
                }
                Ok(Some(Incoming::Ack(_))) => out.stray_acks += 1,
                Ok(Some(_)) => {}
                Ok(None) => break,
                Err(e) => {
                    if Instant::now() < kill_at {
                        out.error = Some(e);
                    }
                    break;
                }
            }
        }
    }
    (w, out)
}

/// Right after the restart: every acked edit must be there; count the unacked ones already stored.
async fn check_after_restart(
    common: &Common,
    docs: &[String],
    writers: &[Writer],
    tally: &mut Tally,
) -> Res<()> {
    let held = server_markers(common, docs).await?;
    tally.unacked.clear();
    for w in writers {
        let present = held[w.doc].get(&w.id);
        let has = |seq: &u64| present.is_some_and(|p| p.contains(seq));
        tally.acked_lost += (0..w.acked_through).filter(|s| !has(s)).count() as u64;
        let unacked = w.acked_through..w.next_seq;
        tally.unacked_at_kill += unacked.end - unacked.start;
        tally.unacked_persisted += unacked.clone().filter(has).count() as u64;
        tally.unacked.insert(w.id, unacked);
    }
    Ok(())
}

/// After the writers reconnected: the edits unacked at the kill must be back.
async fn check_resend(
    common: &Common,
    docs: &[String],
    writers: &[Writer],
    tally: &mut Tally,
) -> Res<()> {
    let held = server_markers(common, docs).await?;
    for w in writers {
        let present = held[w.doc].get(&w.id);
        let has = |seq: &u64| present.is_some_and(|p| p.contains(seq));
        if let Some(unacked) = tally.unacked.get(&w.id) {
            let back = unacked.clone().filter(has).count() as u64;
            tally.unacked_recovered += back;
            tally.unacked_lost += (unacked.end - unacked.start) - back;
        }
    }
    Ok(())
}

/// Per document, the markers (writer → sequence numbers) in the server's copy, read over a fresh sync.
async fn server_markers(
    common: &Common,
    docs: &[String],
) -> Res<Vec<HashMap<usize, HashSet<u64>>>> {
    let mut out = Vec::with_capacity(docs.len());
    for doc in docs {
        let (client, state) =
            Client::connect(common.endpoint(doc, false), HANDSHAKE_TIMEOUT).await?;
        client.close().await;
        let ydoc = Doc::new();
        let text = ydoc.get_or_insert_text(TEXT);
        let update = Update::decode_v1(&state).map_err(|e| format!("server state: {e}"))?;
        ydoc.transact_mut()
            .apply_update(update)
            .map_err(|e| format!("server state: {e}"))?;
        let content = text.get_string(&ydoc.transact());
        let mut markers: HashMap<usize, HashSet<u64>> = HashMap::new();
        for entry in content.split(';') {
            let Some((w, seq)) = entry.split_once(':') else {
                continue;
            };
            if let (Ok(w), Ok(seq)) = (w.parse(), seq.parse()) {
                markers.entry(w).or_default().insert(seq);
            }
        }
        out.push(markers);
    }
    Ok(out)
}
