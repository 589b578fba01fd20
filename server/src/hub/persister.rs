//! The write-behind queue: group-commits updates to `doc_updates`, then acks them.
//!
//! Updates are sharded by document so one document never has more than one
//! flush in flight and its commits stay in order; each shard gathers whatever
//! arrives within the batch window and writes it in one transaction. An
//! update that fails to store is retried, never dropped: it is already live
//! in its room, and its sender was not acked, so nothing acked is ever lost.
//! Scaled out, each commit tells the other nodes which published updates are
//! now stored, and an ack also waits for the peers' updates its edit may build
//! on (`peer_edits`).

use std::collections::HashMap;
use std::hash::BuildHasher;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use bytes::Bytes;
use tokio::sync::{Notify, mpsc};
use tokio::task::JoinHandle;

use crate::cluster::{Cluster, DocMessage, NodeId};
use crate::hub::outbox::Outbox;
use crate::hub::peer_edits::{Awaited, PeerEdits};
use crate::ids::DocId;
use crate::store::{PendingUpdate, Store};

/// Most updates written in one transaction; bounds statement size and commit latency.
const MAX_BATCH: usize = 512;
/// Above this many queued updates, sockets stop handing in new updates (their TCP
/// windows then push back on the clients) until the queue is below `LOW_WATER`.
const HIGH_WATER: u64 = 50_000;
const LOW_WATER: u64 = 25_000;
/// Retry delays while the database is unreachable.
const RETRY_MIN: Duration = Duration::from_millis(50);
const RETRY_MAX: Duration = Duration::from_secs(5);

/// One room's view of its updates in the queue.
#[derive(Debug, Default)]
pub struct PersistProgress {
    inflight: AtomicU64,
    /// Items ever queued, and ever finished: a document's items finish in queue order.
    queued_total: AtomicU64,
    finished_total: AtomicU64,
    finished: Notify,
    through_seq: AtomicI64,
    /// Highest sequence number this node published for the document and has stored.
    published_through: AtomicU64,
    idle: Notify,
    /// Peers' updates applied but not yet stored by their origin, and acks waiting on them.
    pub peers: Arc<PeerEdits>,
}

impl PersistProgress {
    /// A progress starting after `last_seq`, the newest row already in the log, whose
    /// acks wait on `peers`.
    pub fn new(last_seq: i64, peers: Arc<PeerEdits>) -> Self {
        Self {
            through_seq: AtomicI64::new(last_seq),
            peers,
            ..Self::default()
        }
    }

    /// Updates queued but not yet committed.
    pub fn inflight(&self) -> u64 {
        self.inflight.load(Ordering::Acquire)
    }

    /// Highest log seq committed for this document.
    pub fn through_seq(&self) -> i64 {
        self.through_seq.load(Ordering::Acquire)
    }

    /// Highest published sequence number stored, what `Stored` last told peers (0: none).
    pub fn published_through(&self) -> u64 {
        self.published_through.load(Ordering::Acquire)
    }

    /// Items queued so far, the mark [`PersistProgress::wait_finished`] waits for.
    pub fn queued_total(&self) -> u64 {
        self.queued_total.load(Ordering::Acquire)
    }

    /// Resolves once the first `count` items ever queued are stored: unlike waiting
    /// for idle, new writes queued meanwhile do not move the goal.
    pub async fn wait_finished(&self, count: u64) {
        loop {
            let finished = self.finished.notified();
            if self.finished_total.load(Ordering::Acquire) >= count {
                return;
            }
            finished.await;
        }
    }

    /// Resolves once nothing is in flight.
    pub async fn wait_idle(&self) {
        loop {
            let notified = self.idle.notified();
            if self.inflight() == 0 {
                return;
            }
            notified.await;
        }
    }
}

/// One queued item: an update to store (or `None` for an ack-only marker that keeps ack order).
#[derive(Debug)]
pub struct PersistItem {
    pub doc_id: DocId,
    pub data: Option<Bytes>,
    /// The sender's outbox when it asked for acks.
    pub ack: Option<Arc<Outbox>>,
    /// Peers' updates the ack also waits for (applied before this edit, not yet stored).
    pub awaits: Option<Awaited>,
    /// The sequence number this node published the update under, confirmed once stored.
    pub published: Option<u64>,
    /// A peer's update stored on its origin's behalf (origin, sequence number).
    pub taken_over: Option<(NodeId, u64)>,
    pub progress: Arc<PersistProgress>,
}

/// Handle to the persister shards.
#[derive(Debug, Clone)]
pub struct Persister {
    shards: Arc<[mpsc::UnboundedSender<PersistItem>]>,
    depth: Arc<AtomicU64>,
    relieved: Arc<Notify>,
    hasher: std::collections::hash_map::RandomState,
}

impl Persister {
    /// Starts `shards` writer tasks over `store`; they stop once every handle is dropped and the queue is drained.
    pub fn start(
        store: Arc<dyn Store>,
        shards: usize,
        window: Duration,
        cluster: Option<Cluster>,
    ) -> (Self, Vec<JoinHandle<()>>) {
        let depth = Arc::new(AtomicU64::new(0));
        let relieved = Arc::new(Notify::new());
        let mut senders = Vec::new();
        let mut tasks = Vec::new();
        for _ in 0..shards.max(1) {
            let (tx, rx) = mpsc::unbounded_channel();
            senders.push(tx);
            tasks.push(tokio::spawn(run_shard(
                store.clone(),
                cluster.clone(),
                rx,
                window,
                depth.clone(),
                relieved.clone(),
            )));
        }
        let persister = Self {
            shards: senders.into(),
            depth,
            relieved,
            hasher: Default::default(),
        };
        (persister, tasks)
    }

