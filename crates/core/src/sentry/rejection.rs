//! Why a payload is refused: a stable kind to count by, and a message for people.

use std::fmt;

/// The kind of a rejection. Its [`Reason::as_str`] is stable, so it can key counters
/// (client reports, profiler stats) across releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Reason {
    /// The bytes are not strict JSON (includes `NaN`/`Infinity` literals).
    InvalidJson,
    /// A field is missing, has the wrong JSON type, or an unusable value.
    InvalidField,
    /// `version` is not the one this item type needs ("platform not supported" in Relay).
    PlatformNotSupported,
    /// `platform` is not `node`.
    WrongPlatform,
    /// A `profile` item names no transaction.
    NoTransaction,
    /// The transaction metadata of a `profile` is incomplete or inconsistent.
    InvalidTransactionMetadata,
    /// Fewer than two usable samples on every thread.
    NotEnoughSamples,
    /// A sample refers to a stack that does not exist.
    MalformedSamples,
    /// A stack refers to a frame that does not exist.
    MalformedStacks,
    /// Samples are not in time order.
    NotSorted,
    /// `profile_chunk` timestamps are not Unix seconds (a unit bug).
    NotUnixSeconds,
    /// The profile spans more than Relay allows (30 s for v1, 66 s for v2).
    DurationTooLong,
    /// The slice has no clock anchor, so wall-clock times cannot be computed.
    NoClockAnchor,
    /// The envelope's line framing is broken (CRLF, bad length, missing type, ...).
    EnvelopeFraming,
    /// Gzip bytes where no compression was declared.
    UndeclaredGzip,
    /// An item payload is compressed; compression belongs to the whole request.
    CompressedItem,
    /// More than one `profile` item in an envelope.
    TooManyProfiles,
    /// A `profile` item with no `transaction` item beside it.
    ProfileWithoutTransaction,
    /// A `profile_chunk` item header lacks `platform` or disagrees with the payload.
    ItemHeaderPlatform,
    /// Ids that must agree between items of one envelope do not.
    EnvelopeMismatch,
}

impl Reason {
    /// Stable snake_case name, for counting.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidJson => "invalid_json",
            Self::InvalidField => "invalid_field",
            Self::PlatformNotSupported => "platform_not_supported",
            Self::WrongPlatform => "wrong_platform",
            Self::NoTransaction => "no_transaction",
            Self::InvalidTransactionMetadata => "invalid_transaction_metadata",
            Self::NotEnoughSamples => "not_enough_samples",
            Self::MalformedSamples => "malformed_samples",
            Self::MalformedStacks => "malformed_stacks",
            Self::NotSorted => "not_sorted",
            Self::NotUnixSeconds => "not_unix_seconds",
            Self::DurationTooLong => "duration_too_long",
            Self::NoClockAnchor => "no_clock_anchor",
            Self::EnvelopeFraming => "envelope_framing",
            Self::UndeclaredGzip => "undeclared_gzip",
            Self::CompressedItem => "compressed_item",
            Self::TooManyProfiles => "too_many_profiles",
            Self::ProfileWithoutTransaction => "profile_without_transaction",
            Self::ItemHeaderPlatform => "item_header_platform",
            Self::EnvelopeMismatch => "envelope_mismatch",
        }
    }
}

impl fmt::Display for Reason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A payload refused by a validator or an encoder.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Rejection {
    reason: Reason,
    message: String,
}

impl Rejection {
    pub fn new(reason: Reason, message: impl Into<String>) -> Self {
        Self {
            reason,
            message: message.into(),
        }
    }

    /// Shorthand for the most common kind: a field of the wrong type or value.
    pub(crate) fn field(message: impl Into<String>) -> Self {
        Self::new(Reason::InvalidField, message)
    }

    pub fn reason(&self) -> Reason {
        self.reason
    }

    pub fn message(&self) -> &str {
        &self.message
    }

    /// Prefixes the message with where it happened (e.g. which envelope item).
    #[cfg(feature = "validator")]
    pub(crate) fn context(mut self, prefix: &str) -> Self {
        self.message = format!("{prefix}: {}", self.message);
        self
    }
}

impl fmt::Display for Rejection {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.reason)
    }
}

impl std::error::Error for Rejection {}
