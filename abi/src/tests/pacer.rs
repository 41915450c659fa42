//! The pacer through the exported functions: the scripted sessions of
//! `tests/vectors/sessions.json` replayed step by step (every expected action checked exactly),
//! the handle table, and bad input as codes.

use super::{error_code_of, last_error, new_pacer, Buf};
use crate::*;
use serde_json::{json, Value};
use std::path::PathBuf;

fn sessions() -> Value {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/sessions.json");
    let text = std::fs::read_to_string(&p).unwrap_or_else(|e| unreachable!("{}: {e}", p.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| unreachable!("{}: {e}", p.display()))
}

/// A vocabulary as a host reads it, through `pk_vocabulary`.
fn voc(name: &str) -> Result<Vec<String>, i64> {
    let n = Buf::with(name.as_bytes());
    let o = Buf::new(512);
    let len = pk_vocabulary(n.ptr, name.len(), o.ptr, 512);
    if len < 0 {
        return Err(len);
    }
    let b = mem::read(o.ptr, len as usize, "t").unwrap_or_default();
    Ok(String::from_utf8_lossy(&b)
        .split(',')
        .map(String::from)
        .collect())
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

/// An answer (its code and slots) in the vectors' JSON shape; `vocab` names the code.
fn action_json(code: i64, out: &Buf, vocab: &str) -> Value {
    if let Some(e) = error_code_of(code) {
        return json!({ "error": e.as_str() });
    }
    let names = voc(vocab).unwrap_or_default();
    let action = names.get(code as usize).cloned().unwrap_or_default();
    let s = out.slots();
    let reason = |list: &str| voc(list).unwrap_or_default()[s[3].unwrap_or(-1) as usize].clone();
    match action.as_str() {
        "go" => json!({ "action": action, "ticket": s[0] }),
        "wait" => json!({ "action": action, "ticket": s[0], "until": s[1] }),
        "never" => json!({ "action": action, "reason": reason("neverReasons"), "capacity": s[2] }),
        "done" => json!({ "action": action }),
        "retry" => json!({
            "action": action, "at": s[1], "attempt": s[2], "reason": reason("retryReasons"),
        }),
        "give_up" => json!({
            "action": action, "reason": reason("giveUpReasons"), "attempts": s[2],
        }),
        other => json!({ "unexpected action": other }),
    }
}

fn n(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}

/// One step through the exports, answered in the vectors' JSON shape.
fn run_step(h: i64, s: &Value) -> Value {
    let out = Buf::new(OUT_SLOTS * 8);
    let now = n(&s["now"]);
    let key = s["key"].as_str().unwrap_or("");
    let k = Buf::with(key.as_bytes());
    match s["op"].as_str().unwrap_or("") {
        "begin" => {
            let cost = s["cost"].as_i64().unwrap_or(1);
            let code = pk_pacer_begin(h, k.ptr, key.len(), cost, now, out.ptr);
            action_json(code, &out, "steps")
        }
        "resume" => {
            let code = pk_pacer_resume(h, n(&s["ticket"]), now, out.ptr);
            action_json(code, &out, "steps")
        }
        "cancel" => match pk_pacer_cancel(h, n(&s["ticket"])) {
            0 => json!({ "action": "cancelled" }),
            code => action_json(code, &out, ""),
        },
        "finish" => {
            let r = &s["response"];
            let (status, block, body) = if r.is_null() {
                (0, String::new(), String::new())
            } else {
                let body = r["body"].as_str().unwrap_or("").to_owned();
                (n(&r["status"]) as i32, header_block(&r["headers"]), body)
            };
            let (hb, bb) = (Buf::with(block.as_bytes()), Buf::with(body.as_bytes()));
            let (t, hl, bl) = (n(&s["ticket"]), block.len(), body.len());
            let code = pk_pacer_finish(h, t, status, hb.ptr, hl, bb.ptr, bl, now, out.ptr);
            action_json(code, &out, "afters")
        }
        "learnt" => match pk_pacer_learnt(h, k.ptr, key.len(), out.ptr) {
            PK_NONE => Value::Null,
            0 => {
                let l = out.slots();
                json!({ "amount": l[0], "period_ms": l[1], "burst": l[2] })
            }
            code => action_json(code, &out, ""),
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
        (r#"{"shared":{}}"#, ErrorCode::InvalidOption),
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
    let out = Buf::new(OUT_SLOTS * 8);
    assert_eq!(
        pk_pacer_learnt(g, key.ptr, 1, out.ptr),
        PK_NONE,
        "no lane yet"
    );
    assert_eq!(pk_pacer_begin(g, key.ptr, 1, 1, 0, out.ptr), 0, "go");
    assert_eq!(pk_pacer_learnt(g, key.ptr, 1, out.ptr), 0);
    assert_eq!(out.slots(), [Some(300), Some(60_000), Some(300), None]);
    assert_eq!(pk_pacer_free(g), 0);
}

#[test]
fn bad_calls_are_codes_and_lose_no_ticket() {
    let (go, never, retry) = (0, 2, 1);
    let h = new_pacer(r#"{"limits":[{"amount":1,"period_ms":1000}]}"#);
    let out = Buf::new(OUT_SLOTS * 8);
    let key = Buf::with("tenant-ä".as_bytes());
    let klen = "tenant-ä".len();
    assert_eq!(pk_pacer_begin(h, key.ptr, klen, 1, 1000, out.ptr), go);
    assert_eq!(out.slots(), [Some(1), None, None, None]);
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
    assert_eq!(
        pk_pacer_resume(h, 1 << 53, 1100, out.ptr),
        -110,
        "beyond 2^53 - 1"
    );
    assert_eq!(pk_pacer_finish(h, t, 99, 0, 0, 0, 0, 1100, out.ptr), -106);
    assert_eq!(pk_pacer_finish(h, t, -1, 0, 0, 0, 0, 1100, out.ptr), -106);
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
        pk_pacer_begin(h, key.ptr, klen, 1 << 40, 1100, out.ptr),
        -102
    );
    assert_eq!(pk_pacer_begin(h, key.ptr, klen, 2, 1100, out.ptr), never);
    assert_eq!(out.slots(), [None, None, Some(1), Some(0)]);
    assert_eq!(pk_pacer_begin(77, key.ptr, klen, 1, 1100, out.ptr), -109);
    // A network error (status 0 ignores headers) retries after the backoff.
    assert_eq!(pk_pacer_finish(h, t, 0, 8, 3, 8, 3, 1100, out.ptr), retry);
    let s = out.slots();
    assert_eq!(
        (s[0], s[2], s[3]),
        (Some(t), Some(2), Some(0)),
        "attempt 2, backoff"
    );
    assert!(s[1] > Some(1100));
    assert_eq!(pk_pacer_cancel(h, t), 0);
    assert_eq!(pk_pacer_cancel(h, t), -111);
    assert_eq!(pk_pacer_open_tickets(h), 0);
    assert_eq!(pk_pacer_free(h), 0);
}

#[test]
fn vocabularies_are_the_codecs() {
    for name in [
        "steps",
        "afters",
        "neverReasons",
        "retryReasons",
        "giveUpReasons",
        "errorCodes",
    ] {
        let want = pacekeeper_bindings_common::vocabulary(name).unwrap_or_default();
        assert_eq!(voc(name).map(|v| v.join(",")), Ok(want), "{name}");
    }
    assert_eq!(
        voc("steps").unwrap_or_default()[..3],
        ["go", "wait", "never"]
    );
    assert_eq!(
        voc("afters"),
        Ok(vec!["done".into(), "retry".into(), "give_up".into()])
    );
    assert_eq!(voc("nope"), Err(-109));
    let n = Buf::with(b"afters");
    assert_eq!(
        pk_vocabulary(n.ptr, 6, 0, 0),
        "done,retry,give_up".len() as i64
    );
}
