//! `fanout`: per document C clients, W of them writing R small text inserts a
//! second, each insert carrying its send time; every other client of the
//! document records send-to-receive latency. Ends with a convergence check.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use rand::Rng;
use rocqet_crdt::protocol;
use serde_json::json;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::MissedTickBehavior;
use yrs::updates::decoder::Decode;
use yrs::{Doc, GetString, ReadTxn, Text, Transact, Update};

use crate::conn::{Client, Endpoint, Incoming, nanos_since};
use crate::proto::{SeenClocks, read_update};
use crate::report::{Errors, Latencies, brief, emit};
use crate::target::{Common, cpu_secs, self_cpu_secs};

/// The shared text every writer appends to (Rocqet's prompt body).
const TEXT: &str = "content";
/// How long receivers keep listening after the writers stop.
const DRAIN: Duration = Duration::from_secs(3);
const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Debug, Args)]
pub struct FanoutArgs {
    #[command(flatten)]
    pub common: Common,
    #[arg(long, default_value_t = 1)]
    pub docs: usize,
    /// Clients per document, writers included.
    #[arg(long, default_value_t = 50)]
    pub clients: usize,
    /// Writers per document.
    #[arg(long, default_value_t = 5)]
    pub writers: usize,
    /// Inserts per second per writer.
    #[arg(long, default_value_t = 10.0)]
    pub rate: f64,
    /// Seconds of writing (at most 120).
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Seconds of writing not recorded (warm-up).
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
    /// More nodes of the same cluster (comma-separated base URLs): client k of each
    /// document connects to node k mod N, where node 0 is `--url`; latency is also
    /// reported split into same-node and cross-node deliveries.
    #[arg(long, value_delimiter = ',')]
    pub nodes: Vec<String>,
}

/// What one client saw.
#[derive(Default)]
struct ClientReport {
    doc: usize,
    /// Which node this client is on, and how writers map to nodes.
    placement: Placement,
    /// Deliveries from a writer on the same node / on another node (multi-node runs).
    same_node: Vec<u64>,
    cross_node: Vec<u64>,
    /// Writer index (global) if this client writes.
    writer: Option<usize>,
    /// Writer's own yrs client id and final clock.
    own: Option<(u64, u32)>,
    sent: u64,
    sent_recorded: u64,
    latencies: Vec<u64>,
    received: u64,
    received_recorded: u64,
    echoes: u64,
    seen: SeenClocks,
    parse_errors: u64,
    error: Option<String>,
}

/// Where clients sit when the documents are spread over several nodes.
#[derive(Default, Clone, Copy)]
struct Placement {
    node: usize,
    nodes: usize,
    writers_per_doc: usize,
}

impl Placement {
    /// Writer `w` (global index) is client `w % writers` of its document.
    fn node_of_writer(&self, w: usize) -> usize {
        (w % self.writers_per_doc.max(1)) % self.nodes.max(1)
    }
}

/// Parses `"{writer}:{seq}:{nanos};"` entries.
fn entries(s: &str) -> impl Iterator<Item = (usize, u64, u64)> + '_ {
    s.split(';').filter_map(|e| {
        let mut it = e.split(':');
        Some((
            it.next()?.parse().ok()?,
            it.next()?.parse().ok()?,
            it.next()?.parse().ok()?,
        ))
    })
}

struct Plan {
    base: Instant,
    start: Instant,
    record_from: u64,
    stop_writing: Instant,
    stop_listening: Instant,
    rate: f64,
}

