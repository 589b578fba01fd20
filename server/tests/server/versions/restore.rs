//! Restore: an old version's content applied to the live document as an
//! ordinary edit, reaching open editors and merging with concurrent edits.

use reqwest::Method;
use serde_json::json;
use yrs::updates::decoder::Decode;
use yrs::{ReadTxn, StateVector, Text, Transact, Update, WriteTxn};

use super::{Api, content, create_model, sdk_as, within};
use crate::server_test;
use crate::support::db::TestDb;
use crate::support::server::TestServer;

server_test!(
    restore_reaches_open_editors_and_keeps_a_concurrent_edit,
    restoring_a_model_brings_back_its_fields,
    restoring_the_current_content_records_nothing,
);

async fn restore_reaches_open_editors_and_keeps_a_concurrent_edit(db: TestDb) {
    let server = TestServer::start(db).await;
    let api = Api::owner(&server);
    let id = server.create_prompt("Hello world").await;
    assert_eq!(api.cut("prompts", &id, None).await.0, 201);
    api.patch("prompts", &id, json!({"content": "Hello brave new world"}))
        .await;
    assert_eq!(api.cut("prompts", &id, None).await.0, 201);

    let eve = server.member("eve", "editor").await;
    let a = sdk_as(&server, &id, &server.owner.token).await;
    let b = sdk_as(&server, &id, &eve.token).await;
    assert_eq!(b.text("content"), "Hello brave new world");

    // What b types while the restore happens: made on the state before the
    // restore, reaching the server after it (a concurrent edit).
    let typed = {
        let fork = yrs::Doc::with_client_id(b.client_id() ^ 0x5555);
        let before = b
            .doc()
            .transact()
            .encode_state_as_update_v1(&StateVector::default());
        fork.transact_mut()
            .apply_update(Update::decode_v1(&before).unwrap())
            .unwrap();
        let sv = fork.transact().state_vector();
        let mut txn = fork.transact_mut();
        let text = txn.get_or_insert_text("content");
        let end = text.len(&txn);
        text.insert(&mut txn, end, "!!!");
        drop(txn);
        fork.transact().encode_state_as_update_v1(&sv)
    };

    let (status, restored) = server
        .call(
            Method::POST,
            &format!("/api/prompts/{id}/versions/1/restore"),
            None,
        )
        .await;
    assert_eq!(status, 201, "{restored}");
    assert_eq!(restored["number"], 3);
    assert_eq!(restored["kind"], "restore");
    assert_eq!(restored["restored_from"], 1);
    assert_eq!(restored["author"]["name"], "owner");

    within("a sees the restore", a.wait_text("content", "Hello world"))
        .await
        .unwrap();
    within("b sees the restore", b.wait_text("content", "Hello world"))
        .await
        .unwrap();
    b.edit(|txn| txn.apply_update(Update::decode_v1(&typed).unwrap()))
        .unwrap();
    within("a converges", a.wait_text("content", "Hello world!!!"))
        .await
        .unwrap();
    within("b converges", b.wait_text("content", "Hello world!!!"))
        .await
        .unwrap();
    within("b saved", b.wait_saved()).await.unwrap();
    assert!(a.closed().is_none() && b.closed().is_none(), "no reconnect");

    let (_, live) = server
        .call(Method::GET, &format!("/api/prompts/{id}"), None)
        .await;
    assert_eq!(live["content"], "Hello world!!!");
    assert_eq!(
        api.version_content("prompts", &id, 3).await["content"],
        "Hello world",
        "the restore version holds the restored content"
    );
    // History is not rewritten.
    assert_eq!(
        api.version_content("prompts", &id, 2).await["content"],
        "Hello brave new world"
    );
}

async fn restoring_a_model_brings_back_its_fields(db: TestDb) {
    let server = TestServer::start(db).await;
    let api = Api::owner(&server);
    let id = create_model(
        &server,
        json!({"name": "User", "fields": [
            {"id": "f1", "name": "id", "type": "uuid", "required": true},
            {"id": "f2", "name": "email", "type": "string", "unique": true},
        ]}),
    )
    .await;
    assert_eq!(api.cut("models", &id, None).await.0, 201);
    api.patch(
        "models",
        &id,
        json!({"name": "Person", "fields": [
            {"id": "f2", "name": "mail", "type": "text"},
            {"name": "age", "type": "integer"},
        ]}),
    )
    .await;
    assert_eq!(api.cut("models", &id, None).await.0, 201);

    let (status, restored) = server
        .call(
            Method::POST,
            &format!("/api/models/{id}/versions/1/restore"),
            None,
        )
        .await;
    assert_eq!(status, 201, "{restored}");
    let (_, live) = server
        .call(Method::GET, &format!("/api/models/{id}"), None)
        .await;
    let v1 = api.version_content("models", &id, 1).await;
    assert_eq!(
        content(live),
        v1,
        "ids, names, types, order and flags as in version 1"
    );
    assert_eq!(v1["fields"][0]["id"], "f1");
}

async fn restoring_the_current_content_records_nothing(db: TestDb) {
    let server = TestServer::start(db).await;
    let api = Api::owner(&server);
    let id = server.create_prompt("same").await;
    assert_eq!(api.cut("prompts", &id, None).await.0, 201);
    let path = format!("/api/prompts/{id}/versions/1/restore");
    let (status, body) = server.call(Method::POST, &path, None).await;
    assert_eq!(status, 200, "nothing to restore: {body}");
    assert_eq!(body["number"], 1, "the newest version");

    let (status, _) = server
        .call(
            Method::POST,
            &format!("/api/prompts/{id}/versions/7/restore"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    let vic = server.member("vic", "viewer").await;
    let (status, _) = server
        .call_as(Some(&vic.token), Method::POST, &path, None)
        .await;
    assert_eq!(status, 403, "viewers cannot restore");
}
