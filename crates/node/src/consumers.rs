//! One isolate's bookkeeping, without V8, the runtime or a clock of its own: who
//! needs its samples (explicit starts, open windows, a continuous session to
//! follow), since when nobody does (the linger), and which window messages wait for
//! its next rotation (the hold-back). `isolate.rs` acts on what it decides; the tests
//! here check the decisions.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use ferroprof_core::engine::{Message, WindowId};

/// Most window messages held back between two rotations.
pub const MAX_HELD: usize = 4096;

/// What to do once a consumer has gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Release {
    /// Others still need samples: nothing.
    Busy,
    /// Nobody does and no linger is configured: stop V8 profiling now.
    StopNow,
    /// Nobody does: keep sampling until the linger time is over (ask for ticks).
    Linger,
}

/// See the module documentation. `R` is the engine's reply token.
pub struct Consumers<R> {
    /// `startSampling` calls not yet matched by `stopSampling`.
    explicit: u32,
    /// Sampling because a continuous session asked every isolate to.
    follow: bool,
    /// Windows opened on this isolate and not yet closed.
    open: HashSet<WindowId>,
    /// Since when the sampler has had no consumer.
    idle_since: Option<Instant>,
    /// Window opens and closes not yet queued: they go with the isolate's next
    /// rotation (or any other message of it), so that a transaction's profile never
    /// wakes the engine thread. A window closed while the thread samples is complete
    /// only once the next rotation hands over its samples anyway.
    held: Vec<Message<R>>,
}

impl<R> Default for Consumers<R> {
    fn default() -> Self {
        Self {
            explicit: 0,
            follow: false,
            open: HashSet::new(),
            idle_since: None,
            held: Vec::new(),
        }
    }
}

impl<R> Consumers<R> {
    pub fn count(&self) -> usize {
        self.explicit as usize + self.open.len() + usize::from(self.follow)
    }

    /// The sampler is not waiting out a linger: a consumer arrived, or it started or
    /// stopped.
    pub fn reset_idle(&mut self) {
        self.idle_since = None;
    }

    /// Whether the sampler is waiting out its linger time.
    pub fn lingering(&self) -> bool {
        self.idle_since.is_some()
    }

    pub fn add_explicit(&mut self) {
        self.explicit += 1;
    }

    /// An explicit consumer left; `false` (nothing changes) if there was none.
    pub fn remove_explicit(&mut self) -> bool {
        if self.explicit == 0 {
            return false;
        }
        self.explicit -= 1;
        true
    }

    pub fn following(&self) -> bool {
        self.follow
    }

    pub fn set_following(&mut self, follow: bool) {
        self.follow = follow;
    }

    /// What a consumer's departure means at `now`, with the configured `linger`.
    pub fn release(&mut self, now: Instant, linger: Duration) -> Release {
        if self.count() > 0 {
            Release::Busy
        } else if linger.is_zero() {
            Release::StopNow
        } else {
            self.idle_since.get_or_insert(now);
            Release::Linger
        }
    }

    /// Whether a sampler with no consumer has lingered long enough to stop.
    pub fn linger_over(&self, now: Instant, linger: Duration) -> bool {
        self.count() == 0
            && self
                .idle_since
                .is_some_and(|t| now.saturating_duration_since(t) >= linger)
    }

    /// Window `id` opened; its open message is held back.
    pub fn open(&mut self, id: WindowId, open: Message<R>) {
        self.open.insert(id);
        self.held.push(open);
    }

    #[cfg(test)]
    pub fn is_open(&self, id: WindowId) -> bool {
        self.open.contains(&id)
    }

    /// Window `id` closes (with `reopen`, goes on): `false` if it is not open here.
    pub fn close(&mut self, id: WindowId, reopen: bool) -> bool {
        if reopen {
            self.open.contains(&id)
        } else {
            self.open.remove(&id)
        }
    }

    /// Forgets window `id` if its open message is still held back: nothing about it
    /// will reach the engine. `false` once it has been sent.
    pub fn withdraw(&mut self, id: WindowId) -> bool {
        let Some(at) = self
            .held
            .iter()
            .rposition(|m| matches!(m, Message::OpenWindow { id: w, .. } if *w == id))
        else {
            return false;
        };
        self.held.remove(at);
        self.open.remove(&id);
        true
    }

    /// Whether a close may wait for the next rotation: not a manual chunk cut
    /// (`reopen`), only while the thread samples (a rotation will come), and not
    /// beyond [`MAX_HELD`] messages.
    pub fn may_hold_close(&self, reopen: bool, sampling: bool) -> bool {
        !reopen && sampling && self.held.len() < MAX_HELD
    }

