//! Interning of frames and stacks: equal frames and equal stacks are stored once.
//!
//! Stacks are kept as a prefix tree (each stack is a frame on top of a parent stack),
//! which is how V8 hands them over (a node tree) and makes interning a stack from a
//! known parent a single hash lookup.
//!
//! The maps use FxHash: their keys are small, hashed once per frame of every sample,
//! and SipHash's resistance to chosen keys buys nothing here (profiling a 1 kHz
//! TypeScript compile, SipHash was the engine thread's first cost).

use rustc_hash::FxHashMap;

use crate::frame::Frame;

/// Index of an interned frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FrameId(pub u32);

/// Index of an interned stack. [`StackId::EMPTY`] is the empty (idle) stack.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StackId(pub u32);

impl StackId {
    /// The empty stack: no frame, the thread was idle.
    pub const EMPTY: StackId = StackId(u32::MAX);

    pub fn is_empty(self) -> bool {
        self == Self::EMPTY
    }
}

#[derive(Clone, Copy, Debug)]
struct StackNode {
    frame: FrameId,
    parent: StackId,
}

/// Interned frames and stacks.
#[derive(Debug, Default, Clone)]
pub struct StackTable {
    frames: Vec<Frame>,
    frame_ids: FxHashMap<Frame, FrameId>,
    nodes: Vec<StackNode>,
    node_ids: FxHashMap<(FrameId, StackId), StackId>,
    frame_bytes: usize,
}

// Per-entry bookkeeping cost of the hash maps and vectors, for the byte bound.
const NODE_BYTES: usize = std::mem::size_of::<StackNode>() + 24;
const FRAME_INDEX_BYTES: usize = 16;

impl StackTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Returns the id of `frame`, adding it if it is new.
    pub fn intern_frame(&mut self, frame: Frame) -> FrameId {
        if let Some(&id) = self.frame_ids.get(&frame) {
            return id;
        }
        let id = FrameId(self.frames.len() as u32);
        // Counted twice: once in the vector, once as the map's key.
        self.frame_bytes += 2 * frame.heap_bytes() + FRAME_INDEX_BYTES;
        self.frames.push(frame.clone());
        self.frame_ids.insert(frame, id);
        id
    }

    /// Returns the id of the stack `frame` called from `parent` (pass
    /// [`StackId::EMPTY`] for a root frame), adding it if it is new.
    pub fn push(&mut self, parent: StackId, frame: FrameId) -> StackId {
        debug_assert!((frame.0 as usize) < self.frames.len());
        debug_assert!(parent.is_empty() || (parent.0 as usize) < self.nodes.len());
        *self.node_ids.entry((frame, parent)).or_insert_with(|| {
            self.nodes.push(StackNode { frame, parent });
            StackId(self.nodes.len() as u32 - 1)
        })
    }

    /// Interns a whole stack given leaf first (the order Sentry uses).
    pub fn intern_stack(&mut self, leaf_first: &[FrameId]) -> StackId {
        leaf_first
            .iter()
            .rev()
            .fold(StackId::EMPTY, |parent, &frame| self.push(parent, frame))
    }

    /// The frames of a stack, leaf first.
    pub fn frames_of(&self, stack: StackId) -> Vec<FrameId> {
        let mut out = Vec::new();
        let mut cur = stack;
        while !cur.is_empty() {
            let node = self.nodes[cur.0 as usize];
            out.push(node.frame);
            cur = node.parent;
        }
        out
    }

    /// The leaf frame of a stack, `None` for the empty stack.
    pub fn leaf_of(&self, stack: StackId) -> Option<FrameId> {
        (!stack.is_empty()).then(|| self.nodes[stack.0 as usize].frame)
    }

    pub fn frame(&self, id: FrameId) -> &Frame {
        &self.frames[id.0 as usize]
    }

    pub fn frame_count(&self) -> usize {
        self.frames.len()
    }

    pub fn stack_count(&self) -> usize {
        self.nodes.len()
    }

    /// Approximate heap bytes held by the table.
    pub fn heap_bytes(&self) -> usize {
        self.frame_bytes + self.nodes.len() * NODE_BYTES
    }

    /// Rebuilds the table with only the stacks in `live`, their prefixes and their
    /// frames, and returns the old-to-new renumbering of the stacks it kept. Used to
    /// bound the table's memory when the stacks that still have samples are far fewer
    /// than those seen. Costs O(nodes): live nodes are marked by walking up from each
    /// live stack until a marked one, then copied in index order (a parent always has
    /// a lower index than its children, so it is copied first).
    pub fn compact(&mut self, live: impl IntoIterator<Item = StackId>) -> StackRemap {
        let mut keep = vec![false; self.nodes.len()];
        for stack in live {
            let mut cur = stack;
            while !cur.is_empty() && !keep[cur.0 as usize] {
                keep[cur.0 as usize] = true;
                cur = self.nodes[cur.0 as usize].parent;
            }
        }
        let mut fresh = StackTable::new();
        let mut new_frames: Vec<Option<FrameId>> = vec![None; self.frames.len()];
        let mut new_ids = vec![StackId::EMPTY; self.nodes.len()];
        for (old, node) in self.nodes.iter().enumerate() {
            if !keep[old] {
                continue;
            }
            let frame = *new_frames[node.frame.0 as usize].get_or_insert_with(|| {
                fresh.intern_frame(self.frames[node.frame.0 as usize].clone())
            });
            let parent = if node.parent.is_empty() {
                StackId::EMPTY
            } else {
                new_ids[node.parent.0 as usize]
            };
            new_ids[old] = fresh.push(parent, frame);
        }
        *self = fresh;
        StackRemap(new_ids)
    }
}

