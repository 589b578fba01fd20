//! [`LiveDoc`]: one open document over one WebSocket.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use futures_util::StreamExt;
use rocqet_crdt::protocol;
use tokio::task::JoinHandle;
use yrs::{Doc, GetString, ReadTxn, Text, Transact, TransactionMut, WriteTxn};

use crate::conn::{self, Shared, State};
use crate::{ClientError, ConnectOptions};

/// Makes each connection's doc-observer key unique, so several `LiveDoc`s
/// may share one `yrs::Doc` (for example across a reconnect).
static NEXT_OBSERVER: AtomicU64 = AtomicU64::new(0);

/// One open document over one WebSocket, kept in sync with the server.
///
/// Local edits ([`edit`](Self::edit)) are sent as they commit; remote
/// changes are applied as they arrive. Dropping it aborts the connection
/// without a close handshake; call [`close`](Self::close) for a clean one.
pub struct LiveDoc {
    shared: Arc<Shared>,
    observer: String,
    reader: JoinHandle<()>,
    writer: JoinHandle<()>,
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
    /// to wait for the server's state.
    pub async fn connect(url: &str, options: ConnectOptions) -> Result<Self, ClientError> {
        let request = options.request_url(url)?;
        let doc = options.doc.clone().unwrap_or_else(rocqet_crdt::new_doc);
        let (socket, _response) = tokio_tungstenite::connect_async(request).await?;
        let (sink, stream) = socket.split();

        let (shared, rx) = Shared::new(doc, options.ack);
        let observer = format!(
            "rocqet-client/{}",
            NEXT_OBSERVER.fetch_add(1, Ordering::Relaxed)
        );
        shared.observe_doc(observer.clone())?;

        // The server sends its SyncStep1 first too; order between the two
        // does not matter, both sides answer the other's.
        let sv = shared.doc.transact().state_vector();
        shared.send(protocol::encode_sync_step1(&sv), false);

        let writer = tokio::spawn(conn::run_writer(sink, rx, shared.clone()));
        let reader = tokio::spawn(conn::run_reader(stream, shared.clone()));
        Ok(LiveDoc {
            shared,
            observer,
            reader,
            writer,
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
        let saved = self
            .wait_for(|s| (s.acked >= s.sent).then_some(s.rejected))
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
        let _ = self
            .shared
            .out
            .send(conn::Outgoing::Close(1000, String::new()));
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
        self.reader.abort();
        self.writer.abort();
        // Another transaction may hold the doc; the observer then stays but
        // finds its `Weak` dead and does nothing.
        if let Err(e) = self.shared.doc.unobserve_update_v1(self.observer.clone()) {
            tracing::debug!("observer left on shared doc: {e}");
        }
    }
}
