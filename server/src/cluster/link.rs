//! The two tasks behind [`Cluster`]: the subscriber link (connect, subscribe,
//! route what arrives, reconnect with backoff) and the publisher (batches what
//! this node sends into one pipeline per round trip).

use std::collections::HashMap;
use std::sync::Weak;
use std::sync::atomic::Ordering;
use std::time::Duration;

use bytes::Bytes;
use futures_util::StreamExt;
use redis::aio::{MultiplexedConnection, PubSubSink, PubSubStream};
use tokio::sync::{mpsc, oneshot};

use super::wire::{self, Body, DocMessage, NodeId};
use super::{Cluster, Notice, unix_ms};
use crate::ids::DocId;

/// First wait before reconnecting; doubles up to [`MAX_BACKOFF`], so a returning
/// Redis is found within about a second.
const MIN_BACKOFF: Duration = Duration::from_millis(100);
const MAX_BACKOFF: Duration = Duration::from_secs(1);
/// Bound on connecting, so a black-holed Redis counts as down.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(2);
/// Most messages in one publishing pipeline.
const MAX_BATCH: usize = 512;
/// Bound on one request to Redis: a Redis that stops answering counts as gone. Generous,
/// since a Redis starved of CPU is slow, not gone, and every reconnect re-syncs every room.
const RESPONSE_TIMEOUT: Duration = Duration::from_secs(5);
/// How often the subscriber connection is pinged, so a silent Redis is noticed.
const PING_EVERY: Duration = Duration::from_secs(2);

/// What the rest of the node asks of the link.
#[derive(Debug)]
pub(super) enum Command {
    /// Answered true once Redis confirmed, false when the link is down.
    Subscribe(DocId, oneshot::Sender<bool>),
    Unsubscribe(DocId),
    /// Drop the link of this epoch and re-sync once it is back (the publisher lost
    /// Redis, or its queue overflowed); stale requests about an older link are ignored.
    Reconnect(u64),
}

/// What other nodes sent, for the hub.
#[derive(Debug)]
pub enum Inbound {
    /// A message about one document.
    Doc {
        from: NodeId,
        doc: DocId,
        message: DocMessage,
    },
    /// An access change made on another node.
    Notice(Notice),
    /// The link (re)connected: messages may have been missed, so every loaded
    /// document re-syncs with its peers.
    Reconnected,
}

enum Ended {
    /// Redis went away; reconnect.
    Lost,
    /// The node is shutting down.
    Closed,
}

/// Keeps the subscriber link up for the life of the node.
pub(super) async fn run(
    cluster: Cluster,
    mut commands: mpsc::UnboundedReceiver<Command>,
    inbound: mpsc::UnboundedSender<Inbound>,
) {
    // Document channel → subscriptions held (rooms of several generations may overlap).
    let mut subscribed: HashMap<DocId, usize> = HashMap::new();
    let mut backoff = MIN_BACKOFF;
    let mut was_up = false;
    loop {
        match connect(&cluster, &subscribed).await {
            Ok((sink, stream, publisher)) => {
                backoff = MIN_BACKOFF;
                let epoch = {
                    // Under the publisher's lock, so a connection and its epoch are read together.
                    let mut current = cluster.inner.publisher.lock();
                    let epoch = cluster.inner.link_epoch.fetch_add(1, Ordering::AcqRel) + 1;
                    *current = Some(publisher);
                    epoch
                };
                cluster.inner.overflowed.store(false, Ordering::Release);
                metrics::gauge!("rocqet_cluster_up").set(1.0);
                tracing::info!(node = %cluster.node(), "cluster link up");
                was_up = true;
                if inbound.send(Inbound::Reconnected).is_err() {
                    return;
                }
                let ended = serve(
                    &cluster,
                    epoch,
                    sink,
                    stream,
                    &mut commands,
                    &mut subscribed,
                    &inbound,
                )
                .await;
                *cluster.inner.publisher.lock() = None;
                metrics::gauge!("rocqet_cluster_up").set(0.0);
                match ended {
                    Ended::Closed => return,
                    Ended::Lost => {
                        tracing::warn!("lost Redis; serving local clients, reconnecting")
                    }
                }
            }
            Err(error) => {
                if was_up || backoff == MIN_BACKOFF {
                    tracing::warn!(%error, "cannot reach Redis; retrying");
                }
                was_up = false;
            }
        }
        // Wait out the backoff, still keeping count of subscriptions.
        let pause = tokio::time::sleep(backoff);
        tokio::pin!(pause);
        loop {
            tokio::select! {
                _ = &mut pause => break,
                command = commands.recv() => match command {
                    None => return,
                    Some(command) => offline(command, &mut subscribed),
                },
            }
        }
        backoff = (backoff * 2).min(MAX_BACKOFF);
    }
}

