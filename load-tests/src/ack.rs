//! `ack`: writers on `?ack=1` sockets sending R updates a second in total over
//! D documents; measures update-to-ack latency. Rocqet acks after the update is
//! durably stored; Hocuspocus sends the same `[8][1]` (SyncStatus) after
//! applying in memory; y-websocket never acks.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use rand::Rng;
use rocqet_crdt::protocol;
use serde_json::json;
use tokio::sync::{Semaphore, mpsc, watch};
use tokio::time::MissedTickBehavior;
use yrs::{Doc, Text, Transact};

use crate::conn::{Client, Endpoint, Incoming, nanos_since};
use crate::report::{Errors, Latencies, brief, emit};
use crate::target::{Common, Target, cpu_secs, self_cpu_secs};

/// How long writers wait for outstanding acks after they stop.
const DRAIN: Duration = Duration::from_secs(5);

#[derive(Debug, Args)]
pub struct AckArgs {
    #[command(flatten)]
    pub common: Common,
    #[arg(long, default_value_t = 100)]
    pub docs: usize,
    /// Writers per document.
    #[arg(long, default_value_t = 1)]
    pub writers: usize,
    /// Updates per second in total, across all writers.
    #[arg(long, default_value_t = 1000.0)]
    pub rate: f64,
    /// Seconds of writing (at most 120).
    #[arg(long, default_value_t = 20)]
    pub seconds: u64,
    /// Seconds of writing not recorded (warm-up).
    #[arg(long, default_value_t = 2)]
    pub warmup: u64,
}

#[derive(Default)]
struct WriterReport {
    sent: u64,
    sent_recorded: u64,
    acked: u64,
    nacked: u64,
    latencies: Vec<u64>,
    outstanding: u64,
    error: Option<String>,
}

struct Plan {
    base: Instant,
    start: Instant,
    record_from: u64,
    stop_writing: Instant,
    rate: f64,
}

pub async fn run(args: AckArgs) -> Result<(), String> {
    let c = &args.common;
    if c.target == Target::Yws {
        return Err("y-websocket's server sends no acks".into());
    }
    if args.seconds == 0 || args.seconds > 120 || args.docs * args.writers > 20_000 {
        return Err("need --seconds 1..=120 and docs*writers <= 20000".into());
    }
    let docs = c.make_docs(args.docs).await?;
    let base = Instant::now();
    let writers = args.docs * args.writers;
    let per_writer = args.rate / writers as f64;
    let (start_tx, start_rx) = watch::channel::<Option<Arc<Plan>>>(None);
    let (ready_tx, mut ready_rx) = mpsc::unbounded_channel::<Result<(), String>>();
    let sem = Arc::new(Semaphore::new(c.concurrency.max(1)));
    let mut tasks = Vec::with_capacity(writers);
    for doc in &docs {
        for _ in 0..args.writers {
            let ep = c.endpoint(doc, true);
            let (sem, ready_tx, start_rx) = (sem.clone(), ready_tx.clone(), start_rx.clone());
            tasks.push(tokio::spawn(writer_task(ep, sem, ready_tx, start_rx)));
        }
    }
    drop(ready_tx);
    let mut errors = Errors::default();
    let mut ready = 0;
    for _ in 0..writers {
        match tokio::time::timeout(Duration::from_secs(60), ready_rx.recv()).await {
            Ok(Some(Ok(()))) => ready += 1,
            Ok(Some(Err(e))) => errors.add(e),
            Ok(None) | Err(_) => break,
        }
    }
    eprintln!(
        "{ready}/{writers} writers synced; {per_writer:.2} updates/s each for {} s",
        args.seconds
    );
    let pid = c.server_pid;
    let (cpu0, self0) = (pid.and_then(cpu_secs), self_cpu_secs());
    let start = Instant::now() + Duration::from_millis(200);
    let plan = Arc::new(Plan {
        base,
        start,
        record_from: nanos_since(base)
            + Duration::from_millis(200 + 1000 * args.warmup).as_nanos() as u64,
        stop_writing: start + Duration::from_secs(args.seconds),
        rate: per_writer,
    });
    let _ = start_tx.send(Some(plan.clone()));
    tokio::time::sleep_until(plan.stop_writing.into()).await;
    let (cpu1, self1) = (pid.and_then(cpu_secs), self_cpu_secs());

    let mut lat = Latencies::new();
    let (mut sent, mut sent_rec, mut acked, mut nacked, mut outstanding) = (0, 0, 0, 0, 0);
    for t in tasks {
        match tokio::time::timeout(DRAIN + Duration::from_secs(10), t).await {
            Ok(Ok(r)) => {
                for &ns in &r.latencies {
                    lat.record_nanos(ns);
                }
                sent += r.sent;
                sent_rec += r.sent_recorded;
                acked += r.acked;
                nacked += r.nacked;
                outstanding += r.outstanding;
                if let Some(e) = r.error {
                    errors.add(e);
                }
            }
            _ => errors.add("writer task did not finish"),
        }
    }
    let wrote_s = args.seconds.saturating_sub(args.warmup).max(1) as f64;
    let cpu = |a: Option<f64>, b: Option<f64>| {
        a.zip(b)
            .map(|(a, b)| ((b - a) / args.seconds as f64 * 1000.0).round() / 10.0)
    };
    let summary = lat.summary();
    let result = json!({
        "cmd": "ack",
        "target": format!("{:?}", c.target).to_lowercase(),
        "label": c.label,
        "docs": args.docs, "writers_per_doc": args.writers, "rate": args.rate,
        "seconds": args.seconds, "warmup": args.warmup,
        "writers_synced": ready,
        "updates_sent": sent,
        "updates_per_s": (sent_rec as f64 / wrote_s).round(),
        "acked": acked, "nacked": nacked, "unacked_at_end": outstanding,
        "ack_latency": summary,
        "server_cpu_pct": cpu(cpu0, cpu1),
        "generator_cpu_pct": cpu(self0, self1),
        "errors": errors.to_json(),
    });
    emit(&result, c.out.as_deref());
    eprintln!(
        "ack [{}] {} docs, {}/s total, {} s: update->ack {}",
        result["target"].as_str().unwrap_or(""),
        args.docs,
        args.rate,
        args.seconds,
        brief(&summary)
    );
    eprintln!(
        "  sent {sent}, acked {acked}, unacked at end {outstanding}; server CPU {}%, generator CPU {}%; errors {}",
        result["server_cpu_pct"],
        result["generator_cpu_pct"],
        errors.total()
    );
    Ok(())
}

