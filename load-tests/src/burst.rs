//! `burst`: C clients on one document, every one a writer and a receiver,
//! each sending N small text inserts as fast as its socket takes them.
//! Measures updates sent per second, deliveries per second (updates received
//! by the other clients) and the time from the first send until every client
//! holds every update, judged by state vectors: each client's, built from the
//! struct ranges it received, and the server's, from a fresh sync.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use rocqet_crdt::protocol;
use serde_json::json;
use tokio::sync::{Semaphore, mpsc, watch};
use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, ReadTxn, Text, Transact, Update};

use crate::conn::{Client, Endpoint, Incoming, nanos_since};
use crate::proto::{Coverage, read_update};
use crate::report::{Errors, Latencies, brief, emit};
use crate::target::{Common, cpu_secs, self_cpu_secs};

/// The shared text every writer appends to (Rocqet's prompt body).
const TEXT: &str = "content";
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Args)]
pub struct BurstArgs {
    #[command(flatten)]
    pub common: Common,
    /// Clients on the document, every one writing and receiving (at most 200).
    #[arg(long, default_value_t = 20)]
    pub clients: usize,
    /// Updates each client sends (at most 100,000).
    #[arg(long, default_value_t = 2000)]
    pub updates: u64,
    /// Give up waiting for convergence this many seconds after the first send (at most 120).
    #[arg(long, default_value_t = 60)]
    pub max_seconds: u64,
}

/// What every client must end up holding: each writer's yrs client id and final clock.
type Expected = Arc<HashMap<u64, u32>>;

/// What one client did and saw.
#[derive(Default)]
struct ClientReport {
    sent: u64,
    /// Nanoseconds since the base when this client sent its last update.
    last_send: Option<u64>,
    /// Entries from other writers received (deliveries).
    received: u64,
    echoes: u64,
    parse_errors: u64,
    /// Nanoseconds since the base when its state vector last moved.
    advanced_at: Option<u64>,
    /// `advanced_at` once the client holds everything: when it became complete.
    converged_at: Option<u64>,
    coverage: Coverage,
    error: Option<String>,
}

struct Plan {
    base: Instant,
    start: Instant,
    updates: u64,
    deadline: Instant,
}

