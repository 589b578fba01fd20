//! The markdown tables of a report: one fragment per scenario, a row per
//! figure, a column per server (the median over its runs; counts of lost
//! updates are summed), and our ratio to each peer.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::results::{Run, group, is_ours, median, number};

/// Which way a figure is good.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Better {
    Lower,
    Higher,
    /// Must be zero (lost updates).
    Zero,
    /// Context, not a score.
    Neither,
}

/// One row: a figure read from each result line.
struct Figure {
    name: &'static str,
    better: Better,
    /// Summed over runs instead of the median (counts that must stay zero).
    sum: bool,
    value: fn(&Value) -> Option<f64>,
}

const fn fig(name: &'static str, better: Better, value: fn(&Value) -> Option<f64>) -> Figure {
    Figure {
        name,
        better,
        sum: false,
        value,
    }
}

const fn total(name: &'static str, better: Better, value: fn(&Value) -> Option<f64>) -> Figure {
    Figure {
        name,
        better,
        sum: true,
        value,
    }
}

/// The rows shown for each command's results.
fn figures(cmd: &str) -> Vec<Figure> {
    use Better::*;
    match cmd {
        "connect" => vec![
            fig("KiB per idle connection", Lower, |v| {
                number(v, "kib_per_conn")
            }),
            fig("server RSS after, MiB", Lower, |v| {
                number(v, "rss_after_kib").map(|k| k / 1024.0)
            }),
            fig("connect+sync p50 ms", Lower, |v| {
                number(v, "connect_sync/p50_ms")
            }),
            fig("connect+sync p99 ms", Lower, |v| {
                number(v, "connect_sync/p99_ms")
            }),
            fig("connections held", Higher, |v| number(v, "held")),
        ],
        "fanout" => vec![
            fig("e2e p50 ms", Lower, |v| number(v, "latency/p50_ms")),
            fig("e2e p90 ms", Lower, |v| number(v, "latency/p90_ms")),
            fig("e2e p99 ms", Lower, |v| number(v, "latency/p99_ms")),
            fig("e2e p99.9 ms", Lower, |v| number(v, "latency/p999_ms")),
            fig("e2e max ms", Lower, |v| number(v, "latency/max_ms")),
            fig("delivered %", Higher, |v| {
                percent(v, "deliveries_received", "deliveries_expected")
            }),
            fig("converged clients %", Higher, |v| {
                percent(v, "converged_clients", "total_clients")
            }),
            fig("server CPU %", Lower, |v| number(v, "server_cpu_pct")),
        ],
        "ack" => vec![
            fig("update→ack p50 ms", Lower, |v| {
                number(v, "ack_latency/p50_ms")
            }),
            fig("update→ack p99 ms", Lower, |v| {
                number(v, "ack_latency/p99_ms")
            }),
            fig("update→ack max ms", Lower, |v| {
                number(v, "ack_latency/max_ms")
            }),
            fig("updates/s", Higher, |v| number(v, "updates_per_s")),
            fig("server CPU %", Lower, |v| number(v, "server_cpu_pct")),
        ],
        "burst" => vec![
            fig("deliveries/s", Higher, |v| number(v, "deliveries_per_s")),
            fig("updates sent/s", Higher, |v| number(v, "sent_per_s")),
            fig("time to converge, s", Lower, |v| number(v, "converge_s")),
            fig("delivered %", Higher, |v| {
                percent(v, "deliveries_received", "deliveries_expected")
            }),
            fig("server CPU %", Lower, |v| number(v, "server_cpu_pct")),
        ],
        "durability" => vec![
            total("SIGKILLs", Neither, |v| number(v, "kills")),
            total("updates sent", Neither, |v| number(v, "updates_sent")),
            total("acked", Neither, |v| number(v, "acked")),
            total("acked lost", Zero, |v| number(v, "acked_lost")),
            total("unacked at the kill", Neither, |v| {
                number(v, "unacked_at_kill")
            }),
            total("… already stored", Neither, |v| {
                number(v, "unacked_persisted")
            }),
            total("… recovered by the resend", Higher, |v| {
                number(v, "unacked_recovered")
            }),
            total("… lost after the resend", Zero, |v| {
                number(v, "unacked_lost")
            }),
            fig("restart to ready p50 ms", Lower, |v| {
                number(v, "restart/p50_ms")
            }),
        ],
        "cold-load" => vec![
            fig("open snapshot+tail p50 ms", Lower, |v| {
                number(v, "open_snapshot_tail/p50_ms")
            }),
            fig("open snapshot+tail p99 ms", Lower, |v| {
                number(v, "open_snapshot_tail/p99_ms")
            }),
            fig("open snapshot+tail max ms", Lower, |v| {
                number(v, "open_snapshot_tail/max_ms")
            }),
            fig("open many-versions doc p50 ms", Lower, |v| {
                number(v, "open_many_versions/p50_ms")
            }),
            fig("open many-versions doc p99 ms", Lower, |v| {
                number(v, "open_many_versions/p99_ms")
            }),
            fig("open compacted p50 ms", Lower, |v| {
                number(v, "open_compacted/p50_ms")
            }),
            fig("open compacted p99 ms", Lower, |v| {
                number(v, "open_compacted/p99_ms")
            }),
            fig("read version 1 p50 ms (cold)", Lower, |v| {
                number(v, "read_version_1/p50_ms")
            }),
            fig("read version 1 p99 ms (cold)", Lower, |v| {
                number(v, "read_version_1/p99_ms")
            }),
            fig("read latest version p50 ms (cold)", Lower, |v| {
                number(v, "read_version_latest/p50_ms")
            }),
            fig("read latest version p99 ms (cold)", Lower, |v| {
                number(v, "read_version_latest/p99_ms")
            }),
            fig("read version 1 p50 ms (warm)", Lower, |v| {
                number(v, "read_version_1_warm/p50_ms")
            }),
            fig("read latest version p50 ms (warm)", Lower, |v| {
                number(v, "read_version_latest_warm/p50_ms")
            }),
        ],
        _ => Vec::new(),
    }
}

