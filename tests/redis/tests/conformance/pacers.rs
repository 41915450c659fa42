//! Pacers in shared mode (`PacerConfig::shared`) consulting the real script: three "processes"
//! on one budget decide exactly as they do over the in-memory model, never send what one limiter
//! of the budget would refuse, and a paused store degrades them and recovers.

use super::common::store;
use pacekeeper::pacer::{After, Pacer, PacerConfig, SharedPacing, Step, StoreCall};
use pacekeeper::shared::fallback::Event;
use pacekeeper::shared::{self, Kind, MemoryStore, Reply, Request, SharedLimit, State, StoreError};
use pacekeeper::{parse, Limit, Outcome, ParseOptions};
use pacekeeper_redis_tests::{RedisStore, Server};
use std::time::{Duration, Instant};

/// Epoch ms of the virtual run (caller-clock mode: the same instants reach both stores).
const T0_MS: u64 = 1_700_000_000_000;

fn ok(now: u64) -> Outcome {
    Outcome::Response {
        reading: parse::<&str, &str>(200, &[], None, now, &ParseOptions::default()).unwrap(),
    }
}

fn throttled(now: u64) -> Outcome {
    Outcome::Response {
        reading: parse(
            429,
            &[("Retry-After", "1")],
            None,
            now,
            &ParseOptions::default(),
        )
        .unwrap(),
    }
}

/// Answers every consult through `call` until the step is not a consult.
fn drive(
    call: &mut dyn FnMut(&StoreCall) -> Result<Reply, StoreError>,
    p: &mut Pacer,
    mut step: Step,
    now: u64,
) -> Step {
    while let Step::Consult { ticket } = step {
        let c = p.store_call(ticket).unwrap();
        step = p.consulted(ticket, call(&c), now).unwrap();
    }
    step
}

/// Three processes, closed loops of callers, 2 s of virtual time on a 20/s (burst 3) budget, a
/// 429 (`Retry-After: 1`) on process 0 at 700 ms or just after. Returns every send (ms,
/// process) in order and the instant of the 429.
fn run(call: &mut dyn FnMut(&StoreCall) -> Result<Reply, StoreError>) -> (Vec<(u64, usize)>, u64) {
    let limit = Limit::new(20, 1000).with_burst(3);
    let cfg = PacerConfig {
        limits: vec![limit],
        shared: Some(SharedPacing {
            caller_clock: true,
            lease_ttl_ms: 5_000,
            max_reserve_ms: 200,
            ..SharedPacing::default()
        }),
        ..PacerConfig::default()
    };
    let mut ps: Vec<Pacer> = (0..3).map(|_| Pacer::new(cfg.clone()).unwrap()).collect();
    let mut waiting: Vec<Vec<(u64, u64)>> = vec![Vec::new(); 3];
    let mut flying: Vec<Vec<(u64, u64)>> = vec![Vec::new(); 3];
    let mut sends = Vec::new();
    let mut throttle_at = None;
    for ms in 0..2000u64 {
        let now = T0_MS + ms;
        for i in 0..3 {
            let p = &mut ps[i];
            let (done, rest): (Vec<_>, Vec<_>) = flying[i].iter().partition(|(_, at)| *at <= now);
            flying[i] = rest;
            for (t, _) in done {
                let outcome = if i == 0 && ms >= 700 && throttle_at.is_none() {
                    throttle_at = Some(ms);
                    throttled(now)
                } else {
                    ok(now)
                };
                match p.finish(t, &outcome, now).unwrap() {
                    After::Retry { at, .. } => waiting[i].push((t, at)),
                    After::Done => {}
                    a => panic!("{a:?}"),
                }
            }
            while let Some(c) = p.poll_store() {
                let r = call(&c);
                p.store_done(r, now);
            }
            let mut starts: Vec<Option<u64>> = Vec::new();
            if ms % 25 == i as u64 * 5 && ms < 500 {
                starts.push(None);
            }
            let due: Vec<_> = waiting[i].iter().filter(|w| w.1 <= now).copied().collect();
            waiting[i].retain(|w| w.1 > now);
            starts.extend(due.iter().map(|w| Some(w.0)));
            for s in starts {
                let step = match s {
                    None => p.begin("tenant", 1, now).unwrap(),
                    Some(t) => p.resume(t, now).unwrap(),
                };
                match drive(call, p, step, now) {
                    Step::Go { ticket } => {
                        sends.push((ms, i));
                        flying[i].push((ticket, now + 30));
                    }
                    Step::Wait { ticket, until } => waiting[i].push((ticket, until)),
                    s => panic!("{s:?}"),
                }
            }
        }
    }
    for p in &mut ps {
        assert_eq!(p.poll_event(), None, "the store never failed");
    }
    (sends, throttle_at.unwrap())
}