pub async fn run(args: BurstArgs) -> Result<(), String> {
    if args.clients < 2 || args.clients > 200 || args.updates == 0 || args.updates > 100_000 {
        return Err("need 2 <= clients <= 200 and 1 <= updates <= 100000".into());
    }
    if args.max_seconds == 0 || args.max_seconds > 120 {
        return Err("--max-seconds must be 1..=120".into());
    }
    let c = &args.common;
    let doc = c.make_docs(1).await?.pop().ok_or("no document was made")?;
    let base = Instant::now();
    let (plan_tx, plan_rx) = watch::channel::<Option<Arc<Plan>>>(None);
    let (expected_tx, expected_rx) = watch::channel::<Option<Expected>>(None);
    let (stop_tx, stop_rx) = watch::channel(false);
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<Result<(), String>>();
    let (done_tx, mut done_rx) = mpsc::unbounded_channel::<Event>();
    let sem = Arc::new(Semaphore::new(c.concurrency.max(1)));
    let mut tasks = Vec::with_capacity(args.clients);
    for w in 0..args.clients {
        let channels = Channels {
            ready: ready_tx.clone(),
            done: done_tx.clone(),
            plan: plan_rx.clone(),
            expected: expected_rx.clone(),
            stop: stop_rx.clone(),
        };
        tasks.push(tokio::spawn(client_task(
            w,
            c.endpoint(&doc, false),
            sem.clone(),
            channels,
        )));
    }
    drop((ready_tx, done_tx));
    let mut errors = Errors::default();
    let mut ready = 0;
    for _ in 0..args.clients {
        match tokio::time::timeout(HANDSHAKE_TIMEOUT * 2, ready_rx.recv()).await {
            Ok(Some(Ok(()))) => ready += 1,
            Ok(Some(Err(e))) => errors.add(e),
            Ok(None) | Err(_) => break,
        }
    }
    eprintln!(
        "{ready}/{} clients synced; each sends {} updates as fast as it can",
        args.clients, args.updates
    );
    let pid = c.server_pid;
    let (cpu0, self0) = (pid.and_then(cpu_secs), self_cpu_secs());
    let start = Instant::now() + Duration::from_millis(200);
    let deadline = start + Duration::from_secs(args.max_seconds);
    let _ = plan_tx.send(Some(Arc::new(Plan {
        base,
        start,
        updates: args.updates,
        deadline,
    })));

    // Writers report their final clocks when done sending; once all have, every
    // client learns what complete means. Then wait for everyone to get there.
    let mut expected: HashMap<u64, u32> = HashMap::new();
    let mut finished: HashSet<usize> = HashSet::new();
    let mut converged: HashSet<usize> = HashSet::new();
    let mut published = false;
    let wait_until = tokio::time::Instant::from_std(deadline);
    while converged.len() < ready {
        let event = tokio::select! {
            _ = tokio::time::sleep_until(wait_until) => break,
            e = done_rx.recv() => e,
        };
        match event {
            Some(Event::Sent { w, client, clock }) => {
                expected.insert(client, clock);
                finished.insert(w);
            }
            Some(Event::Converged { w }) => {
                converged.insert(w);
            }
            Some(Event::Failed { w }) => {
                finished.insert(w);
                converged.insert(w);
            }
            None => break,
        }
        if !published && finished.len() >= ready {
            published = true;
            let _ = expected_tx.send(Some(Arc::new(expected.clone())));
        }
    }
    let (cpu1, self1) = (pid.and_then(cpu_secs), self_cpu_secs());
    let cpu_window = start.elapsed().as_secs_f64().max(0.001);

    // The server's copy, read while the clients are still connected (y-websocket
    // and Hocuspocus drop a document with its last client).
    let server_check = server_state(c, &doc, &expected, args.clients as u64 * args.updates).await;
    let _ = stop_tx.send(true);
    let mut reports = Vec::with_capacity(tasks.len());
    for t in tasks {
        match tokio::time::timeout(Duration::from_secs(10), t).await {
            Ok(Ok(r)) => reports.push(r),
            _ => errors.add("client task did not finish"),
        }
    }

    let start_ns = start.duration_since(base).as_nanos() as u64;
    let (mut sent, mut received, mut echoes, mut parse_errors) = (0u64, 0u64, 0u64, 0u64);
    let mut last_send = 0u64;
    let mut converge = Latencies::new();
    let mut all_converged = reports.len() == args.clients;
    let mut converged_at = 0u64;
    for r in &reports {
        sent += r.sent;
        received += r.received;
        echoes += r.echoes;
        parse_errors += r.parse_errors;
        last_send = last_send.max(r.last_send.unwrap_or(0));
        match r.converged_at {
            Some(at) => {
                converge.record_nanos(at.saturating_sub(start_ns));
                converged_at = converged_at.max(at);
            }
            None => all_converged = false,
        }
        if let Some(e) = &r.error {
            errors.add(e.clone());
        }
    }
    let send_s = last_send.saturating_sub(start_ns) as f64 / 1e9;
    let converge_s = all_converged.then(|| converged_at.saturating_sub(start_ns) as f64 / 1e9);
    let expected_deliveries = args.updates * args.clients as u64 * (args.clients as u64 - 1);
    // Until the last delivery; a run that never converged is rated over its whole wait.
    let window_s = converge_s.unwrap_or_else(|| deadline.duration_since(start).as_secs_f64());
    let round = |v: f64| (v * 1000.0).round() / 1000.0;
    let cpu = |a: Option<f64>, b: Option<f64>| {
        a.zip(b)
            .map(|(a, b)| ((b - a) / cpu_window * 1000.0).round() / 10.0)
    };
    let (server_ok, server_entries) = match &server_check {
        Ok((ok, entries)) => (Some(*ok), Some(*entries)),
        Err(e) => {
            errors.add(format!("server check: {e}"));
            (None, None)
        }
    };
    let summary = converge.summary();
    let result = json!({
        "cmd": "burst",
        "target": format!("{:?}", c.target).to_lowercase(),
        "label": c.label,
        "clients": args.clients,
        "updates_per_client": args.updates,
        "clients_synced": ready,
        "updates_sent": sent,
        "send_s": round(send_s),
        "sent_per_s": (sent as f64 / send_s.max(1e-9)).round(),
        "deliveries_expected": expected_deliveries,
        "deliveries_received": received,
        "deliveries_per_s": (received as f64 / window_s.max(1e-9)).round(),
        "converge_s": converge_s.map(round),
        "converged_clients": reports.iter().filter(|r| r.converged_at.is_some()).count(),
        "client_converge": summary,
        "server_state_complete": server_ok,
        "server_entries": server_entries,
        "self_echoes": echoes,
        "parse_errors": parse_errors,
        "server_cpu_pct": cpu(cpu0, cpu1),
        "generator_cpu_pct": cpu(self0, self1),
        "errors": errors.to_json(),
    });
    emit(&result, c.out.as_deref());
    eprintln!(
        "burst [{}] {} clients x {} updates: sent {sent} in {send_s:.2} s ({}/s); deliveries {received}/{expected_deliveries} ({}/s); converged {}",
        result["target"].as_str().unwrap_or(""),
        args.clients,
        args.updates,
        result["sent_per_s"],
        result["deliveries_per_s"],
        match converge_s {
            Some(s) => format!("after {s:.2} s"),
            None => "NOT within the wait".to_string(),
        },
    );
    eprintln!(
        "  per client: {}; server state complete {:?}; server CPU {}%, generator CPU {}%; errors {}",
        brief(&summary),
        server_ok,
        result["server_cpu_pct"],
        result["generator_cpu_pct"],
        errors.total()
    );
    Ok(())
}

