//! Reading versions back: resolving a number or label, rebuilding the content, diffing two versions.
//!
//! A version's content is rebuilt from the nearest snapshot at or before it
//! plus the diffs after that snapshot, read in one query; the update log is
//! never involved, so reads keep working after compaction. Rebuilding runs
//! off the async workers: it is O(document).

use std::sync::Arc;

use chrono::{DateTime, Utc};
use rocqet_crdt::diff::Diff;
use rocqet_crdt::{DocKind, history};
use serde_json::Value;

use super::VersionError;
use crate::ids::DocId;
use crate::store::{Store, StoreError};

/// The implicit label naming the newest version.
pub const LATEST: &str = "latest";

/// Which version a request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    /// Version `n`.
    Number(i64),
    /// Whatever the label points at; `latest` is the newest version.
    Label(String),
}

/// Maps "no row" to "no such version"; other store errors pass through.
fn missing(e: StoreError) -> VersionError {
    match e {
        StoreError::NotFound => VersionError::NotFound,
        other => VersionError::Store(other),
    }
}

/// The version number `selector` names; `NotFound` for an unknown label or number.
pub async fn resolve(
    store: &dyn Store,
    doc: DocId,
    selector: &Selector,
) -> Result<i64, VersionError> {
    match selector {
        Selector::Number(n) if *n >= 1 => Ok(*n),
        Selector::Number(_) => Err(VersionError::NotFound),
        Selector::Label(label) if label == LATEST => store
            .latest_version(doc)
            .await?
            .ok_or(VersionError::NotFound),
        Selector::Label(label) => store.label(doc, label).await.map_err(missing),
    }
}

/// A version's content and when it was cut.
#[derive(Debug, Clone, PartialEq)]
pub struct VersionContent {
    pub number: i64,
    pub created_at: DateTime<Utc>,
    /// As `rocqet_crdt::materialise` writes it.
    pub content: Value,
}

/// Version `number` rebuilt from storage: one range query, then the rebuild off the async workers.
pub async fn version_at(
    store: &Arc<dyn Store>,
    doc: DocId,
    kind: DocKind,
    number: i64,
) -> Result<VersionContent, VersionError> {
    let chain = store.version_chain(doc, number).await.map_err(missing)?;
    let created_at = chain.created_at;
    let content = tokio::task::spawn_blocking(move || {
        history::content_at(kind, &chain.snapshot, chain.diffs.iter().map(Vec::as_slice))
    })
    .await
    .map_err(|e| VersionError::Corrupt(format!("rebuilding panicked: {e}")))?
    .map_err(|e| {
        tracing::error!(doc = %doc, number, error = %e, "stored version does not rebuild");
        VersionError::from(e)
    })?;
    Ok(VersionContent {
        number,
        created_at,
        content,
    })
}

/// Version `number`'s content as the API's JSON (what `rocqet_crdt::materialise` gives).
pub async fn content_at(
    store: &Arc<dyn Store>,
    doc: DocId,
    kind: DocKind,
    number: i64,
) -> Result<Value, VersionError> {
    Ok(version_at(store, doc, kind, number).await?.content)
}

/// The content of an empty document of `kind`: what version 1 is diffed against.
pub fn empty_content(kind: DocKind) -> Value {
    rocqet_crdt::materialise(&rocqet_crdt::new_doc(), kind)
}

/// The changes from version `from` (`None`: the empty document) to version `to`.
pub async fn diff(
    store: &Arc<dyn Store>,
    doc: DocId,
    kind: DocKind,
    from: Option<i64>,
    to: i64,
) -> Result<Diff, VersionError> {
    let new = content_at(store, doc, kind, to).await?;
    let old = match from {
        Some(from) => content_at(store, doc, kind, from).await?,
        None => empty_content(kind),
    };
    Ok(rocqet_crdt::diff::diff(kind, &old, &new))
}
