//! A room's housekeeping: awareness expiry, pings, JSON saves, compaction,
//! and the flushes behind unloading, closing and reloading.

use std::time::Duration;

use bytes::Bytes;
use rocqet_crdt::protocol;
use tokio::sync::mpsc;
use yrs::{ReadTxn, StateVector, Transact};

use super::{COMPACT_AFTER_ROWS, JSON_SAVE_EVERY_MS, PING_EVERY_MS, Room, RoomCommand};
use crate::hub::{close, presence};
use crate::versions::CutRequest;

/// How long a flush waits for peers to confirm their updates before storing them itself.
const FLUSH_CONFIRM_WAIT: Duration = Duration::from_secs(1);

impl Room {
    /// Housekeeping; returns true when the room should unload.
    pub(super) fn tick(&mut self) -> bool {
        let now = self.ctx.clock.now_ms();
        if let Some(update) = presence::expire_stale(&mut self.awareness, now) {
            self.broadcast(Bytes::from(protocol::encode_awareness(&update)), None);
        }
        if now.saturating_sub(self.last_ping) >= PING_EVERY_MS {
            self.last_ping = now;
            self.broadcast(Bytes::new(), None);
        }
        self.take_over_unconfirmed(false);
        if self.versions.due(now) {
            self.cut_version(CutRequest::auto(), None);
        }
        // The stored JSON only feeds listing and search; rewriting it (and its search
        // index) every second per busy document stalled the log's commits, and every
        // ack with them, so a busy document refreshes it at most every few seconds.
        if self.json_dirty && now.saturating_sub(self.json_saved_at) >= JSON_SAVE_EVERY_MS {
            self.json_saved_at = now;
            self.save_json_in_background();
        }
        if self.rows_since_compact >= COMPACT_AFTER_ROWS {
            self.compact_in_background();
        }
        match self.empty_since {
            Some(since) => now.saturating_sub(since) >= self.ctx.limits.idle_unload_ms(),
            None => false,
        }
    }

    fn save_json_in_background(&mut self) {
        self.json_dirty = false;
        self.remote_json_dirty = false;
        let json = rocqet_crdt::materialise(self.awareness.doc(), self.kind);
        let (store, id, lock) = (self.ctx.store.clone(), self.id, self.save_lock.clone());
        tokio::spawn(async move {
            let _guard = lock.lock().await;
            if let Err(error) = store.save_materialised(id, &json).await {
                tracing::warn!(doc = %id, %error, "saving materialised JSON failed");
            }
        });
    }

    /// Folds the log into the snapshot. Safe while live: every row up to `through_seq`
    /// is already in the doc, and rows written later stay in the log.
    fn compact_in_background(&mut self) {
        self.rows_since_compact = 0;
        let state = self
            .awareness
            .doc()
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        let through = self.progress.through_seq();
        let (store, id, lock) = (self.ctx.store.clone(), self.id, self.save_lock.clone());
        tokio::spawn(async move {
            let _guard = lock.lock().await;
            if let Err(error) = store.compact(id, &state, through).await {
                tracing::warn!(doc = %id, %error, "compaction failed");
            }
        });
    }

    /// Cuts a version of unversioned changes, waits for queued updates, versions and
    /// background saves, then saves JSON and compacts.
    pub(super) async fn flush(&mut self) {
        if self.versions.is_dirty() {
            self.cut_version(CutRequest::auto(), None);
        }
        self.versions.written().await;
        // Peers normally confirm within milliseconds; what they have not confirmed by
        // then is stored here, since this room's memory is about to go.
        if let Some(awaited) = self.progress.peers.awaited() {
            let confirmed = self.progress.peers.wait_for(&awaited);
            let _ = tokio::time::timeout(FLUSH_CONFIRM_WAIT, confirmed).await;
        }
        self.take_over_unconfirmed(true);
        self.progress.wait_idle().await;
        let _guard = self.save_lock.clone().lock_owned().await;
        let doc = self.awareness.doc();
        if self.json_dirty || self.remote_json_dirty {
            self.json_dirty = false;
            self.remote_json_dirty = false;
            let json = rocqet_crdt::materialise(doc, self.kind);
            if let Err(error) = self.ctx.store.save_materialised(self.id, &json).await {
                tracing::warn!(doc = %self.id, %error, "saving materialised JSON failed");
            }
        }
        if self.rows_since_compact > 0 {
            let state = doc
                .transact()
                .encode_state_as_update_v1(&StateVector::default());
            match self
                .ctx
                .store
                .compact(self.id, &state, self.progress.through_seq())
                .await
            {
                Ok(()) => self.rows_since_compact = 0,
                Err(error) => tracing::warn!(doc = %self.id, %error, "compaction failed"),
            }
        }
    }

    /// Drops the untrustworthy in-memory document: waits for what was already queued
    /// (all of it applied before the panic), closes every connection so clients
    /// reconnect to a fresh load, and leaves the hub without compacting.
    pub(super) async fn reload(&mut self) {
        // The next room starts with no record of peers' unconfirmed updates.
        self.take_over_unconfirmed(true);
        self.progress.wait_idle().await;
        for joined in self.members.values() {
            joined
                .member
                .outbox
                .close(close::INTERNAL, "document reloading");
        }
        self.members.clear();
        self.ctx.forget_room(self.id, self.generation);
    }

    /// Flushes and leaves the hub, unless someone joined meanwhile. Returns true if unloaded.
    pub(super) async fn unload(&mut self, rx: &mut mpsc::Receiver<RoomCommand>) -> bool {
        self.flush().await;
        // Anything that arrived during the flush wins over unloading.
        if !rx.is_empty() || !self.members.is_empty() {
            return false;
        }
        self.ctx.forget_room(self.id, self.generation);
        rx.close();
        tracing::debug!(doc = %self.id, "room unloaded");
        true
    }
}
