//! The hub: loaded documents (rooms), their connections, and the persister.
//!
//! `Hub` is the only way in: it loads a room on first use, retries when it
//! catches a room in the middle of unloading, and ticks every room for
//! housekeeping. Tests call [`Hub::sweep`] after moving an injected clock.

mod bases;
pub mod close;
mod load;
pub mod outbox;
pub mod peer_edits;
pub mod persister;
mod presence;
pub mod room;

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

use bytes::Bytes;
use dashmap::DashMap;
use tokio::sync::{mpsc, oneshot};
use yrs::StateVector;

use crate::auth::Role;
use crate::clock::SharedClock;
use crate::cluster::{Cluster, DocMessage, NodeId};
use crate::config::{Limits, VersionSettings};
use crate::ids::{DocId, UserId, WorkspaceId};
use crate::store::{Store, StoreError};
use crate::versions::{CutOutcome, CutRequest, VersionError};
use peer_edits::PeerEdits;
use persister::Persister;
pub use room::{ConnId, Member, Present};
use room::{Room, RoomCommand};

/// Commands a room can queue before senders wait; bounds memory under a flood.
const ROOM_MAILBOX: usize = 1024;
/// How often a caller retries when it meets a room that is unloading.
const GONE_RETRIES: usize = 5;

/// What the hub can fail with.
#[derive(Debug, Clone, thiserror::Error)]
pub enum HubError {
    /// The document does not exist or is deleted.
    #[error("document not found")]
    NotFound,
    /// The store failed while loading or saving.
    #[error("store: {0}")]
    Store(Arc<StoreError>),
    /// A patch was invalid.
    #[error("crdt: {0}")]
    Crdt(Arc<rocqet_crdt::CrdtError>),
    /// The document would grow past its size limit.
    #[error("document too large")]
    TooLarge,
    /// The document already has as many connections as allowed.
    #[error("too many connections on this document")]
    TooManyConnections,
    /// The server is shutting down.
    #[error("shutting down")]
    ShuttingDown,
    /// A PATCH named a base (ETag) the room no longer remembers.
    #[error("stale base")]
    Stale,
    /// The room unloaded while the request was queued; retrying loads it again.
    #[error("room unloaded")]
    Gone,
}

impl From<StoreError> for HubError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => HubError::NotFound,
            other => HubError::Store(Arc::new(other)),
        }
    }
}

impl From<rocqet_crdt::CrdtError> for HubError {
    fn from(e: rocqet_crdt::CrdtError) -> Self {
        HubError::Crdt(Arc::new(e))
    }
}

/// What every room shares.
pub struct HubContext {
    pub store: Arc<dyn Store>,
    pub persister: Persister,
    pub clock: SharedClock,
    pub limits: Limits,
    /// When rooms cut versions.
    pub versions: VersionSettings,
    /// The other nodes, when scaled out over Redis.
    pub cluster: Option<Cluster>,
    rooms: DashMap<DocId, RoomHandle>,
}

impl HubContext {
    /// Hands another node's message to the document's room; never loads one for it
    /// (a node that does not serve the document has nothing to update).
    pub fn remote(&self, from: NodeId, doc: DocId, message: DocMessage) {
        let Some(handle) = self.rooms.get(&doc).map(|h| h.clone()) else {
            return;
        };
        if let DocMessage::Stored(through) = message {
            handle.peers.confirm(from, through);
            return;
        }
        // Updates commute, awareness carries clocks and `PeerEdits` orders by
        // sequence number, so arriving late or out of order is fine.
        handle.send_now(RoomCommand::Remote { from, message });
    }

    /// Removes a room from the registry if it is still the given generation.
    fn forget_room(&self, id: DocId, generation: u64) {
        self.rooms
            .remove_if(&id, |_, handle| handle.generation == generation);
    }
}

