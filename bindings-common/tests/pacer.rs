//! The pacer codec (`pacekeeper_bindings_common::pacer`): the flat configuration and the
//! numeric answers, as napi and wasm-bindgen use them.
#![allow(clippy::unwrap_used, clippy::float_cmp)]

use pacekeeper::backoff::Jitter;
use pacekeeper::pacer::{PacerConfig, Preset};
use pacekeeper::{ErrorCode, Limit};
use pacekeeper_bindings_common::pacer::{pacer_config, HostPacer, CONFIG_SLOTS, OUT_SLOTS};

const CONFIG_LEN: usize = pacekeeper_bindings_common::flat::count(CONFIG_SLOTS);

#[test]
fn all_nan_is_the_cores_default() {
    let flat = [f64::NAN; CONFIG_LEN];
    assert_eq!(pacer_config(&flat, "").ok(), Some(PacerConfig::default()));
    assert_eq!(pacer_config(&[], "").ok(), Some(PacerConfig::default()));
}

#[test]
fn slots_and_lists() {
    let mut flat = vec![f64::NAN; CONFIG_LEN];
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
    let names = pacekeeper_bindings_common::vocabulary("pacerConfig").unwrap_or_default();
    assert_eq!(CONFIG_LEN, names.split(',').count());
}

#[test]
fn bad_slots_are_coded() {
    let code = |flat: &[f64], seed: &str| pacer_config(flat, seed).err().map(|e| e.code);
    assert_eq!(code(&[0.5], ""), Some(ErrorCode::InvalidNumber));
    assert_eq!(code(&[2.0], ""), Some(ErrorCode::InvalidArgument));
    assert_eq!(code(&[f64::NAN, 9.0], ""), Some(ErrorCode::InvalidOption));
    assert_eq!(code(&[], "x"), Some(ErrorCode::InvalidNumber));
    let mut long = vec![f64::NAN; CONFIG_LEN + 2];
    long.push(1.0);
    assert_eq!(code(&long, ""), Some(ErrorCode::InvalidArgument));
    assert!(HostPacer::new(&[f64::NAN, f64::NAN, f64::NAN, 0.0], "").is_err());
}

