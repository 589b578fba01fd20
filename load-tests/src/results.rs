//! `report`: reads the JSON result lines of a benchmark run
//! (`load-tests/results/DATE/*.json`, as run-bench.sh writes them), groups
//! them by scenario and server from their labels (`scenario/server/rN`), and
//! writes the charts (`plot`) and the markdown tables (`tables`) that
//! BENCHMARKS.md is assembled from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use clap::Args;
use serde_json::Value;

#[derive(Debug, Args)]
pub struct ReportArgs {
    /// Result files, or folders whose `*.json` files are read.
    #[arg(required = true)]
    pub inputs: Vec<PathBuf>,
    /// Only files whose name starts with this (run-bench.sh's HHMMSS stamp of one run).
    #[arg(long)]
    pub stamp: Option<String>,
    /// Where the SVGs and markdown go (default: `report-STAMP/` beside the first input).
    #[arg(long)]
    pub out_dir: Option<PathBuf>,
}

/// One result line with where it belongs.
#[derive(Debug, Clone)]
pub struct Run {
    pub scenario: String,
    pub server: String,
    pub value: Value,
}

/// Results by scenario, then server; both in name order.
pub type Grouped<'a> = BTreeMap<&'a str, BTreeMap<&'a str, Vec<&'a Value>>>;

/// Our servers' names start with this (`rocqet`, `rocqet-pg`, `rocqet-sqlite`); the rest are peers.
pub const OURS: &str = "rocqet";

pub fn run(args: ReportArgs) -> Result<(), String> {
    let files = result_files(&args.inputs, args.stamp.as_deref())?;
    if files.is_empty() {
        return Err("no result files found".into());
    }
    let mut runs = Vec::new();
    for file in &files {
        let text = std::fs::read_to_string(file).map_err(|e| format!("{}: {e}", file.display()))?;
        for (n, line) in text.lines().enumerate() {
            if line.trim().is_empty() {
                continue;
            }
            let value: Value = serde_json::from_str(line)
                .map_err(|e| format!("{}:{}: {e}", file.display(), n + 1))?;
            runs.push(classify(value));
        }
    }
    let out = match &args.out_dir {
        Some(dir) => dir.clone(),
        None => default_out(&args.inputs[0], args.stamp.as_deref()),
    };
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut written = crate::plot::draw(&runs, &out)?;
    written.extend(crate::tables::write(&runs, &out)?);
    eprintln!(
        "report: {} results from {} files -> {}",
        runs.len(),
        files.len(),
        out.display()
    );
    for path in written {
        println!("{}", path.display());
    }
    Ok(())
}

/// `*.json` under each input folder (not recursing), plus inputs that are files.
fn result_files(inputs: &[PathBuf], stamp: Option<&str>) -> Result<Vec<PathBuf>, String> {
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let entries =
                std::fs::read_dir(input).map_err(|e| format!("{}: {e}", input.display()))?;
            for entry in entries {
                let path = entry.map_err(|e| e.to_string())?.path();
                if path.extension().is_some_and(|e| e == "json") {
                    files.push(path);
                }
            }
        } else {
            files.push(input.clone());
        }
    }
    if let Some(stamp) = stamp {
        files.retain(|f| {
            f.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with(stamp))
        });
    }
    files.sort();
    Ok(files)
}

fn default_out(first: &Path, stamp: Option<&str>) -> PathBuf {
    let dir = if first.is_dir() {
        first.to_path_buf()
    } else {
        first.parent().map(Path::to_path_buf).unwrap_or_default()
    };
    dir.join(match stamp {
        Some(s) => format!("report-{s}"),
        None => "report".to_string(),
    })
}

/// Scenario and server from the label run-bench.sh sets; for a hand-made run,
/// the command and the target (plus the database backend, where there is one).
fn classify(value: Value) -> Run {
    let label = value["label"].as_str().unwrap_or("");
    let mut parts = label.split('/');
    let (scenario, server) = match (parts.next(), parts.next()) {
        (Some(s), Some(v)) if !s.is_empty() && !v.is_empty() => (s.to_string(), v.to_string()),
        _ => {
            let cmd = value["cmd"].as_str().unwrap_or("unknown").to_string();
            let target = value["target"].as_str().unwrap_or("unknown");
            let server = match value["backend"].as_str() {
                Some(b) => format!("{target}-{b}"),
                None => target.to_string(),
            };
            (cmd, server)
        }
    };
    Run {
        scenario,
        server,
        value,
    }
}

/// Runs by scenario and server.
pub fn group(runs: &[Run]) -> Grouped<'_> {
    let mut out: Grouped<'_> = BTreeMap::new();
    for r in runs {
        out.entry(r.scenario.as_str())
            .or_default()
            .entry(r.server.as_str())
            .or_default()
            .push(&r.value);
    }
    out
}

/// A number at a `/`-separated path (`latency/p99_ms`).
pub fn number(value: &Value, path: &str) -> Option<f64> {
    path.split('/')
        .try_fold(value, |v, key| v.get(key))
        .and_then(Value::as_f64)
}

/// The median of the values present.
pub fn median(mut values: Vec<f64>) -> Option<f64> {
    values.retain(|v| v.is_finite());
    if values.is_empty() {
        return None;
    }
    values.sort_by(f64::total_cmp);
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]) / 2.0
    })
}

/// Is this server one of ours (the others are the peers compared with)?
pub fn is_ours(server: &str) -> bool {
    server.starts_with(OURS)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn medians_and_paths() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(vec![4.0, 1.0]), Some(2.5));
        assert_eq!(median(vec![]), None);
        let v = json!({"latency": {"p99_ms": 1.5}});
        assert_eq!(number(&v, "latency/p99_ms"), Some(1.5));
        assert_eq!(number(&v, "latency/p50_ms"), None);
    }

    #[test]
    fn labels_name_scenario_and_server() {
        let r =
            classify(json!({"cmd": "fanout", "target": "rocqet", "label": "fanout1/rocqet/r2"}));
        assert_eq!(
            (r.scenario.as_str(), r.server.as_str()),
            ("fanout1", "rocqet")
        );
        let r = classify(
            json!({"cmd": "durability", "target": "rocqet", "backend": "sqlite", "label": ""}),
        );
        assert_eq!(
            (r.scenario.as_str(), r.server.as_str()),
            ("durability", "rocqet-sqlite")
        );
    }
}
