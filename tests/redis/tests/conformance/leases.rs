//! Leases and what one process tells the others: a lease of a holder that never releases (or is
//! killed with SIGKILL) expires after its TTL; a lockout and learnt limits reach every process;
//! idle budgets vanish.

use super::common::{acquire, leased, lim, redis_state, store};
use pacekeeper::shared::{keys, Kind, Reason, Request};
use pacekeeper_redis_tests::{RedisStore, Server, Value};
use std::time::{Duration, Instant};

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
            "leases::a_lease_of_a_process_killed_with_sigkill_expires",
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