/// A sender to one room, tagged so a stale handle never removes its successor.
#[derive(Clone, Debug)]
pub struct RoomHandle {
    tx: mpsc::Sender<RoomCommand>,
    generation: u64,
    /// The room's unconfirmed peer updates, confirmed from outside its mailbox so a
    /// room busy flushing (and waiting for exactly that) still hears it.
    peers: Arc<PeerEdits>,
}

impl RoomHandle {
    /// Hands a frame to the room, waiting when its mailbox is full (backpressure on the reader).
    pub async fn frame(&self, conn: ConnId, frame: Bytes) -> bool {
        self.tx
            .send(RoomCommand::Frame { conn, frame })
            .await
            .is_ok()
    }

    /// Tells the room the connection is gone.
    pub async fn leave(&self, conn: ConnId) {
        let _ = self.tx.send(RoomCommand::Leave { conn }).await;
    }

    /// Hands the room a command without waiting: a full mailbox gets it from a task
    /// of its own, so a caller serving every document is never held up by one room.
    fn send_now(&self, command: RoomCommand) {
        if let Err(mpsc::error::TrySendError::Full(command)) = self.tx.try_send(command) {
            let tx = self.tx.clone();
            tokio::spawn(async move {
                let _ = tx.send(command).await;
            });
        }
    }
}

/// The registry of rooms.
#[derive(Clone)]
pub struct Hub {
    ctx: Arc<HubContext>,
    next_generation: Arc<AtomicU64>,
    next_conn: Arc<AtomicU64>,
    shutting_down: Arc<AtomicBool>,
}

impl Hub {
    /// A hub over `store`, writing through `persister`.
    pub fn new(
        store: Arc<dyn Store>,
        persister: Persister,
        clock: SharedClock,
        limits: Limits,
        versions: VersionSettings,
        cluster: Option<Cluster>,
    ) -> Self {
        let ctx = HubContext {
            store,
            persister,
            clock,
            limits,
            versions,
            cluster,
            rooms: DashMap::new(),
        };
        Self {
            ctx: Arc::new(ctx),
            next_generation: Arc::default(),
            next_conn: Arc::new(AtomicU64::new(1)),
            shutting_down: Arc::default(),
        }
    }

