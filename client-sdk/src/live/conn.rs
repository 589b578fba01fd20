//! The connection's insides: shared state, the frame handler, and the
//! reader and writer tasks.
//!
//! The reader task decodes every frame and hands it to [`Shared::handle_frame`];
//! everything that must go out (replies, local updates, awareness) goes
//! through one unbounded channel to the writer task, so frames leave in the
//! order they were produced.

use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use futures_util::{Sink, SinkExt, Stream, StreamExt};
use rocqet_crdt::protocol::{self, Frame};
use tokio::sync::{broadcast, mpsc, watch};
use tokio_tungstenite::tungstenite::protocol::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{self, Message};
use yrs::sync::Awareness;
use yrs::updates::decoder::Decode;
use yrs::{Doc, ReadTxn, Transact, Update};

use crate::status::{self, Phase, Status};

/// Transaction origin marking changes that came from the server, so the
/// update observer does not send them back.
pub(crate) const REMOTE_ORIGIN: &str = "rocqet-client/remote";

/// How often the local awareness state is re-sent. y-protocols clients drop
/// a peer's state after 30 s without renewal; JS renews every 15 s too.
const AWARENESS_RENEW: Duration = Duration::from_secs(15);

/// Close code used when the server's connection ends without a close frame.
pub(crate) const CLOSE_ABNORMAL: u16 = 1006;

/// Status transitions kept for slow `status_events` receivers; a receiver
/// further behind than this skips to the newest ones.
const STATUS_EVENTS: usize = 64;

/// What waiters look at. Cloned out of the watch channel before any check
/// that touches the doc, so no lock is held across a transaction.
///
/// `synced`, `sent`, `acked` and `rejected` describe the current connection
/// and start again with each one: after a reconnect, edits the server had not
/// acked come back through the sync handshake instead.
#[derive(Debug, Clone, Default)]
pub(crate) struct State {
    /// The server's SyncStep2 has been applied.
    pub synced: bool,
    /// Update and SyncStep2 messages sent (counted only with acks on).
    pub sent: u64,
    /// `[8][1]` acks received.
    pub acked: u64,
    /// Negative acks received.
    pub rejected: u64,
    /// Bumped on every doc or awareness change, to wake `wait_until`.
    pub changes: u64,
    /// Close code and reason once the connection has ended for good.
    pub closed: Option<(u16, String)>,
    /// The server's permission-denied reason, if it sent one.
    pub denied: Option<String>,
    /// First protocol error from the server's side.
    pub error: Option<String>,
    /// Where the current connection stands.
    pub phase: Phase,
    /// How the latest socket ended, even if a reconnect followed.
    pub last_close: Option<(u16, String)>,
    /// Sockets opened so far (1 after the first connect).
    pub connections: u64,
    /// The caller asked to close: do not reconnect.
    pub closing: bool,
    /// The status derived from the fields above.
    pub status: Status,
}

/// Something for the writer task to do.
#[derive(Debug)]
pub(crate) enum Outgoing {
    /// Send one binary frame.
    Frame(Vec<u8>),
    /// Send a close frame and stop writing.
    Close(u16, String),
}

/// State shared by the handle, the doc observer, and the connection tasks.
pub(crate) struct Shared {
    pub doc: Doc,
    pub awareness: Mutex<Awareness>,
    pub state: watch::Sender<State>,
    status: watch::Sender<Status>,
    events: broadcast::Sender<Status>,
    /// The current connection's writer queue; replaced on each reconnect.
    out: Mutex<mpsc::UnboundedSender<Outgoing>>,
    pub ack: bool,
    /// Reconnect is on: a lost socket is not the end.
    pub reconnects: bool,
    /// Held by read-modify-write edits (typed handles) and while applying
    /// remote updates, so a remote change cannot land between the read and
    /// the write of such an edit.
    edits: Mutex<()>,
}

