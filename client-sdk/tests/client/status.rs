//! Status events: connecting, synced, saved, offline, closed.

use rocqet_client::{LiveDoc, Status};
use tokio::sync::broadcast;

use crate::support::{TestServer, options, prompt, quick_backoff, within};

/// Receives events until `last` arrives; returns them all.
async fn until(events: &mut broadcast::Receiver<Status>, last: Status) -> Vec<Status> {
    let mut seen = Vec::new();
    loop {
        let status = within(events.recv()).await.expect("event");
        seen.push(status);
        if status == last {
            return seen;
        }
    }
}

/// Whether `wanted` appears in `seen` in this order (other events between).
fn in_order(seen: &[Status], wanted: &[Status]) -> bool {
    let mut rest = seen.iter();
    wanted.iter().all(|w| rest.any(|s| s == w))
}

#[tokio::test]
async fn an_edit_is_synced_until_its_ack_makes_it_saved() {
    let server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = prompt(&ada, "acme", "").await;
    let live = LiveDoc::connect(&server.ws_url(&id), options(&ada))
        .await
        .expect("connect");
    within(live.wait_status(Status::Saved))
        .await
        .expect("saved");

    let mut events = live.status_events();
    live.insert_text("content", 0, "x");
    let seen = until(&mut events, Status::Saved).await;
    assert_eq!(seen, [Status::Synced, Status::Saved]);
}

#[tokio::test]
async fn status_goes_offline_and_comes_back_after_a_restart() {
    let mut server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let id = prompt(&ada, "acme", "").await;
    let live = LiveDoc::connect(
        &server.ws_url(&id),
        options(&ada).reconnect(quick_backoff()),
    )
    .await
    .expect("connect");
    let mut events = live.status_events();
    let mut latest = live.watch_status();
    within(live.wait_status(Status::Saved))
        .await
        .expect("saved");

    server.stop().await;
    within(live.wait_status(Status::Offline))
        .await
        .expect("offline");
    server.restart().await;
    within(live.wait_status(Status::Saved))
        .await
        .expect("saved again");
    within(live.close()).await;

    let seen = until(&mut events, Status::Closed).await;
    let wanted = [
        Status::Saved,
        Status::Offline,
        Status::Connecting,
        Status::Saved,
        Status::Closed,
    ];
    assert!(in_order(&seen, &wanted), "{seen:?}");
    assert_eq!(*latest.borrow_and_update(), Status::Closed);
}
