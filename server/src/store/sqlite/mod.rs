//! SQLite backend: the embedded default, one file (by default under `./data`).
//!
//! Ids are 16-byte BLOBs, timestamps fixed-width RFC 3339 TEXT (see
//! `derived::sqlite_ts`), JSON is TEXT. Write transactions start with
//! `BEGIN IMMEDIATE` so they take the write lock up front and wait for it
//! (busy timeout) instead of failing with `SQLITE_BUSY` when a read
//! transaction has to be upgraded while another writer holds the lock.

mod accounts;
mod documents;
mod versions;

use std::str::FromStr;
use std::time::Duration;

use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};
use sqlx::{Sqlite, Transaction};

use super::{StoreError, StoreResult};

/// How long a statement waits for another connection's write lock before
/// failing. Our write transactions are a few statements long, so 5 s only
/// trips on a real stall.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);
/// Readers run concurrently in WAL mode; writers queue on the one write lock.
const MAX_CONNECTIONS: u32 = 8;
/// Rows per multi-row statement: 3 binds a row stays far below SQLite's
/// 32 766 bound-parameter limit. A normal write-behind batch fits in one.
const CHUNK: usize = 1000;

const RECORD_COLUMNS: &str =
    "id, workspace_id, kind, materialised, version, created_at, updated_at, title_key";

/// The SQLite implementation of [`Store`].
#[derive(Debug, Clone)]
pub struct SqliteStore {
    pool: SqlitePool,
}

impl SqliteStore {
    /// Opens (creating the file and its folder if missing) and migrates the database at `url`.
    pub async fn connect(url: &str) -> StoreResult<Self> {
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let options = SqliteConnectOptions::from_str(url)?
            .create_if_missing(true)
            .journal_mode(SqliteJournalMode::Wal)
            // FULL, not WAL's usual NORMAL: with NORMAL a commit is not fsynced
            // and the last transactions can vanish on power loss. The hub acks an
            // edit to its author once `append_updates` commits, so a commit must
            // survive a crash of the machine, not only of the process.
            .synchronous(SqliteSynchronous::Full)
            .busy_timeout(BUSY_TIMEOUT)
            .foreign_keys(true);

        if !in_memory {
            let parent = options.get_filename().parent().map(ToOwned::to_owned);
            if let Some(parent) = parent.filter(|p| !p.as_os_str().is_empty()) {
                tokio::fs::create_dir_all(&parent)
                    .await
                    .map_err(|e| StoreError::Database(sqlx::Error::Io(e)))?;
            }
        }

        let pool = if in_memory {
            // An in-memory database lives as long as its last connection: keep
            // exactly one open forever (a shared-cache second one would also
            // fail with SQLITE_LOCKED instead of waiting).
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
        } else {
            SqlitePoolOptions::new().max_connections(MAX_CONNECTIONS)
        }
        .connect_with(options)
        .await?;

        sqlx::migrate!("../migrations/sqlite").run(&pool).await?;
        Ok(Self { pool })
    }

    async fn begin_write(&self) -> StoreResult<Transaction<'static, Sqlite>> {
        Ok(self.pool.begin_with("BEGIN IMMEDIATE").await?)
    }
}
