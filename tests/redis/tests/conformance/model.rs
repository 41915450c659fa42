//! The script agrees with the core's model: the SHA-1, every shared vector, random sessions call by
//! call (replies, stored state and TTLs), the server-clock mode, and atomic denials.

use super::common::{acquire, lim, pttl, redis_state, store, T0};
use pacekeeper::shared::{self, keys, step, Kind, Reason, Request, SharedLimit, State};
use pacekeeper_redis_tests::{now_us, Server};
use serde_json::Value as Json;
use std::collections::BTreeMap;

#[test]
fn the_core_sha1_is_what_script_load_answers() {
    let Some(s) = Server::start() else { return };
    let mut c = s.conn().unwrap();
    let sha = c.cmd(&["SCRIPT", "LOAD", shared::SCRIPT]).unwrap();
    assert_eq!(sha.text().unwrap(), shared::script_sha1());
}

#[test]
fn every_shared_vector_gives_the_model_s_replies_and_state_through_the_script() {
    let Some(s) = Server::start() else { return };
    let mut st = store(&s);
    let mut c = s.conn().unwrap();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../vectors/shared.json");
    let doc: Json = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    let mut steps = 0;
    for case in doc["cases"].as_array().unwrap() {
        let id = case["budget"].as_str().unwrap();
        let expect = case["expect"]["replies"].as_array().unwrap();
        let mut model = State::default();
        for (i, s) in case["steps"].as_array().unwrap().iter().enumerate() {
            let now = s["now"].as_u64().unwrap();
            let req: Request = serde_json::from_value(s["request"].clone()).unwrap();
            let name = format!("{} step {i}", case["name"]);
            let m = step(&mut model, &req, now);
            if shared::encode(&req, Some(now)).is_err() {
                assert!(m.is_err(), "{name}");
                assert!(expect[i].get("error").is_some(), "{name}");
                continue;
            }
            let r = st.call(id, &req, Some(now)).unwrap();
            assert_eq!(Ok(r), m, "{name}");
            assert_eq!(serde_json::to_value(r).unwrap(), expect[i], "{name}");
            assert_eq!(redis_state(&mut c, id), model, "{name}: stored state");
            steps += 1;
        }
        if let Some(exp) = case["expect"].get("state") {
            assert_eq!(serde_json::to_value(&model).unwrap(), *exp);
        }
    }
    assert!(steps >= 40, "{steps}");
}

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

fn random_limits(g: &mut Lcg) -> Vec<SharedLimit> {
    (0..g.next(4))
        .map(|_| lim(1 + g.next(200_000), 1 + g.next(6)))
        .collect()
}

/// Random calls of every kind on a few budgets: identical replies and identical stored state
/// (field by field) after every call, and the keys' TTL as the model computed it.
#[test]
fn random_sessions_agree_call_by_call_with_the_model() {
    let Some(s) = Server::start() else { return };
    let mut st = store(&s);
    let mut c = s.conn().unwrap();
    let mut g = Lcg(7);
    let ids = ["r-a", "r{b}", "r}c{"];
    let mut models: BTreeMap<&str, State> = BTreeMap::new();
    let mut now = T0;
    let mut counts = BTreeMap::new();
    let mut presence = 0u32;
    for n in 0..3000 {
        now += g.next(40_000);
        let id = ids[g.next(3) as usize];
        let limits = random_limits(&mut g);
        let idle_ttl_us = 60_000_000 + g.next(1_000_000);
        let req = match g.next(11) {
            0..=5 => Request::Acquire {
                cost: 1 + g.next(3),
                limits,
                lease_ttl_us: g.next(2) * g.next(500_000),
                max_inflight: g.next(4),
                max_wait_us: g.next(2) * g.next(400_000),
                idle_ttl_us,
            },
            6 | 7 => Request::Release {
                lease: g.next(40),
                refund: g.next(3),
                limits,
                idle_ttl_us,
            },
            8 => Request::Lockout {
                for_us: g.next(300_000),
                idle_ttl_us,
            },
            9 => Request::Learn {
                limits: if g.next(2) == 0 { Vec::new() } else { limits },
                idle_ttl_us,
            },
            _ => Request::Heartbeat {
                member: g.next(6),
                ttl_us: 1 + g.next(300_000),
                idle_ttl_us,
            },
        };
        let model = models.entry(id).or_default();
        let m = step(model, &req, now).unwrap();
        let r = st.call(id, &req, Some(now)).unwrap();
        assert_eq!(r, m, "call {n}: {req:?}");
        *counts.entry(format!("{:?}", r.kind)).or_insert(0) += 1;
        presence += u32::from(r.reason == Reason::Presence);
        assert_eq!(redis_state(&mut c, id), *model, "call {n}: {req:?}");
        if r.expire_ms > 0 {
            let ttl = pttl(&mut c, &keys(id).unwrap()[0]);
            assert!(
                ttl <= r.expire_ms as i64 && ttl > r.expire_ms as i64 - 1_000,
                "{ttl}"
            );
        }
    }
    // Every kind of reply was exercised.
    assert_eq!(counts.len(), 5, "{counts:?}");
    // Heartbeats too, with members expiring.
    assert!(presence > 100, "{presence}");
}

#[test]
fn the_server_clock_mode_uses_redis_time_and_the_model_replays_it() {
    let Some(s) = Server::start() else { return };
    let mut st = store(&s);
    let mut c = s.conn().unwrap();
    let mut model = State::default();
    let req = acquire(vec![lim(100_000, 2)]);
    for _ in 0..4 {
        let before = now_us();
        let r = st.call("clock", &req, None).unwrap();
        assert!(r.now_us + 1_000_000 > before && r.now_us < now_us() + 1_000_000);
        assert_eq!(step(&mut model, &req, r.now_us).unwrap(), r);
        assert_eq!(redis_state(&mut c, "clock"), model);
    }
}

#[test]
fn a_denial_on_one_of_three_limits_writes_nothing() {
    let Some(s) = Server::start() else { return };
    let mut st = store(&s);
    let mut c = s.conn().unwrap();
    let limits = vec![lim(1_000, 100), lim(10_000, 50), lim(1_000_000, 3)];
    for _ in 0..3 {
        let r = st
            .call("atomic", &acquire(limits.clone()), Some(T0))
            .unwrap();
        assert_eq!(r.kind, Kind::Allow);
    }
    let before = redis_state(&mut c, "atomic");
    let ttl = pttl(&mut c, &keys("atomic").unwrap()[0]);
    let r = st.call("atomic", &acquire(limits), Some(T0)).unwrap();
    assert_eq!(
        (r.kind, r.reason, r.wait_us),
        (Kind::Wait, Reason::Limit(2), 1_000_000)
    );
    assert_eq!(redis_state(&mut c, "atomic"), before);
    assert!(
        pttl(&mut c, &keys("atomic").unwrap()[0]) <= ttl,
        "a denial extended the TTL"
    );
}
