//! Versions: when a room cuts one, how it is written, and how any version is read back.
//!
//! - [`policy`]: what changed in a room since its last version and when an
//!   automatic version is due (quiet period, maximum interval), on the
//!   injected clock.
//! - [`RoomVersions`]: a room's side of it. Cutting costs the room one
//!   encode of its state; everything else (the unchanged check, the diff,
//!   the database write) happens in the document's [`writer`] task, one job
//!   at a time, so numbers and parents stay in cut order.
//! - [`read`]: a version's content rebuilt from the nearest snapshot plus
//!   diffs (never the update log), labels resolved, diffs between versions.

pub mod policy;
pub mod read;
pub mod writer;

use std::sync::Arc;
use std::time::Instant;

use rocqet_crdt::CrdtError;
use tokio::sync::oneshot;
use yrs::{Doc, ReadTxn, StateVector, Transact};

use crate::clock::Millis;
use crate::config::VersionSettings;
use crate::hub::HubError;
use crate::ids::{DocId, UserId};
use crate::store::{Store, StoreError, VersionKind, VersionRecord};
use policy::{Changes, CutPolicy};
pub use read::Selector;
use writer::{CutJob, Writer};

/// Why a version could not be cut, found or read.
#[derive(Debug, thiserror::Error)]
pub enum VersionError {
    /// No such version or label.
    #[error("version not found")]
    NotFound,
    /// The database failed (`NotFound` here means the document is gone).
    #[error("store: {0}")]
    Store(StoreError),
    /// Stored or live CRDT bytes did not rebuild; a server fault, never the caller's.
    #[error("version data unreadable: {0}")]
    Corrupt(String),
    /// The room could not take the request (document gone, invalid restore, shutting down).
    #[error(transparent)]
    Hub(#[from] HubError),
}

impl From<StoreError> for VersionError {
    fn from(e: StoreError) -> Self {
        VersionError::Store(e)
    }
}

impl From<CrdtError> for VersionError {
    fn from(e: CrdtError) -> Self {
        VersionError::Corrupt(e.to_string())
    }
}

/// What to record besides the content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CutRequest {
    pub kind: VersionKind,
    pub message: Option<String>,
    /// Who asked for it (manual and restore versions); listed first among the authors.
    pub by: Option<UserId>,
    /// The version a restore brought back.
    pub restored_from: Option<i64>,
}

impl CutRequest {
    /// An automatic version.
    pub fn auto() -> Self {
        Self {
            kind: VersionKind::Auto,
            message: None,
            by: None,
            restored_from: None,
        }
    }
}

/// The answer to a cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CutOutcome {
    /// A new version was recorded.
    Created(VersionRecord),
    /// Nothing changed since the newest version, which is returned instead.
    Unchanged(VersionRecord),
}

impl CutOutcome {
    /// The version either way.
    pub fn version(&self) -> &VersionRecord {
        match self {
            CutOutcome::Created(v) | CutOutcome::Unchanged(v) => v,
        }
    }
}

/// Where a room's cut reports back; the outer error is the room's, the inner one the writer's.
pub type CutReply = oneshot::Sender<Result<Result<CutOutcome, VersionError>, HubError>>;

/// A room's version state: unversioned changes, the policy, and its writer task.
pub struct RoomVersions {
    changes: Changes,
    policy: CutPolicy,
    snapshot_every: u32,
    writer: Option<Writer>,
}

impl RoomVersions {
    /// Nothing unversioned yet: whatever was stored before the room loaded was
    /// versioned when its editors left or its room unloaded.
    pub fn new(settings: &VersionSettings) -> Self {
        Self {
            changes: Changes::default(),
            policy: CutPolicy {
                quiet_ms: settings.quiet_ms(),
                max_interval_ms: settings.max_interval_ms(),
            },
            snapshot_every: settings.snapshot_every.max(1),
            writer: None,
        }
    }

    /// Notes an applied edit by `author` (`None`: unknown) at `now`.
    pub fn changed(&mut self, now: Millis, author: Option<UserId>) {
        self.changes.record(now, author);
    }

    /// Are there changes no version holds yet?
    pub fn is_dirty(&self) -> bool {
        self.changes.is_dirty()
    }

    /// Is an automatic version due at `now`?
    pub fn due(&self, now: Millis) -> bool {
        self.changes.due(now, self.policy)
    }

    /// Hands a version of `doc` to the writer. The room pays for one encode of
    /// its state; `reply` (if any) hears back once the version is stored.
    pub fn cut(
        &mut self,
        doc: &Doc,
        store: &Arc<dyn Store>,
        id: DocId,
        now: Millis,
        request: CutRequest,
        reply: Option<CutReply>,
    ) {
        let started = Instant::now();
        let state = doc
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        metrics::histogram!("rocqet_version_cut_room_seconds")
            .record(started.elapsed().as_secs_f64());
        let mut authors: Vec<UserId> = request.by.into_iter().collect();
        for author in self.changes.take() {
            if !authors.contains(&author) {
                authors.push(author);
            }
        }
        let snapshot_every = self.snapshot_every;
        let writer = self
            .writer
            .get_or_insert_with(|| Writer::spawn(store.clone(), id, snapshot_every));
        writer.send(CutJob {
            state,
            request,
            authors,
            created_at: crate::clock::utc(now),
            reply,
        });
    }

    /// Resolves once every version handed to the writer so far is stored (or failed).
    pub async fn written(&self) {
        let (done, wait) = oneshot::channel();
        self.notify_written(done);
        let _ = wait.await;
    }

    /// Answers `done` once every version handed to the writer so far is stored
    /// (or failed), without waiting here: the room keeps serving meanwhile.
    pub fn notify_written(&self, done: oneshot::Sender<()>) {
        match &self.writer {
            Some(writer) => writer.notify_idle(done),
            None => {
                let _ = done.send(());
            }
        }
    }
}