fn percent(v: &Value, part: &str, whole: &str) -> Option<f64> {
    let (p, w) = (number(v, part)?, number(v, whole)?);
    (w > 0.0).then(|| p / w * 100.0)
}

/// What was run, from the first result line of a scenario (and all of them where they differ).
fn shape(v: &Value, all: &[&Value]) -> String {
    let n = |k: &str| v[k].to_string();
    match v["cmd"].as_str().unwrap_or("") {
        "connect" => format!(
            "{} idle connections over {} documents",
            n("conns"),
            n("docs")
        ),
        "fanout" => format!(
            "{} doc × {} clients, {} writers × {}/s, {} s",
            n("docs"),
            n("clients"),
            n("writers"),
            n("rate"),
            n("seconds")
        ),
        "ack" => format!(
            "{} docs, {} updates/s in total on `?ack=1` sockets, {} s",
            n("docs"),
            n("rate"),
            n("seconds")
        ),
        "burst" => format!(
            "{} clients on one document × {} updates each, as fast as they go",
            n("clients"),
            n("updates_per_client")
        ),
        "durability" => {
            let kills: Vec<u64> = all
                .iter()
                .filter_map(|r| r["kill_after_ms"].as_array())
                .flatten()
                .filter_map(Value::as_u64)
                .collect();
            let seeds: Vec<String> = all.iter().map(|r| r["seed"].to_string()).collect();
            format!(
                "{} docs × {} writers × {}/s on `?ack=1` sockets, SIGKILL {}–{} ms after writing starts (seeds {}), restart on the same database",
                n("docs"),
                n("writers_per_doc"),
                n("rate"),
                kills.iter().min().unwrap_or(&0),
                kills.iter().max().unwrap_or(&0),
                seeds.join(", "),
            )
        }
        "cold-load" => format!(
            "snapshot of {} updates + tail of {} un-compacted ones ({} KiB); {} versions; {} samples, each after a restart (compacted: after idle unload)",
            n("history"),
            n("tail"),
            v["state_bytes"].as_u64().unwrap_or(0) / 1024,
            n("latest_version"),
            n("samples")
        ),
        other => other.to_string(),
    }
}

