//! ferroprof-core: the pure-Rust heart of ferroprof.
//!
//! It knows nothing about Node or V8. It holds the profile model (frames, stacks,
//! samples, threads), interns frames and stacks so that equal stacks are stored once,
//! keeps a bounded, time-indexed store of samples per thread, and slices time windows
//! out of it. The Sentry wire formats are built on top of [`slice::ProfileSlice`].
//! [`engine::Engine`] ties these together into the deterministic state machine the
//! native binding drives: messages and a clock in, deliveries out.

#![forbid(unsafe_code)]

pub mod cadence;
pub mod clock;
pub mod engine;
pub mod frame;
pub mod limits;
pub mod pacing;
pub mod readings;
pub mod sentry;
pub mod slice;
pub mod stack_table;
pub mod store;

pub use clock::ClockAnchor;
pub use frame::{Frame, V8NodeInfo, V8SourceType};
pub use slice::{ProfileSlice, SliceSample};
pub use stack_table::{FrameId, StackId, StackTable};
pub use store::{DropCounts, Sample, SampleStore, StoreLimits, ThreadId, VmState};