impl Shared {
    /// Shared state with no connection yet: frames sent before
    /// [`begin_connection`](Self::begin_connection) are dropped (the sync
    /// handshake carries what they held).
    pub fn new(doc: Doc, ack: bool, reconnects: bool) -> Arc<Self> {
        let (out, _) = mpsc::unbounded_channel();
        Arc::new(Shared {
            awareness: Mutex::new(Awareness::new(doc.clone())),
            doc,
            state: watch::Sender::new(State::default()),
            status: watch::Sender::new(Status::Connecting),
            events: broadcast::channel(STATUS_EVENTS).0,
            out: Mutex::new(out),
            ack,
            reconnects,
            edits: Mutex::new(()),
        })
    }

    /// Starts a connection's bookkeeping: a fresh writer queue and fresh
    /// per-connection counters, swapped in under one lock so no frame is
    /// counted on one connection and sent on another.
    pub fn begin_connection(&self) -> mpsc::UnboundedReceiver<Outgoing> {
        let (tx, rx) = mpsc::unbounded_channel();
        let mut out = lock(&self.out);
        *out = tx;
        self.modify(|s| {
            s.synced = false;
            s.sent = 0;
            s.acked = 0;
            s.rejected = 0;
            s.phase = Phase::Open;
            s.connections += 1;
        });
        // A close asked for while this socket was being dialed still holds.
        if self.state.borrow().closing && out.send(Outgoing::Close(1000, String::new())).is_err() {
            tracing::debug!("writer gone before it started");
        }
        rx
    }

    /// Changes the state, then re-derives the status and announces a change.
    pub fn modify(&self, f: impl FnOnce(&mut State)) {
        let ack = self.ack;
        self.state.send_modify(|s| {
            f(s);
            let now = status::derive(status::Inputs {
                phase: s.phase,
                closed: s.closed.is_some(),
                synced: s.synced,
                ack,
                sent: s.sent,
                acked: s.acked,
                rejected: s.rejected,
            });
            if now != s.status {
                s.status = now;
                self.status.send_replace(now);
                // No receivers is fine: nobody is listening for events.
                let _ = self.events.send(now);
            }
        });
    }

    /// The latest status.
    pub fn status(&self) -> Status {
        *self.status.borrow()
    }

    /// A receiver of the latest status.
    pub fn watch_status(&self) -> watch::Receiver<Status> {
        self.status.subscribe()
    }

    /// A receiver of every status transition from now on.
    pub fn status_events(&self) -> broadcast::Receiver<Status> {
        self.events.subscribe()
    }

