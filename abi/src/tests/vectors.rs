//! The shared vectors (tests/vectors/) and the error-parity set, replayed through the ABI.

use super::*;

// --- the shared vectors, through the ABI ---------------------------------------------------------

fn vectors(name: &str) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/vectors")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| unreachable!("{path:?}: {e}"));
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| unreachable!("{e}"));
    v["cases"].as_array().cloned().unwrap_or_default()
}

fn num(v: &Value) -> i64 {
    v.as_i64().unwrap_or(-1)
}

fn enum_index(v: &Value, names: &[&str]) -> i64 {
    v.as_str()
        .and_then(|s| names.iter().position(|n| *n == s))
        .map_or(-1, |i| i as i64)
}

/// Every headers vector whose pairs a raw header block can carry (a name without blanks or
/// colons, a value without line breaks or edge blanks) gives, through `pk_read`, the record
/// of the expected reading (or the expected error).
#[test]
fn headers_vectors_through_pk_read() {
    let cases = vectors("headers.json");
    let mut run = 0;
    for c in &cases {
        let name = c["name"].as_str().unwrap_or("?");
        let pairs = c["headers"].as_array().cloned().unwrap_or_default();
        let mut block = String::new();
        let mut fits = true;
        for p in &pairs {
            let (n, v) = (p[0].as_str().unwrap_or(""), p[1].as_str().unwrap_or(""));
            fits &= !n.is_empty()
                && !n.contains(|ch: char| ch.is_whitespace() || ch == ':')
                && !v.contains(['\r', '\n'])
                && v.trim() == v
                && !n.starts_with("HTTP/");
            block.push_str(&format!("{n}: {v}\r\n"));
        }
        if !fits {
            continue;
        }
        let max_wait = c["options"]["max_wait_ms"].as_i64().unwrap_or(0);
        if c["options"]["max_wait_ms"] == 0 {
            continue; // 0 means "the default" in the ABI
        }
        if c["options"]["reset_mode"]
            .as_str()
            .is_some_and(|m| m != "auto")
        {
            continue; // the ABI always reads X-RateLimit-Reset in auto mode
        }
        let status = i32::try_from(c["status"].as_i64().unwrap_or(0)).unwrap_or(-1);
        let body = c["body"].as_str().unwrap_or("");
        let h = Buf::with(block.as_bytes());
        let b = Buf::with(body.as_bytes());
        let o = Buf::longs(READING_FIELDS);
        let now = c["now"].as_i64().unwrap_or(0);
        let code = pk_read(
            status,
            h.ptr,
            block.len(),
            b.ptr,
            body.len(),
            now,
            max_wait,
            o.ptr,
        );
        let e = &c["expect"];
        if let Some(err) = e["error"].as_str() {
            assert_eq!(error_code_of(code).map(|c| c.as_str()), Some(err), "{name}");
            run += 1;
            continue;
        }
        let want = vec![
            num(&e["status"]),
            i64::from(e["throttled"].as_bool().unwrap_or(false)),
            num(&e["wait_ms"]),
            enum_index(&e["wait_source"], pacekeeper::headers::WaitSource::NAMES),
            num(&e["retry_after_ms"]),
            num(&e["limit"]),
            num(&e["remaining"]),
            num(&e["reset_ms"]),
            num(&e["window_ms"]),
            e["date_skew_ms"].as_i64().unwrap_or(SKEW_NONE),
            i64::from(e["capped"].as_bool().unwrap_or(false)),
            e["rejected"].as_array().map_or(0, |a| a.len() as i64),
            enum_index(&e["source"], pacekeeper::headers::Source::NAMES),
        ];
        assert_eq!(code, want[2], "{name}: return code");
        assert_eq!(o.i64s(READING_FIELDS), want, "{name}");
        run += 1;
    }
    assert!(
        run * 10 >= cases.len() * 8,
        "only {run} of {} cases ran",
        cases.len()
    );
}

