//! The core's vocabulary: every public enum a binding names or numbers gets `ALL` (its order,
//! which is also the index a binding may send instead of the name), `as_str` (the name, the same
//! as the serde name) and [`FromStr`] (the inverse, an `invalid_option` error otherwise).
//!
//! Bindings never restate these lists: they export `ALL` (as names) and index into it.

use crate::backoff::{Decision, GiveUpReason, Jitter, RetryReason};
use crate::bucket::{Limit, Verdict};
use crate::error::{Error, ErrorCode};
use crate::headers::{RejectReason, ResetMode, Source, WaitSource};
use crate::pacer::{After, NeverReason, Preset, Step};
use crate::plan::BatchOutcome;
use crate::shared::{StoreErrorKind, StorePolicy};
use core::str::FromStr;
use serde::Deserialize;

macro_rules! vocabulary {
    ($($ty:ident { $($variant:ident => $name:literal,)+ })+) => {$(
        impl $ty {
            /// Every value, in the core's order (the order bindings index by).
            pub const ALL: &'static [$ty] = &[$($ty::$variant,)+];

            /// The names of [`Self::ALL`], in order.
            pub const NAMES: &'static [&'static str] = &[$($name,)+];

            /// The stable string form (the serde name).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $($ty::$variant => $name,)+
                }
            }

            /// The position of `self` in [`Self::ALL`].
            pub fn index(self) -> usize {
                Self::ALL.iter().position(|v| *v == self).unwrap_or(0)
            }

            /// The value at `index` in [`Self::ALL`].
            pub fn from_index(index: usize) -> Option<Self> {
                Self::ALL.get(index).copied()
            }
        }

        impl FromStr for $ty {
            type Err = Error;

            fn from_str(s: &str) -> Result<Self, Error> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    Error::new(
                        ErrorCode::InvalidOption,
                        format!(
                            "{} must be one of {}, got {s:?}",
                            stringify!($ty),
                            names.join(", ")
                        ),
                    )
                })
            }
        }
    )+};
}

vocabulary! {
    ResetMode {
        Auto => "auto",
        EpochSeconds => "epoch_seconds",
        EpochMillis => "epoch_millis",
        DeltaSeconds => "delta_seconds",
        DeltaMillis => "delta_millis",
    }
    Source {
        Ietf => "ietf",
        IetfDraft07 => "ietf_draft07",
        RatelimitTrio => "ratelimit_trio",
        XRatelimit => "x_ratelimit",
        Genesys => "genesys",
        Shopify => "shopify",
    }
    WaitSource {
        RetryAfter => "retry_after",
        Reset => "reset",
        Body => "body",
    }
    RejectReason {
        NotANumber => "not_a_number",
        Negative => "negative",
        TooLarge => "too_large",
        BadDate => "bad_date",
        BadStructuredField => "bad_structured_field",
        BadMember => "bad_member",
        Inconsistent => "inconsistent",
    }
    Jitter {
        None => "none",
        Full => "full",
        Equal => "equal",
        Decorrelated => "decorrelated",
    }
    RetryReason {
        Backoff => "backoff",
        ServerHint => "server_hint",
        Escalated => "escalated",
    }
    GiveUpReason {
        NotRetryable => "not_retryable",
        MaxAttempts => "max_attempts",
        Deadline => "deadline",
        RetryBudget => "retry_budget",
        WaitTooLong => "wait_too_long",
    }
    NeverReason {
        CostAboveBurst => "cost_above_burst",
        StoreDenied => "store_denied",
    }
    Preset {
        Genesys => "genesys",
    }
    StorePolicy {
        Degrade => "degrade",
        Deny => "deny",
        Allow => "allow",
    }
    StoreErrorKind {
        Unavailable => "store_unavailable",
        Timeout => "store_timeout",
        Server => "store_server",
        BadReply => "store_bad_reply",
    }
}

/// The tags of an enum whose variants carry data (so it has no `ALL`): the names in order as a
/// constant array, and from one list of variants, the position of a value's tag (`$index`, the
/// number a binding sends) and the tag itself (`$name`, the serde tag).
macro_rules! tags {
    ($($ty:ident, $names:ident, $index:ident, $name:ident, $what:literal {
        $($variant:ident => $tag:literal,)+
    })+) => {$(
        #[doc = concat!("The `", $what, "` names of [`", stringify!($ty), "`], in its order (the index a binding sends).")]
        pub const $names: [&str; [$($tag,)+].len()] = [$($tag,)+];

        impl $ty {
            #[doc = concat!("The position of this value's `", $what, "` in [`", stringify!($names), "`].")]
            pub const fn $index(&self) -> usize {
                let mut i = 0;
                $(
                    if matches!(self, $ty::$variant { .. }) {
                        return i;
                    }
                    i += 1;
                )+
                i
            }

            #[doc = concat!("The `", $what, "` name (the serde tag).")]
            pub const fn $name(&self) -> &'static str {
                $names[self.$index()]
            }
        }
    )+};
}

