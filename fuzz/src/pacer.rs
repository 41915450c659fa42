//! The pacer target: the core's sans-IO client policy driven by a hostile caller and server.

use super::Bytes;
use pacekeeper::backoff::{BackoffPolicy, Jitter, Outcome, RetryBudget};
use pacekeeper::bucket::Limit;
use pacekeeper::headers::{parse, ParseOptions};

/// What the harness knows of a ticket it holds.
#[derive(Clone, Copy, PartialEq)]
enum Held {
    Waiting,
    InFlight,
}

/// Pacer steps: a config, then begin / resume / finish (with a hostile server's response or a
/// network error) / cancel on a few keys and tickets, the clock mostly moving forward. Checks:
/// misuse (an unknown ticket, a state mismatch) is a coded error and changes nothing; every
/// wait is in the future and at most the cap away; a retry never comes before the server's
/// floor; `Never` only for a cost above a burst; the open tickets are the ones the caller holds;
/// the state round-trips.
pub fn pacer(data: &[u8]) {
    use pacekeeper::error::ErrorCode;
    use pacekeeper::pacer::{After, Pacer, PacerConfig, Preset, Step};
    use std::collections::BTreeMap;

    let mut b = Bytes(data);
    let flags = b.u8();
    let n = b.u8() % 3;
    let limits: Vec<Limit> = if flags & 1 == 1 {
        (0..n)
            .map(|_| Limit {
                amount: 1 + b.u32() % 10_000,
                period_ms: 1 + b.num() % 3_600_000,
                burst: b.u32() % 10_000,
            })
            .collect()
    } else {
        Vec::new()
    };
    let cap = match flags >> 5 {
        0 => 1 + b.num() % (30 * 24 * 3_600_000),
        1 => 1 + u64::from(b.u16()),
        _ => ParseOptions::default().max_wait_ms,
    };
    let jitter = [
        Jitter::None,
        Jitter::Full,
        Jitter::Equal,
        Jitter::Decorrelated,
    ][usize::from(b.u8() % 4)];
    let config = PacerConfig {
        limits,
        preset: (flags & 2 == 2).then_some(Preset::Genesys),
        learn: flags & 4 == 0,
        backoff: BackoffPolicy {
            base_ms: 1 + b.num() % 10_000,
            jitter,
            max_attempts: 1 + u32::from(b.u8() % 12),
            ..BackoffPolicy::default()
        },
        retry_budget: (flags & 8 == 8).then(RetryBudget::default),
        seed: b.u64(),
        probe_poll_ms: 1 + b.num() % 60_000,
        max_window: 1 + u32::from(b.u8()),
        parse: ParseOptions {
            max_wait_ms: cap,
            ..ParseOptions::default()
        },
        shared: None,
    };
    let Ok(mut p) = Pacer::new(config.clone()) else {
        return;
    };
    // The cap holds for what the server said or what was learnt; configured limits are the
    // caller's own word (their slots are waited in full).
    let capped = config.limits.is_empty();
    let keys = ["a", "b", "c"];
    let mut held: BTreeMap<u64, Held> = BTreeMap::new();
    let mut now = b.num() % (1 << 50);
    let mut clock = 0;
    for _ in 0..48 {
        if b.0.is_empty() {
            break;
        }
        let op = b.u8();
        // Mostly forward; sometimes backwards (the pacer keeps its own latest time).
        let dt = u64::from(b.u16());
        now = if op & 0x80 == 0x80 && dt % 7 == 0 {
            now.saturating_sub(dt)
        } else {
            now.saturating_add(dt)
        };
        if op % 4 != 3 {
            // `cancel` takes no time: the pacer's clock moves on the other steps only.
            clock = clock.max(now);
        }
        // A ticket: one held, or one that may not exist.
        let pick = b.u8();
        let ticket = match held.keys().nth(usize::from(pick) % (held.len() + 1)) {
            Some(t) => *t,
            None => u64::from(pick),
        };
        match op % 4 {
            0 => {
                let key = keys[usize::from(op >> 2) % 3];
                let cost = 1 + u32::from(b.u8() % 3);
                match p.begin(key, cost, now) {
                    Ok(Step::Go { ticket }) => {
                        assert!(held.insert(ticket, Held::InFlight).is_none());
                    }
                    Ok(Step::Wait { ticket, until }) => {
                        assert!(until >= clock, "wait until {until} before now {clock}");
                        assert!(
                            !capped || until - clock <= cap,
                            "wait {} above the cap {cap}",
                            until - clock
                        );
                        assert!(held.insert(ticket, Held::Waiting).is_none());
                    }
                    Ok(Step::Never { capacity, .. }) => assert!(cost > capacity),
                    Ok(Step::Consult { .. }) => unreachable!("consult without a store"),
                    Err(e) => unreachable!("begin failed: {e}"),
                }
            }
            1 => match (p.resume(ticket, now), held.get(&ticket).copied()) {
                (Ok(Step::Go { ticket: t }), Some(Held::Waiting)) => {
                    assert_eq!(t, ticket);
                    held.insert(ticket, Held::InFlight);
                }
                (Ok(Step::Wait { ticket: t, until }), Some(Held::Waiting)) => {
                    assert_eq!(t, ticket);
                    assert!(until > clock, "resume: wait until {until}, now {clock}");
                    assert!(
                        !capped || until - clock <= cap,
                        "resume: wait {} > cap {cap}",
                        until - clock
                    );
                }
                (Ok(Step::Never { capacity, .. }), Some(Held::Waiting)) => {
                    // Only a slot past the end of time (2^53 - 1) drops a waiter.
                    assert_eq!(capacity, 0);
                    held.remove(&ticket);
                }
                (Err(e), None) => assert_eq!(e.code, ErrorCode::UnknownTicket),
                (Err(e), Some(Held::InFlight)) => assert_eq!(e.code, ErrorCode::TicketState),
                (r, h) => unreachable!("resume of {ticket}: {r:?} while {:?}", h.is_some()),
            },
            2 => {
                let outcome = if b.u8() % 6 == 0 {
                    Outcome::NetworkError
                } else {
                    let status = [200, 200, 429, 429, 503, 500, 404][usize::from(b.u8() % 7)];
                    let (x, y, z) = (b.num() % 100_000_000, b.num() % 100_000, b.num() % 10_000);
                    let vals = [x.to_string(), y.to_string(), z.to_string()];
                    let mut hs: Vec<(&str, &str)> = Vec::new();
                    let which = b.u8();
                    let names: [[&str; 3]; 4] = [
                        ["Retry-After", "X-RateLimit-Remaining", "X-RateLimit-Reset"],
                        [
                            "inin-ratelimit-reset",
                            "inin-ratelimit-count",
                            "inin-ratelimit-allowed",
                        ],
                        [
                            "X-RateLimit-Limit",
                            "X-RateLimit-Remaining",
                            "X-RateLimit-Reset",
                        ],
                        ["Retry-After", "RateLimit-Remaining", "RateLimit-Limit"],
                    ];
                    let set = names[usize::from(which % 4)];
                    for (i, name) in set.iter().enumerate() {
                        if which & (16 << i) != 0 {
                            hs.push((name, &vals[i]));
                        }
                    }
                    match parse(
                        status,
                        &hs,
                        None,
                        now,
                        &ParseOptions {
                            max_wait_ms: cap,
                            ..ParseOptions::default()
                        },
                    ) {
                        Ok(reading) => Outcome::Response { reading },
                        Err(_) => Outcome::NetworkError,
                    }
                };
                let floor = match &outcome {
                    Outcome::Response { reading } if reading.throttled => {
                        reading.wait_ms.unwrap_or(0)
                    }
                    _ => 0,
                };
                match (p.finish(ticket, &outcome, now), held.get(&ticket).copied()) {
                    (Ok(After::Retry { at, attempt, .. }), Some(Held::InFlight)) => {
                        assert!(attempt >= 2);
                        assert!(
                            at >= clock.saturating_add(floor),
                            "retry at {at} before the floor {floor} + {clock}"
                        );
                        assert!(
                            !capped || at - clock <= cap,
                            "retry wait {} > cap {cap}",
                            at - clock
                        );
                        held.insert(ticket, Held::Waiting);
                    }
                    (Ok(_), Some(Held::InFlight)) => {
                        held.remove(&ticket);
                    }
                    (Err(e), None) => assert_eq!(e.code, ErrorCode::UnknownTicket),
                    (Err(e), Some(Held::Waiting)) => assert_eq!(e.code, ErrorCode::TicketState),
                    (r, h) => unreachable!("finish of {ticket}: {r:?} while {:?}", h.is_some()),
                }
            }
            _ => match (p.cancel(ticket), held.remove(&ticket)) {
                (Ok(()), Some(_)) => {}
                (Err(e), None) => assert_eq!(e.code, ErrorCode::UnknownTicket),
                (r, h) => unreachable!("cancel of {ticket}: {r:?} while {:?}", h.is_some()),
            },
        }
        assert_eq!(p.open_tickets(), held.len());
    }
    // The state round-trips.
    let state = p.state();
    match Pacer::from_state(config, state.clone()) {
        Ok(q) => assert_eq!(q.state(), state),
        Err(e) => unreachable!("state does not restore: {e}"),
    }
}
