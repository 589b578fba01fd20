//! Who may open a socket: tokens checked at the upgrade (4401), membership (4403),
//! viewers read-only, and membership changes reaching open sockets at once.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use reqwest::Method;
use rocqet_client::{ConnectOptions, LiveDoc};
use rocqet_server::auth::tokens::{AUDIENCE, Claims, ISSUER, TokenKeys};
use serde_json::json;
use std::time::Duration;

use crate::server_test;
use crate::support::accounts::TEST_JWT_SECRET;
use crate::support::db::TestDb;
use crate::support::raw::{Ending, RawSocket};
use crate::support::server::TestServer;

/// Bound on any wait; a passing test never comes near it.
const WAIT: Duration = Duration::from_secs(10);

server_test!(
    bad_tokens_close_with_4401,
    non_members_close_with_4403,
    viewer_updates_change_nothing_anywhere,
    removed_member_is_closed_and_downgraded_member_made_read_only,
    logout_everywhere_closes_sockets_and_kills_access_tokens,
    presence_lists_authenticated_users,
    origin_allowlist_guards_the_upgrade,
);

async fn within<T>(what: &str, future: impl Future<Output = T>) -> T {
    tokio::time::timeout(WAIT, future)
        .await
        .unwrap_or_else(|_| panic!("timed out: {what}"))
}

async fn code_for(server: &TestServer, id: &str, token: Option<&str>) -> (u16, String) {
    let url = match token {
        Some(token) => server.ws_url_as(id, token),
        None => format!("{}/{id}", server.ws_base()),
    };
    match RawSocket::connect(&url).await.ending().await {
        Ending::Closed(code, reason) => (code, reason),
        Ending::Dropped => panic!("dropped without a close frame"),
    }
}

fn sign(header: Header, claims: &Claims, secret: &[u8]) -> String {
    jsonwebtoken::encode(&header, claims, &EncodingKey::from_secret(secret)).unwrap()
}

