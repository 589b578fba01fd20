//! Automatic versions on the injected clock: a quiet period after a change,
//! a maximum interval while editing goes on, when the last editor leaves,
//! and never when nothing changed.

use reqwest::Method;
use serde_json::json;

use super::{Api, content, numbers, sdk_as, tick, wait_present, within};
use crate::server_test;
use crate::support::db::TestDb;
use crate::support::server::TestServer;

server_test!(
    versions_are_cut_after_a_quiet_period_and_at_most_every_ten_minutes,
    a_version_is_cut_when_the_last_editor_leaves,
    nothing_is_cut_when_nothing_changed,
    rest_edits_are_versioned_and_credited,
);

async fn versions_are_cut_after_a_quiet_period_and_at_most_every_ten_minutes(db: TestDb) {
    let server = TestServer::start(db).await;
    let api = Api::owner(&server);
    let id = server.create_prompt("").await;
    let editor = sdk_as(&server, &id, &server.owner.token).await;
    editor.insert_text("content", 0, "draft");
    within("saved", editor.wait_saved()).await.unwrap();

    tick(&server, &id, 29_000).await;
    assert!(api.list_all("prompts", &id).await.is_empty(), "not at 29 s");
    tick(&server, &id, 1_000).await;
    let versions = api.list_all("prompts", &id).await;
    assert_eq!(numbers(&versions), [1], "30 s after the change");
    assert_eq!(versions[0]["kind"], "auto");
    assert_eq!(versions[0]["author"]["id"], json!(server.owner.user_id));
    assert_eq!(versions[0]["author"]["name"], "owner");

    // An edit every 20 s never leaves 30 s of quiet; the oldest unversioned
    // change reaching 10 minutes forces a version anyway.
    for i in 0..30 {
        editor.insert_text("content", 0, "x");
        within("saved", editor.wait_saved()).await.unwrap();
        tick(&server, &id, 20_000).await;
        let count = api.list_all("prompts", &id).await.len();
        let expected = if i < 29 { 1 } else { 2 };
        assert_eq!(count, expected, "after {} s of editing", (i + 1) * 20);
    }
    let second = api.version_content("prompts", &id, 2).await;
    assert_eq!(second["content"], format!("{}draft", "x".repeat(30)));
}

async fn a_version_is_cut_when_the_last_editor_leaves(db: TestDb) {
    let server = TestServer::start(db).await;
    let api = Api::owner(&server);
    let id = server.create_prompt("").await;
    let viewer = server.member("vic", "viewer").await;
    let watching = sdk_as(&server, &id, &viewer.token).await;
    let a = sdk_as(&server, &id, &server.owner.token).await;
    let editor = server.member("eve", "editor").await;
    let b = sdk_as(&server, &id, &editor.token).await;
    a.insert_text("content", 0, "one ");
    within("a saved", a.wait_saved()).await.unwrap();
    b.insert_text("content", 4, "two");
    within("b saved", b.wait_saved()).await.unwrap();

    a.close().await;
    wait_present(&server, &id, 2).await;
    server.hub().versions_written(id.parse().unwrap()).await;
    assert!(
        api.list_all("prompts", &id).await.is_empty(),
        "an editor is still there"
    );
    b.close().await;
    wait_present(&server, &id, 1).await;
    server.hub().versions_written(id.parse().unwrap()).await;
    let versions = api.list_all("prompts", &id).await;
    assert_eq!(numbers(&versions), [1], "cut when the last editor left");
    let authors: Vec<&str> = versions[0]["authors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        authors,
        ["owner", "eve"],
        "editors in order of their first edit"
    );
    assert_eq!(
        api.version_content("prompts", &id, 1).await["content"],
        "one two"
    );
    assert!(watching.closed().is_none(), "the viewer stays");
}

async fn nothing_is_cut_when_nothing_changed(db: TestDb) {
    let server = TestServer::start(db).await;
    let mut api = Api::owner(&server);
    let id = server.create_prompt("as created").await;
    // Joining, reading and leaving change nothing.
    let editor = sdk_as(&server, &id, &server.owner.token).await;
    let (status, _) = server
        .call(Method::GET, &format!("/api/prompts/{id}"), None)
        .await;
    assert_eq!(status, 200);
    editor.close().await;
    for _ in 0..3 {
        tick(&server, &id, 700_000).await;
    }
    api.relogin().await;
    assert!(!server.hub().is_loaded(id.parse().unwrap()), "unloaded");
    assert!(api.list_all("prompts", &id).await.is_empty());

    // One version once something changes, and none after it while quiet.
    api.patch("prompts", &id, json!({"content": "edited"}))
        .await;
    for _ in 0..3 {
        tick(&server, &id, 31_000).await;
    }
    assert_eq!(numbers(&api.list_all("prompts", &id).await), [1]);
    let again = sdk_as(&server, &id, &api.token).await;
    again.close().await;
    for _ in 0..3 {
        tick(&server, &id, 700_000).await;
    }
    api.relogin().await;
    assert_eq!(numbers(&api.list_all("prompts", &id).await), [1]);
}

async fn rest_edits_are_versioned_and_credited(db: TestDb) {
    let server = TestServer::start(db).await;
    let api = Api::owner(&server);
    let id = server.create_prompt("v0").await;
    let editor = server.member("eve", "editor").await;
    let (status, body) = server
        .call_as(
            Some(&editor.token),
            Method::PATCH,
            &format!("/api/prompts/{id}"),
            Some(json!({"content": "by eve"})),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["version"], 0, "no version yet");
    // Nobody connected: the quiet cut and the idle unload come in the same sweep.
    tick(&server, &id, 30_000).await;
    let versions = api.list_all("prompts", &id).await;
    assert_eq!(numbers(&versions), [1]);
    assert_eq!(versions[0]["author"]["name"], "eve");
    let (_, live) = server
        .call(Method::GET, &format!("/api/prompts/{id}"), None)
        .await;
    assert_eq!(
        live["version"], 1,
        "the live document names its newest version"
    );
    assert_eq!(content(live), api.version_content("prompts", &id, 1).await);
}
