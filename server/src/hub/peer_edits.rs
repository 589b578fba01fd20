//! Peers' updates a room applied before their own node stored them.
//!
//! Updates cross nodes the moment they are applied, not once stored, so a reader
//! on another node sees an edit within a millisecond or two. Until its origin
//! says `Stored`, such an update lives only in memory, and an edit this node's
//! client builds on it would be stored but unreadable without it. An ack promises
//! "stored", so acks wait here until every peer's update applied before their edit
//! is confirmed. A confirmation that does not come in time (the origin died, or
//! Redis dropped it) makes this node store the update itself: rarely stored twice,
//! which the CRDT absorbs, never lost.

use std::collections::{HashMap, VecDeque};
use std::sync::Arc;

use bytes::Bytes;
use parking_lot::Mutex;
use tokio::sync::Notify;

use crate::clock::Millis;
use crate::cluster::NodeId;
use crate::hub::outbox::Outbox;

/// How long a peer's update may stay unconfirmed before this node stores it
/// itself; far above a commit's tail, so normally each update is stored once.
pub const TAKE_OVER_AFTER_MS: Millis = 3_000;

/// Peers' updates an ack waits for: per origin, the newest one applied before the acked edit.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Awaited(Vec<(NodeId, u64)>);

/// A peer's update this node now stores on its origin's behalf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TakenOver {
    pub origin: NodeId,
    pub seq: u64,
    pub update: Bytes,
}

/// One room's unconfirmed peer updates and the acks waiting on them.
#[derive(Debug, Default)]
pub struct PeerEdits {
    inner: Mutex<Inner>,
    confirmed: Notify,
}

#[derive(Debug, Default)]
struct Inner {
    /// Per origin, in the order applied (which is the origin's sequence order).
    unconfirmed: HashMap<NodeId, VecDeque<Unconfirmed>>,
    /// Committed edits' acks, in commit order, each waiting for its peers' updates.
    held: VecDeque<(Awaited, Arc<Outbox>)>,
}

#[derive(Debug)]
struct Unconfirmed {
    seq: u64,
    applied_at: Millis,
    update: Bytes,
    taken_over: bool,
}

impl PeerEdits {
    /// Records a peer's update applied at `at`, unconfirmed until its origin stores it.
    pub fn applied(&self, origin: NodeId, seq: u64, at: Millis, update: Bytes) {
        self.inner
            .lock()
            .unconfirmed
            .entry(origin)
            .or_default()
            .push_back(Unconfirmed {
                seq,
                applied_at: at,
                update,
                taken_over: false,
            });
    }

    /// What an edit made now must wait for; `None` when every peer update is stored.
    pub fn awaited(&self) -> Option<Awaited> {
        let inner = self.inner.lock();
        let newest: Vec<(NodeId, u64)> = inner
            .unconfirmed
            .iter()
            .filter_map(|(origin, queue)| queue.back().map(|newest| (*origin, newest.seq)))
            .collect();
        (!newest.is_empty()).then_some(Awaited(newest))
    }

    /// `origin` stored every update it sent up to `through`: releases the acks now free.
    pub fn confirm(&self, origin: NodeId, through: u64) {
        let mut inner = self.inner.lock();
        let Some(queue) = inner.unconfirmed.get_mut(&origin) else {
            return;
        };
        while queue.front().is_some_and(|update| update.seq <= through) {
            queue.pop_front();
        }
        if queue.is_empty() {
            inner.unconfirmed.remove(&origin);
        }
        release(&mut inner);
        drop(inner);
        self.confirmed.notify_waiters();
    }

    /// Acks a stored edit now, or once the peers' updates it `awaits` are stored.
    /// Acks leave in commit order: one held ack holds back those after it.
    pub fn ack(&self, awaits: Option<&Awaited>, outbox: &Arc<Outbox>) {
        let mut inner = self.inner.lock();
        let free = awaits.is_none_or(|awaited| satisfied(&inner, awaited));
        if free && inner.held.is_empty() {
            outbox.push(ack_frame());
            return;
        }
        inner
            .held
            .push_back((awaits.cloned().unwrap_or_default(), outbox.clone()));
        metrics::gauge!("rocqet_cluster_acks_waiting").increment(1.0);
    }

    /// Resolves once every update in `awaited` is stored.
    pub async fn wait_for(&self, awaited: &Awaited) {
        loop {
            let confirmed = self.confirmed.notified();
            if satisfied(&self.inner.lock(), awaited) {
                return;
            }
            confirmed.await;
        }
    }

    /// Hands out, once each, the updates to store on their origin's behalf: those
    /// unconfirmed for [`TAKE_OVER_AFTER_MS`] at `now`, or all of them with `all`
    /// (the room is flushing). Each is confirmed once this node stored it.
    pub fn take_over(&self, now: Millis, all: bool) -> Vec<TakenOver> {
        let mut inner = self.inner.lock();
        let mut taken = Vec::new();
        for (origin, queue) in inner.unconfirmed.iter_mut() {
            for update in queue.iter_mut() {
                let overdue = now.saturating_sub(update.applied_at) >= TAKE_OVER_AFTER_MS;
                if !(all || overdue) {
                    // Applied in order, so the rest are younger still.
                    break;
                }
                if !update.taken_over {
                    update.taken_over = true;
                    taken.push(TakenOver {
                        origin: *origin,
                        seq: update.seq,
                        update: update.update.clone(),
                    });
                }
            }
        }
        taken
    }

    /// Acks held right now.
    pub fn held(&self) -> usize {
        self.inner.lock().held.len()
    }
}