    /// Serialises a read-modify-write edit with remote updates.
    pub fn edit_lock(&self) -> MutexGuard<'_, ()> {
        lock(&self.edits)
    }

    /// Subscribes the update observer under `key`: local changes are sent,
    /// every change wakes waiters. It holds a `Weak`, so no cycle.
    pub fn observe_doc(self: &Arc<Self>, key: String) -> Result<(), crate::ClientError> {
        let weak = Arc::downgrade(self);
        self.doc
            .observe_update_v1(key, move |txn, event| {
                on_doc_update(&weak, txn, &event.update)
            })
            .map_err(|e| crate::ClientError::DocBusy(e.to_string()))
    }

    /// Awareness states of the other clients, sorted by id; states that are
    /// not valid JSON are skipped.
    pub fn other_states(&self) -> Vec<(u64, serde_json::Value)> {
        let me = self.doc.client_id();
        let awareness = self.awareness();
        let mut states: Vec<_> = awareness
            .iter()
            .filter(|(id, _)| *id != me)
            .filter_map(|(id, state)| {
                let json = serde_json::from_str(state.data.as_deref()?).ok()?;
                Some((id.get(), json))
            })
            .collect();
        states.sort_by_key(|(id, _)| *id);
        states
    }

    /// Forgets every other client's awareness state: after losing the
    /// socket they are unknown, and the next connection's hello lists
    /// whoever is still there.
    ///
    /// yrs' `remove_state` would bump each forgotten client's clock, so the
    /// same state arriving again in the hello would look old and be ignored;
    /// a fresh instance holding only our own entry (clock kept) avoids that.
    pub fn forget_others(&self) {
        {
            let mut awareness = self.awareness();
            let me = awareness.client_id();
            let mut fresh = Awareness::new(self.doc.clone());
            // No own entry yet (never set) is fine: nothing to keep.
            if let Ok(mine) = awareness.update_with_clients([me])
                && let Err(e) = fresh.apply_update(mine)
            {
                tracing::warn!("cannot keep the local awareness state: {e}");
            }
            *awareness = fresh;
        }
        self.bump();
    }

    /// The awareness instance; a poisoned lock is still usable (it only
    /// guards plain data).
    pub fn awareness(&self) -> MutexGuard<'_, Awareness> {
        lock(&self.awareness)
    }

    /// Queues a frame; `counts` marks messages the server will ack.
    /// Sending after the writer stopped is silently dropped: the change
    /// stays in the local doc and `closed()` tells the caller why.
    pub fn send(&self, frame: Vec<u8>, counts: bool) {
        let out = lock(&self.out);
        if counts && self.ack {
            self.modify(|s| s.sent += 1);
        }
        if out.send(Outgoing::Frame(frame)).is_err() {
            tracing::debug!("writer gone; frame not sent");
        }
    }

    /// Asks the current connection's writer to close the socket.
    pub fn send_close(&self, code: u16, reason: String) {
        if lock(&self.out).send(Outgoing::Close(code, reason)).is_err() {
            tracing::debug!("writer gone; close not sent");
        }
    }

    /// Wakes waiters after a doc or awareness change.
    pub fn bump(&self) {
        self.modify(|s| s.changes += 1);
    }

    /// Handles one frame from the server. An `Err` means the server broke
    /// the protocol; the caller records it and closes.
    pub fn handle_frame(&self, bytes: &[u8]) -> Result<(), String> {
        let frame = protocol::decode_frame(bytes).map_err(|e| e.to_string())?;
        match frame {
            Frame::SyncStep1(sv) => {
                let diff = self.doc.transact().encode_diff_v1(&sv);
                self.send(protocol::encode_sync_step2(&diff), true);
            }
            Frame::SyncStep2(update) => {
                self.apply_remote(update)?;
                self.modify(|s| s.synced = true);
            }
            Frame::Update(update) => self.apply_remote(update)?,
            Frame::Awareness(update) => {
                self.awareness()
                    .apply_update(update)
                    .map_err(|e| format!("awareness update: {e}"))?;
                self.bump();
            }
            Frame::QueryAwareness => {
                let update = self.awareness().update();
                match update {
                    Ok(update) => self.send(protocol::encode_awareness(&update), false),
                    Err(e) => tracing::warn!("cannot encode awareness: {e}"),
                }
            }
            Frame::Auth(None) => {}
            Frame::Auth(Some(reason)) => self.modify(|s| s.denied = Some(reason)),
            Frame::Ack(stored) => self.modify(|s| {
                s.acked += 1;
                if !stored {
                    s.rejected += 1;
                }
                if s.acked > s.sent {
                    tracing::warn!(acked = s.acked, sent = s.sent, "more acks than updates");
                }
            }),
        }
        Ok(())
    }

    fn apply_remote(&self, update: &[u8]) -> Result<(), String> {
        let update = Update::decode_v1(update).map_err(|e| format!("bad update: {e}"))?;
        let _edits = self.edit_lock();
        self.doc
            .transact_mut_with(REMOTE_ORIGIN)
            .apply_update(update)
            .map_err(|e| format!("cannot apply update: {e}"))
        // The update observer bumps `changes` when the transaction commits.
    }

    /// Re-encodes the local awareness state with a fresh clock, if set.
    pub fn renewed_awareness(&self) -> Option<Vec<u8>> {
        self.renew_awareness(1)
    }

    /// The local awareness state for a new connection's hello, if set. When
    /// the server dropped our previous socket it removed our state, which in
    /// yrs bumps our clock on its side by one: skip past that, or the hello
    /// would look old and be ignored until the next renewal.
    pub fn announced_awareness(&self) -> Option<Vec<u8>> {
        self.renew_awareness(2)
    }

    /// Bumps the local state's clock `times` and encodes it, if set.
    fn renew_awareness(&self, times: usize) -> Option<Vec<u8>> {
        let mut awareness = self.awareness();
        let state = awareness.local_state_raw()?;
        for _ in 0..times {
            awareness.set_local_state_raw(state.clone());
        }
        let me = awareness.client_id();
        let update = awareness.update_with_clients([me]).ok()?;
        Some(protocol::encode_awareness(&update))
    }
}

