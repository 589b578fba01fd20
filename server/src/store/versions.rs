//! Versions and labels: numbered, immutable document states and the names pointing at them.
//!
//! The store keeps what `rocqet_crdt::history` needs (state vector, diff,
//! snapshot) and hands back exactly the rows a rebuild needs; it never
//! decodes CRDT bytes itself.

use std::fmt;
use std::str::FromStr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{StoreError, StoreResult};
use crate::ids::{DocId, UserId};

/// `StoreError::Conflict` of [`VersionStore::insert_version`]: the newest version is not the parent the cut was made against.
pub const CONFLICT_VERSION_PARENT: &str = "version parent";

/// Why a version was cut.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum VersionKind {
    /// Cut by the server: editing paused, ran long, or the last editor left.
    Auto,
    /// Cut by a user, with an optional message.
    Manual,
    /// Recorded after restoring an older version's content.
    Restore,
}

impl VersionKind {
    /// The name used in JSON and in the database.
    pub fn as_str(self) -> &'static str {
        match self {
            VersionKind::Auto => "auto",
            VersionKind::Manual => "manual",
            VersionKind::Restore => "restore",
        }
    }
}

impl fmt::Display for VersionKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for VersionKind {
    type Err = StoreError;
    fn from_str(s: &str) -> Result<Self, StoreError> {
        match s {
            "auto" => Ok(VersionKind::Auto),
            "manual" => Ok(VersionKind::Manual),
            "restore" => Ok(VersionKind::Restore),
            other => Err(StoreError::Database(sqlx::Error::Decode(
                format!("unknown version kind {other:?}").into(),
            ))),
        }
    }
}

/// A version to insert: its metadata and its `rocqet_crdt::history::Cut`.
#[derive(Debug, Clone)]
pub struct NewVersion {
    pub doc_id: DocId,
    /// `parent + 1` (1 for the first version).
    pub number: i64,
    /// The version the diff was computed against; `None` for the first.
    pub parent: Option<i64>,
    pub kind: VersionKind,
    pub message: Option<String>,
    pub authors: Vec<UserId>,
    pub created_at: DateTime<Utc>,
    pub restored_from: Option<i64>,
    /// The document's state vector at cut time (v1).
    pub state_vector: Vec<u8>,
    /// Everything the parent's state vector lacks, plus the whole delete set (a v1 update).
    pub diff: Vec<u8>,
    /// The whole state (a v1 update), on every Nth version and on version 1.
    pub snapshot: Option<Vec<u8>>,
}

/// A version's metadata, as listings and the REST layer show it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionRecord {
    pub doc_id: DocId,
    pub number: i64,
    pub kind: VersionKind,
    pub message: Option<String>,
    pub authors: Vec<UserId>,
    pub created_at: DateTime<Utc>,
    pub restored_from: Option<i64>,
    /// Labels pointing at this version, sorted.
    pub labels: Vec<String>,
}

/// The newest version's state vector and diff: what a new cut is chained to and compared with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VersionHead {
    pub number: i64,
    pub state_vector: Vec<u8>,
    pub diff: Vec<u8>,
}

/// What rebuilding one version takes: the nearest snapshot at or before it and the diffs after that.
#[derive(Debug, Clone)]
pub struct VersionChain {
    /// Number of the version whose snapshot starts the chain.
    pub base: i64,
    /// That version's full state.
    pub snapshot: Vec<u8>,
    /// Diffs of versions `base + 1 ..= n`, in order.
    pub diffs: Vec<Vec<u8>>,
    /// When version `n` was cut.
    pub created_at: DateTime<Utc>,
}

/// A page of versions, newest first.
#[derive(Debug, Clone)]
pub struct VersionPage {
    pub items: Vec<VersionRecord>,
    /// Pass back as `before` for the next page; `None` on the last page.
    pub next_before: Option<i64>,
}

/// Versions and labels; both backends pass the same test suite.
#[async_trait]
pub trait VersionStore: Send + Sync + 'static {
    /// The newest version's head, `None` when the document has no version yet.
    async fn version_head(&self, doc: DocId) -> StoreResult<Option<VersionHead>>;

    /// Inserts `version` and makes it the document's `version`, atomically.
    /// `Conflict(CONFLICT_VERSION_PARENT)` when the newest version is not
    /// `version.parent` (another writer got there first; cut again);
    /// `NotFound` when the document row is gone.
    async fn insert_version(&self, version: NewVersion) -> StoreResult<VersionRecord>;

    /// One version's metadata and labels; `NotFound` if there is no such version.
    async fn version(&self, doc: DocId, number: i64) -> StoreResult<VersionRecord>;

    /// Up to `limit` versions older than `before` (all when `None`), newest first, with labels.
    async fn list_versions(
        &self,
        doc: DocId,
        limit: u32,
        before: Option<i64>,
    ) -> StoreResult<VersionPage>;

    /// The rows rebuilding version `number` needs, read in one query; `NotFound` if it does not exist.
    async fn version_chain(&self, doc: DocId, number: i64) -> StoreResult<VersionChain>;

    /// The newest version's number, `None` when there is none.
    async fn latest_version(&self, doc: DocId) -> StoreResult<Option<i64>>;

    /// The version `label` points at; `NotFound` if the label is not set.
    async fn label(&self, doc: DocId, label: &str) -> StoreResult<i64>;

    /// Points `label` at version `number` (creating or moving it); returns where it pointed before.
    /// `NotFound` if there is no such version.
    async fn set_label(
        &self,
        doc: DocId,
        label: &str,
        number: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<i64>>;

    /// Removes `label`; returns the version it pointed at. `NotFound` if it was not set.
    async fn delete_label(&self, doc: DocId, label: &str) -> StoreResult<i64>;
}

