//! The pacer in shared mode against the core's in-memory store ([`MemoryStore`], the very model
//! the Redis script twins): several pacers ("processes") on one budget.

#![cfg(feature = "store")]
#![allow(clippy::panic, clippy::unwrap_used)] // a test reports a failure by panicking

use pacekeeper::pacer::{After, NeverReason, Pacer, PacerConfig, SharedPacing, Step, StoreCall};
use pacekeeper::shared::fallback::Event;
use pacekeeper::shared::{
    self, Kind, MemoryStore, Reason, Request, SharedLimit, State, StoreError, StoreErrorKind,
    StorePolicy,
};
use pacekeeper::{parse, ErrorCode, Limit, Outcome, ParseOptions};
use std::ops::Range;

const KEY: &str = "tenant-a";

fn config(limit: Limit, shared: SharedPacing) -> PacerConfig {
    PacerConfig {
        limits: vec![limit],
        shared: Some(shared),
        ..PacerConfig::default()
    }
}

fn us(now: u64) -> u64 {
    (now * 1000).max(1)
}

fn send(store: &mut MemoryStore, c: &StoreCall, now: u64) -> shared::Reply {
    store
        .call(&c.budget, &c.request, c.now_us.unwrap_or(us(now)))
        .unwrap()
}

/// Answers every consult from `store` until the step is not a consult.
fn drive(store: &mut MemoryStore, p: &mut Pacer, step: Step, now: u64) -> Step {
    drive_outage(store, p, step, now, &NO_OUTAGE)
}

const NO_OUTAGE: Range<u64> = 0..0;

/// [`drive`], with every consult failing (as against a paused store) while `outage` holds `now`.
fn drive_outage(
    store: &mut MemoryStore,
    p: &mut Pacer,
    mut step: Step,
    now: u64,
    outage: &Range<u64>,
) -> Step {
    while let Step::Consult { ticket } = step {
        let reply = if outage.contains(&now) {
            Err(down())
        } else {
            let c = p.store_call(ticket).unwrap();
            Ok(send(store, &c, now))
        };
        step = p.consulted(ticket, reply, now).unwrap();
    }
    step
}

/// Sends every queued fire-and-forget call.
fn flush(store: &mut MemoryStore, p: &mut Pacer, now: u64) -> Vec<Request> {
    let mut sent = Vec::new();
    while let Some(c) = p.poll_store() {
        let r = send(store, &c, now);
        p.store_done(Ok(r), now);
        sent.push(c.request);
    }
    sent
}

fn ok(now: u64) -> Outcome {
    Outcome::Response {
        reading: parse::<&str, &str>(200, &[], None, now, &ParseOptions::default()).unwrap(),
    }
}

fn throttled(now: u64, retry_after_s: u64) -> Outcome {
    let v = retry_after_s.to_string();
    Outcome::Response {
        reading: parse(
            429,
            &[("Retry-After", v.as_str())],
            None,
            now,
            &ParseOptions::default(),
        )
        .unwrap(),
    }
}

fn down() -> StoreError {
    StoreError {
        kind: StoreErrorKind::Unavailable,
        message: "connection refused".into(),
    }
}