/// The renumbering of stacks by [`StackTable::compact`].
#[derive(Debug)]
pub struct StackRemap(Vec<StackId>);

impl StackRemap {
    /// The new id of a stack that was kept ([`StackId::EMPTY`] stays empty); `None`
    /// for a stack that was not live.
    pub fn get(&self, old: StackId) -> Option<StackId> {
        if old.is_empty() {
            return Some(StackId::EMPTY);
        }
        self.0
            .get(old.0 as usize)
            .copied()
            .filter(|id| !id.is_empty())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn frame(name: &str) -> Frame {
        Frame {
            function: Some(name.to_string()),
            ..Frame::default()
        }
    }

    #[test]
    fn equal_frames_and_stacks_are_stored_once() {
        let mut t = StackTable::new();
        let a = t.intern_frame(frame("a"));
        let b = t.intern_frame(frame("b"));
        assert_eq!(t.intern_frame(frame("a")), a);
        let s1 = t.intern_stack(&[b, a]);
        let s2 = t.intern_stack(&[b, a]);
        assert_eq!(s1, s2);
        assert_eq!(t.stack_count(), 2, "prefix [a] and [b, a]");
        assert_eq!(t.frames_of(s1), vec![b, a]);
        assert_eq!(t.leaf_of(s1), Some(b));
        assert_eq!(t.intern_stack(&[]), StackId::EMPTY);
    }

    #[test]
    fn compaction_keeps_live_stacks_and_their_frames() {
        let mut t = StackTable::new();
        let frames: Vec<FrameId> = (0..10)
            .map(|i| t.intern_frame(frame(&i.to_string())))
            .collect();
        let dead = t.intern_stack(&frames[..5]);
        let live = t.intern_stack(&[frames[7], frames[9]]);
        let before = t.heap_bytes();
        let map = t.compact([live, StackId::EMPTY]);
        assert_eq!(map.get(dead), None);
        assert_eq!(map.get(StackId::EMPTY), Some(StackId::EMPTY));
        let names: Vec<_> = t
            .frames_of(map.get(live).unwrap())
            .into_iter()
            .map(|f| t.frame(f).function.clone().unwrap())
            .collect();
        assert_eq!(names, ["7", "9"]);
        assert_eq!(t.frame_count(), 2);
        assert!(t.heap_bytes() < before);
    }

    proptest! {
        #[test]
        fn interning_round_trips_any_stack(stacks in proptest::collection::vec(
            proptest::collection::vec(0u8..12, 0..20), 1..40)) {
            let mut t = StackTable::new();
            let ids: Vec<StackId> = stacks.iter().map(|s| {
                let frames: Vec<FrameId> = s.iter().map(|n| t.intern_frame(frame(&n.to_string()))).collect();
                t.intern_stack(&frames)
            }).collect();
            for (s, id) in stacks.iter().zip(&ids) {
                let names: Vec<String> = t.frames_of(*id).into_iter()
                    .map(|f| t.frame(f).function.clone().unwrap()).collect();
                let want: Vec<String> = s.iter().map(|n| n.to_string()).collect();
                prop_assert_eq!(names, want);
            }
            // Equal stacks get equal ids, different stacks different ids.
            for i in 0..stacks.len() {
                for j in 0..stacks.len() {
                    prop_assert_eq!(stacks[i] == stacks[j], ids[i] == ids[j]);
                }
            }
            prop_assert!(t.frame_count() <= 12);
        }

        #[test]
        fn compaction_keeps_exactly_the_live_stacks(stacks in proptest::collection::vec(
            proptest::collection::vec(0u8..12, 0..20), 1..40), keep in proptest::collection::vec(any::<bool>(), 40)) {
            let mut t = StackTable::new();
            let ids: Vec<StackId> = stacks.iter().map(|s| {
                let frames: Vec<FrameId> = s.iter().map(|n| t.intern_frame(frame(&n.to_string()))).collect();
                t.intern_stack(&frames)
            }).collect();
            let live: Vec<(usize, StackId)> = ids.iter().copied().enumerate().filter(|(i, _)| keep[*i]).collect();
            let map = t.compact(live.iter().map(|(_, id)| *id));
            let mut used_frames = std::collections::BTreeSet::new();
            for (i, old) in &live {
                let new = map.get(*old).expect("a live stack is kept");
                let names: Vec<String> = t.frames_of(new).into_iter()
                    .map(|f| t.frame(f).function.clone().unwrap()).collect();
                let want: Vec<String> = stacks[*i].iter().map(|n| n.to_string()).collect();
                used_frames.extend(want.iter().cloned());
                prop_assert_eq!(names, want);
            }
            // Nothing but the live stacks' prefixes and frames is left.
            let stacks = &stacks;
            let prefixes: std::collections::BTreeSet<&[u8]> = live.iter()
                .flat_map(|(i, _)| (1..=stacks[*i].len()).map(move |k| &stacks[*i][stacks[*i].len() - k..]))
                .collect();
            prop_assert_eq!(t.stack_count(), prefixes.len());
            prop_assert_eq!(t.frame_count(), used_frames.len());
        }
    }
}
