//! # pacekeeper
//!
//! A pure, deterministic rate-limit and backoff engine. Time comes in as `now` (integer epoch
//! milliseconds) and randomness from a seed, so the same inputs give the same outputs on every
//! platform, wasm32 included. Nothing here reads a clock, draws unseeded randomness, does I/O,
//! spawns threads or panics; arithmetic saturates. "Wait until T" is a value, never an error:
//! errors are for invalid input and carry a stable [`ErrorCode`].
//!
//! - [`headers`]: response headers (and a Genesys 429 body) → one normalized [`Reading`].
//! - [`bucket`]: keyed GCRA token buckets with several limits at once, reservations, re-sync
//!   from readings, an adaptive rate and an in-flight cap.
//! - [`backoff`]: jittered backoff with the server's word as a floor, escalation of short hints,
//!   a shared retry budget, and give-up as a decision with a reason.
//! - [`plan`](mod@plan): bulk batching plans with send times, and replanning.
//! - [`pacer`]: the whole client policy (send, wait, retry, probe, give up) as a sans-IO state
//!   machine that every runtime's shell drives.
//!
//! ```
//! use pacekeeper::{parse, ParseOptions, Limiter, LimiterConfig, Limit, Verdict};
//! let mut limiter = Limiter::new(LimiterConfig {
//!     limits: vec![Limit::new(300, 60_000).with_burst(15)],
//!     ..Default::default()
//! }).unwrap();
//! let now = 1_700_000_000_000;
//! assert!(matches!(limiter.check("tenant-a", 1, now).unwrap(), Verdict::Allow { .. }));
//! // The server said 429 with Retry-After: 30 — nothing for this tenant for 30 s.
//! let reading = parse(429, &[("Retry-After", "30")], None, now, &ParseOptions::default()).unwrap();
//! limiter.observe("tenant-a", &reading, now).unwrap();
//! assert_eq!(
//!     limiter.check("tenant-a", 1, now).unwrap(),
//!     Verdict::Wait { until: now + 30_000, wait_ms: 30_000 }
//! );
//! ```
#![forbid(unsafe_code)]
#![deny(missing_docs)]

pub mod backoff;
pub mod bucket;
pub mod error;
pub mod headers;
pub mod httpdate;
pub mod map;
#[doc(hidden)]
pub mod msg;
pub mod pacer;
pub mod plan;
mod sf;
mod shape;
pub mod shared;
pub mod vocab;

pub use backoff::{
    Backoff, BackoffPolicy, Decision, GiveUpReason, Jitter, Outcome, RetryBudget, RetryReason,
    RetryState,
};
pub use bucket::{AdaptiveConfig, KeyState, Limit, Limiter, LimiterConfig, LimiterState, Verdict};
pub use error::{Error, ErrorCode, Result};
pub use headers::{parse, ParseOptions, Reading, ResetMode};
pub use map::VecMap;
pub use pacer::{
    After, NeverReason, Pacer, PacerConfig, PacerState, Preset, SharedPacing, Step, StoreCall,
};
pub use plan::{plan, replan, Batch, BatchOutcome, Plan, PlanRequest};

/// The latest instant the core computes with, epoch ms: 2^53 − 1, the largest integer every
/// host (a JavaScript number included) represents exactly, about the year 287,000.
///
/// A `now` beyond it counts as `MAX_TIME`, and every time the limiter and the backoff return
/// (`Verdict::Wait::until`, `Decision::Retry::at`) saturates there instead of growing past it:
/// no runtime ever sees a rounded time. Saturation never grants capacity: a request that could
/// only be admitted after `MAX_TIME` waits until `MAX_TIME` and is neither admitted nor booked.
pub const MAX_TIME: u64 = (1 << 53) - 1;

/// The key of a bearer token's budget, the same in every runtime (so a Node and a Python process
/// pacing one OAuth client share its budget): `token:` and the token's 64-bit FNV-1a hash in 16
/// lowercase hex digits, never the token itself; `anonymous` for an empty token.
///
/// ```
/// assert_eq!(pacekeeper::token_key(""), "anonymous");
/// assert_eq!(pacekeeper::token_key("abc"), "token:e71fa2190541574b");
/// ```
pub fn token_key(token: &str) -> String {
    if token.is_empty() {
        return "anonymous".to_owned();
    }
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in token.bytes() {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(22);
    out.push_str("token:");
    for i in (0..16).rev() {
        out.push(char::from(HEX[((h >> (i * 4)) & 0xf) as usize]));
    }
    out
}

/// The README's Rust examples, compiled and run as doctests.
#[doc = include_str!("../../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
