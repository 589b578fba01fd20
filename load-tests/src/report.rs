//! Latency summaries and result output: one JSON line on stdout (and
//! optionally appended to a file), a human summary on stderr.

use std::collections::BTreeMap;
use std::io::Write;

use hdrhistogram::Histogram;
use serde_json::{Value, json};

/// Latencies in nanoseconds, summarised in milliseconds.
pub struct Latencies {
    hist: Histogram<u64>,
}

impl Latencies {
    pub fn new() -> Self {
        // 1 µs .. 10 min at 3 significant digits.
        let hist = Histogram::new_with_bounds(1_000, 600_000_000_000, 3)
            .unwrap_or_else(|_| Histogram::new(3).unwrap_or_else(|_| unreachable!()));
        Latencies { hist }
    }

    pub fn record_nanos(&mut self, nanos: u64) {
        self.hist.saturating_record(nanos.max(1_000));
    }

    pub fn record(&mut self, d: std::time::Duration) {
        self.record_nanos(u64::try_from(d.as_nanos()).unwrap_or(u64::MAX));
    }

    pub fn count(&self) -> u64 {
        self.hist.len()
    }

    /// `{count, p50, p90, p99, p999, max, mean}` in ms (null when empty).
    pub fn summary(&self) -> Value {
        if self.hist.is_empty() {
            return json!({"count": 0});
        }
        let ms = |v: u64| (v as f64 / 1e4).round() / 100.0; // ns -> ms, 2 decimals
        json!({
            "count": self.hist.len(),
            "p50_ms": ms(self.hist.value_at_quantile(0.50)),
            "p90_ms": ms(self.hist.value_at_quantile(0.90)),
            "p99_ms": ms(self.hist.value_at_quantile(0.99)),
            "p999_ms": ms(self.hist.value_at_quantile(0.999)),
            "max_ms": ms(self.hist.max()),
            "mean_ms": (self.hist.mean() / 1e4).round() / 100.0,
        })
    }
}

impl Default for Latencies {
    fn default() -> Self {
        Self::new()
    }
}

/// Error messages, counted.
#[derive(Default, Debug)]
pub struct Errors(BTreeMap<String, u64>);

impl Errors {
    pub fn add(&mut self, e: impl Into<String>) {
        let mut e: String = e.into();
        // Keep the class, not per-connection detail, so the map stays short.
        e.truncate(120);
        *self.0.entry(e).or_insert(0) += 1;
    }

    pub fn total(&self) -> u64 {
        self.0.values().sum()
    }

    pub fn to_json(&self) -> Value {
        json!(self.0)
    }
}

/// Prints the JSON result line and appends it to `out` if given.
pub fn emit(result: &Value, out: Option<&std::path::Path>) {
    let line = result.to_string();
    println!("{line}");
    if let Some(path) = out {
        let appended = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)
            .and_then(|mut f| writeln!(f, "{line}"));
        if let Err(e) = appended {
            eprintln!("could not write {}: {e}", path.display());
        }
    }
}

/// `p50/p99/max` of a summary as a short string.
pub fn brief(summary: &Value) -> String {
    format!(
        "p50 {} / p90 {} / p99 {} / p999 {} / max {} ms (n={})",
        summary["p50_ms"],
        summary["p90_ms"],
        summary["p99_ms"],
        summary["p999_ms"],
        summary["max_ms"],
        summary["count"]
    )
}
