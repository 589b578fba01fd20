//! A room: one task per loaded document, owning its `yrs::Doc` and `Awareness`.
//!
//! Everything that touches the document goes through the room's mailbox, so
//! no lock or transaction is ever held across an `.await`. Outgoing frames are
//! encoded once and pushed as shared `Bytes` into each connection's outbox.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use rocqet_crdt::protocol::{self, Frame};
use rocqet_crdt::{ApplyError, DocKind};
use tokio::sync::{mpsc, oneshot};
use yrs::block::ClientID;
use yrs::sync::Awareness;
use yrs::{ReadTxn, StateVector, Transact};

use super::peer_edits::PeerEdits;
use super::persister::{PersistItem, PersistProgress};

mod remote;
mod upkeep;
mod versioning;
use super::{HubContext, HubError, bases, close, load, presence};
use crate::auth::Role;
use crate::clock::{AwarenessClock, Millis};
use crate::cluster::{DocMessage, NodeId};
use crate::hub::outbox::Outbox;
use crate::ids::{DocId, UserId, WorkspaceId};
use crate::versions::{CutReply, CutRequest, RoomVersions};

/// A connection's identity within the hub.
pub type ConnId = u64;

/// A v1 update with no structs and no deletions: nothing to store or fan out.
const EMPTY_UPDATE: &[u8] = &[0, 0];
/// How often each connection is pinged. The room's tick drives it (an empty frame in
/// every outbox is the marker), so there is no timer per connection.
pub const PING_EVERY_MS: Millis = 30_000;
/// Least time between two saves of a busy document's materialised JSON (flushes save at once).
const JSON_SAVE_EVERY_MS: Millis = 5_000;
/// Compact the stored log once this many rows sit on top of the snapshot.
const COMPACT_AFTER_ROWS: usize = 2_000;

/// A connection joining a room.
#[derive(Debug)]
pub struct Member {
    pub id: ConnId,
    pub outbox: Arc<Outbox>,
    /// Send `[8][1]` after each of its updates is durably stored.
    pub wants_ack: bool,
    /// Viewers: updates are refused, awareness is relayed.
    pub read_only: bool,
    /// The authenticated user, stamped into this connection's awareness.
    pub user: UserId,
    pub name: Arc<str>,
}

struct Joined {
    member: Member,
    awareness_clients: Vec<ClientID>,
    told_read_only: bool,
}

/// What a room can be asked to do.
#[derive(Debug)]
pub enum RoomCommand {
    /// Add a connection; the room sends it SyncStep1 and the current awareness.
    Join {
        member: Member,
        reply: oneshot::Sender<Result<(), HubError>>,
    },
    /// A binary frame from a joined connection.
    Frame { conn: ConnId, frame: Bytes },
    /// A connection went away.
    Leave { conn: ConnId },
    /// Apply a partial JSON change (REST PATCH) as a CRDT edit, made on the read named
    /// by `base` (an ETag) if given; replies with the new content and its ETag.
    Patch {
        patch: serde_json::Value,
        base: Option<String>,
        /// Credited in the next version.
        author: Option<UserId>,
        reply: oneshot::Sender<Result<(serde_json::Value, String), HubError>>,
    },
    /// Cut a version now (manual); the writer replies once it is stored.
    CutVersion {
        request: CutRequest,
        reply: CutReply,
    },
    /// Answer once every version cut so far is written.
    VersionsWritten { reply: oneshot::Sender<()> },
    /// Edit the live document back to `target` (an old version's content) as an
    /// ordinary edit, then cut a version as `request` says.
    Restore {
        target: serde_json::Value,
        request: CutRequest,
        reply: CutReply,
    },
    /// The current content as JSON, with its ETag.
    Read {
        reply: oneshot::Sender<Result<(serde_json::Value, String), HubError>>,
    },
    /// The full state and state vector, for tests and tools.
    Snapshot {
        reply: oneshot::Sender<Result<(Vec<u8>, StateVector), HubError>>,
    },
    /// A member's access changed: `role: None` closes their sockets (4403, or 4401
    /// with `workspace: None`, i.e. logged out everywhere); a role makes them
    /// read-only or writable. Rooms of other workspaces ignore it.
    Revoke {
        user: UserId,
        workspace: Option<WorkspaceId>,
        role: Option<Role>,
        reply: oneshot::Sender<()>,
    },
    /// The workspace was deleted: a room of it closes like `Close` with 4410.
    CloseWorkspace {
        workspace: WorkspaceId,
        reply: oneshot::Sender<()>,
    },
    /// Who is connected now, with their awareness state.
    Presence {
        reply: oneshot::Sender<Vec<Present>>,
    },
    /// Another node's message about this document.
    Remote { from: NodeId, message: DocMessage },
    /// The cluster link came back: ask the other nodes for what we missed.
    Resync,
    /// Periodic housekeeping: expire awareness, save JSON, unload when idle.
    Tick { reply: Option<oneshot::Sender<()>> },
    /// Flush and close every connection with `code`, then stop.
    Close {
        code: u16,
        reason: &'static str,
        reply: oneshot::Sender<()>,
    },
}

