//! Accounts for tests: register users and make workspaces over the real REST API.

use serde_json::{Value, json};

/// The signing secret every test server uses, so tokens survive a restart.
pub const TEST_JWT_SECRET: &str = "test-secret-test-secret-test-secret-0123";
/// Every test user's password.
pub const PASSWORD: &str = "correct horse battery";

/// A registered user and their tokens.
#[derive(Debug, Clone)]
pub struct Account {
    pub user_id: String,
    pub email: String,
    pub name: String,
    pub token: String,
    pub refresh: String,
}

/// Sends a JSON request with an optional bearer token; returns status and JSON body.
pub async fn request(
    http: &reqwest::Client,
    method: reqwest::Method,
    url: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = http.request(method, url);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
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

/// Registers `name` (email `name@test.rocqet`) on the server at `base`.
pub async fn register(http: &reqwest::Client, base: &str, name: &str) -> Account {
    let email = format!("{name}@test.rocqet");
    let (status, body) = request(
        http,
        reqwest::Method::POST,
        &format!("{base}/api/auth/register"),
        None,
        Some(json!({"email": email, "password": PASSWORD, "name": name})),
    )
    .await;
    assert_eq!(status, 201, "register {name}: {body}");
    Account {
        user_id: body["user"]["id"].as_str().expect("user id").to_owned(),
        email,
        name: name.to_owned(),
        token: body["access_token"].as_str().expect("token").to_owned(),
        refresh: body["refresh_token"].as_str().expect("refresh").to_owned(),
    }
}

/// Creates a workspace with `slug` owned by `owner`; returns its id.
pub async fn create_workspace(
    http: &reqwest::Client,
    base: &str,
    owner: &Account,
    slug: &str,
) -> String {
    let (status, body) = request(
        http,
        reqwest::Method::POST,
        &format!("{base}/api/workspaces"),
        Some(&owner.token),
        Some(json!({"name": slug, "slug": slug})),
    )
    .await;
    assert_eq!(status, 201, "create workspace {slug}: {body}");
    body["id"].as_str().expect("workspace id").to_owned()
}