/// The peers' own save windows, for the durability table: they do not ack durably.
const DURABILITY_NOTE: &str = "Peers not run: neither acks durably. @y/websocket-server keeps documents in memory unless `YPERSISTENCE` names a LevelDB folder (y-leveldb then stores updates as they come, without telling the client); Hocuspocus stores only through an extension's `onStoreDocument`, debounced (2 s by default, at most 10 s), and its `[8][1]` SyncStatus means \"applied in memory\".";

/// What run-bench.sh's two Rocqet burst servers are.
const BURST_NOTE: &str = "`rocqet` ran with its per-connection limits raised (`ROCQET_UPDATES_PER_SEC=1000000`, `ROCQET_OUTBOX_FRAMES=100000`), as the peers have none; `rocqet-defaults` with the shipped ones (500 updates/s with bursts of 1,000, then 4429; a socket 1,024 frames behind is closed with 1013).";

/// Writes `tables.md` (every scenario) and `table-SCENARIO.md` (each); returns the paths.
pub fn write(runs: &[Run], out: &Path) -> Result<Vec<PathBuf>, String> {
    let mut all = String::new();
    let mut written = Vec::new();
    let mut scenarios: Vec<_> = group(runs).into_iter().collect();
    scenarios.sort_by_key(|(name, by_server)| {
        let cmd = by_server
            .values()
            .flatten()
            .next()
            .and_then(|v| v["cmd"].as_str())
            .unwrap_or("");
        order(cmd, name)
    });
    for (scenario, by_server) in scenarios {
        let Some(first) = by_server.values().flatten().next() else {
            continue;
        };
        let cmd = first["cmd"].as_str().unwrap_or("");
        let rows = figures(cmd);
        if rows.is_empty() {
            continue;
        }
        let mut servers: Vec<&str> = by_server.keys().copied().collect();
        // Ours first, then the peers in the README's order.
        servers.sort_by_key(|s| (!is_ours(s), *s != "yws", *s != "hocuspocus", *s));
        let ours = servers.iter().copied().find(|s| is_ours(s));
        let peers: Vec<&str> = servers.iter().copied().filter(|s| !is_ours(s)).collect();
        let mut md = String::new();
        let results: Vec<&Value> = by_server.values().flatten().copied().collect();
        let _ = writeln!(
            md,
            "### {scenario}\n\n`{cmd}`: {}\n",
            shape(first, &results)
        );
        let mut header = String::from("| |");
        let mut rule = String::from("|---|");
        for s in &servers {
            let _ = write!(header, " {s} |");
            rule.push_str("--:|");
        }
        if let Some(ours) = ours {
            for p in &peers {
                let _ = write!(header, " {ours} ÷ {p} |");
                rule.push_str("--:|");
            }
        }
        let _ = writeln!(md, "{header}\n{rule}");
        for row in &rows {
            let value_of = |server: &str| -> Option<f64> {
                let values: Vec<f64> = by_server[server]
                    .iter()
                    .filter_map(|v| (row.value)(v))
                    .collect();
                if row.sum {
                    (!values.is_empty()).then(|| values.iter().sum())
                } else {
                    median(values)
                }
            };
            let values: Vec<Option<f64>> = servers.iter().map(|s| value_of(s)).collect();
            if values.iter().all(Option::is_none) {
                continue;
            }
            let _ = write!(md, "| {}{} |", row.name, direction(row.better));
            for v in &values {
                let _ = write!(md, " {} |", v.map(format_value).unwrap_or("–".into()));
            }
            if let Some(ours) = ours {
                let mine = value_of(ours);
                for p in &peers {
                    let ratio = match (mine, value_of(p)) {
                        (Some(a), Some(b)) if b != 0.0 && row.better != Better::Neither => {
                            format!("{:.2}×", a / b)
                        }
                        _ => "–".into(),
                    };
                    let _ = write!(md, " {ratio} |");
                }
            }
            md.push('\n');
        }
        let _ = write!(md, "| runs |");
        for s in &servers {
            let _ = write!(md, " {} |", by_server[s].len());
        }
        if ours.is_some() {
            for _ in &peers {
                md.push_str(" |");
            }
        }
        md.push('\n');
        if cmd == "durability" {
            let _ = writeln!(md, "\n{DURABILITY_NOTE}");
        }
        if cmd == "burst" && servers.contains(&"rocqet-defaults") {
            let _ = writeln!(md, "\n{BURST_NOTE}");
        }
        let path = out.join(format!("table-{scenario}.md"));
        std::fs::write(&path, &md).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
        all.push_str(&md);
        all.push('\n');
    }
    let path = out.join("tables.md");
    std::fs::write(&path, all).map_err(|e| format!("{}: {e}", path.display()))?;
    written.push(path);
    Ok(written)
}

