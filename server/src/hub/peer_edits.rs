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

use std::collections::{BTreeMap, HashMap, VecDeque};
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
    origins: HashMap<NodeId, Origin>,
    /// Committed edits' acks, in commit order, each waiting for its peers' updates.
    held: VecDeque<(Awaited, Arc<Outbox>)>,
}

/// What one peer sent: messages may arrive out of order (a full mailbox, a
/// confirmation handled off the room's task), so both sides are keyed by seq.
#[derive(Debug, Default)]
struct Origin {
    /// The origin said it stored everything up to here.
    stored_through: u64,
    unconfirmed: BTreeMap<u64, Unconfirmed>,
}

#[derive(Debug)]
struct Unconfirmed {
    applied_at: Millis,
    update: Bytes,
    taken_over: bool,
}

impl PeerEdits {
    /// Records a peer's update applied at `at`, unconfirmed until it is stored.
    pub fn applied(&self, origin: NodeId, seq: u64, at: Millis, update: Bytes) {
        let mut inner = self.inner.lock();
        let origin = inner.origins.entry(origin).or_default();
        if seq > origin.stored_through {
            origin.unconfirmed.insert(
                seq,
                Unconfirmed {
                    applied_at: at,
                    update,
                    taken_over: false,
                },
            );
        }
    }

    /// What an edit made now must wait for; `None` when every peer update is stored.
    pub fn awaited(&self) -> Option<Awaited> {
        let inner = self.inner.lock();
        let newest: Vec<(NodeId, u64)> = inner
            .origins
            .iter()
            .filter_map(|(id, origin)| origin.unconfirmed.keys().next_back().map(|seq| (*id, *seq)))
            .collect();
        (!newest.is_empty()).then_some(Awaited(newest))
    }

    /// `origin` stored every update it sent up to `through`: releases the acks now free.
    pub fn confirm(&self, origin: NodeId, through: u64) {
        let mut inner = self.inner.lock();
        let entry = inner.origins.entry(origin).or_default();
        entry.stored_through = entry.stored_through.max(through);
        entry.unconfirmed = entry.unconfirmed.split_off(&through.saturating_add(1));
        self.released(inner);
    }

    /// This node stored one of `origin`'s updates itself (taken over).
    pub fn stored_here(&self, origin: NodeId, seq: u64) {
        let mut inner = self.inner.lock();
        if let Some(entry) = inner.origins.get_mut(&origin) {
            entry.unconfirmed.remove(&seq);
        }
        self.released(inner);
    }