/// Opens the subscriber and publisher connections and subscribes to every channel this node needs.
async fn connect(
    cluster: &Cluster,
    subscribed: &HashMap<DocId, usize>,
) -> Result<(PubSubSink, PubSubStream, MultiplexedConnection), redis::RedisError> {
    let client = &cluster.inner.client;
    let opened = async {
        let (mut sink, stream) = client.get_async_pubsub().await?.split();
        let channels = &cluster.inner.channels;
        let mut names = vec![channels.node(cluster.node()), channels.notices()];
        names.extend(subscribed.keys().map(|doc| channels.doc(*doc)));
        sink.subscribe(names).await?;
        let config = redis::AsyncConnectionConfig::new()
            .set_connection_timeout(CONNECT_TIMEOUT)
            .set_response_timeout(RESPONSE_TIMEOUT);
        let publisher = client
            .get_multiplexed_async_connection_with_config(&config)
            .await?;
        Ok((sink, stream, publisher))
    };
    match tokio::time::timeout(CONNECT_TIMEOUT, opened).await {
        Ok(result) => result,
        Err(_) => Err(redis::RedisError::from(std::io::Error::new(
            std::io::ErrorKind::TimedOut,
            "connecting to Redis timed out",
        ))),
    }
}

/// Routes messages and subscription changes until the link drops.
async fn serve(
    cluster: &Cluster,
    epoch: u64,
    mut sink: PubSubSink,
    mut stream: PubSubStream,
    commands: &mut mpsc::UnboundedReceiver<Command>,
    subscribed: &mut HashMap<DocId, usize>,
    inbound: &mpsc::UnboundedSender<Inbound>,
) -> Ended {
    let mut ping = tokio::time::interval(PING_EVERY);
    ping.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    ping.reset();
    loop {
        tokio::select! {
            _ = ping.tick() => {
                if !answers_ping(&mut sink).await {
                    return Ended::Lost;
                }
            }
            message = stream.next() => {
                let Some(message) = message else { return Ended::Lost };
                route(cluster, Bytes::copy_from_slice(message.get_payload_bytes()), inbound);
            }
            command = commands.recv() => match command {
                None => return Ended::Closed,
                Some(Command::Subscribe(doc, done)) => {
                    let count = subscribed.entry(doc).or_insert(0);
                    *count += 1;
                    if *count == 1 {
                        let subscribed = sink.subscribe(cluster.inner.channels.doc(doc));
                        if !matches!(tokio::time::timeout(RESPONSE_TIMEOUT, subscribed).await, Ok(Ok(()))) {
                            let _ = done.send(false);
                            return Ended::Lost;
                        }
                    }
                    let _ = done.send(true);
                }
                Some(Command::Unsubscribe(doc)) => {
                    if release(subscribed, doc)
                        && sink.unsubscribe(cluster.inner.channels.doc(doc)).await.is_err()
                    {
                        return Ended::Lost;
                    }
                }
                Some(Command::Reconnect(of)) if of == epoch => return Ended::Lost,
                Some(Command::Reconnect(_)) => {}
            },
        }
    }
}

/// Whether Redis answers a ping on the subscriber connection in time. A subscribed
/// RESP2 connection answers `["pong", ""]`, not `PONG`, so any reply counts.
async fn answers_ping(sink: &mut PubSubSink) -> bool {
    let pong = tokio::time::timeout(RESPONSE_TIMEOUT, sink.ping::<redis::Value>()).await;
    matches!(pong, Ok(Ok(_)))
}

/// Keeps the subscription count while Redis is down; subscribing waits for nobody.
fn offline(command: Command, subscribed: &mut HashMap<DocId, usize>) {
    match command {
        Command::Subscribe(doc, done) => {
            *subscribed.entry(doc).or_insert(0) += 1;
            let _ = done.send(false);
        }
        Command::Unsubscribe(doc) => {
            release(subscribed, doc);
        }
        Command::Reconnect(_) => {}
    }
}

/// Drops one subscription; true when it was the last one for the document.
fn release(subscribed: &mut HashMap<DocId, usize>, doc: DocId) -> bool {
    match subscribed.get_mut(&doc) {
        Some(count) if *count > 1 => {
            *count -= 1;
            false
        }
        Some(_) => {
            subscribed.remove(&doc);
            true
        }
        None => false,
    }
}