async fn bad_tokens_close_with_4401(db: TestDb) {
    let server = TestServer::start(db).await;
    let id = server.create_prompt("secret").await;
    let now_s = rocqet_server::clock::Clock::now_ms(&server.clock) / 1000;
    let claims = Claims {
        iss: ISSUER.into(),
        aud: AUDIENCE.into(),
        sub: server.owner.user_id.clone(),
        name: "owner".into(),
        iat: now_s,
        exp: now_s + 600,
    };
    let secret = TEST_JWT_SECRET.as_bytes();
    let expired = sign(
        Header::new(Algorithm::HS256),
        &Claims {
            iat: now_s - 1000,
            exp: now_s - 10,
            ..claims.clone()
        },
        secret,
    );
    let wrong_key = sign(
        Header::new(Algorithm::HS256),
        &claims,
        b"some-other-secret-some-other-secret!!",
    );
    let wrong_audience = sign(
        Header::new(Algorithm::HS256),
        &Claims {
            aud: "another-service".into(),
            ..claims.clone()
        },
        secret,
    );
    let other_alg = sign(Header::new(Algorithm::HS384), &claims, secret);
    let alg_none = format!(
        "{}.{}.",
        URL_SAFE_NO_PAD.encode(br#"{"alg":"none","typ":"JWT"}"#),
        URL_SAFE_NO_PAD.encode(serde_json::to_vec(&claims).unwrap()),
    );
    let valid = sign(Header::new(Algorithm::HS256), &claims, secret);

    assert_eq!(code_for(&server, &id, None).await.0, 4401, "no token");
    for (what, token) in [
        ("garbage", "not.a.jwt"),
        ("expired", expired.as_str()),
        ("wrongly signed", wrong_key.as_str()),
        ("wrong audience", wrong_audience.as_str()),
        ("HS384", other_alg.as_str()),
        ("alg none", alg_none.as_str()),
    ] {
        let (code, reason) = code_for(&server, &id, Some(token)).await;
        assert_eq!(code, 4401, "{what} token: closed {code} {reason}");
    }
    assert!(
        code_for(&server, &id, Some(&expired))
            .await
            .1
            .contains("expired")
    );
    // The same claims, properly signed, are let in (the room answers with SyncStep1).
    let mut ok = RawSocket::connect(&server.ws_url_as(&id, &valid)).await;
    assert_eq!(ok.next_binary().await.expect("sync step 1")[..2], [0, 0]);

    // The Authorization header works like ?token=.
    let mut request =
        tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(format!(
            "{}/{id}",
            server.ws_base()
        ))
        .unwrap();
    request
        .headers_mut()
        .insert("authorization", format!("Bearer {valid}").parse().unwrap());
    let (mut header_socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    use futures_util::StreamExt;
    let first = within("header-authenticated sync", header_socket.next())
        .await
        .unwrap()
        .unwrap();
    assert!(first.is_binary(), "admitted with a header token: {first:?}");

    // Nothing was loaded for the refused ones: probing needs a valid token first.
    let unknown = uuid::Uuid::now_v7().to_string();
    assert_eq!(code_for(&server, &unknown, Some("garbage")).await.0, 4401);
    assert_eq!(code_for(&server, &unknown, Some(&valid)).await.0, 4404);
    let _ = TokenKeys::new(secret);
}

async fn non_members_close_with_4403(db: TestDb) {
    let server = TestServer::start(db).await;
    let id = server.create_prompt("members only").await;
    let stranger = server.register("stranger").await;
    let (code, reason) = code_for(&server, &id, Some(&stranger.token)).await;
    assert_eq!(code, 4403, "{reason}");
    // The stranger's own workspace does not help.
    crate::support::accounts::create_workspace(&server.http, &server.base, &stranger, "elsewhere")
        .await;
    assert_eq!(code_for(&server, &id, Some(&stranger.token)).await.0, 4403);
}

async fn viewer_updates_change_nothing_anywhere(db: TestDb) {
    let server = TestServer::start(db).await;
    let id = server.create_prompt("original").await;
    let viewer = server.member("vera", "viewer").await;
    let editor = LiveDoc::connect(&server.ws_url(&id), ConnectOptions::new().ack(true))
        .await
        .unwrap();
    within("editor sync", editor.wait_synced()).await.unwrap();
    let watcher = LiveDoc::connect(&server.ws_url_as(&id, &viewer.token), ConnectOptions::new())
        .await
        .unwrap();
    within("viewer sync", watcher.wait_synced()).await.unwrap();
    within("viewer is told it is read-only", watcher.wait_denied())
        .await
        .unwrap();

    // The viewer edits its replica; the server applies, stores and forwards nothing.
    watcher.insert_text("content", 0, "VIEWER ");
    watcher.set_awareness(json!({"cursor": 1})).unwrap();
    // Awareness still flows (so the viewer is seen), stamped with the viewer's name.
    within(
        "editor sees the viewer's presence",
        editor.wait_awareness(|s| s.iter().any(|(_, v)| v["user"]["name"] == "vera")),
    )
    .await
    .unwrap();
    // An editor's edit after the viewer's goes through, proving ordering: once it is
    // back at the editor's peers, the viewer's would have been too.
    editor.insert_text("content", 8, "!");
    within("editor saved", editor.wait_saved()).await.unwrap();
    within(
        "viewer sees the editor",
        watcher.wait_text("content", "VIEWER original!"),
    )
    .await
    .unwrap();
    assert_eq!(editor.text("content"), "original!");
    let (_, body) = server
        .call(Method::GET, &format!("/api/prompts/{id}"), None)
        .await;
    assert_eq!(body["content"], "original!");
    // Not stored either: a cold reload has no trace of it.
    editor.close().await;
    watcher.close().await;
    server.advance_and_sweep(60_000).await;
    assert!(!server.hub().is_loaded(id.parse().unwrap()));
    let (_, body) = server
        .call(Method::GET, &format!("/api/prompts/{id}"), None)
        .await;
    assert_eq!(body["content"], "original!");
    // And REST writes are refused to viewers.
    let (status, body) = server
        .call_as(
            Some(&viewer.token),
            Method::PATCH,
            &format!("/api/prompts/{id}"),
            Some(json!({"content": "x"})),
        )
        .await;
    assert_eq!(status, 403, "{body}");
    assert_eq!(body["error"]["code"], "FORBIDDEN");
}

async fn removed_member_is_closed_and_downgraded_member_made_read_only(db: TestDb) {
    let server = TestServer::start(db).await;
    let id = server.create_prompt("team doc").await;
    let eve = server.member("eve", "editor").await;
    let ed = server.member("ed", "editor").await;
    let eve_socket = LiveDoc::connect(&server.ws_url_as(&id, &eve.token), ConnectOptions::new())
        .await
        .unwrap();
    within("eve sync", eve_socket.wait_synced()).await.unwrap();
    let ed_socket = LiveDoc::connect(
        &server.ws_url_as(&id, &ed.token),
        ConnectOptions::new().ack(true),
    )
    .await
    .unwrap();
    within("ed sync", ed_socket.wait_synced()).await.unwrap();

    // Removal: eve's socket closes with 4403 well within 5 s.
    let started = std::time::Instant::now();
    let (status, body) = server
        .call(
            Method::DELETE,
            &format!("/api/workspaces/default/members/{}", eve.user_id),
            None,
        )
        .await;
    assert_eq!(status, 204, "{body}");
    let (code, reason) = tokio::time::timeout(Duration::from_secs(5), eve_socket.wait_closed())
        .await
        .expect("closed within 5 s");
    assert_eq!(code, 4403, "{reason}");
    assert!(started.elapsed() < Duration::from_secs(5));
    // And she cannot come back.
    assert_eq!(code_for(&server, &id, Some(&eve.token)).await.0, 4403);

    // Downgrade: ed's socket stays open but becomes read-only and is told so.
    let (status, body) = server
        .call(
            Method::PATCH,
            &format!("/api/workspaces/default/members/{}", ed.user_id),
            Some(json!({"role": "viewer"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    within("ed told read-only", ed_socket.wait_denied())
        .await
        .unwrap();
    ed_socket.insert_text("content", 0, "ignored ");
    let owner = LiveDoc::connect(&server.ws_url(&id), ConnectOptions::new().ack(true))
        .await
        .unwrap();
    within("owner sync", owner.wait_synced()).await.unwrap();
    owner.insert_text("content", 0, ">");
    within("owner saved", owner.wait_saved()).await.unwrap();
    within(
        "ed still receives",
        ed_socket.wait_until(|_| ed_socket.text("content").contains('>')),
    )
    .await
    .unwrap();
    assert!(
        ed_socket.text("content").contains("ignored"),
        "ed's replica keeps its own edit"
    );
    assert_eq!(
        owner.text("content"),
        ">team doc",
        "but nobody else sees it"
    );
}

async fn logout_everywhere_closes_sockets_and_kills_access_tokens(db: TestDb) {
    let server = TestServer::start(db).await;
    let id = server.create_prompt("x").await;
    let sam = server.member("sam", "editor").await;
    let socket = LiveDoc::connect(&server.ws_url_as(&id, &sam.token), ConnectOptions::new())
        .await
        .unwrap();
    within("sam sync", socket.wait_synced()).await.unwrap();
    let (status, _) = server
        .call_as(
            None,
            Method::POST,
            "/api/auth/logout",
            Some(json!({"refresh_token": sam.refresh, "everywhere": true})),
        )
        .await;
    assert_eq!(status, 204);
    let (code, _) = within("socket closed", socket.wait_closed()).await;
    assert_eq!(code, 4401);
    let (status, body) = server
        .call_as(Some(&sam.token), Method::GET, "/api/auth/me", None)
        .await;
    assert_eq!(status, 401, "{body}");
    assert_eq!(code_for(&server, &id, Some(&sam.token)).await.0, 4401);
    // Logging in again (a second later) works.
    server.clock.advance(1_000);
    let (status, body) = server
        .call_as(
            None,
            Method::POST,
            "/api/auth/login",
            Some(json!({"email": sam.email, "password": crate::support::accounts::PASSWORD})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    let token = body["access_token"].as_str().unwrap();
    let (status, _) = server
        .call_as(Some(token), Method::GET, "/api/auth/me", None)
        .await;
    assert_eq!(status, 200);
}

async fn presence_lists_authenticated_users(db: TestDb) {
    let server = TestServer::start(db).await;
    let id = server.create_prompt("x").await;
    let (status, body) = server
        .call(Method::GET, &format!("/api/prompts/{id}/presence"), None)
        .await;
    assert_eq!((status, body), (200, json!([])));
    let vera = server.member("vera", "viewer").await;
    let socket = LiveDoc::connect(&server.ws_url_as(&id, &vera.token), ConnectOptions::new())
        .await
        .unwrap();
    within("sync", socket.wait_synced()).await.unwrap();
    socket
        .set_awareness(json!({"user": {"name": "Not Vera", "id": "forged"}, "cursor": 2}))
        .unwrap();
    let path = format!("/api/prompts/{id}/presence");
    let mut body = serde_json::Value::Null;
    for _ in 0..100 {
        body = server.call(Method::GET, &path, None).await.1;
        if body[0]["state"]["cursor"] == 2 {
            break;
        }
        tokio::task::yield_now().await;
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(body[0]["user"], json!({"id": vera.user_id, "name": "vera"}));
    assert_eq!(body[0]["state"]["user"]["name"], "vera", "{body}");
    assert_eq!(body[0]["state"]["user"]["id"], vera.user_id.as_str());
    let stranger = server.register("stranger").await;
    let (status, _) = server
        .call_as(Some(&stranger.token), Method::GET, &path, None)
        .await;
    assert_eq!(status, 403);
}

async fn origin_allowlist_guards_the_upgrade(db: TestDb) {
    let server = TestServer::start_with(db, |c| {
        c.allowed_origins = vec!["https://hub.example.com".to_owned()];
    })
    .await;
    let id = server.create_prompt("x").await;
    let connect = |origin: &'static str| {
        let url = server.ws_url(&id);
        async move {
            let mut request =
                tokio_tungstenite::tungstenite::client::IntoClientRequest::into_client_request(url)
                    .unwrap();
            request
                .headers_mut()
                .insert("origin", origin.parse().unwrap());
            tokio_tungstenite::connect_async(request).await
        }
    };
    assert!(connect("https://hub.example.com").await.is_ok());
    match connect("https://evil.example").await {
        Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
            assert_eq!(response.status(), 403)
        }
        other => panic!("cross-site upgrade must be refused: {other:?}"),
    }
}