/// Three processes ("pacers") on one budget for 3 s: each starts a caller every 10 ms until 15,
/// and a caller goes again after each request (a closed loop); requests take 5 ms. While
/// `outage` holds the time, every consult fails and nothing fire-and-forget reaches the store.
/// Returns every send's instant, sorted.
fn run_three(ps: &mut [Pacer], store: &mut MemoryStore, outage: &Range<u64>) -> Vec<u64> {
    // Per process: (ticket, resume at) waiting; (ticket, finish at) in flight.
    let mut waiting: Vec<Vec<(u64, u64)>> = vec![Vec::new(); 3];
    let mut flying: Vec<Vec<(u64, u64)>> = vec![Vec::new(); 3];
    let mut sends: Vec<u64> = Vec::new();
    let mut started = [0u32; 3];
    for now in 0..3000u64 {
        for i in 0..3 {
            let p = &mut ps[i];
            // Finish what is done.
            let (done, rest): (Vec<_>, Vec<_>) = flying[i].iter().partition(|(_, at)| *at <= now);
            flying[i] = rest;
            for (t, _) in done {
                assert_eq!(p.finish(t, &ok(now), now).unwrap(), After::Done);
            }
            if !outage.contains(&now) {
                flush(store, p, now);
            }
            // New callers, one every 10 ms per process until 15.
            if now % 10 == i as u64 && started[i] < 15 {
                started[i] += 1;
                let s = p.begin(KEY, 1, now).unwrap();
                match drive_outage(store, p, s, now, outage) {
                    Step::Go { ticket } => {
                        sends.push(now);
                        flying[i].push((ticket, now + 5));
                    }
                    Step::Wait { ticket, until } => waiting[i].push((ticket, until)),
                    s => panic!("{s:?}"),
                }
            }
            let due: Vec<_> = waiting[i].iter().filter(|w| w.1 <= now).copied().collect();
            waiting[i].retain(|w| w.1 > now);
            for (t, _) in due {
                let s = p.resume(t, now).unwrap();
                match drive_outage(store, p, s, now, outage) {
                    Step::Go { ticket } => {
                        sends.push(now);
                        flying[i].push((ticket, now + 5));
                        // A caller goes again after its request (a closed loop).
                        let s = p.begin(KEY, 1, now).unwrap();
                        match drive_outage(store, p, s, now, outage) {
                            Step::Go { ticket } => {
                                sends.push(now);
                                flying[i].push((ticket, now + 5));
                            }
                            Step::Wait { ticket, until } => waiting[i].push((ticket, until)),
                            s => panic!("{s:?}"),
                        }
                    }
                    Step::Wait { ticket, until } => {
                        assert!(until > now);
                        waiting[i].push((ticket, until));
                    }
                    s => panic!("{s:?}"),
                }
            }
        }
    }
    sends.sort_unstable();
    sends
}

/// The sends (ms) one perfect limiter of `limit` refuses, replayed in order.
fn refused(sends: &[u64], limit: SharedLimit) -> Vec<String> {
    let mut state = State::default();
    let mut out = Vec::new();
    for (n, at) in sends.iter().enumerate() {
        let r = shared::step(
            &mut state,
            &Request::Acquire {
                cost: 1,
                limits: vec![limit],
                lease_ttl_us: 0,
                max_inflight: 0,
                max_wait_us: 0,
                idle_ttl_us: 1,
            },
            us(*at),
        )
        .unwrap();
        if r.kind != Kind::Allow {
            out.push(format!("send {n} at {at} ms: {r:?}"));
        }
    }
    out
}

/// Three processes, 15 callers each, one budget of 10/s (burst 2) for 3 s: every send a single
/// limiter of that budget admits, and the budget is used.
#[test]
fn three_processes_never_exceed_one_budget() {
    let limit = Limit::new(10, 1000).with_burst(2);
    let mut store = MemoryStore::new();
    let mut ps: Vec<Pacer> = (0..3)
        .map(|_| Pacer::new(config(limit, SharedPacing::default())).unwrap())
        .collect();
    let sends = run_three(&mut ps, &mut store, &NO_OUTAGE);
    // Replay every send into one perfect limiter of the budget: each must be admitted.
    let refused = refused(&sends, SharedLimit::from_rate(10, 1000, 2).unwrap());
    assert!(refused.is_empty(), "refused: {refused:?}");
    // 2 at once, then 10/s for 3 s: 31 at most; liveness at least 90 % of it.
    assert!(sends.len() <= 31, "{}", sends.len());
    assert!(sends.len() >= 28, "only {} sends", sends.len());
    // Every process got a share.
    assert!(ps.iter().all(|p| p.open_tickets() > 0));
}