/// One connected user, as `GET .../presence` shows them.
#[derive(Debug, Clone, PartialEq)]
pub struct Present {
    pub user: UserId,
    pub name: Arc<str>,
    /// The connection's awareness state, `null` before it sets one.
    pub state: serde_json::Value,
}

/// The room task's state.
pub struct Room {
    id: DocId,
    kind: DocKind,
    workspace_id: WorkspaceId,
    generation: u64,
    awareness: Awareness,
    members: HashMap<ConnId, Joined>,
    ctx: Arc<HubContext>,
    progress: Arc<PersistProgress>,
    doc_bytes: usize,
    rows_since_compact: usize,
    empty_since: Option<Millis>,
    json_dirty: bool,
    /// When the materialised JSON was last saved in the background.
    json_saved_at: Millis,
    /// Only other nodes changed the content since the last JSON save: their nodes keep
    /// the stored JSON fresh, so this one saves it only when it flushes (one save per
    /// edit cluster-wide, not one per node).
    remote_json_dirty: bool,
    /// Serialises background JSON saves so an older one never lands after a newer one.
    save_lock: Arc<tokio::sync::Mutex<()>>,
    /// Set when yrs panicked mid-apply: the room reloads from the store (which never
    /// saw the bad update) and clients resync, their unacked edits coming back with them.
    poisoned: bool,
    /// Contents recently handed out with an ETag, the bases a PATCH may name.
    bases: bases::RecentBases,
    last_ping: Millis,
    /// Unversioned changes, the cutting policy and the version writer.
    versions: RoomVersions,
}

impl Room {
    /// Loads the document and serves the mailbox until the room unloads or closes.
    pub async fn run(
        id: DocId,
        generation: u64,
        ctx: Arc<HubContext>,
        mut rx: mpsc::Receiver<RoomCommand>,
        peers: Arc<PeerEdits>,
    ) {
        // Subscribe before reading the store, so nothing published in between is missed.
        let subscribed = match &ctx.cluster {
            Some(cluster) => cluster.subscribe(id).await,
            None => false,
        };
        let loaded = match load::load(&*ctx.store, id).await {
            Ok(loaded) => loaded,
            Err(error) => {
                let error = HubError::from(error);
                if !matches!(error, HubError::NotFound) {
                    tracing::error!(doc = %id, %error, "loading document failed");
                }
                ctx.forget_room(id, generation);
                refuse_all(&mut rx, &error);
                if let Some(cluster) = &ctx.cluster {
                    cluster.unsubscribe(id);
                }
                return;
            }
        };
        // Unsubscribed (Redis down or slow), peers' answers could not be trusted to be
        // complete; the re-sync once the link is back brings what they hold.
        if let Some(cluster) = ctx.cluster.as_ref().filter(|_| subscribed) {
            load::catch_up(cluster, id, &loaded.doc).await;
        }
        let awareness = Awareness::with_clock(loaded.doc, AwarenessClock(ctx.clock.clone()));
        let mut room = Room {
            id,
            kind: loaded.kind,
            workspace_id: loaded.workspace_id,
            generation,
            awareness,
            members: HashMap::new(),
            progress: Arc::new(PersistProgress::new(loaded.last_seq, peers)),
            doc_bytes: loaded.stored_bytes,
            rows_since_compact: loaded.tail_len,
            empty_since: Some(ctx.clock.now_ms()),
            json_dirty: false,
            json_saved_at: 0,
            remote_json_dirty: false,
            save_lock: Arc::default(),
            poisoned: false,
            bases: bases::RecentBases::default(),
            last_ping: ctx.clock.now_ms(),
            versions: RoomVersions::new(&ctx.versions),
            ctx,
        };
        room.serve(&mut rx).await;
        refuse_all(&mut rx, &HubError::Gone);
        if let Some(cluster) = &room.ctx.cluster {
            cluster.unsubscribe(id);
        }
    }

