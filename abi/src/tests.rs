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

// --- the shared vectors, through the ABI ---------------------------------------------------------

fn vectors(name: &str) -> Vec<Value> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/vectors")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| unreachable!("{path:?}: {e}"));
    let v: Value = serde_json::from_str(&text).unwrap_or_else(|e| unreachable!("{e}"));
    v["cases"].as_array().cloned().unwrap_or_default()
}

fn num(v: &Value) -> i64 {
    v.as_i64().unwrap_or(-1)
}

fn enum_index(v: &Value, names: &[&str]) -> i64 {
    v.as_str()
        .and_then(|s| names.iter().position(|n| *n == s))
        .map_or(-1, |i| i as i64)
}

/// Every headers vector whose pairs a raw header block can carry (a name without blanks or
/// colons, a value without line breaks or edge blanks) gives, through `pk_read`, the record
/// of the expected reading (or the expected error).
#[test]
fn headers_vectors_through_pk_read() {
    let cases = vectors("headers.json");
    let mut run = 0;
    for c in &cases {
        let name = c["name"].as_str().unwrap_or("?");
        let pairs = c["headers"].as_array().cloned().unwrap_or_default();
        let mut block = String::new();
        let mut fits = true;
        for p in &pairs {
            let (n, v) = (p[0].as_str().unwrap_or(""), p[1].as_str().unwrap_or(""));
            fits &= !n.is_empty()
                && !n.contains(|ch: char| ch.is_whitespace() || ch == ':')
                && !v.contains(['\r', '\n'])
                && v.trim() == v
                && !n.starts_with("HTTP/");
            block.push_str(&format!("{n}: {v}\r\n"));
        }
        if !fits {
            continue;
        }
        let max_wait = c["options"]["max_wait_ms"].as_i64().unwrap_or(0);
        if c["options"]["max_wait_ms"] == 0 {
            continue; // 0 means "the default" in the ABI
        }
        if c["options"]["reset_mode"]
            .as_str()
            .is_some_and(|m| m != "auto")
        {
            continue; // the ABI always reads X-RateLimit-Reset in auto mode
        }
        let status = i32::try_from(c["status"].as_i64().unwrap_or(0)).unwrap_or(-1);
        let body = c["body"].as_str().unwrap_or("");
        let h = Buf::with(block.as_bytes());
        let b = Buf::with(body.as_bytes());
        let o = Buf::longs(READING_FIELDS);
        let now = c["now"].as_i64().unwrap_or(0);
        let code = pk_read(
            status,
            h.ptr,
            block.len(),
            b.ptr,
            body.len(),
            now,
            max_wait,
            o.ptr,
        );
        let e = &c["expect"];
        if let Some(err) = e["error"].as_str() {
            assert_eq!(error_code_of(code).map(|c| c.as_str()), Some(err), "{name}");
            run += 1;
            continue;
        }
        let want = vec![
            num(&e["status"]),
            i64::from(e["throttled"].as_bool().unwrap_or(false)),
            num(&e["wait_ms"]),
            enum_index(&e["wait_source"], &["retry_after", "reset", "body"]),
            num(&e["retry_after_ms"]),
            num(&e["limit"]),
            num(&e["remaining"]),
            num(&e["reset_ms"]),
            num(&e["window_ms"]),
            e["date_skew_ms"].as_i64().unwrap_or(SKEW_NONE),
            i64::from(e["capped"].as_bool().unwrap_or(false)),
            e["rejected"].as_array().map_or(0, |a| a.len() as i64),
            enum_index(
                &e["source"],
                &[
                    "ietf",
                    "ietf_draft07",
                    "ratelimit_trio",
                    "x_ratelimit",
                    "genesys",
                    "shopify",
                ],
            ),
        ];
        assert_eq!(code, want[2], "{name}: return code");
        assert_eq!(o.i64s(READING_FIELDS), want, "{name}");
        run += 1;
    }
    assert!(
        run * 10 >= cases.len() * 8,
        "only {run} of {} cases ran",
        cases.len()
    );
}

