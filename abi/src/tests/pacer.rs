//! The pacer through the exported functions: the scripted sessions of
//! `tests/vectors/sessions.json` replayed step by step (every expected action checked exactly),
//! the handle table, and bad input as codes.

use super::{last_error, Buf};
use crate::*;
use pacekeeper::backoff::{GiveUpReason, RetryReason};
use pacekeeper::pacer::NeverReason;
use serde_json::{json, Value};
use std::path::PathBuf;

fn sessions() -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/sessions.json");
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| unreachable!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| unreachable!("{}: {e}", p.display()))
}

fn new_pacer(config: &str) -> i64 {
    let c = Buf::with(config.as_bytes());
    pk_pacer_new(c.ptr, config.len())
}

/// A vector's header pairs as the raw block a JMeter host passes; every pair must survive it.
fn header_block(headers: &Value) -> String {
    let mut block = String::new();
    for pair in headers.as_array().into_iter().flatten() {
        let (n, v) = (
            pair[0].as_str().unwrap_or(""),
            pair[1].as_str().unwrap_or(""),
        );
        assert!(
            !n.is_empty() && !n.contains([':', ' ', '\t', '\r', '\n']) && v.trim() == v,
            "header {n:?}: {v:?} cannot travel in a raw header block"
        );
        assert!(
            !v.contains(['\r', '\n']),
            "header value {v:?} holds a line break"
        );
        block.push_str(&format!("{n}: {v}\r\n"));
    }
    block
}

/// An action record (and its code) in the vectors' JSON shape.
fn action_json(code: i64, rec: &[i64]) -> Value {
    if let Some(e) = error_code_of(code) {
        return json!({ "error": e.as_str() });
    }
    assert_eq!(code, rec[0], "the return value is the record's action");
    let name = ACTIONS.get(code as usize).copied().unwrap_or("?");
    match code {
        PK_GO => json!({ "action": name, "ticket": rec[1] }),
        PK_WAIT => json!({ "action": name, "ticket": rec[1], "until": rec[2] }),
        PK_NEVER_SEND => json!({
            "action": name,
            "reason": NEVER_REASONS[rec[4] as usize],
            "capacity": rec[5],
        }),
        PK_DONE => json!({ "action": name }),
        PK_RETRY => json!({
            "action": name,
            "at": rec[2],
            "attempt": rec[3],
            "reason": RetryReason::NAMES[rec[4] as usize],
        }),
        PK_GIVE_UP => json!({
            "action": name,
            "reason": GiveUpReason::NAMES[rec[4] as usize],
            "attempts": rec[3],
        }),
        other => json!({ "unexpected code": other }),
    }
}