/// A slot the store booked is kept: the next resume at or after it goes without asking again.
#[test]
fn reserved_slot_goes_without_a_second_consult() {
    let limit = Limit::new(10, 1000).with_burst(1);
    let mut store = MemoryStore::new();
    let mut a = Pacer::new(config(limit, SharedPacing::default())).unwrap();
    let mut b = Pacer::new(config(limit, SharedPacing::default())).unwrap();
    let s = a.begin(KEY, 1, 1000).unwrap();
    assert!(matches!(
        drive(&mut store, &mut a, s, 1000),
        Step::Go { .. }
    ));
    // B's own limiter is empty-handed: it consults, and the store books 100 ms ahead.
    let s = b.begin(KEY, 1, 1000).unwrap();
    let Step::Consult { ticket } = s else {
        panic!("{s:?}")
    };
    let c = b.store_call(ticket).unwrap();
    assert_eq!(c.budget, KEY);
    assert_eq!(c.now_us, None);
    let Request::Acquire {
        cost,
        ref limits,
        lease_ttl_us,
        max_wait_us,
        idle_ttl_us,
        ..
    } = c.request
    else {
        panic!("{c:?}")
    };
    assert_eq!(
        (cost, lease_ttl_us, max_wait_us, idle_ttl_us),
        (1, 30_000_000, 10_000_000, 600_000_000)
    );
    assert_eq!(limits, &vec![SharedLimit::from_rate(10, 1000, 1).unwrap()]);
    let r = send(&mut store, &c, 1000);
    assert_eq!(r.kind, Kind::Reserved);
    assert_eq!(
        b.consulted(ticket, Ok(r), 1000).unwrap(),
        Step::Wait {
            ticket,
            until: 1100
        }
    );
    // Early: still waiting; in flight (its slot is taken).
    assert_eq!(
        b.resume(ticket, 1050).unwrap(),
        Step::Wait {
            ticket,
            until: 1100
        }
    );
    assert_eq!(b.lane(KEY).unwrap().in_flight, 1);
    assert_eq!(b.resume(ticket, 1100).unwrap(), Step::Go { ticket });
    // A consult must be answered before anything else.
    let s = b.begin(KEY, 1, 1100).unwrap();
    let Step::Consult { ticket: t2 } = s else {
        panic!("{s:?}")
    };
    assert_eq!(b.resume(t2, 1100).unwrap_err().code, ErrorCode::TicketState);
    assert_eq!(
        b.finish(t2, &ok(1100), 1100).unwrap_err().code,
        ErrorCode::TicketState
    );
    assert_eq!(
        b.store_call(ticket).unwrap_err().code,
        ErrorCode::TicketState
    );
    b.cancel(t2).unwrap();
    assert_eq!(b.lane(KEY).unwrap().in_flight, 1);
}

/// Beyond `max_reserve_ms` the store writes nothing and says wait: the ticket waits, then asks
/// again.
#[test]
fn store_wait_asks_again_later() {
    let limit = Limit::new(1, 1000).with_burst(1);
    let sh = SharedPacing {
        max_reserve_ms: 0,
        ..SharedPacing::default()
    };
    let mut store = MemoryStore::new();
    let mut a = Pacer::new(config(limit, sh)).unwrap();
    let mut b = Pacer::new(config(limit, sh)).unwrap();
    let s = a.begin(KEY, 1, 1000).unwrap();
    assert!(matches!(
        drive(&mut store, &mut a, s, 1000),
        Step::Go { .. }
    ));
    let s = b.begin(KEY, 1, 1000).unwrap();
    let Step::Wait { ticket, until } = drive(&mut store, &mut b, s, 1000) else {
        panic!()
    };
    assert_eq!(until, 2000);
    assert_eq!(b.lane(KEY).unwrap().in_flight, 0);
    // Its local token came back: at 2000 it goes (after asking the store again).
    let s = b.resume(ticket, 2000).unwrap();
    assert_eq!(s, Step::Consult { ticket });
    assert_eq!(drive(&mut store, &mut b, s, 2000), Step::Go { ticket });
}

