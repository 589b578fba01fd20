//! Command line and environment: `rocqet serve` and `rocqet migrate`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The `rocqet` command line.
#[derive(Debug, Parser)]
#[command(
    name = "rocqet",
    version,
    about = "Rocqet Hub: real-time collaboration for prompts and models"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: Config,
}

/// What to run.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server (the default).
    Serve(Config),
    /// Apply database migrations and exit.
    Migrate(Config),
}

/// Log line format.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum LogFormat {
    #[default]
    Text,
    Json,
}

/// Server configuration; every flag has an environment variable.
#[derive(Clone, Args)]
pub struct Config {
    /// Address to listen on.
    #[arg(long, env = "ROCQET_LISTEN", default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// `sqlite://path` (embedded default) or `postgres://...`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://./data/rocqet.db"
    )]
    pub database_url: String,
    /// Redis for scale-out; none means a single node.
    #[arg(long, env = "REDIS_URL")]
    pub redis_url: Option<String>,
    /// Prefix of this cluster's Redis channels, so several clusters can share a Redis.
    #[arg(long, env = "ROCQET_REDIS_PREFIX", default_value = "rocqet")]
    pub redis_prefix: String,
    /// Secret for signing access tokens.
    #[arg(long, env = "ROCQET_JWT_SECRET", hide_env_values = true)]
    pub jwt_secret: Option<String>,
    /// Production mode: missing secrets are a start-up error.
    #[arg(long, env = "ROCQET_PRODUCTION")]
    pub production: bool,
    /// Tracing filter.
    #[arg(long, env = "ROCQET_LOG", default_value = "info")]
    pub log: String,
    /// Log line format.
    #[arg(long, env = "ROCQET_LOG_FORMAT", value_enum, default_value_t = LogFormat::Text)]
    pub log_format: LogFormat,
    /// Folder for local data: the development signing secret (the SQLite file is named by the URL).
    #[arg(long, env = "ROCQET_DATA_DIR", default_value = "data")]
    pub data_dir: PathBuf,
    /// Browser origins allowed to open sockets (comma-separated, `*` for any);
    /// empty allows any. Requests without an `Origin` header always pass.
    #[arg(long, env = "ROCQET_ALLOWED_ORIGINS", value_delimiter = ',')]
    pub allowed_origins: Vec<String>,
    /// Login and register attempts per minute from one IP address (429 beyond).
    #[arg(long, env = "ROCQET_AUTH_ATTEMPTS_PER_IP", default_value_t = 30)]
    pub auth_attempts_per_ip: u32,
    /// Login and register attempts per minute for one email (429 beyond).
    #[arg(long, env = "ROCQET_AUTH_ATTEMPTS_PER_EMAIL", default_value_t = 10)]
    pub auth_attempts_per_email: u32,
    /// Folder with the built web editor; served at `/`.
    #[arg(long, env = "ROCQET_WEB_DIR", default_value = "web/dist")]
    pub web_dir: PathBuf,
    #[command(flatten)]
    pub limits: Limits,
    #[command(flatten)]
    pub versions: VersionSettings,
}

impl std::fmt::Debug for Config {
    // Hand-written so secrets and database passwords never reach a log line.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field(
                "database_url",
                &crate::store::redact_url(&self.database_url),
            )
            .field(
                "redis_url",
                &self.redis_url.as_deref().map(crate::store::redact_url),
            )
            .field("jwt_secret", &self.jwt_secret.as_ref().map(|_| "***"))
            .field("production", &self.production)
            .field("log", &self.log)
            .field("log_format", &self.log_format)
            .field("data_dir", &self.data_dir)
            .field("allowed_origins", &self.allowed_origins)
            .field("auth_attempts_per_ip", &self.auth_attempts_per_ip)
            .field("auth_attempts_per_email", &self.auth_attempts_per_email)
            .field("web_dir", &self.web_dir)
            .field("limits", &self.limits)
            .field("versions", &self.versions)
            .finish()
    }
}