    /// Acks a stored edit now, or once the peers' updates it `awaits` are stored.
    /// A connection's acks leave in commit order: a held one holds back its successors.
    pub fn ack(&self, awaits: Option<&Awaited>, outbox: &Arc<Outbox>) {
        let mut inner = self.inner.lock();
        let free = awaits.is_none_or(|awaited| satisfied(&inner, awaited));
        let queued_behind = inner.held.iter().any(|(_, held)| Arc::ptr_eq(held, outbox));
        if free && !queued_behind {
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
    /// unconfirmed for [`TAKE_OVER_AFTER_MS`] at `now`, or all of them with `all`.
    /// Each counts as stored once this node has stored it ([`PeerEdits::stored_here`]).
    pub fn take_over(&self, now: Millis, all: bool) -> Vec<TakenOver> {
        let mut inner = self.inner.lock();
        let mut taken = Vec::new();
        for (id, origin) in inner.origins.iter_mut() {
            for (seq, update) in origin.unconfirmed.iter_mut() {
                let overdue = now.saturating_sub(update.applied_at) >= TAKE_OVER_AFTER_MS;
                if (all || overdue) && !update.taken_over {
                    update.taken_over = true;
                    taken.push(TakenOver {
                        origin: *id,
                        seq: *seq,
                        update: update.update.clone(),
                    });
                }
            }
        }
        taken
    }

    /// Acks held right now.
    #[cfg(test)]
    fn held(&self) -> usize {
        self.inner.lock().held.len()
    }

    /// Sends the held acks now free (each connection's in order) and wakes waiters.
    fn released(&self, mut inner: parking_lot::MutexGuard<'_, Inner>) {
        let held = std::mem::take(&mut inner.held);
        let mut blocked: Vec<Arc<Outbox>> = Vec::new();
        let mut released = 0usize;
        for (awaited, outbox) in held {
            let behind = blocked.iter().any(|b| Arc::ptr_eq(b, &outbox));
            if !behind && satisfied(&inner, &awaited) {
                outbox.push(ack_frame());
                released += 1;
            } else {
                if !behind {
                    blocked.push(outbox.clone());
                }
                inner.held.push_back((awaited, outbox));
            }
        }
        drop(inner);
        if released > 0 {
            metrics::gauge!("rocqet_cluster_acks_waiting").decrement(released as f64);
        }
        self.confirmed.notify_waiters();
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
    awaited.0.iter().all(|(id, seq)| {
        inner
            .origins
            .get(id)
            .and_then(|origin| origin.unconfirmed.keys().next())
            .is_none_or(|oldest| oldest > seq)
    })
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
    fn a_connections_acks_leave_in_commit_order() {
        let a = Uuid::new_v4();
        let edits = PeerEdits::default();
        let outbox = Arc::new(Outbox::new(16));
        edits.applied(a, 1, 0, update(1));
        edits.ack(edits.awaited().as_ref(), &outbox);
        // Free on its own, but committed after a held ack of its connection: it waits its turn.
        edits.ack(None, &outbox);
        assert_eq!((acks(&outbox), edits.held()), (0, 2));
        edits.confirm(a, 1);
        assert_eq!((acks(&outbox), edits.held()), (2, 0));
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
        // Storing them here is what confirms them, one by one.
        edits.stored_here(a, 2);
        let mut left = edits.awaited().expect("two left").0;
        left.sort_by_key(|(_, seq)| *seq);
        assert_eq!(left, vec![(a, 1), (b, 7)]);
        edits.stored_here(a, 1);
        edits.stored_here(b, 7);
        assert_eq!(edits.awaited(), None);
    }

    #[test]
    fn updates_arriving_out_of_order_still_hold_the_ack() {
        let a = Uuid::new_v4();
        let edits = PeerEdits::default();
        let outbox = Arc::new(Outbox::new(16));
        edits.applied(a, 6, 0, update(6));
        edits.applied(a, 5, 0, update(5));
        edits.ack(edits.awaited().as_ref(), &outbox);
        assert_eq!(edits.held(), 1);
        edits.confirm(a, 5);
        assert_eq!(acks(&outbox), 0, "6 is still unconfirmed");
        edits.confirm(a, 6);
        assert_eq!(acks(&outbox), 1);
    }

    #[test]
    fn a_confirmation_before_its_update_is_remembered() {
        let a = Uuid::new_v4();
        let edits = PeerEdits::default();
        edits.confirm(a, 3);
        edits.applied(a, 3, 0, update(3));
        assert_eq!(edits.awaited(), None, "already stored by its origin");
        edits.applied(a, 4, 0, update(4));
        assert_eq!(edits.awaited(), Some(Awaited(vec![(a, 4)])));
    }

    #[test]
    fn a_held_ack_holds_back_only_its_own_connection() {
        let a = Uuid::new_v4();
        let edits = PeerEdits::default();
        let (waiting, other) = (Arc::new(Outbox::new(16)), Arc::new(Outbox::new(16)));
        edits.applied(a, 1, 0, update(1));
        edits.ack(edits.awaited().as_ref(), &waiting);
        edits.ack(None, &waiting);
        edits.ack(None, &other);
        assert_eq!((acks(&waiting), acks(&other)), (0, 1));
        edits.confirm(a, 1);
        assert_eq!(acks(&waiting), 2);
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
