//! Reconnect: offline edits, restarts, terminal codes, token refresh.

use rocqet_client::{ClientError, LiveDoc, Status, TokenProvider};

use crate::support::{TestServer, options, prompt, quick_backoff, within};

/// Access tokens live 15 minutes on the server.
const PAST_TOKEN_EXPIRY_MS: u64 = 16 * 60 * 1000;

#[tokio::test]
async fn edits_made_offline_reach_the_server_after_it_restarts() {
    let mut server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = prompt(&ada, "acme", "").await;
    let live = LiveDoc::connect(
        &server.ws_url(&id),
        options(&ada).reconnect(quick_backoff()),
    )
    .await
    .expect("connect");
    live.insert_text("content", 0, "online");
    within(live.wait_status(Status::Saved))
        .await
        .expect("saved");

    server.stop().await;
    within(live.wait_status(Status::Offline))
        .await
        .expect("offline");
    assert_eq!(live.closed(), None, "a lost socket is not the end");
    assert_eq!(live.last_close().map(|c| c.0), Some(1001));
    live.insert_text("content", 6, " offline");
    assert_eq!(live.text("content"), "online offline");

    server.restart().await;
    within(live.wait_saved())
        .await
        .expect("saved after reconnect");
    assert_eq!(live.status(), Status::Saved);
    assert!(live.connections() >= 2);
    let stored = ada.prompts().get(&id).await.expect("read");
    assert_eq!(stored.content.content, "online offline");

    // Edits keep flowing on the new socket.
    live.insert_text("content", 0, "still ");
    within(live.wait_saved()).await.expect("saved");
    let stored = ada.prompts().get(&id).await.expect("read");
    assert_eq!(stored.content.content, "still online offline");
}

#[tokio::test]
async fn remote_edits_made_while_offline_arrive_after_reconnect() {
    let mut server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = prompt(&ada, "acme", "base").await;
    let live = LiveDoc::connect(
        &server.ws_url(&id),
        options(&ada).reconnect(quick_backoff()),
    )
    .await
    .expect("connect");
    within(live.wait_synced()).await.expect("synced");

    server.stop().await;
    within(live.wait_status(Status::Offline))
        .await
        .expect("offline");
    live.insert_text("content", 0, "mine ");
    server.restart().await;
    // Someone else edits over REST while our socket is (maybe) still down.
    let patch = rocqet_client::PromptPatch::new().title("renamed");
    ada.prompts().patch(&id, &patch).await.expect("patch");

    within(live.wait_saved()).await.expect("saved");
    let title =
        || rocqet_crdt::materialise(live.doc(), rocqet_crdt::DocKind::Prompt)["title"].clone();
    within(live.wait_until(|_| title() == "renamed"))
        .await
        .expect("remote edit");
    let stored = ada.prompts().get(&id).await.expect("read");
    assert_eq!(stored.content.content, "mine base");
    assert_eq!(stored.content.title, "renamed");
}

#[tokio::test]
async fn without_reconnect_a_lost_socket_stays_closed() {
    let mut server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = prompt(&ada, "acme", "").await;
    let live = LiveDoc::connect(&server.ws_url(&id), options(&ada))
        .await
        .expect("connect");
    within(live.wait_synced()).await.expect("synced");

    server.restart().await;
    let (code, _) = within(live.wait_closed()).await;
    assert_eq!(code, 1001);
    assert_eq!(live.status(), Status::Closed);
    assert!(matches!(
        live.wait_until(|_| false).await,
        Err(ClientError::Closed { code: 1001, .. })
    ));
    assert_eq!(live.connections(), 1);
}

#[tokio::test]
async fn terminal_close_codes_are_not_retried() {
    let server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = prompt(&ada, "acme", "").await;
    let live = LiveDoc::connect(
        &server.ws_url(&id),
        options(&ada).reconnect(quick_backoff()),
    )
    .await
    .expect("connect");
    within(live.wait_synced()).await.expect("synced");

    ada.prompts().delete(&id).await.expect("delete");
    let (code, _) = within(live.wait_closed()).await;
    assert_eq!(code, 4410);
    assert_eq!(live.status(), Status::Closed);
    assert_eq!(live.connections(), 1, "no second dial");
}

