//! Persistence: one `Store` interface, a SQLite and a PostgreSQL backend.
//!
//! The backend is picked once from the database URL scheme (`connect`); the
//! rest of the server only ever holds an `Arc<dyn Store>`.

mod accounts;
mod cursor;
mod derived;
mod documents;
mod postgres;
mod sqlite;
mod versions;

use std::sync::Arc;

pub use accounts::*;
pub use documents::*;
pub use postgres::PostgresStore;
pub use sqlite::SqliteStore;
pub use versions::*;

/// What can go wrong in the store, in the domain's words.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist (or is deleted).
    #[error("not found")]
    NotFound,
    /// A uniqueness constraint or precondition failed.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A listing cursor this store did not issue (malformed, or from another sort order).
    #[error("invalid cursor")]
    InvalidCursor,
    /// The database URL is not one we support.
    #[error("unsupported database url: {0}")]
    UnsupportedUrl(String),
    /// A migration failed at start-up.
    #[error("migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// Stored bytes could not be decoded or combined.
    #[error("stored data unreadable: {0}")]
    Corrupt(String),
    /// Any other database failure.
    #[error("database error: {0}")]
    Database(sqlx::Error),
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(db) if db.is_unique_violation() => {
                StoreError::Conflict(db.constraint().unwrap_or("unique").to_owned())
            }
            _ => StoreError::Database(e),
        }
    }
}

/// The snapshot compaction stores: `state` with the stored snapshot and the log rows
/// it deletes folded in, since with several nodes either may hold edits `state` has
/// not seen (another node's compaction, another node's rows).
fn fold_log<'a>(
    state: &'a [u8],
    stored: &[u8],
    removed: &[Vec<u8>],
) -> StoreResult<std::borrow::Cow<'a, [u8]>> {
    if removed.is_empty() && (stored.is_empty() || stored == state) {
        return Ok(std::borrow::Cow::Borrowed(state));
    }
    let others = std::iter::once(stored).chain(removed.iter().map(Vec::as_slice));
    rocqet_crdt::fold_updates(state, others)
        .map(std::borrow::Cow::Owned)
        .map_err(|e| StoreError::Corrupt(format!("compacting the log: {e}")))
}

/// Result alias for store calls.
pub type StoreResult<T> = Result<T, StoreError>;

/// The whole persistence interface, as the rest of the server holds it.
pub trait Store: DocumentStore + AccountStore + VersionStore {}

impl<T: DocumentStore + AccountStore + VersionStore> Store for T {}

/// Opens the database named by `url` (`sqlite:` or `postgres:`/`postgresql:`) and runs its migrations.
pub async fn connect(url: &str) -> StoreResult<Arc<dyn Store>> {
    if url.starts_with("sqlite:") {
        Ok(Arc::new(SqliteStore::connect(url).await?))
    } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
        Ok(Arc::new(PostgresStore::connect(url).await?))
    } else {
        Err(StoreError::UnsupportedUrl(redact_url(url)))
    }
}

/// The URL without its password, fit for logs and error messages.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            let user = creds.split(':').next().unwrap_or("");
            format!("{}://{}:***@{}", &url[..scheme_end], user, &url[at + 1..])
        }
        _ => url.to_owned(),
    }
}