/// Locks a mutex that only guards plain data; poisoning is ignored.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Reads frames until the connection ends and returns how it ended (close
/// code and reason); the caller decides whether that is the end.
pub(crate) async fn run_reader<S>(mut stream: S, shared: &Shared) -> (u16, String)
where
    S: Stream<Item = Result<Message, tungstenite::Error>> + Unpin,
{
    let closed = loop {
        let Some(message) = stream.next().await else {
            break (
                CLOSE_ABNORMAL,
                "connection ended without a close frame".to_owned(),
            );
        };
        match message {
            Ok(Message::Binary(bytes)) => {
                if let Err(e) = shared.handle_frame(&bytes) {
                    tracing::warn!("bad frame from server: {e}");
                    let first = shared.state.borrow().error.is_none();
                    if first {
                        shared.modify(|s| s.error = Some(e));
                        shared.send_close(4400, "bad message".into());
                    }
                }
            }
            Ok(Message::Text(_)) => tracing::warn!("ignoring text frame from server"),
            Ok(Message::Close(frame)) => {
                break match frame {
                    Some(f) => (u16::from(f.code), f.reason.to_string()),
                    None => (1005, String::new()),
                };
            }
            // tungstenite answers pings itself.
            Ok(Message::Ping(_) | Message::Pong(_) | Message::Frame(_)) => {}
            Err(e) => break (CLOSE_ABNORMAL, e.to_string()),
        }
    };
    tracing::debug!(code = closed.0, reason = %closed.1, "connection closed");
    closed
}

/// Writes queued frames, renewing awareness now and then, until told to
/// close or the socket fails.
pub(crate) async fn run_writer<S>(
    mut sink: S,
    mut rx: mpsc::UnboundedReceiver<Outgoing>,
    shared: Arc<Shared>,
) where
    S: Sink<Message, Error = tungstenite::Error> + Unpin,
{
    let start = tokio::time::Instant::now() + AWARENESS_RENEW;
    let mut renew = tokio::time::interval_at(start, AWARENESS_RENEW);
    loop {
        let message = tokio::select! {
            next = rx.recv() => match next {
                Some(Outgoing::Frame(bytes)) => Message::Binary(bytes.into()),
                Some(Outgoing::Close(code, reason)) => {
                    let frame = CloseFrame { code: CloseCode::from(code), reason: reason.into() };
                    let _ = sink.send(Message::Close(Some(frame))).await;
                    return;
                }
                None => return,
            },
            _ = renew.tick() => match shared.renewed_awareness() {
                Some(bytes) => Message::Binary(bytes.into()),
                None => continue,
            },
        };
        if let Err(e) = sink.send(message).await {
            tracing::debug!("write failed: {e}");
            return;
        }
    }
}

/// The update observer: sends local changes, wakes waiters on every change.
fn on_doc_update(shared: &std::sync::Weak<Shared>, txn: &yrs::TransactionMut, update: &[u8]) {
    let Some(shared) = shared.upgrade() else {
        return;
    };
    let remote = txn
        .origin()
        .is_some_and(|o| o.as_ref() == REMOTE_ORIGIN.as_bytes());
    if !remote {
        shared.send(protocol::encode_update(update), true);
    }
    shared.bump();
}

#[cfg(test)]
mod tests;
