//! The REST client against the real server, one test per route group.

use rocqet_client::rest::{
    At, CreateVersion, ListQuery, NewWorkspace, PageQuery, RenderRequest, Role, Sort, VersionKind,
    WorkspaceChange,
};
use rocqet_client::{
    ClientError, ErrorCode, FieldPatch, FieldType, ModelPatch, PromptPatch, UserId,
};

use crate::support::{PASSWORD, TestServer};

/// The API error code of a failed call.
fn code<T: std::fmt::Debug>(result: Result<T, ClientError>) -> ErrorCode {
    match result {
        Err(ClientError::Api(api)) => {
            assert!(!api.message.is_empty(), "{api:?}");
            api.code
        }
        other => panic!("expected an API error, got {other:?}"),
    }
}

#[tokio::test]
async fn auth_register_login_me_refresh_and_logout() {
    let server = TestServer::start().await;
    let client = server.client();
    let session = client
        .register("Ada@SDK.test", PASSWORD, "Ada")
        .await
        .expect("register");
    assert_eq!(session.user.email, "ada@sdk.test", "emails are normalised");
    assert!(session.expires_in > 0);
    let me = client.me().await.expect("me");
    assert_eq!(me.user, session.user);
    assert!(me.workspaces.is_empty());

    let again = server
        .client()
        .register("ada@sdk.test", PASSWORD, "Ada")
        .await;
    assert_eq!(code(again), ErrorCode::Conflict);
    let short = server.client().register("bo@sdk.test", "short", "Bo").await;
    let Err(ClientError::Api(api)) = short else {
        panic!("expected 422, got {short:?}");
    };
    assert_eq!((api.status, &api.code), (422, &ErrorCode::ValidationFailed));
    assert_eq!(api.fields()[0].field, "password");
    let wrong = server
        .client()
        .login("ada@sdk.test", "not the password")
        .await;
    assert_eq!(code(wrong), ErrorCode::Unauthorized);

    let other = server.client();
    let login = other.login("ada@sdk.test", PASSWORD).await.expect("login");
    assert_eq!(login.user.id, session.user.id);
    let old_refresh = other.refresh_token().expect("refresh token");
    let rotated = other.refresh().await.expect("refresh");
    assert_ne!(rotated.refresh_token, old_refresh, "refresh tokens rotate");
    assert_eq!(other.access_token(), Some(rotated.access_token.clone()));
    other.me().await.expect("the new pair works");

    // An expired access token is refreshed on the fly.
    server.clock.advance(16 * 60 * 1000);
    let before = client.access_token();
    client.me().await.expect("me after expiry");
    assert_ne!(client.access_token(), before, "refreshed once");

    client.logout().await.expect("logout");
    assert_eq!(client.access_token(), None);
    assert!(matches!(client.me().await, Err(ClientError::NotLoggedIn)));

    // Presenting a dead refresh token revokes that login's whole family.
    let replay = server.client();
    replay.set_tokens("stale", Some(old_refresh));
    assert_eq!(code(replay.refresh().await), ErrorCode::Unauthorized);
    assert_eq!(code(other.refresh().await), ErrorCode::Unauthorized);
}

#[tokio::test]
async fn workspaces_members_and_audit() {
    let server = TestServer::start().await;
    let ada = server.user("ada").await;
    let bo = server.user("bo").await;
    let ws = ada
        .create_workspace(&NewWorkspace::new("Acme Prompts").slug("acme"))
        .await
        .expect("create");
    assert_eq!((ws.slug.as_str(), ws.role), ("acme", Role::Owner));
    let taken = bo
        .create_workspace(&NewWorkspace::new("Other").slug("acme"))
        .await;
    assert_eq!(code(taken), ErrorCode::Conflict);
    let derived = ada
        .create_workspace(&NewWorkspace::new("Side Project!"))
        .await
        .expect("derived slug");
    assert_eq!(derived.slug, "side-project");

    let mine = ada.workspaces().await.expect("list");
    assert_eq!(mine.len(), 2);
    assert_eq!(ada.workspace("acme").await.expect("by slug").id, ws.id);
    assert_eq!(ada.workspace(&ws.id).await.expect("by id").slug, "acme");
    let renamed = ada
        .update_workspace(
            "acme",
            &WorkspaceChange {
                name: Some("Acme".into()),
                slug: None,
            },
        )
        .await
        .expect("rename");
    assert_eq!(renamed.name, "Acme");

    let added = ada
        .add_member("acme", "bo@sdk.test", Role::Viewer)
        .await
        .expect("add bo");
    let bo_id: UserId = added.user_id.clone().expect("active member");
    let invited = ada
        .add_member("acme", "cy@sdk.test", Role::Editor)
        .await
        .expect("invite cy");
    assert_eq!(invited.status, rocqet_client::rest::MemberStatus::Invited);
    assert_eq!(ada.members("acme").await.expect("members").len(), 3);

    let forbidden = bo
        .update_workspace(
            "acme",
            &WorkspaceChange {
                name: Some("Mine".into()),
                slug: None,
            },
        )
        .await;
    assert_eq!(code(forbidden), ErrorCode::Forbidden);
    let promoted = ada
        .set_member_role("acme", &bo_id, Role::Admin)
        .await
        .expect("promote");
    assert_eq!(promoted.role, Role::Admin);
    let me = bo.me().await.expect("me");
    assert_eq!(me.workspaces[0].role, Role::Admin);

    let first = ada
        .audit("acme", &PageQuery::new().limit(2))
        .await
        .expect("audit");
    assert_eq!(first.items.len(), 2);
    let cursor = first.next_cursor.clone().expect("more entries");
    let second = ada
        .audit("acme", &PageQuery::new().limit(2).cursor(cursor))
        .await
        .expect("page 2");
    assert!(!second.items.is_empty());
    assert!(second.items.iter().all(|e| !first.items.contains(e)));
    assert!(
        first
            .items
            .iter()
            .chain(&second.items)
            .any(|e| e.action == "member.role"),
        "{first:?} {second:?}"
    );

    ada.remove_member("acme", &bo_id).await.expect("remove bo");
    assert_eq!(code(bo.workspace("acme").await), ErrorCode::Forbidden);
    ada.delete_workspace("side-project").await.expect("delete");
    assert_eq!(ada.workspaces().await.expect("list").len(), 1);
}

