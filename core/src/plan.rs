//! Bulk batching plans: split records into batches under a record-count and byte limit, and give
//! each batch the earliest send time the limits allow.
//!
//! Every record appears in exactly one batch. [`replan`] keeps what succeeded and plans only the
//! rest, honouring the servers' retry times.

use crate::bucket::{Limit, Limiter, LimiterConfig, Verdict};
use crate::error::{Error, ErrorCode, Result};
use crate::msg::msg;
use crate::shape::map_only;
use serde::{Deserialize, Serialize};

/// The most batches one plan may hold.
pub const MAX_BATCHES: u64 = 1_000_000;
/// The most bytes one batch may hold (with `sizes`): 2^53 − 1, exact in every binding.
pub const MAX_BATCH_BYTES: u64 = crate::headers::MAX_COUNT;

const PLAN_KEY: &str = "plan";

/// What to plan. Read from a map only, never a positional sequence (crate::shape).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(remote = "Self", deny_unknown_fields)]
pub struct PlanRequest {
    /// How many records (ignored when `sizes` is given).
    #[serde(default)]
    pub records: u64,
    /// Each record's size in bytes, in order; when given, batches also respect `max_batch_bytes`.
    #[serde(default)]
    pub sizes: Option<Vec<u64>>,
    /// The most records in one batch (e.g. 500 or 1000).
    pub max_batch_records: u32,
    /// The most bytes in one batch (with `sizes`), counting `overhead_bytes`.
    #[serde(default)]
    pub max_batch_bytes: Option<u64>,
    /// Bytes each batch adds beyond its records (envelope, brackets).
    #[serde(default)]
    pub overhead_bytes: u64,
    /// The limits each request counts against (e.g. 300 per minute).
    #[serde(default)]
    pub limits: Vec<Limit>,
    /// Requests (cost) each batch takes (default [`crate::bucket::DEFAULT_COST`]).
    #[serde(default = "default_cost")]
    pub cost_per_batch: u32,
}

map_only!(PlanRequest);

fn default_cost() -> u32 {
    crate::bucket::DEFAULT_COST
}

/// One batch: records `start..end` (end exclusive), sent no earlier than `send_at`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Batch {
    /// The batch's number in the original plan (stable across replans).
    pub index: u64,
    /// The first record.
    pub start: u64,
    /// One past the last record.
    pub end: u64,
    /// Bytes, with overhead (0 when sizes were not given).
    pub bytes: u64,
    /// The earliest send time, epoch ms.
    pub send_at: u64,
}

/// An ordered plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    /// The batches in send order.
    pub batches: Vec<Batch>,
    /// When planning started, epoch ms.
    pub start: u64,
    /// The send time of the last batch, epoch ms (`start` when there is none).
    pub finish_at: u64,
    /// `finish_at − start`: the estimated duration, ms.
    pub duration_ms: u64,
}

/// What became of a batch, for [`replan`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum BatchOutcome {
    /// Accepted: never planned again.
    Done {
        /// The batch's index.
        index: u64,
    },
    /// Failed (or not sent): plan again.
    Failed {
        /// The batch's index.
        index: u64,
    },
    /// Refused with a wait: plan again, and nothing is sent before `retry_at`.
    Throttled {
        /// The batch's index.
        index: u64,
        /// Epoch ms before which the server accepts nothing.
        retry_at: u64,
    },
}

impl BatchOutcome {
    fn index(&self) -> u64 {
        match *self {
            BatchOutcome::Done { index }
            | BatchOutcome::Failed { index }
            | BatchOutcome::Throttled { index, .. } => index,
        }
    }
}

fn bad(m: String) -> Error {
    Error::new(ErrorCode::InvalidBatch, m)
}

/// The error for a plan over [`MAX_BATCHES`] batches, the same for `records` and `sizes`.
fn too_many_batches(records: u64, per: u64) -> Error {
    bad(msg!(
        records,
        " records in batches of at most ",
        per,
        " need more than the limit of ",
        MAX_BATCHES,
        " batches"
    ))
}

