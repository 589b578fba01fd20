//! Documents: rows, CRDT state, the update log and listing.

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{DateTime, Utc};
use rocqet_crdt::DocKind;

use super::StoreResult;
use crate::ids::{DocId, WorkspaceId};

/// A document to insert, with its initial CRDT state.
#[derive(Debug, Clone)]
pub struct NewDocument {
    /// Chosen by the caller so the room and the row agree from the start.
    pub id: DocId,
    pub workspace_id: WorkspaceId,
    pub kind: DocKind,
    /// Initial state as one Yjs v1 update.
    pub state: Vec<u8>,
    /// `rocqet_crdt::materialise` of that state.
    pub materialised: serde_json::Value,
}

/// A document row as the REST layer needs it (without the CRDT state).
#[derive(Debug, Clone)]
pub struct DocumentRecord {
    pub id: DocId,
    pub workspace_id: WorkspaceId,
    pub kind: DocKind,
    /// Last materialised JSON (kept current by the hub, may trail live edits by a moment).
    pub materialised: serde_json::Value,
    pub version: i64,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Everything needed to rebuild a document's CRDT: compacted state plus the log tail.
#[derive(Debug, Clone, Default)]
pub struct StoredState {
    /// Compacted state (a v1 update); empty for none.
    pub snapshot: Vec<u8>,
    /// Updates appended after the snapshot, in order.
    pub updates: Vec<Vec<u8>>,
    /// Highest `doc_updates.seq` included above (0 when the log is empty).
    pub last_seq: i64,
}

/// One update waiting in the write-behind queue.
#[derive(Debug, Clone)]
pub struct PendingUpdate {
    pub doc_id: DocId,
    pub data: Bytes,
}

/// How to sort a document listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Most recently updated first (the default).
    #[default]
    UpdatedDesc,
    /// Oldest first by creation.
    CreatedAsc,
    /// Newest first by creation.
    CreatedDesc,
    /// Alphabetical by title (prompts) or name (models).
    TitleAsc,
}

/// A document listing request.
#[derive(Debug, Clone)]
pub struct ListQuery {
    pub workspace_id: WorkspaceId,
    pub kind: DocKind,
    /// Case-insensitive search over title/name, description and content.
    pub q: Option<String>,
    /// Only documents carrying this tag (prompts).
    pub tag: Option<String>,
    pub sort: SortOrder,
    /// 1..=200.
    pub limit: u32,
    /// Opaque cursor from a previous page's `next_cursor`.
    pub cursor: Option<String>,
}

/// One page of results.
#[derive(Debug, Clone)]
pub struct Page<T> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// Documents, their update log and listing; both backends pass the same test suite.
#[async_trait]
pub trait DocumentStore: Send + Sync + 'static {
    /// Is the database reachable?
    async fn ping(&self) -> StoreResult<()>;

    /// Inserts a document with its initial state.
    async fn create_document(&self, doc: NewDocument) -> StoreResult<DocumentRecord>;

    /// A live (not deleted) document; `NotFound` otherwise.
    async fn document(&self, id: DocId) -> StoreResult<DocumentRecord>;

    /// Lists live documents of one kind in a workspace.
    async fn list_documents(&self, query: &ListQuery) -> StoreResult<Page<DocumentRecord>>;

    /// Marks a document deleted (its history is kept); `NotFound` if absent or already deleted.
    async fn delete_document(&self, id: DocId) -> StoreResult<()>;

    /// Snapshot plus update tail of a live document; `NotFound` otherwise.
    async fn load_state(&self, id: DocId) -> StoreResult<StoredState>;

    /// Appends a batch of updates (possibly for many documents) in ONE transaction,
    /// preserving order per document. Returns, per distinct document, the highest seq written.
    /// Leaves the document row alone (`updated_at` moves with the materialised JSON).
    async fn append_updates(&self, batch: &[PendingUpdate]) -> StoreResult<Vec<(DocId, i64)>>;

    /// Deletes log rows with `seq <= through_seq` and stores `state`, with those rows
    /// folded in, as the snapshot, atomically. An unreadable `state` is `Corrupt`.
    async fn compact(&self, id: DocId, state: &[u8], through_seq: i64) -> StoreResult<()>;

    /// Stores the materialised JSON used for listing and search, and bumps `updated_at`.
    async fn save_materialised(
        &self,
        id: DocId,
        materialised: &serde_json::Value,
    ) -> StoreResult<()>;
}
