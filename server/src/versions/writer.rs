//! The per-document version writer: one task, one job at a time, in cut order.
//!
//! A job carries the room's whole state as it was when the version was cut.
//! The writer decodes it off the async runtime, compares it with the newest
//! stored version (nothing changed: no version), cuts the diff against that
//! version's state vector, and inserts version `newest + 1`. Doing this in
//! one task per document keeps numbers and parents in the order the room cut
//! them; the store's parent check catches any other writer (another node),
//! and the job is then redone against the new newest version.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rocqet_crdt::{ApplyError, history};
use tokio::sync::{mpsc, oneshot};

use super::{CutOutcome, CutReply, CutRequest, VersionError};
use crate::ids::{DocId, UserId};
use crate::store::{CONFLICT_VERSION_PARENT, NewVersion, Store, StoreError, VersionHead};

/// Attempts per job when other writers keep getting in first.
const PARENT_RETRIES: usize = 3;

/// One version to write.
pub struct CutJob {
    /// The document's whole state at cut time (a v1 update).
    pub state: Vec<u8>,
    pub request: CutRequest,
    pub authors: Vec<UserId>,
    pub created_at: DateTime<Utc>,
    pub reply: Option<CutReply>,
}

enum Job {
    Cut(CutJob),
    /// Answered once every job before it is done.
    Barrier(oneshot::Sender<()>),
}

/// Handle to a document's writer task; the task ends when the handle is dropped and its queue is done.
pub struct Writer {
    tx: mpsc::UnboundedSender<Job>,
}

impl Writer {
    /// Starts the writer of document `id`.
    pub fn spawn(store: Arc<dyn Store>, id: DocId, snapshot_every: u32) -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = Task {
            store,
            id,
            snapshot_every: i64::from(snapshot_every.max(1)),
            head: None,
        };
        tokio::spawn(task.run(rx));
        Self { tx }
    }

    /// Queues a version. Unbounded: a room cuts at most once per command or
    /// tick, so the queue is bounded by what the room itself does.
    pub fn send(&self, job: CutJob) {
        if let Err(mpsc::error::SendError(Job::Cut(job))) = self.tx.send(Job::Cut(job)) {
            tracing::error!("version writer stopped; version not written");
            if let Some(reply) = job.reply {
                let _ = reply.send(Err(crate::hub::HubError::Gone));
            }
        }
    }

    /// Answers `done` once every job queued so far is done (at once if the task is gone).
    pub fn notify_idle(&self, done: oneshot::Sender<()>) {
        if let Err(mpsc::error::SendError(Job::Barrier(done))) = self.tx.send(Job::Barrier(done)) {
            let _ = done.send(());
        }
    }
}

/// The task's state.
struct Task {
    store: Arc<dyn Store>,
    id: DocId,
    snapshot_every: i64,
    /// The newest stored version as far as this task knows: `None` until read,
    /// `Some(None)` for a document without versions.
    head: Option<Option<VersionHead>>,
}

/// What the CPU part decided.
enum Plan {
    Unchanged,
    Cut(history::Cut),
}

impl Task {
    async fn run(mut self, mut rx: mpsc::UnboundedReceiver<Job>) {
        while let Some(job) = rx.recv().await {
            match job {
                Job::Barrier(done) => {
                    let _ = done.send(());
                }
                Job::Cut(mut job) => {
                    let reply = job.reply.take();
                    let result = self.write(job).await;
                    match (reply, result) {
                        (Some(reply), result) => {
                            let _ = reply.send(Ok(result));
                        }
                        (None, Ok(_)) => {}
                        (None, Err(VersionError::Store(StoreError::NotFound))) => {
                            tracing::debug!(doc = %self.id, "document gone; version not written");
                        }
                        (None, Err(error)) => {
                            tracing::warn!(doc = %self.id, %error, "cutting a version failed");
                        }
                    }
                }
            }
        }
    }

