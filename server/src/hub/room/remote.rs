//! A room's side of scale-out: applying and fanning out what other nodes'
//! clients did, answering their sync questions, and telling them about ours.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use rocqet_crdt::ApplyError;
use rocqet_crdt::protocol;
use yrs::sync::AwarenessUpdate;
use yrs::updates::decoder::Decode;
use yrs::updates::encoder::Encode;
use yrs::{ReadTxn, StateVector, Transact};

use super::{EMPTY_UPDATE, Room, decode_quietly};
use crate::cluster::{DocMessage, NodeId};
use crate::hub::peer_edits::TakenOver;
use crate::hub::persister::{PersistItem, PersistProgress};
use crate::hub::{HubContext, presence};
use crate::ids::DocId;

/// How long an answer to a peer's sync question waits for the peers' updates in
/// it to be confirmed before storing them here; well inside the asker's catch-up wait.
const ANSWER_CONFIRM_WAIT: Duration = Duration::from_millis(500);

impl Room {
    /// Handles one message another node sent about this document.
    pub(super) fn remote(&mut self, from: NodeId, message: DocMessage) {
        match message {
            DocMessage::Update { seq, update } => {
                if self.remote_update(update.clone()) {
                    let now = self.ctx.clock.now_ms();
                    self.progress.peers.applied(from, seq, now, update);
                }
            }
            // The hub hands these to `PeerEdits` directly; kept for completeness.
            DocMessage::Stored(through) => self.progress.peers.confirm(from, through),
            DocMessage::Step2(update) => {
                self.remote_update(update);
            }
            DocMessage::Awareness(bytes) => self.remote_awareness(&bytes),
            DocMessage::Hello(sv) => {
                self.answer_step1(from, &sv);
                if let Some(cluster) = &self.ctx.cluster {
                    let ours = self.awareness.doc().transact().state_vector().encode_v1();
                    cluster.send_to(from, self.id, DocMessage::Step1(Bytes::from(ours)));
                    if let Some(update) = presence::full_state(&self.awareness) {
                        cluster.send_to(
                            from,
                            self.id,
                            DocMessage::Awareness(Bytes::from(update.encode_v1())),
                        );
                    }
                }
            }
            DocMessage::Step1(sv) => self.answer_step1(from, &sv),
        }
    }

    /// Asks every peer for what we missed (after Redis came back), and repeats which
    /// of our updates are stored, in case that confirmation was lost with the link.
    pub(super) fn resync(&self) {
        if let Some(cluster) = &self.ctx.cluster {
            let sv = self.awareness.doc().transact().state_vector().encode_v1();
            cluster.publish(self.id, DocMessage::Hello(Bytes::from(sv)));
            let stored = self.progress.published_through();
            if stored > 0 {
                cluster.publish(self.id, DocMessage::Stored(stored));
            }
        }
    }

    /// Stores peers' updates whose origin never confirmed them in time (or all of
    /// them when flushing), so no edit held here depends on one only memory holds.
    pub(super) fn take_over_unconfirmed(&mut self, all: bool) {
        let taken = self.progress.peers.take_over(self.ctx.clock.now_ms(), all);
        self.rows_since_compact += store_on_behalf(&self.ctx, self.id, &self.progress, taken);
    }

    /// Tells the other nodes about an awareness change of this node's clients.
    pub(super) fn publish_awareness(&self, update: &AwarenessUpdate) {
        if let Some(cluster) = &self.ctx.cluster {
            cluster.publish(
                self.id,
                DocMessage::Awareness(Bytes::from(update.encode_v1())),
            );
        }
    }