/// Every bucket vector with one limit and only check/reserve steps gives the expected verdicts
/// through `pk_bucket_step`, with a TAT per key kept by the test (as a host would).
#[test]
fn bucket_vectors_through_pk_bucket_step() {
    let cases = vectors("bucket.json");
    let mut run = 0;
    for c in &cases {
        let name = c["name"].as_str().unwrap_or("?");
        let cfg = &c["config"];
        let limits = cfg["limits"].as_array().cloned().unwrap_or_default();
        let steps = c["steps"].as_array().cloned().unwrap_or_default();
        let simple = limits.len() == 1
            && cfg.get("adaptive").is_none_or(Value::is_null)
            && cfg.get("max_in_flight").is_none_or(Value::is_null)
            && steps
                .iter()
                .all(|s| matches!(s["op"].as_str(), Some("check" | "reserve")))
            // The ABI's bucket has no key: the host keeps one TAT per key, and checks keys.
            && steps
                .iter()
                .all(|s| s["key"].as_str().is_some_and(|k| (1..=256).contains(&k.len())));
        if !simple {
            continue;
        }
        let l = &limits[0];
        let amount = i32::try_from(num(&l["amount"])).unwrap_or(-1);
        let lim = (
            amount,
            num(&l["period_ms"]),
            l["burst"].as_i64().map_or(amount, |b| b as i32),
        );
        let mut tats: BTreeMap<String, i64> = BTreeMap::new();
        let mut got = Vec::new();
        for s in &steps {
            let key = s["key"].as_str().unwrap_or("").to_owned();
            let cost = i32::try_from(s["cost"].as_i64().unwrap_or(1)).unwrap_or(-1);
            let tat = tats.get(&key).copied().unwrap_or(0);
            let now = num(&s["now"]);
            let (code, out) = step(tat, lim, cost, now, s["op"] == "reserve");
            let v = if let Some(e) = error_code_of(code) {
                serde_json::json!({ "error": e.as_str() })
            } else if code == PK_NEVER {
                // The ABI returns no capacity: the burst when the cost exceeds it, else 0 (a
                // slot only after the end of time, pacekeeper::MAX_TIME).
                let cap = if cost > lim.2 { lim.2 } else { 0 };
                serde_json::json!({ "decision": "never", "cost": cost, "capacity": cap })
            } else if code == 0 {
                tats.insert(key, out[0]);
                serde_json::json!({ "decision": "allow", "remaining": out[2] })
            } else {
                tats.insert(key, out[0]);
                serde_json::json!({ "decision": "wait", "until": out[1], "wait_ms": code })
            };
            got.push(v);
        }
        let e = &c["expect"];
        if let Some(err) = e["error"].as_str() {
            // A bad configuration: the first step (or one made up) reports it.
            let first = got.first().cloned().unwrap_or_else(|| {
                let code = step(0, lim, 1, 0, false).0;
                serde_json::json!({ "error": error_code_of(code).map(|c| c.as_str()) })
            });
            assert_eq!(first["error"].as_str(), Some(err), "{name}");
        } else {
            assert_eq!(&Value::Array(got), e, "{name}");
        }
        run += 1;
    }
    assert!(run >= 10, "only {run} bucket cases ran");
}