/// Every bucket vector with one limit and only check/reserve steps gives the expected verdicts
/// through `pk_bucket_step`, with a TAT per key kept by the test (as a host would).
#[test]
fn bucket_vectors_through_pk_bucket_step() {
    let cases = vectors("bucket.json");
    let mut run = 0;
    for c in &cases {
        let name = c["name"].as_str().unwrap_or("?");
        let cfg = &c["config"];
        let limits = cfg["limits"].as_array().cloned().unwrap_or_default();
        let steps = c["steps"].as_array().cloned().unwrap_or_default();
        let simple = limits.len() == 1
            && cfg.get("adaptive").is_none_or(Value::is_null)
            && cfg.get("max_in_flight").is_none_or(Value::is_null)
            && steps
                .iter()
                .all(|s| matches!(s["op"].as_str(), Some("check" | "reserve")))
            // The ABI's bucket has no key: the host keeps one TAT per key, and checks keys.
            && steps
                .iter()
                .all(|s| s["key"].as_str().is_some_and(|k| (1..=256).contains(&k.len())));
        if !simple {
            continue;
        }
        let l = &limits[0];
        let amount = i32::try_from(num(&l["amount"])).unwrap_or(-1);
        let lim = (
            amount,
            num(&l["period_ms"]),
            l["burst"].as_i64().map_or(amount, |b| b as i32),
        );
        let mut tats: BTreeMap<String, i64> = BTreeMap::new();
        let mut got = Vec::new();
        for s in &steps {
            let key = s["key"].as_str().unwrap_or("").to_owned();
            let cost = i32::try_from(s["cost"].as_i64().unwrap_or(1)).unwrap_or(-1);
            let tat = tats.get(&key).copied().unwrap_or(0);
            let now = num(&s["now"]);
            let (code, out) = step(tat, lim, cost, now, s["op"] == "reserve");
            let v = if let Some(e) = error_code_of(code) {
                serde_json::json!({ "error": e.as_str() })
            } else if code == PK_NEVER {
                // The ABI returns no capacity: the burst when the cost exceeds it, else 0 (a
                // slot only after the end of time, pacekeeper::MAX_TIME).
                let cap = if cost > lim.2 { lim.2 } else { 0 };
                serde_json::json!({ "decision": "never", "cost": cost, "capacity": cap })
            } else if code == 0 {
                tats.insert(key, out[0]);
                serde_json::json!({ "decision": "allow", "remaining": out[2] })
            } else {
                tats.insert(key, out[0]);
                serde_json::json!({ "decision": "wait", "until": out[1], "wait_ms": code })
            };
            got.push(v);
        }
        let e = &c["expect"];
        if let Some(err) = e["error"].as_str() {
            // A bad configuration: the first step (or one made up) reports it.
            let first = got.first().cloned().unwrap_or_else(|| {
                let code = step(0, lim, 1, 0, false).0;
                serde_json::json!({ "error": error_code_of(code).map(|c| c.as_str()) })
            });
            assert_eq!(first["error"].as_str(), Some(err), "{name}");
        } else {
            assert_eq!(&Value::Array(got), e, "{name}");
        }
        run += 1;
    }
    assert!(run >= 10, "only {run} bucket cases ran");
}

