//! Versions and labels.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;
use sqlx::postgres::PgRow;
use sqlx::types::Json;

use super::PostgresStore;
use crate::ids::DocId;
use crate::store::versions::{
    CONFLICT_VERSION_PARENT, MAX_VERSION_PAGE, chain_from_rows, parse_authors, parse_labels,
    version_page,
};
use crate::store::{
    NewVersion, StoreError, StoreResult, VersionChain, VersionHead, VersionPage, VersionRecord,
    VersionStore,
};

/// Metadata columns plus the version's labels as a JSON array (one query, no join fan-out).
const VERSION_COLUMNS: &str = "v.doc_id, v.number, v.kind, v.message, v.authors, v.created_at, \
     v.restored_from, (SELECT jsonb_agg(l.label) FROM version_labels l \
     WHERE l.doc_id = v.doc_id AND l.number = v.number) AS labels";

fn record(row: &PgRow) -> StoreResult<VersionRecord> {
    let kind: String = row.try_get("kind")?;
    let Json(authors) = row.try_get::<Json<serde_json::Value>, _>("authors")?;
    let labels = row.try_get::<Option<Json<serde_json::Value>>, _>("labels")?;
    Ok(VersionRecord {
        doc_id: DocId(row.try_get("doc_id")?),
        number: row.try_get("number")?,
        kind: kind.parse()?,
        message: row.try_get("message")?,
        authors: parse_authors(&authors),
        created_at: row.try_get("created_at")?,
        restored_from: row.try_get("restored_from")?,
        labels: parse_labels(labels.as_ref().map(|Json(v)| v)),
    })
}