async fn writer_task(
    ep: Endpoint,
    sem: Arc<Semaphore>,
    ready_tx: mpsc::UnboundedSender<Result<(), String>>,
    mut start_rx: watch::Receiver<Option<Arc<Plan>>>,
) -> WriterReport {
    let mut rep = WriterReport::default();
    let permit = sem.acquire_owned().await;
    let mut client = match Client::connect(ep, Duration::from_secs(30)).await {
        Ok((client, _)) => client,
        Err(e) => {
            let _ = ready_tx.send(Err(e.clone()));
            rep.error = Some(e);
            return rep;
        }
    };
    drop(permit);
    // Handshake SyncStep2s are acked too: wait until the server's SyncStep1 is
    // answered and those acks are in, so every later ack belongs to an update.
    let mut handshake_acks = 0;
    let settled = tokio::time::timeout(Duration::from_secs(10), async {
        while client.step2_sent == 0 || handshake_acks < client.step2_sent {
            match client.recv().await? {
                Some(Incoming::Ack(_)) => handshake_acks += 1,
                Some(_) => {}
                None => return Err("closed during handshake".to_string()),
            }
        }
        Ok(())
    })
    .await;
    match settled {
        Ok(Ok(())) => {}
        Ok(Err(e)) => {
            let _ = ready_tx.send(Err(e.clone()));
            rep.error = Some(e);
            return rep;
        }
        Err(_) => {
            let e = "no ack for the handshake (is ?ack=1 supported?)".to_string();
            let _ = ready_tx.send(Err(e.clone()));
            rep.error = Some(e);
            return rep;
        }
    }
    let _ = ready_tx.send(Ok(()));
    let plan = loop {
        if let Some(p) = start_rx.borrow().clone() {
            break p;
        }
        tokio::select! {
            r = start_rx.changed() => if r.is_err() { return rep; },
            r = client.recv() => if let Err(e) = r { rep.error = Some(e); return rep; },
        }
    };

    let local = Doc::new();
    let text = local.get_or_insert_text("content");
    let period = Duration::from_secs_f64(1.0 / plan.rate.max(0.001));
    let phase = period.mul_f64(rand::rng().random::<f64>());
    let mut tick = tokio::time::interval_at((plan.start + phase).into(), period);
    tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
    let stop_writing = tokio::time::Instant::from_std(plan.stop_writing);
    let give_up = stop_writing + DRAIN;
    let mut pending: VecDeque<u64> = VecDeque::new();
    let mut seq = 0u64;
    let mut writing = true;
    loop {
        if !writing && pending.is_empty() {
            break;
        }
        tokio::select! {
            _ = tokio::time::sleep_until(give_up) => break,
            _ = tick.tick(), if writing => {
                if tokio::time::Instant::now() >= stop_writing {
                    writing = false;
                    continue;
                }
                let sent_at = nanos_since(plan.base);
                let update = {
                    let mut txn = local.transact_mut();
                    let end = text.len(&txn);
                    text.insert(&mut txn, end, &format!("{seq}:{sent_at};"));
                    txn.encode_update_v1()
                };
                seq += 1;
                pending.push_back(sent_at);
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
                Ok(Some(Incoming::Ack(saved))) => {
                    let now = nanos_since(plan.base);
                    match pending.pop_front() {
                        Some(sent_at) => {
                            rep.acked += 1;
                            if !saved { rep.nacked += 1; }
                            if sent_at >= plan.record_from {
                                rep.latencies.push(now.saturating_sub(sent_at));
                            }
                        }
                        None => rep.error = Some("ack with nothing outstanding".into()),
                    }
                }
                Ok(Some(_)) => {}
                Ok(None) => { rep.error = Some("closed by server".into()); break; }
                Err(e) => { rep.error = Some(e); break; }
            }
        }
    }
    rep.outstanding = pending.len() as u64;
    client.close().await;
    rep
}