    async fn serve(&mut self, rx: &mut mpsc::Receiver<RoomCommand>) {
        while let Some(command) = rx.recv().await {
            match command {
                RoomCommand::Join { member, reply } => {
                    let _ = reply.send(self.join(member));
                }
                RoomCommand::Frame { conn, frame } => self.frame(conn, frame),
                RoomCommand::Leave { conn } => self.leave(conn),
                RoomCommand::Patch {
                    patch,
                    base,
                    author,
                    reply,
                } => {
                    let _ = reply.send(self.patch(patch, base.as_deref(), author));
                }
                RoomCommand::CutVersion { request, reply } => {
                    self.cut_version(request, Some(reply));
                }
                RoomCommand::VersionsWritten { reply } => self.versions.notify_written(reply),
                RoomCommand::Restore {
                    target,
                    request,
                    reply,
                } => self.restore(&target, request, reply),
                RoomCommand::Read { reply } => {
                    let _ = reply.send(Ok(self.read()));
                }
                RoomCommand::Snapshot { reply } => {
                    let txn = self.awareness.doc().transact();
                    let _ = reply.send(Ok((
                        txn.encode_state_as_update_v1(&StateVector::default()),
                        txn.state_vector(),
                    )));
                }
                RoomCommand::Revoke {
                    user,
                    workspace,
                    role,
                    reply,
                } => {
                    self.revoke(user, workspace, role);
                    let _ = reply.send(());
                }
                RoomCommand::Presence { reply } => {
                    let _ = reply.send(self.presence());
                }
                RoomCommand::Remote { from, message } => self.remote(from, message),
                RoomCommand::Resync => self.resync(),
                RoomCommand::Tick { reply } => {
                    let unload = self.tick();
                    if unload && self.unload(rx).await {
                        if let Some(reply) = reply {
                            let _ = reply.send(());
                        }
                        return;
                    }
                    if let Some(reply) = reply {
                        let _ = reply.send(());
                    }
                }
                RoomCommand::Close {
                    code,
                    reason,
                    reply,
                } => {
                    self.close(code, reason).await;
                    let _ = reply.send(());
                    return;
                }
                RoomCommand::CloseWorkspace { workspace, reply } => {
                    if workspace == self.workspace_id {
                        self.close(close::DELETED, "workspace deleted").await;
                        let _ = reply.send(());
                        return;
                    }
                    let _ = reply.send(());
                }
            }
            if self.poisoned {
                self.reload().await;
                return;
            }
        }
    }

    /// Flushes, closes every connection with `code` and leaves the registry.
    async fn close(&mut self, code: u16, reason: &'static str) {
        self.flush().await;
        for joined in self.members.values() {
            joined.member.outbox.close(code, reason);
        }
        self.members.clear();
        self.ctx.forget_room(self.id, self.generation);
    }

    fn join(&mut self, member: Member) -> Result<(), HubError> {
        if self.members.len() >= self.ctx.limits.max_conns_per_doc {
            return Err(HubError::TooManyConnections);
        }
        let sv = self.awareness.doc().transact().state_vector();
        member
            .outbox
            .push(Bytes::from(protocol::encode_sync_step1(&sv)));
        if let Some(update) = presence::full_state(&self.awareness) {
            member
                .outbox
                .push(Bytes::from(protocol::encode_awareness(&update)));
        }
        // y-protocols' auth message tells a viewer up front that its edits go nowhere.
        let told_read_only = member.read_only;
        if told_read_only {
            member.outbox.push(read_only_notice());
        }
        self.empty_since = None;
        self.members.insert(
            member.id,
            Joined {
                member,
                awareness_clients: Vec::new(),
                told_read_only,
            },
        );
        Ok(())
    }

    fn revoke(&mut self, user: UserId, workspace: Option<WorkspaceId>, role: Option<Role>) {
        if workspace.is_some_and(|ws| ws != self.workspace_id) {
            return;
        }
        let conns: Vec<ConnId> = self
            .members
            .iter()
            .filter(|(_, joined)| joined.member.user == user)
            .map(|(id, _)| *id)
            .collect();
        for conn in conns {
            match role {
                None => {
                    let (code, reason) = if workspace.is_some() {
                        (close::FORBIDDEN, "access revoked")
                    } else {
                        (close::UNAUTHENTICATED, "session revoked")
                    };
                    self.reject(conn, code, reason);
                }
                Some(role) => {
                    if let Some(joined) = self.members.get_mut(&conn) {
                        let read_only = !role.can_write();
                        if read_only && !joined.member.read_only {
                            joined.member.outbox.push(read_only_notice());
                        }
                        joined.member.read_only = read_only;
                        joined.told_read_only = read_only;
                    }
                }
            }
        }
    }