/// A 429 seen by one process stops every process (the lockout goes through the store).
#[test]
fn a_throttle_on_one_process_stops_the_others() {
    let limit = Limit::new(100, 1000);
    let mut store = MemoryStore::new();
    let mut a = Pacer::new(config(limit, SharedPacing::default())).unwrap();
    let mut b = Pacer::new(config(limit, SharedPacing::default())).unwrap();
    let s = a.begin(KEY, 1, 1000).unwrap();
    let Step::Go { ticket } = drive(&mut store, &mut a, s, 1000) else {
        panic!()
    };
    let after = a.finish(ticket, &throttled(1010, 5), 1010).unwrap();
    assert!(
        matches!(after, After::Retry { at, .. } if at >= 6010),
        "{after:?}"
    );
    let sent = flush(&mut store, &mut a, 1010);
    assert!(sent.iter().any(|r| matches!(
        r,
        Request::Lockout {
            for_us: 5_000_000,
            ..
        }
    )));
    assert!(sent
        .iter()
        .any(|r| matches!(r, Request::Release { lease, .. } if *lease > 0)));
    // B never saw the 429, yet waits for it, and its lane learns the floor.
    let s = b.begin(KEY, 1, 1020).unwrap();
    let Step::Wait { until, .. } = drive(&mut store, &mut b, s, 1020) else {
        panic!()
    };
    assert!(until >= 6010, "{until}");
    assert!(b.lane(KEY).unwrap().floor >= 6010);
}

/// A finished request's lease is released; one never finished expires with its TTL.
#[test]
fn leases_are_released_or_expire() {
    let limit = Limit::new(100, 1000);
    let sh = SharedPacing {
        lease_ttl_ms: 2000,
        heartbeat_ms: 0,
        ..SharedPacing::default()
    };
    let mut store = MemoryStore::new();
    let mut a = Pacer::new(config(limit, sh)).unwrap();
    let s = a.begin(KEY, 1, 1000).unwrap();
    let Step::Go { ticket } = drive(&mut store, &mut a, s, 1000) else {
        panic!()
    };
    let s = a.begin(KEY, 1, 1000).unwrap();
    let Step::Go { .. } = drive(&mut store, &mut a, s, 1000) else {
        panic!()
    };
    assert_eq!(store.state(KEY, us(1000)).unwrap().leases.len(), 2);
    a.finish(ticket, &ok(1010), 1010).unwrap();
    let sent = flush(&mut store, &mut a, 1010);
    assert_eq!(sent.len(), 1);
    assert_eq!(store.state(KEY, us(1010)).unwrap().leases.len(), 1);
    // The other one (a process killed with it in flight) stops counting after its TTL: a live-
    // lease cap of 1 refuses before and admits after.
    let cap = || Request::Acquire {
        cost: 1,
        limits: vec![],
        lease_ttl_us: 1000,
        max_inflight: 1,
        max_wait_us: 0,
        idle_ttl_us: 1_000_000,
    };
    assert_eq!(
        store.call(KEY, &cap(), us(2500)).unwrap().reason,
        Reason::InFlight
    );
    assert_eq!(store.call(KEY, &cap(), us(3001)).unwrap().kind, Kind::Allow);
}

/// The store fails: degrade to a 1/peers share (events out), probe, and come back.
#[test]
fn store_down_degrades_to_a_share_then_recovers() {
    let limit = Limit::new(30, 1000).with_burst(3);
    let sh = SharedPacing {
        peers: 3,
        ..SharedPacing::default()
    };
    let mut store = MemoryStore::new();
    let mut a = Pacer::new(config(limit, sh)).unwrap();
    let s = a.begin(KEY, 1, 1000).unwrap();
    let Step::Consult { ticket } = s else {
        panic!()
    };
    // The failure is not a denial: the local share decides (burst 3/3 = 1, 1 per 100 ms). The
    // share starts empty (the shared burst may be spent already): the first token is one share
    // interval away (the store's intervals are whole µs: 1/30 s → 33,334 µs, × 3).
    assert_eq!(
        a.consulted(ticket, Err(down()), 1000).unwrap(),
        Step::Wait {
            ticket,
            until: 1101
        }
    );
    assert_eq!(a.resume(ticket, 1101).unwrap(), Step::Go { ticket });
    assert!(a.store_down());
    assert_eq!(
        a.poll_event(),
        Some(Event::StoreDown {
            policy: StorePolicy::Degrade,
            peers: 3
        })
    );
    assert_eq!(a.poll_event(), None);
    // Degraded: decided here, no consult; the next token 100 ms later.
    let s = a.begin(KEY, 1, 1101).unwrap();
    let Step::Wait { ticket: t2, until } = s else {
        panic!("{s:?}")
    };
    assert_eq!(until, 1201);
    assert_eq!(a.resume(t2, 1201).unwrap(), Step::Go { ticket: t2 });
    // The probe interval (1 s) passed: the next call asks the store, and its answer recovers.
    let s = a.begin(KEY, 1, 2000).unwrap();
    assert!(matches!(s, Step::Consult { .. }), "{s:?}");
    assert!(matches!(
        drive(&mut store, &mut a, s, 2000),
        Step::Go { .. }
    ));
    assert!(!a.store_down());
    assert_eq!(
        a.poll_event(),
        Some(Event::StoreUp {
            down_for_us: 1_000_000
        })
    );
}