/// Every backoff vector without a retry budget (the ABI keeps none), with steps, a multiplier
/// in whole thousandths and at most 7 retry statuses gives the expected decisions through
/// `pk_retry` (responses as raw header blocks; `null` as status 0, a network error).
#[test]
fn backoff_vectors_through_pk_retry() {
    let cases = vectors("backoff.json");
    let mut run = 0;
    for c in &cases {
        let name = c["name"].as_str().unwrap_or("?");
        let steps = c["steps"].as_array().cloned().unwrap_or_default();
        let pol = &c["policy"];
        let milli = pol["multiplier"].as_f64().map(|m| m * 1000.0);
        let statuses = pol["retry_statuses"].as_array().map_or(0, Vec::len);
        if c.get("budget").is_some()
            || steps.is_empty()
            || milli.is_some_and(|m| m.fract() != 0.0)
            || statuses > POLICY_STATUSES
            || c["seed"].as_u64().is_none()
        {
            continue;
        }
        let mut rec = policy_record(&BackoffPolicy::default()).to_vec();
        let set = |rec: &mut Vec<i64>, i: usize, v: &Value| {
            if let Some(n) = v.as_i64() {
                rec[i] = n;
            }
        };
        set(&mut rec, 0, &pol["base_ms"]);
        if let Some(m) = milli {
            rec[1] = m as i64;
        }
        set(&mut rec, 2, &pol["cap_ms"]);
        if let Some(j) = pol["jitter"].as_str() {
            rec[3] = enum_index(&pol["jitter"], pacekeeper::Jitter::NAMES);
            assert!(rec[3] >= 0, "{name}: jitter {j}");
        }
        set(&mut rec, 4, &pol["max_attempts"]);
        if pol.get("deadline_ms").is_some() {
            rec[5] = pol["deadline_ms"].as_i64().unwrap_or(-1);
        }
        if let Some(b) = pol["retry_network_errors"].as_bool() {
            rec[6] = i64::from(b);
        }
        set(&mut rec, 7, &pol["hint_spread_percent"]);
        set(&mut rec, 8, &pol["max_wait_ms"]);
        if let Some(list) = pol["retry_statuses"].as_array() {
            for (i, slot) in rec[9..].iter_mut().enumerate() {
                *slot = list.get(i).and_then(Value::as_i64).unwrap_or(0);
            }
        }
        let p = Buf::longs(POLICY_FIELDS);
        p.set_i64s(&rec);
        let st = Buf::longs(STATE_FIELDS);
        let seed = c["seed"].as_u64().unwrap_or(0);
        assert_eq!(pk_state_init(st.ptr, num(&c["started_at"]), seed as i64), 0);
        let mut got = Vec::new();
        for s in &steps {
            let now = num(&s["now"]);
            let r = &s["response"];
            let (status, block, body) = if r.is_null() {
                (0, String::new(), String::new())
            } else {
                let mut block = String::new();
                for h in r["headers"].as_array().cloned().unwrap_or_default() {
                    block.push_str(&format!(
                        "{}: {}\r\n",
                        h[0].as_str().unwrap_or(""),
                        h[1].as_str().unwrap_or("")
                    ));
                }
                let status = i32::try_from(num(&r["status"])).unwrap_or(-1);
                (status, block, r["body"].as_str().unwrap_or("").to_owned())
            };
            let h = Buf::with(block.as_bytes());
            let b = Buf::with(body.as_bytes());
            let code = pk_retry(
                p.ptr,
                st.ptr,
                status,
                h.ptr,
                block.len(),
                b.ptr,
                body.len(),
                now,
            );
            let state = st.i64s(STATE_FIELDS);
            let reasons = ["backoff", "server_hint", "escalated"];
            let give_up = [
                "",
                "",
                "not_retryable",
                "max_attempts",
                "deadline",
                "retry_budget",
                "wait_too_long",
            ];
            got.push(if let Some(e) = error_code_of(code) {
                serde_json::json!({ "error": e.as_str() })
            } else if code == PK_NONE {
                serde_json::json!({ "decision": "done" })
            } else if code < 0 {
                let reason = give_up.get((-code) as usize).copied().unwrap_or("?");
                serde_json::json!({ "decision": "give_up", "reason": reason, "attempts": state[0] })
            } else {
                let reason = reasons.get(state[6] as usize).copied().unwrap_or("?");
                serde_json::json!({
                    "decision": "retry", "at": state[7], "delay_ms": code,
                    "attempt": state[0] + 1, "reason": reason,
                })
            });
        }
        let e = &c["expect"];
        if let Some(err) = e["error"].as_str() {
            assert_eq!(got[0]["error"].as_str(), Some(err), "{name}");
        } else {
            assert_eq!(&Value::Array(got), &e["decisions"], "{name}");
        }
        run += 1;
    }
    assert!(run >= 25, "only {run} backoff cases ran");
}

