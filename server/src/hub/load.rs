//! Rebuilding a document's CRDT from its stored snapshot and update log.

use rocqet_crdt::DocKind;
use yrs::updates::encoder::Encode;
use yrs::{Doc, ReadTxn, Transact};

use crate::cluster::Cluster;

use crate::ids::{DocId, WorkspaceId};
use crate::store::{Store, StoreResult};

/// A document read back from the store, ready to become a room.
pub struct Loaded {
    pub kind: DocKind,
    pub workspace_id: WorkspaceId,
    pub doc: Doc,
    /// Bytes of stored state, the basis of the document size limit.
    pub stored_bytes: usize,
    pub last_seq: i64,
    /// Log rows on top of the snapshot; many means it is time to compact.
    pub tail_len: usize,
}

/// Reads and applies the snapshot and log tail. A row that fails to decode is logged
/// and skipped rather than making the whole document unreadable.
pub async fn load(store: &dyn Store, id: DocId) -> StoreResult<Loaded> {
    let record = store.document(id).await?;
    let state = store.load_state(id).await?;
    let doc = rocqet_crdt::new_doc();
    let mut stored_bytes = 0;
    let parts = std::iter::once(&state.snapshot).chain(state.updates.iter());
    for (index, bytes) in parts.enumerate() {
        stored_bytes += bytes.len();
        if bytes.is_empty() {
            continue;
        }
        if let Err(error) = rocqet_crdt::apply_update(&doc, bytes) {
            tracing::error!(doc = %id, index, %error, "skipping unreadable stored update");
        }
    }
    Ok(Loaded {
        kind: record.kind,
        workspace_id: record.workspace_id,
        doc,
        stored_bytes,
        last_seq: state.last_seq,
        tail_len: state.updates.len(),
    })
}

/// Brings a freshly loaded document up to what the other nodes serving it hold
/// (updates their clients made that are not in the store yet, or not read yet).
pub async fn catch_up(cluster: &Cluster, id: DocId, doc: &Doc) {
    let sv = doc.transact().state_vector().encode_v1();
    for update in cluster.catch_up(id, sv).await {
        if let Err(error) = rocqet_crdt::apply_update(doc, &update) {
            tracing::warn!(doc = %id, %error, "skipping a peer's catch-up answer");
        }
    }
}