/// Progress client `w` tells the coordinator.
enum Event {
    /// Done sending: its yrs client id and final clock.
    Sent { w: usize, client: u64, clock: u32 },
    /// Holds every other writer's updates.
    Converged { w: usize },
    /// Gave up (connection lost); counts as finished and converged so nobody waits for it.
    Failed { w: usize },
}

struct Channels {
    ready: mpsc::UnboundedSender<Result<(), String>>,
    done: mpsc::UnboundedSender<Event>,
    plan: watch::Receiver<Option<Arc<Plan>>>,
    expected: watch::Receiver<Option<Expected>>,
    stop: watch::Receiver<bool>,
}

async fn client_task(
    w: usize,
    ep: Endpoint,
    sem: Arc<Semaphore>,
    mut ch: Channels,
) -> ClientReport {
    let mut rep = ClientReport::default();
    let permit = sem.acquire_owned().await;
    // The document is fresh: its initial state holds none of the entries counted.
    let mut client = match Client::connect(ep, HANDSHAKE_TIMEOUT).await {
        Ok((client, _)) => client,
        Err(e) => {
            let _ = ch.ready.send(Err(e.clone()));
            rep.error = Some(e);
            return rep;
        }
    };
    drop(permit);
    let _ = ch.ready.send(Ok(()));
    let plan = loop {
        if let Some(p) = ch.plan.borrow().clone() {
            break p;
        }
        tokio::select! {
            r = ch.plan.changed() => if r.is_err() { return rep; },
            r = client.recv() => match r {
                Ok(Some(Incoming::Update { payload, .. })) => observe(&mut rep, &payload, w, None),
                Ok(Some(_)) => {}
                Ok(None) => { rep.error = Some("closed before start".into()); return rep; }
                Err(e) => { rep.error = Some(e); return rep; }
            }
        }
    };
    tokio::time::sleep_until(plan.start.into()).await;

    let local = Doc::new();
    let own = local.client_id().get();
    let text = local.get_or_insert_text(TEXT);
    let deadline = tokio::time::Instant::from_std(plan.deadline);
    let mut expected: Option<Expected> = None;
    let mut failed = false;
    let give_up = tokio::time::sleep_until(deadline);
    tokio::pin!(give_up);
    loop {
        let sending = rep.sent < plan.updates;
        tokio::select! {
            // Incoming first: a client that stops reading while it sends gets
            // dropped for lagging (Rocqet) or buffers without bound (the peers).
            biased;
            _ = &mut give_up => break,
            r = ch.stop.changed() => if r.is_err() || *ch.stop.borrow() { break },
            r = client.recv() => match r {
                Ok(Some(Incoming::Update { payload, .. })) => {
                    observe(&mut rep, &payload, w, Some(plan.base));
                    if rep.converged_at.is_none()
                        && expected.as_ref().is_some_and(|e| rep.coverage.covers(e, own))
                    {
                        rep.converged_at = rep.advanced_at;
                        let _ = ch.done.send(Event::Converged { w });
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) => { rep.error = Some("closed by server".into()); failed = true; break; }
                Err(e) => { rep.error = Some(e); failed = true; break; }
            },
            r = ch.expected.changed(), if expected.is_none() => {
                if r.is_err() { break; }
                expected = ch.expected.borrow().clone();
                if let Some(e) = &expected
                    && rep.converged_at.is_none()
                    && rep.coverage.covers(e, own)
                {
                    rep.converged_at = rep.advanced_at;
                    let _ = ch.done.send(Event::Converged { w });
                }
            }
            () = std::future::ready(()), if sending => {
                let update = {
                    let mut txn = local.transact_mut();
                    let end = text.len(&txn);
                    text.insert(&mut txn, end, &format!("{w}:{};", rep.sent));
                    txn.encode_update_v1()
                };
                if let Err(e) = client.send(&protocol::encode_update(&update)).await {
                    rep.error = Some(e);
                    failed = true;
                    break;
                }
                rep.sent += 1;
                if rep.sent == plan.updates {
                    rep.last_send = Some(nanos_since(plan.base));
                    let clock = local.transact().state_vector().get(&local.client_id());
                    let _ = ch.done.send(Event::Sent { w, client: own, clock });
                }
            }
        }
    }
    if failed {
        let _ = ch.done.send(Event::Failed { w });
    }
    client.close().await;
    rep
}

/// Reads one received update: struct ranges into the coverage, entries into the counts.
fn observe(rep: &mut ClientReport, update: &[u8], w: usize, base: Option<Instant>) {
    let inserted = match read_update(update) {
        Ok(i) => i,
        Err(_) => {
            rep.parse_errors += 1;
            return;
        }
    };
    let mut moved = false;
    for r in inserted.ranges {
        moved |= rep.coverage.add(r);
    }
    if moved && let Some(base) = base {
        rep.advanced_at = Some(nanos_since(base));
    }
    for s in &inserted.strings {
        for entry in s.split(';') {
            match entry.split_once(':').map(|(from, _)| from.parse::<usize>()) {
                Some(Ok(from)) if from == w => rep.echoes += 1,
                Some(Ok(_)) => rep.received += 1,
                _ => {}
            }
        }
    }
}

/// The server's copy over a fresh sync: does it hold every writer's final
/// clock, and how many entries does its text have (should be clients × updates)?
async fn server_state(
    c: &Common,
    doc: &str,
    expected: &HashMap<u64, u32>,
    want_entries: u64,
) -> Result<(bool, u64), String> {
    let (client, state) = Client::connect(c.endpoint(doc, false), HANDSHAKE_TIMEOUT).await?;
    client.close().await;
    let ydoc = Doc::new();
    let text = ydoc.get_or_insert_text(TEXT);
    let update = Update::decode_v1(&state).map_err(|e| e.to_string())?;
    ydoc.transact_mut()
        .apply_update(update)
        .map_err(|e| e.to_string())?;
    let txn = ydoc.transact();
    let sv = txn.state_vector();
    let clocks_ok = expected
        .iter()
        .all(|(client, clock)| sv.get(&yrs::ClientID::new(*client)) >= *clock);
    let entries = text
        .get_string(&txn)
        .split(';')
        .filter(|e| !e.is_empty())
        .count() as u64;
    Ok((clocks_ok && entries == want_entries, entries))
}