/// A failing fire-and-forget call marks the store down too; a lockout learnt is kept locally.
#[test]
fn degraded_mode_keeps_the_lockout() {
    let limit = Limit::new(100, 1000);
    let mut store = MemoryStore::new();
    let mut a = Pacer::new(config(limit, SharedPacing::default())).unwrap();
    let s = a.begin(KEY, 1, 1000).unwrap();
    let Step::Go { ticket } = drive(&mut store, &mut a, s, 1000) else {
        panic!()
    };
    a.finish(ticket, &throttled(1000, 3), 1000).unwrap();
    while let Some(_c) = a.poll_store() {
        a.store_done(Err(down()), 1000);
    }
    assert!(a.store_down());
    assert!(matches!(a.poll_event(), Some(Event::StoreDown { .. })));
    // A new key (no local floor) still honours the lockout learnt on its budget... through its
    // own key's floor only: the lockout is the budget's, and `KEY` is the budget.
    let s = a.begin(KEY, 1, 1500).unwrap();
    let Step::Wait { until, .. } = s else {
        panic!("{s:?}")
    };
    assert!(until >= 4000, "{until}");
}

#[test]
fn deny_policy_refuses_and_allow_policy_sends() {
    let limit = Limit::new(1, 1000).with_burst(1);
    for (policy, expect_go) in [(StorePolicy::Deny, false), (StorePolicy::Allow, true)] {
        let sh = SharedPacing {
            policy,
            ..SharedPacing::default()
        };
        let mut a = Pacer::new(config(limit, sh)).unwrap();
        let s = a.begin(KEY, 1, 1000).unwrap();
        let Step::Consult { ticket } = s else {
            panic!()
        };
        let s = a.consulted(ticket, Err(down()), 1000).unwrap();
        if expect_go {
            assert_eq!(s, Step::Go { ticket });
            assert_eq!(a.lane(KEY).unwrap().in_flight, 1);
        } else {
            assert_eq!(
                s,
                Step::Never {
                    reason: NeverReason::StoreDenied,
                    capacity: 0
                }
            );
            assert_eq!(a.lane(KEY).unwrap().in_flight, 0);
            assert_eq!(a.open_tickets(), 0);
            // Its local token came back: the next caller is not held by it.
            let s = a.begin(KEY, 1, 1000).unwrap();
            assert_eq!(
                s,
                Step::Never {
                    reason: NeverReason::StoreDenied,
                    capacity: 0
                }
            );
        }
    }
}