    /// A fresh connection id.
    pub fn next_conn_id(&self) -> ConnId {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    /// The room for `id`, spawning it (and loading the document) if none is running.
    fn room(&self, id: DocId) -> RoomHandle {
        self.ctx
            .rooms
            .entry(id)
            .or_insert_with(|| {
                let (tx, rx) = mpsc::channel(ROOM_MAILBOX);
                let generation = self.next_generation.fetch_add(1, Ordering::Relaxed);
                let peers = Arc::new(PeerEdits::default());
                tokio::spawn(Room::run(
                    id,
                    generation,
                    self.ctx.clone(),
                    rx,
                    peers.clone(),
                ));
                RoomHandle {
                    tx,
                    generation,
                    peers,
                }
            })
            .clone()
    }

    /// Sends a command built by `make`, retrying while the room it meets is unloading.
    async fn ask<T>(
        &self,
        id: DocId,
        make: impl Fn(oneshot::Sender<Result<T, HubError>>) -> RoomCommand,
    ) -> Result<T, HubError> {
        self.ask_room(id, make).await.map(|(answer, _)| answer)
    }

    /// [`Hub::ask`], also returning the handle of the room that answered.
    async fn ask_room<T>(
        &self,
        id: DocId,
        make: impl Fn(oneshot::Sender<Result<T, HubError>>) -> RoomCommand,
    ) -> Result<(T, RoomHandle), HubError> {
        for _ in 0..GONE_RETRIES {
            if self.shutting_down.load(Ordering::Acquire) {
                return Err(HubError::ShuttingDown);
            }
            let handle = self.room(id);
            let (reply, answer) = oneshot::channel();
            if handle.tx.send(make(reply)).await.is_err() {
                self.ctx.forget_room(id, handle.generation);
                continue;
            }
            match answer.await {
                Ok(Err(HubError::Gone)) | Err(_) => continue,
                Ok(result) => return result.map(|answer| (answer, handle)),
            }
        }
        Err(HubError::Gone)
    }

    /// Joins a connection to a document's room, loading it if needed.
    pub async fn join(
        &self,
        id: DocId,
        member: impl Fn() -> Member,
    ) -> Result<RoomHandle, HubError> {
        let (_, handle) = self
            .ask_room(id, |reply| RoomCommand::Join {
                member: member(),
                reply,
            })
            .await?;
        Ok(handle)
    }

    /// Applies a REST patch through the live room, so open editors see it. With `base`
    /// (the ETag of the read the client edited), its text change is rebased onto
    /// whatever landed since. `author` is credited in the next version.
    pub async fn patch(
        &self,
        id: DocId,
        patch: serde_json::Value,
        base: Option<String>,
        author: Option<UserId>,
    ) -> Result<(serde_json::Value, String), HubError> {
        self.ask(id, |reply| RoomCommand::Patch {
            patch: patch.clone(),
            base: base.clone(),
            author,
            reply,
        })
        .await
    }

    /// Cuts a version of the live document now; `Unchanged` (and no new version)
    /// when nothing changed since the newest one. Returns once it is stored.
    pub async fn cut_version(
        &self,
        id: DocId,
        request: CutRequest,
    ) -> Result<CutOutcome, VersionError> {
        self.ask(id, |reply| RoomCommand::CutVersion {
            request: request.clone(),
            reply,
        })
        .await?
    }

    /// Edits the live document until its content equals `target` (an old version's
    /// content), as an ordinary edit every open editor receives, then records a
    /// version as `request` describes (kind `restore`). Returns once it is stored.
    pub async fn restore(
        &self,
        id: DocId,
        target: serde_json::Value,
        request: CutRequest,
    ) -> Result<CutOutcome, VersionError> {
        self.ask(id, |reply| RoomCommand::Restore {
            target: target.clone(),
            request: request.clone(),
            reply,
        })
        .await?
    }

    /// The live content and its ETag, loading the document if needed.
    pub async fn read(&self, id: DocId) -> Result<(serde_json::Value, String), HubError> {
        self.ask(id, |reply| RoomCommand::Read { reply }).await
    }

    /// Full state and state vector of a document, loading it if needed.
    pub async fn snapshot(&self, id: DocId) -> Result<(Vec<u8>, StateVector), HubError> {
        self.ask(id, |reply| RoomCommand::Snapshot { reply }).await
    }

    /// Closes a deleted document's connections with 4410 and drops its room.
    pub async fn close_document(&self, id: DocId) {
        let Some(handle) = self.ctx.rooms.get(&id).map(|h| h.clone()) else {
            return;
        };
        let (reply, answer) = oneshot::channel();
        let command = RoomCommand::Close {
            code: close::DELETED,
            reason: "document deleted",
            reply,
        };
        if handle.tx.send(command).await.is_ok() {
            let _ = answer.await;
        }
    }

    /// Applies a membership change to open sockets: `role: None` closes the user's
    /// sockets in `workspace` (4403), or everywhere when `workspace` is `None` (4401);
    /// a role switches them between read-only and writable. Returns once every room
    /// has acted on it.
    pub async fn revoke(&self, user: UserId, workspace: Option<WorkspaceId>, role: Option<Role>) {
        self.tell_every_room(|reply| RoomCommand::Revoke {
            user,
            workspace,
            role,
            reply,
        })
        .await;
    }

    /// Handles of every loaded room right now (copied out, so no map lock is held across an await).
    fn loaded_rooms(&self) -> Vec<RoomHandle> {
        self.ctx.rooms.iter().map(|e| e.value().clone()).collect()
    }

    /// Sends every loaded room a command and waits until all have answered.
    async fn tell_every_room(&self, make: impl Fn(oneshot::Sender<()>) -> RoomCommand) {
        let handles = self.loaded_rooms();
        let mut answers = Vec::with_capacity(handles.len());
        for handle in handles {
            let (reply, answer) = oneshot::channel();
            if handle.tx.send(make(reply)).await.is_ok() {
                answers.push(answer);
            }
        }
        for answer in answers {
            let _ = answer.await;
        }
    }

    /// Hands another node's message to the document's room; never loads one for it
    /// (a node that does not serve the document has nothing to update).
    pub fn remote(&self, from: NodeId, doc: DocId, message: DocMessage) {
        self.ctx.remote(from, doc, message);
    }

    /// The rooms, for the cluster link to deliver to without keeping the hub alive.
    pub fn rooms_weak(&self) -> Weak<HubContext> {
        Arc::downgrade(&self.ctx)
    }

    /// After the cluster link came back: every loaded room asks its peers for what it
    /// missed, and rooms of documents deleted meanwhile (whose notice was lost) close.
    pub async fn resync_all(&self) {
        let rooms: Vec<(DocId, RoomHandle)> = self
            .ctx
            .rooms
            .iter()
            .map(|e| (*e.key(), e.value().clone()))
            .collect();
        for (_, handle) in &rooms {
            handle.send_now(RoomCommand::Resync);
        }
        // Off the caller's loop: one query per room.
        let hub = self.clone();
        tokio::spawn(async move {
            for (id, _) in rooms {
                if matches!(hub.ctx.store.document(id).await, Err(StoreError::NotFound)) {
                    hub.close_document(id).await;
                }
            }
        });
    }

    /// Closes every open document of a deleted workspace with 4410.
    pub async fn close_workspace(&self, workspace: WorkspaceId) {
        self.tell_every_room(|reply| RoomCommand::CloseWorkspace { workspace, reply })
            .await;
    }

    /// Resolves once every version the document's room has started to cut is stored
    /// (or failed); at once when the document is not loaded (never loads it).
    pub async fn versions_written(&self, id: DocId) {
        let Some(handle) = self.ctx.rooms.get(&id).map(|h| h.clone()) else {
            return;
        };
        let (reply, answer) = oneshot::channel();
        if handle
            .tx
            .send(RoomCommand::VersionsWritten { reply })
            .await
            .is_ok()
        {
            let _ = answer.await;
        }
    }

    /// Who is connected to a document now; nobody when it is not loaded (never loads it).
    pub async fn presence(&self, id: DocId) -> Vec<Present> {
        let Some(handle) = self.ctx.rooms.get(&id).map(|h| h.clone()) else {
            return Vec::new();
        };
        let (reply, answer) = oneshot::channel();
        if handle
            .tx
            .send(RoomCommand::Presence { reply })
            .await
            .is_err()
        {
            return Vec::new();
        }
        answer.await.unwrap_or_default()
    }

    /// Ticks every room once (awareness expiry, JSON saves, idle unload) and waits for all of them.
    pub async fn sweep(&self) {
        self.tell_every_room(|reply| RoomCommand::Tick { reply: Some(reply) })
            .await;
    }

    /// Loaded rooms right now.
    pub fn room_count(&self) -> usize {
        self.ctx.rooms.len()
    }

    /// Is this document loaded?
    pub fn is_loaded(&self, id: DocId) -> bool {
        self.ctx.rooms.contains_key(&id)
    }

    /// Refuses new work, flushes every room and closes its connections with 1001.
    pub async fn shutdown(&self) {
        self.shutting_down.store(true, Ordering::Release);
        self.tell_every_room(|reply| RoomCommand::Close {
            code: close::SHUTTING_DOWN,
            reason: "server shutting down",
            reply,
        })
        .await;
    }

    /// The store behind the hub.
    pub fn store(&self) -> &Arc<dyn Store> {
        &self.ctx.store
    }

    /// The limits in force.
    pub fn limits(&self) -> &Limits {
        &self.ctx.limits
    }

    /// Resolves once the persister has room for more updates (backpressure).
    pub async fn persist_capacity(&self) {
        self.ctx.persister.wait_for_room().await;
    }

    /// Updates waiting in the persister.
    pub fn persist_queue_depth(&self) -> u64 {
        self.ctx.persister.depth()
    }
}
