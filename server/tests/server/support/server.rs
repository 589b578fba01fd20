//! A real server on a loopback port, over a database of its own, with an injected clock.

use std::sync::Arc;

use rocqet_server::clock::ManualClock;
use rocqet_server::config::Config;
use rocqet_server::{Options, Running};
use serde_json::{Value, json};

use super::db::TestDb;

/// Start time of every test clock (an arbitrary fixed instant).
const T0_MS: u64 = 1_700_000_000_000;

/// A running server for one test.
pub struct TestServer {
    pub running: Option<Running>,
    pub clock: ManualClock,
    pub http: reqwest::Client,
    pub base: String,
    pub db: TestDb,
}

/// Runs a test body against both databases: `name::sqlite` and `name::postgres`.
#[macro_export]
macro_rules! server_test {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$name($crate::support::db::TestDb::sqlite()).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$name($crate::support::db::TestDb::postgres().await).await;
            }
        }
    )*};
}

impl TestServer {
    /// Starts with default limits.
    pub async fn start(db: TestDb) -> Self {
        Self::start_with(db, |_| {}).await
    }

    /// Starts after `tweak` adjusts the configuration (limits, mostly).
    pub async fn start_with(db: TestDb, tweak: impl FnOnce(&mut Config)) -> Self {
        let mut config = Config::for_database(db.url());
        config.web_dir = std::env::temp_dir().join("rocqet-no-web");
        tweak(&mut config);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind loopback");
        let clock = ManualClock::new(T0_MS);
        let options = Options {
            clock: Arc::new(clock.clone()),
            background_sweep: false,
        };
        let running = rocqet_server::start(config, listener, options)
            .await
            .expect("server starts");
        let base = format!("http://{}", running.addr());
        Self {
            running: Some(running),
            clock,
            http: reqwest::Client::new(),
            base,
            db,
        }
    }

    fn running(&self) -> &Running {
        self.running.as_ref().expect("server is running")
    }

    /// `ws://host:port/ws` (append `/{doc_id}`).
    pub fn ws_base(&self) -> String {
        format!("ws://{}/ws", self.running().addr())
    }

    /// `ws://host:port/ws/{doc}`.
    pub fn ws_url(&self, doc: &str) -> String {
        format!("{}/{doc}", self.ws_base())
    }

    /// Moves the injected clock and runs one housekeeping sweep.
    pub async fn advance_and_sweep(&self, ms: u64) {
        self.clock.advance(ms);
        self.running().hub().sweep().await;
    }

    /// The hub, for inspection.
    pub fn hub(&self) -> &rocqet_server::hub::Hub {
        self.running().hub()
    }

    /// A request to `path` and its JSON body (Null when empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self.http.request(method, format!("{}{path}", self.base));
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("request sent");
        let status = response.status().as_u16();
        let text = response.text().await.expect("body read");
        let json = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, json)
    }

    /// Creates a prompt in the default workspace and returns its id.
    pub async fn create_prompt(&self, content: &str) -> String {
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/api/workspaces/default/prompts",
                Some(json!({"title": "t", "content": content})),
            )
            .await;
        assert_eq!(status, 201, "create prompt: {body}");
        body["id"].as_str().expect("id").to_owned()
    }

    /// Stops gracefully and starts a new server on the same database (a new port).
    pub async fn restart(mut self) -> Self {
        self.stop().await;
        let TestServer { db, .. } = self;
        Self::start(db).await
    }

    /// Graceful stop (flushes rooms); the database stays until the struct drops.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await.expect("clean shutdown");
        }
    }
}
