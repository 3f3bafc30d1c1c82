//! What a closed window becomes: a raw window (its samples, frames and stacks, for
//! local tools), an encoded Sentry payload, a rejection, or a failure. Typed, so that
//! each binding converts it to its own side's types; only the encoded payload is text.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::clock::ClockAnchor;
use crate::frame::Frame;
use crate::sentry::Reason;
use crate::slice::ProfileSlice;
use crate::store::{ThreadId, VmState};

/// The samples of every profiled thread within a window (`encoding: raw`).
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct WindowPayload {
    pub id: u32,
    /// False when busy threads did not deliver their samples in time.
    pub complete: bool,
    /// The thread the window was closed for.
    pub active_thread_id: ThreadId,
    pub start_ns: u64,
    pub end_ns: u64,
    /// Unix time of `start_ns`, milliseconds.
    pub start_unix_ms: f64,
    pub frames: Vec<Frame>,
    /// Leaf first, indices into `frames`. An empty stack is an idle sample.
    pub stacks: Vec<Vec<u32>>,
    pub samples: Vec<PayloadSample>,
    /// Thread names by thread id.
    pub thread_names: BTreeMap<ThreadId, String>,
}

/// One sample of a [`WindowPayload`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PayloadSample {
    /// Monotonic nanoseconds.
    pub ts_ns: u64,
    pub thread_id: ThreadId,
    /// Index into [`WindowPayload::stacks`].
    pub stack_id: u32,
    pub state: VmState,
}

impl WindowPayload {
    pub(crate) fn new(
        slice: ProfileSlice,
        id: u32,
        active_thread_id: ThreadId,
        complete: bool,
    ) -> Self {
        let anchor = slice.anchor.unwrap_or(ClockAnchor::new(0, 0));
        Self {
            id,
            complete,
            active_thread_id,
            start_ns: slice.start_ns,
            end_ns: slice.end_ns,
            start_unix_ms: anchor.to_unix_ns(slice.start_ns) as f64 / 1e6,
            samples: slice
                .samples
                .iter()
                .map(|s| PayloadSample {
                    ts_ns: s.ts_ns,
                    thread_id: s.thread_id,
                    stack_id: s.stack_id,
                    state: s.state,
                })
                .collect(),
            frames: slice.frames,
            stacks: slice.stacks,
            thread_names: slice.thread_names,
        }
    }

    /// Rough heap footprint, to bound the results waiting for an isolate by bytes.
    pub fn heap_bytes(&self) -> usize {
        self.frames.iter().map(Frame::heap_bytes).sum::<usize>()
            + self
                .stacks
                .iter()
                .map(|s| s.len() * 4 + std::mem::size_of::<Vec<u32>>())
                .sum::<usize>()
            + self.samples.len() * std::mem::size_of::<PayloadSample>()
            + self
                .thread_names
                .values()
                .map(|n| n.len() + 32)
                .sum::<usize>()
    }
}

/// Why Sentry's rules refuse a window's payload.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    pub reason: Reason,
    pub message: String,
}

/// Which [`Payload`] a delivery carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResultKind {
    /// The window's samples.
    Raw,
    /// An encoded Sentry payload, ready for an envelope item.
    Encoded,
    /// Sentry's rules refuse the payload.
    Rejected,
    /// The window could not be produced (unknown id, engine reset).
    Failed,
}

/// What a delivery carries.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    /// The window's samples (`Encoding::Raw`).
    Raw(Box<WindowPayload>),
    /// An encoded Sentry payload (JSON text), ready for an envelope item.
    Encoded(String),
    /// Sentry's rules refuse the payload.
    Rejected(Refusal),
    /// The window could not be produced (unknown id, engine reset, dropped): why.
    Failed(String),
}

impl Payload {
    pub fn kind(&self) -> ResultKind {
        use ResultKind as K;
        match self {
            Self::Raw(_) => K::Raw,
            Self::Encoded(_) => K::Encoded,
            Self::Rejected(_) => K::Rejected,
            Self::Failed(_) => K::Failed,
        }
    }

    /// Rough heap footprint.
    pub fn heap_bytes(&self) -> usize {
        match self {
            Self::Raw(p) => p.heap_bytes(),
            Self::Encoded(s) | Self::Failed(s) => s.len(),
            Self::Rejected(r) => r.message.len(),
        }
    }
}
