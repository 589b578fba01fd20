//! Documents and their update log.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use sqlx::postgres::PgRow;
use sqlx::types::Json;
use sqlx::{Postgres, QueryBuilder, Row};
use uuid::Uuid;

use crate::ids::{DocId, WorkspaceId};
use crate::store::cursor::{self, Cursor, SortKey};
use crate::store::derived::{self, Derived, Search};
use crate::store::{
    DocumentRecord, DocumentStore, ListQuery, NewDocument, Page, PendingUpdate, StoreError,
    StoreResult, StoredState,
};

use super::*;

/// A `documents` row selected with `RECORD_COLUMNS`, and its `title_key`.
fn record(row: &PgRow) -> StoreResult<(DocumentRecord, String)> {
    let kind: String = row.try_get("kind")?;
    let Json(materialised) = row.try_get::<Json<serde_json::Value>, _>("materialised")?;
    let record = DocumentRecord {
        id: DocId(row.try_get("id")?),
        workspace_id: WorkspaceId(row.try_get("workspace_id")?),
        kind: derived::parse_kind(&kind)?,
        materialised,
        version: row.try_get("version")?,
        created_at: row.try_get("created_at")?,
        updated_at: row.try_get("updated_at")?,
    };
    Ok((record, row.try_get("title_key")?))
}

#[async_trait]
impl DocumentStore for PostgresStore {
    async fn ping(&self) -> StoreResult<()> {
        sqlx::query("SELECT 1").execute(&self.pool).await?;
        Ok(())
    }

    async fn create_document(&self, doc: NewDocument) -> StoreResult<DocumentRecord> {
        let now = derived::now();
        let d = Derived::from_materialised(&doc.materialised);
        sqlx::query(
            "INSERT INTO documents (id, workspace_id, kind, state, materialised, title, title_key, \
             search_text, search_tsv, tags, created_at, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, array_to_tsvector($9), $10, $11, $11)",
        )
        .bind(doc.id.0)
        .bind(doc.workspace_id.0)
        .bind(doc.kind.as_str())
        .bind(&doc.state)
        .bind(Json(&doc.materialised))
        .bind(&d.title)
        .bind(&d.title_key)
        .bind(&d.search_text)
        .bind(d.search_words())
        .bind(Json(&d.tags))
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(DocumentRecord {
            id: doc.id,
            workspace_id: doc.workspace_id,
            kind: doc.kind,
            materialised: doc.materialised,
            version: 0,
            created_at: now,
            updated_at: now,
        })
    }

    async fn document(&self, id: DocId) -> StoreResult<DocumentRecord> {
        let sql =
            format!("SELECT {RECORD_COLUMNS} FROM documents WHERE id = $1 AND deleted_at IS NULL");
        let row = sqlx::query(&sql)
            .bind(id.0)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        Ok(record(&row)?.0)
    }

    async fn list_documents(&self, query: &ListQuery) -> StoreResult<Page<DocumentRecord>> {
        let limit = cursor::clamp_limit(query.limit);
        let sort = cursor::sort_sql(query.sort);
        let after = query
            .cursor
            .as_deref()
            .map(|c| Cursor::decode(c, query.sort))
            .transpose()?;
        let terms = match Search::parse(query.q.as_deref()) {
            Search::All => None,
            Search::Nothing => {
                return Ok(Page {
                    items: Vec::new(),
                    next_cursor: None,
                });
            }
            Search::Words(terms) => Some(terms),
        };

        let mut qb = QueryBuilder::<Postgres>::new("SELECT ");
        qb.push(RECORD_COLUMNS)
            .push(" FROM documents WHERE deleted_at IS NULL AND workspace_id = ")
            .push_bind(query.workspace_id.0)
            .push(" AND kind = ")
            .push_bind(query.kind.as_str());
        if let Some(terms) = terms {
            // A filter, not an ordering: the sort and the keyset cursor are
            // the same as without `q`, so paging stays exact.
            qb.push(" AND search_tsv @@ ")
                .push_bind(derived::tsquery(&terms))
                .push("::tsquery");
        }
        if let Some(tag) = query.tag.as_deref().filter(|t| !t.is_empty()) {
            qb.push(" AND tags @> jsonb_build_array(")
                .push_bind(tag)
                .push("::text)");
        }
        if let Some(after) = after {
            qb.push(" AND (")
                .push(sort.column)
                .push(", id) ")
                .push(sort.after)
                .push(" (");
            match after.key {
                SortKey::Time(t) => qb.push_bind(t),
                SortKey::Title(title) => qb.push_bind(title),
            };
            qb.push(", ").push_bind(after.id).push(")");
        }
        qb.push(" ORDER BY ")
            .push(sort.column)
            .push(" ")
            .push(sort.direction)
            .push(", id ")
            .push(sort.direction)
            .push(" LIMIT ")
            .push_bind(i64::from(limit) + 1);

        let rows = qb.build().fetch_all(&self.pool).await?;
        let rows = rows.iter().map(record).collect::<StoreResult<Vec<_>>>()?;
        Ok(cursor::page(rows, limit, query.sort))
    }

