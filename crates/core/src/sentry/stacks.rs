//! Bounding stack depth, so one pathological recursion cannot bloat a payload, and
//! giving idle samples a stack Sentry keeps.

use crate::frame::Frame;
use crate::slice::SliceSample;
use crate::store::VmState;

/// Frames kept per stack unless configured otherwise.
pub const DEFAULT_MAX_STACK_DEPTH: usize = 128;

/// Cuts every stack deeper than `max_depth` down to its `max_depth` leaf-side
/// frames (stacks are leaf first, so the root side goes). Returns how many stacks
/// were cut, for the profiler's stats. A `max_depth` of 0 means "no bound".
pub fn truncate_stacks(stacks: &mut [Vec<u32>], max_depth: usize) -> usize {
    if max_depth == 0 {
        return 0;
    }
    let mut cut = 0;
    for stack in stacks.iter_mut().filter(|s| s.len() > max_depth) {
        stack.truncate(max_depth);
        cut += 1;
    }
    cut
}

/// Function names of the frames an idle sample is sent with: V8's own node names,
/// as `@sentry/profiling-node` sends them. `(idle)` is waiting (the event loop);
/// `(program)` is native work outside JavaScript.
pub const IDLE_FUNCTION: &str = "(idle)";
pub const PROGRAM_FUNCTION: &str = "(program)";

/// The stack id each sample is sent with, after giving every idle sample (an empty
/// stack in the store) a one-frame stack, `(idle)` or `(program)` by its VM state.
///
/// Relay drops samples with an empty stack (idle edges, then threads and profiles
/// left with fewer than two samples), so a transaction that waits would lose its
/// profile; the incumbent sends V8's idle node as a frame, and so do we. `frames` and
/// `stacks` are the slice's own, cloned; `empty` tells which original stacks were
/// empty. Each kind of idle frame and stack is added once, when first used.
pub fn label_idle(
    frames: &mut Vec<Frame>,
    stacks: &mut Vec<Vec<u32>>,
    samples: &[SliceSample],
) -> Vec<u32> {
    let empty: Vec<bool> = stacks.iter().map(Vec::is_empty).collect();
    let mut added: [Option<u32>; 2] = [None, None];
    samples
        .iter()
        .map(|s| {
            if !empty.get(s.stack_id as usize).copied().unwrap_or(false) {
                return s.stack_id;
            }
            let kind = usize::from(s.state != VmState::Idle);
            *added[kind].get_or_insert_with(|| {
                frames.push(Frame {
                    function: Some([IDLE_FUNCTION, PROGRAM_FUNCTION][kind].into()),
                    in_app: Some(false),
                    ..Frame::default()
                });
                stacks.push(vec![frames.len() as u32 - 1]);
                stacks.len() as u32 - 1
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_samples_get_an_idle_or_program_frame() {
        let mut frames = vec![Frame::default()];
        let mut stacks = vec![vec![0], vec![]];
        let sample = |stack_id, state| SliceSample {
            ts_ns: 0,
            thread_id: 0,
            stack_id,
            state,
        };
        let ids = label_idle(
            &mut frames,
            &mut stacks,
            &[
                sample(1, VmState::Idle),
                sample(0, VmState::Js),
                sample(1, VmState::Other),
                sample(1, VmState::Idle),
            ],
        );
        assert_eq!(ids, [2, 0, 3, 2]);
        assert_eq!(frames[1].function.as_deref(), Some(IDLE_FUNCTION));
        assert_eq!(frames[2].function.as_deref(), Some(PROGRAM_FUNCTION));
        assert_eq!(frames[1].in_app, Some(false));
        assert_eq!(stacks[2..], [vec![1], vec![2]]);
        let mut none = vec![vec![0]];
        assert_eq!(
            label_idle(&mut frames, &mut none, &[sample(0, VmState::Js)]),
            [0]
        );
        assert_eq!(frames.len(), 3, "nothing added without idle samples");
    }

    #[test]
    fn keeps_the_leaf_side_and_counts_cut_stacks() {
        let mut stacks = vec![(0..200).collect::<Vec<u32>>(), vec![5, 6], vec![]];
        assert_eq!(truncate_stacks(&mut stacks, DEFAULT_MAX_STACK_DEPTH), 1);
        assert_eq!(stacks[0].len(), 128);
        assert_eq!(stacks[0][0], 0, "the leaf stays");
        assert_eq!(stacks[0][127], 127);
        assert_eq!(stacks[1], [5, 6]);
        assert_eq!(truncate_stacks(&mut stacks, 0), 0);
    }
}
