//! Accounts over REST: registration, login, refresh rotation with reuse detection,
//! logout, rate limits, invites, the last-owner rule and start-up checks.

use reqwest::Method;
use serde_json::json;

use crate::server_test;
use crate::support::accounts::PASSWORD;
use crate::support::db::TestDb;
use crate::support::server::TestServer;

server_test!(
    register_login_and_me,
    bad_registrations_are_refused_with_details,
    refresh_rotates_and_reuse_revokes_the_family,
    logout_kills_the_refresh_family,
    login_and_register_are_rate_limited,
    invites_become_memberships_on_register,
    a_workspace_keeps_an_owner,
    audit_log_records_who_did_what,
);

async fn register_login_and_me(db: TestDb) {
    let server = TestServer::start(db).await;
    let (status, body) = server
        .call_as(
            None,
            Method::POST,
            "/api/auth/register",
            Some(json!({"email": " Ada@Example.COM ", "password": PASSWORD, "name": "Ada"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["user"]["email"], "ada@example.com");
    assert!(body["expires_in"].as_u64().unwrap() > 0);
    assert!(body["refresh_token"].as_str().unwrap().len() >= 40);

    let (status, body) = server
        .call_as(
            None,
            Method::POST,
            "/api/auth/register",
            Some(json!({"email": "ada@example.com", "password": PASSWORD, "name": "Ada 2"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (409, Some("CONFLICT"))
    );

    let (status, body) = server
        .call_as(
            None,
            Method::POST,
            "/api/auth/login",
            Some(json!({"email": "ADA@example.com", "password": "wrong password"})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("UNAUTHORIZED"))
    );
    let (status, body) = server
        .call_as(
            None,
            Method::POST,
            "/api/auth/login",
            Some(json!({"email": "nobody@example.com", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(
        body["error"]["message"], "invalid email or password",
        "unknown and wrong look alike"
    );

    let (status, body) = server
        .call_as(
            None,
            Method::POST,
            "/api/auth/login",
            Some(json!({"email": "ada@example.com", "password": PASSWORD})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap().to_owned();
    let (status, me) = server
        .call_as(Some(&token), Method::GET, "/api/auth/me", None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(me["user"]["name"], "Ada");
    assert_eq!(me["workspaces"], json!([]));

    let (status, me) = server.call(Method::GET, "/api/auth/me", None).await;
    assert_eq!(status, 200);
    assert_eq!(me["workspaces"][0]["slug"], "default");
    assert_eq!(me["workspaces"][0]["role"], "owner");

    let (status, body) = server
        .call_as(None, Method::GET, "/api/auth/me", None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (401, Some("UNAUTHORIZED"))
    );
    let (status, _) = server
        .call_as(Some("garbage"), Method::GET, "/api/auth/me", None)
        .await;
    assert_eq!(status, 401);

    // Access tokens expire (15 minutes on the server's clock).
    server.clock.advance(16 * 60 * 1000);
    let (status, body) = server
        .call_as(Some(&token), Method::GET, "/api/auth/me", None)
        .await;
    assert_eq!(status, 401);
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("expired"),
        "{body}"
    );
}

async fn bad_registrations_are_refused_with_details(db: TestDb) {
    let server = TestServer::start(db).await;
    let (status, body) = server
        .call_as(
            None,
            Method::POST,
            "/api/auth/register",
            Some(json!({"email": "not-an-email", "password": "short", "name": ""})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "VALIDATION_FAILED");
    let fields: Vec<&str> = body["error"]["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["email", "password", "name"]);
    let (status, body) = server
        .call_as(
            None,
            Method::POST,
            "/api/auth/register",
            Some(json!({"email": 5})),
        )
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("INVALID_PAYLOAD"))
    );
}

async fn refresh_rotates_and_reuse_revokes_the_family(db: TestDb) {
    let server = TestServer::start(db).await;
    let refresh = |token: String| {
        let server = &server;
        async move {
            server
                .call_as(
                    None,
                    Method::POST,
                    "/api/auth/refresh",
                    Some(json!({"refresh_token": token})),
                )
                .await
        }
    };
    let first = server.owner.refresh.clone();
    let (status, body) = refresh(first.clone()).await;
    assert_eq!(status, 200, "{body}");
    let second = body["refresh_token"].as_str().unwrap().to_owned();
    assert_ne!(second, first);
    let (status, _) = server
        .call_as(
            body["access_token"].as_str(),
            Method::GET,
            "/api/auth/me",
            None,
        )
        .await;
    assert_eq!(status, 200);

    // A second login is a family of its own.
    let (_, other) = server
        .call_as(
            None,
            Method::POST,
            "/api/auth/login",
            Some(json!({"email": server.owner.email, "password": PASSWORD})),
        )
        .await;
    let other_family = other["refresh_token"].as_str().unwrap().to_owned();

    // The first token is dead; presenting it again revokes the whole family...
    let (status, body) = refresh(first).await;
    assert_eq!(status, 401, "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("already used")
    );
    // ... including the token that replaced it.
    let (status, _) = refresh(second).await;
    assert_eq!(status, 401);
    // The other login is untouched.
    let (status, _) = refresh(other_family).await;
    assert_eq!(status, 200);
    let (status, _) = refresh("made-up".to_owned()).await;
    assert_eq!(status, 401);
}

async fn logout_kills_the_refresh_family(db: TestDb) {
    let server = TestServer::start(db).await;
    let (status, _) = server
        .call_as(
            None,
            Method::POST,
            "/api/auth/logout",
            Some(json!({"refresh_token": server.owner.refresh})),
        )
        .await;
    assert_eq!(status, 204);
    let (status, _) = server
        .call_as(
            None,
            Method::POST,
            "/api/auth/refresh",
            Some(json!({"refresh_token": server.owner.refresh})),
        )
        .await;
    assert_eq!(status, 401);
    let (status, _) = server
        .call_as(
            None,
            Method::POST,
            "/api/auth/logout",
            Some(json!({"refresh_token": "unknown"})),
        )
        .await;
    assert_eq!(status, 401);
}

async fn login_and_register_are_rate_limited(db: TestDb) {
    let server = TestServer::start_with(db, |c| {
        c.auth_attempts_per_email = 3;
        c.auth_attempts_per_ip = 6;
    })
    .await;
    let login = |email: &'static str| {
        let server = &server;
        async move {
            server
                .call_as(
                    None,
                    Method::POST,
                    "/api/auth/login",
                    Some(json!({"email": email, "password": "wrong password"})),
                )
                .await
        }
    };
    for _ in 0..3 {
        assert_eq!(login("target@test.rocqet").await.0, 401);
    }
    let (status, body) = login("target@test.rocqet").await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (429, Some("RATE_LIMITED"))
    );
    // Retry-After is sent.
    let response = server
        .http
        .post(format!("{}/api/auth/login", server.base))
        .json(&json!({"email": "target@test.rocqet", "password": "x"}))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 429);
    let retry: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(retry >= 1);
    // The IP budget (6, of which the owner's registration used 1 and these 5) runs out
    // across emails too.
    let (status, _) = login("someone-else@test.rocqet").await;
    assert_eq!(status, 429);
}

async fn invites_become_memberships_on_register(db: TestDb) {
    let server = TestServer::start(db).await;
    let (status, body) = server
        .call(
            Method::POST,
            "/api/workspaces/default/members",
            Some(json!({"email": "Newbie@Test.Rocqet", "role": "editor"})),
        )
        .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["status"], "invited");
    assert_eq!(body["user_id"], serde_json::Value::Null);
    let (status, _) = server
        .call(
            Method::POST,
            "/api/workspaces/default/members",
            Some(json!({"email": "newbie@test.rocqet", "role": "viewer"})),
        )
        .await;
    assert_eq!(status, 409, "inviting twice");
    let newbie = server.register("newbie").await;
    let (_, me) = server
        .call_as(Some(&newbie.token), Method::GET, "/api/auth/me", None)
        .await;
    assert_eq!(me["workspaces"][0]["slug"], "default");
    assert_eq!(me["workspaces"][0]["role"], "editor");
    let (_, members) = server
        .call(Method::GET, "/api/workspaces/default/members", None)
        .await;
    let statuses: Vec<(&str, &str)> = members["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| (m["email"].as_str().unwrap(), m["status"].as_str().unwrap()))
        .collect();
    assert_eq!(
        statuses,
        [
            ("owner@test.rocqet", "active"),
            ("newbie@test.rocqet", "active")
        ]
    );
    let (status, _) = server
        .call(
            Method::POST,
            "/api/workspaces/default/members",
            Some(json!({"email": "newbie@test.rocqet", "role": "viewer"})),
        )
        .await;
    assert_eq!(status, 409, "already a member");
}

async fn a_workspace_keeps_an_owner(db: TestDb) {
    let server = TestServer::start(db).await;
    let owner_path = format!("/api/workspaces/default/members/{}", server.owner.user_id);
    let (status, body) = server
        .call(Method::PATCH, &owner_path, Some(json!({"role": "admin"})))
        .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(body["error"]["code"], "CONFLICT");
    let (status, _) = server.call(Method::DELETE, &owner_path, None).await;
    assert_eq!(status, 409, "the last owner cannot leave");

    // An admin can neither make owners nor touch them.
    let admin = server.member("adam", "admin").await;
    let (status, _) = server
        .call_as(
            Some(&admin.token),
            Method::PATCH,
            &owner_path,
            Some(json!({"role": "viewer"})),
        )
        .await;
    assert_eq!(status, 403);
    let olive = server.member("olive", "viewer").await;
    let (status, _) = server
        .call_as(
            Some(&admin.token),
            Method::PATCH,
            &format!("/api/workspaces/default/members/{}", olive.user_id),
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(status, 403);
    // With a second owner, the first may step down.
    let (status, _) = server
        .call(
            Method::PATCH,
            &format!("/api/workspaces/default/members/{}", olive.user_id),
            Some(json!({"role": "owner"})),
        )
        .await;
    assert_eq!(status, 200);
    let (status, _) = server.call(Method::DELETE, &owner_path, None).await;
    assert_eq!(status, 204, "leaving is fine now");
    let (status, _) = server
        .call(Method::GET, "/api/workspaces/default", None)
        .await;
    assert_eq!(status, 403, "and then they are out");
}

async fn audit_log_records_who_did_what(db: TestDb) {
    let server = TestServer::start(db).await;
    let id = server.create_prompt("secret body").await;
    let vic = server.member("vic", "viewer").await;
    server
        .call(Method::DELETE, &format!("/api/prompts/{id}"), None)
        .await;
    let response = server
        .http
        .get(format!(
            "{}/api/workspaces/default/audit?limit=2",
            server.base
        ))
        .bearer_auth(&server.owner.token)
        .header("user-agent", "audit-test/1.0")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let page: serde_json::Value = response.json().await.unwrap();
    let actions: Vec<&str> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["document.delete", "member.add"]);
    assert_eq!(page["items"][0]["actor"], server.owner.user_id.as_str());
    assert_eq!(page["items"][0]["target_id"], id.as_str());
    assert_eq!(page["items"][0]["ip"], "127.0.0.1");
    assert_eq!(page["items"][1]["target_id"], vic.user_id.as_str());
    let cursor = page["next_cursor"].as_str().unwrap();
    let (_, rest) = server
        .call(
            Method::GET,
            &format!("/api/workspaces/default/audit?cursor={cursor}"),
            None,
        )
        .await;
    let actions: Vec<&str> = rest["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, ["document.create", "workspace.create"]);
    let text = serde_json::to_string(&(page, rest)).unwrap();
    assert!(!text.contains("secret body"), "no document bodies");
    assert!(
        !text.contains(&server.owner.token) && !text.contains(&server.owner.refresh),
        "no tokens"
    );
    let (status, _) = server
        .call_as(
            Some(&vic.token),
            Method::GET,
            "/api/workspaces/default/audit",
            None,
        )
        .await;
    assert_eq!(status, 403, "admins only");
}

#[tokio::test]
async fn production_refuses_to_start_without_a_secret() {
    let mut config = rocqet_server::config::Config::for_database("sqlite::memory:");
    config.production = true;
    config.jwt_secret = None;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let error = rocqet_server::start(config.clone(), listener, Default::default())
        .await
        .err()
        .expect("refused");
    assert!(error.to_string().contains("ROCQET_JWT_SECRET"), "{error}");
    config.jwt_secret = Some("s3cret-s3cret-s3cret-s3cret-s3cret-s3cret".into());
    assert!(
        !format!("{config:?}").contains("s3cret"),
        "Debug redacts the secret"
    );
}
