//! Labels (move, read by label, `latest`, who may move `production`), reading by
//! version, and rendering live and versioned prompts.

use reqwest::Method;
use serde_json::{Value, json};

use super::{Api, content};
use crate::server_test;
use crate::support::db::TestDb;
use crate::support::server::TestServer;

server_test!(
    labels_move_resolve_and_check_roles,
    documents_read_by_version_and_label,
    prompts_render_live_or_versioned,
    history_is_kept_until_the_workspace_goes,
);

async fn put_label(server: &TestServer, token: &str, id: &str, label: &str, version: Value) -> u16 {
    let (status, body) = server
        .call_as(
            Some(token),
            Method::PUT,
            &format!("/api/prompts/{id}/labels/{label}"),
            Some(json!({ "version": version })),
        )
        .await;
    if status == 200 {
        assert_eq!(body, json!({"label": label, "version": version}));
    }
    status
}

async fn delete_label(server: &TestServer, token: &str, id: &str, label: &str) -> u16 {
    server
        .call_as(
            Some(token),
            Method::DELETE,
            &format!("/api/prompts/{id}/labels/{label}"),
            None,
        )
        .await
        .0
}

/// `GET /api/prompts/{id}?label=` → (status, version, content).
async fn by_label(server: &TestServer, token: &str, id: &str, label: &str) -> (u16, Value, Value) {
    let (status, body) = server
        .call_as(
            Some(token),
            Method::GET,
            &format!("/api/prompts/{id}?label={label}"),
            None,
        )
        .await;
    (status, body["version"].clone(), body["content"].clone())
}

/// A prompt with versions 1 ("one") and 2 ("two").
async fn two_versions(api: &Api<'_>) -> String {
    let id = api.server.create_prompt("one").await;
    assert_eq!(api.cut("prompts", &id, None).await.0, 201);
    api.patch("prompts", &id, json!({"content": "two"})).await;
    assert_eq!(api.cut("prompts", &id, None).await.0, 201);
    id
}