    /// Sends a peer what its state vector lacks, once everything in the answer is
    /// stored (this node's queued writes, and peers' updates it applied): an answer
    /// is never the only copy of an edit outside its origin's memory.
    fn answer_step1(&self, to: NodeId, sv: &[u8]) {
        let Some(cluster) = self.ctx.cluster.clone() else {
            return;
        };
        let Some(sv) = decode_quietly(|| StateVector::decode_v1(sv).ok()) else {
            tracing::warn!(doc = %self.id, node = %to, "peer sent a malformed state vector");
            return;
        };
        let update = self
            .awareness
            .doc()
            .transact()
            .encode_state_as_update_v1(&sv);
        let awaited = self.progress.peers.awaited();
        let queued = self.progress.queued_total();
        let (ctx, progress, doc) = (self.ctx.clone(), self.progress.clone(), self.id);
        tokio::spawn(async move {
            // This node's own writes in the answer: one commit away, however busy the
            // document keeps the queue.
            progress.wait_finished(queued).await;
            if let Some(awaited) = awaited {
                // Normally confirmed within milliseconds. A silent origin (dead, or its
                // confirmation lost) must not keep a loading peer past its catch-up
                // window, so what is still unconfirmed by then is stored here (one
                // more commit).
                let confirmed = progress.peers.wait_for(&awaited);
                if tokio::time::timeout(ANSWER_CONFIRM_WAIT, confirmed)
                    .await
                    .is_err()
                {
                    let taken = progress.peers.take_over(ctx.clock.now_ms(), true);
                    store_on_behalf(&ctx, doc, &progress, taken);
                    progress.peers.wait_for(&awaited).await;
                }
            }
            cluster.send_to(to, doc, DocMessage::Step2(Bytes::from(update)));
        });
    }

    /// Applies another node's update and fans it out to our clients; false when
    /// it was dropped (empty or malformed).
    fn remote_update(&mut self, update: Bytes) -> bool {
        if update.is_empty() || &update[..] == EMPTY_UPDATE {
            return false;
        }
        // Peers' updates may arrive before what they depend on (after an outage),
        // so pending content is allowed here, unlike from clients.
        match rocqet_crdt::apply_update(self.awareness.doc(), &update) {
            Ok(()) => {}
            Err(ApplyError::Invalid(error)) => {
                tracing::warn!(doc = %self.id, %error, "dropping a peer's malformed update");
                return false;
            }
            Err(ApplyError::PartlyApplied(_) | ApplyError::Panicked) => {
                tracing::error!(doc = %self.id, "a peer's update left the document untrustworthy; reloading it");
                self.poisoned = true;
                return false;
            }
        }
        self.doc_bytes += update.len();
        self.remote_json_dirty = true;
        self.broadcast(Bytes::from(protocol::encode_update(&update)), None);
        true
    }

    fn remote_awareness(&mut self, bytes: &[u8]) {
        let Some(mut update) = decode_quietly(|| AwarenessUpdate::decode_v1(bytes).ok()) else {
            tracing::warn!(doc = %self.id, "dropping a peer's malformed awareness update");
            return;
        };
        // A peer's client may not speak for awareness ids our own connections hold.
        update.clients.retain(|client, _| {
            !self
                .members
                .values()
                .any(|joined| joined.awareness_clients.contains(client))
        });
        if update.clients.is_empty() {
            return;
        }
        let frame = Bytes::from(protocol::encode_awareness(&update));
        if self.awareness.apply_update(update).is_ok() {
            self.broadcast(frame, None);
        }
    }
}

/// Queues peers' updates for storage on their origins' behalf; how many.
fn store_on_behalf(
    ctx: &HubContext,
    doc: DocId,
    progress: &Arc<PersistProgress>,
    taken: Vec<TakenOver>,
) -> usize {
    let count = taken.len();
    for taken in taken {
        tracing::info!(%doc, origin = %taken.origin, seq = taken.seq, "storing a peer's unconfirmed update");
        metrics::counter!("rocqet_cluster_updates_taken_over_total").increment(1);
        let item = PersistItem {
            doc_id: doc,
            data: Some(taken.update),
            ack: None,
            awaits: None,
            published: None,
            taken_over: Some((taken.origin, taken.seq)),
            progress: progress.clone(),
        };
        if !ctx.persister.enqueue(item) {
            tracing::error!(%doc, "persister stopped; a peer's update kept in memory only");
        }
    }
    count
}
