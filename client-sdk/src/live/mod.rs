//! [`LiveDoc`]: one open document over a WebSocket, reconnecting on request.

mod changes;
pub(crate) mod conn;
pub(crate) mod reconnect;
mod supervisor;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use rocqet_crdt::protocol;
use tokio::sync::{broadcast, watch};
use tokio::task::JoinHandle;
use yrs::{Doc, GetString, ReadTxn, Text, Transact, TransactionMut, WriteTxn};

use crate::status::Phase;
use crate::{ClientError, ConnectOptions, Status};
pub use changes::Changes;
use conn::{Shared, State};
use supervisor::{Connection, Redial};

/// Makes each connection's doc-observer key unique, so several `LiveDoc`s
/// may share one `yrs::Doc` (for example across a reconnect).
static NEXT_OBSERVER: AtomicU64 = AtomicU64::new(0);

/// One open document over a WebSocket, kept in sync with the server.
///
/// Local edits ([`edit`](Self::edit)) are sent as they commit; remote
/// changes are applied as they arrive. Dropping it aborts the connection
/// without a close handshake; call [`close`](Self::close) for a clean one.
///
/// Without [`ConnectOptions::reconnect`] a lost socket is the end:
/// [`closed`](Self::closed) reports it and every `wait_*` fails. With it,
/// the document goes [`Status::Offline`], keeps taking local edits, and
/// dials again with backoff; the sync handshake of the new socket sends
/// whatever the server is missing. Only a terminal close code (4400, 4403,
/// 4404, 4410, 4413), a 4401 that a fresh token cannot fix,
/// [`close`](Self::close), or the attempt limit end it for good.
///
/// ```no_run
/// use rocqet_client::{Backoff, ConnectOptions, LiveDoc, Status};
///
/// # async fn demo() -> Result<(), rocqet_client::ClientError> {
/// let options = ConnectOptions::new()
///     .token("eyJ...")
///     .ack(true)
///     .reconnect(Backoff::default());
/// let live = LiveDoc::connect("ws://127.0.0.1:8080/ws/0190e5c2-...", options).await?;
/// live.wait_synced().await?;
/// live.insert_text("content", 0, "Hello");
/// live.wait_status(Status::Saved).await?;
/// live.close().await;
/// # Ok(())
/// # }
/// ```
pub struct LiveDoc {
    shared: Arc<Shared>,
    observer: String,
    task: JoinHandle<()>,
}

impl std::fmt::Debug for LiveDoc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LiveDoc")
            .field("client_id", &self.client_id())
            .field("state", &*self.shared.state.borrow())
            .finish()
    }
}

impl LiveDoc {
    /// Connects to `url` (`ws://host:port/ws/{doc_id}`) and starts syncing.
    ///
    /// Returns once the socket is open; use [`wait_synced`](Self::wait_synced)
    /// to wait for the server's state. The first dial is never retried: a
    /// refused or failed connect is this call's error, even with reconnect on.
    pub async fn connect(url: &str, options: ConnectOptions) -> Result<Self, ClientError> {
        let request = options.request_url(url)?;
        let doc = options.doc.clone().unwrap_or_else(rocqet_crdt::new_doc);
        let socket = supervisor::dial(&request).await?;

        let shared = Shared::new(doc, options.ack, options.reconnect.is_some());
        let observer = format!(
            "rocqet-client/{}",
            NEXT_OBSERVER.fetch_add(1, Ordering::Relaxed)
        );
        shared.observe_doc(observer.clone())?;
        let connection = Connection::start(&shared, socket);
        let redial = Redial::new(url, &options);
        let task = tokio::spawn(supervisor::supervise(shared.clone(), connection, redial));
        Ok(LiveDoc {
            shared,
            observer,
            task,
        })
    }

    /// The local document. Read with `doc().transact()`; write with
    /// [`edit`](Self::edit) (a direct `transact_mut` is sent too).
    pub fn doc(&self) -> &Doc {
        &self.shared.doc
    }

    /// This client's yrs client id (also its awareness id).
    pub fn client_id(&self) -> u64 {
        self.shared.doc.client_id().get()
    }