#[tokio::test]
async fn documents_create_list_search_page_read_patch_delete() {
    let server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let prompts = ada.prompts();
    for (title, tag, content) in [
        ("Welcome email", "onboarding", "Welcome {{name}} aboard"),
        ("Churn survey", "retention", "Why did you leave, {{name}}?"),
        ("Another welcome", "onboarding", "Hello again"),
    ] {
        prompts
            .create(
                "acme",
                &PromptPatch::new().title(title).tags([tag]).content(content),
            )
            .await
            .expect("create");
    }

    let found = prompts
        .list("acme", &ListQuery::new().q("aboard"))
        .await
        .expect("search");
    assert_eq!(found.items.len(), 1);
    assert_eq!(found.items[0].content.title, "Welcome email");
    let tagged = prompts
        .list(
            "acme",
            &ListQuery::new().tag("onboarding").sort(Sort::Title),
        )
        .await
        .expect("tag");
    let titles: Vec<_> = tagged
        .items
        .iter()
        .map(|d| d.content.title.as_str())
        .collect();
    assert_eq!(titles, ["Another welcome", "Welcome email"]);
    let page1 = prompts
        .list("acme", &ListQuery::new().sort(Sort::Created).limit(2))
        .await
        .expect("page 1");
    assert_eq!(page1.items.len(), 2);
    let cursor = page1.next_cursor.expect("a second page");
    let page2 = prompts
        .list(
            "acme",
            &ListQuery::new().sort(Sort::Created).limit(2).cursor(cursor),
        )
        .await
        .expect("page 2");
    assert_eq!(page2.items.len(), 1);
    assert_eq!(page2.items[0].content.title, "Another welcome");
    assert_eq!(page2.next_cursor, None);

    let id = page1.items[0].id.clone();
    let read = prompts.get(&id).await.expect("get");
    assert_eq!(read.content.content, "Welcome {{name}} aboard");
    let etag = read.etag.clone().expect("etag");
    // Someone else edits; our change based on the older read still merges.
    prompts
        .patch(&id, &PromptPatch::new().content("Welcome {{name}} aboard!"))
        .await
        .expect("patch");
    let merged = prompts
        .patch_if_match(
            &id,
            &PromptPatch::new().content("Hi, welcome {{name}} aboard"),
            Some(&etag),
        )
        .await
        .expect("merged patch");
    assert_eq!(merged.content.content, "Hi, welcome {{name}} aboard!");

    let model = ada
        .models()
        .create(
            "acme",
            &ModelPatch::new()
                .name("User")
                .fields(vec![FieldPatch::new("email", FieldType::String)]),
        )
        .await
        .expect("model");
    assert_eq!(model.content.fields[0].field_type, FieldType::String);
    let models = ada
        .models()
        .list("acme", &ListQuery::new())
        .await
        .expect("models");
    assert_eq!(models.items.len(), 1);
    assert_eq!(
        code(ada.models().get(&id).await),
        ErrorCode::NotFound,
        "a prompt is not a model"
    );
    assert!(
        ada.models()
            .presence(&model.id)
            .await
            .expect("presence")
            .is_empty()
    );

    prompts.delete(&id).await.expect("delete");
    assert_eq!(code(prompts.get(&id).await), ErrorCode::NotFound);
}

