//! Turning V8's node trees into interned stacks, one batch at a time.
//!
//! A batch carries the nodes its samples reach, keyed by identities valid only
//! within that batch; the interner converts each distinct (node, line) once, however
//! many samples hit it. Its memo holds stack ids, so the store must not compact while
//! a batch is being interned (the engine enforces bounds only after it).
//!
//! Lines: a caller's frame carries the line it called from, which V8 (in caller-line
//! mode) stores on the callee's node; the leaf's frame carries the line its sample
//! executed, dealt out from the node's line ticks (see [`super::lines`]).

use rustc_hash::FxHashMap as HashMap;

use crate::frame::NodeRole;
use crate::stack_table::{FrameId, StackId, StackTable};

use super::batch::{LineMode, RawNode};
use super::lines::LineSpread;

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

#[derive(Clone, Copy)]
enum NodeKind {
    Root,
    Idle,
    Frame(FrameId),
}

/// A node, with the line executing in its function (0: unknown).
type At = (usize, u32);

/// Per-batch memo from V8 node (and line) to interned stack.
pub(crate) struct BatchInterner<'a> {
    mode: LineMode,
    nodes: HashMap<usize, &'a RawNode>,
    app_root: Option<&'a str>,
    max_depth: usize,
    memo: HashMap<At, Memo>,
    kinds: HashMap<At, NodeKind>,
    leaf_lines: HashMap<usize, LineSpread>,
}

impl<'a> BatchInterner<'a> {
    pub(crate) fn new(
        mode: LineMode,
        nodes: &'a [RawNode],
        max_depth: usize,
        app_root: Option<&'a str>,
    ) -> Self {
        Self {
            mode,
            nodes: nodes.iter().map(|n| (n.key, n)).collect(),
            app_root,
            max_depth: max_depth.max(1),
            memo: HashMap::default(),
            kinds: HashMap::default(),
            leaf_lines: HashMap::default(),
        }
    }

    fn kind(&mut self, at: At, table: &mut StackTable) -> NodeKind {
        if let Some(&kind) = self.kinds.get(&at) {
            return kind;
        }
        let Some(node) = self.nodes.get(&at.0) else {
            return NodeKind::Root;
        };
        let kind = match node.info.role(self.app_root) {
            NodeRole::Root => NodeKind::Root,
            NodeRole::Idle => NodeKind::Idle,
            NodeRole::Frame(mut frame) => {
                // Only script frames have lines; a builtin's "caller line" is V8's
                // fallback to the callee's own first line.
                frame.lineno = (at.1 > 0 && frame.abs_path.is_some()).then_some(at.1);
                NodeKind::Frame(table.intern_frame(frame))
            }
        };
        self.kinds.insert(at, kind);
        kind
    }

    /// The node above `at` and the line its frame carries: the line its function
    /// called `at` from, or (one frame per function) its own first line.
    fn parent_of(&self, at: At) -> Option<At> {
        let node = self.nodes.get(&at.0)?;
        let parent = node.parent?;
        Some(match self.mode {
            LineMode::Executing => (parent, node.info.line),
            LineMode::Function => (parent, self.nodes.get(&parent).map_or(0, |p| p.info.line)),
        })
    }

    /// The stack of the next sample whose leaf is `leaf`, and whether it was truncated.
    pub(crate) fn stack_of(&mut self, leaf: usize, table: &mut StackTable) -> (StackId, bool) {
        let line = self.leaf_line(leaf);
        let at = (leaf, line);
        let memo = match self.memo.get(&at) {
            Some(&m) => m,
            None => self.resolve(at, table),
        };
        match memo {
            Memo::Idle => (StackId::EMPTY, false),
            Memo::Stack {
                stack, truncated, ..
            } => (stack, truncated),
        }
    }

    fn leaf_line(&mut self, leaf: usize) -> u32 {
        let nodes = &self.nodes;
        if self.mode == LineMode::Function {
            return nodes.get(&leaf).map_or(0, |n| n.info.line);
        }
        self.leaf_lines
            .entry(leaf)
            .or_insert_with(|| LineSpread::new(nodes.get(&leaf).map_or(&[][..], |n| &n.line_ticks)))
            .next_line()
            .unwrap_or(0)
    }

