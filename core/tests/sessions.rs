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