/// Decodes one message and hands it on; our own echoes and garbage are dropped.
fn route(cluster: &Cluster, payload: Bytes, inbound: &mpsc::UnboundedSender<Inbound>) {
    let envelope = match wire::decode(payload) {
        Ok(envelope) => envelope,
        Err(error) => {
            tracing::warn!(%error, "dropping a malformed cluster message");
            metrics::counter!("rocqet_cluster_messages_total", "direction" => "malformed")
                .increment(1);
            return;
        }
    };
    if envelope.from == cluster.node() {
        return;
    }
    metrics::counter!("rocqet_cluster_messages_total", "direction" => "in").increment(1);
    let lag_ms = unix_ms().saturating_sub(envelope.sent_at_ms);
    metrics::histogram!("rocqet_cluster_delivery_seconds").record(lag_ms as f64 / 1000.0);
    let next = match envelope.body {
        // A loading node holds nothing unstored: answer at once rather than after
        // its load, so two nodes loading the same document do not wait on each other.
        Body::Doc(doc, DocMessage::Hello(_)) if cluster.is_catching_up(doc) => {
            cluster.send_to(
                envelope.from,
                doc,
                DocMessage::Step2(Bytes::from_static(&[0, 0])),
            );
            return;
        }
        Body::Doc(doc, DocMessage::Step2(update)) => {
            match cluster.deliver_step2(envelope.from, doc, update) {
                Some(update) => Inbound::Doc {
                    from: envelope.from,
                    doc,
                    message: DocMessage::Step2(update),
                },
                None => return,
            }
        }
        Body::Doc(doc, message) => Inbound::Doc {
            from: envelope.from,
            doc,
            message,
        },
        Body::Notice(notice) => Inbound::Notice(notice),
    };
    match (next, cluster.inner.hub.get().and_then(Weak::upgrade)) {
        // Straight to the room: one task hop less on every cross-node delivery.
        (Inbound::Doc { from, doc, message }, Some(hub)) => hub.remote(from, doc, message),
        (next, _) => {
            let _ = inbound.send(next);
        }
    }
}

/// Publishes what this node queues, one pipeline per round trip. While Redis is
/// down messages are dropped (counted): the re-sync after reconnecting brings peers
/// everything they missed, since Redis is never the source of truth.
pub(super) async fn publish(cluster: Cluster, mut queue: mpsc::UnboundedReceiver<(String, Bytes)>) {
    let mut batch = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = queue.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match queue.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        cluster
            .inner
            .queued
            .fetch_sub(batch.len(), Ordering::AcqRel);
        let (connection, epoch) = {
            let current = cluster.inner.publisher.lock();
            (
                current.clone(),
                cluster.inner.link_epoch.load(Ordering::Acquire),
            )
        };
        let sent = batch.len() as u64;
        match connection {
            None => {
                metrics::counter!("rocqet_cluster_messages_total", "direction" => "dropped")
                    .increment(sent);
            }
            Some(mut connection) => {
                let mut pipe = redis::pipe();
                for (channel, bytes) in &batch {
                    pipe.cmd("PUBLISH")
                        .arg(channel)
                        .arg(bytes.as_ref())
                        .ignore();
                }
                match pipe.query_async::<()>(&mut connection).await {
                    Ok(()) => {
                        metrics::counter!("rocqet_cluster_messages_total", "direction" => "out")
                            .increment(sent);
                    }
                    Err(error) => {
                        tracing::warn!(%error, "publishing to Redis failed");
                        metrics::counter!("rocqet_cluster_messages_total", "direction" => "dropped").increment(sent);
                        // A lost connection means peers missed messages: reconnect and
                        // re-sync. Other errors (a refused command) would only repeat.
                        if error.is_io_error()
                            || error.is_connection_dropped()
                            || error.is_timeout()
                        {
                            let _ = cluster.inner.link.send(Command::Reconnect(epoch));
                        }
                    }
                }
            }
        }
        batch.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use uuid::Uuid;

    #[test]
    fn subscriptions_are_counted_per_document() {
        let mut subscribed = HashMap::new();
        let doc = DocId(Uuid::new_v4());
        let (a, _) = oneshot::channel();
        let (b, _) = oneshot::channel();
        offline(Command::Subscribe(doc, a), &mut subscribed);
        offline(Command::Subscribe(doc, b), &mut subscribed);
        assert!(!release(&mut subscribed, doc), "one room still holds it");
        assert!(release(&mut subscribed, doc), "the last holder lets go");
        assert!(!release(&mut subscribed, doc), "nothing left to release");
        assert!(subscribed.is_empty());
    }

    /// The link pings its subscribed connection every few seconds; a reply it cannot
    /// read would drop and re-sync the whole link each time (it did: every 2 s).
    #[tokio::test]
    async fn a_subscribed_connection_answers_the_ping() {
        let url = std::env::var("ROCQET_TEST_REDIS_URL")
            .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_string());
        let client = redis::Client::open(url).expect("redis url");
        if client.get_async_pubsub().await.is_err() {
            // Down: start the machine's Redis the way the test command does.
            let services = concat!(env!("CARGO_MANIFEST_DIR"), "/../.ci/services");
            let _ = std::process::Command::new(services).status();
        }
        let (mut sink, _stream) = client
            .get_async_pubsub()
            .await
            .expect("Redis is up (.ci/services starts it)")
            .split();
        sink.subscribe(format!("rocqet-ping-test:{}", Uuid::new_v4()))
            .await
            .expect("subscribe");
        assert!(answers_ping(&mut sink).await);
        assert!(answers_ping(&mut sink).await, "and keeps answering");
    }
}
