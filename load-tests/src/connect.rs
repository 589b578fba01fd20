//! `connect`: N idle, synced connections over D documents; connect+sync time
//! percentiles and the server's resident memory per connection.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use serde_json::json;
use tokio::sync::{Semaphore, mpsc, watch};

use crate::conn::{Client, nanos_since};
use crate::report::{Errors, Latencies, brief, emit};
use crate::target::{Common, cpu_secs, memory_breakdown, rss_kib};

#[derive(Debug, Args)]
pub struct ConnectArgs {
    #[command(flatten)]
    pub common: Common,
    /// Documents the connections are spread over (round robin).
    #[arg(long, default_value_t = 100)]
    pub docs: usize,
    /// Connections to open.
    #[arg(long, default_value_t = 1000)]
    pub conns: usize,
    /// Seconds to hold every connection open once all are up, before sampling RSS.
    #[arg(long, default_value_t = 5)]
    pub hold: u64,
    /// Give up opening connections after this many seconds.
    #[arg(long, default_value_t = 40)]
    pub max_seconds: u64,
}

enum Event {
    Synced(u64),
    Failed(String),
    Dropped(String),
}

pub async fn run(args: ConnectArgs) -> Result<(), String> {
    let c = &args.common;
    let docs = c.make_docs(args.docs.max(1)).await?;
    let pid = c.server_pid;
    // Let the REST work settle, then take the baseline.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let rss_before = pid.and_then(rss_kib);
    let mem_before = pid.map(memory_breakdown);
    let cpu_before = pid.and_then(cpu_secs);

    let (stop_tx, stop_rx) = watch::channel(false);
    let (ev_tx, mut ev_rx) = mpsc::unbounded_channel();
    let sem = Arc::new(Semaphore::new(c.concurrency.max(1)));
    let started = Instant::now();
    let deadline = Duration::from_secs(args.max_seconds);
    let mut tasks = Vec::with_capacity(args.conns);
    for i in 0..args.conns {
        let ep = c.endpoint(&docs[i % docs.len()], false);
        let (sem, ev_tx, mut stop_rx) = (sem.clone(), ev_tx.clone(), stop_rx.clone());
        tasks.push(tokio::spawn(async move {
            let permit = sem.acquire_owned().await;
            let budget = deadline.saturating_sub(started.elapsed());
            if budget.is_zero() {
                let _ = ev_tx.send(Event::Failed("not started before the deadline".into()));
                return;
            }
            let t0 = Instant::now();
            let mut client = match Client::connect(ep, budget).await {
                Ok((client, _)) => client,
                Err(e) => {
                    let _ = ev_tx.send(Event::Failed(e));
                    return;
                }
            };
            let _ = ev_tx.send(Event::Synced(nanos_since(t0)));
            drop(permit);
            // Idle: keep reading so pings are answered, until told to stop.
            loop {
                tokio::select! {
                    _ = stop_rx.changed() => break,
                    r = client.recv() => match r {
                        Ok(Some(_)) => {}
                        Ok(None) => { let _ = ev_tx.send(Event::Dropped("closed".into())); return; }
                        Err(e) => { let _ = ev_tx.send(Event::Dropped(e)); return; }
                    }
                }
            }
            client.close().await;
        }));
    }
    drop(ev_tx);

    let mut lat = Latencies::new();
    let mut errors = Errors::default();
    let mut done = 0usize;
    while done < args.conns {
        match ev_rx.recv().await {
            Some(Event::Synced(ns)) => {
                lat.record_nanos(ns);
                done += 1;
            }
            Some(Event::Failed(e)) => {
                errors.add(e);
                done += 1;
            }
            Some(Event::Dropped(e)) => errors.add(format!("dropped while idle: {e}")),
            None => break,
        }
    }
    let connect_secs = started.elapsed().as_secs_f64();
    eprintln!(
        "{} of {} connections synced in {connect_secs:.1} s; holding {} s",
        lat.count(),
        args.conns,
        args.hold
    );
    let hold_until = tokio::time::Instant::now() + Duration::from_secs(args.hold);
    let mut rss_samples = Vec::new();
    loop {
        tokio::select! {
            _ = tokio::time::sleep_until(hold_until) => break,
            ev = ev_rx.recv() => if let Some(Event::Dropped(e)) = ev { errors.add(format!("dropped while idle: {e}")) },
            _ = tokio::time::sleep(Duration::from_secs(1)) => {
                if let Some(r) = pid.and_then(rss_kib) { rss_samples.push(r); }
            }
        }
    }
    let rss_after = pid.and_then(rss_kib);
    let mem_after = pid.map(memory_breakdown);
    let cpu_after = pid.and_then(cpu_secs);
    let held = lat.count() - errors_dropped(&errors);
    let _ = stop_tx.send(true);
    for t in tasks {
        let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
    }

    let per_conn = match (rss_before, rss_after) {
        (Some(b), Some(a)) if held > 0 => {
            Some(((a as f64 - b as f64) / held as f64 * 100.0).round() / 100.0)
        }
        _ => None,
    };
    let summary = lat.summary();
    let result = json!({
        "cmd": "connect",
        "target": format!("{:?}", c.target).to_lowercase(),
        "label": c.label,
        "docs": args.docs,
        "conns": args.conns,
        "synced": lat.count(),
        "held": held,
        "connect_phase_s": (connect_secs * 100.0).round() / 100.0,
        "connect_sync": summary,
        "rss_before_kib": rss_before,
        "rss_after_kib": rss_after,
        "rss_max_during_hold_kib": rss_samples.iter().max(),
        "kib_per_conn": per_conn,
        "memory_before_kib": mem_before,
        "memory_after_kib": mem_after,
        "server_cpu_s": cpu_before.zip(cpu_after).map(|(b, a)| ((a - b) * 100.0).round() / 100.0),
        "errors": errors.to_json(),
    });
    emit(&result, c.out.as_deref());
    eprintln!(
        "connect [{}] {} conns / {} docs: synced {}, held {}; connect+sync {}",
        result["target"].as_str().unwrap_or(""),
        args.conns,
        args.docs,
        lat.count(),
        held,
        brief(&summary)
    );
    eprintln!(
        "  server RSS {:?} -> {:?} KiB = {:?} KiB/conn; errors {}",
        rss_before,
        rss_after,
        per_conn,
        errors.total()
    );
    Ok(())
}

fn errors_dropped(errors: &Errors) -> u64 {
    errors
        .to_json()
        .as_object()
        .map(|m| {
            m.iter()
                .filter(|(k, _)| k.starts_with("dropped"))
                .filter_map(|(_, v)| v.as_u64())
                .sum()
        })
        .unwrap_or(0)
}