/// Tables in the order of the goals (fan-out, burst, memory, durability,
/// then the rest); within a command, the scenarios named after it first
/// (`fanout1`, `fanout100`, then the `fanload` sweep), then by the number in
/// the name (`fanload50` before `fanload100`).
fn order(cmd: &str, scenario: &str) -> (usize, bool, String, u64) {
    let rank = [
        "fanout",
        "burst",
        "connect",
        "durability",
        "ack",
        "cold-load",
    ]
    .iter()
    .position(|c| *c == cmd)
    .unwrap_or(usize::MAX);
    let digits = scenario.trim_start_matches(|c: char| !c.is_ascii_digit());
    let stem = &scenario[..scenario.len() - digits.len()];
    (
        rank,
        stem != cmd,
        stem.to_string(),
        digits.parse().unwrap_or(0),
    )
}

fn direction(b: Better) -> &'static str {
    match b {
        Better::Lower => " ↓",
        Better::Higher => " ↑",
        Better::Zero => " (must be 0)",
        Better::Neither => "",
    }
}

/// Whole numbers (and anything from 100 up) with thousands separators; else one decimal below 100, two below 10.
fn format_value(v: f64) -> String {
    if v.abs() >= 100.0 || v.fract() == 0.0 {
        let whole = format!("{:.0}", v.abs());
        let mut out = String::new();
        for (i, ch) in whole.chars().enumerate() {
            if i > 0 && (whole.len() - i) % 3 == 0 {
                out.push(',');
            }
            out.push(ch);
        }
        if v < 0.0 { format!("-{out}") } else { out }
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::results::Run;
    use serde_json::json;

    #[test]
    fn orders_scenarios_by_goal_then_number() {
        let mut names = [
            ("connect", "connect"),
            ("fanout", "fanload100"),
            ("fanout", "fanload50"),
            ("fanout", "fanout1"),
            ("fanout", "fanout100"),
            ("burst", "burst"),
        ];
        names.sort_by_key(|(cmd, name)| order(cmd, name));
        let names: Vec<_> = names.iter().map(|(_, n)| *n).collect();
        assert_eq!(
            names,
            [
                "fanout1",
                "fanout100",
                "fanload50",
                "fanload100",
                "burst",
                "connect"
            ]
        );
    }

    #[test]
    fn formats_values() {
        assert_eq!(format_value(96123.4), "96,123");
        assert_eq!(format_value(12.34), "12.3");
        assert_eq!(format_value(1.234), "1.23");
        assert_eq!(format_value(100.0), "100");
        assert_eq!(format_value(2.0), "2");
        assert_eq!(format_value(0.0), "0");
    }

    #[test]
    fn table_has_each_server_and_our_ratio() {
        let run = |server: &str, p99: f64| Run {
            scenario: "fanout1".into(),
            server: server.into(),
            value: json!({"cmd": "fanout", "docs": 1, "clients": 50, "writers": 5, "rate": 10.0,
                          "seconds": 20, "latency": {"p99_ms": p99}}),
        };
        let runs = vec![run("rocqet", 1.0), run("rocqet", 3.0), run("yws", 4.0)];
        let dir = std::env::temp_dir().join(format!("rocqet-load-tables-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        write(&runs, &dir).unwrap();
        let md = std::fs::read_to_string(dir.join("table-fanout1.md")).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(md.contains("| | rocqet | yws | rocqet ÷ yws |"), "{md}");
        assert!(md.contains("| e2e p99 ms ↓ | 2 | 4 | 0.50× |"), "{md}");
        assert!(md.contains("| runs | 2 | 1 | |"), "{md}");
    }
}
