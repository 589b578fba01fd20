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

use super::persister::{PersistItem, PersistProgress};

mod upkeep;
use super::{HubContext, HubError, bases, close, load, presence};
use crate::clock::{AwarenessClock, Millis};
use crate::hub::outbox::Outbox;
use crate::ids::DocId;

/// A connection's identity within the hub.
pub type ConnId = u64;

/// A v1 update with no structs and no deletions: nothing to store or fan out.
const EMPTY_UPDATE: &[u8] = &[0, 0];
/// How often each connection is pinged. The room's tick drives it (an empty frame in
/// every outbox is the marker), so there is no timer per connection.
pub const PING_EVERY_MS: Millis = 30_000;
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
        reply: oneshot::Sender<Result<(serde_json::Value, String), HubError>>,
    },
    /// The current content as JSON, with its ETag.
    Read {
        reply: oneshot::Sender<Result<(serde_json::Value, String), HubError>>,
    },
    /// The full state and state vector, for tests and tools.
    Snapshot {
        reply: oneshot::Sender<Result<(Vec<u8>, StateVector), HubError>>,
    },
    /// Periodic housekeeping: expire awareness, save JSON, unload when idle.
    Tick { reply: Option<oneshot::Sender<()>> },
    /// Flush and close every connection with `code`, then stop.
    Close {
        code: u16,
        reason: &'static str,
        reply: oneshot::Sender<()>,
    },
}

/// The room task's state.
pub struct Room {
    id: DocId,
    kind: DocKind,
    generation: u64,
    awareness: Awareness,
    members: HashMap<ConnId, Joined>,
    ctx: Arc<HubContext>,
    progress: Arc<PersistProgress>,
    doc_bytes: usize,
    rows_since_compact: usize,
    empty_since: Option<Millis>,
    json_dirty: bool,
    /// Serialises background JSON saves so an older one never lands after a newer one.
    save_lock: Arc<tokio::sync::Mutex<()>>,
    /// Set when yrs panicked mid-apply: the room reloads from the store (which never
    /// saw the bad update) and clients resync, their unacked edits coming back with them.
    poisoned: bool,
    /// Contents recently handed out with an ETag, the bases a PATCH may name.
    bases: bases::RecentBases,
    last_ping: Millis,
}

impl Room {
    /// Loads the document and serves the mailbox until the room unloads or closes.
    pub async fn run(
        id: DocId,
        generation: u64,
        ctx: Arc<HubContext>,
        mut rx: mpsc::Receiver<RoomCommand>,
    ) {
        let loaded = match load::load(&*ctx.store, id).await {
            Ok(loaded) => loaded,
            Err(error) => {
                let error = HubError::from(error);
                if !matches!(error, HubError::NotFound) {
                    tracing::error!(doc = %id, %error, "loading document failed");
                }
                ctx.forget_room(id, generation);
                refuse_all(&mut rx, &error);
                return;
            }
        };
        let awareness = Awareness::with_clock(loaded.doc, AwarenessClock(ctx.clock.clone()));
        let mut room = Room {
            id,
            kind: loaded.kind,
            generation,
            awareness,
            members: HashMap::new(),
            progress: Arc::new(PersistProgress::new(loaded.last_seq)),
            doc_bytes: loaded.stored_bytes,
            rows_since_compact: loaded.tail_len,
            empty_since: Some(ctx.clock.now_ms()),
            json_dirty: false,
            save_lock: Arc::default(),
            poisoned: false,
            bases: bases::RecentBases::default(),
            last_ping: ctx.clock.now_ms(),
            ctx,
        };
        room.serve(&mut rx).await;
        refuse_all(&mut rx, &HubError::Gone);
    }

