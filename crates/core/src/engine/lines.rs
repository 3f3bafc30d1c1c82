//! Which line a leaf sample executed: V8 counts a node's samples per line of its
//! function (`CpuProfileNode::GetLineTicks`) but does not say which sample was on
//! which line. The samples of a node are given lines in their time order by smooth
//! weighted round-robin over those counts, so a whole V8 profile gets exactly V8's
//! counts and any run of its samples gets them in proportion, interleaved.

/// Deals a node's samples out to its lines in proportion to V8's line ticks.
#[derive(Clone, Debug)]
pub(crate) struct LineSpread {
    lines: Vec<u32>,
    weights: Vec<i64>,
    credit: Vec<i64>,
    total: i64,
}

impl LineSpread {
    /// `ticks` as V8 gives them, `(line, samples)`; lines without samples are ignored.
    pub(crate) fn new(ticks: &[(u32, u32)]) -> Self {
        let kept: Vec<(u32, u32)> = ticks
            .iter()
            .copied()
            .filter(|&(line, hits)| line > 0 && hits > 0)
            .collect();
        Self {
            lines: kept.iter().map(|&(l, _)| l).collect(),
            weights: kept.iter().map(|&(_, h)| i64::from(h)).collect(),
            credit: vec![0; kept.len()],
            total: kept.iter().map(|&(_, h)| i64::from(h)).sum(),
        }
    }

    /// The line of the node's next sample; `None` when V8 counted no line.
    pub(crate) fn next_line(&mut self) -> Option<u32> {
        if self.lines.is_empty() {
            return None;
        }
        let mut best = 0;
        for i in 0..self.lines.len() {
            self.credit[i] += self.weights[i];
            if self.credit[i] > self.credit[best] {
                best = i;
            }
        }
        self.credit[best] -= self.total;
        Some(self.lines[best])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn no_ticks_no_line() {
        assert_eq!(LineSpread::new(&[]).next_line(), None);
        assert_eq!(LineSpread::new(&[(0, 5), (7, 0)]).next_line(), None);
    }

    #[test]
    fn lines_are_interleaved_in_proportion() {
        let mut s = LineSpread::new(&[(10, 3), (20, 1)]);
        let got: Vec<u32> = (0..8).map(|_| s.next_line().unwrap()).collect();
        assert_eq!(got, [10, 10, 20, 10, 10, 10, 20, 10]);
    }

    proptest! {
        #[test]
        fn a_whole_profile_gets_v8s_counts(ticks in proptest::collection::vec((1u32..50, 1u32..40), 1..6)) {
            let mut merged = std::collections::BTreeMap::new();
            for &(l, h) in &ticks { *merged.entry(l).or_insert(0u32) += h; }
            let ticks: Vec<(u32, u32)> = merged.into_iter().collect();
            let total: u32 = ticks.iter().map(|t| t.1).sum();
            let mut s = LineSpread::new(&ticks);
            let mut counts = std::collections::BTreeMap::new();
            for _ in 0..total { *counts.entry(s.next_line().unwrap()).or_insert(0u32) += 1; }
            let want: std::collections::BTreeMap<u32, u32> = ticks.into_iter().collect();
            prop_assert_eq!(counts, want);
        }
    }
}
