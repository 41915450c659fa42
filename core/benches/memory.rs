//! Memory per key: pacekeeper's keyed limiter beside governor's keyed (hashmap) limiter, both
//! holding the same 100,000 keys, measured with a counting allocator in one run.
//!
//! `cargo bench -p pacekeeper --bench memory` (see BENCHMARKS.md).
#![allow(clippy::unwrap_used)] // a benchmark that fails should stop loudly

use governor::clock::FakeRelativeClock;
use governor::{Quota, RateLimiter};
use pacekeeper::bucket::{KeyState, Limit, Limiter, LimiterConfig};
use std::alloc::{GlobalAlloc, Layout, System};
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicUsize, Ordering};

struct Counting;
static LIVE: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator and only counts bytes.
#[allow(unsafe_code)]
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        LIVE.fetch_add(l.size(), Ordering::Relaxed);
        // SAFETY: same layout contract as the caller's.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        LIVE.fetch_sub(l.size(), Ordering::Relaxed);
        // SAFETY: p was allocated by System with l.
        unsafe { System.dealloc(p, l) }
    }
}

#[global_allocator]
static A: Counting = Counting;

const KEYS: usize = 100_000;

fn main() {
    let keys: Vec<String> = (0..KEYS).map(|i| format!("tenant-{i:06}")).collect();
    let key_bytes: usize = keys.iter().map(String::len).sum();

    let before = LIVE.load(Ordering::Relaxed);
    let cfg = LimiterConfig {
        limits: vec![Limit::new(300, 60_000).with_burst(15)],
        ..Default::default()
    };
    let mut ours = Limiter::new(cfg).unwrap();
    for k in &keys {
        ours.check(k, 1, 1_700_000_000_000).unwrap();
    }
    let ours_bytes = LIVE.load(Ordering::Relaxed) - before;

    let before = LIVE.load(Ordering::Relaxed);
    let clock = FakeRelativeClock::default();
    let gov = RateLimiter::hashmap_with_clock(
        Quota::per_minute(NonZeroU32::new(300).unwrap()).allow_burst(NonZeroU32::new(15).unwrap()),
        clock,
    );
    for k in &keys {
        let _ = gov.check_key(k);
    }
    let gov_bytes = LIVE.load(Ordering::Relaxed) - before;

    println!(
        "keys: {KEYS} (key text {:.1} bytes each)",
        key_bytes as f64 / KEYS as f64
    );
    println!(
        "pacekeeper KeyState (the per-key state itself): {} bytes",
        std::mem::size_of::<KeyState>()
    );
    println!(
        "pacekeeper Limiter, heap per key incl. map and key: {:.1} bytes",
        ours_bytes as f64 / KEYS as f64
    );
    println!(
        "governor hashmap RateLimiter, heap per key incl. map and key: {:.1} bytes",
        gov_bytes as f64 / KEYS as f64
    );
    println!(
        "ratio pacekeeper/governor: {:.2}",
        ours_bytes as f64 / gov_bytes as f64
    );
    std::hint::black_box((&ours, &gov));
}
