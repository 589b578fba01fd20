//! Throw-away databases for tests: a temp-file SQLite database, or a fresh
//! PostgreSQL database on the local server. Both are removed on drop.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rocqet_server::store::{self, Store};
use sqlx::{Connection, Executor, PgConnection};
use uuid::Uuid;

/// The maintenance database test databases are created from; override with
/// `ROCQET_TEST_POSTGRES_URL`.
const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";
/// How long to wait for PostgreSQL to accept connections after starting it.
const PG_START_WAIT: Duration = Duration::from_secs(10);

/// A database that exists for one test.
#[derive(Debug)]
pub struct TestDb {
    url: String,
    backend: Backend,
}

#[derive(Debug)]
enum Backend {
    Sqlite { path: PathBuf },
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    /// A new SQLite database file in the temp folder.
    pub fn sqlite() -> Self {
        let path = std::env::temp_dir().join(format!("rocqet_test_{}.db", Uuid::new_v4().simple()));
        Self {
            url: format!("sqlite://{}", path.display()),
            backend: Backend::Sqlite { path },
        }
    }

    /// A new, empty database on the local PostgreSQL server (started if it is down).
    pub async fn postgres() -> Self {
        let admin_url = std::env::var("ROCQET_TEST_POSTGRES_URL")
            .unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned());
        let mut admin = admin_connection(&admin_url).await;
        let name = format!("rocqet_test_{}", Uuid::new_v4().simple());
        // Identifiers cannot be bound; `name` is ours (a prefix and hex digits).
        admin
            .execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
            .await
            .unwrap_or_else(|e| panic!("cannot create test database {name}: {e}"));
        let _ = admin.close().await;
        let base = admin_url
            .split_once('?')
            .map_or(admin_url.as_str(), |(base, _)| base);
        let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
        Self {
            url: format!("{server}/{name}"),
            backend: Backend::Postgres { admin_url, name },
        }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Connects to the database (running the migrations).
    pub async fn store(&self) -> Arc<dyn Store> {
        store::connect(&self.url)
            .await
            .unwrap_or_else(|e| panic!("cannot open {}: {e}", store::redact_url(&self.url)))
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.backend {
            Backend::Sqlite { path } => {
                for suffix in ["", "-wal", "-shm"] {
                    let mut file = path.clone().into_os_string();
                    file.push(suffix);
                    let _ = std::fs::remove_file(file);
                }
            }
            Backend::Postgres { admin_url, name } => {
                let (admin_url, name) = (admin_url.clone(), name.clone());
                // Drop runs inside the test's runtime, which cannot block on
                // another future: use a small runtime on a thread of its own.
                let dropped = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .map_err(|e| e.to_string())?;
                    runtime.block_on(async {
                        let mut admin = PgConnection::connect(&admin_url)
                            .await
                            .map_err(|e| e.to_string())?;
                        admin
                            .execute(
                                format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#)
                                    .as_str(),
                            )
                            .await
                            .map_err(|e| e.to_string())?;
                        let _ = admin.close().await;
                        Ok::<_, String>(())
                    })
                })
                .join();
                if let Ok(Err(e)) = dropped {
                    eprintln!("could not drop test database: {e}");
                }
            }
        }
    }
}

/// Connects to the admin database, starting the local cluster once per test
/// binary if nothing answers.
async fn admin_connection(admin_url: &str) -> PgConnection {
    static STARTED: Mutex<bool> = Mutex::new(false);

    if let Ok(conn) = PgConnection::connect(admin_url).await {
        return conn;
    }
    {
        let mut started = STARTED.lock().unwrap_or_else(|e| e.into_inner());
        if !*started {
            *started = true;
            let _ = std::process::Command::new("sh")
                .arg("-c")
                .arg("pg_ctlcluster --skip-systemctl-redirect $(ls /etc/postgresql | head -n1) main start")
                .status();
        }
    }
    let deadline = Instant::now() + PG_START_WAIT;
    loop {
        match PgConnection::connect(admin_url).await {
            Ok(conn) => return conn,
            Err(e) if Instant::now() >= deadline => panic!(
                "PostgreSQL is not reachable at {} ({e}); start it \
                 (pg_ctlcluster <version> main start) or set ROCQET_TEST_POSTGRES_URL",
                store::redact_url(admin_url)
            ),
            Err(_) => tokio::time::sleep(Duration::from_millis(250)).await,
        }
    }
}

/// For each async fn `name(store)`, generates `name::sqlite` and `name::postgres`.
macro_rules! both_dbs {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let db = crate::support::db::TestDb::sqlite();
                super::$name(db.store().await).await;
            }

            #[tokio::test]
            async fn postgres() {
                let db = crate::support::db::TestDb::postgres().await;
                super::$name(db.store().await).await;
            }
        }
    )*};
}

pub(crate) use both_dbs;
