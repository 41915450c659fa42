//! Replays `tests/vectors/errors.json` through the codec and the core: the code every runtime
//! (napi, WASM, Python, the JMeter ABI) must give for the same bad input.
use pacekeeper::{
    Backoff, BackoffPolicy, ErrorCode, Limit, Limiter, LimiterConfig, PlanRequest, ResetMode,
};
use pacekeeper_bindings_common as codec;
use serde_json::{Map, Value};

type R<T> = Result<T, pacekeeper::Error>;

fn arg_err(what: &str) -> pacekeeper::Error {
    codec::err(ErrorCode::InvalidArgument, format!("{what}: wrong type"))
}

/// A vector number (`{"$num": "NaN"}` and friends included) as the host's f64.
fn host_number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::Object(o) if o.len() == 1 => match o.get("$num")?.as_str()? {
            "NaN" => Some(f64::NAN),
            "Infinity" => Some(f64::INFINITY),
            "-Infinity" => Some(f64::NEG_INFINITY),
            "-0" => Some(-0.0),
            _ => None,
        },
        _ => None,
    }
}

/// A host value (a JS object or Python dict) as the core's JSON, by the codec's number rule.
fn host_value(v: &Value, path: &str) -> R<Value> {
    if let Some(n) = host_number(v) {
        return codec::json_number(n, path);
    }
    Ok(match v {
        Value::Array(a) => Value::Array(
            a.iter()
                .enumerate()
                .map(|(i, x)| host_value(x, &format!("{path}[{i}]")))
                .collect::<R<_>>()?,
        ),
        Value::Object(o) => Value::Object(
            o.iter()
                .map(|(k, x)| Ok((k.clone(), host_value(x, &format!("{path}.{k}"))?)))
                .collect::<R<Map<_, _>>>()?,
        ),
        other => other.clone(),
    })
}

fn number(args: &Value, k: &str) -> R<f64> {
    args.get(k).and_then(host_number).ok_or_else(|| arg_err(k))
}

fn string<'a>(args: &'a Value, k: &str) -> R<&'a str> {
    args.get(k)
        .and_then(Value::as_str)
        .ok_or_else(|| arg_err(k))
}

fn limiter() -> R<Limiter> {
    Limiter::new(LimiterConfig {
        limits: vec![Limit::new(5, 1000)],
        ..LimiterConfig::default()
    })
}

fn run(call: &str, args: &Value) -> R<()> {
    match call {
        "check" => {
            let key = string(args, "key")?;
            let cost = codec::uint32(number(args, "cost")?, "cost")?;
            let now = codec::uint(number(args, "now")?, "now")?;
            limiter()?.check(key, cost, now).map(drop)
        }
        "block_until" => {
            let key = string(args, "key")?;
            let until = codec::uint(number(args, "until")?, "until")?;
            limiter()?.block_until(key, until)
        }
        "observe" => {
            // As the JS layer sends it: a parsed 200 reading's slots, its status replaced (a
            // number the host passed as is), no lists.
            let key = string(args, "key")?;
            let status = number(args, "status")?;
            let now = codec::uint(number(args, "now")?, "now")?;
            let mut out = [0.0; codec::READING_SLOTS];
            codec::reading::parse_into(200, "", None, 0.0, f64::NAN, 0, &mut out)?;
            out[0] = status;
            let mut nums = out[..codec::READING_SLOTS - 1].to_vec();
            nums.extend([0.0; 3]);
            let reading = codec::reading::reading_of(&nums, "")?;
            limiter()?.observe(key, &reading, now)
        }
        "limiter" => {
            let cfg: LimiterConfig = codec::from_value("options", host_value(args, "options")?)?;
            Limiter::new(cfg).map(drop)
        }
        "backoff" => {
            let p: BackoffPolicy = codec::from_value("policy", host_value(args, "policy")?)?;
            Backoff::new(p).map(drop)
        }
        "parse" => {
            let status = codec::uint32(number(args, "status")?, "status")?;
            let headers = args
                .get("headers")
                .and_then(Value::as_array)
                .ok_or_else(|| arg_err("headers"))?;
            let pairs: Vec<(&str, &str)> = headers
                .iter()
                .filter_map(|p| Some((p.get(0)?.as_str()?, p.get(1)?.as_str()?)))
                .collect();
            let body = match args.get("body") {
                None | Some(Value::Null) => None,
                Some(Value::String(s)) => Some(s.as_str()),
                Some(_) => return Err(arg_err("body")),
            };
            let now = number(args, "now")?;
            let max = match args.get("max_wait_ms") {
                None => codec::num(pacekeeper::headers::DEFAULT_MAX_WAIT_MS),
                Some(_) => number(args, "max_wait_ms")?,
            };
            let mode = match args.get("reset_mode") {
                None => ResetMode::Auto,
                Some(_) => string(args, "reset_mode")?.parse()?,
            };
            let mode = u32::try_from(mode.index()).unwrap_or(u32::MAX);
            let joined = pairs.iter().flat_map(|(n, v)| [*n, *v]).collect::<Vec<_>>();
            let mut out = [0.0; codec::READING_SLOTS];
            let joined = joined.join("\n");
            codec::reading::parse_into(status, &joined, body, now, max, mode, &mut out).map(drop)
        }
        "plan" => {
            let req = args.get("request").ok_or_else(|| arg_err("request"))?;
            let req: PlanRequest = codec::from_value("request", host_value(req, "request")?)?;
            let now = codec::uint(number(args, "now")?, "now")?;
            pacekeeper::plan(&req, now).map(drop)
        }
        "delay" => {
            let n = codec::uint32(number(args, "n")?, "n")?;
            let prev = codec::uint(number(args, "prev_ms")?, "prev_ms")?;
            let seed = codec::uint(number(args, "seed")?, "seed")?;
            let b = Backoff::new(BackoffPolicy::default())?;
            let _ = b.policy().delay_ms(n, prev, seed);
            Ok(())
        }
        "schedule" => {
            let seed = codec::uint(number(args, "seed")?, "seed")?;
            let n = codec::uint32(number(args, "n")?, "n")?;
            let b = Backoff::new(BackoffPolicy::default())?;
            b.policy().schedule(seed, n).map(drop)
        }
        other => Err(codec::err(
            ErrorCode::InvalidArgument,
            format!("unknown call {other}"),
        )),
    }
}

#[test]
fn every_error_vector_gives_its_code() {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../tests/vectors/errors.json");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let doc: Value = serde_json::from_str(&text).unwrap_or_default();
    let cases = doc["cases"].as_array().cloned().unwrap_or_default();
    assert!(cases.len() >= 60, "at least 60 cases, got {}", cases.len());
    let mut wrong = Vec::new();
    for case in &cases {
        let got = run(case["call"].as_str().unwrap_or(""), &case["args"])
            .err()
            .map(|e| e.code.as_str().to_owned());
        let want = case["code"].as_str().map(str::to_owned);
        if got != want {
            wrong.push(format!("{}: got {got:?}, want {want:?}", case["name"]));
        }
    }
    assert!(
        wrong.is_empty(),
        "{} of {} cases differ:\n{}",
        wrong.len(),
        cases.len(),
        wrong.join("\n")
    );
}