#[async_trait]
impl VersionStore for PostgresStore {
    async fn version_head(&self, doc: DocId) -> StoreResult<Option<VersionHead>> {
        let row = sqlx::query(
            "SELECT number, state_vector, diff FROM versions WHERE doc_id = $1 \
             ORDER BY number DESC LIMIT 1",
        )
        .bind(doc.0)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| {
            Ok(VersionHead {
                number: row.try_get("number")?,
                state_vector: row.try_get("state_vector")?,
                diff: row.try_get("diff")?,
            })
        })
        .transpose()
    }

    async fn insert_version(&self, version: NewVersion) -> StoreResult<VersionRecord> {
        let mut tx = self.pool.begin().await?;
        // The document row lock serialises version inserts per document, so
        // the parent check below stays true until commit. NO KEY UPDATE, not
        // UPDATE: it does not block the KEY SHARE locks that inserts into
        // `doc_updates` take for their foreign key, so the persister never
        // waits for a version to be written.
        sqlx::query("SELECT id FROM documents WHERE id = $1 FOR NO KEY UPDATE")
            .bind(version.doc_id.0)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let newest: Option<i64> =
            sqlx::query_scalar("SELECT MAX(number) FROM versions WHERE doc_id = $1")
                .bind(version.doc_id.0)
                .fetch_one(&mut *tx)
                .await?;
        if newest != version.parent || version.number != version.parent.unwrap_or(0) + 1 {
            return Err(StoreError::Conflict(CONFLICT_VERSION_PARENT.to_owned()));
        }
        let authors: Vec<String> = version.authors.iter().map(ToString::to_string).collect();
        sqlx::query(
            "INSERT INTO versions (doc_id, number, kind, message, authors, created_at, \
             state_vector, diff, snapshot, restored_from) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(version.doc_id.0)
        .bind(version.number)
        .bind(version.kind.as_str())
        .bind(&version.message)
        .bind(Json(&authors))
        .bind(version.created_at)
        .bind(&version.state_vector)
        .bind(&version.diff)
        .bind(&version.snapshot)
        .bind(version.restored_from)
        .execute(&mut *tx)
        .await?;
        sqlx::query("UPDATE documents SET version = $1 WHERE id = $2")
            .bind(version.number)
            .bind(version.doc_id.0)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(VersionRecord {
            doc_id: version.doc_id,
            number: version.number,
            kind: version.kind,
            message: version.message,
            authors: version.authors,
            created_at: version.created_at,
            restored_from: version.restored_from,
            labels: Vec::new(),
        })
    }

    async fn version(&self, doc: DocId, number: i64) -> StoreResult<VersionRecord> {
        let sql =
            format!("SELECT {VERSION_COLUMNS} FROM versions v WHERE doc_id = $1 AND number = $2");
        let row = sqlx::query(&sql)
            .bind(doc.0)
            .bind(number)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)?;
        record(&row)
    }

    async fn list_versions(
        &self,
        doc: DocId,
        limit: u32,
        before: Option<i64>,
    ) -> StoreResult<VersionPage> {
        let limit = limit.clamp(1, MAX_VERSION_PAGE);
        let sql = format!(
            "SELECT {VERSION_COLUMNS} FROM versions v WHERE doc_id = $1 AND number < $2 \
             ORDER BY number DESC LIMIT $3"
        );
        let rows = sqlx::query(&sql)
            .bind(doc.0)
            .bind(before.unwrap_or(i64::MAX))
            .bind(i64::from(limit) + 1)
            .fetch_all(&self.pool)
            .await?;
        let rows = rows.iter().map(record).collect::<StoreResult<Vec<_>>>()?;
        Ok(version_page(rows, limit))
    }

    async fn version_chain(&self, doc: DocId, number: i64) -> StoreResult<VersionChain> {
        // The nearest snapshot at or before `number`, then every diff up to it:
        // one range scan of the primary key. The snapshot row's own diff is
        // not needed, so it is not read.
        let rows = sqlx::query(
            "SELECT number, CASE WHEN snapshot IS NULL THEN diff END AS diff, snapshot, created_at \
             FROM versions WHERE doc_id = $1 AND number <= $2 AND number >= \
             (SELECT MAX(number) FROM versions WHERE doc_id = $1 AND number <= $2 \
              AND snapshot IS NOT NULL) \
             ORDER BY number",
        )
        .bind(doc.0)
        .bind(number)
        .fetch_all(&self.pool)
        .await?;
        let rows = rows
            .iter()
            .map(|row| {
                Ok((
                    row.try_get("number")?,
                    row.try_get("diff")?,
                    row.try_get("snapshot")?,
                    row.try_get("created_at")?,
                ))
            })
            .collect::<StoreResult<Vec<_>>>()?;
        chain_from_rows(number, rows)
    }

    async fn latest_version(&self, doc: DocId) -> StoreResult<Option<i64>> {
        Ok(
            sqlx::query_scalar("SELECT MAX(number) FROM versions WHERE doc_id = $1")
                .bind(doc.0)
                .fetch_one(&self.pool)
                .await?,
        )
    }

    async fn label(&self, doc: DocId, label: &str) -> StoreResult<i64> {
        sqlx::query_scalar("SELECT number FROM version_labels WHERE doc_id = $1 AND label = $2")
            .bind(doc.0)
            .bind(label)
            .fetch_optional(&self.pool)
            .await?
            .ok_or(StoreError::NotFound)
    }

    async fn set_label(
        &self,
        doc: DocId,
        label: &str,
        number: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<i64>> {
        let mut tx = self.pool.begin().await?;
        sqlx::query_scalar::<_, i32>("SELECT 1 FROM versions WHERE doc_id = $1 AND number = $2")
            .bind(doc.0)
            .bind(number)
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        // The old target comes back from the same statement that moves the
        // label, so a concurrent move cannot slip in between.
        let before: Option<Option<i64>> = sqlx::query_scalar(
            "WITH old AS (SELECT number FROM version_labels WHERE doc_id = $1 AND label = $2 \
             FOR UPDATE) \
             INSERT INTO version_labels (doc_id, label, number, updated_at) \
             VALUES ($1, $2, $3, $4) \
             ON CONFLICT (doc_id, label) DO UPDATE SET number = EXCLUDED.number, \
             updated_at = EXCLUDED.updated_at \
             RETURNING (SELECT number FROM old)",
        )
        .bind(doc.0)
        .bind(label)
        .bind(number)
        .bind(at)
        .fetch_optional(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(before.flatten())
    }

    async fn delete_label(&self, doc: DocId, label: &str) -> StoreResult<i64> {
        sqlx::query_scalar(
            "DELETE FROM version_labels WHERE doc_id = $1 AND label = $2 RETURNING number",
        )
        .bind(doc.0)
        .bind(label)
        .fetch_optional(&self.pool)
        .await?
        .ok_or(StoreError::NotFound)
    }
}