    /// This node's connections, plus other nodes' clients as their awareness shows
    /// them (stamped with user id and name by the node they are connected to).
    fn presence(&self) -> Vec<Present> {
        let mut present: Vec<Present> = self
            .members
            .values()
            .map(|joined| Present {
                user: joined.member.user,
                name: joined.member.name.clone(),
                state: joined
                    .awareness_clients
                    .iter()
                    .find_map(|client| presence::state_of(&self.awareness, *client))
                    .unwrap_or(serde_json::Value::Null),
            })
            .collect();
        let local = |client: &ClientID| {
            self.members
                .values()
                .any(|joined| joined.awareness_clients.contains(client))
        };
        present.extend(
            presence::stamped_states(&self.awareness)
                .filter(|(client, ..)| !local(client))
                .map(|(_, user, name, state)| Present {
                    user,
                    name: Arc::from(name),
                    state,
                }),
        );
        present.sort_by(|a, b| a.name.cmp(&b.name).then(a.user.cmp(&b.user)));
        present
    }

    fn leave(&mut self, conn: ConnId) {
        let Some(joined) = self.members.remove(&conn) else {
            return;
        };
        if let Some(update) =
            presence::remove_clients(&mut self.awareness, &joined.awareness_clients)
        {
            self.broadcast(Bytes::from(protocol::encode_awareness(&update)), None);
            self.publish_awareness(&update);
        }
        if self.members.is_empty() {
            self.empty_since = Some(self.ctx.clock.now_ms());
        }
        // The last editor left: what they did becomes a version now.
        if self.versions.is_dirty() && self.members.values().all(|j| j.member.read_only) {
            self.cut_version(CutRequest::auto(), None);
        }
    }

    /// Closes one connection for bad input; nobody else notices.
    fn reject(&mut self, conn: ConnId, code: u16, reason: &'static str) {
        if let Some(joined) = self.members.get(&conn) {
            tracing::info!(doc = %self.id, conn, code, reason, "closing connection");
            joined.member.outbox.close(code, reason);
        }
        self.leave(conn);
    }

    fn frame(&mut self, conn: ConnId, frame: Bytes) {
        if !self.members.contains_key(&conn) {
            return;
        }
        let started = Instant::now();
        match decode(&frame) {
            Err(()) => self.reject(conn, close::BAD_MESSAGE, "malformed message"),
            Ok(Frame::SyncStep1(sv)) => {
                let update = self
                    .awareness
                    .doc()
                    .transact()
                    .encode_state_as_update_v1(&sv);
                self.send_to(conn, Bytes::from(protocol::encode_sync_step2(&update)));
            }
            Ok(Frame::SyncStep2(update)) => {
                let update = frame.slice_ref(update);
                self.client_update(conn, update, None, started);
            }
            Ok(Frame::Update(update)) => {
                let update = frame.slice_ref(update);
                self.client_update(conn, update, Some(frame.clone()), started);
            }
            Ok(Frame::Awareness(mut update)) => {
                // A connection may only speak for awareness clients no other connection
                // owns, here or (stamped with another user) on another node.
                let Some(user) = self.members.get(&conn).map(|j| j.member.user) else {
                    return;
                };
                update.clients.retain(|client, _| {
                    !self
                        .members
                        .iter()
                        .any(|(id, other)| *id != conn && other.awareness_clients.contains(client))
                        && !presence::held_by_another_user(&self.awareness, *client, user)
                });
                let Some(joined) = self.members.get_mut(&conn) else {
                    return;
                };
                for client in presence::claimed_clients(&update) {
                    if !joined.awareness_clients.contains(&client) {
                        joined.awareness_clients.push(client);
                    }
                }
                presence::stamp(&mut update, joined.member.user, &joined.member.name);
                if update.clients.is_empty() {
                    return;
                }
                let stamped = Bytes::from(protocol::encode_awareness(&update));
                let for_peers = self.ctx.cluster.is_some().then(|| update.clone());
                if self.awareness.apply_update(update).is_err() {
                    self.reject(conn, close::BAD_MESSAGE, "bad awareness update");
                    return;
                }
                if let Some(update) = for_peers {
                    self.publish_awareness(&update);
                }
                self.broadcast(stamped, Some(conn));
            }
            Ok(Frame::QueryAwareness) => {
                if let Some(update) = presence::full_state(&self.awareness) {
                    self.send_to(conn, Bytes::from(protocol::encode_awareness(&update)));
                }
            }
            // Clients have no business sending these; harmless, so ignored.
            Ok(Frame::Auth(_)) | Ok(Frame::Ack(_)) => {}
        }
    }

