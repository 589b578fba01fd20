//! Who may do what: cached role and document lookups, invalidated on change.
//!
//! Every REST request and socket upgrade asks for a role; the database answers
//! once, the cache after that. Anything that changes a membership, deletes a
//! workspace or revokes sessions calls the matching `forget_*`.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use dashmap::DashMap;
use rocqet_crdt::DocKind;

use crate::auth::Role;
use crate::ids::{DocId, UserId, WorkspaceId};
use crate::store::{Store, StoreError, StoreResult};

/// Entries kept per cache before it is simply cleared: bounds memory without an LRU.
const CACHE_CAP: usize = 100_000;
/// How long a cached role or session state is trusted. Changes made through this
/// server are forgotten at once; this bounds how long a change made elsewhere (another
/// node on the same database) takes to be seen.
const TTL: Duration = Duration::from_secs(5);

/// Where a document lives: enough to check access without loading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DocPlace {
    pub workspace_id: WorkspaceId,
    pub kind: DocKind,
}

/// The cached access lookups of one server.
pub struct Access {
    store: Arc<dyn Store>,
    roles: DashMap<(WorkspaceId, UserId), (Option<Role>, Instant)>,
    places: DashMap<DocId, DocPlace>,
    /// `sessions_revoked_at` in whole seconds, per user known to exist.
    sessions: DashMap<UserId, (Option<u64>, Instant)>,
    /// Bumped by every `forget_*` before it forgets. A lookup that read the database
    /// only caches its answer if no forget happened meanwhile, so a read racing a
    /// change can never put the old answer back; sockets compare it across their join.
    generation: AtomicU64,
    /// Bumped when every open socket must re-check its access (after a cluster
    /// outage, when notices from other nodes may have been missed).
    rechecks: tokio::sync::watch::Sender<u64>,
}

impl Access {
    /// Lookups over `store`, starting cold.
    pub fn new(store: Arc<dyn Store>) -> Self {
        Self {
            store,
            roles: DashMap::new(),
            places: DashMap::new(),
            sessions: DashMap::new(),
            generation: AtomicU64::new(0),
            rechecks: tokio::sync::watch::Sender::new(0),
        }
    }

    /// Forgets everything cached and asks every open socket to re-check its access:
    /// changes made on other nodes may have gone unannounced.
    pub fn forget_all(&self) {
        self.bump();
        self.roles.clear();
        self.places.clear();
        self.sessions.clear();
        self.rechecks.send_modify(|epoch| *epoch += 1);
    }

    /// Wakes when [`Access::forget_all`] asks sockets to re-check.
    pub fn rechecks(&self) -> tokio::sync::watch::Receiver<u64> {
        self.rechecks.subscribe()
    }

    /// The current forget generation (see the field).
    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    fn bump(&self) {
        self.generation.fetch_add(1, Ordering::AcqRel);
    }

    /// The user's role in the workspace, `None` for a non-member.
    pub async fn role(&self, ws: WorkspaceId, user: UserId) -> StoreResult<Option<Role>> {
        if let Some(entry) = self.roles.get(&(ws, user))
            && entry.1.elapsed() < TTL
        {
            return Ok(entry.0);
        }
        let generation = self.generation();
        let role = self.store.role_of(ws, user).await?;
        if self.generation() == generation {
            bounded_insert(&self.roles, (ws, user), (role, Instant::now()));
        }
        Ok(role)
    }

    /// Drops a cached role after a membership changed.
    pub fn forget_role(&self, ws: WorkspaceId, user: UserId) {
        self.bump();
        self.roles.remove(&(ws, user));
    }

    /// Drops everything cached about a deleted workspace.
    pub fn forget_workspace(&self, ws: WorkspaceId) {
        self.bump();
        self.roles.retain(|(w, _), _| *w != ws);
        self.places.retain(|_, place| place.workspace_id != ws);
    }

    /// The workspace and kind of a live document; `NotFound` if absent or deleted.
    pub async fn document(&self, doc: DocId) -> StoreResult<DocPlace> {
        if let Some(place) = self.places.get(&doc) {
            return Ok(*place);
        }
        let record = self.store.document(doc).await?;
        let place = DocPlace {
            workspace_id: record.workspace_id,
            kind: record.kind,
        };
        bounded_insert(&self.places, doc, place);
        Ok(place)
    }

    /// Drops a deleted document.
    pub fn forget_document(&self, doc: DocId) {
        self.places.remove(&doc);
    }

    /// Is a token issued at `issued_at` (seconds) for `user` still good: the user exists
    /// and has not logged out everywhere since?
    pub async fn session_valid(&self, user: UserId, issued_at: u64) -> StoreResult<bool> {
        let cached = self
            .sessions
            .get(&user)
            .filter(|entry| entry.1.elapsed() < TTL)
            .map(|entry| entry.0);
        let revoked = match cached {
            Some(revoked) => revoked,
            None => {
                let generation = self.generation();
                let revoked = match self.store.user(user).await {
                    Ok(record) => record
                        .sessions_revoked_at
                        .map(|at| u64::try_from(at.timestamp()).unwrap_or(0)),
                    Err(StoreError::NotFound) => return Ok(false),
                    Err(other) => return Err(other),
                };
                if self.generation() == generation {
                    bounded_insert(&self.sessions, user, (revoked, Instant::now()));
                }
                revoked
            }
        };
        // A token from the very second of the revocation is refused too: one second
        // of lock-out after "log out everywhere" beats a window for the old tokens.
        Ok(revoked.is_none_or(|at| issued_at > at))
    }

    /// Drops a user's cached session state after "log out everywhere".
    pub fn forget_sessions(&self, user: UserId) {
        self.bump();
        self.sessions.remove(&user);
    }
}

fn bounded_insert<K: std::hash::Hash + Eq, V>(map: &DashMap<K, V>, key: K, value: V) {
    if map.len() >= CACHE_CAP {
        map.clear();
    }
    map.insert(key, value);
}
