//! The report's charts, drawn with plotters' SVG backend: latency percentiles
//! against fan-out load, and server memory against idle connections. The SVG
//! backend writes text as `<text>` elements and plotters' built-in font
//! metrics only estimate their width, so no font files or fontconfig are needed.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use plotters::prelude::*;
use serde_json::Value;

use crate::results::{Run, median, number};

/// One server's figures at one x value (medians over its runs).
#[derive(Debug, Clone, Copy, PartialEq)]
struct Point {
    x: f64,
    a: f64,
    b: f64,
}

/// Server name → its points, in x order.
type Series = BTreeMap<String, Vec<Point>>;

/// Writes `latency-vs-load.svg` and `memory-vs-connections.svg` when the runs have what they need; returns the paths written.
pub fn draw(runs: &[Run], out: &Path) -> Result<Vec<PathBuf>, String> {
    let mut written = Vec::new();
    if let Some((title, series)) = latency_series(runs) {
        let path = out.join("latency-vs-load.svg");
        latency_chart(&path, &title, &series).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    let series = memory_series(runs);
    if !series.is_empty() {
        let path = out.join("memory-vs-connections.svg");
        memory_chart(&path, &series).map_err(|e| format!("{}: {e}", path.display()))?;
        written.push(path);
    }
    Ok(written)
}

/// Fan-out runs of one shape (docs × clients × writers) at several rates: the
/// shape with the most distinct rates. x = deliveries/s offered, a = p50, b = p99.
fn latency_series(runs: &[Run]) -> Option<(String, Series)> {
    let shape = |v: &Value| -> Option<(u64, u64, u64)> {
        Some((
            v["docs"].as_u64()?,
            v["clients"].as_u64()?,
            v["writers"].as_u64()?,
        ))
    };
    let mut rates: BTreeMap<(u64, u64, u64), Vec<u64>> = BTreeMap::new();
    for r in runs.iter().filter(|r| r.value["cmd"] == "fanout") {
        if let (Some(s), Some(rate)) = (shape(&r.value), number(&r.value, "rate")) {
            let per_mille = (rate * 1000.0).round() as u64;
            let seen = rates.entry(s).or_default();
            if !seen.contains(&per_mille) {
                seen.push(per_mille);
            }
        }
    }
    let (&(docs, clients, writers), _) = rates.iter().max_by_key(|(_, r)| r.len())?;
    let mut at: BTreeMap<(String, u64), Vec<(f64, f64)>> = BTreeMap::new();
    for r in runs.iter().filter(|r| r.value["cmd"] == "fanout") {
        if shape(&r.value) != Some((docs, clients, writers)) {
            continue;
        }
        let (Some(rate), Some(p50), Some(p99)) = (
            number(&r.value, "rate"),
            number(&r.value, "latency/p50_ms"),
            number(&r.value, "latency/p99_ms"),
        ) else {
            continue;
        };
        let offered = (docs * writers * clients.saturating_sub(1)) as f64 * rate;
        at.entry((r.server.clone(), offered.round() as u64))
            .or_default()
            .push((p50, p99));
    }
    let series = medians(at);
    let title = format!(
        "Fan-out latency vs load ({docs} doc × {clients} clients, {writers} writers; medians of runs)"
    );
    (!series.is_empty()).then_some((title, series))
}

/// Connect runs by connection count: x = connections, a = RSS growth MiB, b = KiB per connection.
fn memory_series(runs: &[Run]) -> Series {
    let mut at: BTreeMap<(String, u64), Vec<(f64, f64)>> = BTreeMap::new();
    for r in runs.iter().filter(|r| r.value["cmd"] == "connect") {
        let v = &r.value;
        let (Some(held), Some(before), Some(after), Some(per)) = (
            number(v, "held"),
            number(v, "rss_before_kib"),
            number(v, "rss_after_kib"),
            number(v, "kib_per_conn"),
        ) else {
            continue;
        };
        let conns = v["conns"].as_u64().unwrap_or(held as u64);
        at.entry((r.server.clone(), conns))
            .or_default()
            .push(((after - before) / 1024.0, per));
    }
    medians(at)
}

/// Per server and x, the medians of both figures.
fn medians(at: BTreeMap<(String, u64), Vec<(f64, f64)>>) -> Series {
    let mut series = Series::new();
    for ((server, x), values) in at {
        let a = median(values.iter().map(|v| v.0).collect());
        let b = median(values.iter().map(|v| v.1).collect());
        if let (Some(a), Some(b)) = (a, b) {
            series
                .entry(server)
                .or_default()
                .push(Point { x: x as f64, a, b });
        }
    }
    series
}

/// Our server first in blue; the peers in colours of their own.
fn colour(server: &str) -> RGBColor {
    match server {
        s if s.starts_with(crate::results::OURS) => RGBColor(31, 119, 180),
        "yws" => RGBColor(255, 127, 14),
        "hocuspocus" => RGBColor(44, 160, 44),
        _ => RGBColor(148, 103, 189),
    }
}

type DrawResult = Result<(), Box<dyn std::error::Error>>;

/// p99 solid with dots, p50 dashed, one colour per server; latency on a log
/// scale (it spans decades as a server saturates), load linear (a few points).
fn latency_chart(path: &Path, title: &str, series: &Series) -> DrawResult {
    let points = series.values().flatten();
    let (x0, x1) = bounds(points.clone().map(|p| p.x));
    let (y0, y1) = bounds(points.flat_map(|p| [p.a, p.b]));
    let root = SVGBackend::new(path, (960, 540)).into_drawing_area();
    root.fill(&WHITE)?;
    let mut chart = ChartBuilder::on(&root)
        .caption(title, ("sans-serif", 18))
        .margin(16)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d(
            (x0 * 0.9 - (x1 - x0) * 0.05).max(0.0)..x1 * 1.05,
            ((y0 / 1.5).max(0.01)..y1 * 1.5).log_scale(),
        )?;
    chart
        .configure_mesh()
        .x_desc("deliveries/s offered (writers × rate × other clients)")
        .y_desc("end-to-end latency, ms")
        .x_label_formatter(&|x| format!("{x:.0}"))
        .y_label_formatter(&|y| format!("{y}"))
        .draw()?;
    for (server, points) in series {
        let c = colour(server);
        chart
            .draw_series(LineSeries::new(
                points.iter().map(|p| (p.x, p.b)),
                c.stroke_width(2),
            ))?
            .label(format!("{server} p99"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2)));
        chart.draw_series(
            points
                .iter()
                .map(|p| Circle::new((p.x, p.b), 4, c.filled())),
        )?;
        chart
            .draw_series(DashedLineSeries::new(
                points.iter().map(|p| (p.x, p.a)),
                6,
                4,
                c.stroke_width(1),
            ))?
            .label(format!("{server} p50"))
            .legend(move |(x, y)| PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(1)));
        chart.draw_series(
            points
                .iter()
                .map(|p| TriangleMarker::new((p.x, p.a), 4, c.filled())),
        )?;
    }
    chart
        .configure_series_labels()
        .position(SeriesLabelPosition::UpperLeft)
        .background_style(WHITE.mix(0.85))
        .border_style(BLACK)
        .draw()?;
    root.present()?;
    Ok(())
}

