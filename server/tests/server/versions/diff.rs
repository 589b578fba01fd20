//! The diff endpoint: exact output for a prompt and a model.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Api, create_model};
use crate::server_test;
use crate::support::db::TestDb;
use crate::support::server::TestServer;

server_test!(prompt_diffs_are_exact, model_diffs_are_exact);

async fn get_diff(server: &TestServer, kind: &str, id: &str, query: &str) -> Value {
    let (status, body) = server
        .call(
            Method::GET,
            &format!("/api/{kind}/{id}/versions/{query}"),
            None,
        )
        .await;
    assert_eq!(status, 200, "{query}: {body}");
    body
}

async fn prompt_diffs_are_exact(db: TestDb) {
    let server = TestServer::start(db).await;
    let api = Api::owner(&server);
    let (status, created) = server
        .call(
            Method::POST,
            "/api/workspaces/default/prompts",
            Some(json!({"title": "Greeter", "content": "Hi {{name}}"})),
        )
        .await;
    assert_eq!(status, 201);
    let id = created["id"].as_str().unwrap().to_owned();
    assert_eq!(api.cut("prompts", &id, None).await.0, 201);
    api.patch(
        "prompts",
        &id,
        json!({"title": "Greeter v2", "content": "Hi {{user}}", "settings": {"temperature": 0.2}}),
    )
    .await;
    assert_eq!(api.cut("prompts", &id, None).await.0, 201);

    assert_eq!(
        get_diff(&server, "prompts", &id, "2/diff").await,
        json!({
          "kind": "prompt", "from": 1, "to": 2,
          "changes": {
            "metadata": [{"field": "title", "from": "Greeter", "to": "Greeter v2"},
                         {"field": "settings.temperature", "from": null, "to": 0.2}],
            "content": [{"old_start": 1, "old_lines": 1, "new_start": 1, "new_lines": 1, "lines": [
              {"op": "delete", "old_line": 1, "new_line": null, "text": "Hi {{name}}",
               "segments": [{"op": "equal", "text": "Hi {{"}, {"op": "delete", "text": "name"},
                            {"op": "equal", "text": "}}"}]},
              {"op": "insert", "old_line": null, "new_line": 1, "text": "Hi {{user}}",
               "segments": [{"op": "equal", "text": "Hi {{"}, {"op": "insert", "text": "user"},
                            {"op": "equal", "text": "}}"}]}]}],
            "variables": {
              "added": [{"name": "user", "description": "", "default": null, "required": true}],
              "removed": [{"name": "name", "description": "", "default": null, "required": true}],
              "changed": []}
          }
        })
    );
    // Version 1 against the empty document; and any two versions, either way.
    assert_eq!(
        get_diff(&server, "prompts", &id, "1/diff").await,
        json!({
          "kind": "prompt", "from": null, "to": 1,
          "changes": {
            "metadata": [{"field": "title", "from": "", "to": "Greeter"}],
            "content": [{"old_start": 0, "old_lines": 0, "new_start": 1, "new_lines": 1, "lines": [
              {"op": "insert", "old_line": null, "new_line": 1, "text": "Hi {{name}}"}]}],
            "variables": {
              "added": [{"name": "name", "description": "", "default": null, "required": true}],
              "removed": [], "changed": []}
          }
        })
    );
    let backwards = get_diff(&server, "prompts", &id, "1/diff?from=2").await;
    assert_eq!(
        backwards["changes"]["metadata"][0],
        json!({"field": "title", "from": "Greeter v2", "to": "Greeter"})
    );
    let same = get_diff(&server, "prompts", &id, "2/diff?from=2").await;
    assert_eq!(
        same["changes"],
        json!({"metadata": [], "content": [], "variables": {"added": [], "removed": [], "changed": []}})
    );
}

async fn model_diffs_are_exact(db: TestDb) {
    let server = TestServer::start(db).await;
    let api = Api::owner(&server);
    let id = create_model(
        &server,
        json!({"name": "User", "fields": [
            {"id": "f1", "name": "id", "type": "uuid", "required": true},
            {"id": "f2", "name": "email", "type": "string"},
            {"id": "f3", "name": "legacy", "type": "json"},
        ]}),
    )
    .await;
    assert_eq!(api.cut("models", &id, None).await.0, 201);
    api.patch(
        "models",
        &id,
        json!({"name": "Person", "fields": [
            {"id": "f2", "name": "mail", "type": "text"},
            {"id": "f1", "name": "id", "type": "uuid", "required": true, "unique": true},
            {"id": "f4", "name": "age", "type": "integer"},
        ], "relations": [{"id": "r1", "name": "posts", "kind": "one_to_many", "target": "post"}]}),
    )
    .await;
    assert_eq!(api.cut("models", &id, None).await.0, 201);

    let empty = json!({"added": [], "removed": [], "renamed": [], "retyped": [],
                       "reordered": [], "changed": []});
    assert_eq!(
        get_diff(&server, "models", &id, "2/diff").await,
        json!({
          "kind": "model", "from": 1, "to": 2,
          "changes": {
            "metadata": [{"field": "name", "from": "User", "to": "Person"}],
            "fields": {
              "added": [{"id": "f4", "name": "age", "type": "integer", "required": false,
                         "unique": false, "default": null, "enum_values": [], "description": ""}],
              "removed": [{"id": "f3", "name": "legacy", "type": "json", "required": false,
                           "unique": false, "default": null, "enum_values": [], "description": ""}],
              "renamed": [{"id": "f2", "from": "email", "to": "mail"}],
              "retyped": [{"id": "f2", "name": "mail", "from": "string", "to": "text"}],
              "reordered": ["f2"],
              "changed": [{"id": "f1", "name": "id", "attribute": "unique", "from": false, "to": true}]
            },
            "relations": {
              "added": [{"id": "r1", "name": "posts", "kind": "one_to_many", "target": "post"}],
              "removed": [], "renamed": [], "retyped": [], "reordered": [], "changed": []
            }
          }
        })
    );
    let first = get_diff(&server, "models", &id, "1/diff").await;
    assert_eq!(first["from"], Value::Null);
    assert_eq!(first["changes"]["relations"], empty);
    assert_eq!(
        first["changes"]["fields"]["added"]
            .as_array()
            .unwrap()
            .iter()
            .map(|f| f["id"].clone())
            .collect::<Vec<_>>(),
        [json!("f1"), json!("f2"), json!("f3")]
    );
}