/// An integer argument of an error vector, when the ABI's `i64` can carry it exactly (NaN,
/// fractions, strings and values beyond `i64` cannot cross this boundary at all).
fn vector_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::Object(o) if o.get("$num").and_then(Value::as_str) == Some("-0") => Some(0),
        _ => None,
    }
}

fn abi_code(ret: i64) -> Option<&'static str> {
    let i = usize::try_from(-100 - ret).ok()?;
    ErrorCode::ALL.get(i).map(|c| c.as_str())
}

/// One error vector through the ABI, or None when the ABI cannot express its input.
fn abi_error_case(call: &str, a: &Value) -> Option<Option<&'static str>> {
    let int = |k: &str| a.get(k).and_then(vector_int);
    let i32_of = |k: &str| int(k).and_then(|v| i32::try_from(v).ok());
    let out = Buf::longs(BUCKET_OUT_FIELDS.max(READING_FIELDS));
    let ret = match call {
        "check" if a["key"] == "k" => {
            pk_bucket_step(0, 5, 1000, 5, i32_of("cost")?, int("now")?, 0, out.ptr)
        }
        "limiter" => {
            let o = a.as_object()?;
            let limits = o.get("limits")?.as_array()?;
            if o.len() != 1 || limits.len() != 1 {
                return None;
            }
            let l = limits[0].as_object()?;
            if l.keys()
                .any(|k| !["amount", "period_ms", "burst"].contains(&k.as_str()))
            {
                return None;
            }
            let amount = i32::try_from(vector_int(l.get("amount")?)?).ok()?;
            let period = vector_int(l.get("period_ms")?)?;
            let burst = match l.get("burst") {
                None => amount, // the test's stand-in for the core's default (the ABI takes burst)
                Some(b) => i32::try_from(vector_int(b)?).ok()?,
            };
            pk_bucket_step(0, amount, period, burst, 1, NOW, 0, out.ptr)
        }
        "parse" => {
            // The ABI has no reset mode, and its max_wait_ms 0 means "the default".
            if a.get("reset_mode").is_some() || int("max_wait_ms") == Some(0) {
                return None;
            }
            let mut block = String::new();
            for p in a["headers"].as_array()? {
                block.push_str(&format!("{}: {}\n", p[0].as_str()?, p[1].as_str()?));
            }
            let body = match a.get("body") {
                None | Some(Value::Null) => String::new(),
                Some(b) => b.as_str()?.to_owned(),
            };
            let max = if a.get("max_wait_ms").is_some() {
                int("max_wait_ms")?
            } else {
                0
            };
            let (h, b) = (Buf::with(block.as_bytes()), Buf::with(body.as_bytes()));
            pk_read(
                i32_of("status")?,
                h.ptr,
                block.len(),
                b.ptr,
                body.len(),
                int("now")?,
                max,
                out.ptr,
            )
        }
        _ => return None,
    };
    Some(abi_code(ret))
}

#[test]
fn error_vectors_give_the_same_codes_through_the_abi() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/errors.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_default())
        .unwrap_or_default();
    let (mut replayed, mut wrong) = (0, Vec::new());
    for case in doc["cases"].as_array().into_iter().flatten() {
        let Some(got) = abi_error_case(case["call"].as_str().unwrap_or(""), &case["args"]) else {
            continue;
        };
        replayed += 1;
        if got != case["code"].as_str() {
            wrong.push(format!(
                "{}: got {got:?}, want {}",
                case["name"], case["code"]
            ));
        }
    }
    assert!(
        replayed >= 20,
        "only {replayed} error vectors are expressible through the ABI"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