tags! {
    Step, STEPS, index, action, "action" {
        Go => "go",
        Wait => "wait",
        Never => "never",
        Consult => "consult",
    }
    After, AFTERS, index, action, "action" {
        Done => "done",
        Retry => "retry",
        GiveUp => "give_up",
    }
    Verdict, VERDICTS, index, decision, "decision" {
        Allow => "allow",
        Wait => "wait",
        Never => "never",
    }
    Decision, DECISIONS, index, decision, "decision" {
        Done => "done",
        Retry => "retry",
        GiveUp => "give_up",
    }
    BatchOutcome, BATCH_OUTCOMES, status_index, status, "status" {
        Done => "done",
        Failed => "failed",
        Throttled => "throttled",
    }
}

impl BatchOutcome {
    /// The outcome whose status is at `status` in [`BATCH_OUTCOMES`], for batch `index`;
    /// `retry_at` is read for `throttled` only, where it is required.
    pub fn from_status(status: usize, index: u64, retry_at: Option<u64>) -> Result<Self, Error> {
        let bad = |m: &str| Error::new(ErrorCode::InvalidArgument, m);
        match status {
            0 => Ok(BatchOutcome::Done { index }),
            1 => Ok(BatchOutcome::Failed { index }),
            2 => Ok(BatchOutcome::Throttled {
                index,
                retry_at: retry_at.ok_or_else(|| bad("retryAt is missing"))?,
            }),
            _ => Err(bad("unknown batch outcome")),
        }
    }
}

impl FromStr for ErrorCode {
    type Err = Error;

    fn from_str(s: &str) -> Result<Self, Error> {
        ErrorCode::ALL
            .iter()
            .copied()
            .find(|c| c.as_str() == s)
            .ok_or_else(|| {
                Error::new(
                    ErrorCode::InvalidOption,
                    format!("unknown error code {s:?}"),
                )
            })
    }
}

/// The names of [`ErrorCode::ALL`], in order.
pub const ERROR_CODES: [&str; ErrorCode::ALL.len()] = {
    let mut names = [""; ErrorCode::ALL.len()];
    let mut i = 0;
    while i < names.len() {
        names[i] = ErrorCode::ALL[i].as_str();
        i += 1;
    }
    names
};

/// Every vocabulary a binding exports, by the name it exports it under.
/// (`storePolicies` and `storeErrors` only with the `store` feature: the pacer's store option.)
#[cfg(feature = "store")]
pub const VOCABULARIES: &[(&str, &[&str])] = &ALL_VOCABULARIES;
/// Every vocabulary a binding exports, by the name it exports it under.
#[cfg(not(feature = "store"))]
pub const VOCABULARIES: &[(&str, &[&str])] = &BASE_VOCABULARIES;

#[cfg(feature = "store")]
const ALL_VOCABULARIES: [(&str, &[&str]); BASE_VOCABULARIES.len() + 2] = {
    let mut all: [(&str, &[&str]); BASE_VOCABULARIES.len() + 2] =
        [("", &[]); BASE_VOCABULARIES.len() + 2];
    let mut i = 0;
    while i < BASE_VOCABULARIES.len() {
        all[i] = BASE_VOCABULARIES[i];
        i += 1;
    }
    all[i] = ("storePolicies", StorePolicy::NAMES);
    all[i + 1] = ("storeErrors", StoreErrorKind::NAMES);
    all
};

const BASE_VOCABULARIES: [(&str, &[&str]); 15] = [
    ("errorCodes", &ERROR_CODES),
    ("resetModes", ResetMode::NAMES),
    ("sources", Source::NAMES),
    ("waitSources", WaitSource::NAMES),
    ("rejectReasons", RejectReason::NAMES),
    ("jitters", Jitter::NAMES),
    ("retryReasons", RetryReason::NAMES),
    ("giveUpReasons", GiveUpReason::NAMES),
    ("batchOutcomes", &BATCH_OUTCOMES),
    ("decisions", &DECISIONS),
    ("verdicts", &VERDICTS),
    ("neverReasons", NeverReason::NAMES),
    ("presets", Preset::NAMES),
    ("steps", &STEPS),
    ("afters", &AFTERS),
];

/// [`Limit`] as read: `burst` may be left out and then equals `amount` (the core's default, so
/// no binding restates it).
#[derive(Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub(crate) struct LimitIn {
    amount: u32,
    period_ms: u64,
    #[serde(default)]
    burst: Option<u32>,
}

