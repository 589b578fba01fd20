//! PostgreSQL backend: production (`DATABASE_URL=postgres://…`).

mod accounts;
mod documents;
mod versions;

use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};

use super::StoreResult;

/// Enough for the hub's write-behind flushes plus concurrent REST requests,
/// small enough that several server instances fit PostgreSQL's default
/// `max_connections` of 100.
const MAX_CONNECTIONS: u32 = 16;
/// A request waiting longer than this for a connection fails instead of hanging.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(10);
/// Rows per multi-row INSERT: 3 binds a row, far below PostgreSQL's 65 535
/// bound-parameter limit. A normal write-behind batch fits in one.
const CHUNK: usize = 1000;

const RECORD_COLUMNS: &str =
    "id, workspace_id, kind, materialised, version, created_at, updated_at, title_key";

/// The PostgreSQL implementation of [`Store`].
#[derive(Debug, Clone)]
pub struct PostgresStore {
    pool: PgPool,
}

impl PostgresStore {
    /// Connects to and migrates the database at `url`.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let pool = PgPoolOptions::new()
            .max_connections(MAX_CONNECTIONS)
            .acquire_timeout(ACQUIRE_TIMEOUT)
            .connect(url)
            .await?;
        sqlx::migrate!("../migrations/postgres").run(&pool).await?;
        Ok(Self { pool })
    }
}
