//! Scale-out over Redis: several nodes serve the same documents.
//!
//! Each node subscribes to one channel per loaded document, publishes there what
//! its own clients send (updates and awareness at once, tagged with its node id,
//! so it skips its own), and applies what the others publish. Every update is
//! stored by the node its client sent it to, which then says `Stored`; until
//! then the other nodes hold it as unconfirmed (`hub::peer_edits`) and hold back
//! acks for edits that may build on it, so an ack still means "stored" on every
//! node. A node loading a document others already serve asks them for what it
//! lacks (`Hello` → `Step2`, answered once everything in the answer is stored),
//! so a late node never serves stale content. Access changes travel on a notices
//! channel. Redis is never the source of truth: after an outage nodes re-sync
//! every loaded document, and a peer's update never confirmed is stored by the
//! nodes that hold it.

pub mod inbound;
mod link;
pub mod notice;
pub mod wire;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, OnceLock, Weak};
use std::time::Duration;

use bytes::Bytes;
use parking_lot::Mutex;
use redis::aio::MultiplexedConnection;
use tokio::sync::{mpsc, oneshot};

use crate::hub::{Hub, HubContext};
use crate::ids::DocId;
pub use link::Inbound;
pub use notice::Notice;
pub use wire::{Body, DocMessage, NodeId};

/// How long a loading node waits for its peers' answers before serving what it has.
const CATCH_UP_WAIT: Duration = Duration::from_secs(2);
/// How long a room waits for its subscription before loading anyway (Redis down).
const SUBSCRIBE_WAIT: Duration = Duration::from_secs(1);
/// Bound on any one request to Redis, so a Redis that stops answering counts as down.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(2);
/// Most messages waiting to be published. Beyond it Redis is not keeping up: new
/// messages are dropped and the link restarts, whose re-sync brings peers what they missed.
const MAX_QUEUED: usize = 65_536;

/// What can go wrong setting up the cluster link.
#[derive(Debug, thiserror::Error)]
pub enum ClusterError {
    #[error("bad Redis URL: {0}")]
    Url(String),
}

/// This node's handle on the cluster; cheap to clone.
#[derive(Clone)]
pub struct Cluster {
    inner: Arc<Inner>,
}

impl std::fmt::Debug for Cluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Cluster")
            .field("node", &self.inner.node)
            .field("up", &self.is_up())
            .finish()
    }
}

struct Inner {
    node: NodeId,
    channels: Channels,
    client: redis::Client,
    /// The publishing connection while Redis is reachable (so also: is the link up?).
    publisher: Mutex<Option<MultiplexedConnection>>,
    link: mpsc::UnboundedSender<link::Command>,
    outgoing: mpsc::UnboundedSender<(String, Bytes)>,
    /// Messages in `outgoing` not yet taken by the publisher.
    queued: AtomicUsize,
    /// The queue overflowed and the link was told to restart; cleared once it is up.
    overflowed: AtomicBool,
    /// Counts links made; a restart request names the link it is about.
    link_epoch: AtomicU64,
    /// Where document messages go once the hub exists (before: the inbound queue);
    /// weak, so the link does not keep the hub alive.
    hub: OnceLock<Weak<HubContext>>,
    /// The last sequence number given to an update this node published.
    last_seq: AtomicU64,
    /// Documents loading right now, collecting their peers' `Step2` answers.
    catching_up: Mutex<HashMap<DocId, mpsc::UnboundedSender<(NodeId, Bytes)>>>,
}

/// Channel names, all under one prefix so clusters (and tests) can share a Redis.
#[derive(Debug, Clone)]
struct Channels {
    prefix: String,
}

impl Channels {
    fn doc(&self, doc: DocId) -> String {
        format!("{}:doc:{doc}", self.prefix)
    }

    fn node(&self, node: NodeId) -> String {
        format!("{}:node:{node}", self.prefix)
    }

    fn notices(&self) -> String {
        format!("{}:notices", self.prefix)
    }
}

