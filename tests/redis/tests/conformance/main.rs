//! The core's shared-budget model against a real `redis-server` running the core's Lua script.
//! Each test starts its own server (127.0.0.1, a free port, no persistence) and stops it by pid
//! when it ends, passes or panics. Without a `redis-server` binary the tests print SKIPPED, unless
//! `CI=true`: then they fail.
//!
//! `model` (the script agrees with the model), `leases` (leases, lockouts, expiry), `failures` (a
//! flushed cache, a paused or stopped store, bad arguments), `contention` (skewed clocks, 4 workers).

// A test fails by panicking; the helpers (common.rs) unwrap what the server must answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

mod common;
mod contention;
mod failures;
mod leases;
mod model;
mod pacers;
