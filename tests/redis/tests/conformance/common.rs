//! Helpers of every module: the budget's stored state as the model's `State`, TTLs, requests.

use pacekeeper::shared::{keys, Request, SharedLimit, State};
use pacekeeper_redis_tests::{Conn, RedisStore, Server, Value};
use std::time::Duration;

pub const T0: u64 = 1_700_000_000_000_000;

pub fn store(s: &Server) -> RedisStore {
    RedisStore::new(s.addr, Duration::from_millis(500))
}

/// The budget's state as stored in Redis: HGETALL and ZRANGE WITHSCORES, as the model's `State`.
pub fn redis_state(c: &mut Conn, id: &str) -> State {
    let [h, l] = keys(id).unwrap();
    let mut st = State::default();
    let items = c.cmd(&["HGETALL", &h]).unwrap().items();
    for kv in items.chunks(2) {
        let v = kv[1].text().unwrap();
        st.hash.insert(
            kv[0].text().unwrap(),
            v.parse().unwrap_or_else(|_| panic!("{v}")),
        );
    }
    let items = c
        .cmd(&["ZRANGE", &l, "0", "-1", "WITHSCORES"])
        .unwrap()
        .items();
    for kv in items.chunks(2) {
        let score: f64 = kv[1].text().unwrap().parse().unwrap();
        assert_eq!(score.fract(), 0.0);
        st.leases
            .insert(kv[0].text().unwrap().parse().unwrap(), score as u64);
    }
    st
}

pub fn pttl(c: &mut Conn, key: &str) -> i64 {
    match c.cmd(&["PTTL", key]).unwrap() {
        Value::Int(n) => n,
        v => panic!("{v:?}"),
    }
}

pub fn lim(interval_us: u64, burst: u64) -> SharedLimit {
    SharedLimit { interval_us, burst }
}

pub fn acquire(limits: Vec<SharedLimit>) -> Request {
    Request::Acquire {
        cost: 1,
        limits,
        lease_ttl_us: 0,
        max_inflight: 0,
        max_wait_us: 0,
        idle_ttl_us: 60_000_000,
    }
}

pub fn leased(max_inflight: u64, lease_ttl_us: u64) -> Request {
    Request::Acquire {
        cost: 1,
        limits: vec![lim(1, 1_000)],
        lease_ttl_us,
        max_inflight,
        max_wait_us: 0,
        idle_ttl_us: 10_000_000,
    }
}