impl Cluster {
    /// Connects (in the background) to the Redis at `url`; what other nodes send
    /// arrives on the returned receiver. Starts even when Redis is down.
    pub fn start(
        url: &str,
        prefix: &str,
    ) -> Result<(Cluster, mpsc::UnboundedReceiver<Inbound>), ClusterError> {
        let client = redis::Client::open(url).map_err(|e| ClusterError::Url(e.to_string()))?;
        let (link_tx, link_rx) = mpsc::unbounded_channel();
        let (out_tx, out_rx) = mpsc::unbounded_channel();
        let (in_tx, in_rx) = mpsc::unbounded_channel();
        let cluster = Cluster {
            inner: Arc::new(Inner {
                node: NodeId::new_v4(),
                channels: Channels {
                    prefix: prefix.to_owned(),
                },
                client,
                publisher: Mutex::new(None),
                link: link_tx,
                outgoing: out_tx,
                queued: AtomicUsize::new(0),
                overflowed: AtomicBool::new(false),
                link_epoch: AtomicU64::new(0),
                hub: OnceLock::new(),
                last_seq: AtomicU64::new(0),
                catching_up: Mutex::new(HashMap::new()),
            }),
        };
        tokio::spawn(link::run(cluster.clone(), link_rx, in_tx));
        tokio::spawn(link::publish(cluster.clone(), out_rx));
        Ok((cluster, in_rx))
    }

    /// Hands document messages from other nodes straight to `hub`'s rooms from now on.
    pub fn deliver_to(&self, hub: &Hub) {
        let _ = self.inner.hub.set(hub.rooms_weak());
    }

    /// This node's id, the tag on everything it publishes.
    pub fn node(&self) -> NodeId {
        self.inner.node
    }

    /// Is the link to Redis up right now?
    pub fn is_up(&self) -> bool {
        self.inner.publisher.lock().is_some()
    }

    /// Answers Redis' PING (for `/readyz`).
    pub async fn ping(&self) -> bool {
        let Some(mut conn) = self.inner.publisher.lock().clone() else {
            return false;
        };
        let pong = tokio::time::timeout(
            REQUEST_TIMEOUT,
            redis::cmd("PING").query_async::<String>(&mut conn),
        )
        .await;
        matches!(pong, Ok(Ok(_)))
    }

    /// Subscribes to a document's channel, waiting (bounded) until Redis confirms,
    /// so nothing published after this returns is missed; false when unconfirmed
    /// (Redis down or slow: the re-sync after reconnecting covers it). Counted:
    /// every call is matched by one [`Cluster::unsubscribe`].
    pub async fn subscribe(&self, doc: DocId) -> bool {
        let (done, confirmed) = oneshot::channel();
        if self
            .inner
            .link
            .send(link::Command::Subscribe(doc, done))
            .is_err()
        {
            return false;
        }
        matches!(
            tokio::time::timeout(SUBSCRIBE_WAIT, confirmed).await,
            Ok(Ok(true))
        )
    }

    /// Drops one subscription to a document's channel.
    pub fn unsubscribe(&self, doc: DocId) {
        let _ = self.inner.link.send(link::Command::Unsubscribe(doc));
    }

    /// Publishes to everyone serving `doc`.
    pub fn publish(&self, doc: DocId, message: DocMessage) {
        self.send(self.inner.channels.doc(doc), Body::Doc(doc, message));
    }

    /// Publishes an update a client of this node made, before it is stored;
    /// returns the sequence number its `Stored` will confirm.
    pub fn publish_update(&self, doc: DocId, update: Bytes) -> u64 {
        let seq = self.inner.last_seq.fetch_add(1, Ordering::Relaxed) + 1;
        self.publish(doc, DocMessage::Update { seq, update });
        seq
    }

    /// Sends to one node.
    pub fn send_to(&self, node: NodeId, doc: DocId, message: DocMessage) {
        self.send(self.inner.channels.node(node), Body::Doc(doc, message));
    }

    /// Tells every other node about an access change.
    pub fn announce(&self, notice: Notice) {
        self.send(self.inner.channels.notices(), Body::Notice(notice));
    }

