//! Errors for invalid input. Each carries a stable [`ErrorCode`]; "wait until T" is never an error.

use core::fmt;
use serde::{Deserialize, Serialize};

/// The stable machine-readable code of an [`Error`].
///
/// The string form ([`ErrorCode::as_str`]) is part of the public contract: every binding exposes it
/// as `.code` and the shared vectors compare it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    /// A rate limit is malformed: zero amount or period, zero capacity, or out of range.
    InvalidLimit,
    /// More limits than a limiter can hold ([`crate::bucket::MAX_LIMITS`]).
    TooManyLimits,
    /// A cost of zero or above the supported range.
    InvalidCost,
    /// A backoff policy field is out of range (multiplier below 1 or not finite, base above cap, ...).
    InvalidPolicy,
    /// A batching request is malformed (zero batch size, a record larger than the byte limit, ...).
    InvalidBatch,
    /// A key is empty or too long.
    InvalidKey,
    /// A status code outside 100..=599.
    InvalidStatus,
    /// A parse option is out of range.
    InvalidOption,
    /// A restored state or replan input does not fit the configuration it is used with.
    InvalidState,
    /// Bindings: an argument of the wrong type, or a required field missing (JS `TypeError`,
    /// Python `TypeError`).
    InvalidArgument,
    /// A number out of its range. Bindings: a number that is not a finite, non-negative
    /// integer within range (NaN, Infinity, −1, 2.5, above 2^53 − 1 for times); the core: a
    /// count beyond a documented limit (`schedule`'s `n` above
    /// [`crate::backoff::MAX_ATTEMPTS`]) (JS `RangeError`, Python `ValueError`).
    InvalidNumber,
    /// Pacer: no open ticket with this id (never issued, or already finished or cancelled).
    UnknownTicket,
    /// Pacer: the ticket is not in the state the call needs (finishing a waiter, resuming a
    /// request in flight).
    TicketState,
}

impl ErrorCode {
    /// The stable string form, e.g. `"invalid_limit"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::InvalidLimit => "invalid_limit",
            ErrorCode::TooManyLimits => "too_many_limits",
            ErrorCode::InvalidCost => "invalid_cost",
            ErrorCode::InvalidPolicy => "invalid_policy",
            ErrorCode::InvalidBatch => "invalid_batch",
            ErrorCode::InvalidKey => "invalid_key",
            ErrorCode::InvalidStatus => "invalid_status",
            ErrorCode::InvalidOption => "invalid_option",
            ErrorCode::InvalidState => "invalid_state",
            ErrorCode::InvalidArgument => "invalid_argument",
            ErrorCode::InvalidNumber => "invalid_number",
            ErrorCode::UnknownTicket => "unknown_ticket",
            ErrorCode::TicketState => "ticket_state",
        }
    }

    /// Every code, for bindings that export the list.
    pub const ALL: [ErrorCode; 13] = [
        ErrorCode::InvalidLimit,
        ErrorCode::TooManyLimits,
        ErrorCode::InvalidCost,
        ErrorCode::InvalidPolicy,
        ErrorCode::InvalidBatch,
        ErrorCode::InvalidKey,
        ErrorCode::InvalidStatus,
        ErrorCode::InvalidOption,
        ErrorCode::InvalidState,
        ErrorCode::InvalidArgument,
        ErrorCode::InvalidNumber,
        ErrorCode::UnknownTicket,
        ErrorCode::TicketState,
    ];
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An invalid-input error: a stable code and a human-readable message naming the field.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Error {
    /// The stable code.
    pub code: ErrorCode,
    /// What was wrong, naming the field.
    pub message: String,
}

impl Error {
    /// A new error with `code` and `message`.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Error {
            code,
            message: message.into(),
        }
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.code.as_str())?;
        f.write_str(": ")?;
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

/// Result alias for the crate.
pub type Result<T> = core::result::Result<T, Error>;