// A map, never a positional sequence (crate::shape).
crate::shape::map_only!(de LimitIn);

impl From<LimitIn> for Limit {
    fn from(l: LimitIn) -> Limit {
        Limit {
            amount: l.amount,
            period_ms: l.period_ms,
            burst: l.burst.unwrap_or(l.amount),
        }
    }
}

/// A [`crate::backoff::RetryBudget`] as read: every field defaults, and `tokens` defaults to
/// `capacity` (a budget starts full), in the core's own deserialisation.
#[derive(Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub(crate) struct RetryBudgetIn {
    #[serde(default)]
    capacity: Option<u32>,
    #[serde(default)]
    tokens: Option<u32>,
    #[serde(default)]
    retry_cost: Option<u32>,
    #[serde(default)]
    network_cost: Option<u32>,
    #[serde(default)]
    success_refund: Option<u32>,
}

// A map, never a positional sequence (crate::shape).
crate::shape::map_only!(de RetryBudgetIn);

impl From<RetryBudgetIn> for crate::backoff::RetryBudget {
    fn from(b: RetryBudgetIn) -> Self {
        let d = crate::backoff::RetryBudget::default();
        let capacity = b.capacity.unwrap_or(d.capacity);
        crate::backoff::RetryBudget {
            capacity,
            tokens: b.tokens.unwrap_or(capacity),
            retry_cost: b.retry_cost.unwrap_or(d.retry_cost),
            network_cost: b.network_cost.unwrap_or(d.network_cost),
            success_refund: b.success_refund.unwrap_or(d.success_refund),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_budget_tokens_default_to_capacity() {
        let b: crate::backoff::RetryBudget =
            serde_json::from_str(r#"{"capacity": 20}"#).unwrap_or_default();
        assert_eq!((b.capacity, b.tokens), (20, 20));
        let b: crate::backoff::RetryBudget =
            serde_json::from_str(r#"{"capacity": 20, "tokens": 3}"#).unwrap_or_default();
        assert_eq!((b.capacity, b.tokens, b.retry_cost), (20, 3, 5));
        assert!(serde_json::from_str::<crate::backoff::RetryBudget>(r#"{"nope": 1}"#).is_err());
    }

    #[test]
    fn names_match_serde_and_parse_back() {
        fn check<T>(all: &[T], name: fn(T) -> &'static str)
        where
            T: Copy + serde::Serialize + FromStr<Err = Error> + PartialEq + core::fmt::Debug,
        {
            for &v in all {
                let json = serde_json::to_string(&v).unwrap_or_default();
                assert_eq!(json, format!("\"{}\"", name(v)));
                assert_eq!(name(v).parse::<T>().ok(), Some(v));
            }
            assert!("nope".parse::<T>().is_err());
        }
        check(ResetMode::ALL, ResetMode::as_str);
        check(Source::ALL, Source::as_str);
        check(WaitSource::ALL, WaitSource::as_str);
        check(RejectReason::ALL, RejectReason::as_str);
        check(Jitter::ALL, Jitter::as_str);
        check(RetryReason::ALL, RetryReason::as_str);
        check(GiveUpReason::ALL, GiveUpReason::as_str);
        check(&ErrorCode::ALL, ErrorCode::as_str);
        check(NeverReason::ALL, NeverReason::as_str);
        check(Preset::ALL, Preset::as_str);
        check(StorePolicy::ALL, StorePolicy::as_str);
        check(StoreErrorKind::ALL, StoreErrorKind::as_str);
        assert_eq!(
            Source::from_index(Source::Genesys.index()),
            Some(Source::Genesys)
        );
    }

    /// Each value serialises with `name(v)` under `field`, and sits at `index(v)` in its list.
    fn tags_match<T: serde::Serialize>(
        values: &[T],
        field: &str,
        name: impl Fn(&T) -> &'static str,
        index: impl Fn(&T) -> usize,
    ) {
        for (i, v) in values.iter().enumerate() {
            let j = serde_json::to_value(v).unwrap_or_default();
            assert_eq!(j[field], name(v));
            assert_eq!(index(v), i);
        }
    }

    #[test]
    fn step_and_after_actions_are_their_serde_tags() {
        use crate::backoff::GiveUpReason;
        let steps = [
            Step::Go { ticket: 1 },
            Step::Wait {
                ticket: 1,
                until: 2,
            },
            Step::Never {
                reason: NeverReason::CostAboveBurst,
                capacity: 1,
            },
            Step::Consult { ticket: 1 },
        ];
        tags_match(&steps, "action", Step::action, Step::index);
        let afters = [
            After::Done,
            After::Retry {
                at: 1,
                attempt: 2,
                reason: RetryReason::Backoff,
            },
            After::GiveUp {
                reason: GiveUpReason::MaxAttempts,
                attempts: 3,
            },
        ];
        tags_match(&afters, "action", After::action, After::index);
    }

    #[test]
    fn verdict_decision_and_outcome_names_are_their_serde_tags() {
        let verdicts = [
            Verdict::Allow { remaining: None },
            Verdict::Wait {
                until: 2,
                wait_ms: 1,
            },
            Verdict::Never {
                cost: 9,
                capacity: 1,
            },
        ];
        tags_match(&verdicts, "decision", Verdict::decision, Verdict::index);
        let decisions = [
            Decision::Done,
            Decision::Retry {
                at: 1,
                delay_ms: 1,
                attempt: 2,
                reason: RetryReason::Backoff,
            },
            Decision::GiveUp {
                reason: GiveUpReason::Deadline,
                attempts: 3,
            },
        ];
        tags_match(&decisions, "decision", Decision::decision, Decision::index);
        for i in 0..BATCH_OUTCOMES.len() {
            let o = BatchOutcome::from_status(i, 4, Some(5));
            let o = o.unwrap_or(BatchOutcome::Done { index: 0 });
            let j = serde_json::to_value(o).unwrap_or_default();
            assert_eq!(
                (j["status"].clone(), j["index"].clone()),
                (o.status().into(), 4.into())
            );
            assert_eq!(o.status_index(), i);
        }
        let e = BatchOutcome::from_status(3, 0, None).err().map(|e| e.code);
        assert_eq!(e, Some(ErrorCode::InvalidArgument));
        let e = BatchOutcome::from_status(2, 0, None).err().map(|e| e.code);
        assert_eq!(e, Some(ErrorCode::InvalidArgument));
    }

    #[test]
    fn pacer_config_is_read_from_a_map_only() {
        use crate::pacer::PacerConfig;
        let e = serde_json::from_str::<PacerConfig>(r#"[{"amount": 1, "period_ms": 1000}]"#).err();
        assert!(e.is_some_and(|e| e.to_string().contains("expected a map")));
        let c = serde_json::from_str::<PacerConfig>("{}").ok();
        assert_eq!(c, Some(PacerConfig::default()));
        let back = c
            .and_then(|c| serde_json::to_string(&c).ok())
            .and_then(|t| serde_json::from_str::<PacerConfig>(&t).ok());
        assert_eq!(back, Some(PacerConfig::default()));
    }

    #[test]
    fn plan_request_is_a_map_with_the_default_cost() {
        use crate::plan::PlanRequest;
        let r = serde_json::from_str::<PlanRequest>(r#"{"max_batch_records": 5}"#);
        assert_eq!(
            r.map(|r| r.cost_per_batch).ok(),
            Some(crate::bucket::DEFAULT_COST)
        );
        let e = serde_json::from_str::<PlanRequest>("[10, null, 5]").err();
        assert!(e.is_some_and(|e| e.to_string().contains("expected a map")));
        let v = serde_json::json!({"records": 3, "max_batch_records": 2});
        let back = serde_json::from_value::<PlanRequest>(v.clone()).ok();
        let again = back.and_then(|r| serde_json::to_value(r).ok());
        assert_eq!(
            again.map(|a| a["records"].clone()),
            Some(v["records"].clone())
        );
    }

    #[test]
    fn statuses_are_checked_by_one_rule() {
        use crate::headers::{check_status, STATUSES};
        assert_eq!(check_status(100).ok(), Some(*STATUSES.start()));
        assert_eq!(check_status(599).ok(), Some(*STATUSES.end()));
        for bad in [99, 600, 70_000, -5, i64::MAX] {
            let e = check_status(bad).err();
            assert_eq!(e.as_ref().map(|e| e.code), Some(ErrorCode::InvalidStatus));
            let m = e.map(|e| e.message).unwrap_or_default();
            assert!(m.ends_with(&format!("got {bad}")), "{m}");
        }
    }

    #[test]
    fn burst_defaults_to_amount() {
        let l: Limit =
            serde_json::from_str(r#"{"amount":7,"period_ms":1000}"#).unwrap_or(Limit::new(0, 0));
        assert_eq!(l, Limit::new(7, 1000));
        let l: Limit = serde_json::from_str(r#"{"amount":7,"period_ms":1000,"burst":9}"#)
            .unwrap_or(Limit::new(0, 0));
        assert_eq!(l.burst, 9);
        assert!(serde_json::from_str::<Limit>(r#"{"amount":7,"period_ms":1,"x":1}"#).is_err());
    }
}