pub async fn run(args: FanoutArgs) -> Result<(), String> {
    if args.seconds == 0 || args.seconds > 120 {
        return Err("--seconds must be 1..=120".into());
    }
    if args.writers > args.clients || args.docs * args.clients > 20_000 {
        return Err("need writers <= clients and docs*clients <= 20000".into());
    }
    let c = &args.common;
    let docs = c.make_docs(args.docs).await?;
    let node_urls: Vec<String> = std::iter::once(c.url.clone())
        .chain(args.nodes.iter().cloned())
        .collect();
    let base = Instant::now();
    let (start_tx, start_rx) = watch::channel::<Option<Arc<Plan>>>(None);
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<Result<(), String>>();
    let sem = Arc::new(Semaphore::new(c.concurrency.max(1)));
    let mut tasks = Vec::new();
    for (d, doc) in docs.iter().enumerate() {
        for k in 0..args.clients {
            let writer = (k < args.writers).then_some(d * args.writers + k);
            let placement = Placement {
                node: k % node_urls.len(),
                nodes: node_urls.len(),
                writers_per_doc: args.writers,
            };
            let ep = c.endpoint_on(&node_urls[placement.node], doc, false);
            let (sem, ready_tx, start_rx) = (sem.clone(), ready_tx.clone(), start_rx.clone());
            tasks.push(tokio::spawn(client_task(
                (d, writer, placement),
                ep,
                sem,
                ready_tx,
                start_rx,
            )));
        }
    }
    drop(ready_tx);
    let total = tasks.len();
    let mut connect_errors = Errors::default();
    let mut ready = 0;
    for _ in 0..total {
        match tokio::time::timeout(HANDSHAKE_TIMEOUT * 2, ready_rx.recv()).await {
            Ok(Some(Ok(()))) => ready += 1,
            Ok(Some(Err(e))) => connect_errors.add(e),
            Ok(None) | Err(_) => break,
        }
    }
    eprintln!(
        "{ready}/{total} clients synced in {:.1} s; writing for {} s",
        base.elapsed().as_secs_f64(),
        args.seconds
    );

    let pid = c.server_pid;
    let (cpu0, self0) = (pid.and_then(cpu_secs), self_cpu_secs());
    let start = Instant::now() + Duration::from_millis(200);
    let stop_writing = start + Duration::from_secs(args.seconds);
    let plan = Arc::new(Plan {
        base,
        start,
        record_from: nanos_since(base)
            + Duration::from_millis(200 + 1000 * args.warmup).as_nanos() as u64,
        stop_writing,
        stop_listening: stop_writing + DRAIN,
        rate: args.rate,
    });
    let _ = start_tx.send(Some(plan.clone()));
    // Bounded: every task stops listening at stop_listening.
    let mut reports = Vec::with_capacity(total);
    let mut held_verify = Vec::new();
    let verify_at = tokio::time::Instant::from_std(plan.stop_listening);
    tokio::time::sleep_until(verify_at - Duration::from_millis(500)).await;
    let (cpu1, self1) = (pid.and_then(cpu_secs), self_cpu_secs());
    // Check what the server holds while the clients are still connected
    // (Hocuspocus and y-websocket drop a room's state with its last client).
    for doc in &docs {
        let ep = c.endpoint(doc, false);
        held_verify.push(Client::connect(ep, Duration::from_secs(10)).await);
    }
    for t in tasks {
        match tokio::time::timeout(Duration::from_secs(15), t).await {
            Ok(Ok(r)) => reports.push(r),
            _ => connect_errors.add("client task did not finish"),
        }
    }
    let wrote_s = args.seconds.saturating_sub(args.warmup).max(1) as f64;

    // Tally.
    let mut lat = Latencies::new();
    let (mut same_lat, mut cross_lat) = (Latencies::new(), Latencies::new());
    let mut errors = connect_errors;
    let (mut sent, mut sent_rec, mut recv, mut recv_rec, mut echoes, mut parse_errors, mut gaps) =
        (0u64, 0u64, 0u64, 0u64, 0u64, 0u64, 0u64);
    let mut expected_sv: Vec<HashMap<u64, u32>> = vec![HashMap::new(); docs.len()];
    let mut sent_per_writer: HashMap<usize, u64> = HashMap::new();
    let mut sent_rec_per_doc = vec![0u64; docs.len()];
    for r in &reports {
        if let (Some(w), Some((client, clock))) = (r.writer, r.own) {
            expected_sv[r.doc].insert(client, clock);
            sent_per_writer.insert(w, r.sent);
        }
        sent_rec_per_doc[r.doc] += r.sent_recorded;
        for &ns in &r.latencies {
            lat.record_nanos(ns);
        }
        for &ns in &r.same_node {
            same_lat.record_nanos(ns);
        }
        for &ns in &r.cross_node {
            cross_lat.record_nanos(ns);
        }
        sent += r.sent;
        sent_rec += r.sent_recorded;
        recv += r.received;
        recv_rec += r.received_recorded;
        echoes += r.echoes;
        parse_errors += r.parse_errors;
        gaps += r.seen.gaps;
        if let Some(e) = &r.error {
            errors.add(e.clone());
        }
    }
    let expected: u64 = sent * (args.clients as u64 - 1);
    let expected_rec: u64 = sent_rec_per_doc.iter().sum::<u64>() * (args.clients as u64 - 1);
    // Every client holds every writer's full clock (its own it knows locally).
    let converged_clients = reports
        .iter()
        .filter(|r| {
            expected_sv[r.doc].iter().all(|(client, clock)| {
                r.own.is_some_and(|(own, _)| own == *client)
                    || r.seen.clocks.get(client) == Some(clock)
            })
        })
        .count();
    // And the server's copy holds every entry each writer sent.
    let mut docs_ok = 0;
    for (d, v) in held_verify.into_iter().enumerate() {
        let Ok((client, state)) = v else {
            errors.add("verify connection failed");
            continue;
        };
        let doc = Doc::new();
        let text = doc.get_or_insert_text(TEXT);
        let applied = Update::decode_v1(&state)
            .map_err(|e| e.to_string())
            .and_then(|u| {
                doc.transact_mut()
                    .apply_update(u)
                    .map_err(|e| e.to_string())
            });
        if let Err(e) = applied {
            errors.add(format!("verify: {e}"));
        }
        let s = text.get_string(&doc.transact());
        let mut counts: HashMap<usize, u64> = HashMap::new();
        for (w, _, _) in entries(&s) {
            *counts.entry(w).or_insert(0) += 1;
        }
        let ok = (0..args.writers).all(|k| {
            let w = d * args.writers + k;
            counts.get(&w).copied().unwrap_or(0) == sent_per_writer.get(&w).copied().unwrap_or(0)
        });
        docs_ok += usize::from(ok);
        client.close().await;
    }

    let summary = lat.summary();
    let split = (node_urls.len() > 1).then(|| {
        json!({"nodes": node_urls.len(), "same_node": same_lat.summary(), "cross_node": cross_lat.summary()})
    });
    let cpu = |a: Option<f64>, b: Option<f64>| {
        a.zip(b)
            .map(|(a, b)| ((b - a) / args.seconds as f64 * 1000.0).round() / 10.0)
    };
    let result = json!({
        "cmd": "fanout",
        "target": format!("{:?}", c.target).to_lowercase(),
        "label": c.label,
        "docs": args.docs, "clients": args.clients, "writers": args.writers,
        "rate": args.rate, "seconds": args.seconds, "warmup": args.warmup,
        "clients_synced": ready,
        "updates_sent": sent,
        "updates_per_s": (sent_rec as f64 / wrote_s).round(),
        "deliveries_expected": expected,
        "deliveries_received": recv,
        "recorded": {"expected": expected_rec, "received": recv_rec},
        "latency": summary,
        "self_echoes": echoes,
        "parse_errors": parse_errors,
        "clock_gaps": gaps,
        "converged_clients": converged_clients,
        "total_clients": total,
        "latency_by_node": split,
        "server_docs_complete": docs_ok,
        "server_cpu_pct": cpu(cpu0, cpu1),
        "generator_cpu_pct": cpu(self0, self1),
        "errors": errors.to_json(),
    });
    emit(&result, c.out.as_deref());
    eprintln!(
        "fanout [{}] {}x{} clients, {} writers @ {}/s, {} s: e2e {}",
        result["target"].as_str().unwrap_or(""),
        args.docs,
        args.clients,
        args.writers,
        args.rate,
        args.seconds,
        brief(&summary)
    );
    if node_urls.len() > 1 {
        eprintln!(
            "  {} nodes: same-node {}; cross-node {}",
            node_urls.len(),
            brief(&same_lat.summary()),
            brief(&cross_lat.summary())
        );
    }
    eprintln!(
        "  deliveries {recv}/{expected} (recorded {recv_rec}/{expected_rec}); converged {converged_clients}/{total} clients, server docs complete {docs_ok}/{}; server CPU {}%, generator CPU {}%; errors {}",
        docs.len(),
        result["server_cpu_pct"],
        result["generator_cpu_pct"],
        errors.total()
    );
    Ok(())
}