    /// Runs `f` in one transaction on the local doc; its changes are sent
    /// as one update when it commits.
    pub fn edit<R>(&self, f: impl FnOnce(&mut TransactionMut<'_>) -> R) -> R {
        let mut txn = self.shared.doc.transact_mut();
        f(&mut txn)
    }

    /// The current content of the root text `name` ("" if it does not exist).
    pub fn text(&self, name: &str) -> String {
        let txn = self.shared.doc.transact();
        txn.get_text(name)
            .map(|t| t.get_string(&txn))
            .unwrap_or_default()
    }

    /// Inserts `s` into root text `name` at `index` (UTF-16 units, like JS).
    pub fn insert_text(&self, name: &str, index: u32, s: &str) {
        self.edit(|txn| txn.get_or_insert_text(name).insert(txn, index, s));
    }

    /// Removes `len` UTF-16 units from root text `name` at `index`.
    pub fn delete_text(&self, name: &str, index: u32, len: u32) {
        self.edit(|txn| txn.get_or_insert_text(name).remove_range(txn, index, len));
    }

    /// Sets this client's awareness state and sends it.
    pub fn set_awareness(&self, state: serde_json::Value) -> Result<(), ClientError> {
        let frame = {
            let mut awareness = self.shared.awareness();
            awareness
                .set_local_state(&state)
                .map_err(|e| ClientError::Awareness(e.to_string()))?;
            let me = awareness.client_id();
            let update = awareness
                .update_with_clients([me])
                .map_err(|e| ClientError::Awareness(e.to_string()))?;
            protocol::encode_awareness(&update)
        };
        self.shared.send(frame, false);
        Ok(())
    }

    /// Clears this client's awareness state (peers see it leave) and sends that.
    pub fn clear_awareness(&self) {
        let frame = {
            let mut awareness = self.shared.awareness();
            awareness.clean_local_state();
            let me = awareness.client_id();
            awareness
                .update_with_clients([me])
                .map(|u| protocol::encode_awareness(&u))
        };
        match frame {
            Ok(frame) => self.shared.send(frame, false),
            Err(e) => tracing::warn!("cannot encode awareness: {e}"),
        }
    }

    /// Awareness states of the other clients, as last relayed, sorted by id.
    /// States that are not valid JSON are skipped.
    pub fn awareness_states(&self) -> Vec<(u64, serde_json::Value)> {
        self.shared.other_states()
    }

    /// Whether the server's state has been applied.
    pub fn is_synced(&self) -> bool {
        self.shared.state.borrow().synced
    }

    /// Updates sent but not yet acked (always 0 without acks).
    pub fn unacked(&self) -> u64 {
        let state = self.shared.state.borrow();
        state.sent.saturating_sub(state.acked)
    }

    /// How the connection ended: close code and reason (1006 if it dropped).
    pub fn closed(&self) -> Option<(u16, String)> {
        self.shared.state.borrow().closed.clone()
    }

    /// The reason of a permission-denied message, if the server sent one.
    pub fn denied(&self) -> Option<String> {
        self.shared.state.borrow().denied.clone()
    }

    /// Where the document stands with the server now.
    pub fn status(&self) -> Status {
        self.shared.status()
    }

    /// A receiver of the latest [`Status`]; `changed().await` wakes on each
    /// new value (quick successions may be seen as their last value only).
    pub fn watch_status(&self) -> watch::Receiver<Status> {
        self.shared.watch_status()
    }

    /// A receiver of every [`Status`] transition from now on, in order.
    pub fn status_events(&self) -> broadcast::Receiver<Status> {
        self.shared.status_events()
    }

    /// Waits until the status is `want`. Fails if the document closes first
    /// (unless `want` is [`Status::Closed`]).
    pub async fn wait_status(&self, want: Status) -> Result<(), ClientError> {
        self.wait_for(|s| (s.status == want).then_some(())).await
    }

    /// How the latest socket ended, even if a reconnect followed.
    pub fn last_close(&self) -> Option<(u16, String)> {
        self.shared.state.borrow().last_close.clone()
    }

    /// Sockets opened so far: 1 after `connect`, one more per reconnect.
    pub fn connections(&self) -> u64 {
        self.shared.state.borrow().connections
    }

    /// A watcher that wakes on every change to the document or awareness,
    /// local or remote.
    pub fn changes(&self) -> Changes {
        Changes::new(self.shared.state.subscribe())
    }

    /// The shared state, for the typed handles and presence.
    pub(crate) fn shared(&self) -> &Shared {
        &self.shared
    }

    /// Waits until the server's state has been applied.
    pub async fn wait_synced(&self) -> Result<(), ClientError> {
        self.wait_for(|s| s.synced.then_some(())).await
    }

    /// Waits until the server says this connection is read-only (a viewer's
    /// socket) and returns its reason.
    pub async fn wait_denied(&self) -> Result<String, ClientError> {
        self.wait_for(|s| s.denied.clone()).await
    }

    /// Waits until every update sent so far is acked (needs `ack`).
    pub async fn wait_saved(&self) -> Result<(), ClientError> {
        if !self.shared.ack {
            return Err(ClientError::AckDisabled);
        }
        // With reconnect on, counters start again per connection: "saved"
        // also needs the new connection's handshake to be through.
        let reconnects = self.shared.reconnects;
        let saved = self
            .wait_for(|s| {
                let settled = s.acked >= s.sent;
                let handshake = !reconnects || (s.phase == Phase::Open && s.synced);
                (settled && handshake).then_some(s.rejected)
            })
            .await?;
        match saved {
            0 => Ok(()),
            n => Err(ClientError::NotSaved(n)),
        }
    }

    /// Waits until `pred` holds for the local doc; re-checked after every
    /// change, local or remote. Fails if the connection ends first.
    pub async fn wait_until(&self, mut pred: impl FnMut(&Doc) -> bool) -> Result<(), ClientError> {
        let doc = &self.shared.doc;
        self.wait_for(|_| pred(doc).then_some(())).await
    }

    /// Waits until root text `name` equals `expected`.
    pub async fn wait_text(&self, name: &str, expected: &str) -> Result<(), ClientError> {
        self.wait_until(|_| self.text(name) == expected).await
    }

    /// Waits until `pred` holds for the other clients' awareness states.
    pub async fn wait_awareness(
        &self,
        mut pred: impl FnMut(&[(u64, serde_json::Value)]) -> bool,
    ) -> Result<(), ClientError> {
        self.wait_for(|_| pred(&self.awareness_states()).then_some(()))
            .await
    }

    /// Waits until the connection ends and returns its close code and reason.
    pub async fn wait_closed(&self) -> (u16, String) {
        let mut rx = self.shared.state.subscribe();
        loop {
            if let Some(closed) = rx.borrow_and_update().closed.clone() {
                return closed;
            }
            if rx.changed().await.is_err() {
                return (conn::CLOSE_ABNORMAL, "client dropped".into());
            }
        }
    }

    /// Sends raw bytes as one binary frame, bypassing the codec. For tests
    /// of the server's handling of bad input.
    pub fn send_raw(&self, frame: Vec<u8>) {
        self.shared.send(frame, false);
    }

    /// Clears awareness, sends a normal close (1000) and waits for the
    /// server to answer it.
    pub async fn close(&self) -> (u16, String) {
        self.clear_awareness();
        self.shared.modify(|s| s.closing = true);
        self.shared.send_close(1000, String::new());
        self.wait_closed().await
    }

    /// Runs `check` on a snapshot of the state after every change until it
    /// returns `Some`. The snapshot is cloned so no lock is held while
    /// `check` opens a transaction (the update observer takes the watch
    /// lock while the doc is locked).
    async fn wait_for<T>(
        &self,
        mut check: impl FnMut(&State) -> Option<T>,
    ) -> Result<T, ClientError> {
        let mut rx = self.shared.state.subscribe();
        loop {
            let state = rx.borrow_and_update().clone();
            if let Some(out) = check(&state) {
                return Ok(out);
            }
            if let Some(error) = state.error {
                return Err(ClientError::Protocol(error));
            }
            if let Some((code, reason)) = state.closed {
                return Err(ClientError::Closed { code, reason });
            }
            if rx.changed().await.is_err() {
                return Err(ClientError::Closed {
                    code: conn::CLOSE_ABNORMAL,
                    reason: "client dropped".into(),
                });
            }
        }
    }
}

impl Drop for LiveDoc {
    fn drop(&mut self) {
        // The supervisor owns the connection; aborting it stops the writer too.
        self.task.abort();
        // Another transaction may hold the doc; the observer then stays but
        // finds its `Weak` dead and does nothing.
        if let Err(e) = self.shared.doc.unobserve_update_v1(self.observer.clone()) {
            tracing::debug!("observer left on shared doc: {e}");
        }
    }
}
