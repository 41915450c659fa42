//! The codec's own rules (moved out of `src/`): the number rule, the classification of decoding
//! failures, the verdict encoding, vocabularies and defaults, and the round trips of the
//! limiter's, backoff's, plan's and reading's flat forms.
#![allow(clippy::unwrap_used, clippy::float_cmp)]

use pacekeeper::backoff::RetryBudget;
use pacekeeper::headers::Source;
use pacekeeper::{BackoffPolicy, BatchOutcome, ErrorCode, LimiterConfig, Reading, Verdict};
use pacekeeper_bindings_common::limiter::{
    config_flat, config_of, create, decide, drop_limiter, peek, state_of, with,
};
use pacekeeper_bindings_common::{backoff, reading, *};

#[test]
fn uint_rule() {
    for bad in [f64::NAN, f64::INFINITY, -1.0, 0.5, 9_007_199_254_740_992.0] {
        assert_eq!(
            uint(bad, "x").map_err(|e| e.code),
            Err(ErrorCode::InvalidNumber)
        );
    }
    assert_eq!(uint(-0.0, "x").ok(), Some(0));
    assert_eq!(uint(MAX_SAFE, "x").ok(), Some(9_007_199_254_740_991));
    assert_eq!(uint32(1e12, "x").ok(), Some(u32::MAX));
}

