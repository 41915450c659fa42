//! Unit tests of the ABI on the native target: the exported functions are called exactly as a
//! host calls them (addresses from `pk_alloc`, records of little-endian i64), and compared with
//! the core called directly.

use super::*;
use pacekeeper::backoff::{Backoff, BackoffPolicy, Decision, Outcome, RetryState};
use pacekeeper::headers::parse;
use pacekeeper::headers::ParseOptions;
use serde_json::Value;
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::atomic::{AtomicI64, Ordering};

const NOW: i64 = 1_700_000_000_000;

/// A buffer from pk_alloc, freed on drop (and the free must succeed).
struct Buf {
    ptr: usize,
    len: usize,
}

impl Buf {
    fn new(len: usize) -> Buf {
        let ptr = pk_alloc(len);
        assert_ne!(ptr, 0, "pk_alloc({len})");
        Buf { ptr, len }
    }
    fn with(bytes: &[u8]) -> Buf {
        let b = Buf::new(bytes.len().max(1));
        assert_eq!(mem::write(b.ptr, bytes, "test"), Ok(()));
        b
    }
    fn longs(n: usize) -> Buf {
        Buf::new(n * 8)
    }
    fn i64s(&self, n: usize) -> Vec<i64> {
        mem::read_i64s(self.ptr, n, "test").unwrap_or_else(|e| unreachable!("{e}"))
    }
    fn set_i64s(&self, v: &[i64]) {
        assert_eq!(mem::write_i64s(self.ptr, v, "test"), Ok(()));
    }
}

impl Drop for Buf {
    fn drop(&mut self) {
        assert_eq!(pk_free(self.ptr, self.len), 0);
    }
}

fn last_error() -> String {
    let b = Buf::new(256);
    let n = pk_last_error(b.ptr, b.len);
    let bytes = mem::read(b.ptr, (n as usize).min(b.len), "test").unwrap_or_default();
    String::from_utf8_lossy(&bytes).into_owned()
}

fn parse_block(status: i32, block: &str, body: &str, now: i64) -> i64 {
    let h = Buf::with(block.as_bytes());
    let b = Buf::with(body.as_bytes());
    pk_parse(status, h.ptr, block.len(), b.ptr, body.len(), now)
}

fn read_block(status: i32, block: &str, body: &str) -> (i64, Vec<i64>) {
    let h = Buf::with(block.as_bytes());
    let b = Buf::with(body.as_bytes());
    let o = Buf::longs(READING_FIELDS);
    let code = pk_read(status, h.ptr, block.len(), b.ptr, body.len(), NOW, 0, o.ptr);
    (code, o.i64s(READING_FIELDS))
}

#[test]
fn version_and_error_codes() {
    assert_eq!(pk_abi_version(), 1);
    for (i, c) in ErrorCode::ALL.iter().enumerate() {
        assert_eq!(error_return(*c), -100 - i as i64);
        assert_eq!(error_code_of(error_return(*c)), Some(*c));
    }
    assert_eq!(error_return(ErrorCode::InvalidArgument), -109);
    assert_eq!(error_return(ErrorCode::InvalidNumber), -110);
    assert_eq!(error_code_of(-1), None);
    assert_eq!(error_code_of(-99), None);
    let past_the_end = -100 - ErrorCode::ALL.len() as i64;
    assert_eq!(error_code_of(past_the_end), None);
}

#[test]
fn parses_a_jmeter_header_block() {
    let block = "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\n\
                 Retry-After: 30\r\ninin-ratelimit-allowed: 15\r\ninin-ratelimit-count: 15\r\n\
                 inin-ratelimit-reset: 30\r\n";
    assert_eq!(parse_block(429, block, "", NOW), 30_000);
    let (code, rec) = read_block(429, block, "");
    assert_eq!(code, 30_000);
    assert_eq!(
        rec,
        vec![429, 1, 30_000, 0, 30_000, 15, 0, 30_000, -1, SKEW_NONE, 0, 0, 4]
    );
    // The same as the core on the same pairs.
    let r = parse(
        429,
        &split_header_block(block.as_bytes()),
        None,
        NOW as u64,
        &ParseOptions::default(),
    )
    .unwrap_or_else(|e| unreachable!("{e}"));
    assert_eq!(rec, reading_record(&r).to_vec());
}

