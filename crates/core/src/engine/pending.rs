//! Closed windows waiting for their samples.
//!
//! A window is ready once every thread's samples up to its end have arrived, at its
//! deadline, or at once when it failed or its samples were set aside. Closes arrive
//! in time order, so the windows covered are a prefix of the queue kept in order of
//! end: a poll touches only what it delivers (a queue of thousands of windows, one
//! per transaction, was partitioned and moved whole at every poll before).

use std::collections::VecDeque;

/// What a pending window needs to be ready; the payload is the caller's.
pub trait Waiting {
    fn end_ns(&self) -> u64;
    fn deadline_ns(&self) -> u64;
    /// Ready at once, whatever the coverage.
    fn immediate(&self) -> bool;
}

/// See the module documentation.
pub struct PendingQueue<P> {
    /// In order of `end_ns` (stable for equal ends).
    by_end: VecDeque<P>,
    immediate: Vec<P>,
    /// At or before every deadline in `by_end` (may be stale-low after deliveries).
    min_deadline_ns: u64,
}

impl<P> Default for PendingQueue<P> {
    fn default() -> Self {
        Self {
            by_end: VecDeque::new(),
            immediate: Vec::new(),
            min_deadline_ns: u64::MAX,
        }
    }
}

impl<P: Waiting> PendingQueue<P> {
    pub fn push(&mut self, p: P) {
        if p.immediate() {
            self.immediate.push(p);
            return;
        }
        self.min_deadline_ns = self.min_deadline_ns.min(p.deadline_ns());
        // Nearly always at the back: closes come in time order.
        let end = p.end_ns();
        let at = self
            .by_end
            .iter()
            .rposition(|q| q.end_ns() <= end)
            .map_or(0, |i| i + 1);
        self.by_end.insert(at, p);
    }

    /// Takes every window ready at `now_ns`, given that all samples up to
    /// `covered_ns` have arrived: the immediate ones, the covered ones (in order of
    /// end), then those whose deadline has come.
    pub fn take_ready(&mut self, covered_ns: u64, now_ns: u64) -> Vec<P> {
        let mut ready = std::mem::take(&mut self.immediate);
        while self
            .by_end
            .front()
            .is_some_and(|w| w.end_ns() <= covered_ns)
        {
            ready.extend(self.by_end.pop_front());
        }
        if now_ns >= self.min_deadline_ns {
            let (late, rest): (VecDeque<P>, VecDeque<P>) = std::mem::take(&mut self.by_end)
                .into_iter()
                .partition(|w| now_ns >= w.deadline_ns());
            self.by_end = rest;
            self.min_deadline_ns = self
                .by_end
                .iter()
                .map(Waiting::deadline_ns)
                .min()
                .unwrap_or(u64::MAX);
            ready.extend(late);
        }
        ready
    }

    /// Takes everything (a reset).
    pub fn take_all(&mut self) -> Vec<P> {
        self.min_deadline_ns = u64::MAX;
        let mut all = std::mem::take(&mut self.immediate);
        all.extend(std::mem::take(&mut self.by_end));
        all
    }

    pub fn iter(&self) -> impl Iterator<Item = &P> {
        self.immediate.iter().chain(self.by_end.iter())
    }

    pub fn len(&self) -> usize {
        self.immediate.len() + self.by_end.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
    struct W {
        end: u64,
        deadline: u64,
        now: bool,
        seq: usize,
    }

    impl Waiting for W {
        fn end_ns(&self) -> u64 {
            self.end
        }
        fn deadline_ns(&self) -> u64 {
            self.deadline
        }
        fn immediate(&self) -> bool {
            self.now
        }
    }

    proptest! {
        /// The same windows are ready, at every poll, as a plain scan would find.
        #[test]
        fn takes_exactly_what_a_full_scan_would(
            steps in proptest::collection::vec((0u64..100, 0u64..100, any::<bool>(), 0u64..100, 0u64..120, 0u8..4), 1..200),
        ) {
            let mut q = PendingQueue::default();
            let mut naive: Vec<W> = Vec::new();
            let (mut covered, mut now) = (0u64, 0u64);
            for (seq, (end, wait, immediate, cover, tick, pushes)) in steps.into_iter().enumerate() {
                for k in 0..pushes {
                    let w = W { end: now + end, deadline: now + wait, now: immediate && k == 0, seq: seq * 4 + k as usize };
                    q.push(w.clone());
                    naive.push(w);
                }
                covered = covered.max(now + cover / 2);
                now += tick;
                let mut got = q.take_ready(covered, now);
                let (mut want, rest): (Vec<W>, Vec<W>) = naive
                    .into_iter()
                    .partition(|w| w.now || w.end <= covered || now >= w.deadline);
                naive = rest;
                got.sort();
                want.sort();
                prop_assert_eq!(got, want);
                prop_assert_eq!(q.len(), naive.len());
            }
        }
    }
}
