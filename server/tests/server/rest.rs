//! Documents over REST: shapes, errors, and a PATCH that goes through the live room.

use reqwest::Method;
use serde_json::json;

use crate::server_test;
use crate::support::accounts;
use crate::support::db::TestDb;
use crate::support::server::TestServer;

server_test!(
    create_read_list_patch_delete_prompt,
    create_and_patch_model,
    errors_have_the_documented_body
);

async fn create_read_list_patch_delete_prompt(db: TestDb) {
    let server = TestServer::start(db).await;
    let (status, created) = server
        .call(
            Method::POST,
            "/api/workspaces/default/prompts",
            Some(json!({"title": "Greeter", "description": "says hi", "tags": ["demo"], "content": "Hello {{name}}!"})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["kind"], "prompt");
    assert_eq!(created["title"], "Greeter");
    assert_eq!(created["variables"][0]["name"], "name");
    let id = created["id"].as_str().unwrap().to_owned();

    let (status, read) = server
        .call(Method::GET, &format!("/api/prompts/{id}"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(read["content"], "Hello {{name}}!");
    assert_eq!(read["workspace_id"], created["workspace_id"]);

    let (status, patched) = server
        .call(
            Method::PATCH,
            &format!("/api/prompts/{id}"),
            Some(json!({"content": "Hello {{name}}, welcome!"})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    assert_eq!(patched["content"], "Hello {{name}}, welcome!");

    let (status, page) = server
        .call(
            Method::GET,
            "/api/workspaces/default/prompts?q=welcome",
            None,
        )
        .await;
    assert_eq!(status, 200);
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    let (_, none) = server
        .call(Method::GET, "/api/workspaces/default/models", None)
        .await;
    assert_eq!(none["items"].as_array().unwrap().len(), 0);

    let (status, _) = server
        .call(Method::GET, &format!("/api/models/{id}"), None)
        .await;
    assert_eq!(status, 404, "a prompt is not a model");

    let (status, _) = server
        .call(Method::DELETE, &format!("/api/prompts/{id}"), None)
        .await;
    assert_eq!(status, 204);
    let (status, body) = server
        .call(Method::GET, &format!("/api/prompts/{id}"), None)
        .await;
    assert_eq!(status, 404);
    assert_eq!(body["error"]["code"], "NOT_FOUND");
}

async fn create_and_patch_model(db: TestDb) {
    let server = TestServer::start(db).await;
    let (status, created) = server
        .call(
            Method::POST,
            "/api/workspaces/default/models",
            Some(json!({"name": "User", "fields": [{"name": "email", "type": "string", "required": true}]})),
        )
        .await;
    assert_eq!(status, 201, "{created}");
    let id = created["id"].as_str().unwrap().to_owned();
    let email = created["fields"][0]["id"].clone();
    let (status, patched) = server
        .call(
            Method::PATCH,
            &format!("/api/models/{id}"),
            Some(json!({"fields": [{"name": "id", "type": "uuid"}, {"id": email, "name": "email", "type": "string", "unique": true}]})),
        )
        .await;
    assert_eq!(status, 200, "{patched}");
    let fields = patched["fields"].as_array().unwrap();
    assert_eq!(fields.len(), 2);
    assert_eq!(fields[0]["name"], "id");
    assert_eq!(fields[1]["id"], email, "the existing field keeps its id");
    assert_eq!(fields[1]["unique"], true);
}

async fn errors_have_the_documented_body(db: TestDb) {
    let server = TestServer::start(db).await;
    let id = server.create_prompt("x").await;

    let response = server
        .http
        .post(format!("{}/api/workspaces/default/prompts", server.base))
        .bearer_auth(&server.owner.token)
        .header("content-type", "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["error"]["code"], "INVALID_PAYLOAD");
    assert!(body["error"]["message"].is_string());

    let (status, body) = server
        .call(
            Method::PATCH,
            &format!("/api/prompts/{id}"),
            Some(json!({"title": 42})),
        )
        .await;
    assert_eq!(status, 422, "{body}");
    assert_eq!(body["error"]["code"], "VALIDATION_FAILED");
    assert_eq!(body["error"]["details"][0]["field"], "title");

    let (status, body) = server
        .call(Method::GET, "/api/prompts/not-a-uuid", None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (404, Some("NOT_FOUND"))
    );
    let (status, _) = server
        .call(Method::GET, "/api/nothing/here/at/all", None)
        .await;
    assert_eq!(status, 404);
    let (status, body) = server
        .call(Method::GET, "/api/workspaces/default/prompts?limit=0", None)
        .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (400, Some("INVALID_PAYLOAD"))
    );

    let big = "x".repeat(3 << 20);
    // The server answers 413 without reading the body and closes that connection; a
    // client of its own keeps the closing connection out of the pool the next calls use.
    let (status, body) = accounts::request(
        &reqwest::Client::new(),
        Method::POST,
        &format!("{}/api/workspaces/default/prompts", server.base),
        Some(&server.owner.token),
        Some(json!({"content": big})),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (413, Some("PAYLOAD_TOO_LARGE")),
        "{body}"
    );

    let (status, body) = server.call(Method::GET, "/healthz", None).await;
    assert_eq!((status, body["status"].as_str()), (200, Some("ok")));
    let (status, _) = server.call(Method::GET, "/readyz", None).await;
    assert_eq!(status, 200);
    let (status, metrics) = server.call(Method::GET, "/metrics", None).await;
    assert_eq!(status, 200);
    assert!(
        metrics
            .as_str()
            .unwrap_or("")
            .contains("rocqet_persist_queue_depth"),
        "{metrics}"
    );
}
