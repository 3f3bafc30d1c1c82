//! Interning of frames and stacks: equal frames and equal stacks are stored once.
//!
//! Stacks are kept as a prefix tree (each stack is a frame on top of a parent stack),
//! which is how V8 hands them over (a node tree) and makes interning a stack from a
//! known parent a single hash lookup.

use std::collections::HashMap;

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
    frame_ids: HashMap<Frame, FrameId>,
    nodes: Vec<StackNode>,
    node_ids: HashMap<(FrameId, StackId), StackId>,
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

    /// Rebuilds the table with only the stacks in `live` (and their frames), and
    /// returns the old-to-new mapping of those stacks. Used to bound the table's
    /// memory when the stacks that still have samples are far fewer than those seen.
    pub fn compact(
        &mut self,
        live: impl IntoIterator<Item = StackId>,
    ) -> HashMap<StackId, StackId> {
        let mut fresh = StackTable::new();
        let mut mapping = HashMap::new();
        for old in live {
            if old.is_empty() || mapping.contains_key(&old) {
                continue;
            }
            let frames: Vec<FrameId> = self
                .frames_of(old)
                .into_iter()
                .map(|f| fresh.intern_frame(self.frame(f).clone()))
                .collect();
            mapping.insert(old, fresh.intern_stack(&frames));
        }
        *self = fresh;
        mapping
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
        assert!(!map.contains_key(&dead));
        let names: Vec<_> = t
            .frames_of(map[&live])
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
    }
}
