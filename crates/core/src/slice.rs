//! Slicing a time window out of the store into a self-contained profile.
//!
//! A slice has its own compact frame and stack tables (only what its samples use),
//! which is exactly what both Sentry sample formats need.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;

use crate::clock::ClockAnchor;
use crate::frame::Frame;
use crate::stack_table::{FrameId, StackId};
use crate::store::{SampleStore, ThreadId, VmState};

/// One sample of a slice; `stack_id` indexes [`ProfileSlice::stacks`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SliceSample {
    pub ts_ns: u64,
    pub thread_id: ThreadId,
    pub stack_id: u32,
    pub state: VmState,
}

/// The samples of all threads within `[start_ns, end_ns]`, time-ordered.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ProfileSlice {
    pub start_ns: u64,
    pub end_ns: u64,
    #[serde(skip)]
    pub anchor: Option<ClockAnchor>,
    pub frames: Vec<Frame>,
    /// Leaf first, indices into `frames`. An empty stack is an idle sample.
    pub stacks: Vec<Vec<u32>>,
    pub samples: Vec<SliceSample>,
    pub thread_names: BTreeMap<ThreadId, String>,
}

#[derive(Default)]
struct LocalTables {
    frames: Vec<Frame>,
    frame_map: HashMap<FrameId, u32>,
    stacks: Vec<Vec<u32>>,
    stack_map: HashMap<StackId, u32>,
}

impl LocalTables {
    fn stack_index(&mut self, store: &SampleStore, stack: StackId) -> u32 {
        if let Some(&i) = self.stack_map.get(&stack) {
            return i;
        }
        let frames = store
            .table()
            .frames_of(stack)
            .into_iter()
            .map(|f| {
                *self.frame_map.entry(f).or_insert_with(|| {
                    self.frames.push(store.table().frame(f).clone());
                    self.frames.len() as u32 - 1
                })
            })
            .collect();
        self.stacks.push(frames);
        let i = self.stacks.len() as u32 - 1;
        self.stack_map.insert(stack, i);
        i
    }
}

impl SampleStore {
    /// The samples of every thread with `start_ns <= ts <= end_ns`.
    ///
    /// Costs O(log n) per thread to find the window plus the window's own size, so a
    /// slice costs the same however long the store has been filling.
    pub fn slice(&self, start_ns: u64, end_ns: u64) -> ProfileSlice {
        self.slice_threads(start_ns, end_ns, |_| true)
    }

    /// Like [`SampleStore::slice`], for the threads `keep` accepts.
    pub fn slice_threads(
        &self,
        start_ns: u64,
        end_ns: u64,
        keep: impl Fn(ThreadId) -> bool,
    ) -> ProfileSlice {
        let mut tables = LocalTables::default();
        let mut samples = Vec::new();
        let mut thread_names = BTreeMap::new();
        for (&tid, thread) in self.threads.iter().filter(|(id, _)| keep(**id)) {
            let lo = thread.samples.partition_point(|s| s.ts_ns < start_ns);
            let hi = thread.samples.partition_point(|s| s.ts_ns <= end_ns);
            if lo >= hi {
                continue;
            }
            thread_names.insert(tid, thread.name.clone());
            for s in thread.samples.range(lo..hi) {
                samples.push(SliceSample {
                    ts_ns: s.ts_ns,
                    thread_id: tid,
                    stack_id: tables.stack_index(self, s.stack),
                    state: s.state,
                });
            }
        }
        // Each thread is already ordered; a stable sort merges them.
        samples.sort_by_key(|s| s.ts_ns);
        ProfileSlice {
            start_ns,
            end_ns,
            anchor: Some(self.anchor()),
            frames: tables.frames,
            stacks: tables.stacks,
            samples,
            thread_names,
        }
    }
}

impl ProfileSlice {
    /// The frames of a sample, leaf first.
    pub fn frames_of(&self, sample: &SliceSample) -> impl Iterator<Item = &Frame> {
        self.stacks[sample.stack_id as usize]
            .iter()
            .map(|&f| &self.frames[f as usize])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::{Sample, StoreLimits};
    use proptest::prelude::*;

    fn filled(points: &[(ThreadId, u64, u8)]) -> SampleStore {
        let mut s = SampleStore::new(
            StoreLimits {
                max_samples: usize::MAX,
                max_bytes: usize::MAX,
            },
            ClockAnchor::new(0, 0),
        );
        let mut points = points.to_vec();
        points.sort_by_key(|p| p.1);
        for (tid, ts, name) in points {
            let stack = if name == 0 {
                StackId::EMPTY
            } else {
                let f = s.table_mut().intern_frame(Frame {
                    function: Some(format!("f{name}")),
                    ..Frame::default()
                });
                let root = s.table_mut().intern_frame(Frame {
                    function: Some("root".into()),
                    ..Frame::default()
                });
                s.table_mut().intern_stack(&[f, root])
            };
            s.push(
                tid,
                Sample {
                    ts_ns: ts,
                    stack,
                    state: VmState::Js,
                },
            );
        }
        s
    }

    #[test]
    fn window_bounds_are_inclusive_and_threads_named() {
        let s = filled(&[(0, 10, 1), (0, 20, 2), (0, 30, 1), (4, 25, 3), (4, 40, 3)]);
        let slice = s.slice(20, 30);
        let got: Vec<(u64, ThreadId)> = slice
            .samples
            .iter()
            .map(|x| (x.ts_ns, x.thread_id))
            .collect();
        assert_eq!(got, [(20, 0), (25, 4), (30, 0)]);
        assert_eq!(
            slice.thread_names.get(&4).map(String::as_str),
            Some("worker 4")
        );
        assert_eq!(slice.frames.len(), 4, "f1, f2, f3 and root, once each");
        let leaf: Vec<_> = slice
            .samples
            .iter()
            .map(|x| slice.frames_of(x).next().unwrap().function.clone().unwrap())
            .collect();
        assert_eq!(leaf, ["f2", "f3", "f1"]);
    }

    #[test]
    fn idle_samples_get_an_empty_stack() {
        let s = filled(&[(0, 1, 0), (0, 2, 1)]);
        let slice = s.slice(0, 10);
        assert!(slice.stacks[slice.samples[0].stack_id as usize].is_empty());
    }

    proptest! {
        #[test]
        fn slices_hold_exactly_the_window_in_order_with_valid_indices(
            points in proptest::collection::vec((0u64..3, 0u64..10_000, 0u8..6), 0..300),
            a in 0u64..10_000, b in 0u64..10_000,
        ) {
            let (t0, t1) = (a.min(b), a.max(b));
            let mut uniq = points.clone();
            uniq.sort_by_key(|p| (p.0, p.1));
            uniq.dedup_by_key(|p| (p.0, p.1));
            let s = filled(&uniq);
            let slice = s.slice(t0, t1);
            let expected = uniq.iter().filter(|p| p.1 >= t0 && p.1 <= t1).count();
            prop_assert_eq!(slice.samples.len(), expected);
            prop_assert!(slice.samples.windows(2).all(|w| w[0].ts_ns <= w[1].ts_ns));
            for smp in &slice.samples {
                prop_assert!(smp.ts_ns >= t0 && smp.ts_ns <= t1);
                prop_assert!((smp.stack_id as usize) < slice.stacks.len());
            }
            for st in &slice.stacks {
                prop_assert!(st.iter().all(|&f| (f as usize) < slice.frames.len()));
            }
        }
    }
}