async fn labels_move_resolve_and_check_roles(db: TestDb) {
    let server = TestServer::start(db).await;
    let api = Api::owner(&server);
    let id = two_versions(&api).await;
    let owner = server.owner.token.clone();
    let eve = server.member("eve", "editor").await.token;
    let vic = server.member("vic", "viewer").await.token;
    let ada = server.member("ada", "admin").await.token;

    // Move.
    assert_eq!(
        put_label(&server, &eve, &id, "staging", json!(1)).await,
        200
    );
    assert_eq!(
        by_label(&server, &vic, &id, "staging").await,
        (200, json!(1), json!("one"))
    );
    assert_eq!(
        put_label(&server, &eve, &id, "staging", json!(2)).await,
        200
    );
    assert_eq!(
        by_label(&server, &vic, &id, "staging").await,
        (200, json!(2), json!("two"))
    );
    let listed = api.list_all("prompts", &id).await;
    assert_eq!(listed[0]["labels"], json!(["staging"]));
    assert_eq!(listed[1]["labels"], json!([]));

    // Who may move what.
    assert_eq!(put_label(&server, &vic, &id, "beta", json!(1)).await, 403);
    assert_eq!(
        put_label(&server, &eve, &id, "production", json!(1)).await,
        403
    );
    assert_eq!(
        put_label(&server, &ada, &id, "production", json!(1)).await,
        200
    );
    assert_eq!(
        put_label(&server, &owner, &id, "production", json!(2)).await,
        200
    );
    assert_eq!(delete_label(&server, &eve, &id, "production").await, 403);
    assert_eq!(delete_label(&server, &vic, &id, "staging").await, 403);
    assert_eq!(delete_label(&server, &ada, &id, "production").await, 204);
    assert_eq!(by_label(&server, &vic, &id, "production").await.0, 404);
    assert_eq!(delete_label(&server, &ada, &id, "production").await, 404);
    let (status, _) = api.cut("prompts", &id, None).await;
    assert_eq!(status, 200, "unchanged");
    let (status, body) = server
        .call_as(
            Some(&eve),
            Method::POST,
            &format!("/api/prompts/{id}/versions"),
            Some(json!({"labels": ["production"]})),
        )
        .await;
    assert_eq!(status, 403, "{body}");

    // Names.
    for bad in ["latest", "Prod", "-x", "a%20b"] {
        assert_eq!(
            put_label(&server, &owner, &id, bad, json!(1)).await,
            422,
            "{bad}"
        );
    }
    assert_eq!(
        put_label(&server, &owner, &id, "tenant-a.v1_rc", json!(1)).await,
        200
    );
    assert_eq!(
        put_label(&server, &owner, &id, "ghost", json!(9)).await,
        404
    );
    assert_eq!(delete_label(&server, &owner, &id, "latest").await, 422);

    // `latest` is implicit and follows new versions.
    assert_eq!(
        by_label(&server, &vic, &id, "latest").await,
        (200, json!(2), json!("two"))
    );
    api.patch("prompts", &id, json!({"content": "three"})).await;
    let (status, made) = api
        .cut(
            "prompts",
            &id,
            Some(json!({"message": "third", "labels": ["production", "rc"]})),
        )
        .await;
    assert_eq!(status, 201, "{made}");
    assert_eq!(made["labels"], json!(["production", "rc"]));
    assert_eq!(made["message"], "third");
    assert_eq!(
        by_label(&server, &vic, &id, "latest").await,
        (200, json!(3), json!("three"))
    );
    assert_eq!(by_label(&server, &vic, &id, "rc").await.1, json!(3));

    // Every label change is audited.
    let (_, audit) = server
        .call(Method::GET, "/api/workspaces/default/audit?limit=200", None)
        .await;
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    for action in ["version.create", "label.set", "label.delete"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

async fn documents_read_by_version_and_label(db: TestDb) {
    let server = TestServer::start(db).await;
    let api = Api::owner(&server);
    let id = two_versions(&api).await;
    let (status, v1) = server
        .call(Method::GET, &format!("/api/prompts/{id}?version=1"), None)
        .await;
    assert_eq!(status, 200);
    assert_eq!(v1["version"], 1);
    assert_eq!(v1["id"], json!(id));
    assert_eq!(v1["kind"], "prompt");
    let (_, by_path) = server
        .call(Method::GET, &format!("/api/prompts/{id}/versions/1"), None)
        .await;
    assert_eq!(v1, by_path, "both routes answer alike");
    let (_, live) = server
        .call(Method::GET, &format!("/api/prompts/{id}"), None)
        .await;
    let keys = |v: &Value| {
        let mut keys: Vec<String> = v.as_object().unwrap().keys().cloned().collect();
        keys.sort();
        keys
    };
    assert_eq!(keys(&v1), keys(&live), "the live document's shape");
    assert_eq!(content(live)["content"], "two");

    for (query, expected) in [
        ("version=9", 404),
        ("version=0", 404),
        ("version=abc", 400),
        ("label=nope", 404),
        ("version=1&label=latest", 400),
    ] {
        let (status, body) = server
            .call(Method::GET, &format!("/api/prompts/{id}?{query}"), None)
            .await;
        assert_eq!(status, expected, "{query}: {body}");
    }
    for path in [
        "versions/9",
        "versions/x",
        "versions/0/diff",
        "versions/2/diff?from=5",
    ] {
        let (status, _) = server
            .call(Method::GET, &format!("/api/prompts/{id}/{path}"), None)
            .await;
        assert_eq!(status, 404, "{path}");
    }
    // A prompt's versions are not found under /models.
    let (status, _) = server
        .call(Method::GET, &format!("/api/models/{id}/versions/1"), None)
        .await;
    assert_eq!(status, 404);
    // Versions of a never-versioned document.
    let fresh = server.create_prompt("new").await;
    let (status, _) = server
        .call(
            Method::GET,
            &format!("/api/prompts/{fresh}?label=latest"),
            None,
        )
        .await;
    assert_eq!(status, 404);
    assert!(api.list_all("prompts", &fresh).await.is_empty());
}

async fn prompts_render_live_or_versioned(db: TestDb) {
    let server = TestServer::start(db).await;
    let api = Api::owner(&server);
    let id = server
        .create_prompt("Hi {{name}}, about {{ topic }}. \\{{raw}}")
        .await;
    assert_eq!(api.cut("prompts", &id, None).await.0, 201);
    api.patch(
        "prompts",
        &id,
        json!({"content": "Bye {{name}} {{mood}}",
               "variables": [{"name": "mood", "default": "happy"}]}),
    )
    .await;
    let vic = server.member("vic", "viewer").await.token;
    let render = |body: Value| {
        let (server, id, vic) = (&server, &id, &vic);
        async move {
            server
                .call_as(
                    Some(vic),
                    Method::POST,
                    &format!("/api/prompts/{id}/render"),
                    Some(body),
                )
                .await
        }
    };
    assert_eq!(
        render(json!({"variables": {"name": "Ada"}})).await,
        (
            200,
            json!({"text": "Bye Ada happy", "missing": [], "version": null})
        )
    );
    assert_eq!(
        render(json!({"variables": {"name": "Ada"}, "version": 1})).await,
        (
            200,
            json!({"text": "Hi Ada, about {{ topic }}. {{raw}}", "missing": ["topic"], "version": 1})
        )
    );
    let owner = server.owner.token.clone();
    assert_eq!(
        put_label(&server, &owner, &id, "staging", json!(1)).await,
        200
    );
    let (status, body) = render(json!({"variables": {"topic": 7}, "label": "staging"})).await;
    assert_eq!(status, 200);
    assert_eq!(body["text"], "Hi {{name}}, about 7. {{raw}}");
    assert_eq!(body["missing"], json!(["name"]));
    assert_eq!(
        render(json!({"version": 1, "label": "staging"})).await.0,
        400
    );
    assert_eq!(render(json!({"label": "nope"})).await.0, 404);
    assert_eq!(render(json!({"variables": []})).await.0, 400);
}

async fn history_is_kept_until_the_workspace_goes(db: TestDb) {
    let server = TestServer::start(db).await;
    let api = Api::owner(&server);
    let id = two_versions(&api).await;
    let owner = server.owner.token.clone();
    assert_eq!(
        put_label(&server, &owner, &id, "production", json!(2)).await,
        200
    );
    let doc = id.parse().unwrap();
    let store = server.db.store().await;

    let (status, _) = server
        .call(Method::DELETE, &format!("/api/prompts/{id}"), None)
        .await;
    assert_eq!(status, 204);
    assert_eq!(
        store.version_head(doc).await.unwrap().map(|h| h.number),
        Some(2),
        "deleting a document keeps its history"
    );
    assert_eq!(store.label(doc, "production").await.unwrap(), 2);

    let (status, body) = server
        .call(Method::DELETE, "/api/workspaces/default", None)
        .await;
    assert_eq!(status, 204, "{body}");
    assert!(
        store.version_head(doc).await.unwrap().is_none(),
        "versions go with the workspace"
    );
    assert!(store.label(doc, "production").await.is_err(), "labels too");
}
