//! Batching plans (`pacekeeper::plan`/`replan`) across a boundary.
//!
//! - **Request**: flat, its scalar slots named by [`REQUEST_SLOTS`] (the vocabulary
//!   `planRequest`; NaN: the core's default), then the sizes (a count, NaN for none, then the
//!   sizes), then the limits (`count, (amount, periodMs, burst)...`).
//! - **Plan**: `start, finishAt, durationMs, count`, then per batch [`BATCH_SLOTS`].
//! - **Outcomes**: per outcome its index in `batchOutcomes`, the batch index and `retryAt`
//!   (read for `throttled` only).

use crate::flat::{idx, num, Rd, MAX_ITEMS};
use crate::{err, ErrorCode, Result};
use pacekeeper::{Batch, BatchOutcome, Plan, PlanRequest};

/// The named scalar slots of a flat plan request, in order.
pub const REQUEST_SLOTS: &str = "records,maxBatchRecords,maxBatchBytes,overheadBytes,costPerBatch";

/// The numbers of one batch, in order.
pub const BATCH_SLOTS: &str = "index,start,end,bytes,sendAt";

/// A [`PlanRequest`] from its flat form.
pub fn request_of(flat: &[f64]) -> Result<PlanRequest> {
    let mut n = Rd::new(flat);
    let records = n.opt("records").unwrap_or(0);
    let max_batch_records = n.u32_sat("maxBatchRecords");
    n.check()?;
    let max_batch_records = max_batch_records
        .ok_or_else(|| err(ErrorCode::InvalidArgument, "maxBatchRecords is missing"))?;
    let max_batch_bytes = n.opt("maxBatchBytes");
    let overhead_bytes = n.opt("overheadBytes").unwrap_or(0);
    let cost_per_batch = n
        .u32_sat("costPerBatch")
        .unwrap_or(pacekeeper::bucket::DEFAULT_COST);
    let sizes = n.opt("sizes").map(|count| {
        let count = usize::try_from(count).map_or(MAX_ITEMS, |c| c.min(MAX_ITEMS));
        // At most one per number given (a longer list reads past the end: `invalid_number`).
        (0..count.min(flat.len()))
            .map(|_| n.uint("sizes"))
            .collect()
    });
    let limits = crate::flat::limits(&mut n, "limits");
    n.end("plan request")?;
    Ok(PlanRequest {
        records,
        sizes,
        max_batch_records,
        max_batch_bytes,
        overhead_bytes,
        limits,
        cost_per_batch,
    })
}

/// A plan, flat.
pub fn plan_flat(p: &Plan) -> Vec<f64> {
    let mut v = vec![num(p.start), num(p.finish_at), num(p.duration_ms)];
    v.push(idx(p.batches.len()));
    for b in &p.batches {
        v.extend([b.index, b.start, b.end, b.bytes, b.send_at].map(num));
    }
    v
}

fn plan_of(flat: &[f64]) -> Result<Plan> {
    let mut n = Rd::new(flat);
    let (start, finish_at, duration_ms) =
        (n.uint("start"), n.uint("finishAt"), n.uint("durationMs"));
    let count = n.len("batches", MAX_ITEMS).min(flat.len());
    let batches = (0..count)
        .map(|_| Batch {
            index: n.uint("index"),
            start: n.uint("start"),
            end: n.uint("end"),
            bytes: n.uint("bytes"),
            send_at: n.uint("sendAt"),
        })
        .collect();
    n.end("previous plan")?;
    Ok(Plan {
        batches,
        start,
        finish_at,
        duration_ms,
    })
}

/// Batch outcomes from their flat form (see the module docs).
pub fn outcomes_of(flat: &[f64]) -> Result<Vec<BatchOutcome>> {
    let mut n = Rd::new(flat);
    let mut list = Vec::new();
    while n.more() {
        let kind = n.uint("status");
        let index = n.uint("index");
        let retry_at = n.opt("retryAt");
        n.check()?;
        let kind = usize::try_from(kind).unwrap_or(usize::MAX);
        list.push(BatchOutcome::from_status(kind, index, retry_at)?);
    }
    Ok(list)
}

/// `pacekeeper::plan` with flat values.
pub fn plan(request: &[f64], now: f64) -> Result<Vec<f64>> {
    let r = request_of(request)?;
    Ok(plan_flat(&pacekeeper::plan(&r, crate::uint(now, "now")?)?))
}

/// `pacekeeper::replan` with flat values.
pub fn replan(request: &[f64], previous: &[f64], outcomes: &[f64], now: f64) -> Result<Vec<f64>> {
    let p = pacekeeper::replan(
        &request_of(request)?,
        &plan_of(previous)?,
        &outcomes_of(outcomes)?,
        crate::uint(now, "now")?,
    )?;
    Ok(plan_flat(&p))
}
