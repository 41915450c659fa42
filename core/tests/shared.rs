//! The shared-budget model: the vectors in `tests/vectors/shared.json` (also replayed against a real
//! Redis by tests/redis), the codec, the fallback decision and properties of `step`.
//! `PACEKEEPER_BLESS=1 cargo test --test shared` rewrites `expect`, only after every `assert` holds.

#![allow(clippy::unwrap_used)]

use pacekeeper::shared::{
    self, decode, encode, keys, reply_values, step, Fallback, FallbackConfig, Kind, MemoryStore,
    Reason, Request, Route, SharedLimit, State, StoreError, StoreErrorKind, StorePolicy,
};
use serde_json::{json, Value};
use std::path::PathBuf;

fn path() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/shared.json")
}

/// `expected` holds within `actual`: objects by listed keys, arrays by listed prefix.
fn holds(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::Object(a), Value::Object(e)) => e
            .iter()
            .all(|(k, v)| a.get(k).is_some_and(|av| holds(av, v))),
        (Value::Array(a), Value::Array(e)) => {
            (e.is_empty() && a.is_empty())
                || (e.len() <= a.len() && a.iter().zip(e).all(|(x, y)| holds(x, y)))
        }
        _ => actual == expected,
    }
}

/// Runs one case through the model: `{replies, state}`.
fn run(case: &Value) -> Value {
    let mut state = State::default();
    let mut replies = Vec::new();
    for s in case["steps"].as_array().unwrap() {
        let now = s["now"].as_u64().unwrap();
        let req: Request = serde_json::from_value(s["request"].clone()).unwrap();
        replies.push(match step(&mut state, &req, now) {
            Ok(r) => serde_json::to_value(r).unwrap(),
            Err(e) => json!({ "error": e.code.as_str() }),
        });
    }
    json!({ "replies": replies, "state": state })
}

