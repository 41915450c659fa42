//! A deterministic virtual-time simulator over the pacekeeper [`Pacer`](pacekeeper::pacer::Pacer).
//!
//! Server models × client strategies × workloads, all in virtual milliseconds: a run is a pure
//! function of its inputs and seed. Each request takes [`LATENCY_MS`] to come back; the server
//! decides at the instant the request is sent.
//!
//! Modules: `scenario` (server models, strategies, workloads, metrics), `server` (the server
//! models' answers), `client` (what the hand-written strategies compute, the pacer's config) and
//! `run` (the event loop of one run).

/// The round trip of every request, virtual ms.
pub const LATENCY_MS: u64 = 20;
/// The most attempts any strategy makes for one call (then the call is lost).
pub const MAX_ATTEMPTS: u32 = 30;
/// A run stops after this much virtual time (what is unfinished is lost).
pub const HORIZON_MS: u64 = 3_600_000;
/// The server clock's lead over the clients' in the skewed-clock model.
pub const SKEW_MS: u64 = 37_000;

mod client;
mod run;
mod scenario;
mod server;

pub use run::run;
pub use scenario::{Metrics, ServerKind, Strategy, Workload};

/// The sum of `runs` seeded runs (metrics are totals; divide by `runs` for means).
pub fn run_seeds(kind: ServerKind, strategy: Strategy, w: &Workload, runs: u64) -> Metrics {
    let mut total = Metrics::default();
    for seed in 1..=runs {
        total.add(&run(kind, strategy, w, seed));
    }
    total
}