    /// Applies, fans out and queues for storage one update from a client.
    /// `as_update` is the incoming frame when it already is an Update message and can be forwarded as is.
    fn client_update(
        &mut self,
        conn: ConnId,
        update: Bytes,
        as_update: Option<Bytes>,
        started: Instant,
    ) {
        let Some(joined) = self.members.get_mut(&conn) else {
            return;
        };
        if joined.member.read_only {
            if !joined.told_read_only {
                joined.told_read_only = true;
                joined.member.outbox.push(read_only_notice());
            }
            return;
        }
        let ack = joined
            .member
            .wants_ack
            .then(|| joined.member.outbox.clone());
        let author = joined.member.user;
        if &update[..] == EMPTY_UPDATE {
            self.persist(None, ack, None);
            return;
        }
        if self.doc_bytes.saturating_add(update.len()) > self.ctx.limits.max_doc_bytes {
            self.reject(conn, close::TOO_LARGE, "document too large");
            return;
        }
        match apply(&self.awareness, &update) {
            Ok(()) => {}
            Err(Refusal::Invalid(reason)) => {
                tracing::info!(doc = %self.id, conn, %reason, "rejected update");
                self.reject(conn, close::BAD_MESSAGE, "update rejected");
                return;
            }
            Err(Refusal::Damaged) => {
                tracing::error!(doc = %self.id, conn, "update left the document untrustworthy; reloading it");
                self.reject(conn, close::BAD_MESSAGE, "update rejected");
                self.poisoned = true;
                return;
            }
        }
        self.doc_bytes += update.len();
        self.versions.changed(self.ctx.clock.now_ms(), Some(author));
        let frame = as_update.unwrap_or_else(|| Bytes::from(protocol::encode_update(&update)));
        self.broadcast(frame, Some(conn));
        metrics::histogram!("rocqet_fanout_seconds").record(started.elapsed().as_secs_f64());
        metrics::counter!("rocqet_updates_total").increment(1);
        let published = self.publish_update(&update);
        self.persist(Some(update), ack, published);
    }

    /// Sends an edit made here to the other nodes at once, before it is stored.
    fn publish_update(&self, update: &Bytes) -> Option<u64> {
        let cluster = self.ctx.cluster.as_ref()?;
        Some(cluster.publish_update(self.id, update.clone()))
    }

    /// Queues an edit made here for storage (and its sender's ack; `None` data is an ack only).
    fn persist(&mut self, data: Option<Bytes>, ack: Option<Arc<Outbox>>, published: Option<u64>) {
        if data.is_some() {
            self.json_dirty = true;
            self.rows_since_compact += 1;
        }
        // The edit may build on peers' updates not stored yet: its ack waits for them.
        let awaits = ack.as_ref().and_then(|_| self.progress.peers.awaited());
        self.enqueue(PersistItem {
            doc_id: self.id,
            data,
            ack,
            awaits,
            published,
            taken_over: None,
            progress: self.progress.clone(),
        });
    }

    fn enqueue(&self, item: PersistItem) {
        if !self.ctx.persister.enqueue(item) {
            tracing::error!(doc = %self.id, "persister stopped; update kept in memory only");
        }
    }

    /// The current content and its ETag, remembered as a possible base of a later PATCH.
    fn read(&mut self) -> (serde_json::Value, String) {
        let content = rocqet_crdt::materialise(self.awareness.doc(), self.kind);
        let etag = self.bases.remember(&content);
        (content, etag)
    }

    fn patch(
        &mut self,
        mut patch: serde_json::Value,
        base: Option<&str>,
        author: Option<UserId>,
    ) -> Result<(serde_json::Value, String), HubError> {
        if let Some(etag) = base {
            let base = self.bases.get(etag).ok_or(HubError::Stale)?;
            let current = rocqet_crdt::materialise(self.awareness.doc(), self.kind);
            bases::rebase_text(&mut patch, base, &current);
        }
        let update = match rocqet_crdt::apply_patch(self.awareness.doc(), self.kind, &patch) {
            Ok(update) => update,
            // apply_patch reports a panic inside yrs this way: the doc is damaged.
            Err(error @ rocqet_crdt::CrdtError::Update(_)) => {
                tracing::error!(doc = %self.id, %error, "patch found the document damaged; reloading it");
                self.poisoned = true;
                return Err(HubError::Gone);
            }
            Err(error) => return Err(error.into()),
        };
        self.publish_local(update, author);
        Ok(self.read())
    }

