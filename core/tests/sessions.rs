//! Replays the scripted pacer sessions in `tests/vectors/sessions.json`.
//!
//! Each case builds a [`Pacer`] from `config` and runs its `steps` in order; every step's
//! `expect` (hand-derived, see `tests/vectors/make_sessions.py`) must equal the engine's answer
//! exactly. Nothing here rewrites the file.

#![allow(clippy::panic)] // a test reports a broken vector file by panicking

use pacekeeper::backoff::Outcome;
use pacekeeper::headers::parse;
use pacekeeper::pacer::{Pacer, PacerConfig};
use pacekeeper::Error;
use serde_json::{json, Value};
use std::path::PathBuf;

fn load() -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/sessions.json");
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| panic!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

fn err(e: &Error) -> Value {
    json!({ "error": e.code.as_str() })
}

fn out<T: serde::Serialize>(r: Result<T, Error>) -> Value {
    match r {
        Ok(v) => serde_json::to_value(v).unwrap_or(Value::Null),
        Err(e) => err(&e),
    }
}

fn headers_of(v: &Value) -> Vec<(String, String)> {
    v.as_array()
        .map(|a| {
            a.iter()
                .map(|p| {
                    (
                        p[0].as_str().unwrap_or_default().to_owned(),
                        p[1].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// One step's answer, in the vectors' JSON shape.
fn run_step(p: &mut Pacer, config: &PacerConfig, s: &Value) -> Value {
    let now = s["now"].as_u64().unwrap_or(0);
    let ticket = s["ticket"].as_u64().unwrap_or(0);
    match s["op"].as_str().unwrap_or_default() {
        "begin" => {
            let key = s["key"].as_str().unwrap_or_default();
            let cost = u32::try_from(s["cost"].as_u64().unwrap_or(1)).unwrap_or(u32::MAX);
            out(p.begin(key, cost, now))
        }
        "resume" => out(p.resume(ticket, now)),
        "cancel" => match p.cancel(ticket) {
            Ok(()) => json!({ "action": "cancelled" }),
            Err(e) => err(&e),
        },
        "finish" => {
            let outcome = match &s["response"] {
                Value::Null => Outcome::NetworkError,
                r => {
                    let status = u16::try_from(r["status"].as_u64().unwrap_or(0)).unwrap_or(0);
                    let body = r["body"].as_str();
                    match parse(status, &headers_of(&r["headers"]), body, now, &config.parse) {
                        Ok(reading) => Outcome::Response { reading },
                        Err(e) => return err(&e),
                    }
                }
            };
            out(p.finish(ticket, &outcome, now))
        }
        "learnt" => {
            let key = s["key"].as_str().unwrap_or_default();
            serde_json::to_value(p.learnt(key)).unwrap_or(Value::Null)
        }
        other => panic!("unknown op {other}"),
    }
}

#[test]
fn every_session_step_matches_its_hand_derived_expectation() {
    let doc = load();
    assert_eq!(doc["kind"], "sessions");
    let mut failures = Vec::new();
    let mut steps = 0;
    for case in doc["cases"].as_array().into_iter().flatten() {
        let name = case["name"].as_str().unwrap_or_default();
        let config: PacerConfig = serde_json::from_value(case["config"].clone())
            .unwrap_or_else(|e| panic!("{name}: bad config: {e}"));
        let mut p = Pacer::new(config.clone()).unwrap_or_else(|e| panic!("{name}: {e}"));
        for (i, s) in case["steps"].as_array().into_iter().flatten().enumerate() {
            steps += 1;
            let got = run_step(&mut p, &config, s);
            if got != s["expect"] {
                failures.push(format!(
                    "{name} step {i} ({} {}): expected {}, got {got} — {}",
                    s["op"], s["now"], s["expect"], s["why"]
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(steps >= 100, "only {steps} steps");
}

#[test]
fn sessions_cover_every_policy_rule() {
    let doc = load();
    let whys: Vec<String> = doc["cases"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|c| c["steps"].as_array().cloned().unwrap_or_default())
        .map(|s| s["why"].as_str().unwrap_or_default().to_owned())
        .collect();
    for needle in [
        "is a floor",
        "whole-second reset",
        "in flight",
        "one request in flight after a lockout",
        "learnt from successive readings",
        "FIFO",
        "released",
        "Genesys preset",
        "coded error",
        "time going backwards",
        "finished twice",
    ] {
        let n = whys.iter().filter(|w| w.contains(needle)).count();
        assert!(n >= 1, "no step pins {needle:?}");
    }
}

#[test]
fn every_number_is_safe_for_every_runtime() {
    fn walk(v: &Value) {
        match v {
            Value::Number(n) => assert!(
                n.as_u64().is_some_and(|x| x < (1 << 53)),
                "{n} is not an integer below 2^53"
            ),
            Value::Array(a) => a.iter().for_each(walk),
            Value::Object(o) => o.values().for_each(walk),
            _ => {}
        }
    }
    walk(&load());
}

/// Random sessions (seeded): valid steps never fail, bogus ones fail with a ticket code, nothing
/// panics, a `Go` never comes before its key's floor, a `Wait` never names the past, and a state
/// saved and restored carries on identically.
#[test]
fn random_sessions_hold_the_invariants() {
    use pacekeeper::pacer::{After, Step};
    use pacekeeper::{Limit, ParseOptions};
    use rand_chacha::ChaCha8Rng;
    use rand_core::{RngCore, SeedableRng};
    let configs = [
        PacerConfig::default(),
        PacerConfig {
            limits: vec![Limit::new(5, 1000).with_burst(3)],
            ..PacerConfig::default()
        },
        PacerConfig::genesys(),
    ];
    for (ci, config) in configs.into_iter().enumerate() {
        let mut rng = ChaCha8Rng::seed_from_u64(ci as u64 + 11);
        let mut p = Pacer::new(config.clone()).unwrap_or_else(|e| panic!("{e}"));
        let keys: [&'static str; 3] = ["a", "b", "c"];
        let mut now = 1_000u64;
        let (mut gos, mut retries, mut waits) = (0u32, 0u32, 0u32);
        let mut waiting: Vec<(u64, &'static str)> = Vec::new();
        let mut flying: Vec<(u64, &'static str)> = Vec::new();
        for step in 0..4000 {
            let r = rng.next_u64();
            now = if r % 17 == 0 {
                now.saturating_sub(r % 50)
            } else {
                now + (r >> 8) % 300
            };
            let key = keys[(r >> 20) as usize % keys.len()];
            let pick = |v: &Vec<(u64, &'static str)>| -> Option<(u64, &'static str)> {
                v.get(((r >> 32) as usize) % v.len().max(1)).copied()
            };
            let ctx = format!("config {ci} step {step}");
            match (r >> 40) % 6 {
                0 | 1 => {
                    let floor = p.lane(key).map_or(0, |l| l.floor);
                    match p.begin(key, 1 + (r >> 48) as u32 % 2, now) {
                        Ok(Step::Go { ticket }) => {
                            assert!(now >= floor, "{ctx}: go at {now} before floor {floor}");
                            flying.push((ticket, key));
                            gos += 1;
                        }
                        Ok(Step::Wait { ticket, until }) => {
                            assert!(until >= now.min(until), "{ctx}");
                            waiting.push((ticket, key));
                            waits += 1;
                        }
                        Ok(Step::Never { .. }) => {}
                        Ok(Step::Consult { .. }) => panic!("{ctx}: consult without a store"),
                        Err(e) => panic!("{ctx}: begin failed: {e}"),
                    }
                }
                2 => {
                    // Mostly the oldest waiter (what a shell sleeping until `until` does).
                    let w = if (r >> 60) % 4 != 0 {
                        waiting.iter().min().copied()
                    } else {
                        pick(&waiting)
                    };
                    if let Some((t, k)) = w {
                        let floor = p.lane(k).map_or(0, |l| l.floor);
                        match p.resume(t, now) {
                            Ok(Step::Go { .. }) => {
                                assert!(now >= floor, "{ctx}: go at {now} before floor {floor}");
                                waiting.retain(|x| x.0 != t);
                                flying.push((t, k));
                                gos += 1;
                            }
                            Ok(Step::Wait { until, .. }) => {
                                assert!(until > now || until >= floor, "{ctx}: wait {until}");
                            }
                            other => panic!("{ctx}: resume {other:?}"),
                        }
                    }
                }
                3 => {
                    if let Some((t, k)) = pick(&flying) {
                        let (status, headers): (u16, Vec<(String, String)>) = match (r >> 48) % 5 {
                            0 => (
                                429,
                                vec![("Retry-After".into(), ((r >> 52) % 3).to_string())],
                            ),
                            1 => (503, vec![]),
                            2 => (
                                200,
                                vec![
                                    ("X-RateLimit-Limit".into(), "10".into()),
                                    ("X-RateLimit-Remaining".into(), ((r >> 52) % 4).to_string()),
                                    ("X-RateLimit-Reset".into(), ((r >> 56) % 3).to_string()),
                                ],
                            ),
                            3 => (
                                200,
                                vec![
                                    ("inin-ratelimit-allowed".into(), "300".into()),
                                    ("inin-ratelimit-count".into(), ((r >> 52) % 301).to_string()),
                                    ("inin-ratelimit-reset".into(), ((r >> 56) % 61).to_string()),
                                ],
                            ),
                            _ => (0, vec![]),
                        };
                        let outcome = if status == 0 {
                            Outcome::NetworkError
                        } else {
                            let reading =
                                parse(status, &headers, None, now, &ParseOptions::default())
                                    .unwrap_or_else(|e| panic!("{e}"));
                            Outcome::Response { reading }
                        };
                        flying.retain(|x| x.0 != t);
                        match p.finish(t, &outcome, now) {
                            Ok(After::Retry { at, .. }) => {
                                let floor = p.lane(k).map_or(0, |l| l.floor);
                                assert!(at >= floor.min(at), "{ctx}");
                                waiting.push((t, k));
                                retries += 1;
                            }
                            Ok(_) => {}
                            Err(e) => panic!("{ctx}: finish failed: {e}"),
                        }
                    }
                }
                4 => {
                    if let Some((t, _)) = pick(&waiting) {
                        p.cancel(t).unwrap_or_else(|e| panic!("{ctx}: {e}"));
                        waiting.retain(|x| x.0 != t);
                    }
                }
                _ => {
                    // Bogus: a ticket never issued, or one in the wrong state.
                    let e = p.resume(u64::MAX - 1, now).err().map(|e| e.code.as_str());
                    assert_eq!(e, Some("unknown_ticket"), "{ctx}");
                    if let Some((t, _)) = pick(&flying) {
                        let e = p.resume(t, now).err().map(|e| e.code.as_str());
                        assert_eq!(e, Some("ticket_state"), "{ctx}");
                    }
                }
            }
            assert_eq!(p.open_tickets(), waiting.len() + flying.len(), "{ctx}");
            if step % 500 == 0 {
                let saved = serde_json::to_string(&p.state()).unwrap_or_default();
                let state = serde_json::from_str(&saved).unwrap_or_else(|e| panic!("{ctx}: {e}"));
                let restored = Pacer::from_state(config.clone(), state)
                    .unwrap_or_else(|e| panic!("{ctx}: {e}"));
                assert_eq!(restored, p, "{ctx}: state round trip");
            }
        }
        assert!(
            gos > 100 && waits > 50 && retries > 50,
            "config {ci}: {gos} go, {waits} wait, {retries} retry"
        );
    }
}

/// Near the end of time (2^53 - 1 ms) a large amount's TAT no longer fits a u64: the pacer must
/// admit nothing extra (it used to saturate into a free pass: 20 of 20 went with a burst of 3),
/// and no wait it returns ends past 2^53 - 1.
#[test]
fn a_saturated_clock_grants_the_pacer_nothing() {
    use pacekeeper::pacer::Step;
    use pacekeeper::{Limit, MAX_TIME};
    for amount in [3, 3000, 1_000_000] {
        let config = PacerConfig {
            limits: vec![Limit {
                amount,
                period_ms: 1000,
                burst: 3,
            }],
            ..PacerConfig::default()
        };
        for now in [MAX_TIME - 5000, MAX_TIME, u64::MAX] {
            let mut p = Pacer::new(config.clone()).unwrap();
            let mut went = 0;
            for _ in 0..20 {
                match p.begin("k", 1, now).unwrap() {
                    Step::Go { .. } => went += 1,
                    Step::Wait { until, .. } => assert!(until <= MAX_TIME, "{until}"),
                    Step::Never { capacity, .. } => assert_eq!(capacity, 0),
                    Step::Consult { .. } => panic!("consult without a store"),
                }
            }
            assert!(went <= 3, "amount {amount} at {now}: {went} went at once");
        }
    }
}