#[test]
fn success_has_no_wait_and_body_gives_one() {
    assert_eq!(
        parse_block(200, "HTTP/1.1 200 OK\nContent-Length: 2\n", "ok", NOW),
        PK_NONE
    );
    assert_eq!(parse_block(200, "", "", NOW), PK_NONE);
    let body = r#"{"message":"Rate limit exceeded the maximum. Retry the request in [7] seconds","status":429}"#;
    assert_eq!(parse_block(429, "HTTP/1.1 429\n", body, NOW), 7_000);
    let (_, rec) = read_block(429, "", body);
    assert_eq!(rec[3], 2, "wait source = body");
}

#[test]
fn header_block_splitting() {
    let pairs = split_header_block(
        b"HTTP/1.1 200 OK\r\n\r\n  X-A :  1 \r\nno colon here\r\nBad Name: x\r\n:empty\nY: a: b\n\xff\xfe: v",
    );
    assert_eq!(
        pairs,
        vec![
            ("X-A".to_owned(), "1".to_owned()),
            ("Y".to_owned(), "a: b".to_owned()),
            ("\u{fffd}\u{fffd}".to_owned(), "v".to_owned()),
        ]
    );
}

#[test]
fn parse_errors_are_codes_with_messages() {
    assert_eq!(parse_block(99, "", "", NOW), -106);
    assert!(
        last_error().starts_with("invalid_status: "),
        "{}",
        last_error()
    );
    assert_eq!(parse_block(600, "", "", NOW), -106);
    assert_eq!(parse_block(-1, "", "", NOW), -106);
    assert_eq!(parse_block(200, "", "", -5), -110);
    assert!(last_error().contains("now_ms"), "{}", last_error());
    let o = Buf::longs(READING_FIELDS);
    assert_eq!(pk_read(200, 0, 0, 0, 0, NOW, -1, o.ptr), -110);
    assert_eq!(pk_read(200, 0, 0, 0, 0, NOW, 31 * 86_400_000, o.ptr), -107);
}

#[test]
fn pointers_are_checked() {
    let before = mem::live_count();
    let b = Buf::new(16);
    // Inside: fine. Past the end, before the start, unknown, overflowing: invalid_argument.
    assert_eq!(pk_parse(200, b.ptr, 16, 0, 0, NOW), PK_NONE);
    assert_eq!(pk_parse(200, b.ptr + 8, 8, 0, 0, NOW), PK_NONE);
    assert_eq!(pk_parse(200, b.ptr, 17, 0, 0, NOW), -109);
    assert!(
        last_error().contains("not inside a buffer"),
        "{}",
        last_error()
    );
    assert_eq!(pk_parse(200, b.ptr + 8, 9, 0, 0, NOW), -109);
    assert_eq!(pk_parse(200, 8, 4, 0, 0, NOW), -109);
    assert_eq!(pk_parse(200, usize::MAX, 2, 0, 0, NOW), -109);
    assert_eq!(pk_parse(200, 0, 1, 0, 0, NOW), -109);
    // An output buffer too small for its record.
    assert_eq!(pk_read(200, 0, 0, 0, 0, NOW, 0, b.ptr), -109);
    assert_eq!(pk_state_init(b.ptr, 0, 0), -109);
    // Allocation limits and frees.
    assert_eq!(pk_alloc(0), 0);
    assert_eq!(pk_alloc(mem::MAX_ALLOC + 1), 0);
    let p = pk_alloc(10);
    assert_eq!(pk_free(p, 11), -109);
    assert_eq!(pk_free(p + 1, 10), -109);
    assert_eq!(pk_free(p, 10), 0);
    assert_eq!(pk_free(p, 10), -109, "double free");
    assert_eq!(pk_parse(200, p, 1, 0, 0, NOW), -109, "use after free");
    drop(b);
    assert_eq!(mem::live_count(), before);
}

#[test]
fn last_error_copies_at_most_cap() {
    assert_eq!(parse_block(99, "", "", NOW), -106);
    let full = last_error();
    let b = Buf::new(4);
    assert_eq!(pk_last_error(b.ptr, 4), full.len() as i64);
    assert_eq!(
        mem::read(b.ptr, 4, "t").unwrap_or_default(),
        &full.as_bytes()[..4]
    );
    assert_eq!(pk_last_error(0, 0), full.len() as i64);
}