    /// Fans out, stores and counts for the next version an edit the room made itself (REST, restore).
    fn publish_local(&mut self, update: Vec<u8>, author: Option<UserId>) {
        if update.is_empty() || update == EMPTY_UPDATE {
            return;
        }
        self.doc_bytes += update.len();
        self.versions.changed(self.ctx.clock.now_ms(), author);
        let update = Bytes::from(update);
        self.broadcast(Bytes::from(protocol::encode_update(&update)), None);
        let published = self.publish_update(&update);
        self.persist(Some(update), None, published);
    }

    fn send_to(&self, conn: ConnId, frame: Bytes) {
        if let Some(joined) = self.members.get(&conn) {
            joined.member.outbox.push(frame);
        }
    }

    fn broadcast(&self, frame: Bytes, except: Option<ConnId>) {
        for (id, joined) in &self.members {
            if Some(*id) != except {
                joined.member.outbox.push(frame.clone());
            }
        }
    }
}

/// The auth message a read-only connection gets.
fn read_only_notice() -> Bytes {
    Bytes::from(protocol::encode_permission_denied(
        "read-only: viewers cannot edit",
    ))
}

/// Decodes a frame. yrs' decoders assert on some hostile input (53-bit client ids,
/// clock overflow); decoding has no side effects, so a panic is just a refusal.
fn decode(frame: &[u8]) -> Result<Frame<'_>, ()> {
    decode_quietly(|| protocol::decode_frame(frame).ok()).ok_or(())
}

/// Runs a yrs decoder, whose asserts on hostile input are just a refusal here.
fn decode_quietly<T>(decode: impl FnOnce() -> Option<T>) -> Option<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(decode))
        .ok()
        .flatten()
}

/// Why an update was not applied.
enum Refusal {
    /// Malformed or refused; the document is untouched.
    Invalid(String),
    /// yrs integrated part of it, parked it, or panicked: the in-memory document
    /// can no longer be trusted and is reloaded from the store.
    Damaged,
}

/// Applies one client update under the hub's policy (`rocqet_crdt::apply_client_update`).
fn apply(awareness: &Awareness, update: &[u8]) -> Result<(), Refusal> {
    match rocqet_crdt::apply_client_update(awareness.doc(), update) {
        Ok(()) => Ok(()),
        Err(ApplyError::Invalid(error)) => Err(Refusal::Invalid(error.to_string())),
        Err(ApplyError::PartlyApplied(_) | ApplyError::Panicked) => Err(Refusal::Damaged),
    }
}

/// Answers everything still queued after the room stopped, so callers can retry.
fn refuse_all(rx: &mut mpsc::Receiver<RoomCommand>, error: &HubError) {
    rx.close();
    while let Ok(command) = rx.try_recv() {
        match command {
            RoomCommand::Join { member, reply } => {
                let _ = reply.send(Err(error.clone()));
                drop(member);
            }
            RoomCommand::Patch { reply, .. } | RoomCommand::Read { reply } => {
                let _ = reply.send(Err(error.clone()));
            }
            RoomCommand::Snapshot { reply } => {
                let _ = reply.send(Err(error.clone()));
            }
            RoomCommand::CutVersion { reply, .. } | RoomCommand::Restore { reply, .. } => {
                let _ = reply.send(Err(error.clone()));
            }
            RoomCommand::Close { reply, .. } => {
                let _ = reply.send(());
            }
            RoomCommand::Tick { reply } => {
                if let Some(reply) = reply {
                    let _ = reply.send(());
                }
            }
            RoomCommand::Revoke { reply, .. }
            | RoomCommand::CloseWorkspace { reply, .. }
            | RoomCommand::VersionsWritten { reply } => {
                let _ = reply.send(());
            }
            RoomCommand::Presence { reply } => {
                let _ = reply.send(Vec::new());
            }
            RoomCommand::Frame { .. }
            | RoomCommand::Leave { .. }
            | RoomCommand::Remote { .. }
            | RoomCommand::Resync => {}
        }
    }
}