/// Most versions in one listing page.
pub(crate) const MAX_VERSION_PAGE: u32 = 200;

/// Builds a page from up to `limit + 1` rows, newest first.
pub(crate) fn version_page(mut rows: Vec<VersionRecord>, limit: u32) -> VersionPage {
    let limit = limit as usize;
    let next_before = (rows.len() > limit).then(|| {
        rows.truncate(limit);
        rows.last().map(|r| r.number)
    });
    VersionPage {
        items: rows,
        next_before: next_before.flatten(),
    }
}

/// One row of a chain query: number, diff (not read for the snapshot row), snapshot, cut time.
pub(crate) type ChainRow = (i64, Option<Vec<u8>>, Option<Vec<u8>>, DateTime<Utc>);

/// Checks what a chain query returned: a snapshot first and version `number` last, nothing missing in between.
pub(crate) fn chain_from_rows(number: i64, rows: Vec<ChainRow>) -> StoreResult<VersionChain> {
    let mut rows = rows.into_iter();
    let Some((base, _, Some(snapshot), created_at)) = rows.next() else {
        return Err(StoreError::NotFound);
    };
    let mut chain = VersionChain {
        base,
        snapshot,
        diffs: Vec::new(),
        created_at,
    };
    let mut last = base;
    for (n, diff, _, created_at) in rows {
        if n != last + 1 {
            return Err(corrupt(format!("version {} is missing", last + 1)));
        }
        chain
            .diffs
            .push(diff.ok_or_else(|| corrupt(format!("version {n} has no diff")))?);
        chain.created_at = created_at;
        last = n;
    }
    if last != number {
        return Err(StoreError::NotFound);
    }
    Ok(chain)
}

fn corrupt(what: String) -> StoreError {
    StoreError::Database(sqlx::Error::Decode(what.into()))
}

/// Parses the `authors` JSON column (ids that do not parse are dropped, never fatal).
pub(crate) fn parse_authors(raw: &serde_json::Value) -> Vec<UserId> {
    raw.as_array()
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str()?.parse().ok())
        .collect()
}

/// Parses a labels JSON array aggregated by the listing query, sorted.
pub(crate) fn parse_labels(raw: Option<&serde_json::Value>) -> Vec<String> {
    let mut labels: Vec<String> = raw
        .and_then(|v| v.as_array())
        .into_iter()
        .flatten()
        .filter_map(|v| v.as_str().map(str::to_owned))
        .collect();
    labels.sort();
    labels
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(n: i64, snapshot: bool) -> ChainRow {
        let at = Utc::now();
        if snapshot {
            (n, None, Some(vec![n as u8]), at)
        } else {
            (n, Some(vec![n as u8]), None, at)
        }
    }

    #[test]
    fn chains_need_a_snapshot_first_and_the_version_last() {
        let chain = chain_from_rows(12, vec![row(10, true), row(11, false), row(12, false)])
            .expect("a whole chain");
        assert_eq!((chain.base, chain.snapshot), (10, vec![10]));
        assert_eq!(chain.diffs, vec![vec![11], vec![12]]);
        assert!(matches!(
            chain_from_rows(13, vec![row(10, true), row(11, false)]),
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            chain_from_rows(1, Vec::new()),
            Err(StoreError::NotFound)
        ));
        assert!(matches!(
            chain_from_rows(12, vec![row(10, true), row(12, false)]),
            Err(StoreError::Database(_))
        ));
    }

    #[test]
    fn pages_stop_at_the_limit() {
        let record = |number| VersionRecord {
            doc_id: DocId::new(),
            number,
            kind: VersionKind::Auto,
            message: None,
            authors: Vec::new(),
            created_at: Utc::now(),
            restored_from: None,
            labels: Vec::new(),
        };
        let page = version_page(vec![record(5), record(4), record(3)], 2);
        assert_eq!(page.items.len(), 2);
        assert_eq!(page.next_before, Some(4));
        let page = version_page(vec![record(2), record(1)], 2);
        assert_eq!(page.next_before, None);
    }
}