    fn resolve(&mut self, leaf: At, table: &mut StackTable) -> Memo {
        // Walk up to the first memoised ancestor (or past the root)...
        let mut chain = Vec::new();
        let mut cursor = Some(leaf);
        while let Some(at) = cursor {
            if self.memo.contains_key(&at) {
                break;
            }
            chain.push(at);
            cursor = self.parent_of(at);
        }
        let mut state = cursor
            .and_then(|at| self.memo.get(&at).copied())
            .unwrap_or(Memo::Stack {
                stack: StackId::EMPTY,
                depth: 0,
                truncated: false,
            });
        // ...then intern downwards from there.
        for &at in chain.iter().rev() {
            state = match (state, self.kind(at, table)) {
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
                            stack: self.leaf_side(at, table),
                            depth: depth + 1,
                            truncated: true,
                        }
                    }
                }
            };
            self.memo.insert(at, state);
        }
        state
    }

    /// For stacks deeper than the bound: the `max_depth` frames nearest the leaf
    /// (the outermost callers are the ones dropped, as Sentry's SDKs do).
    fn leaf_side(&mut self, leaf: At, table: &mut StackTable) -> StackId {
        let mut frames = Vec::with_capacity(self.max_depth);
        let mut cursor = Some(leaf);
        while let Some(at) = cursor {
            if frames.len() == self.max_depth {
                break;
            }
            if let NodeKind::Frame(f) = self.kind(at, table) {
                frames.push(f);
            }
            cursor = self.parent_of(at);
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
        let mut interner = BatchInterner::new(LineMode::Executing, &nodes, 128, None);
        let (work, cut) = interner.stack_of(3, &mut table);
        let (other, _) = interner.stack_of(4, &mut table);
        assert!(!cut);
        assert_eq!(names(&table, work), ["work", "main"]);
        assert_eq!(names(&table, other), ["other", "main"]);
        assert_eq!(table.stack_count(), 3, "main, work<main, other<main");
        assert_eq!(interner.stack_of(3, &mut table).0, work, "memoised");
    }

    fn lines(table: &StackTable, stack: StackId) -> Vec<Option<u32>> {
        table
            .frames_of(stack)
            .into_iter()
            .map(|f| table.frame(f).lineno)
            .collect()
    }

    #[test]
    fn callers_carry_their_call_site_and_leaves_their_executing_line() {
        let at = |key, parent, name, line, ticks: &[(u32, u32)]| {
            let mut n = node(key, Some(parent), name);
            n.info.line = line;
            n.line_ticks = ticks.to_vec();
            n
        };
        let nodes = vec![
            node(1, None, "(root)"),
            at(2, 1, "main", 1, &[]),
            // `main` calls `work` from its lines 10 and 20: two nodes in caller mode.
            at(3, 2, "work", 10, &[(40, 2)]),
            at(4, 2, "work", 20, &[]),
            // `work` (called from line 20) calls `leaf` from its line 42.
            at(5, 4, "leaf", 42, &[(7, 3), (8, 1)]),
        ];
        let mut table = StackTable::new();
        let mut interner = BatchInterner::new(LineMode::Executing, &nodes, 128, None);
        let (a, _) = interner.stack_of(3, &mut table);
        assert_eq!(names(&table, a), ["work", "main"]);
        assert_eq!(lines(&table, a), [Some(40), Some(10)]);
        let leaf_lines: Vec<Vec<Option<u32>>> = (0..4)
            .map(|_| {
                let (stack, _) = interner.stack_of(5, &mut table);
                lines(&table, stack)
            })
            .collect();
        assert_eq!(
            leaf_lines,
            [
                [Some(7), Some(42), Some(20)],
                [Some(7), Some(42), Some(20)],
                [Some(8), Some(42), Some(20)],
                [Some(7), Some(42), Some(20)],
            ]
        );
        // `work` at line 42 (calling `leaf`) and at line 40 (its own hot line) differ.
        let (leaf, _) = interner.stack_of(5, &mut table);
        assert_ne!(table.frames_of(a)[0], table.frames_of(leaf)[1]);
    }

    #[test]
    fn function_mode_gives_every_frame_its_first_line() {
        let mut nodes = vec![
            node(1, None, "(root)"),
            node(2, Some(1), "main"),
            node(3, Some(2), "work"),
        ];
        nodes[1].info.line = 5;
        nodes[2].info.line = 30;
        nodes[2].line_ticks = vec![(33, 4)];
        let mut table = StackTable::new();
        let mut interner = BatchInterner::new(LineMode::Function, &nodes, 128, None);
        let (stack, _) = interner.stack_of(3, &mut table);
        assert_eq!(lines(&table, stack), [Some(30), Some(5)]);
    }

    #[test]
    fn program_and_idle_nodes_make_idle_samples() {
        let nodes = vec![
            node(1, None, "(root)"),
            node(2, Some(1), "(program)"),
            node(3, Some(1), "(idle)"),
        ];
        let mut table = StackTable::new();
        let mut interner = BatchInterner::new(LineMode::Executing, &nodes, 128, None);
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
        let mut interner = BatchInterner::new(LineMode::Executing, &nodes, 4, None);
        let (stack, truncated) = interner.stack_of(11, &mut table);
        assert!(truncated);
        assert_eq!(names(&table, stack), ["f9", "f8", "f7", "f6"]);
        let (shallow, cut) = interner.stack_of(4, &mut table);
        assert!(!cut);
        assert_eq!(names(&table, shallow), ["f2", "f1", "f0"]);
    }
}