    pub fn hold(&mut self, msg: Message<R>) {
        self.held.push(msg);
    }

    /// The held messages, in order, to queue now.
    pub fn take_held(&mut self) -> std::vec::Drain<'_, Message<R>> {
        self.held.drain(..)
    }

    pub fn open_ids(&self) -> Vec<WindowId> {
        self.open.iter().copied().collect()
    }
}

#[cfg(test)]
mod tests {
    use ferroprof_core::engine::{Close, Encoding};

    use super::*;

    fn open_msg(id: WindowId) -> Message<u32> {
        Message::OpenWindow {
            id,
            start_ns: 0,
            chunks: None,
            limit: None,
        }
    }

    fn close_msg(id: WindowId) -> Message<u32> {
        Message::CloseWindow(Close {
            id,
            end_ns: 1,
            active_thread_id: 0,
            reply: id,
            encoding: Encoding::Raw,
            reopen: false,
            wait_ns: 0,
        })
    }

    fn ids(held: std::vec::Drain<'_, Message<u32>>) -> Vec<(char, WindowId)> {
        held.map(|m| match m {
            Message::OpenWindow { id, .. } => ('o', id),
            Message::CloseWindow(c) => ('c', c.id),
            _ => ('?', 0),
        })
        .collect()
    }

    #[test]
    fn every_kind_of_consumer_counts_and_unmatched_stops_are_no_ops() {
        let mut c = Consumers::<u32>::default();
        assert!(
            !c.remove_explicit(),
            "a stop without a start changes nothing"
        );
        c.add_explicit();
        c.add_explicit();
        c.open(1, open_msg(1));
        c.set_following(true);
        assert_eq!(c.count(), 4);
        assert!(c.remove_explicit());
        c.set_following(false);
        assert!(c.close(1, false));
        assert!(!c.close(1, false), "a window closes once");
        assert_eq!(c.count(), 1);
    }

    #[test]
    fn without_consumers_the_sampler_lingers_then_stops() {
        let linger = Duration::from_millis(2000);
        let t0 = Instant::now();
        let mut c = Consumers::<u32>::default();
        c.add_explicit();
        assert_eq!(c.release(t0, linger), Release::Busy);
        assert!(!c.lingering());
        c.remove_explicit();
        assert_eq!(c.release(t0, linger), Release::Linger);
        assert!(c.lingering());
        // A second release does not restart the linger.
        assert_eq!(c.release(t0 + linger / 2, linger), Release::Linger);
        assert!(!c.linger_over(t0 + linger / 2, linger));
        assert!(c.linger_over(t0 + linger, linger));
        // A consumer arriving meanwhile keeps it running.
        c.open(7, open_msg(7));
        c.reset_idle();
        assert!(!c.linger_over(t0 + linger * 2, linger));
        assert_eq!(
            c.release(t0, Duration::ZERO),
            Release::Busy,
            "the window is still open"
        );
        c.close(7, false);
        assert_eq!(c.release(t0, Duration::ZERO), Release::StopNow);
    }

    #[test]
    fn window_messages_are_held_back_in_order_until_taken() {
        let mut c = Consumers::<u32>::default();
        c.open(1, open_msg(1));
        c.open(2, open_msg(2));
        assert!(c.close(1, false));
        assert!(c.may_hold_close(false, true));
        c.hold(close_msg(1));
        assert_eq!(ids(c.take_held()), [('o', 1), ('o', 2), ('c', 1)]);
        assert_eq!(ids(c.take_held()), []);
        // A manual chunk cut, or a thread that does not sample (no rotation will
        // come), sends at once.
        assert!(!c.may_hold_close(true, true));
        assert!(!c.may_hold_close(false, false));
        // So does a close beyond the bound.
        for id in 0..MAX_HELD as u32 {
            c.hold(close_msg(id));
        }
        assert!(!c.may_hold_close(false, true));
    }

    #[test]
    fn only_a_window_whose_open_is_still_held_can_be_withdrawn() {
        let mut c = Consumers::<u32>::default();
        c.open(1, open_msg(1));
        c.open(2, open_msg(2));
        c.open(3, open_msg(3));
        assert!(c.withdraw(2));
        assert!(!c.is_open(2));
        assert!(!c.withdraw(2), "once");
        assert!(!c.withdraw(9), "unknown");
        assert_eq!(ids(c.take_held()), [('o', 1), ('o', 3)]);
        assert!(!c.withdraw(1), "its open was sent: close it instead");
        assert!(c.is_open(1));
        let mut open = c.open_ids();
        open.sort_unstable();
        assert_eq!(open, [1, 3]);
    }
}
