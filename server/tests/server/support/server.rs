//! A real server on a loopback port, over a database of its own, with an injected clock.

use std::sync::Arc;

use rocqet_server::clock::{Clock, ManualClock};
use rocqet_server::config::Config;
use rocqet_server::{Options, Running};
use serde_json::{Value, json};

use super::accounts::{self, Account, TEST_JWT_SECRET};
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
    /// Owner of the workspace with slug `default`, where `create_prompt` puts documents.
    pub owner: Account,
    /// Id of that workspace.
    pub workspace: String,
    tweak: Arc<dyn Fn(&mut Config) + Send + Sync>,
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

    /// Starts after `tweak` adjusts the configuration (limits, mostly), registers an
    /// owner and creates the workspace `default`.
    pub async fn start_with(
        db: TestDb,
        tweak: impl Fn(&mut Config) + Send + Sync + 'static,
    ) -> Self {
        let tweak: Arc<dyn Fn(&mut Config) + Send + Sync> = Arc::new(tweak);
        let (running, clock) = boot(&db, &*tweak).await;
        let base = format!("http://{}", running.addr());
        let http = reqwest::Client::new();
        let owner = accounts::register(&http, &base, "owner").await;
        let workspace = accounts::create_workspace(&http, &base, &owner, "default").await;
        Self {
            running: Some(running),
            clock,
            http,
            base,
            db,
            owner,
            workspace,
            tweak,
        }
    }

    fn running(&self) -> &Running {
        self.running.as_ref().expect("server is running")
    }

    /// `ws://host:port/ws` (append `/{doc_id}`).
    pub fn ws_base(&self) -> String {
        format!("ws://{}/ws", self.running().addr())
    }

    /// `ws://host:port/ws/{doc}?token=...` as the owner.
    pub fn ws_url(&self, doc: &str) -> String {
        self.ws_url_as(doc, &self.owner.token)
    }

    /// `ws://host:port/ws/{doc}?token=...` with another token.
    pub fn ws_url_as(&self, doc: &str, token: &str) -> String {
        format!("{}/{doc}?token={token}", self.ws_base())
    }

    /// Registers another user (not a member of anything yet).
    pub async fn register(&self, name: &str) -> Account {
        accounts::register(&self.http, &self.base, name).await
    }

    /// Registers a user and adds them to the `default` workspace with `role`.
    pub async fn member(&self, name: &str, role: &str) -> Account {
        let account = self.register(name).await;
        let (status, body) = self
            .call(
                reqwest::Method::POST,
                "/api/workspaces/default/members",
                Some(json!({"email": account.email, "role": role})),
            )
            .await;
        assert_eq!(status, 201, "add {name} as {role}: {body}");
        account
    }
}

/// Starts a server over `db` with the test clock and secret.
pub async fn boot(
    db: &TestDb,
    tweak: &(dyn Fn(&mut Config) + Send + Sync),
) -> (Running, ManualClock) {
    {
        let mut config = Config::for_database(db.url());
        config.web_dir = std::env::temp_dir().join("rocqet-no-web");
        config.jwt_secret = Some(TEST_JWT_SECRET.to_owned());
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
        (running, clock)
    }
}

impl TestServer {
    /// Moves the injected clock and runs one housekeeping sweep.
    pub async fn advance_and_sweep(&self, ms: u64) {
        self.clock.advance(ms);
        self.running().hub().sweep().await;
    }

    /// The hub, for inspection.
    pub fn hub(&self) -> &rocqet_server::hub::Hub {
        self.running().hub()
    }

    /// A request to `path` as the owner, and its JSON body (Null when empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        self.call_as(Some(&self.owner.token), method, path, body)
            .await
    }

    /// A request to `path` with `token` (none: anonymous).
    pub async fn call_as(
        &self,
        token: Option<&str>,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let url = format!("{}{path}", self.base);
        accounts::request(&self.http, method, &url, token, body).await
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
        let (running, clock) = boot(&self.db, &*self.tweak).await;
        // The new server's clock starts at T0 again; keep time moving forward.
        clock.advance(self.clock.now_ms().saturating_sub(T0_MS));
        self.base = format!("http://{}", running.addr());
        self.running = Some(running);
        self.clock = clock;
        self
    }

    /// Graceful stop (flushes rooms); the database stays until the struct drops.
    pub async fn stop(&mut self) {
        if let Some(running) = self.running.take() {
            running.shutdown().await.expect("clean shutdown");
        }
    }
}