#[test]
fn classification() {
    let f = |t: &str| {
        serde_json::from_str::<pacekeeper::Limit>(t)
            .map_err(|e| classify(&e.to_string()))
            .err()
    };
    let number = Some(ErrorCode::InvalidNumber);
    let argument = Some(ErrorCode::InvalidArgument);
    assert_eq!(f(r#"{"amount":1.5,"period_ms":1}"#), number);
    assert_eq!(f(r#"{"amount":-1,"period_ms":1}"#), number);
    assert_eq!(f(r#"{"amount":5e9,"period_ms":1}"#), number);
    assert_eq!(f(r#"{"amount":"1","period_ms":1}"#), argument);
    assert_eq!(f(r#"{"period_ms":1}"#), argument);
    assert_eq!(f(r#"{"amount":1,"period_ms":1,"x":0}"#), argument);
}

#[test]
fn verdicts_encode_exactly_up_to_max_time() {
    let mut cap = 0;
    let max = pacekeeper::MAX_TIME;
    for until in [1, 1_700_000_000_000, max - 1, max] {
        let v = encode_verdict(Verdict::Wait { until, wait_ms: 0 }, &mut cap);
        assert!(v <= -2.0);
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let back = (-v - 1.0) as u64;
        assert_eq!(back, until);
    }
}

#[test]
fn vocabularies_follow_the_core() {
    let sources = vocabulary("sources").unwrap();
    assert_eq!(sources.split(',').count(), Source::ALL.len());
    assert_eq!(sources.split(',').nth(4), Some(Source::Genesys.as_str()));
    assert!(vocabulary("nope").is_err());
    assert_eq!(vocabulary("verdicts").unwrap(), "allow,wait,never");
    let cost = f64::from(pacekeeper::bucket::DEFAULT_COST);
    assert_eq!(defaults("cost").ok(), Some(vec![cost]));
    assert_eq!(defaults("statuses").ok(), Some(vec![100.0, 599.0]));
}

#[test]
fn limiter_config_and_state_round_trip() {
    let nan = f64::NAN;
    let mut flat = vec![0.0, 1.0, nan, nan, nan, 40.0, nan, 3.0];
    flat.extend([2.0, 5.0, 1000.0, nan, 300.0, 60_000.0, 10.0]);
    let c = config_of(&flat).unwrap();
    assert!(!c.learn);
    assert_eq!(c.adaptive.map(|a| a.decrease_percent), Some(40));
    assert_eq!(c.max_in_flight, Some(3));
    assert_eq!(c.limits[0].burst, 5, "a left-out burst is the amount");
    assert_eq!(config_of(&config_flat(&c)).ok(), Some(c.clone()));
    let all_nan = Some(LimiterConfig::default());
    assert_eq!(
        config_of(&[]).ok(),
        all_nan,
        "NaN everywhere: the core's defaults"
    );
    let slots = vocabulary("limiterConfig").unwrap().split(',').count();
    assert_eq!(config_flat(&LimiterConfig::default()).len(), slots + 1);

    let id = create(&config_flat(&c), None).unwrap();
    let key = with(id, |s| s.key("a\0b")).unwrap();
    assert!(decide(0, id, key, 1.0, 10.0).unwrap() >= -1.0);
    let (keys, nums) = peek(id, |s| (s.state_keys(), s.state_nums()));
    let per = vocabulary("limiterState").unwrap().split(',').count();
    assert_eq!(nums.len(), per);
    let back = create(&config_flat(&c), Some((&keys, &nums))).unwrap();
    assert_eq!(peek(back, |s| s.state_nums()), nums);
    assert_eq!(peek(back, |s| s.state_keys()), keys);
    assert!(state_of(&keys, &nums[1..]).is_err());
    let mut big = nums.clone();
    big[per - 1] = 1 << 32; // in_flight is a u32
    let e = state_of(&keys, &big).err().unwrap();
    assert_eq!(
        (e.code, &*e.message),
        (
            ErrorCode::InvalidNumber,
            "in_flight must be at most 4294967295"
        )
    );
    drop_limiter(id);
    assert!(with(id, |s| Ok(s.limiter.len())).is_err());
}

#[test]
fn backoff_defaults_are_the_cores() {
    let p = backoff::policy_of(&[]).unwrap();
    assert_eq!(p, BackoffPolicy::default());
    let b = backoff::budget_flat(&[]).unwrap();
    let d = RetryBudget::default();
    assert_eq!(b[0], f64::from(d.capacity));
    assert_eq!(b[1], f64::from(d.tokens));
    // tokens follow capacity when left out.
    let b = backoff::budget_flat(&[40.0]).unwrap();
    assert_eq!((b[0], b[1]), (40.0, 40.0));
    let back = backoff::policy_of(&backoff::policy_flat(&BackoffPolicy::default())).unwrap();
    assert_eq!(back, BackoffPolicy::default());
}

#[test]
fn outcome_kinds_follow_the_cores_order() {
    let names = pacekeeper::vocab::BATCH_OUTCOMES;
    let nan = f64::NAN;
    let got = plan::outcomes_of(&[0.0, 1.0, nan, 1.0, 2.0, nan, 2.0, 3.0, 9.0]).unwrap();
    let tags: Vec<_> = got.iter().map(BatchOutcome::status).collect();
    assert_eq!(tags, names);
}

#[test]
fn lists_text_reads_back_as_the_reading() {
    let pairs = [
        (
            "RateLimit-Policy",
            "\"burst\";q=100;w=60;pk=:YWJj:, \"day\";q=9",
        ),
        ("RateLimit", "\"burst\";r=0;t=30"),
        ("Retry-After", "soon\"\\\u{1}"),
    ];
    let opts = pacekeeper::headers::ParseOptions::default();
    let r = pacekeeper::parse(429, &pairs, None, 0, &opts).unwrap_or_else(|_| Reading::empty(429));
    assert!(!r.policies.is_empty() && !r.states.is_empty() && !r.rejected.is_empty());
    let mut nums = [0.0; READING_SLOTS];
    assert_eq!(write_reading(&r, &mut nums).ok(), Some(true));
    let text = reading::lists_text(&r);
    let (lists, strs) = text.split_once('\0').unwrap_or_default();
    let mut flat = nums[..READING_SLOTS - 1].to_vec();
    flat.extend(lists.split(',').map(|v| v.parse::<f64>().unwrap_or(-1.0)));
    assert_eq!(reading::reading_of(&flat, strs).ok(), Some(r));
}