#[test]
fn shared_vectors() {
    let text = std::fs::read_to_string(path()).unwrap();
    let mut doc: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(doc["kind"], "shared");
    let bless = std::env::var("PACEKEEPER_BLESS").is_ok();
    let mut failures = Vec::new();
    for case in doc["cases"].as_array_mut().unwrap() {
        let got = run(case);
        let name = case["name"].as_str().unwrap().to_owned();
        if let Some(a) = case.get("assert") {
            if !holds(&got, a) {
                failures.push(format!("{name}: assert {a}\n   got {got}"));
            }
        }
        if bless {
            case["expect"] = got;
        } else if case.get("expect") != Some(&got) {
            failures.push(format!("{name}: expect differs\n   got {got}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    if bless {
        std::fs::write(path(), serde_json::to_string_pretty(&doc).unwrap() + "\n").unwrap();
    }
}

#[test]
fn script_digest_is_sha1() {
    assert_eq!(
        shared::sha1_hex(b""),
        "da39a3ee5e6b4b0d3255bfef95601890afd80709"
    );
    assert_eq!(
        shared::sha1_hex(b"abc"),
        "a9993e364706816aba3e25717850c26c9cd0d89d"
    );
    assert_eq!(
        shared::sha1_hex(b"abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"),
        "84983e441c3bd26ebaae4aa1f95129e5e54670f1"
    );
    let million = vec![b'a'; 1_000_000];
    assert_eq!(
        shared::sha1_hex(&million),
        "34aa973cd4c4daa4f61eeb2bdbad27316534016f"
    );
    for len in 50..=70 {
        // Padding across the one/two-block boundary: every length hashes distinctly and stably.
        let a = shared::sha1_hex(&vec![b'x'; len]);
        assert_eq!(a.len(), 40);
        assert_ne!(a, shared::sha1_hex(&vec![b'x'; len + 1]));
    }
    assert_eq!(
        shared::script_sha1(),
        shared::sha1_hex(shared::SCRIPT.as_bytes())
    );
}

fn tag(key: &str) -> &str {
    let open = key.find('{').unwrap();
    let close = key[open + 1..].find('}').unwrap();
    &key[open + 1..open + 1 + close]
}

#[test]
fn both_keys_share_one_cluster_hash_tag_whatever_the_id() {
    for id in ["a", "{a}", "}{", "x{y}z", "%7B", "tenant 42", "{}", "é{}"] {
        let [s, l] = keys(id).unwrap();
        assert_eq!(tag(&s), tag(&l), "{id}");
        assert!(!tag(&s).is_empty(), "{id}");
        assert!(s.ends_with(":s") && l.ends_with(":l"));
    }
    // Distinct ids never share keys (the escape is injective).
    assert_ne!(keys("{").unwrap(), keys("%7B").unwrap());
    assert_eq!(keys("a{b").unwrap()[0], "pk:{a%7Bb}:s");
    assert_eq!(keys("").unwrap_err().code.as_str(), "invalid_key");
    assert!(keys(&"x".repeat(257)).is_err());
}

fn lim(interval_us: u64, burst: u64) -> SharedLimit {
    SharedLimit { interval_us, burst }
}

fn acquire(limits: Vec<SharedLimit>) -> Request {
    Request::Acquire {
        cost: 1,
        limits,
        lease_ttl_us: 0,
        max_inflight: 0,
        max_wait_us: 0,
        idle_ttl_us: 1_000_000,
    }
}

#[test]
fn the_wire_arguments_are_fixed_decimal_strings() {
    let req = Request::Acquire {
        cost: 2,
        limits: vec![lim(200_000, 15), lim(1_000, 3)],
        lease_ttl_us: 30_000_000,
        max_inflight: 8,
        max_wait_us: 5,
        idle_ttl_us: 60_000_000,
    };
    assert_eq!(
        encode(&req, None).unwrap(),
        ["1", "a", "0", "60000000", "2", "30000000", "8", "5", "2", "200000", "15", "1000", "3"]
    );
    let lock = Request::Lockout {
        for_us: 30_000_000,
        idle_ttl_us: 7,
    };
    assert_eq!(
        encode(&lock, Some(1_700_000_000_000_000)).unwrap(),
        [
            "1",
            "l",
            "1700000000000000",
            "7",
            "0",
            "0",
            "0",
            "30000000",
            "0"
        ]
    );
    assert_eq!(
        encode(&lock, Some(0)).unwrap_err().code.as_str(),
        "invalid_number"
    );
    assert!(encode(&lock, Some((1 << 52) + 1)).is_err());
    let big = acquire(vec![lim(1 << 40, 1 << 9)]);
    assert_eq!(
        encode(&big, None).unwrap_err().code.as_str(),
        "invalid_limit"
    );
}

#[test]
fn replies_decode_and_bad_replies_are_store_errors() {
    let r = decode(&[2, 1500, 0, 4, 1_700_000_000_000_000, 0]).unwrap();
    assert_eq!(r.kind, Kind::Wait);
    assert_eq!(r.reason, Reason::Lockout);
    assert_eq!(r.wait_us, 1500);
    assert_eq!(decode(&reply_values(&r)).unwrap(), r);
    // A heartbeat's reply: 3 alive, member 9.
    let h = decode(&[4, 3, 9, 6, 1_700_000_000_000_000, 60_000]).unwrap();
    assert_eq!(
        (h.kind, h.reason, h.wait_us, h.lease),
        (Kind::Done, Reason::Presence, 3, 9)
    );
    assert_eq!(decode(&reply_values(&h)).unwrap(), h);
    for bad in [
        &[][..],
        &[0, 0, 0, 0, 0][..],
        &[9, 0, 0, 0, 0, 0][..],
        &[0, -1, 0, 0, 0, 0][..],
        &[0, 0, 0, 7, 0, 0][..],
    ] {
        assert_eq!(decode(bad).unwrap_err().kind, StoreErrorKind::BadReply);
    }
    assert!(shared::is_noscript(
        "NOSCRIPT No matching script. Please use EVAL."
    ));
    assert!(!shared::is_noscript("ERR pacekeeper: bad argument 3"));
}

/// A small deterministic generator (the core's tests need no RNG crate for this).
struct Lcg(u64);
impl Lcg {
    fn next(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) % n
    }
}

#[test]
fn a_denial_writes_nothing_and_no_window_admits_more_than_the_limits() {
    let limits = vec![lim(100_000, 5), lim(1_000_000, 20)];
    for seed in 0..20 {
        let mut g = Lcg(seed);
        let mut state = State::default();
        let mut now = 1_700_000_000_000_000u64;
        let mut admitted = Vec::new();
        for _ in 0..2000 {
            now += g.next(60_000);
            let cost = 1 + g.next(3);
            let req = Request::Acquire {
                cost,
                limits: limits.clone(),
                lease_ttl_us: 0,
                max_inflight: 0,
                max_wait_us: g.next(2) * 150_000,
                idle_ttl_us: 1_000_000,
            };
            let before = state.clone();
            let r = step(&mut state, &req, now).unwrap();
            match r.kind {
                Kind::Allow | Kind::Reserved => admitted.push((now + r.wait_us, cost)),
                Kind::Wait | Kind::Never => assert_eq!(state, before, "a denial wrote"),
                Kind::Done => unreachable!(),
            }
        }
        admitted.sort_unstable();
        // GCRA: over any span of d µs, at most burst + d/interval tokens, for every limit.
        for l in &limits {
            for (i, &(start, _)) in admitted.iter().enumerate() {
                let mut used = 0;
                for &(t, c) in &admitted[i..] {
                    used += c;
                    let allowed = l.burst + (t - start) / l.interval_us;
                    assert!(used <= allowed, "seed {seed}: {used} > {allowed}");
                }
            }
        }
    }
}

#[test]
fn memory_store_runs_the_model_and_forgets_idle_budgets() {
    let mut m = MemoryStore::new();
    let t0 = 1_700_000_000_000_000;
    let req = acquire(vec![lim(1_000_000, 1)]);
    assert_eq!(m.call("a", &req, t0).unwrap().kind, Kind::Allow);
    assert_eq!(m.call("a", &req, t0).unwrap().kind, Kind::Wait);
    assert_eq!(m.call("b", &req, t0).unwrap().kind, Kind::Allow);
    // tat t0+1 s, idle 1 s: the keys expire at t0+2 s.
    assert!(m.state("a", t0 + 1_999_999).is_some());
    assert!(m.state("a", t0 + 2_000_000).is_none());
    m.purge(t0 + 2_000_000);
    assert_eq!(m.call("a", &req, t0 + 2_000_000).unwrap().kind, Kind::Allow);
    assert_eq!(
        m.call("", &req, t0).unwrap_err().code.as_str(),
        "invalid_key"
    );
}

#[test]
fn fallback_degrades_to_a_share_keeps_the_lockout_and_probes_back() {
    let t0 = 1_700_000_000_000_000;
    let mut f = Fallback::new(FallbackConfig {
        policy: StorePolicy::Degrade,
        probe_interval_us: 1_000_000,
        peers: 0,
    })
    .unwrap();
    f.set_peers(4);
    assert_eq!(f.route(t0), Route::Store);
    // A lockout seen through the store is kept.
    let locked = decode(&[2, 5_000_000, 0, 4, t0 as i64, 0]).unwrap();
    assert_eq!(f.on_reply(&locked, t0), None);
    let err = StoreError {
        kind: StoreErrorKind::Timeout,
        message: "timed out".into(),
    };
    assert!(matches!(
        f.on_error(&err, t0),
        Some(shared::fallback::Event::StoreDown { peers: 4, .. })
    ));
    assert_eq!(f.on_error(&err, t0 + 1), None);
    assert_eq!(f.route(t0 + 10), Route::Local);
    let req = acquire(vec![lim(100_000, 8)]);
    let r = f.local("a", &req, t0 + 10).unwrap();
    assert_eq!((r.kind, r.reason), (Kind::Wait, Reason::Lockout));
    // After the lockout: a quarter of the budget (burst 8/4 = 2, interval × 4).
    assert_eq!(f.share(&[lim(100_000, 8)]), [lim(400_000, 2)]);
    let t1 = t0 + 5_000_000;
    assert_eq!(f.route(t1), Route::Probe);
    assert_eq!(f.route(t1), Route::Local, "one probe per interval");
    let kinds: Vec<Kind> = (0..3)
        .map(|_| f.local("a", &req, t1).unwrap().kind)
        .collect();
    assert_eq!(kinds, [Kind::Allow, Kind::Allow, Kind::Wait]);
    let ok = decode(&[0, 0, 0, 0, t1 as i64, 10]).unwrap();
    assert_eq!(
        f.on_reply(&ok, t1 + 5),
        Some(shared::fallback::Event::StoreUp {
            down_for_us: 5_000_005
        })
    );
    assert_eq!(f.route(t1 + 6), Route::Store);

    for (policy, route) in [
        (StorePolicy::Deny, Route::Deny),
        (StorePolicy::Allow, Route::Allow),
    ] {
        let mut f = Fallback::new(FallbackConfig {
            policy,
            probe_interval_us: 1_000,
            peers: 2,
        })
        .unwrap();
        f.on_error(&err, t0);
        assert_eq!(f.route(t0 + 1), route);
        assert_eq!(f.route(t0 + 1_000), Route::Probe);
    }
    assert!(Fallback::new(FallbackConfig {
        probe_interval_us: 0,
        ..FallbackConfig::default()
    })
    .is_err());
}

#[test]
fn from_rate_rounds_the_interval_up() {
    assert_eq!(
        SharedLimit::from_rate(300, 60_000, 15).unwrap(),
        lim(200_000, 15)
    );
    assert_eq!(
        SharedLimit::from_rate(3, 1_000, 1).unwrap(),
        lim(333_334, 1)
    );
    assert!(SharedLimit::from_rate(0, 1_000, 1).is_err());
}