fn core_decide(
    policy: &BackoffPolicy,
    s: &mut RetryState,
    status: u16,
    headers: &[(&str, &str)],
    now: u64,
) -> Decision {
    let reading = parse(status, headers, None, now, &ParseOptions::default()).unwrap_or_else(|e| {
        unreachable!("{e}");
    });
    Backoff::new(policy.clone())
        .and_then(|b| b.decide(s, &Outcome::Response { reading }, now, None))
        .unwrap_or_else(|e| unreachable!("{e}"))
}

#[test]
fn decide_matches_the_core_step_by_step() {
    let policy = BackoffPolicy::default();
    let p = Buf::longs(POLICY_FIELDS);
    assert_eq!(pk_policy_default(p.ptr), 0);
    let rec = p.i64s(POLICY_FIELDS);
    assert_eq!(&rec[..9], &[500, 2000, 60_000, 1, 8, -1, 1, 10, 21_600_000]);
    assert_eq!(&rec[9..], &[429, 502, 503, 504, 0, 0, 0]);
    assert_eq!(policy_from_record(&rec).as_ref(), Ok(&policy));

    let seed: u64 = u64::MAX - 12_345; // above i64::MAX: travels as its bits
    let st = Buf::longs(STATE_FIELDS);
    assert_eq!(pk_state_init(st.ptr, NOW, seed as i64), 0);
    assert_eq!(
        st.i64s(STATE_FIELDS),
        vec![0, NOW, seed as i64, 0, -1, 0, -1, -1]
    );
    let mut core = RetryState::new(NOW as u64, seed);

    type Step<'a> = (u16, &'a str, Vec<(&'a str, &'a str)>);
    let steps: [Step; 5] = [
        (503, "", vec![]),
        (
            429,
            "HTTP/1.1 429\r\nRetry-After: 3\r\n",
            vec![("Retry-After", "3")],
        ),
        (429, "Retry-After: 3\n", vec![("Retry-After", "3")]), // escalates
        (502, "", vec![]),
        (200, "", vec![]),
    ];
    let mut now = NOW;
    for (status, block, pairs) in steps {
        let expect = core_decide(&policy, &mut core, status, &pairs, now as u64);
        let h = Buf::with(block.as_bytes());
        let code = pk_retry(
            p.ptr,
            st.ptr,
            i32::from(status),
            h.ptr,
            block.len(),
            0,
            0,
            now,
        );
        assert_eq!(code, decision_code(&expect), "status {status}");
        assert_eq!(st.i64s(STATE_FIELDS), state_record(&core, &expect).to_vec());
        if let Decision::Retry { delay_ms, at, .. } = expect {
            assert_eq!(st.i64s(STATE_FIELDS)[7], at as i64);
            now += delay_ms as i64 + 5;
        }
    }
    assert_eq!(st.i64s(STATE_FIELDS)[0], 5, "five attempts");
}