#[tokio::test]
async fn an_expired_token_is_replaced_by_the_provider() {
    let mut server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = prompt(&ada, "acme", "").await;
    let first_token = ada.access_token().expect("token");
    let live = LiveDoc::connect(
        &ada.live_url(&id),
        ada.live_options().reconnect(quick_backoff()),
    )
    .await
    .expect("connect");
    within(live.wait_synced()).await.expect("synced");

    // The token expires while the socket is up; the restart forces a redial.
    server.clock.advance(PAST_TOKEN_EXPIRY_MS);
    server.restart().await;
    live.insert_text("content", 0, "after refresh");
    within(live.wait_saved())
        .await
        .expect("saved with a fresh token");
    assert_eq!(live.last_close().map(|c| c.0), Some(4401), "refused once");
    let fresh = ada.access_token().expect("token");
    assert_ne!(fresh, first_token, "the provider refreshed the session");
    let stored = ada.prompts().get(&id).await.expect("read");
    assert_eq!(stored.content.content, "after refresh");
}

#[tokio::test]
async fn without_a_provider_4401_is_final() {
    let mut server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = prompt(&ada, "acme", "").await;
    let live = LiveDoc::connect(
        &server.ws_url(&id),
        options(&ada).reconnect(quick_backoff()),
    )
    .await
    .expect("connect");
    within(live.wait_synced()).await.expect("synced");

    server.clock.advance(PAST_TOKEN_EXPIRY_MS);
    server.restart().await;
    let (code, _) = within(live.wait_closed()).await;
    assert_eq!(code, 4401);
    assert_eq!(live.status(), Status::Closed);
}

#[tokio::test]
async fn a_provider_whose_tokens_are_refused_too_is_not_asked_forever() {
    let mut server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = prompt(&ada, "acme", "").await;
    let stale = ada.access_token().expect("token");
    let provider = TokenProvider::new(move |_refused| {
        let stale = stale.clone();
        async move { Ok(stale) }
    });
    let options = options(&ada)
        .reconnect(quick_backoff())
        .token_provider(provider);
    let live = LiveDoc::connect(&server.ws_url(&id), options)
        .await
        .expect("connect");
    within(live.wait_synced()).await.expect("synced");

    server.clock.advance(PAST_TOKEN_EXPIRY_MS);
    server.restart().await;
    let (code, _) = within(live.wait_closed()).await;
    assert_eq!(code, 4401);
}

#[tokio::test]
async fn closing_while_offline_stops_the_reconnect() {
    let mut server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = prompt(&ada, "acme", "").await;
    let live = LiveDoc::connect(
        &server.ws_url(&id),
        options(&ada).reconnect(quick_backoff()),
    )
    .await
    .expect("connect");
    within(live.wait_synced()).await.expect("synced");

    server.stop().await;
    within(live.wait_status(Status::Offline))
        .await
        .expect("offline");
    let (code, _) = within(live.close()).await;
    assert_eq!(code, 1000);
    assert_eq!(live.status(), Status::Closed);
    let connections = live.connections();
    server.restart().await;
    assert_eq!(live.connections(), connections, "closed means closed");
}

#[tokio::test]
async fn the_attempt_limit_ends_the_document() {
    let mut server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = prompt(&ada, "acme", "").await;
    let backoff = quick_backoff().max_attempts(Some(2));
    let live = LiveDoc::connect(&server.ws_url(&id), options(&ada).reconnect(backoff))
        .await
        .expect("connect");
    within(live.wait_synced()).await.expect("synced");

    server.stop().await;
    let (code, _) = within(live.wait_closed()).await;
    assert_eq!(code, 1006, "the last failed dial");
    assert_eq!(live.status(), Status::Closed);
}