impl Drop for PeerEdits {
    fn drop(&mut self) {
        let held = self.inner.get_mut().held.len();
        if held > 0 {
            metrics::gauge!("rocqet_cluster_acks_waiting").decrement(held as f64);
        }
    }
}

fn ack_frame() -> Bytes {
    Bytes::from_static(&rocqet_crdt::protocol::ACK_FRAME)
}

fn satisfied(inner: &Inner, awaited: &Awaited) -> bool {
    awaited.0.iter().all(|(origin, seq)| {
        inner
            .unconfirmed
            .get(origin)
            .and_then(VecDeque::front)
            .is_none_or(|oldest| oldest.seq > *seq)
    })
}

/// Sends the held acks whose updates are all stored, stopping at the first that is not.
fn release(inner: &mut Inner) {
    let mut released = 0usize;
    while inner
        .held
        .front()
        .is_some_and(|(awaited, _)| satisfied(inner, awaited))
    {
        if let Some((_, outbox)) = inner.held.pop_front() {
            outbox.push(ack_frame());
            released += 1;
        }
    }
    if released > 0 {
        metrics::gauge!("rocqet_cluster_acks_waiting").decrement(released as f64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    fn acks(outbox: &Outbox) -> usize {
        let mut frames = Vec::new();
        outbox.drain(&mut frames);
        frames.iter().filter(|f| f[..] == ack_frame()[..]).count()
    }

    fn update(n: u8) -> Bytes {
        Bytes::from(vec![n])
    }

    #[test]
    fn an_ack_with_nothing_unconfirmed_leaves_at_once() {
        let edits = PeerEdits::default();
        let outbox = Arc::new(Outbox::new(16));
        assert_eq!(edits.awaited(), None);
        edits.ack(edits.awaited().as_ref(), &outbox);
        assert_eq!(acks(&outbox), 1);
        assert_eq!(edits.held(), 0);
    }

    #[test]
    fn an_ack_waits_for_the_peer_updates_applied_before_it() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let edits = PeerEdits::default();
        let outbox = Arc::new(Outbox::new(16));
        edits.applied(a, 1, 0, update(1));
        edits.applied(a, 2, 0, update(2));
        edits.applied(b, 9, 0, update(3));
        let awaited = edits.awaited();
        // An update applied after the edit does not hold its ack.
        edits.applied(a, 3, 0, update(4));
        edits.ack(awaited.as_ref(), &outbox);
        assert_eq!((acks(&outbox), edits.held()), (0, 1));

        edits.confirm(a, 2);
        assert_eq!(acks(&outbox), 0, "b's update is still unconfirmed");
        edits.confirm(b, 9);
        assert_eq!((acks(&outbox), edits.held()), (1, 0));
        assert_eq!(edits.awaited(), Some(Awaited(vec![(a, 3)])));
    }

    #[test]
    fn acks_leave_in_commit_order() {
        let a = Uuid::new_v4();
        let edits = PeerEdits::default();
        let (first, second) = (Arc::new(Outbox::new(16)), Arc::new(Outbox::new(16)));
        edits.applied(a, 1, 0, update(1));
        edits.ack(edits.awaited().as_ref(), &first);
        // Free on its own, but committed after a held ack: it waits its turn.
        edits.ack(None, &second);
        assert_eq!((acks(&first), acks(&second)), (0, 0));
        edits.confirm(a, 1);
        assert_eq!((acks(&first), acks(&second)), (1, 1));
    }

    #[test]
    fn a_confirmation_from_a_stranger_or_for_older_updates_changes_nothing() {
        let a = Uuid::new_v4();
        let edits = PeerEdits::default();
        let outbox = Arc::new(Outbox::new(16));
        edits.applied(a, 5, 0, update(1));
        edits.ack(edits.awaited().as_ref(), &outbox);
        edits.confirm(Uuid::new_v4(), 100);
        edits.confirm(a, 4);
        assert_eq!((acks(&outbox), edits.held()), (0, 1));
    }

    #[test]
    fn overdue_updates_are_taken_over_once() {
        let (a, b) = (Uuid::new_v4(), Uuid::new_v4());
        let edits = PeerEdits::default();
        edits.applied(a, 1, 1_000, update(1));
        edits.applied(a, 2, 2_500, update(2));
        edits.applied(b, 7, 1_500, update(3));
        assert!(edits.take_over(3_999, false).is_empty());
        let taken = edits.take_over(4_000, false);
        assert_eq!(
            taken,
            vec![TakenOver {
                origin: a,
                seq: 1,
                update: update(1)
            }]
        );
        assert!(edits.take_over(4_000, false).is_empty(), "handed out once");
        let mut rest = edits.take_over(4_000, true);
        rest.sort_by_key(|t| t.seq);
        assert_eq!(
            rest.iter().map(|t| (t.origin, t.seq)).collect::<Vec<_>>(),
            vec![(a, 2), (b, 7)]
        );
        // Storing them is what confirms them.
        edits.confirm(a, 2);
        edits.confirm(b, 7);
        assert_eq!(edits.awaited(), None);
    }

    #[tokio::test]
    async fn waiting_for_updates_ends_when_they_are_confirmed() {
        let a = Uuid::new_v4();
        let edits = Arc::new(PeerEdits::default());
        edits.applied(a, 1, 0, update(1));
        let awaited = edits.awaited().expect("one unconfirmed");
        let waiter = {
            let edits = edits.clone();
            tokio::spawn(async move { edits.wait_for(&awaited).await })
        };
        tokio::task::yield_now().await;
        assert!(!waiter.is_finished());
        edits.confirm(a, 1);
        waiter.await.expect("waiter finishes");
    }
}
