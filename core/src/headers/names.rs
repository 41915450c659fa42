//! Header names the parser understands, matched case-insensitively.

/// A rate-limit window of a vendor family that sends several (requests and tokens, per second
/// and per day); the binding window is chosen in `acc.rs`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Win {
    /// OpenAI `x-ratelimit-*-requests`.
    OpenAiRequests,
    /// OpenAI `x-ratelimit-*-tokens`.
    OpenAiTokens,
    /// Anthropic `anthropic-ratelimit-requests-*`.
    AnthropicRequests,
    /// Anthropic `anthropic-ratelimit-tokens-*`.
    AnthropicTokens,
    /// Anthropic `anthropic-ratelimit-input-tokens-*`.
    AnthropicInput,
    /// Anthropic `anthropic-ratelimit-output-tokens-*`.
    AnthropicOutput,
    /// HubSpot `X-HubSpot-RateLimit-Max` / `-Remaining` / `-Interval-Milliseconds`.
    HubSpotInterval,
    /// HubSpot `X-HubSpot-RateLimit-Secondly` / `-Secondly-Remaining`.
    HubSpotSecondly,
    /// HubSpot `X-HubSpot-RateLimit-Daily` / `-Daily-Remaining`.
    HubSpotDaily,
    /// HighLevel `X-RateLimit-Limit-Daily` / `X-RateLimit-Daily-Remaining`.
    Daily,
}

impl Win {
    /// The window's length in ms when its name says it.
    pub(crate) fn window_ms(self) -> Option<u64> {
        match self {
            Win::HubSpotSecondly => Some(1000),
            Win::HubSpotDaily | Win::Daily => Some(86_400_000),
            _ => None,
        }
    }
}

/// What a window header carries.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Part {
    Limit,
    Remaining,
    Reset,
    /// The window's length in ms.
    IntervalMs,
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Name {
    RetryAfter,
    /// `retry-after-ms` / `x-ms-retry-after-ms` (Azure, OpenAI): milliseconds.
    RetryAfterMs,
    Date,
    RlPolicy,
    RateLimit,
    RlLimit,
    RlRemaining,
    RlReset,
    XLimit,
    XRemaining,
    XReset,
    XResetAfter,
    /// `X-RateLimit-Max` (HighLevel): the limit of the `X-RateLimit-Remaining` window.
    XMax,
    /// `X-RateLimit-Interval-Milliseconds` (HighLevel): that window's length.
    XIntervalMs,
    IninAllowed,
    IninCount,
    IninReset,
    /// A `used/limit` call-limit header (Shopify, Gorgias).
    CallLimit,
    /// Salesforce `Sforce-Limit-Info: api-usage=used/limit`.
    Sforce,
    Window(Win, Part),
}

/// Every understood name, lower-case (read at compile time only: the module holds [`PACKED`]
/// and [`KINDS`]).
const NAMES: [(&str, Name); COUNT] = [
    ("date", Name::Date),
    ("ratelimit", Name::RateLimit),
    ("retry-after", Name::RetryAfter),
    ("retry-after-ms", Name::RetryAfterMs),
    ("x-ms-retry-after-ms", Name::RetryAfterMs),
    ("ratelimit-limit", Name::RlLimit),
    ("ratelimit-reset", Name::RlReset),
    ("ratelimit-policy", Name::RlPolicy),
    ("ratelimit-remaining", Name::RlRemaining),
    ("x-ratelimit-limit", Name::XLimit),
    ("x-ratelimit-reset", Name::XReset),
    ("x-ratelimit-remaining", Name::XRemaining),
    ("x-ratelimit-reset-after", Name::XResetAfter),
    ("x-rate-limit-limit", Name::XLimit),
    ("x-rate-limit-reset", Name::XReset),
    ("x-rate-limit-remaining", Name::XRemaining),
    ("x-rate-limit-reset-after", Name::XResetAfter),
    ("x-ratelimit-max", Name::XMax),
    ("x-ratelimit-interval-milliseconds", Name::XIntervalMs),
    (
        "x-ratelimit-limit-daily",
        Name::Window(Win::Daily, Part::Limit),
    ),
    (
        "x-ratelimit-daily-remaining",
        Name::Window(Win::Daily, Part::Remaining),
    ),
    ("inin-ratelimit-count", Name::IninCount),
    ("inin-ratelimit-reset", Name::IninReset),
    ("inin-ratelimit-allowed", Name::IninAllowed),
    ("x-shopify-shop-api-call-limit", Name::CallLimit),
    ("x-gorgias-account-api-call-limit", Name::CallLimit),
    ("sforce-limit-info", Name::Sforce),
    (
        "x-ratelimit-limit-requests",
        Name::Window(Win::OpenAiRequests, Part::Limit),
    ),
    (
        "x-ratelimit-remaining-requests",
        Name::Window(Win::OpenAiRequests, Part::Remaining),
    ),
    (
        "x-ratelimit-reset-requests",
        Name::Window(Win::OpenAiRequests, Part::Reset),
    ),
    (
        "x-ratelimit-limit-tokens",
        Name::Window(Win::OpenAiTokens, Part::Limit),
    ),
    (
        "x-ratelimit-remaining-tokens",
        Name::Window(Win::OpenAiTokens, Part::Remaining),
    ),
    (
        "x-ratelimit-reset-tokens",
        Name::Window(Win::OpenAiTokens, Part::Reset),
    ),
    (
        "anthropic-ratelimit-requests-limit",
        Name::Window(Win::AnthropicRequests, Part::Limit),
    ),
    (
        "anthropic-ratelimit-requests-remaining",
        Name::Window(Win::AnthropicRequests, Part::Remaining),
    ),
    (
        "anthropic-ratelimit-requests-reset",
        Name::Window(Win::AnthropicRequests, Part::Reset),
    ),
    (
        "anthropic-ratelimit-tokens-limit",
        Name::Window(Win::AnthropicTokens, Part::Limit),
    ),
    (
        "anthropic-ratelimit-tokens-remaining",
        Name::Window(Win::AnthropicTokens, Part::Remaining),
    ),
    (
        "anthropic-ratelimit-tokens-reset",
        Name::Window(Win::AnthropicTokens, Part::Reset),
    ),
    (
        "anthropic-ratelimit-input-tokens-limit",
        Name::Window(Win::AnthropicInput, Part::Limit),
    ),
    (
        "anthropic-ratelimit-input-tokens-remaining",
        Name::Window(Win::AnthropicInput, Part::Remaining),
    ),
    (
        "anthropic-ratelimit-input-tokens-reset",
        Name::Window(Win::AnthropicInput, Part::Reset),
    ),
    (
        "anthropic-ratelimit-output-tokens-limit",
        Name::Window(Win::AnthropicOutput, Part::Limit),
    ),
    (
        "anthropic-ratelimit-output-tokens-remaining",
        Name::Window(Win::AnthropicOutput, Part::Remaining),
    ),
    (
        "anthropic-ratelimit-output-tokens-reset",
        Name::Window(Win::AnthropicOutput, Part::Reset),
    ),
    (
        "x-hubspot-ratelimit-max",
        Name::Window(Win::HubSpotInterval, Part::Limit),
    ),
    (
        "x-hubspot-ratelimit-remaining",
        Name::Window(Win::HubSpotInterval, Part::Remaining),
    ),
    (
        "x-hubspot-ratelimit-interval-milliseconds",
        Name::Window(Win::HubSpotInterval, Part::IntervalMs),
    ),
    (
        "x-hubspot-ratelimit-secondly",
        Name::Window(Win::HubSpotSecondly, Part::Limit),
    ),
    (
        "x-hubspot-ratelimit-secondly-remaining",
        Name::Window(Win::HubSpotSecondly, Part::Remaining),
    ),
    (
        "x-hubspot-ratelimit-daily",
        Name::Window(Win::HubSpotDaily, Part::Limit),
    ),
    (
        "x-hubspot-ratelimit-daily-remaining",
        Name::Window(Win::HubSpotDaily, Part::Remaining),
    ),
];

