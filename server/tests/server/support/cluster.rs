//! Several hub nodes in this process, on loopback ports, sharing one PostgreSQL
//! database and one Redis (under a channel prefix of their own).

use rocqet_server::Running;
use rocqet_server::clock::ManualClock;
use rocqet_server::config::Config;
use serde_json::Value;

use super::accounts::{self, Account};
use super::db::TestDb;

/// The machine's Redis (started if it is down); override with `ROCQET_TEST_REDIS_URL`.
pub fn shared_redis_url() -> String {
    static STARTED: std::sync::Once = std::sync::Once::new();
    let url = std::env::var("ROCQET_TEST_REDIS_URL")
        .unwrap_or_else(|_| "redis://127.0.0.1:6379".to_owned());
    STARTED.call_once(|| {
        let up = redis::Client::open(url.as_str())
            .and_then(|client| client.get_connection())
            .is_ok();
        if !up {
            let services = concat!(env!("CARGO_MANIFEST_DIR"), "/../.ci/services");
            let _ = std::process::Command::new(services).status();
        }
    });
    url
}

/// Nodes of one cluster; index them by position.
pub struct Nodes {
    pub db: TestDb,
    pub redis_url: String,
    pub prefix: String,
    pub nodes: Vec<Option<Running>>,
    /// Each node's injected clock (nodes sweep only when a test says so).
    pub clocks: Vec<ManualClock>,
    pub http: reqwest::Client,
    /// Owner of the workspace `default`.
    pub owner: Account,
}

impl Nodes {
    /// Starts `count` nodes over a fresh PostgreSQL database, registers an owner
    /// and creates the workspace `default`.
    pub async fn start(count: usize, redis_url: &str) -> Self {
        let db = TestDb::postgres().await;
        let prefix = format!("rocqet-test-{}", uuid::Uuid::new_v4().simple());
        let mut nodes = Nodes {
            db,
            redis_url: redis_url.to_owned(),
            prefix,
            nodes: Vec::new(),
            clocks: Vec::new(),
            http: reqwest::Client::new(),
            owner: Account {
                user_id: String::new(),
                email: String::new(),
                name: String::new(),
                token: String::new(),
                refresh: String::new(),
            },
        };
        for _ in 0..count {
            nodes.add().await;
        }
        nodes.owner = accounts::register(&nodes.http, &nodes.base(0), "owner").await;
        accounts::create_workspace(&nodes.http, &nodes.base(0), &nodes.owner, "default").await;
        nodes
    }

    /// Starts one more node; returns its index once its Redis link is up.
    pub async fn add(&mut self) -> usize {
        self.add_with(|_| {}).await
    }

    /// Starts one more node configured by `tweak`; its index once its Redis link is up.
    pub async fn add_with(&mut self, tweak: impl Fn(&mut Config) + Send + Sync + 'static) -> usize {
        let (redis_url, prefix) = (self.redis_url.clone(), self.prefix.clone());
        let (running, clock) = super::server::boot(&self.db, &move |config: &mut Config| {
            config.redis_url = Some(redis_url.clone());
            config.redis_prefix = prefix.clone();
            tweak(config);
        })
        .await;
        self.nodes.push(Some(running));
        self.clocks.push(clock);
        let node = self.nodes.len() - 1;
        self.wait_for_redis(node, "ok").await;
        node
    }

    /// Waits (bounded) until the node's `/readyz` reports Redis as `state`.
    pub async fn wait_for_redis(&self, node: usize, state: &str) {
        let url = format!("{}/readyz", self.base(node));
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
        loop {
            let body: Option<Value> = match self.http.get(&url).send().await {
                Ok(response) => response.json().await.ok(),
                Err(_) => None,
            };
            if body.as_ref().is_some_and(|b| b["redis"] == state) {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "node {node}: Redis never {state}: {body:?}"
            );
            tokio::time::sleep(std::time::Duration::from_millis(25)).await;
        }
    }

    /// Moves every running node's clock by `ms`, then has each sweep its rooms.
    pub async fn advance_and_sweep(&self, ms: u64) {
        for (node, clock) in self.clocks.iter().enumerate() {
            if let Some(running) = &self.nodes[node] {
                clock.advance(ms);
                running.hub().sweep().await;
            }
        }
    }

    fn running(&self, node: usize) -> &Running {
        self.nodes[node].as_ref().expect("node is running")
    }

    /// `http://host:port` of a node.
    pub fn base(&self, node: usize) -> String {
        format!("http://{}", self.running(node).addr())
    }

    /// A socket URL for `doc` on `node` with `token`.
    pub fn ws_url(&self, node: usize, doc: &str, token: &str) -> String {
        format!("ws://{}/ws/{doc}?token={token}", self.running(node).addr())
    }

    /// The hub of a node.
    pub fn hub(&self, node: usize) -> &rocqet_server::hub::Hub {
        self.running(node).hub()
    }

    /// A request to `node` as `token` (or the owner); status and JSON body.
    pub async fn call(
        &self,
        node: usize,
        token: Option<&str>,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let token = token.unwrap_or(&self.owner.token);
        let url = format!("{}{path}", self.base(node));
        accounts::request(&self.http, method, &url, Some(token), body).await
    }

    /// Registers a user through `node` and adds them to `default` with `role`.
    pub async fn member(&self, name: &str, role: &str) -> Account {
        let account = accounts::register(&self.http, &self.base(0), name).await;
        let (status, body) = self
            .call(
                0,
                None,
                reqwest::Method::POST,
                "/api/workspaces/default/members",
                Some(serde_json::json!({"email": account.email, "role": role})),
            )
            .await;
        assert_eq!(status, 201, "add {name}: {body}");
        account
    }

    /// Creates a document of `kind` ("prompts" or "models") with `body`; its id.
    pub async fn create(&self, kind: &str, body: Value) -> String {
        let (status, created) = self
            .call(
                0,
                None,
                reqwest::Method::POST,
                &format!("/api/workspaces/default/{kind}"),
                Some(body),
            )
            .await;
        assert_eq!(status, 201, "create {kind}: {created}");
        created["id"].as_str().expect("id").to_owned()
    }

    /// Stops every node gracefully (each flushes its rooms).
    pub async fn stop_all(&mut self) {
        for node in &mut self.nodes {
            if let Some(running) = node.take() {
                running.shutdown().await.expect("node stops cleanly");
            }
        }
    }
}

/// A Redis server of one test's own, on a free loopback port, that the test may
/// stop and start again (the machine's Redis is shared by every test).
pub struct PrivateRedis {
    pub port: u16,
    child: Option<tokio::process::Child>,
}

impl PrivateRedis {
    /// Starts `redis-server` on a free port and waits until it answers.
    pub async fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|probe| probe.local_addr())
            .expect("probe a free port")
            .port();
        let mut redis = PrivateRedis { port, child: None };
        redis.restart().await;
        redis
    }

    /// `redis://127.0.0.1:port`.
    pub fn url(&self) -> String {
        format!("redis://127.0.0.1:{}", self.port)
    }

    /// Starts it (again) on the same port.
    pub async fn restart(&mut self) {
        let child = tokio::process::Command::new("redis-server")
            .args(["--port", &self.port.to_string(), "--bind", "127.0.0.1"])
            .args(["--save", "", "--appendonly", "no"])
            .stdout(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn redis-server (apt-get install redis-server)");
        self.child = Some(child);
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "redis-server did not come up"
            );
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        }
    }

    /// Kills it; returns once it is gone.
    pub async fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.start_kill();
            let _ = child.wait().await;
        }
    }
}