/// Two panels over connection counts: RSS growth, and KiB per connection.
fn memory_chart(path: &Path, series: &Series) -> DrawResult {
    let root = SVGBackend::new(path, (1100, 480)).into_drawing_area();
    root.fill(&WHITE)?;
    let root = root.titled(
        "Server memory vs idle connections (medians of runs)",
        ("sans-serif", 18),
    )?;
    let panels = root.split_evenly((1, 2));
    let (_, x1) = bounds(series.values().flatten().map(|p| p.x));
    for (panel, (desc, pick)) in panels.iter().zip([
        ("RSS growth, MiB", (|p: &Point| p.a) as fn(&Point) -> f64),
        ("KiB per connection", |p: &Point| p.b),
    ]) {
        let (_, y1) = bounds(series.values().flatten().map(pick));
        let mut chart = ChartBuilder::on(panel)
            .margin(16)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..x1 * 1.05, 0.0..y1 * 1.15)?;
        chart
            .configure_mesh()
            .x_desc("idle connections")
            .y_desc(desc)
            .x_label_formatter(&|x| format!("{x:.0}"))
            .draw()?;
        for (server, points) in series {
            let c = colour(server);
            chart
                .draw_series(LineSeries::new(
                    points.iter().map(|p| (p.x, pick(p))),
                    c.stroke_width(2),
                ))?
                .label(server.as_str())
                .legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], c.stroke_width(2))
                });
            chart.draw_series(
                points
                    .iter()
                    .map(|p| Circle::new((p.x, pick(p)), 4, c.filled())),
            )?;
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.85))
            .border_style(BLACK)
            .draw()?;
    }
    root.present()?;
    Ok(())
}

/// Smallest and largest finite value (1.0, 1.0 when there is none), widened if equal.
fn bounds(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if lo > hi {
        return (1.0, 1.0);
    }
    if lo == hi {
        (lo * 0.9, hi * 1.1 + 1e-9)
    } else {
        (lo, hi)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fanout(server: &str, rate: f64, p50: f64, p99: f64) -> Run {
        Run {
            scenario: format!("fanload-{rate}"),
            server: server.into(),
            value: json!({"cmd": "fanout", "docs": 1, "clients": 50, "writers": 5, "rate": rate,
                          "latency": {"p50_ms": p50, "p99_ms": p99}}),
        }
    }

    fn connect(server: &str, conns: u64, kib: f64) -> Run {
        Run {
            scenario: format!("conn-{conns}"),
            server: server.into(),
            value: json!({"cmd": "connect", "conns": conns, "held": conns,
                          "rss_before_kib": 10_000, "rss_after_kib": 10_000.0 + kib * conns as f64,
                          "kib_per_conn": kib}),
        }
    }

    #[test]
    fn draws_both_charts_as_svg_text() {
        let runs = vec![
            fanout("rocqet", 10.0, 0.5, 0.9),
            fanout("rocqet", 100.0, 0.7, 1.8),
            fanout("yws", 10.0, 1.0, 2.5),
            fanout("yws", 100.0, 2.0, 7.0),
            connect("rocqet", 1000, 3.0),
            connect("rocqet", 10_000, 3.2),
            connect("hocuspocus", 1000, 11.0),
            connect("hocuspocus", 10_000, 11.8),
        ];
        let (_, lat) = latency_series(&runs).unwrap();
        assert_eq!(
            lat["rocqet"][1],
            Point {
                x: 24_500.0,
                a: 0.7,
                b: 1.8
            }
        );
        let dir = std::env::temp_dir().join(format!("rocqet-load-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let written = draw(&runs, &dir).unwrap();
        assert_eq!(written.len(), 2);
        let svg = std::fs::read_to_string(dir.join("latency-vs-load.svg")).unwrap();
        assert!(
            svg.contains("<text") && svg.contains("rocqet p99"),
            "labels are SVG text"
        );
        let svg = std::fs::read_to_string(dir.join("memory-vs-connections.svg")).unwrap();
        assert!(svg.contains("KiB per connection") && svg.contains("hocuspocus"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
