//! What an encoder hands back (the bytes, what they hold, and what had to be cut),
//! and the parts both encoders share.

use std::collections::BTreeMap;

use super::metadata::ThreadMetadata;
use super::normalize::Summary;
use super::rejection::Rejection;
use crate::slice::ProfileSlice;

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

/// `thread_metadata` for the threads that have samples in the slice.
pub(super) fn thread_metadata(slice: &ProfileSlice) -> BTreeMap<String, ThreadMetadata> {
    let mut out = BTreeMap::new();
    for s in &slice.samples {
        out.entry(s.thread_id.to_string())
            .or_insert_with(|| ThreadMetadata {
                name: slice.thread_names.get(&s.thread_id).cloned(),
                priority: None,
            });
    }
    out
}

/// Single-line JSON of a payload model. `size_hint` pre-sizes the buffer: growing
/// it from empty costs about a third of the serialisation time of a 60 s chunk.
pub(super) fn to_json<T: serde::Serialize>(
    value: &T,
    size_hint: usize,
) -> Result<Vec<u8>, Rejection> {
    let mut out = Vec::with_capacity(size_hint);
    serde_json::to_writer(&mut out, value)
        .map_err(|e| Rejection::field(format!("cannot serialise payload: {e}")))?;
    Ok(out)
}

/// A generous guess of a payload's JSON size, for [`to_json`].
pub(super) fn json_size_hint(frames: usize, stack_entries: usize, samples: usize) -> usize {
    1024 + frames * 256 + stack_entries * 6 + samples * 80
}
