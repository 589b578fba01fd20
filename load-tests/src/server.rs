//! The Rocqet server process a scenario runs itself (`durability`,
//! `cold-load`): started on one loopback port and one database, killed with
//! SIGKILL, restarted on the same port and database, stopped with SIGTERM.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use clap::Args;
use tokio::process::{Child, Command};

use crate::conn::Res;

/// How long a (re)started server may take to answer `/readyz`: migrations on
/// a fresh PostgreSQL database take a few seconds on a busy machine.
const READY_TIMEOUT: Duration = Duration::from_secs(60);
/// SIGTERM flushes every room; a server that takes longer is killed.
const STOP_TIMEOUT: Duration = Duration::from_secs(15);

/// Which server binary runs on which database.
#[derive(Debug, Clone, Args)]
pub struct ServerArgs {
    /// The `rocqet` binary to run.
    #[arg(long, default_value = "target/release/rocqet")]
    pub server_bin: PathBuf,
    /// `sqlite://FILE` (created) or `postgres://.../DB` naming a fresh, empty database.
    #[arg(long)]
    pub database_url: String,
    /// Folder for the server's data dir and log (default: a new temporary folder, removed at the end).
    #[arg(long)]
    pub data_dir: Option<PathBuf>,
    /// Extra flag for `rocqet serve`, repeatable (`--server-arg=--persist-batch-ms=5`).
    #[arg(long = "server-arg", allow_hyphen_values = true)]
    pub server_args: Vec<String>,
}

impl ServerArgs {
    /// `sqlite` or `postgres`, from the URL scheme, for the report.
    pub fn backend(&self) -> &'static str {
        if self.database_url.starts_with("postgres") {
            "postgres"
        } else {
            "sqlite"
        }
    }
}

/// A running (or killed) `rocqet serve`.
pub struct Server {
    args: ServerArgs,
    /// Settings the scenario needs, passed as environment variables so that a
    /// `--server-arg` flag naming the same setting overrides them instead of
    /// clashing with a second flag.
    env: Vec<(String, String)>,
    port: u16,
    data_dir: PathBuf,
    remove_data_dir: bool,
    child: Option<Child>,
}

impl Server {
    /// Starts the server with `env` settings on a free loopback port; returns once it is ready.
    pub async fn start(args: &ServerArgs, env: &[(&str, String)]) -> Res<Server> {
        let (data_dir, remove_data_dir) = match &args.data_dir {
            Some(dir) => (dir.clone(), false),
            None => (
                std::env::temp_dir().join(format!(
                    "rocqet-load-{}-{:08x}",
                    std::process::id(),
                    rand::random::<u32>()
                )),
                true,
            ),
        };
        std::fs::create_dir_all(&data_dir)
            .map_err(|e| format!("data dir {}: {e}", data_dir.display()))?;
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| format!("no free port: {e}"))?
            .port();
        // The token the scenario's account holds must survive restarts.
        let secret = format!(
            "{:032x}{:032x}",
            rand::random::<u128>(),
            rand::random::<u128>()
        );
        let mut all = vec![
            ("ROCQET_LISTEN".to_string(), format!("127.0.0.1:{port}")),
            ("DATABASE_URL".to_string(), args.database_url.clone()),
            (
                "ROCQET_DATA_DIR".to_string(),
                data_dir.display().to_string(),
            ),
            ("ROCQET_JWT_SECRET".to_string(), secret),
            ("ROCQET_LOG".to_string(), "warn".to_string()),
        ];
        all.extend(env.iter().map(|(k, v)| (k.to_string(), v.clone())));
        let mut server = Server {
            args: args.clone(),
            env: all,
            port,
            data_dir,
            remove_data_dir,
            child: None,
        };
        server.restart().await?;
        Ok(server)
    }

    /// `ws://127.0.0.1:PORT`.
    pub fn ws_url(&self) -> String {
        format!("ws://127.0.0.1:{}", self.port)
    }

    /// `http://127.0.0.1:PORT`.
    pub fn http_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn log_path(&self) -> PathBuf {
        self.data_dir.join("rocqet.log")
    }

    /// Starts the process again (same port, database, secret); returns the time until `/readyz` answered.
    pub async fn restart(&mut self) -> Res<Duration> {
        if self.child.is_some() {
            return Err("server already running".into());
        }
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .map_err(|e| format!("server log: {e}"))?;
        let log_err = log.try_clone().map_err(|e| format!("server log: {e}"))?;
        let started = Instant::now();
        let child = Command::new(&self.args.server_bin)
            .arg("serve")
            .args(&self.args.server_args)
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log_err)
            // A scenario that fails half-way must not leave a server behind.
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot run {}: {e}", self.args.server_bin.display()))?;
        // For whoever must clean up after a generator that was itself killed
        // (kill_on_drop cannot run then): run-bench.sh reads it.
        if let Some(pid) = child.id() {
            let _ = std::fs::write(self.data_dir.join("rocqet.pid"), pid.to_string());
        }
        self.child = Some(child);
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .map_err(|e| e.to_string())?;
        let ready = format!("{}/readyz", self.http_url());
        while started.elapsed() < READY_TIMEOUT {
            if let Ok(resp) = http.get(&ready).send().await
                && resp.status().is_success()
            {
                return Ok(started.elapsed());
            }
            if let Some(child) = self.child.as_mut()
                && let Ok(Some(status)) = child.try_wait()
            {
                self.child = None;
                return Err(format!(
                    "server exited ({status}) before it was ready; log: {}",
                    self.log_tail()
                ));
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Err(format!(
            "server not ready after {READY_TIMEOUT:?}; log: {}",
            self.log_tail()
        ))
    }

    /// SIGKILL: no flush, no goodbye; returns once the process is gone.
    pub async fn kill(&mut self) -> Res<()> {
        let Some(mut child) = self.child.take() else {
            return Err("server not running".into());
        };
        child.kill().await.map_err(|e| format!("kill: {e}"))
    }

    /// SIGTERM (rooms flush), then SIGKILL if it takes too long; removes a temporary data dir.
    pub async fn stop(mut self) {
        if let Some(mut child) = self.child.take() {
            if let Some(pid) = child.id() {
                let _ = std::process::Command::new("kill")
                    .args(["-TERM", &pid.to_string()])
                    .status();
            }
            if tokio::time::timeout(STOP_TIMEOUT, child.wait())
                .await
                .is_err()
            {
                let _ = child.kill().await;
            }
        }
        if self.remove_data_dir {
            let _ = std::fs::remove_dir_all(&self.data_dir);
        }
    }

    /// The end of the server's log, for error messages.
    fn log_tail(&self) -> String {
        let log = std::fs::read_to_string(self.log_path()).unwrap_or_default();
        let start = log.len().saturating_sub(600);
        let start = (start..log.len())
            .find(|i| log.is_char_boundary(*i))
            .unwrap_or(log.len());
        log[start..].trim().to_string()
    }
}
