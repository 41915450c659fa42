//! The core's shared-budget model against a real `redis-server` running the core's Lua script.
//! Each test starts its own server (127.0.0.1, a free port, no persistence) and stops it by pid
//! when it ends, passes or panics. Without a `redis-server` binary the tests print SKIPPED, unless
//! `CI=true`: then they fail.

// A test fails by panicking; helpers here unwrap what the server must answer.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use pacekeeper::shared::{
    self, keys, step, Fallback, FallbackConfig, Kind, Reason, Reply, Request, Route, SharedLimit,
    State, StoreErrorKind, StorePolicy,
};
use pacekeeper_redis_tests::{now_us, Conn, RedisStore, Server, Value};
use serde_json::Value as Json;
use std::collections::BTreeMap;
use std::time::{Duration, Instant};

const T0: u64 = 1_700_000_000_000_000;

fn store(s: &Server) -> RedisStore {
    RedisStore::new(s.addr, Duration::from_millis(500))
}

/// The budget's state as stored in Redis: HGETALL and ZRANGE WITHSCORES, as the model's `State`.
fn redis_state(c: &mut Conn, id: &str) -> State {
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

fn pttl(c: &mut Conn, key: &str) -> i64 {
    match c.cmd(&["PTTL", key]).unwrap() {
        Value::Int(n) => n,
        v => panic!("{v:?}"),
    }
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
        idle_ttl_us: 60_000_000,
    }
}

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
    for n in 0..3000 {
        now += g.next(40_000);
        let id = ids[g.next(3) as usize];
        let limits = random_limits(&mut g);
        let idle_ttl_us = 60_000_000 + g.next(1_000_000);
        let req = match g.next(10) {
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
            _ => Request::Learn {
                limits: if g.next(2) == 0 { Vec::new() } else { limits },
                idle_ttl_us,
            },
        };
        let model = models.entry(id).or_default();
        let m = step(model, &req, now).unwrap();
        let r = st.call(id, &req, Some(now)).unwrap();
        assert_eq!(r, m, "call {n}: {req:?}");
        *counts.entry(format!("{:?}", r.kind)).or_insert(0) += 1;
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

fn leased(max_inflight: u64, lease_ttl_us: u64) -> Request {
    Request::Acquire {
        cost: 1,
        limits: vec![lim(1, 1_000)],
        lease_ttl_us,
        max_inflight,
        max_wait_us: 0,
        idle_ttl_us: 10_000_000,
    }
}

#[test]
fn a_holder_that_never_releases_frees_its_lease_after_the_ttl() {
    let Some(s) = Server::start() else { return };
    let mut holder = store(&s);
    let r = holder.call("lease", &leased(1, 300_000), None).unwrap();
    assert_eq!((r.kind, r.lease), (Kind::Allow, 1));
    drop(holder); // dies without releasing
    let mut other = store(&s);
    let r = other.call("lease", &leased(1, 300_000), None).unwrap();
    assert_eq!((r.kind, r.reason), (Kind::Wait, Reason::InFlight));
    assert!(r.wait_us > 0 && r.wait_us <= 300_000, "{}", r.wait_us);
    std::thread::sleep(Duration::from_micros(r.wait_us + 5_000));
    let r = other.call("lease", &leased(1, 300_000), None).unwrap();
    assert_eq!((r.kind, r.lease), (Kind::Allow, 2));
    // Released in time, a lease frees its slot at once.
    let rel = Request::Release {
        lease: 2,
        refund: 0,
        limits: Vec::new(),
        idle_ttl_us: 10_000_000,
    };
    assert_eq!(other.call("lease", &rel, None).unwrap().lease, 1);
    assert_eq!(
        other.call("lease", &leased(1, 300_000), None).unwrap().kind,
        Kind::Allow
    );
}

/// A child process (this test binary, re-run) takes a lease and is killed with SIGKILL.
#[test]
fn a_lease_of_a_process_killed_with_sigkill_expires() {
    if let Ok(addr) = std::env::var("PK_LEASE_CHILD") {
        // The child: take a lease, then hang until killed.
        let mut st = RedisStore::new(addr.parse().unwrap(), Duration::from_millis(500));
        let r = st.call("killed", &leased(1, 400_000), None).unwrap();
        assert_eq!(r.kind, Kind::Allow);
        std::thread::sleep(Duration::from_secs(30));
        return;
    }
    let Some(s) = Server::start() else { return };
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args([
            "--exact",
            "a_lease_of_a_process_killed_with_sigkill_expires",
            "--nocapture",
        ])
        .env("PK_LEASE_CHILD", s.addr.to_string())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut c = s.conn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while redis_state(&mut c, "killed").leases.is_empty() {
        assert!(Instant::now() < deadline, "the child took no lease");
        std::thread::sleep(Duration::from_millis(10));
    }
    std::process::Command::new("kill")
        .args(["-KILL", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(!status.success());
    let mut st = store(&s);
    let r = st.call("killed", &leased(1, 400_000), None).unwrap();
    assert_eq!(r.reason, Reason::InFlight);
    std::thread::sleep(Duration::from_micros(r.wait_us + 5_000));
    assert_eq!(
        st.call("killed", &leased(1, 400_000), None).unwrap().kind,
        Kind::Allow
    );
}

#[test]
fn a_lockout_learnt_by_one_process_stops_the_others() {
    let Some(s) = Server::start() else { return };
    let (mut a, mut b) = (store(&s), store(&s));
    let req = acquire(vec![lim(1_000, 100)]);
    assert_eq!(b.call("lock", &req, None).unwrap().kind, Kind::Allow);
    let lock = Request::Lockout {
        for_us: 400_000,
        idle_ttl_us: 1_000_000,
    };
    a.call("lock", &lock, None).unwrap();
    let r = b.call("lock", &req, None).unwrap();
    assert_eq!((r.kind, r.reason), (Kind::Wait, Reason::Lockout));
    assert!(r.wait_us > 300_000 && r.wait_us <= 400_000, "{}", r.wait_us);
    // Learnt limits reach the other process too.
    let learn = Request::Learn {
        limits: vec![lim(10_000_000, 1)],
        idle_ttl_us: 1_000_000,
    };
    a.call("learnt", &learn, None).unwrap();
    assert_eq!(b.call("learnt", &req, None).unwrap().kind, Kind::Allow);
    let r = b.call("learnt", &req, None).unwrap();
    assert_eq!((r.kind, r.reason), (Kind::Wait, Reason::Limit(0)));
    assert!(r.wait_us > 9_000_000);
}

#[test]
fn script_flush_mid_run_falls_back_to_eval_once() {
    let Some(s) = Server::start() else { return };
    let mut st = store(&s);
    let mut c = s.conn().unwrap();
    let req = acquire(vec![lim(1, 1_000_000)]);
    for i in 0..20 {
        if i == 10 {
            assert_eq!(
                c.cmd(&["SCRIPT", "FLUSH"]).unwrap(),
                Value::Simple("OK".into())
            );
        }
        assert_eq!(st.call("flush", &req, None).unwrap().kind, Kind::Allow);
    }
    // Once on the cold cache, once after the flush.
    assert_eq!(st.evals, 2);
}

#[test]
fn idle_budgets_vanish() {
    let Some(s) = Server::start() else { return };
    let mut st = store(&s);
    let mut c = s.conn().unwrap();
    let req = Request::Acquire {
        cost: 1,
        limits: vec![lim(1_000, 5)],
        lease_ttl_us: 50_000,
        max_inflight: 0,
        max_wait_us: 0,
        idle_ttl_us: 100_000,
    };
    let r = st.call("idle", &req, None).unwrap();
    assert!(r.expire_ms >= 100 && r.expire_ms <= 152, "{}", r.expire_ms);
    let [h, l] = keys("idle").unwrap();
    assert_eq!(c.cmd(&["EXISTS", &h, &l]).unwrap(), Value::Int(2));
    std::thread::sleep(Duration::from_millis(r.expire_ms + 50));
    assert_eq!(c.cmd(&["EXISTS", &h, &l]).unwrap(), Value::Int(0));
}

/// Caller clocks skewed by δ: admissions in any true-time window exceed burst + span/interval by
/// at most ⌈δ / interval⌉ (the bound documented in `pacekeeper::shared`).
#[test]
fn skewed_caller_clocks_overshoot_by_at_most_skew_over_interval() {
    let Some(s) = Server::start() else { return };
    let mut st = store(&s);
    let (interval, burst) = (100_000u64, 3u64);
    for (skew, id) in [
        (0u64, "skew0"),
        (250_000, "skew250"),
        (1_000_000, "skew1000"),
    ] {
        let req = acquire(vec![lim(interval, burst)]);
        let mut admitted = Vec::new();
        let mut t = T0;
        for i in 0..2000u64 {
            t += 5_000; // true time, 5 ms steps: 10 s in all
                        // Two processes: one on time, one ahead by `skew`; they alternate.
            let clock = if i % 2 == 0 { t } else { t + skew };
            let r = st.call(id, &req, Some(clock)).unwrap();
            if r.kind == Kind::Allow {
                admitted.push(t);
            }
        }
        let extra = skew.div_ceil(interval);
        let mut worst = 0i64;
        for (i, &start) in admitted.iter().enumerate() {
            for (j, &end) in admitted[i..].iter().enumerate() {
                let allowed = burst + (end - start) / interval;
                worst = worst.max(j as i64 + 1 - allowed as i64);
            }
        }
        assert!(
            worst <= extra as i64,
            "skew {skew}: overshoot {worst} > {extra}"
        );
        // Liveness: at least the rate over 10 s.
        assert!(
            admitted.len() as u64 >= 10_000_000 / interval,
            "{}",
            admitted.len()
        );
        eprintln!(
            "skew {skew} µs: {} admitted, worst overshoot {worst} (bound {extra})",
            admitted.len()
        );
    }
}

#[test]
fn a_stopped_or_paused_store_answers_within_the_timeout_with_a_store_error() {
    let Some(mut s) = Server::start() else { return };
    let timeout = Duration::from_millis(200);
    let mut st = RedisStore::new(s.addr, timeout);
    let mut fb = Fallback::new(FallbackConfig {
        policy: StorePolicy::Degrade,
        probe_interval_us: 300_000,
        peers: 2,
    })
    .unwrap();
    let req = acquire(vec![lim(100_000, 4)]);
    let call = |st: &mut RedisStore, fb: &mut Fallback| -> (Route, Result<Reply, StoreErrorKind>) {
        let now = now_us();
        let route = fb.route(now);
        let out = match route {
            Route::Store | Route::Probe => match st.call("down", &req, None) {
                Ok(r) => {
                    fb.on_reply(&r, now_us());
                    Ok(r)
                }
                Err(e) => {
                    fb.on_error(&e, now_us());
                    Err(e.kind)
                }
            },
            Route::Local => fb
                .local("down", &req, now)
                .map_err(|_| StoreErrorKind::BadReply),
            Route::Deny | Route::Allow => unreachable!(),
        };
        (route, out)
    };
    assert!(matches!(call(&mut st, &mut fb), (Route::Store, Ok(_))));
    // Paused (SIGSTOP): connected but silent.
    s.signal("STOP");
    let t = Instant::now();
    let (_, out) = call(&mut st, &mut fb);
    assert_eq!(out.unwrap_err(), StoreErrorKind::Timeout);
    assert!(
        t.elapsed() < timeout + Duration::from_millis(300),
        "{:?}",
        t.elapsed()
    );
    // Degraded: local decisions with half of the budget (burst 2), no store call.
    let t = Instant::now();
    let kinds: Vec<Kind> = (0..3)
        .map(|_| call(&mut st, &mut fb).1.unwrap().kind)
        .collect();
    assert_eq!(kinds, [Kind::Allow, Kind::Allow, Kind::Wait]);
    assert!(t.elapsed() < Duration::from_millis(50));
    // Back: the next probe returns to shared mode.
    s.signal("CONT");
    std::thread::sleep(Duration::from_millis(320));
    let (route, out) = call(&mut st, &mut fb);
    assert_eq!(route, Route::Probe);
    assert!(out.is_ok());
    assert!(!fb.is_down());
    // Stopped: refused connections, still bounded, still a store error, never a denial.
    s.stop();
    for _ in 0..3 {
        let t = Instant::now();
        let r = st.call("down", &req, None);
        assert_eq!(r.unwrap_err().kind, StoreErrorKind::Unavailable);
        assert!(t.elapsed() < timeout + Duration::from_millis(300));
    }
}

#[test]
fn a_wrong_layout_or_argument_is_a_server_error_not_a_denial() {
    let Some(s) = Server::start() else { return };
    let mut c = s.conn().unwrap();
    let [h, l] = keys("bad").unwrap();
    let v = c
        .cmd(&[
            "EVAL",
            shared::SCRIPT,
            "2",
            &h,
            &l,
            "2",
            "a",
            "0",
            "0",
            "1",
            "0",
            "0",
            "0",
            "0",
        ])
        .unwrap();
    assert!(
        matches!(v, Value::Error(ref e) if e.contains("layout")),
        "{v:?}"
    );
    let v = c
        .cmd(&[
            "EVAL",
            shared::SCRIPT,
            "2",
            &h,
            &l,
            "1",
            "a",
            "-5",
            "0",
            "1",
            "0",
            "0",
            "0",
            "0",
        ])
        .unwrap();
    assert!(
        matches!(v, Value::Error(ref e) if e.contains("bad argument 3")),
        "{v:?}"
    );
}

/// 4 workers (own connections, own threads) hammer one budget for a bounded 2 s, waiting as told.
/// Replayed in server-time order into one core model, every admission must be admissible, and
/// the admissions must reach ≥ 90 % of the theoretical maximum (burst + elapsed / interval).
#[test]
fn four_workers_on_one_budget_admit_only_what_one_model_admits_and_near_the_maximum() {
    let Some(s) = Server::start() else { return };
    let limits = vec![lim(10_000, 5), lim(50_000, 40)]; // 100/s burst 5, and 20/s burst 40
    let req = acquire(limits.clone());
    let run_for = Duration::from_secs(2);
    let workers: Vec<_> = (0..4)
        .map(|_| {
            let (addr, req) = (s.addr, req.clone());
            std::thread::spawn(move || {
                let mut st = RedisStore::new(addr, Duration::from_millis(500));
                let start = Instant::now();
                let mut admitted = Vec::new();
                let mut calls = 0;
                while start.elapsed() < run_for && calls < 100_000 {
                    calls += 1;
                    let r = st.call("herd", &req, None).unwrap();
                    match r.kind {
                        Kind::Allow => admitted.push(r.now_us),
                        Kind::Wait => {
                            std::thread::sleep(Duration::from_micros(r.wait_us.min(100_000)))
                        }
                        k => panic!("{k:?}"),
                    }
                }
                admitted
            })
        })
        .collect();
    let mut all: Vec<u64> = workers
        .into_iter()
        .flat_map(|w| w.join().unwrap())
        .collect();
    all.sort_unstable();
    let mut model = State::default();
    for &t in &all {
        assert_eq!(
            step(&mut model, &req, t).unwrap().kind,
            Kind::Allow,
            "at {t}"
        );
    }
    let span = all.last().unwrap() - all.first().unwrap();
    // The binding limit over 2 s: 20/s with a burst of 40.
    let max = (40 + span / 50_000).min(5 + span / 10_000);
    assert!(all.len() as u64 <= max, "{} > {max}", all.len());
    assert!(
        all.len() as u64 * 10 >= max * 9,
        "liveness: {} of {max}",
        all.len()
    );
    eprintln!(
        "4 workers: {} admitted of a theoretical {max} over {span} µs",
        all.len()
    );
}