#[tokio::test]
async fn versions_labels_diff_restore_and_render() {
    let server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let prompts = ada.prompts();
    let id = prompts
        .create(
            "acme",
            &PromptPatch::new().title("Greeter").content("Hi {{name}}"),
        )
        .await
        .expect("create")
        .id;
    let v1 = prompts
        .cut_version(&id, &CreateVersion::new().message("first"))
        .await
        .expect("cut");
    assert!(v1.created);
    assert_eq!(
        (v1.version.number, v1.version.kind),
        (1, VersionKind::Manual)
    );
    let same = prompts
        .cut_version(&id, &CreateVersion::new())
        .await
        .expect("cut");
    assert!(!same.created, "nothing changed since version 1");

    prompts
        .patch(
            &id,
            &PromptPatch::new().content("Hello {{name}} from {{place}}"),
        )
        .await
        .expect("edit");
    let v2 = prompts
        .cut_version(&id, &CreateVersion::new().label("staging"))
        .await
        .expect("cut 2");
    assert_eq!(v2.version.labels, ["staging"]);
    let list = prompts
        .versions(&id, &PageQuery::new().limit(1))
        .await
        .expect("versions");
    assert_eq!(list.items[0].number, 2, "newest first");
    let older = prompts
        .versions(
            &id,
            &PageQuery::new()
                .limit(1)
                .cursor(list.next_cursor.expect("more")),
        )
        .await
        .expect("page 2");
    assert_eq!(older.items[0].message.as_deref(), Some("first"));

    let at1 = prompts.version(&id, 1).await.expect("version 1");
    assert_eq!(
        (at1.version, at1.content.content.as_str()),
        (1, "Hi {{name}}")
    );
    let diff = prompts.diff(&id, 2, None).await.expect("diff");
    assert_eq!((diff.from, diff.to), (Some(1), 2));
    let changes = diff.prompt_changes().expect("a prompt diff");
    assert!(!changes.content.is_empty());
    assert_eq!(changes.variables.added.len(), 1, "{changes:?}");

    let label = prompts
        .set_label(&id, "production", 1)
        .await
        .expect("label");
    assert_eq!(label.version, 1);
    let production = prompts
        .get_at(&id, &At::Label("production".into()))
        .await
        .expect("by label");
    assert_eq!(production.content.content, "Hi {{name}}");
    let by_number = prompts
        .get_at(&id, &At::Version(2))
        .await
        .expect("by number");
    assert_eq!(by_number.version, 2);

    let rendered = ada
        .render(
            &id,
            &RenderRequest::new()
                .value("name", "Ada")
                .label("production"),
        )
        .await
        .expect("render");
    assert_eq!(
        (rendered.text.as_str(), rendered.version),
        ("Hi Ada", Some(1))
    );
    let live = ada
        .render(&id, &RenderRequest::new().value("name", "Ada"))
        .await
        .expect("render live");
    assert_eq!(live.missing, ["place"]);

    let restored = prompts.restore(&id, 1).await.expect("restore");
    assert!(restored.created);
    assert_eq!(restored.version.kind, VersionKind::Restore);
    assert_eq!(restored.version.restored_from, Some(1));
    assert_eq!(
        prompts.get(&id).await.expect("read").content.content,
        "Hi {{name}}"
    );

    prompts
        .delete_label(&id, "production")
        .await
        .expect("unlabel");
    let gone = prompts.get_at(&id, &At::Label("production".into())).await;
    assert_eq!(code(gone), ErrorCode::NotFound);
    let reserved = prompts.set_label(&id, "latest", 1).await;
    assert_eq!(code(reserved), ErrorCode::ValidationFailed);
}

#[tokio::test]
async fn model_versions_diff_fields() {
    let server = TestServer::start().await;
    let ada = server.owner("ada", "acme").await;
    let models = ada.models();
    let id = models
        .create("acme", &ModelPatch::new().name("User"))
        .await
        .expect("create")
        .id;
    models
        .cut_version(&id, &CreateVersion::new())
        .await
        .expect("v1");
    models
        .patch(
            &id,
            &ModelPatch::new().fields(vec![FieldPatch::new("email", FieldType::String)]),
        )
        .await
        .expect("add field");
    models
        .cut_version(&id, &CreateVersion::new())
        .await
        .expect("v2");
    let diff = models.diff(&id, 2, Some(1)).await.expect("diff");
    let changes = diff.model_changes().expect("a model diff");
    assert_eq!(changes.fields.added.len(), 1);
    assert_eq!(changes.fields.added[0]["name"], "email");
    assert!(diff.prompt_changes().is_none());
}

#[tokio::test]
async fn operations_health_and_readiness() {
    let server = TestServer::start().await;
    let anonymous = server.client();
    anonymous.health().await.expect("alive");
    anonymous.ready().await.expect("ready");
}