#[test]
fn decide_scalar_and_give_up_codes() {
    // Jitter none, base 100: the delays are 100, 200, 400; then max attempts (4).
    let p = Buf::longs(POLICY_FIELDS);
    assert_eq!(pk_policy_default(p.ptr), 0);
    let mut rec = p.i64s(POLICY_FIELDS);
    rec[0] = 100;
    rec[3] = 0;
    rec[4] = 4;
    p.set_i64s(&rec);
    let st = Buf::longs(STATE_FIELDS);
    assert_eq!(pk_state_init(st.ptr, NOW, 1), 0);
    assert_eq!(pk_decide(p.ptr, st.ptr, 503, -1, NOW), 100);
    assert_eq!(st.i64s(STATE_FIELDS)[6], 0, "reason backoff");
    assert_eq!(pk_decide(p.ptr, st.ptr, 0, -1, NOW), 200, "network error");
    let hinted = pk_decide(p.ptr, st.ptr, 429, 1_000, NOW);
    assert!((1_000..=1_100).contains(&hinted), "{hinted}");
    assert_eq!(
        st.i64s(STATE_FIELDS)[6],
        1,
        "reason server_hint (spread 10% of 1000 ms)"
    );
    assert_eq!(
        pk_decide(p.ptr, st.ptr, 503, -1, NOW),
        PK_GIVE_UP_MAX_ATTEMPTS
    );
    // Default policy (pointer 0): success, not retryable, a wait above max_wait_ms.
    assert_eq!(pk_state_init(st.ptr, NOW, 1), 0);
    assert_eq!(pk_decide(0, st.ptr, 200, -1, NOW), PK_NONE);
    assert_eq!(pk_decide(0, st.ptr, 404, -1, NOW), PK_GIVE_UP_NOT_RETRYABLE);
    assert_eq!(pk_state_init(st.ptr, NOW, 1), 0);
    assert_eq!(
        pk_decide(0, st.ptr, 429, 7 * 3_600_000, NOW),
        PK_GIVE_UP_WAIT_TOO_LONG
    );
    // A deadline.
    rec[5] = 50;
    p.set_i64s(&rec);
    assert_eq!(pk_state_init(st.ptr, NOW, 1), 0);
    assert_eq!(pk_decide(p.ptr, st.ptr, 503, -1, NOW), PK_GIVE_UP_DEADLINE);
    // Bad inputs.
    assert_eq!(pk_decide(0, st.ptr, 1000, -1, NOW), -106);
    assert_eq!(pk_decide(0, st.ptr, 429, -7, NOW), -110);
    assert_eq!(pk_decide(0, st.ptr, 429, -1, -1), -110);
    rec[3] = 9;
    p.set_i64s(&rec);
    assert_eq!(pk_decide(p.ptr, st.ptr, 503, -1, NOW), -103);
    rec[3] = 1;
    rec[1] = 500; // multiplier 0.5
    p.set_i64s(&rec);
    assert_eq!(pk_decide(p.ptr, st.ptr, 503, -1, NOW), -103);
    rec[1] = 2000;
    rec[9] = 1000;
    p.set_i64s(&rec);
    assert_eq!(pk_decide(p.ptr, st.ptr, 503, -1, NOW), -106);
    let mut bad_state = st.i64s(STATE_FIELDS);
    bad_state[0] = -1;
    st.set_i64s(&bad_state);
    assert_eq!(pk_decide(0, st.ptr, 503, -1, NOW), -110);
}

fn step(tat: i64, limit: (i32, i64, i32), cost: i32, now: i64, reserve: bool) -> (i64, Vec<i64>) {
    let o = Buf::longs(BUCKET_OUT_FIELDS);
    let code = pk_bucket_step(
        tat,
        limit.0,
        limit.1,
        limit.2,
        cost,
        now,
        i32::from(reserve),
        o.ptr,
    );
    (code, o.i64s(BUCKET_OUT_FIELDS))
}

#[test]
fn bucket_burst_then_rate() {
    let lim = (1, 1000, 15);
    let mut tat = 0;
    for i in 0..15 {
        let (code, out) = step(tat, lim, 1, NOW, false);
        assert_eq!(code, 0, "request {i}");
        assert_eq!(out[1], NOW);
        assert_eq!(out[2], 14 - i);
        tat = out[0];
    }
    let (code, out) = step(tat, lim, 1, NOW, false);
    assert_eq!(
        (code, out[0], out[1]),
        (1000, tat, NOW + 1000),
        "check takes nothing"
    );
    let (code, out) = step(tat, lim, 1, NOW + 1000, false);
    assert_eq!(code, 0);
    tat = out[0];
    // Reservations stagger.
    let (code, out) = step(tat, lim, 1, NOW + 1000, true);
    assert_eq!((code, out[1]), (1000, NOW + 2000));
    let (code, out) = step(out[0], lim, 1, NOW + 1000, true);
    assert_eq!((code, out[1]), (2000, NOW + 3000));
    // Never, and bad inputs.
    assert_eq!(step(0, lim, 16, NOW, false).0, PK_NEVER);
    assert_eq!(step(0, (0, 1000, 1), 1, NOW, false).0, -100);
    assert_eq!(step(0, (-1, 1000, 1), 1, NOW, false).0, -110);
    assert_eq!(step(0, lim, 0, NOW, false).0, -102);
    assert_eq!(step(0, lim, -3, NOW, false).0, -110); // a negative number: invalid_number, as in every binding
    assert_eq!(step(0, lim, 1, 1 << 53, false).0, -110); // beyond 2^53 - 1
    assert_eq!(step(0, lim, 1, -1, false).0, -110);
    let o = Buf::longs(BUCKET_OUT_FIELDS);
    assert_eq!(pk_bucket_step(0, 1, 1000, 1, 1, NOW, 2, o.ptr), -110);
}