fn split(req: &PlanRequest) -> Result<Vec<Batch>> {
    if req.max_batch_records == 0 {
        return Err(bad("max_batch_records must be at least 1".into()));
    }
    let per = u64::from(req.max_batch_records);
    match &req.sizes {
        None => {
            let n = req.records.div_ceil(per);
            if n > MAX_BATCHES {
                return Err(too_many_batches(req.records, per));
            }
            Ok((0..n)
                .map(|i| Batch {
                    index: i,
                    start: i * per,
                    end: ((i + 1) * per).min(req.records),
                    bytes: 0,
                    send_at: 0,
                })
                .collect())
        }
        Some(sizes) => {
            let max_bytes = req.max_batch_bytes.unwrap_or(u64::MAX);
            let mut out: Vec<Batch> = Vec::new();
            let mut start = 0u64;
            let mut bytes = req.overhead_bytes;
            let mut count = 0u64;
            for (i, &sz) in sizes.iter().enumerate() {
                let i = i as u64;
                if req.overhead_bytes.saturating_add(sz) > max_bytes {
                    return Err(bad(msg!(
                        "record ",
                        i,
                        " (",
                        sz,
                        " bytes, with ",
                        req.overhead_bytes,
                        " overhead) exceeds max_batch_bytes ",
                        max_bytes
                    )));
                }
                if count == per || (count > 0 && bytes.saturating_add(sz) > max_bytes) {
                    if out.len() as u64 + 1 >= MAX_BATCHES {
                        // This batch and the one it starts would exceed the limit.
                        return Err(too_many_batches(sizes.len() as u64, per));
                    }
                    out.push(Batch {
                        index: out.len() as u64,
                        start,
                        end: i,
                        bytes,
                        send_at: 0,
                    });
                    start = i;
                    bytes = req.overhead_bytes;
                    count = 0;
                }
                bytes = bytes.saturating_add(sz);
                if bytes > MAX_BATCH_BYTES {
                    return Err(bad(msg!(
                        "batch ",
                        out.len(),
                        " would hold more than ",
                        MAX_BATCH_BYTES,
                        " bytes (2^53 - 1)"
                    )));
                }
                count += 1;
            }
            if count > 0 {
                out.push(Batch {
                    index: out.len() as u64,
                    start,
                    end: sizes.len() as u64,
                    bytes,
                    send_at: 0,
                });
            }
            Ok(out)
        }
    }
}

fn schedule(req: &PlanRequest, batches: &mut [Batch], start: u64, not_before: u64) -> Result<Plan> {
    let mut limiter = Limiter::new(LimiterConfig {
        limits: req.limits.clone(),
        ..Default::default()
    })?;
    if req.cost_per_batch == 0 {
        return Err(Error::new(
            ErrorCode::InvalidCost,
            "cost_per_batch must be at least 1",
        ));
    }
    if not_before > start {
        limiter.block_until(PLAN_KEY, not_before)?;
    }
    let mut finish = start;
    for b in batches.iter_mut() {
        b.send_at = match limiter.reserve(PLAN_KEY, req.cost_per_batch, start)? {
            Verdict::Allow { .. } => start,
            Verdict::Wait { until, .. } => until,
            Verdict::Never { cost, capacity } => {
                return Err(Error::new(
                    ErrorCode::InvalidCost,
                    msg!(
                        "cost_per_batch ",
                        cost,
                        " exceeds the smallest burst ",
                        capacity
                    ),
                ))
            }
        };
        finish = finish.max(b.send_at);
    }
    Ok(Plan {
        batches: batches.to_vec(),
        start,
        finish_at: finish,
        duration_ms: finish - start,
    })
}

/// Plans all records from `now`.
///
/// ```
/// use pacekeeper::bucket::Limit;
/// use pacekeeper::plan::{plan, PlanRequest};
/// // 10,000 contacts in batches of 500 under 300 requests per minute with a burst of 10.
/// let req = PlanRequest {
///     records: 10_000, sizes: None, max_batch_records: 500, max_batch_bytes: None,
///     overhead_bytes: 0, limits: vec![Limit::new(300, 60_000).with_burst(10)], cost_per_batch: 1,
/// };
/// let p = plan(&req, 0).unwrap();
/// assert_eq!(p.batches.len(), 20);
/// assert_eq!(p.batches[9].send_at, 0);
/// assert_eq!(p.batches[10].send_at, 200);
/// assert_eq!(p.duration_ms, 2_000);
/// ```
pub fn plan(req: &PlanRequest, now: u64) -> Result<Plan> {
    let mut batches = split(req)?;
    schedule(req, &mut batches, now, now)
}