#[test]
fn bad_replies_are_store_errors_and_never_is_never() {
    let limit = Limit::new(5, 1000).with_burst(5);
    let mut a = Pacer::new(config(limit, SharedPacing::default())).unwrap();
    let Step::Consult { ticket } = a.begin(KEY, 1, 1000).unwrap() else {
        panic!()
    };
    // An acquire answered "done" is not a reply to it: the store is failing (degraded: the
    // local share, 5/s with burst 5 for one process, starts empty: 200 ms to the first token).
    let done = shared::decode(&[4, 0, 0, 0, 1, 0]).unwrap();
    assert_eq!(
        a.consulted(ticket, Ok(done), 1000).unwrap(),
        Step::Wait {
            ticket,
            until: 1200
        }
    );
    assert!(a.store_down());
    // The store's "never" (learnt limits smaller than the cost) drops the ticket.
    let mut b = Pacer::new(config(limit, SharedPacing::default())).unwrap();
    let Step::Consult { ticket } = b.begin(KEY, 3, 1000).unwrap() else {
        panic!()
    };
    let never = shared::decode(&[3, 0, 0, 1, 1, 0]).unwrap();
    assert_eq!(
        b.consulted(ticket, Ok(never), 1000).unwrap(),
        Step::Never {
            reason: NeverReason::CostAboveBurst,
            capacity: 5
        }
    );
    assert_eq!(b.open_tickets(), 0);
    assert_eq!(b.lane(KEY).unwrap().in_flight, 0);
}

#[test]
fn caller_clock_and_learnt_limits_reach_the_store() {
    let sh = SharedPacing {
        caller_clock: true,
        heartbeat_ms: 0,
        ..SharedPacing::default()
    };
    let mut a = Pacer::new(PacerConfig {
        shared: Some(sh),
        ..PacerConfig::genesys()
    })
    .unwrap();
    let Step::Consult { ticket } = a.begin(KEY, 1, 5000).unwrap() else {
        panic!()
    };
    let c = a.store_call(ticket).unwrap();
    assert_eq!(c.now_us, Some(5_000_000));
    // The preset's 300/min as the learnt limit in force.
    let Request::Acquire { ref limits, .. } = c.request else {
        panic!()
    };
    assert_eq!(
        limits,
        &vec![SharedLimit::from_rate(300, 60_000, 300).unwrap()]
    );
    let mut store = MemoryStore::new();
    let r = send(&mut store, &c, 5000);
    assert_eq!(
        a.consulted(ticket, Ok(r), 5000).unwrap(),
        Step::Go { ticket }
    );
    // The server names another amount: the store learns it.
    let reading = parse(
        200,
        &[
            ("inin-ratelimit-allowed", "180"),
            ("inin-ratelimit-count", "1"),
            ("inin-ratelimit-reset", "60"),
        ],
        None,
        5010,
        &ParseOptions::default(),
    )
    .unwrap();
    a.finish(ticket, &Outcome::Response { reading }, 5010)
        .unwrap();
    let calls: Vec<StoreCall> = std::iter::from_fn(|| a.poll_store()).collect();
    assert!(calls.iter().all(|c| c.now_us == Some(5_010_000)));
    let learn = calls
        .iter()
        .find_map(|c| match &c.request {
            Request::Learn { limits, .. } => Some(limits.clone()),
            _ => None,
        })
        .unwrap();
    assert_eq!(learn.len(), 1);
    assert_eq!(learn[0].burst, 180);
}

