//! Bounding stack depth, so one pathological recursion cannot bloat a payload.

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

#[cfg(test)]
mod tests {
    use super::*;

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