#[test]
fn bucket_observe_blocks_until_the_servers_time() {
    let lim = (20, 1000, 15);
    let block = "HTTP/1.1 429\r\nRetry-After: 2\r\n";
    let h = Buf::with(block.as_bytes());
    let o = Buf::longs(BUCKET_OUT_FIELDS);
    let code = pk_bucket_observe(
        0,
        lim.0,
        lim.1,
        lim.2,
        429,
        h.ptr,
        block.len(),
        0,
        0,
        NOW,
        o.ptr,
    );
    assert_eq!(code, 2000);
    let out = o.i64s(BUCKET_OUT_FIELDS);
    assert_eq!(out[1], NOW + 2000);
    let tat = out[0];
    assert_eq!(step(tat, lim, 1, NOW + 1999, false).0, 1);
    assert_eq!(step(tat, lim, 1, NOW + 2000, false).0, 0);
    assert_eq!(step(tat, lim, 1, NOW, true).1[1], NOW + 2000);
    // A success that says 3 remain: at most 3 now.
    let ok = "inin-ratelimit-allowed: 15\ninin-ratelimit-count: 12\ninin-ratelimit-reset: 1\n";
    let h = Buf::with(ok.as_bytes());
    let code = pk_bucket_observe(
        0,
        lim.0,
        lim.1,
        lim.2,
        200,
        h.ptr,
        ok.len(),
        0,
        0,
        NOW,
        o.ptr,
    );
    assert_eq!(code, PK_NONE);
    let out = o.i64s(BUCKET_OUT_FIELDS);
    assert_eq!((out[1], out[2]), (-1, 3));
    let mut tat = out[0];
    for _ in 0..3 {
        let (code, out) = step(tat, lim, 1, NOW, false);
        assert_eq!(code, 0);
        tat = out[0];
    }
    assert!(step(tat, lim, 1, NOW, false).0 > 0);
}

/// The design JMeter uses: many threads share one bucket as a single atomic i64 and advance it
/// with compare-and-set. Every thread reserves its slots; no slot is lost or doubled, and no
/// window holds more than burst + rate·w requests.
#[test]
fn bucket_shared_by_threads_with_cas() {
    let (amount, period, burst) = (20, 1000, 15);
    let tat = AtomicI64::new(0);
    let slots = std::sync::Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..8 {
            s.spawn(|| {
                let o = Buf::longs(BUCKET_OUT_FIELDS);
                for _ in 0..25 {
                    loop {
                        let old = tat.load(Ordering::SeqCst);
                        let code = pk_bucket_step(old, amount, period, burst, 1, NOW, 1, o.ptr);
                        assert!(code >= 0, "code {code}");
                        let out = o.i64s(BUCKET_OUT_FIELDS);
                        if tat
                            .compare_exchange(old, out[0], Ordering::SeqCst, Ordering::SeqCst)
                            .is_ok()
                        {
                            if let Ok(mut v) = slots.lock() {
                                v.push(out[1]);
                            }
                            break;
                        }
                    }
                }
            });
        }
    });
    let mut v = slots.into_inner().unwrap_or_default();
    v.sort_unstable();
    assert_eq!(v.len(), 200);
    assert_eq!(v.iter().filter(|t| **t == NOW).count(), 15, "the burst");
    // 185 more at 50 ms each.
    assert_eq!(v[199], NOW + 185 * 50);
    for (i, a) in v.iter().enumerate() {
        for w in [1i64, 100, 1000, 5000] {
            let n = v[i..].iter().take_while(|b| **b < a + w).count() as i64;
            assert!(n <= 15 + 20 * w / 1000, "{n} in {w} ms from {a}");
        }
    }
}

mod pacer;
mod vectors;