#[test]
fn config_is_validated_and_absent_means_unchanged() {
    let bad = |sh: SharedPacing| {
        Pacer::new(config(Limit::new(1, 1000), sh))
            .unwrap_err()
            .code
    };
    let d = SharedPacing::default();
    assert_eq!(
        bad(SharedPacing {
            idle_ttl_ms: 0,
            ..d
        }),
        ErrorCode::InvalidOption
    );
    assert_eq!(
        bad(SharedPacing {
            probe_interval_ms: 0,
            ..d
        }),
        ErrorCode::InvalidOption
    );
    assert_eq!(
        bad(SharedPacing {
            lease_ttl_ms: 1 << 40,
            ..d
        }),
        ErrorCode::InvalidOption
    );
    assert_eq!(
        bad(SharedPacing {
            peers: (1 << 20) + 1,
            ..d
        }),
        ErrorCode::InvalidOption
    );
    // A limit too slow for the store's range (one a month, burst a million).
    let slow = Limit::new(1, 30 * 24 * 3_600_000).with_burst(1_000_000);
    assert_eq!(
        Pacer::new(config(slow, d)).unwrap_err().code,
        ErrorCode::InvalidLimit
    );
    // serde: defaults, unknown fields refused, and `shared` left out of an unshared config.
    let c: PacerConfig = serde_json::from_str(r#"{"shared": {"policy": "deny"}}"#).unwrap();
    assert_eq!(
        c.shared,
        Some(SharedPacing {
            policy: StorePolicy::Deny,
            ..d
        })
    );
    assert!(serde_json::from_str::<PacerConfig>(r#"{"shared": {"nope": 1}}"#).is_err());
    let v = serde_json::to_value(PacerConfig::default()).unwrap();
    assert!(v.get("shared").is_none());
    // Without a store nothing is queued and nothing is consulted.
    let mut p = Pacer::new(PacerConfig::default()).unwrap();
    assert!(matches!(p.begin(KEY, 1, 0).unwrap(), Step::Go { .. }));
    assert!(p.poll_store().is_none() && p.poll_event().is_none() && !p.is_shared());
    assert_eq!(p.store_call(1).unwrap_err().code, ErrorCode::InvalidState);
}

/// A slot booked before another host's 429 and falling inside its lockout is dropped (its lease
/// released, no refund) and asked for again after it: slots pushed to the lockout's end would go
/// as one burst.
#[test]
fn a_reserved_slot_inside_a_later_lockout_is_given_back() {
    let limit = Limit::new(10, 1000).with_burst(2);
    let mut store = MemoryStore::new();
    let mut a = Pacer::new(config(limit, SharedPacing::default())).unwrap();
    let mut b = Pacer::new(config(limit, SharedPacing::default())).unwrap();
    let mut ta = 0;
    for _ in 0..2 {
        let s = a.begin(KEY, 1, 1000).unwrap();
        let Step::Go { ticket } = drive(&mut store, &mut a, s, 1000) else {
            panic!()
        };
        ta = ticket;
    }
    // B's two callers pass its own limiter; the store books them at 1100 and 1200.
    let mut booked = Vec::new();
    for _ in 0..2 {
        let s = b.begin(KEY, 1, 1000).unwrap();
        let Step::Wait { ticket, until } = drive(&mut store, &mut b, s, 1000) else {
            panic!()
        };
        booked.push((ticket, until));
    }
    assert_eq!(booked.iter().map(|b| b.1).collect::<Vec<_>>(), [1100, 1200]);
    // A's request gets a 429 (Retry-After 2): the store locks the budget until 3050.
    a.finish(ta, &throttled(1050, 2), 1050).unwrap();
    flush(&mut store, &mut a, 1050);
    // B learns of it on its next consult (a third caller at 1100)...
    let s = b.begin(KEY, 1, 1100).unwrap();
    let Step::Wait { ticket: t3, until } = drive(&mut store, &mut b, s, 1100) else {
        panic!()
    };
    assert!(until >= 3050, "{until}");
    // ...and its booked slots, now inside the lockout, are given back.
    let mut after = Vec::new();
    for (t, u) in &booked {
        let Step::Wait { until, .. } = b.resume(*t, *u).unwrap() else {
            panic!()
        };
        assert!(until >= 3050, "{until}");
        after.push(*t);
    }
    let sent = flush(&mut store, &mut b, 1200);
    assert_eq!(
        sent.iter()
            .filter(|r| matches!(r, Request::Release { refund: 0, lease, .. } if *lease > 0))
            .count(),
        2,
        "{sent:?}"
    );
    // After the lockout the three go within the budget (burst 2, then 100 ms apart), never all
    // at once.
    after.push(t3);
    let mut goes = Vec::new();
    let mut pending: Vec<u64> = after;
    for now in 3050..4000 {
        let mut left = Vec::new();
        for t in pending {
            let s = b.resume(t, now).unwrap();
            match drive(&mut store, &mut b, s, now) {
                Step::Go { .. } => goes.push(now),
                Step::Wait { .. } => left.push(t),
                s => panic!("{s:?}"),
            }
        }
        pending = left;
    }
    assert!(pending.is_empty());
    assert_eq!(goes.len(), 3);
    // At most the burst (2) at one instant.
    assert!(goes.windows(3).all(|w| w[2] > w[0]), "{goes:?}");
}

/// Heartbeats count the processes alive on a budget while the store is up; a process that then
/// loses the store keeps a 1/that share. A process that stops beating drops out after 3 beats.
#[test]
fn heartbeats_count_peers_for_the_degraded_share() {
    let limit = Limit::new(30, 1000).with_burst(3);
    let sh = SharedPacing {
        heartbeat_ms: 1000,
        ..SharedPacing::default()
    };
    let mut store = MemoryStore::new();
    let mut ps: Vec<Pacer> = (0..3)
        .map(|_| Pacer::new(config(limit, sh)).unwrap())
        .collect();
    for (i, p) in ps.iter_mut().enumerate() {
        let now = 1000 + i as u64;
        let s = p.begin(KEY, 1, now).unwrap();
        drive(&mut store, p, s, now);
        let sent = flush(&mut store, p, now);
        assert!(
            matches!(
                sent.as_slice(),
                [Request::Heartbeat {
                    member: 0,
                    ttl_us: 3_000_000,
                    ..
                }]
            ),
            "{sent:?}"
        );
    }
    // The second round: each knows its id and sees 3 alive.
    let mut members = Vec::new();
    for p in &mut ps {
        let s = p.begin(KEY, 1, 2100).unwrap();
        drive(&mut store, p, s, 2100);
        let sent = flush(&mut store, p, 2100);
        let [Request::Heartbeat { member, .. }] = sent.as_slice() else {
            panic!("{sent:?}")
        };
        assert!(*member > 0);
        members.push(*member);
    }
    members.dedup();
    assert_eq!(members.len(), 3, "distinct ids");
    // Process 0 loses the store: its share is a third (burst 1, 100 ms apart), starting empty.
    let p = &mut ps[0];
    let Step::Consult { ticket } = p.begin(KEY, 1, 2200).unwrap() else {
        panic!()
    };
    assert_eq!(
        p.consulted(ticket, Err(down()), 2200).unwrap(),
        Step::Wait {
            ticket,
            until: 2301
        }
    );
    assert_eq!(
        p.poll_event(),
        Some(Event::StoreDown {
            policy: StorePolicy::Degrade,
            peers: 3
        })
    );
    // Processes 1 and 2 beat on; 0 does not: after its presence expires, they count 2.
    for now in [5200, 6300] {
        for p in &mut ps[1..] {
            let s = p.begin(KEY, 1, now).unwrap();
            drive(&mut store, p, s, now);
            flush(&mut store, p, now);
        }
    }
    let st = store.state(KEY, 6300 * 1000).unwrap();
    assert_eq!(st.hash.keys().filter(|k| k.starts_with('p')).count(), 2);
}

/// The store fails for a second mid-run (1000..2000 ms) and comes back: the three processes
/// degrade to a third of the budget each, then return to the shared budget. Every send, replayed
/// into one limiter of the budget, is admitted: the degraded shares start empty (the shared
/// burst may be spent), slots booked by the side that no longer decides are asked for again,
/// and on recovery each process takes its share of the burst from the shared budget (which
/// never saw the local sends).
#[test]
fn an_outage_keeps_the_processes_within_one_budget() {
    let limit = Limit::new(10, 1000).with_burst(3);
    let mut store = MemoryStore::new();
    let mut ps: Vec<Pacer> = (0..3)
        .map(|_| {
            Pacer::new(config(
                limit,
                SharedPacing {
                    peers: 3,
                    probe_interval_ms: 200,
                    ..SharedPacing::default()
                },
            ))
            .unwrap()
        })
        .collect();
    let sends = run_three(&mut ps, &mut store, &(1000..2000));
    // Replay every send into one perfect limiter of the budget: each must be admitted.
    let refused = refused(&sends, SharedLimit::from_rate(10, 1000, 3).unwrap());
    assert!(
        refused.is_empty(),
        "{} sends, refused: {refused:?}",
        sends.len()
    );
    // 3 at once, then 10/s for 3 s: 32 at most; liveness at least 90 % of it.
    assert!(sends.len() >= 29, "only {} sends", sends.len());
    // Every process got a share.
    assert!(ps.iter().all(|p| p.open_tickets() > 0));
}
