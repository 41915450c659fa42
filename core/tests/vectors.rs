//! Runs the shared vectors in `tests/vectors/*.json` through the Rust engine.
//!
//! Each case's `expect` (the exact output, or `error` with a code) must match. A case may also
//! carry `assert`: hand-written partial expectations (a subset of the output) that pin the
//! semantics independently of `expect`. `PACEKEEPER_BLESS=1 cargo test --test vectors` rewrites
//! `expect` from the engine, but only after every `assert` holds.

use pacekeeper::backoff::{Backoff, BackoffPolicy, Outcome, RetryBudget, RetryState};
use pacekeeper::bucket::{Limiter, LimiterConfig, LimiterState};
use pacekeeper::headers::{parse, ParseOptions};
use pacekeeper::plan::{plan, replan, BatchOutcome, Plan, PlanRequest};
use pacekeeper::Error;
use serde_json::{json, Map, Value};
use std::path::PathBuf;

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors")
}

fn from<T: serde::de::DeserializeOwned>(v: &Value) -> Result<T, String> {
    serde_json::from_value(v.clone()).map_err(|e| format!("bad vector input {v}: {e}"))
}

fn err(e: Error) -> Value {
    json!({ "error": e.code.as_str() })
}

fn out<T: serde::Serialize>(r: Result<T, Error>) -> Value {
    match r {
        Ok(v) => serde_json::to_value(v).unwrap_or(Value::Null),
        Err(e) => err(e),
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

fn options(c: &Value) -> Result<ParseOptions, String> {
    match c.get("options") {
        Some(o) => from(o),
        None => Ok(ParseOptions::default()),
    }
}

fn parse_response(r: &Value, now: u64, opts: &ParseOptions) -> Result<pacekeeper::Reading, Error> {
    let status = r["status"].as_u64().unwrap_or(0);
    let status = u16::try_from(status).unwrap_or(0);
    parse(
        status,
        &headers_of(&r["headers"]),
        r["body"].as_str(),
        now,
        opts,
    )
}

fn run_headers(c: &Value) -> Result<Value, String> {
    let now = c["now"].as_u64().ok_or("now")?;
    let opts = options(c)?;
    Ok(out(parse_response(c, now, &opts)))
}

fn run_bucket(c: &Value) -> Result<Value, String> {
    let config: LimiterConfig = from(&c["config"])?;
    let mut limiter = match Limiter::new(config.clone()) {
        Ok(l) => l,
        Err(e) => return Ok(err(e)),
    };
    let mut results = Vec::new();
    for step in c["steps"].as_array().ok_or("steps")? {
        let key = step["key"].as_str().unwrap_or_default();
        let now = step["now"].as_u64().unwrap_or(0);
        let cost = step.get("cost").and_then(Value::as_u64).unwrap_or(1);
        let cost = u32::try_from(cost).unwrap_or(u32::MAX);
        let r = match step["op"].as_str().ok_or("op")? {
            "check" => out(limiter.check(key, cost, now)),
            "peek" => out(limiter.peek(key, cost, now)),
            "reserve" => out(limiter.reserve(key, cost, now)),
            "observe" => {
                let opts = ParseOptions::default();
                out(parse_response(&step["response"], now, &opts)
                    .and_then(|reading| limiter.observe(key, &reading, now)))
            }
            "block_until" => out(limiter.block_until(key, step["until"].as_u64().unwrap_or(0))),
            "acquire" => out(limiter.acquire(key)),
            "release" => out(limiter.release(key)),
            "prune" => json!(limiter.prune(now)),
            "restore" => {
                // Round-trip the whole state through JSON, as a process restart would.
                let saved = serde_json::to_value(limiter.state()).map_err(|e| e.to_string())?;
                let state: LimiterState = from(&saved)?;
                limiter = Limiter::from_state(config.clone(), state).map_err(|e| e.to_string())?;
                json!(limiter.len())
            }
            other => return Err(format!("unknown op {other}")),
        };
        results.push(r);
    }
    Ok(Value::Array(results))
}

fn run_backoff(c: &Value) -> Result<Value, String> {
    let policy: BackoffPolicy = from(&c["policy"])?;
    let backoff = match Backoff::new(policy) {
        Ok(b) => b,
        Err(e) => return Ok(err(e)),
    };
    let seed = c["seed"].as_u64().unwrap_or(0);
    let mut result = Map::new();
    if let Some(n) = c.get("schedule").and_then(Value::as_u64) {
        let n = u32::try_from(n).unwrap_or(u32::MAX);
        match backoff.policy().schedule(seed, n) {
            Ok(delays) => result.insert("schedule".into(), json!(delays)),
            Err(e) => return Ok(err(e)),
        };
    }
    let mut budget: Option<RetryBudget> = match c.get("budget") {
        Some(b) => Some(from(b)?),
        None => None,
    };
    let mut state = RetryState::new(c["started_at"].as_u64().unwrap_or(0), seed);
    let mut decisions = Vec::new();
    for step in c["steps"].as_array().map(Vec::as_slice).unwrap_or_default() {
        let now = step["now"].as_u64().unwrap_or(0);
        let outcome = match step.get("response") {
            None | Some(Value::Null) => Ok(Outcome::NetworkError),
            Some(r) => parse_response(r, now, &ParseOptions::default())
                .map(|reading| Outcome::Response { reading }),
        };
        let d = outcome.and_then(|o| backoff.decide(&mut state, &o, now, budget.as_mut()));
        let mut v = out(d);
        if let (Some(b), Value::Object(m)) = (&budget, &mut v) {
            m.insert("budget_tokens".into(), json!(b.tokens));
        }
        decisions.push(v);
    }
    result.insert("decisions".into(), Value::Array(decisions));
    Ok(Value::Object(result))
}

fn run_plan(c: &Value) -> Result<Value, String> {
    let req: PlanRequest = from(&c["request"])?;
    let now = c["now"].as_u64().unwrap_or(0);
    let first = plan(&req, now);
    let mut results = vec![out(first.clone())];
    let mut prev: Option<Plan> = first.ok();
    for rp in c["replans"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default()
    {
        let outcomes: Vec<BatchOutcome> = from(&rp["outcomes"])?;
        let p = prev.as_ref().ok_or("replan after a failed plan")?;
        let r = replan(&req, p, &outcomes, rp["now"].as_u64().unwrap_or(0));
        results.push(out(r.clone()));
        prev = r.ok();
    }
    Ok(Value::Array(results))
}

/// Every key of `want` is in `got` with an equal value, recursively; arrays match element-wise
/// (an array in `want` may be shorter: only its elements are checked; an empty one means empty).
fn subset(want: &Value, got: &Value, path: &str) -> Result<(), String> {
    match (want, got) {
        (Value::Object(w), Value::Object(g)) => {
            for (k, wv) in w {
                let gv = g
                    .get(k)
                    .ok_or_else(|| format!("{path}.{k}: missing in {got}"))?;
                subset(wv, gv, &format!("{path}.{k}"))?;
            }
            Ok(())
        }
        (Value::Array(w), Value::Array(g)) => {
            if w.len() > g.len() || (w.is_empty() && !g.is_empty()) {
                return Err(format!(
                    "{path}: want {} elements, got {}",
                    w.len(),
                    g.len()
                ));
            }
            for (i, (wv, gv)) in w.iter().zip(g).enumerate() {
                subset(wv, gv, &format!("{path}[{i}]"))?;
            }
            Ok(())
        }
        _ if want == got => Ok(()),
        _ => Err(format!("{path}: want {want}, got {got}")),
    }
}

#[test]
fn shared_vectors() {
    let bless = std::env::var("PACEKEEPER_BLESS").is_ok_and(|v| v == "1");
    let mut total = 0;
    let mut failures = Vec::new();
    for file in ["headers", "bucket", "backoff", "plan"] {
        let path = dir().join(format!("{file}.json"));
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        let mut doc: Value =
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{path:?}: {e}"));
        let cases = doc["cases"]
            .as_array_mut()
            .unwrap_or_else(|| panic!("{path:?}: no cases"));
        for c in cases.iter_mut() {
            total += 1;
            let name = c["name"].as_str().unwrap_or("?").to_owned();
            let got = match file {
                "headers" => run_headers(c),
                "bucket" => run_bucket(c),
                "backoff" => run_backoff(c),
                _ => run_plan(c),
            };
            let got = match got {
                Ok(g) => g,
                Err(e) => {
                    failures.push(format!("{file}/{name}: {e}"));
                    continue;
                }
            };
            if let Some(want) = c.get("assert") {
                if let Err(e) = subset(want, &got, "") {
                    failures.push(format!("{file}/{name}: assert {e}"));
                    continue;
                }
            }
            if bless {
                c["expect"] = got;
            } else if c.get("expect") != Some(&got) {
                failures.push(format!(
                    "{file}/{name}:\n  expect {}\n  got    {got}",
                    c.get("expect").unwrap_or(&Value::Null)
                ));
            }
        }
        if bless && failures.is_empty() {
            let text = serde_json::to_string_pretty(&doc).unwrap_or_default();
            std::fs::write(&path, text + "\n").unwrap_or_else(|e| panic!("{path:?}: {e}"));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {total} vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(total >= 200, "only {total} vectors");
    println!("{total} shared vectors passed");
}