async fn client_task(
    (doc, writer, placement): (usize, Option<usize>, Placement),
    ep: Endpoint,
    sem: Arc<Semaphore>,
    ready_tx: mpsc::UnboundedSender<Result<(), String>>,
    mut start_rx: watch::Receiver<Option<Arc<Plan>>>,
) -> ClientReport {
    let mut rep = ClientReport {
        doc,
        writer,
        placement,
        ..ClientReport::default()
    };
    let permit = sem.acquire_owned().await;
    let (mut client, state) = match Client::connect(ep, HANDSHAKE_TIMEOUT).await {
        Ok(x) => x,
        Err(e) => {
            let _ = ready_tx.send(Err(e.clone()));
            rep.error = Some(e);
            return rep;
        }
    };
    drop(permit);
    observe(&mut rep, &state, None, 0);
    let _ = ready_tx.send(Ok(()));

    // Wait for the common start, still reading (pings, late handshake messages).
    let plan = loop {
        if let Some(p) = start_rx.borrow().clone() {
            break p;
        }
        tokio::select! {
            r = start_rx.changed() => if r.is_err() { return rep; },
            r = client.recv() => match r {
                Ok(Some(Incoming::Update { payload, .. })) => observe(&mut rep, &payload, None, 0),
                Ok(Some(_)) => {}
                Ok(None) => { rep.error = Some("closed before start".into()); return rep; }
                Err(e) => { rep.error = Some(e); return rep; }
            }
        }
    };

    let local = Doc::new();
    let text = local.get_or_insert_text(TEXT);
    let period = Duration::from_secs_f64(1.0 / plan.rate.max(0.001));
    let phase = period.mul_f64(rand::rng().random::<f64>());
    let mut tick = tokio::time::interval_at((plan.start + phase).into(), period);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let stop_writing = tokio::time::Instant::from_std(plan.stop_writing);
    let stop_listening = tokio::time::Instant::from_std(plan.stop_listening);
    let mut seq = 0u64;
    let mut writing = writer.is_some();
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(stop_listening) => break,
            _ = tick.tick(), if writing => {
                if tokio::time::Instant::now() >= stop_writing {
                    writing = false;
                    continue;
                }
                let w = writer.unwrap_or_default();
                let sent_at = nanos_since(plan.base);
                let update = {
                    let mut txn = local.transact_mut();
                    let end = text.len(&txn);
                    text.insert(&mut txn, end, &format!("{w}:{seq}:{sent_at};"));
                    txn.encode_update_v1()
                };
                seq += 1;
                if let Err(e) = client.send(&protocol::encode_update(&update)).await {
                    rep.error = Some(e);
                    break;
                }
                rep.sent += 1;
                if sent_at >= plan.record_from {
                    rep.sent_recorded += 1;
                }
            }
            r = client.recv() => match r {
                Ok(Some(Incoming::Update { payload, live })) => {
                    let now = nanos_since(plan.base);
                    observe(&mut rep, &payload, live.then_some(now), plan.record_from);
                }
                Ok(Some(_)) => {}
                Ok(None) => { rep.error = Some("closed by server".into()); break; }
                Err(e) => { rep.error = Some(e); break; }
            }
        }
    }
    if writer.is_some() {
        let id = local.client_id();
        rep.own = Some((id.get(), local.transact().state_vector().get(&id)));
    }
    client.close().await;
    rep
}

/// Reads one incoming update: clocks for convergence, entries for latency (`now` set for live updates only).
fn observe(rep: &mut ClientReport, update: &[u8], now: Option<u64>, record_from: u64) {
    let inserted = match read_update(update) {
        Ok(i) => i,
        Err(_) => {
            rep.parse_errors += 1;
            return;
        }
    };
    for r in inserted.ranges {
        rep.seen.add(r);
    }
    let Some(now) = now else { return };
    for s in &inserted.strings {
        for (w, _seq, sent_at) in entries(s) {
            if Some(w) == rep.writer {
                rep.echoes += 1;
                continue;
            }
            rep.received += 1;
            if sent_at >= record_from {
                rep.received_recorded += 1;
                let latency = now.saturating_sub(sent_at);
                rep.latencies.push(latency);
                if rep.placement.nodes > 1 {
                    if rep.placement.node_of_writer(w) == rep.placement.node {
                        rep.same_node.push(latency);
                    } else {
                        rep.cross_node.push(latency);
                    }
                }
            }
        }
    }
}