    async fn write(&mut self, job: CutJob) -> Result<CutOutcome, VersionError> {
        let state = Arc::new(job.state);
        for _ in 0..PARENT_RETRIES {
            let head = match self.head.take() {
                Some(head) => head,
                None => self.store.version_head(self.id).await?,
            };
            let number = head.as_ref().map_or(1, |h| h.number + 1);
            let with_snapshot = number == 1 || number % self.snapshot_every == 0;
            let (head, plan) = {
                let state = state.clone();
                // Decoding and diffing are O(document): off the async workers.
                tokio::task::spawn_blocking(move || {
                    let plan = plan(&state, head.as_ref(), with_snapshot);
                    (head, plan)
                })
                .await
                .map_err(|e| VersionError::Corrupt(format!("cutting panicked: {e}")))?
            };
            let cut = match plan? {
                Plan::Unchanged => {
                    let Some(newest) = head else {
                        return Err(VersionError::Corrupt("unchanged without a version".into()));
                    };
                    let number = newest.number;
                    self.head = Some(Some(newest));
                    return Ok(CutOutcome::Unchanged(
                        self.store.version(self.id, number).await?,
                    ));
                }
                Plan::Cut(cut) => cut,
            };
            let version = NewVersion {
                doc_id: self.id,
                number,
                parent: head.as_ref().map(|h| h.number),
                kind: job.request.kind,
                message: job.request.message.clone(),
                authors: job.authors.clone(),
                created_at: job.created_at,
                restored_from: job.request.restored_from,
                state_vector: cut.state_vector,
                diff: cut.diff,
                snapshot: cut.snapshot,
            };
            let (state_vector, diff) = (version.state_vector.clone(), version.diff.clone());
            match self.store.insert_version(version).await {
                Ok(record) => {
                    metrics::counter!("rocqet_versions_cut_total", "kind" => job.request.kind.as_str())
                        .increment(1);
                    self.head = Some(Some(VersionHead {
                        number,
                        state_vector,
                        diff,
                    }));
                    return Ok(CutOutcome::Created(record));
                }
                Err(StoreError::Conflict(what)) if what == CONFLICT_VERSION_PARENT => {
                    tracing::debug!(doc = %self.id, number, "another writer cut first; cutting again");
                }
                Err(error) => return Err(error.into()),
            }
        }
        Err(VersionError::Store(StoreError::Conflict(
            CONFLICT_VERSION_PARENT.to_owned(),
        )))
    }
}

/// Rebuilds the cut state and decides: nothing new since `head`, or the cut to store.
fn plan(
    state: &[u8],
    head: Option<&VersionHead>,
    with_snapshot: bool,
) -> Result<Plan, VersionError> {
    let doc = rocqet_crdt::new_doc();
    rocqet_crdt::apply_update(&doc, state).map_err(|e| match e {
        ApplyError::Invalid(e) | ApplyError::PartlyApplied(e) => VersionError::from(e),
        ApplyError::Panicked => VersionError::Corrupt("yrs panicked decoding the state".into()),
    })?;
    if let Some(head) = head
        && history::unchanged_since(&doc, &head.state_vector, &head.diff)?
    {
        return Ok(Plan::Unchanged);
    }
    let parent = head.map(|h| h.state_vector.as_slice());
    Ok(Plan::Cut(history::cut(&doc, parent, with_snapshot)?))
}

#[cfg(test)]
mod tests {
    use super::*;
    use rocqet_crdt::DocKind;
    use serde_json::json;
    use yrs::{ReadTxn, StateVector, Transact};

    fn state(doc: &yrs::Doc) -> Vec<u8> {
        doc.transact()
            .encode_state_as_update_v1(&StateVector::default())
    }

    fn head(number: i64, cut: &history::Cut) -> VersionHead {
        VersionHead {
            number,
            state_vector: cut.state_vector.clone(),
            diff: cut.diff.clone(),
        }
    }

    #[test]
    fn plans_a_cut_only_when_something_changed() {
        let doc = rocqet_crdt::new_doc();
        rocqet_crdt::apply_patch(&doc, DocKind::Prompt, &json!({"content": "a"})).unwrap();
        let Ok(Plan::Cut(first)) = plan(&state(&doc), None, true) else {
            panic!("the first version is always cut");
        };
        assert!(first.snapshot.is_some());
        assert!(matches!(
            plan(&state(&doc), Some(&head(1, &first)), false),
            Ok(Plan::Unchanged)
        ));
        // A delete-only edit changes no state vector but still counts.
        rocqet_crdt::apply_patch(&doc, DocKind::Prompt, &json!({"content": ""})).unwrap();
        let Ok(Plan::Cut(second)) = plan(&state(&doc), Some(&head(1, &first)), false) else {
            panic!("a deletion is a change");
        };
        assert!(second.snapshot.is_none());
        let rebuilt = history::content_at(
            DocKind::Prompt,
            first.snapshot.as_deref().unwrap(),
            [second.diff.as_slice()],
        )
        .unwrap();
        assert_eq!(rebuilt["content"], "");
    }

    #[test]
    fn refuses_a_state_that_does_not_decode() {
        assert!(matches!(
            plan(&[1, 2, 3], None, true),
            Err(VersionError::Corrupt(_))
        ));
    }
}
