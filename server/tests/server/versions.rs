//! Versions through the real server: history rebuilt from storage after
//! compaction, automatic cutting on the injected clock, restore with open
//! editors, labels and their permissions, diffs, rendering.

mod auto;
mod diff;
mod history;
mod labels;
mod restore;

use std::time::Duration;

use reqwest::Method;
use rocqet_client::{ConnectOptions, LiveDoc};
use serde_json::{Value, json};

use rocqet_server::clock::Clock;

use crate::support::accounts::PASSWORD;
use crate::support::server::TestServer;

/// Bound on any single wait; a passing test never comes near it.
const WAIT: Duration = Duration::from_secs(20);

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

/// An SDK editor as `token`, synced.
async fn sdk_as(server: &TestServer, id: &str, token: &str) -> LiveDoc {
    let doc = LiveDoc::connect(
        &server.ws_url_as(id, token),
        ConnectOptions::new().ack(true),
    )
    .await
    .unwrap();
    within("sdk sync", doc.wait_synced()).await.unwrap();
    doc
}

/// The content of a document body: everything but the server-owned fields.
fn content(mut body: Value) -> Value {
    if let Some(map) = body.as_object_mut() {
        for key in rocqet_crdt::schema::SERVER_FIELDS {
            map.remove(key);
        }
    }
    body
}

/// Creates a model in the default workspace and returns its id.
async fn create_model(server: &TestServer, body: Value) -> String {
    let (status, body) = server
        .call(Method::POST, "/api/workspaces/default/models", Some(body))
        .await;
    assert_eq!(status, 201, "create model: {body}");
    body["id"].as_str().unwrap().to_owned()
}

/// REST calls as one account, whose token can be renewed: tests move the injected
/// clock past the access token's lifetime.
struct Api<'a> {
    server: &'a TestServer,
    email: String,
    token: String,
    /// When `token` was issued, on the injected clock.
    issued_ms: u64,
}

impl<'a> Api<'a> {
    /// Calls as the workspace owner.
    fn owner(server: &'a TestServer) -> Self {
        Self {
            server,
            email: server.owner.email.clone(),
            token: server.owner.token.clone(),
            issued_ms: server.clock.now_ms(),
        }
    }

    /// Logs in again when the clock moved more than 10 minutes since the token was
    /// issued (tokens live 15), so the next calls are authenticated.
    async fn relogin(&mut self) {
        let now = self.server.clock.now_ms();
        if now.saturating_sub(self.issued_ms) < 10 * 60 * 1000 {
            return;
        }
        self.issued_ms = now;
        let (status, body) = self
            .server
            .call_as(
                None,
                Method::POST,
                "/api/auth/login",
                Some(json!({"email": self.email, "password": PASSWORD})),
            )
            .await;
        assert_eq!(status, 200, "login: {body}");
        self.token = body["access_token"].as_str().unwrap().to_owned();
    }

    async fn call(&self, method: Method, path: &str, body: Option<Value>) -> (u16, Value) {
        self.server
            .call_as(Some(&self.token), method, path, body)
            .await
    }

    /// `POST .../versions`; status and body.
    async fn cut(&self, kind: &str, id: &str, body: Option<Value>) -> (u16, Value) {
        self.call(Method::POST, &format!("/api/{kind}/{id}/versions"), body)
            .await
    }

    /// `PATCH`; the new content.
    async fn patch(&self, kind: &str, id: &str, body: Value) -> Value {
        let (status, body) = self
            .call(Method::PATCH, &format!("/api/{kind}/{id}"), Some(body))
            .await;
        assert_eq!(status, 200, "patch: {body}");
        content(body)
    }

    /// Every version of a document, newest first, walking the pages.
    async fn list_all(&self, kind: &str, id: &str) -> Vec<Value> {
        let mut items = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let query = cursor.map_or("?limit=3".to_owned(), |c| format!("?limit=3&cursor={c}"));
            let (status, page) = self
                .call(
                    Method::GET,
                    &format!("/api/{kind}/{id}/versions{query}"),
                    None,
                )
                .await;
            assert_eq!(status, 200, "list: {page}");
            items.extend(page["items"].as_array().unwrap().iter().cloned());
            match page["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return items,
            }
        }
    }

    /// The content of version `n`.
    async fn version_content(&self, kind: &str, id: &str, n: i64) -> Value {
        let (status, body) = self
            .call(Method::GET, &format!("/api/{kind}/{id}/versions/{n}"), None)
            .await;
        assert_eq!(status, 200, "version {n}: {body}");
        assert_eq!(body["version"], json!(n));
        content(body)
    }
}

/// Numbers of the listed versions, newest first.
fn numbers(items: &[Value]) -> Vec<i64> {
    items
        .iter()
        .map(|v| v["number"].as_i64().unwrap())
        .collect()
}

/// Moves the clock, sweeps every room, and waits for the versions the sweep cut.
async fn tick(server: &TestServer, id: &str, ms: u64) {
    server.advance_and_sweep(ms).await;
    server.hub().versions_written(id.parse().unwrap()).await;
}

/// Waits until the room has handled its connections leaving: `count` remain.
async fn wait_present(server: &TestServer, id: &str, count: usize) {
    let id = id.parse().unwrap();
    within("the room sees the connections leave", async {
        while server.hub().presence(id).await.len() != count {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    })
    .await;
}