#[test]
fn one_crossing_per_step() {
    let mut flat = vec![f64::NAN; CONFIG_LEN];
    flat.extend([f64::NAN, 1.0, 5.0, 1000.0, 1.0]);
    let mut p = HostPacer::new(&flat, "").unwrap_or_else(|_| unreachable!());
    let mut out = [0.0; OUT_SLOTS];
    assert_eq!(p.begin("k", 1.0, 0.0, &mut out).ok(), Some(0));
    assert_eq!(out[0], 1.0);
    assert_eq!(p.begin("k", 1.0, 0.0, &mut out).ok(), Some(1));
    assert_eq!(out[..2], [2.0, 200.0]);
    let a = p.finish(1.0, 429, &[("Retry-After", "2")], None, 100.0, &mut out);
    assert_eq!(a.ok(), Some(1));
    assert!(out[1] >= 2100.0);
    // A header the core refuses falls back to the bare status.
    let mut q = HostPacer::new(&[], "").unwrap_or_else(|_| unreachable!());
    assert_eq!(q.begin("k", 1.0, 0.0, &mut out).ok(), Some(0));
    let a = q.finish(
        1.0,
        200,
        &[("RateLimit-Policy", "\u{1}")],
        None,
        1.0,
        &mut out,
    );
    assert_eq!(a.ok(), Some(0));
    assert_eq!(
        q.finish(1.0, 200, &[], None, 1.0, &mut out)
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

/// The index of a named slot.
#[cfg(feature = "store")]
fn slot(name: &str) -> usize {
    pacekeeper_bindings_common::pacer::CONFIG_SLOTS
        .split(',')
        .position(|s| s.split(':').next() == Some(name))
        .unwrap()
}

#[cfg(feature = "store")]
#[test]
fn shared_slots_and_the_store_crossings() {
    use pacekeeper::pacer::SharedPacing;
    use pacekeeper::shared::StorePolicy;
    use pacekeeper_bindings_common::pacer::{event_text, store_call_text, store_reply, write_step};
    let mut flat = vec![f64::NAN; CONFIG_LEN];
    flat[slot("shared")] = 1.0;
    let c = pacer_config(&flat, "").unwrap();
    assert_eq!(c.shared, Some(SharedPacing::default()));
    flat[slot("shared.leaseTtlMs")] = 0.0;
    flat[slot("shared.idleTtlMs")] = 5000.0;
    flat[slot("shared.maxReserveMs")] = 7.0;
    flat[slot("shared.callerClock")] = 1.0;
    flat[slot("shared.policy")] = 1.0;
    flat[slot("shared.probeIntervalMs")] = 250.0;
    flat[slot("shared.peers")] = 4.0;
    let c = pacer_config(&flat, "").unwrap();
    assert_eq!(
        c.shared,
        Some(SharedPacing {
            lease_ttl_ms: 0,
            idle_ttl_ms: 5000,
            max_reserve_ms: 7,
            caller_clock: true,
            policy: StorePolicy::Deny,
            probe_interval_ms: 250,
            peers: 4,
            heartbeat_ms: 5000,
        })
    );
    // The group's fields without the group switch: no store.
    flat[slot("shared")] = 0.0;
    assert_eq!(pacer_config(&flat, "").unwrap().shared, None);
    flat[slot("shared")] = 1.0;
    flat[slot("shared.policy")] = 3.0;
    assert_eq!(
        pacer_config(&flat, "").err().map(|e| e.code),
        Some(ErrorCode::InvalidOption)
    );
    flat[slot("shared.policy")] = 1.0; // deny
    flat.extend([f64::NAN, 1.0, 10.0, 1000.0, 1.0]);
    let mut p = HostPacer::new(&flat, "").unwrap();
    let mut out = [0.0; OUT_SLOTS];
    // consult = index 3; the store call's text: `<L>:<k1><k2><args>`.
    assert_eq!(p.begin("a{é}", 1.0, 1000.0, &mut out).ok(), Some(3));
    assert_eq!(out[0], 1.0);
    let text = store_call_text(&p.core.store_call(1).unwrap()).unwrap();
    let k1 = "pk:{a%7Bé%7D}:s";
    assert_eq!(
        text,
        format!(
            "{}:{k1}pk:{{a%7Bé%7D}}:l1,a,1000000,5000000,1,0,0,7000,1,100000,1",
            k1.encode_utf16().count()
        )
    );
    // A reply the store booked 5 ms ahead: wait (index 1) until 1005.
    let reply = [1.0, 5000.0, 0.0, 1.0, 1_000_000.0, 10.0];
    let step = p.core.consulted(1, store_reply(&reply, "").unwrap(), 1000);
    assert_eq!(step.map(|s| write_step(s, &mut out)).ok(), Some(1));
    assert_eq!(out[..2], [1.0, 1005.0]);
    assert_eq!(p.resume(1.0, 1005.0, &mut out).ok(), Some(0));
    assert!(p.core.poll_store().is_none());
    assert!(p.core.poll_event().is_none());
    // A failure with policy deny → never (index 2), store_denied; the event.
    assert_eq!(p.begin("a{é}", 1.0, 2000.0, &mut out).ok(), Some(3));
    let timeout = store_reply(&[], "store_timeout").unwrap();
    let step = p.core.consulted(out[0] as u64, timeout, 2000);
    assert_eq!(step.map(|s| write_step(s, &mut out)).ok(), Some(2));
    assert_eq!(out[3], 1.0); // neverReasons[1] = store_denied
    assert_eq!(
        p.core.poll_event().map(event_text).unwrap(),
        "store_down,deny,4"
    );
    // Bad shapes from the server are store errors; a bad code from the caller is an error.
    assert!(store_reply(&[0.5, 0.0, 0.0, 0.0, 1.0, 0.0], "")
        .unwrap()
        .is_err());
    assert!(store_reply(&[0.0; 5], "").unwrap().is_err());
    assert!(store_reply(&[0.0, 0.0, 0.0, 0.0, 1.0, 0.0], "")
        .unwrap()
        .is_ok());
    assert_eq!(
        store_reply(&[], "nope").err().map(|e| e.code),
        Some(ErrorCode::InvalidOption)
    );
}
