//! The core's shared-budget codec and model over JSON lines (stdin → stdout), so that the Node and
//! Python store shells can be tested against a real server before the bindings expose the codec.
//! One request per line: `{"fn":"script"}`, `{"fn":"keys","id":…}`, `{"fn":"encode","request":…,
//! "now":null|µs}`, `{"fn":"decode","values":[…]}`, `{"fn":"step","state":…,"request":…,"now":µs}`.
//! Answers `{"ok":…}` or `{"error":code,"message":…}`.

use pacekeeper::shared::{self, Request, State};
use serde_json::{json, Value};
use std::io::{BufRead, Write};

fn answer(v: &Value) -> Value {
    let err = |code: &str, m: String| json!({ "error": code, "message": m });
    let req = || serde_json::from_value::<Request>(v["request"].clone());
    match v["fn"].as_str().unwrap_or("") {
        "script" => json!({ "ok": { "script": shared::SCRIPT, "sha1": shared::script_sha1() } }),
        "keys" => match shared::keys(v["id"].as_str().unwrap_or("")) {
            Ok(k) => json!({ "ok": k }),
            Err(e) => err(e.code.as_str(), e.message),
        },
        "encode" => match req() {
            Ok(r) => match shared::encode(&r, v["now"].as_u64()) {
                Ok(a) => json!({ "ok": a }),
                Err(e) => err(e.code.as_str(), e.message),
            },
            Err(e) => err("invalid_argument", e.to_string()),
        },
        "decode" => {
            let vals: Vec<i64> = v["values"]
                .as_array()
                .map(|a| a.iter().map(|x| x.as_i64().unwrap_or(-1)).collect())
                .unwrap_or_default();
            match shared::decode(&vals) {
                Ok(r) => json!({ "ok": r }),
                Err(e) => err(e.kind.as_str(), e.message),
            }
        }
        "step" => {
            let state: State = serde_json::from_value(v["state"].clone()).unwrap_or_default();
            match req() {
                Ok(r) => {
                    let mut s = state;
                    match shared::step(&mut s, &r, v["now"].as_u64().unwrap_or(0)) {
                        Ok(reply) => json!({ "ok": { "state": s, "reply": reply } }),
                        Err(e) => err(e.code.as_str(), e.message),
                    }
                }
                Err(e) => err("invalid_argument", e.to_string()),
            }
        }
        other => err("invalid_argument", format!("unknown fn {other:?}")),
    }
}

fn main() {
    let stdin = std::io::stdin();
    let mut out = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let v = serde_json::from_str(&line).unwrap_or(Value::Null);
        if writeln!(out, "{}", answer(&v))
            .and_then(|()| out.flush())
            .is_err()
        {
            break;
        }
    }
}
