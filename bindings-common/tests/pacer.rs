//! The pacer codec (`pacekeeper_bindings_common::pacer`): the flat configuration and the
//! numeric answers, as napi and wasm-bindgen use them.
#![allow(clippy::unwrap_used, clippy::float_cmp)]

use pacekeeper::backoff::Jitter;
use pacekeeper::pacer::{PacerConfig, Preset};
use pacekeeper::{ErrorCode, Limit};
use pacekeeper_bindings_common::pacer::{
    config_slot_names, pacer_config, HostPacer, CONFIG_SLOTS, OUT_SLOTS,
};
#[test]
fn all_nan_is_the_cores_default() {
    let flat = [f64::NAN; 21];
    assert_eq!(pacer_config(&flat, "").ok(), Some(PacerConfig::default()));
    assert_eq!(pacer_config(&[], "").ok(), Some(PacerConfig::default()));
}

#[test]
fn slots_and_lists() {
    let mut flat = vec![f64::NAN; 21];
    flat[0] = 0.0; // learn
    flat[1] = 0.0; // preset genesys
    flat[6] = 1.0; // budget
    flat[7] = 100.0; // capacity
    flat[15] = 0.0; // jitter none
    flat.extend([2.0, 429.0, 503.0, 1.0, 5.0, 1000.0, f64::NAN]);
    let c = pacer_config(&flat, "42").unwrap_or_default();
    assert!(!c.learn);
    assert_eq!(c.preset, Some(Preset::Genesys));
    assert_eq!(
        c.retry_budget.map(|b| (b.capacity, b.tokens)),
        Some((100, 100))
    );
    assert_eq!(c.backoff.jitter, Jitter::None);
    assert_eq!(c.backoff.retry_statuses, vec![429, 503]);
    assert_eq!(c.limits, vec![Limit::new(5, 1000)]);
    assert_eq!(c.seed, 42);
    assert_eq!(CONFIG_SLOTS.len(), config_slot_names().split(',').count());
}

#[test]
fn bad_slots_are_coded() {
    let code = |flat: &[f64], seed: &str| pacer_config(flat, seed).err().map(|e| e.code);
    assert_eq!(code(&[0.5], ""), Some(ErrorCode::InvalidNumber));
    assert_eq!(code(&[2.0], ""), Some(ErrorCode::InvalidArgument));
    assert_eq!(code(&[f64::NAN, 9.0], ""), Some(ErrorCode::InvalidOption));
    assert_eq!(code(&[], "x"), Some(ErrorCode::InvalidNumber));
    let mut long = vec![f64::NAN; 23];
    long.push(1.0);
    assert_eq!(code(&long, ""), Some(ErrorCode::InvalidArgument));
    assert!(HostPacer::new(&[f64::NAN, f64::NAN, f64::NAN, 0.0], "").is_err());
}

#[test]
fn one_crossing_per_step() {
    let mut flat = vec![f64::NAN; 21];
    flat.extend([f64::NAN, 1.0, 5.0, 1000.0, 1.0]);
    let mut p = HostPacer::new(&flat, "").unwrap_or_else(|_| unreachable!());
    let mut out = [0.0; OUT_SLOTS];
    assert_eq!(p.begin("k", 1.0, 0.0, &mut out).ok(), Some(0));
    assert_eq!(out[0], 1.0);
    assert_eq!(p.begin("k", 1.0, 0.0, &mut out).ok(), Some(1));
    assert_eq!(out[..2], [2.0, 200.0]);
    let a = p.finish(1.0, 429, "Retry-After\n2", None, 100.0, &mut out);
    assert_eq!(a.ok(), Some(1));
    assert!(out[1] >= 2100.0);
    // A header the core refuses falls back to the bare status.
    let mut q = HostPacer::new(&[], "").unwrap_or_else(|_| unreachable!());
    assert_eq!(q.begin("k", 1.0, 0.0, &mut out).ok(), Some(0));
    let a = q.finish(1.0, 200, "RateLimit-Policy\n\u{1}", None, 1.0, &mut out);
    assert_eq!(a.ok(), Some(0));
    assert_eq!(
        q.finish(1.0, 200, "", None, 1.0, &mut out)
            .err()
            .map(|e| e.code),
        Some(ErrorCode::UnknownTicket)
    );
    assert_eq!(
        p.begin("k", 0.5, 0.0, &mut out).err().map(|e| e.code),
        Some(ErrorCode::InvalidNumber)
    );
    assert_eq!(
        p.begin("k", 1.0, 0.0, &mut [0.0; 2]).err().map(|e| e.code),
        Some(ErrorCode::InvalidArgument)
    );
}
