//! `make sim`: runs the simulator's matrix, prints Markdown tables and writes an SVG chart.
//!
//! Usage: `sim [--runs N] [--svg PATH]` (defaults: 5 seeded runs per cell, no chart).
use pacekeeper_sim::{run_seeds, Metrics, ServerKind, Strategy, Workload};
use std::fmt::Write as _;

fn mean(x: u64, runs: u64) -> f64 {
    x as f64 / runs as f64
}

fn table(w: &Workload, kinds: &[ServerKind], runs: u64) -> Vec<(ServerKind, Strategy, Metrics)> {
    let mut rows = Vec::new();
    println!(
        "\n### {} ({} instance(s) × {} worker(s) × {} call(s); server {} /s, burst {} per key; mean of {runs} seeds)\n",
        w.name, w.instances, w.workers, w.calls, w.rate, w.burst
    );
    println!("| server | client | calls | 429s | early retries | lost | completion s | × oracle |");
    println!("|---|---|--:|--:|--:|--:|--:|--:|");
    for &kind in kinds {
        let oracle = run_seeds(kind, Strategy::Oracle, w, runs);
        for s in Strategy::ALL {
            let m = if s == Strategy::Oracle {
                oracle
            } else {
                run_seeds(kind, s, w, runs)
            };
            let ratio = m.completion_ms as f64 / oracle.completion_ms.max(1) as f64;
            println!(
                "| {} | {} | {:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {:.2} |",
                kind.name(),
                s.name(),
                mean(m.calls, runs),
                mean(m.throttled, runs),
                mean(m.early, runs),
                mean(m.lost, runs),
                mean(m.completion_ms, runs) / 1000.0,
                ratio
            );
            rows.push((kind, s, m));
        }
    }
    rows
}

/// Two panels of horizontal bars (calls, completion) for one server model of one workload.
fn svg(title: &str, rows: &[(Strategy, Metrics)], runs: u64) -> String {
    let (w, row_h, left, panel_w) = (960.0, 26.0, 190.0, 340.0);
    let h = 70.0 + row_h * rows.len() as f64 + 30.0;
    let max_calls = rows.iter().map(|r| r.1.calls).max().unwrap_or(1).max(1) as f64;
    let max_done = rows
        .iter()
        .map(|r| r.1.completion_ms)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let mut s = String::new();
    let _ = write!(
        s,
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" viewBox=\"0 0 {w} {h}\" font-family=\"sans-serif\" font-size=\"13\">\n\
         <rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n\
         <text x=\"10\" y=\"22\" font-size=\"15\" font-weight=\"bold\">{title}</text>\n\
         <text x=\"{left}\" y=\"50\">calls (mean of {runs} seeds; fewer is better)</text>\n\
         <text x=\"{}\" y=\"50\">completion, s (shorter is better)</text>\n",
        left + panel_w + 60.0
    );
    for (i, (strategy, m)) in rows.iter().enumerate() {
        let y = 62.0 + row_h * i as f64;
        let color = match strategy {
            Strategy::Oracle => "#888888",
            Strategy::Pacekeeper | Strategy::PacekeeperConfigured => "#1b7f3b",
            _ => "#c0504d",
        };
        let calls = mean(m.calls, runs);
        let done = mean(m.completion_ms, runs) / 1000.0;
        let cw = panel_w * m.calls as f64 / max_calls;
        let dw = panel_w * m.completion_ms as f64 / max_done;
        let x2 = left + panel_w + 60.0;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>\n\
             <rect x=\"{left}\" y=\"{y}\" width=\"{cw:.1}\" height=\"{}\" fill=\"{color}\"/>\n\
             <text x=\"{:.1}\" y=\"{}\">{calls:.0}</text>\n\
             <rect x=\"{x2}\" y=\"{y}\" width=\"{dw:.1}\" height=\"{}\" fill=\"{color}\"/>\n\
             <text x=\"{:.1}\" y=\"{}\">{done:.1}</text>\n",
            left - 8.0,
            y + 15.0,
            strategy.name(),
            row_h - 8.0,
            left + cw + 4.0,
            y + 15.0,
            row_h - 8.0,
            x2 + dw + 4.0,
            y + 15.0
        );
    }
    s.push_str("</svg>\n");
    s
}

fn main() {
    let mut runs = 5u64;
    let mut svg_path: Option<String> = None;
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut i = 0;
    while i < args.len() {
        match args[i].as_str() {
            "--runs" => {
                runs = args
                    .get(i + 1)
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(runs)
                    .max(1);
                i += 1;
            }
            "--svg" => {
                svg_path = args.get(i + 1).cloned();
                i += 1;
            }
            other => {
                eprintln!("unknown argument {other}; usage: sim [--runs N] [--svg PATH]");
                std::process::exit(2);
            }
        }
        i += 1;
    }
    let contention = table(&Workload::CONTENTION, &ServerKind::ALL, runs);
    table(&Workload::TENANTS, &ServerKind::ALL, runs);
    table(&Workload::SHARED_TOKEN, &ServerKind::ALL, runs);
    if let Some(path) = svg_path {
        let rows: Vec<(Strategy, Metrics)> = contention
            .iter()
            .filter(|r| r.0 == ServerKind::TokenBucket && r.1 != Strategy::PacekeeperConfigured)
            .map(|r| (r.1, r.2))
            .collect();
        let title =
            "Simulator: 100 clients contending for one resource (token bucket 10/s, burst 5)";
        if let Err(e) = std::fs::write(&path, svg(title, &rows, runs)) {
            eprintln!("{path}: {e}");
            std::process::exit(1);
        }
        eprintln!("wrote {path}");
    }
}
