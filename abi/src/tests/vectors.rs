//! The error-parity set (`tests/vectors/errors.json`) replayed through the ABI: every case whose
//! input the ABI can carry gives the code every other runtime gives.

use super::{error_code_of, new_pacer, Buf};
use crate::*;
use serde_json::{json, Map, Value};

/// An integer argument, when the ABI's `i64` carries it exactly (`-0` as 0; NaN, ±∞,
/// fractions, strings and values beyond `i64` cannot cross this boundary at all).
fn int(v: &Value) -> Option<i64> {
    match v {
        Value::Object(o) if o.get("$num").and_then(Value::as_str) == Some("-0") => Some(0),
        v => v.as_i64(),
    }
}

/// A vector value as the JSON a host writes (`-0` as 0), or None when JSON cannot carry it.
fn json_of(v: &Value) -> Option<Value> {
    Some(match v {
        Value::Object(o) if o.contains_key("$num") => json!(int(v)?),
        Value::Object(o) => {
            let m: Option<Map<String, Value>> = o
                .iter()
                .map(|(k, x)| Some((k.clone(), json_of(x)?)))
                .collect();
            Value::Object(m?)
        }
        Value::Array(a) => Value::Array(a.iter().map(json_of).collect::<Option<_>>()?),
        v => v.clone(),
    })
}

/// The pacer of `config`, then `begin` of `key` and (with a response) `finish`: the first
/// error code, or None.
fn pace(
    config: &Value,
    key: &str,
    cost: i64,
    now: i64,
    response: Option<(i32, &str, &str)>,
) -> Option<i64> {
    let h = new_pacer(&config.to_string());
    if h < 0 {
        return Some(h);
    }
    let (k, out) = (Buf::with(key.as_bytes()), Buf::new(OUT_SLOTS * 8));
    let mut code = pk_pacer_begin(h, k.ptr, key.len(), cost, now, out.ptr);
    if let (Some((status, block, body)), 0..) = (response, code) {
        let (hb, bb) = (Buf::with(block.as_bytes()), Buf::with(body.as_bytes()));
        let (hl, bl) = (block.len(), body.len());
        code = pk_pacer_finish(h, 1, status, hb.ptr, hl, bb.ptr, bl, now, out.ptr);
    }
    assert_eq!(pk_pacer_free(h), 0);
    Some(code).filter(|c| *c < 0)
}

/// One error vector through the ABI: `Some(code)` (None: no error), or None when the ABI
/// cannot express its input.
fn abi_error_case(call: &str, a: &Value) -> Option<Option<&'static str>> {
    let limits = json!({ "limits": [{ "amount": 5, "period_ms": 1000 }] });
    let ret = match call {
        "check" => pace(
            &limits,
            a["key"].as_str()?,
            int(&a["cost"])?,
            int(&a["now"])?,
            None,
        ),
        // The pacer's configuration holds limits and learn (not max_in_flight nor adaptive).
        "limiter" if a.as_object()?.keys().all(|k| k == "limits" || k == "learn") => {
            pace(&json_of(a)?, "k", 1, 0, None)
        }
        "backoff" => pace(&json!({ "backoff": json_of(a)? }), "k", 1, 0, None),
        // The ABI has no reset_mode argument: it is a name inside the JSON configuration,
        // where an unknown name is JSON's unknown variant (invalid_argument, as for a jitter).
        // Status 0 is a network error here.
        "parse" if a.get("reset_mode").is_none() && int(&a["status"]) != Some(0) => {
            let mut config = limits.clone();
            if let Some(m) = a.get("max_wait_ms") {
                config["parse"] = json!({ "max_wait_ms": json_of(m)? });
            }
            let mut block = String::new();
            for p in a["headers"].as_array()? {
                block.push_str(&format!("{}: {}\n", p[0].as_str()?, p[1].as_str()?));
            }
            let body = if a["body"].is_null() {
                ""
            } else {
                a["body"].as_str()?
            };
            let status = i32::try_from(int(&a["status"])?).ok()?;
            pace(
                &config,
                "k",
                1,
                int(&a["now"])?,
                Some((status, &block, body)),
            )
        }
        _ => return None,
    };
    Some(ret.map(|r| error_code_of(r).map_or("?", |c| c.as_str())))
}

#[test]
fn error_vectors_give_the_same_codes_through_the_abi() {
    let path =
        std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/errors.json");
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
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    assert!(
        replayed >= 50,
        "only {replayed} error vectors are expressible through the ABI"
    );
}