#[test]
fn three_pacers_on_the_script_decide_as_on_the_model() {
    let Some(s) = Server::start() else { return };
    let mut redis = store(&s);
    let mut on_redis = |c: &StoreCall| redis.call(&c.budget, &c.request, c.now_us);
    let (via_redis, throttle) = run(&mut on_redis);
    let mut mem = MemoryStore::new();
    let mut on_mem = |c: &StoreCall| {
        mem.call(&c.budget, &c.request, c.now_us.unwrap())
            .map_err(|e| StoreError {
                kind: shared::StoreErrorKind::BadReply,
                message: e.message,
            })
    };
    let via_model = run(&mut on_mem);
    assert_eq!(
        (via_redis.clone(), throttle),
        via_model,
        "the script and the model disagree"
    );
    // Every send admissible by one limiter of the budget (the lockout aside: stricter still).
    let one = SharedLimit::from_rate(20, 1000, 3).unwrap();
    let mut st = State::default();
    for (ms, i) in &via_redis {
        let r = shared::step(
            &mut st,
            &Request::Acquire {
                cost: 1,
                limits: vec![one],
                lease_ttl_us: 0,
                max_inflight: 0,
                max_wait_us: 0,
                idle_ttl_us: 1,
            },
            (T0_MS + ms) * 1000,
        )
        .unwrap();
        assert_eq!(r.kind, Kind::Allow, "send at {ms} ms by process {i}");
    }
    // The 429 stopped every process for its second (slots booked before it, at most
    // `max_reserve_ms` = 200 ms ahead, are kept).
    let inside: Vec<_> = via_redis
        .iter()
        .filter(|(ms, _)| *ms > throttle + 200 && *ms < throttle + 1000)
        .collect();
    assert!(inside.is_empty(), "sends inside the lockout: {inside:?}");
    assert!(via_redis.iter().any(|(ms, _)| *ms >= throttle + 1000));
    // All three sent, and the budget was used (3 + 20/s over the active time).
    for i in 0..3 {
        assert!(via_redis.iter().any(|(_, p)| *p == i));
    }
    assert!(via_redis.len() >= 20, "{}", via_redis.len());
    eprintln!(
        "3 pacers on the script: {} sends in 2 s (20/s, burst 3), 429 at {throttle} ms, identical to the model",
        via_redis.len()
    );
}

#[test]
fn a_paused_store_degrades_the_pacer_and_it_recovers() {
    let Some(s) = Server::start() else { return };
    let mut redis = RedisStore::new(s.addr, Duration::from_millis(150));
    let mut p = Pacer::new(PacerConfig {
        limits: vec![Limit::new(100, 1000)],
        shared: Some(SharedPacing {
            peers: 2,
            probe_interval_ms: 300,
            ..SharedPacing::default()
        }),
        ..PacerConfig::default()
    })
    .unwrap();
    let clock = Instant::now();
    let now = || T0_MS + clock.elapsed().as_millis() as u64;
    let step_of = |p: &mut Pacer, redis: &mut RedisStore| {
        let t = now();
        let s = p.begin("paused", 1, t).unwrap();
        let began = Instant::now();
        let s = match s {
            Step::Consult { ticket } => {
                let c = p.store_call(ticket).unwrap();
                let r = redis.call(&c.budget, &c.request, c.now_us);
                p.consulted(ticket, r, now()).unwrap()
            }
            s => s,
        };
        // Every decision is bounded by the command timeout.
        assert!(began.elapsed() < Duration::from_millis(400));
        s
    };
    assert!(matches!(step_of(&mut p, &mut redis), Step::Go { .. }));
    s.signal("STOP");
    // The timeout is a store error, never a denial: the local share decides. It starts empty
    // (the shared burst may be spent): the first token is one share interval (20 ms) away.
    let first = step_of(&mut p, &mut redis);
    let Step::Wait { ticket, until } = first else {
        panic!("{first:?}")
    };
    assert!(until <= now() + 20, "{first:?}");
    assert!(matches!(
        p.poll_event(),
        Some(Event::StoreDown { peers: 2, .. })
    ));
    std::thread::sleep(Duration::from_millis(until.saturating_sub(now()) + 1));
    // Degraded: decided here with no store call (fast).
    let began = Instant::now();
    assert!(matches!(p.resume(ticket, now()).unwrap(), Step::Go { .. }));
    assert!(began.elapsed() < Duration::from_millis(50));
    s.signal("CONT");
    // Within a probe interval (and a timeout), a call asks the store again and recovers.
    let deadline = Instant::now() + Duration::from_secs(3);
    let mut up = None;
    while up.is_none() && Instant::now() < deadline {
        std::thread::sleep(Duration::from_millis(50));
        step_of(&mut p, &mut redis);
        up = p.poll_event();
    }
    assert!(
        matches!(up, Some(Event::StoreUp { .. })),
        "no recovery: {up:?}"
    );
    assert!(!p.store_down());
}