    async fn delete_document(&self, id: DocId) -> StoreResult<()> {
        let done = sqlx::query(
            "UPDATE documents SET deleted_at = $1 WHERE id = $2 AND deleted_at IS NULL",
        )
        .bind(derived::now())
        .bind(id.0)
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn load_state(&self, id: DocId) -> StoreResult<StoredState> {
        // REPEATABLE READ: both reads see one snapshot, so a concurrent
        // `compact` cannot slip between the state and the tail (under the
        // default READ COMMITTED each statement takes a fresh snapshot).
        let mut tx = self
            .pool
            .begin_with("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY")
            .await?;
        let snapshot: Vec<u8> =
            sqlx::query_scalar("SELECT state FROM documents WHERE id = $1 AND deleted_at IS NULL")
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?
                .ok_or(StoreError::NotFound)?;
        let rows = sqlx::query("SELECT seq, data FROM doc_updates WHERE doc_id = $1 ORDER BY seq")
            .bind(id.0)
            .fetch_all(&mut *tx)
            .await?;
        tx.commit().await?;

        let mut state = StoredState {
            snapshot,
            updates: Vec::with_capacity(rows.len()),
            last_seq: 0,
        };
        for row in &rows {
            state.last_seq = row.try_get("seq")?;
            state.updates.push(row.try_get("data")?);
        }
        Ok(state)
    }

    /// Updates for deleted documents are stored (history is kept). Rows of a
    /// document that no longer exists (its workspace was deleted) are dropped
    /// with a warning: nobody can read them, and failing the batch would stall
    /// every other document's writes behind them.
    async fn append_updates(&self, batch: &[PendingUpdate]) -> StoreResult<Vec<(DocId, i64)>> {
        let ids = derived::distinct_ids(batch);
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let now = derived::now();
        let mut tx = self.pool.begin().await?;

        let found: HashSet<Uuid> =
            sqlx::query_scalar::<_, Uuid>("SELECT id FROM documents WHERE id = ANY($1)")
                .bind(&ids)
                .fetch_all(&mut *tx)
                .await?
                .into_iter()
                .collect();
        // Only a deleted workspace leaves rows without a document: the rare case pays
        // for the copy, a normal batch is written as given.
        let kept: Vec<PendingUpdate>;
        let (batch, ids) = if found.len() == ids.len() {
            (batch, ids)
        } else {
            for missing in ids.iter().filter(|id| !found.contains(id)) {
                tracing::warn!(doc = %missing, "dropping updates of a document that no longer exists");
            }
            kept = batch
                .iter()
                .filter(|u| found.contains(&u.doc_id.0))
                .cloned()
                .collect();
            let ids: Vec<Uuid> = ids.into_iter().filter(|id| found.contains(id)).collect();
            (&kept[..], ids)
        };
        if ids.is_empty() {
            return Ok(Vec::new());
        }

        let mut max_seq: HashMap<Uuid, i64> = HashMap::with_capacity(ids.len());
        for chunk in batch.chunks(CHUNK) {
            let mut qb = QueryBuilder::<Postgres>::new(
                "INSERT INTO doc_updates (doc_id, data, created_at) ",
            );
            qb.push_values(chunk, |mut row, update| {
                row.push_bind(update.doc_id.0)
                    .push_bind(update.data.as_ref())
                    .push_bind(now);
            });
            qb.push(" RETURNING doc_id, seq");
            for row in qb.build().fetch_all(&mut *tx).await? {
                let (doc, seq): (Uuid, i64) = (row.try_get("doc_id")?, row.try_get("seq")?);
                let max = max_seq.entry(doc).or_insert(seq);
                *max = (*max).max(seq);
            }
        }

        tx.commit().await?;

        Ok(ids
            .into_iter()
            .filter_map(|id| Some((DocId(id), *max_seq.get(&id)?)))
            .collect())
    }

    async fn compact(&self, id: DocId, state: &[u8], through_seq: i64) -> StoreResult<()> {
        let mut tx = self.pool.begin().await?;
        // With several nodes, the stored snapshot (another node's compaction) and rows
        // at or below `through_seq` may hold edits the caller's state has not seen:
        // fold them in, under the document row's lock so compactions (and version
        // inserts) take turns, and fold exactly the rows deleted (RETURNING).
        let stored: Option<Vec<u8>> =
            sqlx::query_scalar("SELECT state FROM documents WHERE id = $1 FOR NO KEY UPDATE")
                .bind(id.0)
                .fetch_optional(&mut *tx)
                .await?;
        let Some(stored) = stored else {
            return Err(StoreError::NotFound);
        };
        let removed: Vec<Vec<u8>> = sqlx::query_scalar(
            "DELETE FROM doc_updates WHERE doc_id = $1 AND seq <= $2 RETURNING data",
        )
        .bind(id.0)
        .bind(through_seq)
        .fetch_all(&mut *tx)
        .await?;
        let state = super::super::fold_log(state, &stored, &removed)?;
        let done = sqlx::query("UPDATE documents SET state = $1 WHERE id = $2")
            .bind(&state[..])
            .bind(id.0)
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        tx.commit().await?;
        Ok(())
    }

    async fn save_materialised(
        &self,
        id: DocId,
        materialised: &serde_json::Value,
    ) -> StoreResult<()> {
        let d = Derived::from_materialised(materialised);
        let done = sqlx::query(
            "UPDATE documents SET materialised = $1, title = $2, title_key = $3, \
             search_text = $4, search_tsv = array_to_tsvector($8), tags = $5, updated_at = $6 \
             WHERE id = $7 AND deleted_at IS NULL",
        )
        .bind(Json(materialised))
        .bind(&d.title)
        .bind(&d.title_key)
        .bind(&d.search_text)
        .bind(Json(&d.tags))
        .bind(derived::now())
        .bind(id.0)
        .bind(d.search_words())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }
}
