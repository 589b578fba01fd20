//! A real server for one test, restartable on the same port, plus helpers.

use std::future::Future;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use rocqet_client::rest::{Client, NewWorkspace};
use rocqet_client::{Backoff, ConnectOptions, DocId, PromptPatch};
use rocqet_server::clock::ManualClock;
use rocqet_server::config::Config;
use rocqet_server::{Options, Running};

/// Upper bound for any single wait; a test that needs it has failed.
pub const WAIT: Duration = Duration::from_secs(20);
/// Every test user's password.
pub const PASSWORD: &str = "correct horse battery";
/// Signing secret shared by restarts, so tokens survive them.
const JWT_SECRET: &str = "sdk-test-secret-sdk-test-secret-0123456789";
/// Start time of the injected clock.
const T0_MS: u64 = 1_700_000_000_000;

/// Waits for `fut`, failing the test after [`WAIT`].
pub async fn within<T>(fut: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, fut)
        .await
        .expect("timed out waiting")
}

/// A quick backoff so reconnect tests do not idle.
pub fn quick_backoff() -> Backoff {
    Backoff::new()
        .initial(Duration::from_millis(20))
        .max(Duration::from_millis(200))
}

/// The server of one test.
pub struct TestServer {
    running: Option<Running>,
    addr: SocketAddr,
    db: PathBuf,
    data_dir: PathBuf,
    /// The injected clock; it keeps running across restarts.
    pub clock: ManualClock,
}

impl TestServer {
    /// Starts a server over a new SQLite database.
    pub async fn start() -> Self {
        let tag = format!("rocqet_sdk_{:016x}", rand::random::<u64>());
        let dir = std::env::temp_dir();
        let mut server = TestServer {
            running: None,
            addr: SocketAddr::from(([127, 0, 0, 1], 0)),
            db: dir.join(format!("{tag}.db")),
            data_dir: dir.join(tag),
            clock: ManualClock::new(T0_MS),
        };
        server.boot().await;
        server
    }

    async fn boot(&mut self) {
        let mut config = Config::for_database(format!("sqlite://{}", self.db.display()));
        config.jwt_secret = Some(JWT_SECRET.to_owned());
        config.data_dir = self.data_dir.clone();
        config.web_dir = self.data_dir.join("no-web");
        // The first boot picks a port; restarts come back on the same one,
        // where reconnecting clients are dialing.
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .expect("bind loopback");
        self.addr = listener.local_addr().expect("addr");
        let options = Options {
            clock: Arc::new(self.clock.clone()),
            background_sweep: false,
        };
        let running = rocqet_server::start(config, listener, options)
            .await
            .expect("server starts");
        self.running = Some(running);
    }

    /// Graceful stop: rooms flush, sockets close with 1001.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await.expect("clean shutdown");
        }
    }

    /// Starts again on the same port and database.
    pub async fn restart(&mut self) {
        self.stop().await;
        self.boot().await;
    }

    /// `http://127.0.0.1:port`.
    pub fn http_base(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// `ws://127.0.0.1:port/ws/{id}`.
    pub fn ws_url(&self, id: &DocId) -> String {
        format!("ws://{}/ws/{id}", self.addr)
    }

    /// A REST client, not logged in.
    pub fn client(&self) -> Client {
        Client::new(&self.http_base()).expect("client")
    }

    /// Registers `name` (email `name@sdk.test`) and returns its logged-in client.
    pub async fn user(&self, name: &str) -> Client {
        let client = self.client();
        client
            .register(&format!("{name}@sdk.test"), PASSWORD, name)
            .await
            .expect("register");
        client
    }

    /// Registers an owner with workspace `ws`.
    pub async fn owner(&self, name: &str, ws: &str) -> Client {
        let client = self.user(name).await;
        client
            .create_workspace(&NewWorkspace::new(ws).slug(ws))
            .await
            .expect("create workspace");
        client
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", self.db.display()));
        }
        let _ = std::fs::remove_dir_all(&self.data_dir);
    }
}

/// Creates a prompt with `content` in workspace `ws`; returns its id.
pub async fn prompt(client: &Client, ws: &str, content: &str) -> DocId {
    let patch = PromptPatch::new().title("t").content(content);
    client
        .prompts()
        .create(ws, &patch)
        .await
        .expect("create prompt")
        .id
}

/// Options carrying `client`'s token, with acks.
pub fn options(client: &Client) -> ConnectOptions {
    ConnectOptions::new()
        .token(client.access_token().expect("logged in"))
        .ack(true)
}