fn n(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

/// One step through the exports, answered in the vectors' JSON shape.
fn run_step(h: i64, s: &Value) -> Value {
    let out = Buf::longs(ACTION_FIELDS);
    let now = n(&s["now"]);
    let key = s["key"].as_str().unwrap_or("");
    let k = Buf::with(key.as_bytes());
    match s["op"].as_str().unwrap_or("") {
        "begin" => {
            let cost = s["cost"].as_i64().unwrap_or(1) as i32;
            let code = pk_pacer_begin(h, k.ptr, key.len(), cost, now, out.ptr);
            action_json(code, &out.i64s(ACTION_FIELDS))
        }
        "resume" => {
            let code = pk_pacer_resume(h, n(&s["ticket"]), now, out.ptr);
            action_json(code, &out.i64s(ACTION_FIELDS))
        }
        "cancel" => match pk_pacer_cancel(h, n(&s["ticket"])) {
            0 => json!({ "action": "cancelled" }),
            code => action_json(code, &[]),
        },
        "finish" => {
            let r = &s["response"];
            let (status, block, body) = if r.is_null() {
                (0, String::new(), String::new())
            } else {
                let body = r["body"].as_str().unwrap_or("").to_owned();
                (n(&r["status"]) as i32, header_block(&r["headers"]), body)
            };
            let hb = Buf::with(block.as_bytes());
            let bb = Buf::with(body.as_bytes());
            let code = pk_pacer_finish(
                h,
                n(&s["ticket"]),
                status,
                hb.ptr,
                block.len(),
                bb.ptr,
                body.len(),
                now,
                out.ptr,
            );
            action_json(code, &out.i64s(ACTION_FIELDS))
        }
        "learnt" => match pk_pacer_learnt(h, k.ptr, key.len(), out.ptr) {
            PK_NONE => Value::Null,
            0 => {
                let l = out.i64s(LIMIT_FIELDS);
                json!({ "amount": l[0], "period_ms": l[1], "burst": l[2] })
            }
            code => action_json(code, &[]),
        },
        other => json!({ "unknown op": other }),
    }
}

#[test]
fn session_vectors_through_the_exports() {
    let doc = sessions();
    assert_eq!(doc["kind"], "sessions");
    let cases = doc["cases"].as_array().cloned().unwrap_or_default();
    assert!(!cases.is_empty(), "no session cases");
    let (mut steps, mut failures) = (0, Vec::new());
    for case in &cases {
        let name = case["name"].as_str().unwrap_or("");
        let h = new_pacer(&case["config"].to_string());
        assert!(h >= 1, "{name}: pk_pacer_new: {}", last_error());
        for (i, s) in case["steps"].as_array().into_iter().flatten().enumerate() {
            steps += 1;
            let got = run_step(h, s);
            if got != s["expect"] {
                failures.push(format!(
                    "{name} step {i} ({} at {}): expected {}, got {got}",
                    s["op"], s["now"], s["expect"]
                ));
            }
        }
        assert_eq!(pk_pacer_free(h), 0);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(steps >= 100, "only {steps} steps replayed");
}

#[test]
fn handles_are_bounded_checked_and_never_reused() {
    let first = new_pacer("");
    assert!(first >= 1);
    let mut live = vec![first];
    loop {
        let h = new_pacer("{}");
        if h < 0 {
            assert_eq!(error_code_of(h), Some(ErrorCode::InvalidState));
            assert!(
                last_error().contains("at most 256 pacers"),
                "{}",
                last_error()
            );
            break;
        }
        live.push(h);
        assert!(live.len() <= MAX_PACERS, "the table is bounded");
    }
    assert_eq!(live.len(), MAX_PACERS);
    for h in &live {
        assert_eq!(pk_pacer_free(*h), 0);
    }
    assert_eq!(pk_pacer_free(first), -109, "double free");
    assert!(last_error().starts_with("invalid_argument: no live pacer"));
    assert_eq!(pk_pacer_open_tickets(first), -109, "a freed handle is dead");
    assert_eq!(pk_pacer_open_tickets(0), -109);
    assert_eq!(pk_pacer_open_tickets(-5), -109);
    let again = new_pacer("");
    assert!(again > *live.last().unwrap_or(&0), "handles are not reused");
    assert_eq!(pk_pacer_free(again), 0);
}

#[test]
fn bad_configs_are_the_cores_codes() {
    for (config, code) in [
        ("{", ErrorCode::InvalidArgument),
        (r#"{"nope":1}"#, ErrorCode::InvalidArgument),
        (
            r#"{"limits":[{"amount":0,"period_ms":1000}]}"#,
            ErrorCode::InvalidLimit,
        ),
        (
            r#"{"limits":[{"amount":1.5,"period_ms":1000}]}"#,
            ErrorCode::InvalidNumber,
        ),
        (r#"{"probe_poll_ms":0}"#, ErrorCode::InvalidOption),
        (
            r#"{"backoff":{"multiplier":0.5}}"#,
            ErrorCode::InvalidPolicy,
        ),
        (r#"{"preset":"nope"}"#, ErrorCode::InvalidArgument),
    ] {
        let h = new_pacer(config);
        assert_eq!(error_code_of(h), Some(code), "{config}: {}", last_error());
    }
    let bad = Buf::with(&[0xff, 0xfe]);
    assert_eq!(pk_pacer_new(bad.ptr, 2), -109);
    assert_eq!(
        pk_pacer_new(8, 4),
        -109,
        "a pointer outside pk_alloc buffers"
    );
    let g = new_pacer(r#"{"preset":"genesys"}"#);
    assert!(g >= 1);
    let key = Buf::with(b"t");
    let out = Buf::longs(ACTION_FIELDS);
    assert_eq!(
        pk_pacer_learnt(g, key.ptr, 1, out.ptr),
        PK_NONE,
        "no lane yet"
    );
    assert_eq!(pk_pacer_begin(g, key.ptr, 1, 1, 0, out.ptr), PK_GO);
    assert_eq!(pk_pacer_learnt(g, key.ptr, 1, out.ptr), 0);
    assert_eq!(out.i64s(3), vec![300, 60_000, 300]);
    assert_eq!(pk_pacer_free(g), 0);
}

#[test]
fn bad_calls_are_codes_and_lose_no_ticket() {
    let h = new_pacer(r#"{"limits":[{"amount":1,"period_ms":1000}]}"#);
    let out = Buf::longs(ACTION_FIELDS);
    let key = Buf::with("tenant-ä".as_bytes());
    let klen = "tenant-ä".len();
    assert_eq!(pk_pacer_begin(h, key.ptr, klen, 1, 1000, out.ptr), PK_GO);
    assert_eq!(out.i64s(2), vec![PK_GO, 1]);
    let t = 1;
    // A bad out pointer: an error, and the ticket still open and in flight.
    let small = Buf::new(8);
    assert_eq!(
        pk_pacer_finish(h, t, 200, 0, 0, 0, 0, 1100, small.ptr),
        -109
    );
    assert_eq!(pk_pacer_open_tickets(h), 1);
    assert_eq!(pk_pacer_resume(h, t, 1100, out.ptr), -112, "ticket_state");
    assert!(last_error().starts_with("ticket_state: "));
    assert_eq!(
        pk_pacer_resume(h, 99, 1100, out.ptr),
        -111,
        "unknown_ticket"
    );
    assert_eq!(
        pk_pacer_resume(h, -1, 1100, out.ptr),
        -110,
        "invalid_number"
    );
    assert_eq!(pk_pacer_finish(h, t, 99, 0, 0, 0, 0, 1100, out.ptr), -106);
    assert_eq!(pk_pacer_finish(h, t, 200, 0, 0, 0, 0, -1, out.ptr), -110);
    assert_eq!(pk_pacer_finish(h, t, 200, 8, 3, 0, 0, 1100, out.ptr), -109);
    assert_eq!(pk_pacer_open_tickets(h), 1, "no bad call moved the ticket");
    // Bad begin arguments.
    let bad_utf8 = Buf::with(&[0xc3]);
    assert_eq!(pk_pacer_begin(h, bad_utf8.ptr, 1, 1, 1100, out.ptr), -105);
    assert_eq!(pk_pacer_begin(h, 0, 0, 1, 1100, out.ptr), -105, "empty key");
    assert_eq!(pk_pacer_begin(h, key.ptr, klen, 0, 1100, out.ptr), -102);
    assert_eq!(pk_pacer_begin(h, key.ptr, klen, -1, 1100, out.ptr), -110);
    assert_eq!(
        pk_pacer_begin(h, key.ptr, klen, 2, 1100, out.ptr),
        PK_NEVER_SEND
    );
    assert_eq!(out.i64s(ACTION_FIELDS), vec![2, -1, -1, -1, 0, 1]);
    assert_eq!(pk_pacer_begin(77, key.ptr, klen, 1, 1100, out.ptr), -109);
    // A network error (status 0 ignores headers) retries after the backoff.
    assert_eq!(
        pk_pacer_finish(h, t, 0, 8, 3, 8, 3, 1100, out.ptr),
        PK_RETRY
    );
    let rec = out.i64s(ACTION_FIELDS);
    assert_eq!((rec[0], rec[1], rec[3]), (PK_RETRY, t, 2));
    assert_eq!(rec[4], RetryReason::Backoff.index() as i64);
    assert!(rec[2] > 1100);
    assert_eq!(pk_pacer_cancel(h, t), 0);
    assert_eq!(pk_pacer_cancel(h, t), -111);
    assert_eq!(pk_pacer_open_tickets(h), 0);
    assert_eq!(pk_pacer_free(h), 0);
}

#[test]
fn vocabularies_are_exported() {
    let voc = |name: &str| {
        let n = Buf::with(name.as_bytes());
        let o = Buf::new(512);
        let len = pk_vocabulary(n.ptr, name.len(), o.ptr, 512);
        if len < 0 {
            return Err(len);
        }
        let b = mem::read(o.ptr, len as usize, "t").unwrap_or_default();
        Ok(String::from_utf8_lossy(&b).into_owned())
    };
    assert_eq!(voc("pacerActions"), Ok(ACTIONS.join(",")));
    assert_eq!(voc("neverReasons"), Ok(NeverReason::NAMES.join(",")));
    assert_eq!(voc("retryReasons"), Ok(RetryReason::NAMES.join(",")));
    assert_eq!(voc("giveUpReasons"), Ok(GiveUpReason::NAMES.join(",")));
    let codes = voc("errorCodes").unwrap_or_default();
    assert!(codes.ends_with("unknown_ticket,ticket_state"), "{codes}");
    assert_eq!(voc("nope"), Err(-109));
    let n = Buf::with(b"pacerActions");
    assert_eq!(
        pk_vocabulary(n.ptr, 12, 0, 0),
        ACTIONS.join(",").len() as i64
    );
}

mod names {
    use crate::*;
    use pacekeeper::backoff::{GiveUpReason, RetryReason};
    use pacekeeper::pacer::{After, NeverReason, Step};

    /// The action and never-reason orders name exactly the core's serde tags.
    #[test]
    fn actions_are_the_cores_serde_names() {
        let steps = [
            Step::Go { ticket: 1 },
            Step::Wait {
                ticket: 1,
                until: 2,
            },
            Step::Never {
                reason: NeverReason::CostAboveBurst,
                capacity: 3,
            },
        ];
        let afters = [
            After::Done,
            After::Retry {
                at: 1,
                attempt: 2,
                reason: RetryReason::Backoff,
            },
            After::GiveUp {
                reason: GiveUpReason::MaxAttempts,
                attempts: 3,
            },
        ];
        let mut tags = Vec::new();
        for s in &steps {
            let v = serde_json::to_value(s).unwrap_or_default();
            let code = step_record(s)[0] as usize;
            assert_eq!(v["action"], ACTIONS[code]);
            tags.push(code);
            if let Step::Never { .. } = s {
                assert_eq!(v["reason"], NEVER_REASONS[step_record(s)[4] as usize]);
            }
        }
        for a in &afters {
            let v = serde_json::to_value(a).unwrap_or_default();
            let code = after_record(9, a)[0] as usize;
            assert_eq!(v["action"], ACTIONS[code]);
            tags.push(code);
        }
        tags.sort_unstable();
        assert_eq!(
            tags,
            (0..ACTIONS.len()).collect::<Vec<_>>(),
            "every code used once"
        );
    }
}