/// How many names are understood.
const COUNT: usize = 52;

/// The longest understood name, in bytes: longer names are rejected before any compare.
const LONGEST: usize = 43;

/// The bytes of [`PACKED`]: every name plus one length byte each.
const PACKED_LEN: usize = {
    let mut len = 0;
    let mut i = 0;
    while i < COUNT {
        len += 1 + NAMES[i].0.len();
        i += 1;
    }
    len
};

/// [`NAMES`]' names, each after a byte holding its length: one byte string rather than a table
/// of string slices (8 bytes of pointer and length per name in the wasm module).
const PACKED: [u8; PACKED_LEN] = {
    let mut out = [0u8; PACKED_LEN];
    let (mut i, mut at) = (0, 0);
    while i < COUNT {
        let name = NAMES[i].0.as_bytes();
        assert!(name.len() <= LONGEST);
        out[at] = name.len() as u8;
        at += 1;
        let mut j = 0;
        while j < name.len() {
            out[at] = name[j];
            at += 1;
            j += 1;
        }
        i += 1;
    }
    out
};

/// [`NAMES`]' kinds, in the order of [`PACKED`].
const KINDS: [Name; COUNT] = {
    let mut out = [Name::Date; COUNT];
    let mut i = 0;
    while i < COUNT {
        out[i] = NAMES[i].1;
        i += 1;
    }
    out
};

pub(crate) fn classify(name: &str) -> Option<Name> {
    let n = name.trim_ascii().as_bytes();
    // Every understood name starts with one of these letters and is 4..=43 bytes long: most
    // other headers are dismissed by these two checks alone.
    if n.len() < 4
        || n.len() > LONGEST
        || !matches!(
            n.first().map(u8::to_ascii_lowercase),
            Some(b'd' | b'r' | b'x' | b'i' | b'a' | b's')
        )
    {
        return None;
    }
    let mut rest: &[u8] = &PACKED;
    for kind in &KINDS {
        let (&len, after) = rest.split_first()?;
        let (k, after) = after.split_at_checked(usize::from(len))?;
        if k.len() == n.len() && eq_lower(n, k) {
            return Some(*kind);
        }
        rest = after;
    }
    None
}

/// `name` equals the lower-case `lower`, ignoring ASCII case (lengths are equal by the caller's
/// dispatch; the last byte, where equal-length names differ most, is compared first).
#[inline]
fn eq_lower(name: &[u8], lower: &[u8]) -> bool {
    // Most names arrive lower-case (HTTP/2 requires it; Node and most proxies lower-case them).
    name == lower
        || (name.last().map(u8::to_ascii_lowercase) == lower.last().copied()
            && name.eq_ignore_ascii_case(lower))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_name_classifies_in_any_case() {
        let longest = NAMES.iter().map(|(k, _)| k.len()).max();
        assert_eq!(longest, Some(LONGEST));
        for (k, v) in &NAMES {
            assert_eq!(classify(k), Some(*v), "{k}");
            assert_eq!(classify(&k.to_ascii_uppercase()), Some(*v), "{k}");
            assert_eq!(classify(&format!(" {k} ")), Some(*v), "{k}");
        }
        for k in [
            "",
            "x",
            "x-foo",
            "retry-afterx",
            "ratelimitx",
            "x-ratelimit-bucket",
        ] {
            assert_eq!(classify(k), None, "{k}");
        }
    }
}
