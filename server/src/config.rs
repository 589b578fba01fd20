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
    /// Folder with the built web editor; served at `/`.
    #[arg(long, env = "ROCQET_WEB_DIR", default_value = "web/dist")]
    pub web_dir: PathBuf,
    #[command(flatten)]
    pub limits: Limits,
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
            .field("web_dir", &self.web_dir)
            .field("limits", &self.limits)
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

impl Config {
    /// Defaults for tests and embedding: everything as the CLI would set it without flags.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        let mut config = Cli::parse_from(["rocqet"]).serve;
        config.database_url = database_url.into();
        config
    }
}
