//! What an encoder hands back: the bytes, what they hold, and what had to be cut.

use super::normalize::Summary;

/// Losses an encoder counted while building a payload.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EncodeStats {
    /// Stacks cut down to the configured maximum depth.
    pub truncated_stacks: usize,
    /// Measurement values left out because they were NaN or infinite (JSON has no
    /// such numbers, and `null` would fail the whole item).
    pub dropped_non_finite: usize,
}

/// A payload that passed validation, ready to go into an envelope item.
#[derive(Clone, Debug, PartialEq)]
pub struct Encoded {
    /// Single-line JSON.
    pub bytes: Vec<u8>,
    pub summary: Summary,
    pub stats: EncodeStats,
}