/// Bounds on every input; each breach has a documented close code or error.
#[derive(Debug, Clone, Args)]
pub struct Limits {
    /// Largest WebSocket frame accepted (4413 beyond).
    #[arg(long, env = "ROCQET_MAX_FRAME_BYTES", default_value_t = 1 << 20)]
    pub max_frame_bytes: usize,
    /// Largest document state, estimated from stored and applied updates (4413 beyond).
    #[arg(long, env = "ROCQET_MAX_DOC_BYTES", default_value_t = 16 << 20)]
    pub max_doc_bytes: usize,
    /// Sustained document updates per second per connection (4429 beyond the burst).
    #[arg(long, env = "ROCQET_UPDATES_PER_SEC", default_value_t = 500)]
    pub updates_per_sec: u32,
    /// Sustained awareness messages per second per connection (4429 beyond the burst).
    #[arg(long, env = "ROCQET_AWARENESS_PER_SEC", default_value_t = 60)]
    pub awareness_per_sec: u32,
    /// Frames queued for one connection before it counts as not reading and is dropped.
    #[arg(long, env = "ROCQET_OUTBOX_FRAMES", default_value_t = 1024)]
    pub outbox_frames: usize,
    /// Connections allowed on one document (4429 beyond).
    #[arg(long, env = "ROCQET_MAX_CONNS_PER_DOC", default_value_t = 2000)]
    pub max_conns_per_doc: usize,
    /// Largest REST request body (413 beyond).
    #[arg(long, env = "ROCQET_MAX_BODY_BYTES", default_value_t = 2 << 20)]
    pub max_body_bytes: usize,
    /// Seconds a room stays loaded after its last client leaves.
    #[arg(long, env = "ROCQET_IDLE_UNLOAD_SECS", default_value_t = 30)]
    pub idle_unload_secs: u64,
    /// Milliseconds the persister waits to gather a batch before committing.
    #[arg(long, env = "ROCQET_PERSIST_BATCH_MS", default_value_t = 2)]
    pub persist_batch_ms: u64,
}

impl Limits {
    /// Idle unload delay in milliseconds.
    pub fn idle_unload_ms(&self) -> u64 {
        self.idle_unload_secs.saturating_mul(1000)
    }

    /// The batching window as a duration.
    pub fn persist_batch(&self) -> Duration {
        Duration::from_millis(self.persist_batch_ms)
    }
}

/// When versions are cut and how they are stored.
#[derive(Debug, Clone, Args)]
pub struct VersionSettings {
    /// Seconds without edits after a change before a version is cut automatically.
    #[arg(long, env = "ROCQET_VERSION_QUIET_SECS", default_value_t = 30)]
    pub version_quiet_secs: u64,
    /// Longest a change stays unversioned while editing goes on without a pause.
    #[arg(long, env = "ROCQET_VERSION_MAX_INTERVAL_SECS", default_value_t = 600)]
    pub version_max_interval_secs: u64,
    /// A full snapshot every Nth version (version 1 always has one); reading a
    /// version applies at most N - 1 diffs on top of a snapshot.
    #[arg(long, env = "ROCQET_SNAPSHOT_EVERY", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(1..))]
    pub snapshot_every: u32,
}

impl VersionSettings {
    /// The quiet period in milliseconds.
    pub fn quiet_ms(&self) -> u64 {
        self.version_quiet_secs.saturating_mul(1000)
    }

    /// The maximum interval in milliseconds.
    pub fn max_interval_ms(&self) -> u64 {
        self.version_max_interval_secs.saturating_mul(1000)
    }
}

impl Config {
    /// Defaults for tests and embedding: everything as the CLI would set it without flags.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        let mut config = Cli::parse_from(["rocqet"]).serve;
        config.database_url = database_url.into();
        config
    }
}