    async fn serve(&mut self, rx: &mut mpsc::Receiver<RoomCommand>) {
        while let Some(command) = rx.recv().await {
            match command {
                RoomCommand::Join { member, reply } => {
                    let _ = reply.send(self.join(member));
                }
                RoomCommand::Frame { conn, frame } => self.frame(conn, frame),
                RoomCommand::Leave { conn } => self.leave(conn),
                RoomCommand::Patch { patch, base, reply } => {
                    let _ = reply.send(self.patch(patch, base.as_deref()));
                }
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
                    self.flush().await;
                    for joined in self.members.values() {
                        joined.member.outbox.close(code, reason);
                    }
                    self.members.clear();
                    self.ctx.forget_room(self.id, self.generation);
                    let _ = reply.send(());
                    return;
                }
            }
            if self.poisoned {
                self.reload().await;
                return;
            }
        }
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
        self.empty_since = None;
        self.members.insert(
            member.id,
            Joined {
                member,
                awareness_clients: Vec::new(),
                told_read_only: false,
            },
        );
        Ok(())
    }

    fn leave(&mut self, conn: ConnId) {
        let Some(joined) = self.members.remove(&conn) else {
            return;
        };
        if let Some(update) =
            presence::remove_clients(&mut self.awareness, &joined.awareness_clients)
        {
            self.broadcast(Bytes::from(protocol::encode_awareness(&update)), None);
        }
        if self.members.is_empty() {
            self.empty_since = Some(self.ctx.clock.now_ms());
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
            Ok(Frame::Awareness(update)) => {
                if let Some(joined) = self.members.get_mut(&conn) {
                    for client in presence::claimed_clients(&update) {
                        if !joined.awareness_clients.contains(&client) {
                            joined.awareness_clients.push(client);
                        }
                    }
                }
                if self.awareness.apply_update(update).is_err() {
                    self.reject(conn, close::BAD_MESSAGE, "bad awareness update");
                    return;
                }
                self.broadcast(frame, Some(conn));
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
                let denied = protocol::encode_permission_denied("read-only: viewers cannot edit");
                joined.member.outbox.push(Bytes::from(denied));
            }
            return;
        }
        let ack = joined
            .member
            .wants_ack
            .then(|| joined.member.outbox.clone());
        if &update[..] == EMPTY_UPDATE {
            self.persist(None, ack);
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
        let frame = as_update.unwrap_or_else(|| Bytes::from(protocol::encode_update(&update)));
        self.broadcast(frame, Some(conn));
        metrics::histogram!("rocqet_fanout_seconds").record(started.elapsed().as_secs_f64());
        metrics::counter!("rocqet_updates_total").increment(1);
        self.persist(Some(update), ack);
    }

    fn persist(&mut self, data: Option<Bytes>, ack: Option<Arc<Outbox>>) {
        if data.is_some() {
            self.json_dirty = true;
            self.rows_since_compact += 1;
        }
        let item = PersistItem {
            doc_id: self.id,
            data,
            ack,
            progress: self.progress.clone(),
        };
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
        if !update.is_empty() && update != EMPTY_UPDATE {
            self.doc_bytes += update.len();
            let update = Bytes::from(update);
            self.broadcast(Bytes::from(protocol::encode_update(&update)), None);
            self.persist(Some(update), None);
        }
        Ok(self.read())
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

/// Decodes a frame. yrs' decoders assert on some hostile input (53-bit client ids,
/// clock overflow); decoding has no side effects, so a panic is just a refusal.
fn decode(frame: &[u8]) -> Result<Frame<'_>, ()> {
    match std::panic::catch_unwind(|| protocol::decode_frame(frame)) {
        Ok(Ok(decoded)) => Ok(decoded),
        Ok(Err(_)) | Err(_) => Err(()),
    }
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
            RoomCommand::Close { reply, .. } => {
                let _ = reply.send(());
            }
            RoomCommand::Tick { reply } => {
                if let Some(reply) = reply {
                    let _ = reply.send(());
                }
            }
            RoomCommand::Frame { .. } | RoomCommand::Leave { .. } => {}
        }
    }
}