/// Plans again after some batches ran: batches `Done` are dropped, the rest (failed, throttled,
/// or not reported) are planned from `now`, in their original order, none before the latest
/// `retry_at` of a throttled batch.
pub fn replan(
    req: &PlanRequest,
    previous: &Plan,
    outcomes: &[BatchOutcome],
    now: u64,
) -> Result<Plan> {
    // Every plan lists its batches in strictly increasing index order (replanning keeps the
    // order), so an outcome finds its batch by binary search; a previous plan out of order (or
    // with a repeated index) was not made by `plan`/`replan` and is refused.
    if previous
        .batches
        .windows(2)
        .any(|w| w[0].index >= w[1].index)
    {
        return Err(Error::new(
            ErrorCode::InvalidState,
            "the previous plan's batches are not in strictly increasing index order",
        ));
    }
    let mut done = vec![false; previous.batches.len()];
    let mut not_before = now;
    for o in outcomes {
        let Ok(pos) = previous
            .batches
            .binary_search_by_key(&o.index(), |b| b.index)
        else {
            return Err(Error::new(
                ErrorCode::InvalidState,
                msg!(
                    "outcome for batch ",
                    o.index(),
                    " which is not in the previous plan"
                ),
            ));
        };
        match *o {
            BatchOutcome::Done { .. } => {
                if let Some(d) = done.get_mut(pos) {
                    *d = true;
                }
            }
            BatchOutcome::Throttled { retry_at, .. } => not_before = not_before.max(retry_at),
            BatchOutcome::Failed { .. } => {}
        }
    }
    let mut rest: Vec<Batch> = previous
        .batches
        .iter()
        .zip(&done)
        .filter(|(_, &d)| !d)
        .map(|(b, _)| *b)
        .collect();
    schedule(req, &mut rest, now, not_before)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(records: u64) -> PlanRequest {
        PlanRequest {
            records,
            sizes: None,
            max_batch_records: 500,
            max_batch_bytes: None,
            overhead_bytes: 0,
            limits: vec![Limit::new(300, 60_000).with_burst(1)],
            cost_per_batch: 1,
        }
    }

    #[test]
    fn covers_and_paces() {
        let p = plan(&req(10_001), 1_000).unwrap_or_else(|e| unreachable!("{e}"));
        assert_eq!(p.batches.len(), 21);
        assert_eq!(
            p.batches.last().map(|b| (b.start, b.end)),
            Some((10_000, 10_001))
        );
        assert_eq!(p.batches[1].send_at, 1_200);
        assert_eq!(p.duration_ms, 4_000);
    }

    #[test]
    fn replan_keeps_done() {
        let r = req(2_000);
        let p = plan(&r, 0).unwrap_or_else(|e| unreachable!("{e}"));
        let outcomes = [
            BatchOutcome::Done { index: 0 },
            BatchOutcome::Throttled {
                index: 1,
                retry_at: 30_000,
            },
            BatchOutcome::Done { index: 2 },
        ];
        let p2 = replan(&r, &p, &outcomes, 1_000).unwrap_or_else(|e| unreachable!("{e}"));
        let idx: Vec<u64> = p2.batches.iter().map(|b| b.index).collect();
        assert_eq!(idx, vec![1, 3]);
        assert_eq!(p2.batches[0].send_at, 30_000);
        assert_eq!(p2.batches[1].send_at, 30_200);
    }

    #[test]
    fn replan_refuses_a_plan_out_of_order() {
        let r = req(2_000);
        let mut p = plan(&r, 0).unwrap_or_else(|e| unreachable!("{e}"));
        p.batches.swap(0, 1);
        let e = replan(&r, &p, &[], 0).err().map(|e| e.code);
        assert_eq!(e, Some(ErrorCode::InvalidState));
        p.batches.swap(0, 1);
        p.batches[1].index = 0;
        let e = replan(&r, &p, &[], 0).err().map(|e| e.code);
        assert_eq!(e, Some(ErrorCode::InvalidState));
    }

    #[test]
    fn bytes() {
        let r = PlanRequest {
            sizes: Some(vec![40, 40, 40, 10, 90, 5]),
            max_batch_bytes: Some(100),
            overhead_bytes: 2,
            ..req(0)
        };
        let p = plan(&r, 0).unwrap_or_else(|e| unreachable!("{e}"));
        let ranges: Vec<(u64, u64, u64)> = p
            .batches
            .iter()
            .map(|b| (b.start, b.end, b.bytes))
            .collect();
        assert_eq!(ranges, vec![(0, 2, 82), (2, 4, 52), (4, 6, 97)]);
        let too_big = PlanRequest {
            sizes: Some(vec![99]),
            ..r
        };
        assert_eq!(
            plan(&too_big, 0).map_err(|e| e.code),
            Err(ErrorCode::InvalidBatch)
        );
    }

    #[test]
    fn batch_bytes_stay_exact() {
        let r = PlanRequest {
            sizes: Some(vec![1 << 52, 1 << 52]),
            ..req(0)
        };
        assert_eq!(
            plan(&r, 0).map_err(|e| e.code),
            Err(ErrorCode::InvalidBatch)
        );
        let r = PlanRequest {
            sizes: Some(vec![(1 << 52) - 1, 1 << 52]),
            ..req(0)
        };
        assert_eq!(plan(&r, 0).map(|p| p.batches[0].bytes), Ok(MAX_BATCH_BYTES));
    }

    #[test]
    fn sizes_obey_the_batch_limit_like_records() {
        let one_each = |n: usize| PlanRequest {
            sizes: Some(vec![1; n]),
            max_batch_records: 1,
            ..req(0)
        };
        let at_limit = MAX_BATCHES as usize;
        assert_eq!(
            split(&one_each(at_limit)).map(|b| b.len()),
            Ok(at_limit),
            "exactly the limit is allowed"
        );
        for n in [at_limit + 1, 2 * at_limit] {
            let e = plan(&one_each(n), 0).map_err(|e| e.code);
            assert_eq!(e, Err(ErrorCode::InvalidBatch), "{n} sizes");
            let records = PlanRequest {
                max_batch_records: 1,
                ..req(n as u64)
            };
            let e = plan(&records, 0).map_err(|e| e.code);
            assert_eq!(e, Err(ErrorCode::InvalidBatch), "{n} records");
        }
    }
}
