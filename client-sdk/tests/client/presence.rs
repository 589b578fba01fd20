//! Presence: set own state, see others, as the server vouches for them.

use rocqet_client::rest::Role;
use rocqet_client::{LiveDoc, Status};
use serde_json::json;

use crate::support::{TestServer, options, prompt, quick_backoff, within};

#[tokio::test]
async fn a_second_client_sees_presence_with_the_authenticated_user() {
    let server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let bo = server.user("bo").await;
    ada.add_member("acme", "bo@sdk.test", Role::Editor)
        .await
        .expect("add bo");
    let id = prompt(&ada, "acme", "").await;
    let a = LiveDoc::connect(&server.ws_url(&id), options(&ada))
        .await
        .expect("a");
    let b = LiveDoc::connect(&server.ws_url(&id), options(&bo))
        .await
        .expect("b");
    within(a.wait_synced()).await.expect("a synced");
    within(b.wait_synced()).await.expect("b synced");

    // Claiming to be someone else does not work: the server stamps `user`.
    let state =
        json!({"cursor": {"anchor": 3, "head": 5}, "user": {"name": "Mallory", "color": "#f80"}});
    a.set_presence(state).expect("presence");
    assert_eq!(a.presence().expect("own state")["cursor"]["head"], 5);
    let peers = within(b.wait_peers(|p| p.len() == 1)).await.expect("peer");
    let peer = &peers[0];
    assert_eq!(peer.client_id, a.client_id());
    let user = peer.user.as_ref().expect("stamped user");
    assert_eq!(user.name, "ada");
    assert_eq!(
        peer.state["user"]["color"], "#f80",
        "other user fields survive"
    );
    assert_eq!(peer.state["cursor"]["anchor"], 3);

    let listed = ada.prompts().presence(&id).await.expect("presence");
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert!(
        listed
            .iter()
            .any(|p| p.user.name == "ada" && p.state["cursor"]["head"] == 5)
    );
    assert!(listed.iter().any(|p| p.user.name == "bo"));

    a.clear_awareness();
    within(b.wait_peers(|p| p.is_empty()))
        .await
        .expect("cleared");
}

#[tokio::test]
async fn presence_is_sent_again_after_a_reconnect() {
    let mut server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = prompt(&ada, "acme", "").await;
    let reconnecting = options(&ada).reconnect(quick_backoff());
    let a = LiveDoc::connect(&server.ws_url(&id), reconnecting.clone())
        .await
        .expect("a");
    let b = LiveDoc::connect(&server.ws_url(&id), reconnecting)
        .await
        .expect("b");
    a.set_presence(json!({"typing": true})).expect("presence");
    within(b.wait_peers(|p| p.len() == 1)).await.expect("seen");

    server.stop().await;
    within(b.wait_status(Status::Offline))
        .await
        .expect("offline");
    assert!(b.peers().is_empty(), "peers are forgotten while offline");

    server.restart().await;
    let peers = within(b.wait_peers(|p| p.len() == 1))
        .await
        .expect("seen again");
    assert_eq!(peers[0].client_id, a.client_id());
    assert_eq!(peers[0].state["typing"], true);
}
