//! The `rocqet` binary as a child process, for tests that must kill it.

use std::net::{SocketAddr, TcpListener};
use std::os::unix::process::ExitStatusExt;
use std::process::Stdio;
use std::time::Duration;

use tokio::process::{Child, Command};

/// How long a started binary may take to answer `/healthz` (a cold debug build is slow).
const START_WAIT: Duration = Duration::from_secs(60);
/// Bound on waiting for a killed process to exit.
const EXIT_WAIT: Duration = Duration::from_secs(30);

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(EXIT_WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

/// The `rocqet` binary running as a child process.
pub struct ServerProcess {
    pub child: Child,
    pub addr: SocketAddr,
    /// Token of the owner of the workspace the test writes in (set by `create_prompt`).
    pub token: String,
}

impl ServerProcess {
    /// Starts `rocqet serve` on a free loopback port and waits until `/healthz` answers.
    pub async fn start(database_url: &str) -> Self {
        Self::start_with(database_url, &[]).await
    }

    /// [`ServerProcess::start`] with more command-line arguments.
    pub async fn start_with(database_url: &str, extra: &[String]) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .unwrap();
        let web_dir = std::env::temp_dir().join("rocqet-no-web");
        // The port is free when probed but may be taken before the child binds
        // it; then the child exits and another port is tried.
        for _attempt in 0..5 {
            let addr = TcpListener::bind("127.0.0.1:0")
                .and_then(|probe| probe.local_addr())
                .expect("probe a free port");
            let mut child = Command::new(env!("CARGO_BIN_EXE_rocqet"))
                .arg("serve")
                .arg("--listen")
                .arg(addr.to_string())
                .arg("--database-url")
                .arg(database_url)
                .arg("--web-dir")
                .arg(&web_dir)
                .arg("--log")
                .arg("warn")
                .arg("--jwt-secret")
                .arg(crate::support::accounts::TEST_JWT_SECRET)
                .args(extra)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .kill_on_drop(true)
                .spawn()
                .expect("spawn rocqet");
            let deadline = tokio::time::Instant::now() + START_WAIT;
            loop {
                if let Some(status) = child.try_wait().unwrap() {
                    eprintln!(
                        "rocqet on {addr} exited at start-up ({status}); trying another port"
                    );
                    break;
                }
                let health = http.get(format!("http://{addr}/healthz")).send().await;
                if health.is_ok_and(|r| r.status().is_success()) {
                    return Self {
                        child,
                        addr,
                        token: String::new(),
                    };
                }
                assert!(
                    tokio::time::Instant::now() < deadline,
                    "rocqet did not answer /healthz on {addr} within {START_WAIT:?}"
                );
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        panic!("rocqet failed to start five times");
    }

    pub fn ws_url(&self, doc: &str) -> String {
        format!("ws://{}/ws/{doc}?token={}", self.addr, self.token)
    }

    /// SIGKILL: no flush, no close frames. Returns once the process is gone.
    pub async fn sigkill(&mut self) {
        if let Some(status) = self.child.try_wait().unwrap() {
            panic!("rocqet exited on its own before the kill: {status}");
        }
        self.child.start_kill().expect("send SIGKILL");
        let status = within("killed rocqet exits", self.child.wait())
            .await
            .unwrap();
        assert_eq!(
            status.signal(),
            Some(9),
            "rocqet ended by SIGKILL: {status}"
        );
    }
}