    /// Queues an item without waiting; returns false only when the persister has stopped.
    pub fn enqueue(&self, item: PersistItem) -> bool {
        let shard = (self.hasher.hash_one(item.doc_id) % self.shards.len() as u64) as usize;
        item.progress.inflight.fetch_add(1, Ordering::AcqRel);
        item.progress.queued_total.fetch_add(1, Ordering::AcqRel);
        // The depth gauge is published per commit and on /metrics, not per update.
        self.depth.fetch_add(1, Ordering::Relaxed);
        match self.shards[shard].send(item) {
            Ok(()) => true,
            Err(mpsc::error::SendError(item)) => {
                self.depth.fetch_sub(1, Ordering::Relaxed);
                finish(&item.progress, None);
                false
            }
        }
    }

    /// Waits while the queue is over its high-water mark.
    pub async fn wait_for_room(&self) {
        if self.depth() < HIGH_WATER {
            return;
        }
        metrics::counter!("rocqet_persist_backpressure_total").increment(1);
        loop {
            let relieved = self.relieved.notified();
            if self.depth() < LOW_WATER {
                return;
            }
            relieved.await;
        }
    }

    /// Items queued across all shards.
    pub fn depth(&self) -> u64 {
        self.depth.load(Ordering::Relaxed)
    }
}

fn finish(progress: &PersistProgress, seq: Option<i64>) {
    if let Some(seq) = seq {
        progress.through_seq.fetch_max(seq, Ordering::AcqRel);
    }
    progress.finished_total.fetch_add(1, Ordering::AcqRel);
    progress.finished.notify_waiters();
    if progress.inflight.fetch_sub(1, Ordering::AcqRel) == 1 {
        progress.idle.notify_waiters();
    }
}

async fn run_shard(
    store: Arc<dyn Store>,
    cluster: Option<Cluster>,
    mut rx: mpsc::UnboundedReceiver<PersistItem>,
    window: Duration,
    depth: Arc<AtomicU64>,
    relieved: Arc<Notify>,
) {
    let mut batch: Vec<PersistItem> = Vec::new();
    while let Some(first) = rx.recv().await {
        batch.push(first);
        gather(&mut rx, &mut batch, window).await;
        commit(&*store, cluster.as_ref(), &batch).await;
        if depth.fetch_sub(batch.len() as u64, Ordering::Relaxed) - batch.len() as u64 <= LOW_WATER
        {
            relieved.notify_waiters();
        }
        metrics::gauge!("rocqet_persist_queue_depth").set(depth.load(Ordering::Relaxed) as f64);
        batch.clear();
    }
}

/// Collects what is already queued, then waits out the window for stragglers.
async fn gather(
    rx: &mut mpsc::UnboundedReceiver<PersistItem>,
    batch: &mut Vec<PersistItem>,
    window: Duration,
) {
    let deadline = tokio::time::Instant::now() + window;
    while batch.len() < MAX_BATCH {
        match rx.try_recv() {
            Ok(item) => batch.push(item),
            Err(_) => match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some(item)) => batch.push(item),
                Ok(None) | Err(_) => break,
            },
        }
    }
}

/// Writes one batch, retrying until it is stored, then tells the other nodes which
/// of their unconfirmed updates from this node are stored and releases its acks
/// (each connection's in order; `PeerEdits` holds those waiting for peers).
async fn commit(store: &dyn Store, cluster: Option<&Cluster>, batch: &[PersistItem]) {
    let rows: Vec<PendingUpdate> = batch
        .iter()
        .filter_map(|item| {
            item.data.as_ref().map(|data| PendingUpdate {
                doc_id: item.doc_id,
                data: data.clone(),
            })
        })
        .collect();
    let mut seqs = HashMap::new();
    if !rows.is_empty() {
        let mut delay = RETRY_MIN;
        loop {
            let started = Instant::now();
            match store.append_updates(&rows).await {
                Ok(written) => {
                    metrics::histogram!("rocqet_persist_seconds")
                        .record(started.elapsed().as_secs_f64());
                    seqs = written.into_iter().collect();
                    break;
                }
                Err(error) => {
                    tracing::warn!(%error, rows = rows.len(), "persisting updates failed; retrying");
                    metrics::counter!("rocqet_persist_retries_total").increment(1);
                    tokio::time::sleep(delay).await;
                    delay = (delay * 2).min(RETRY_MAX);
                }
            }
        }
    }
    metrics::counter!("rocqet_updates_persisted_total").increment(rows.len() as u64);
    if let Some(cluster) = cluster {
        // One confirmation per document: a shard commits a document's updates in order.
        let mut stored: HashMap<DocId, u64> = HashMap::new();
        for item in batch {
            if let Some(published) = item.published.filter(|_| seqs.contains_key(&item.doc_id)) {
                let through = stored.entry(item.doc_id).or_default();
                *through = (*through).max(published);
            }
        }
        for (doc, through) in stored {
            cluster.publish(doc, DocMessage::Stored(through));
        }
    }
    for item in batch {
        let seq = seqs.get(&item.doc_id).copied();
        if let Some(published) = item.published.filter(|_| seq.is_some()) {
            item.progress
                .published_through
                .fetch_max(published, Ordering::AcqRel);
        }
        if let Some((origin, published)) = item.taken_over {
            item.progress.peers.stored_here(origin, published);
        }
        if let Some(outbox) = &item.ack {
            item.progress.peers.ack(item.awaits.as_ref(), outbox);
        }
        finish(&item.progress, seq);
    }
}
