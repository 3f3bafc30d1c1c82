//! What a rotation hands the engine: V8's call-tree nodes and samples of one
//! isolate's profile, as copied out on its JS thread.

use crate::frame::V8NodeInfo;
use crate::store::ThreadId;

/// One node of V8's call tree, copied out on the JS thread. `key` and `parent` are
/// identities valid within one batch only.
///
/// V8 profiles in caller-line mode: `info.line` is the line of the *parent's* function
/// from which this node was called (the function's own first line for a node under the
/// root), and `line_ticks` says on which lines of its own function the samples that end
/// in this node were (`(line, samples)`, exact per V8 profile).
#[derive(Clone, Debug)]
pub struct RawNode {
    pub key: usize,
    pub parent: Option<usize>,
    pub info: V8NodeInfo,
    pub line_ticks: Vec<(u32, u32)>,
}

/// One sample as V8 gave it: when, which leaf node, which VM state (`v8::StateTag`).
#[derive(Clone, Copy, Debug)]
pub struct RawSample {
    pub ts_ns: u64,
    pub node: usize,
    pub state: i32,
}

/// What one rotation copied out of one isolate's profile.
#[derive(Clone, Debug, Default)]
pub struct Batch {
    pub thread_id: ThreadId,
    pub nodes: Vec<RawNode>,
    pub samples: Vec<RawSample>,
    /// Every sample of this thread up to here has now been handed over.
    pub covered_until_ns: u64,
    /// What the nodes' lines mean (the V8 mode they were profiled in).
    pub lines: LineMode,
}

/// Which line each frame carries, as V8 was asked to record it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum LineMode {
    /// `kCallerLineNumbers`: a caller's frame carries its call site, the leaf's frame
    /// the line its sample executed (from the node's line ticks).
    #[default]
    Executing,
    /// `kLeafNodeLineNumbers`: every frame carries its function's first line, one
    /// frame per function (cheaper: fewer nodes, frames and stacks).
    Function,
}