/// Every backoff vector without a retry budget (the ABI keeps none), with steps, a multiplier
/// in whole thousandths and at most 7 retry statuses gives the expected decisions through
/// `pk_retry` (responses as raw header blocks; `null` as status 0, a network error).
#[test]
fn backoff_vectors_through_pk_retry() {
    let cases = vectors("backoff.json");
    let mut run = 0;
    for c in &cases {
        let name = c["name"].as_str().unwrap_or("?");
        let steps = c["steps"].as_array().cloned().unwrap_or_default();
        let pol = &c["policy"];
        let milli = pol["multiplier"].as_f64().map(|m| m * 1000.0);
        let statuses = pol["retry_statuses"].as_array().map_or(0, Vec::len);
        if c.get("budget").is_some()
            || steps.is_empty()
            || milli.is_some_and(|m| m.fract() != 0.0)
            || statuses > POLICY_STATUSES
            || c["seed"].as_u64().is_none()
        {
            continue;
        }
        let mut rec = policy_record(&BackoffPolicy::default()).to_vec();
        let set = |rec: &mut Vec<i64>, i: usize, v: &Value| {
            if let Some(n) = v.as_i64() {
                rec[i] = n;
            }
        };
        set(&mut rec, 0, &pol["base_ms"]);
        if let Some(m) = milli {
            rec[1] = m as i64;
        }
        set(&mut rec, 2, &pol["cap_ms"]);
        if let Some(j) = pol["jitter"].as_str() {
            rec[3] = enum_index(&pol["jitter"], &["none", "full", "equal", "decorrelated"]);
            assert!(rec[3] >= 0, "{name}: jitter {j}");
        }
        set(&mut rec, 4, &pol["max_attempts"]);
        if pol.get("deadline_ms").is_some() {
            rec[5] = pol["deadline_ms"].as_i64().unwrap_or(-1);
        }
        if let Some(b) = pol["retry_network_errors"].as_bool() {
            rec[6] = i64::from(b);
        }
        set(&mut rec, 7, &pol["hint_spread_percent"]);
        set(&mut rec, 8, &pol["max_wait_ms"]);
        if let Some(list) = pol["retry_statuses"].as_array() {
            for (i, slot) in rec[9..].iter_mut().enumerate() {
                *slot = list.get(i).and_then(Value::as_i64).unwrap_or(0);
            }
        }
        let p = Buf::longs(POLICY_FIELDS);
        p.set_i64s(&rec);
        let st = Buf::longs(STATE_FIELDS);
        let seed = c["seed"].as_u64().unwrap_or(0);
        assert_eq!(pk_state_init(st.ptr, num(&c["started_at"]), seed as i64), 0);
        let mut got = Vec::new();
        for s in &steps {
            let now = num(&s["now"]);
            let r = &s["response"];
            let (status, block, body) = if r.is_null() {
                (0, String::new(), String::new())
            } else {
                let mut block = String::new();
                for h in r["headers"].as_array().cloned().unwrap_or_default() {
                    block.push_str(&format!(
                        "{}: {}\r\n",
                        h[0].as_str().unwrap_or(""),
                        h[1].as_str().unwrap_or("")
                    ));
                }
                let status = i32::try_from(num(&r["status"])).unwrap_or(-1);
                (status, block, r["body"].as_str().unwrap_or("").to_owned())
            };
            let h = Buf::with(block.as_bytes());
            let b = Buf::with(body.as_bytes());
            let code = pk_retry(
                p.ptr,
                st.ptr,
                status,
                h.ptr,
                block.len(),
                b.ptr,
                body.len(),
                now,
            );
            let state = st.i64s(STATE_FIELDS);
            let reasons = ["backoff", "server_hint", "escalated"];
            let give_up = [
                "",
                "",
                "not_retryable",
                "max_attempts",
                "deadline",
                "retry_budget",
                "wait_too_long",
            ];
            got.push(if let Some(e) = error_code_of(code) {
                serde_json::json!({ "error": e.as_str() })
            } else if code == PK_NONE {
                serde_json::json!({ "decision": "done" })
            } else if code < 0 {
                let reason = give_up.get((-code) as usize).copied().unwrap_or("?");
                serde_json::json!({ "decision": "give_up", "reason": reason, "attempts": state[0] })
            } else {
                let reason = reasons.get(state[6] as usize).copied().unwrap_or("?");
                serde_json::json!({
                    "decision": "retry", "at": state[7], "delay_ms": code,
                    "attempt": state[0] + 1, "reason": reason,
                })
            });
        }
        let e = &c["expect"];
        if let Some(err) = e["error"].as_str() {
            assert_eq!(got[0]["error"].as_str(), Some(err), "{name}");
        } else {
            assert_eq!(&Value::Array(got), &e["decisions"], "{name}");
        }
        run += 1;
    }
    assert!(run >= 25, "only {run} backoff cases ran");
}

