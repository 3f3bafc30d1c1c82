//! Turning V8's node trees into interned stacks, one batch at a time.
//!
//! A batch carries the nodes its samples reach, keyed by identities valid only
//! within that batch; the interner converts each distinct node once, however many
//! samples hit it. Its memo holds stack ids, so the store must not compact while a
//! batch is being interned (the engine enforces bounds only after it).

use std::collections::HashMap;

use crate::frame::NodeRole;
use crate::stack_table::{FrameId, StackId, StackTable};

use super::RawNode;

/// What a node's path from the root amounts to.
#[derive(Clone, Copy)]
enum Memo {
    /// The path went through `(program)`/`(idle)`: the sample is idle.
    Idle,
    Stack {
        stack: StackId,
        depth: usize,
        truncated: bool,
    },
}

enum NodeKind {
    Root,
    Idle,
    Frame(FrameId),
}

/// Per-batch memo from V8 node to interned stack, so each distinct node is
/// converted once however many samples hit it.
pub(crate) struct BatchInterner<'a> {
    nodes: HashMap<usize, &'a RawNode>,
    app_root: Option<&'a str>,
    max_depth: usize,
    memo: HashMap<usize, Memo>,
    kinds: HashMap<usize, Option<FrameId>>,
}

impl<'a> BatchInterner<'a> {
    pub(crate) fn new(nodes: &'a [RawNode], max_depth: usize, app_root: Option<&'a str>) -> Self {
        Self {
            nodes: nodes.iter().map(|n| (n.key, n)).collect(),
            app_root,
            max_depth: max_depth.max(1),
            memo: HashMap::new(),
            kinds: HashMap::new(),
        }
    }

    fn kind(&mut self, key: usize, table: &mut StackTable) -> NodeKind {
        if let Some(kind) = self.kinds.get(&key) {
            return kind.map_or(NodeKind::Root, NodeKind::Frame);
        }
        let Some(node) = self.nodes.get(&key) else {
            return NodeKind::Root;
        };
        match node.info.role(self.app_root) {
            NodeRole::Root => {
                self.kinds.insert(key, None);
                NodeKind::Root
            }
            NodeRole::Idle => NodeKind::Idle,
            NodeRole::Frame(frame) => {
                let id = table.intern_frame(frame);
                self.kinds.insert(key, Some(id));
                NodeKind::Frame(id)
            }
        }
    }

    /// The stack of a sample whose leaf is `leaf`, and whether it was truncated.
    pub(crate) fn stack_of(&mut self, leaf: usize, table: &mut StackTable) -> (StackId, bool) {
        let memo = match self.memo.get(&leaf) {
            Some(&m) => m,
            None => self.resolve(leaf, table),
        };
        match memo {
            Memo::Idle => (StackId::EMPTY, false),
            Memo::Stack {
                stack, truncated, ..
            } => (stack, truncated),
        }
    }

    fn resolve(&mut self, leaf: usize, table: &mut StackTable) -> Memo {
        // Walk up to the first memoised ancestor (or past the root)...
        let mut chain = Vec::new();
        let mut cursor = Some(leaf);
        while let Some(key) = cursor {
            if self.memo.contains_key(&key) {
                break;
            }
            chain.push(key);
            cursor = self.nodes.get(&key).and_then(|n| n.parent);
        }
        let mut state = cursor
            .and_then(|k| self.memo.get(&k).copied())
            .unwrap_or(Memo::Stack {
                stack: StackId::EMPTY,
                depth: 0,
                truncated: false,
            });
        // ...then intern downwards from there.
        for &key in chain.iter().rev() {
            state = match (state, self.kind(key, table)) {
                (Memo::Idle, _) | (_, NodeKind::Idle) => Memo::Idle,
                (_, NodeKind::Root) => state,
                (
                    Memo::Stack {
                        stack,
                        depth,
                        truncated,
                    },
                    NodeKind::Frame(frame),
                ) => {
                    if depth < self.max_depth {
                        Memo::Stack {
                            stack: table.push(stack, frame),
                            depth: depth + 1,
                            truncated,
                        }
                    } else {
                        Memo::Stack {
                            stack: self.leaf_side(key, table),
                            depth: depth + 1,
                            truncated: true,
                        }
                    }
                }
            };
            self.memo.insert(key, state);
        }
        state
    }

    /// For stacks deeper than the bound: the `max_depth` frames nearest the leaf
    /// (the outermost callers are the ones dropped, as Sentry's SDKs do).
    fn leaf_side(&mut self, leaf: usize, table: &mut StackTable) -> StackId {
        let mut frames = Vec::with_capacity(self.max_depth);
        let mut cursor = Some(leaf);
        while let Some(key) = cursor {
            if frames.len() == self.max_depth {
                break;
            }
            if let NodeKind::Frame(f) = self.kind(key, table) {
                frames.push(f);
            }
            cursor = self.nodes.get(&key).and_then(|n| n.parent);
        }
        table.intern_stack(&frames)
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::node;
    use super::*;

    fn names(table: &StackTable, stack: StackId) -> Vec<String> {
        table
            .frames_of(stack)
            .into_iter()
            .map(|f| table.frame(f).function.clone().unwrap())
            .collect()
    }

    #[test]
    fn stacks_skip_the_root_and_share_prefixes() {
        let nodes = vec![
            node(1, None, "(root)"),
            node(2, Some(1), "main"),
            node(3, Some(2), "work"),
            node(4, Some(2), "other"),
        ];
        let mut table = StackTable::new();
        let mut interner = BatchInterner::new(&nodes, 128, None);
        let (work, cut) = interner.stack_of(3, &mut table);
        let (other, _) = interner.stack_of(4, &mut table);
        assert!(!cut);
        assert_eq!(names(&table, work), ["work", "main"]);
        assert_eq!(names(&table, other), ["other", "main"]);
        assert_eq!(table.stack_count(), 3, "main, work<main, other<main");
        assert_eq!(interner.stack_of(3, &mut table).0, work, "memoised");
    }

    #[test]
    fn program_and_idle_nodes_make_idle_samples() {
        let nodes = vec![
            node(1, None, "(root)"),
            node(2, Some(1), "(program)"),
            node(3, Some(1), "(idle)"),
        ];
        let mut table = StackTable::new();
        let mut interner = BatchInterner::new(&nodes, 128, None);
        assert_eq!(interner.stack_of(2, &mut table).0, StackId::EMPTY);
        assert_eq!(interner.stack_of(3, &mut table).0, StackId::EMPTY);
    }

    #[test]
    fn deep_stacks_keep_the_leaf_side_and_are_marked() {
        let mut nodes = vec![node(1, None, "(root)")];
        for depth in 0..10 {
            nodes.push(node(depth + 2, Some(depth + 1), &format!("f{depth}")));
        }
        let mut table = StackTable::new();
        let mut interner = BatchInterner::new(&nodes, 4, None);
        let (stack, truncated) = interner.stack_of(11, &mut table);
        assert!(truncated);
        assert_eq!(names(&table, stack), ["f9", "f8", "f7", "f6"]);
        let (shallow, cut) = interner.stack_of(4, &mut table);
        assert!(!cut);
        assert_eq!(names(&table, shallow), ["f2", "f1", "f0"]);
    }
}
