//! The store failing: a flushed script cache, a paused or stopped server (bounded store errors, the
//! degraded fallback and the probe back), and a wrong key layout or argument.

use super::common::{acquire, lim, store};
use pacekeeper::shared::{
    self, keys, Fallback, FallbackConfig, Kind, Reply, Route, StoreErrorKind, StorePolicy,
};
use pacekeeper_redis_tests::{now_us, RedisStore, Server, Value};
use std::time::{Duration, Instant};

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
    // Degraded: local decisions with half of the budget (burst 2, one per 200 ms), no store
    // call. The share starts empty (the shared burst may be spent already): nothing at once,
    // then one token a share interval later.
    let t = Instant::now();
    let kinds: Vec<Kind> = (0..3)
        .map(|_| call(&mut st, &mut fb).1.unwrap().kind)
        .collect();
    assert_eq!(kinds, [Kind::Wait, Kind::Wait, Kind::Wait]);
    assert!(t.elapsed() < Duration::from_millis(50));
    std::thread::sleep(Duration::from_millis(205));
    assert_eq!(call(&mut st, &mut fb).1.unwrap().kind, Kind::Allow);
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