/// An integer argument of an error vector, when the ABI's `i64` can carry it exactly (NaN,
/// fractions, strings and values beyond `i64` cannot cross this boundary at all).
fn vector_int(v: &Value) -> Option<i64> {
    match v {
        Value::Number(n) => n.as_i64(),
        Value::Object(o) if o.get("$num").and_then(Value::as_str) == Some("-0") => Some(0),
        _ => None,
    }
}

fn abi_code(ret: i64) -> Option<&'static str> {
    let i = usize::try_from(-100 - ret).ok()?;
    ErrorCode::ALL.get(i).map(|c| c.as_str())
}

/// One error vector through the ABI, or None when the ABI cannot express its input.
fn abi_error_case(call: &str, a: &Value) -> Option<Option<&'static str>> {
    let int = |k: &str| a.get(k).and_then(vector_int);
    let i32_of = |k: &str| int(k).and_then(|v| i32::try_from(v).ok());
    let out = Buf::longs(BUCKET_OUT_FIELDS.max(READING_FIELDS));
    let ret = match call {
        "check" if a["key"] == "k" => {
            pk_bucket_step(0, 5, 1000, 5, i32_of("cost")?, int("now")?, 0, out.ptr)
        }
        "limiter" => {
            let o = a.as_object()?;
            let limits = o.get("limits")?.as_array()?;
            if o.len() != 1 || limits.len() != 1 {
                return None;
            }
            let l = limits[0].as_object()?;
            if l.keys()
                .any(|k| !["amount", "period_ms", "burst"].contains(&k.as_str()))
            {
                return None;
            }
            let amount = i32::try_from(vector_int(l.get("amount")?)?).ok()?;
            let period = vector_int(l.get("period_ms")?)?;
            let burst = match l.get("burst") {
                None => amount, // the test's stand-in for the core's default (the ABI takes burst)
                Some(b) => i32::try_from(vector_int(b)?).ok()?,
            };
            pk_bucket_step(0, amount, period, burst, 1, NOW, 0, out.ptr)
        }
        "parse" => {
            // The ABI has no reset mode, and its max_wait_ms 0 means "the default".
            if a.get("reset_mode").is_some() || int("max_wait_ms") == Some(0) {
                return None;
            }
            let mut block = String::new();
            for p in a["headers"].as_array()? {
                block.push_str(&format!("{}: {}\n", p[0].as_str()?, p[1].as_str()?));
            }
            let body = match a.get("body") {
                None | Some(Value::Null) => String::new(),
                Some(b) => b.as_str()?.to_owned(),
            };
            let max = if a.get("max_wait_ms").is_some() {
                int("max_wait_ms")?
            } else {
                0
            };
            let (h, b) = (Buf::with(block.as_bytes()), Buf::with(body.as_bytes()));
            pk_read(
                i32_of("status")?,
                h.ptr,
                block.len(),
                b.ptr,
                body.len(),
                int("now")?,
                max,
                out.ptr,
            )
        }
        _ => return None,
    };
    Some(abi_code(ret))
}

#[test]
fn error_vectors_give_the_same_codes_through_the_abi() {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/vectors/errors.json");
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap_or_default())
        .unwrap_or_default();
    let (mut replayed, mut wrong) = (0, Vec::new());
    for case in doc["cases"].as_array().into_iter().flatten() {
        let Some(got) = abi_error_case(case["call"].as_str().unwrap_or(""), &case["args"]) else {
            continue;
        };
        replayed += 1;
        if got != case["code"].as_str() {
            wrong.push(format!(
                "{}: got {got:?}, want {}",
                case["name"], case["code"]
            ));
        }
    }
    assert!(
        replayed >= 20,
        "only {replayed} error vectors are expressible through the ABI"
    );
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

mod pacer;