    fn send(&self, channel: String, body: Body) {
        if self.inner.queued.fetch_add(1, Ordering::AcqRel) >= MAX_QUEUED {
            self.inner.queued.fetch_sub(1, Ordering::AcqRel);
            metrics::counter!("rocqet_cluster_messages_total", "direction" => "dropped")
                .increment(1);
            if !self.inner.overflowed.swap(true, Ordering::AcqRel) {
                tracing::warn!("Redis is not keeping up; dropping messages and re-syncing");
                let epoch = self.inner.link_epoch.load(Ordering::Acquire);
                let _ = self.inner.link.send(link::Command::Reconnect(epoch));
            }
            return;
        }
        let bytes = wire::encode(self.inner.node, unix_ms(), &body);
        let _ = self.inner.outgoing.send((channel, bytes));
    }

    /// Asks the nodes serving `doc` for what a state with state vector `sv` (v1
    /// encoded) lacks, and returns their answers: at most one per node that heard
    /// the question, bounded in time. Empty when no one else serves it or Redis is down.
    pub async fn catch_up(&self, doc: DocId, sv: Vec<u8>) -> Vec<Bytes> {
        let Some(mut conn) = self.inner.publisher.lock().clone() else {
            return Vec::new();
        };
        let (tx, mut rx) = mpsc::unbounded_channel();
        self.inner.catching_up.lock().insert(doc, tx);
        let hello = wire::encode(
            self.inner.node,
            unix_ms(),
            &Body::Doc(doc, DocMessage::Hello(Bytes::from(sv))),
        );
        let mut publish = redis::cmd("PUBLISH");
        publish
            .arg(self.inner.channels.doc(doc))
            .arg(hello.as_ref());
        let heard =
            tokio::time::timeout(REQUEST_TIMEOUT, publish.query_async::<usize>(&mut conn)).await;
        // We are subscribed ourselves, so one listener is this node.
        let peers = match heard {
            Ok(Ok(n)) => n.saturating_sub(1),
            _ => 0,
        };
        let mut answered = std::collections::HashSet::new();
        let mut answers = Vec::with_capacity(peers);
        let deadline = tokio::time::Instant::now() + CATCH_UP_WAIT;
        while answered.len() < peers {
            match tokio::time::timeout_at(deadline, rx.recv()).await {
                Ok(Some((node, update))) => {
                    answered.insert(node);
                    answers.push(update);
                }
                Ok(None) | Err(_) => break,
            }
        }
        self.inner.catching_up.lock().remove(&doc);
        // Answers that slipped in after the wait ended are still ours to apply.
        while let Ok((_, update)) = rx.try_recv() {
            answers.push(update);
        }
        if answered.len() < peers {
            tracing::warn!(doc = %doc, peers, answered = answered.len(), "not every peer answered the catch-up");
        }
        answers
    }

    /// Hands a `Step2` to a catch-up waiting for it; gives it back when none is.
    fn deliver_step2(&self, from: NodeId, doc: DocId, update: Bytes) -> Option<Bytes> {
        let waiting = self.inner.catching_up.lock();
        match waiting.get(&doc) {
            Some(tx) => tx.send((from, update)).err().map(|e| e.0.1),
            None => Some(update),
        }
    }

    /// Is this node loading `doc` right now (and so holding nothing unstored of it)?
    fn is_catching_up(&self, doc: DocId) -> bool {
        self.inner.catching_up.lock().contains_key(&doc)
    }
}

/// Wall-clock milliseconds, for the cross-node latency metric (nodes share a clock
/// source in practice; a skewed clock only skews that histogram).
fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Nothing listens on port 1, and the link and publisher tasks only run when the
    /// test yields, so the queue fills as a stalled Redis would leave it.
    #[tokio::test]
    async fn a_full_queue_drops_messages_and_restarts_the_link() {
        let (cluster, _inbound) = Cluster::start("redis://127.0.0.1:1", "test").expect("url");
        let doc = DocId(uuid::Uuid::new_v4());
        for _ in 0..MAX_QUEUED {
            cluster.publish(doc, DocMessage::Stored(1));
        }
        assert!(!cluster.inner.overflowed.load(Ordering::Acquire));
        for _ in 0..10 {
            cluster.publish(doc, DocMessage::Stored(1));
        }
        assert_eq!(cluster.inner.queued.load(Ordering::Acquire), MAX_QUEUED);
        assert!(cluster.inner.overflowed.load(Ordering::Acquire));
    }
}
