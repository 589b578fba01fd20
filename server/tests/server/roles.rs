//! The role × route matrix: for every REST route, each role, a non-member and an
//! anonymous caller get the documented status and error body.

use reqwest::Method;
use serde_json::{Value, json};

use crate::server_test;
use crate::support::accounts::Account;
use crate::support::db::TestDb;
use crate::support::server::TestServer;

server_test!(every_route_checks_the_callers_role);

/// Who a request is made as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Caller {
    Anonymous,
    Outsider,
    Viewer,
    Editor,
    Admin,
    Owner,
}

const CALLERS: [Caller; 6] = [
    Caller::Anonymous,
    Caller::Outsider,
    Caller::Viewer,
    Caller::Editor,
    Caller::Admin,
    Caller::Owner,
];

/// What a route requires.
#[derive(Debug, Clone, Copy)]
enum Need {
    /// Any valid token, member or not.
    Account,
    /// At least this role in the workspace.
    Role(Caller),
}

impl Need {
    /// The documented answer for `caller`: the success status or the error.
    fn expect(self, caller: Caller, success: u16) -> (u16, Option<&'static str>) {
        match (self, caller) {
            (_, Caller::Anonymous) => (401, Some("UNAUTHORIZED")),
            (Need::Account, _) => (success, None),
            (Need::Role(min), caller) if caller < min => (403, Some("FORBIDDEN")),
            (Need::Role(_), _) => (success, None),
        }
    }
}

struct Matrix {
    server: TestServer,
    users: Vec<(Caller, Option<Account>)>,
    prompt: String,
    fresh: std::sync::atomic::AtomicUsize,
}

impl Matrix {
    fn account(&self, caller: Caller) -> Option<&Account> {
        self.users
            .iter()
            .find(|(c, _)| *c == caller)
            .and_then(|(_, a)| a.as_ref())
    }

    fn fresh(&self) -> usize {
        self.fresh
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
    }

    async fn check(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
        need: Need,
        success: u16,
        caller: Caller,
    ) {
        let token = self.account(caller).map(|a| a.token.clone());
        let (status, answer) = self
            .server
            .call_as(token.as_deref(), method.clone(), path, body)
            .await;
        let (want, code) = need.expect(caller, success);
        assert_eq!(
            status, want,
            "{method} {path} as {caller:?}: expected {want}, got {status} {answer}"
        );
        if let Some(code) = code {
            assert_eq!(
                answer["error"]["code"], code,
                "{method} {path} as {caller:?}: {answer}"
            );
            assert!(answer["error"]["message"].is_string());
        }
    }
}

async fn every_route_checks_the_callers_role(db: TestDb) {
    let server = TestServer::start(db).await;
    let prompt = server.create_prompt("matrix").await;
    let mut users = vec![
        (Caller::Anonymous, None),
        (Caller::Owner, Some(server.owner.clone())),
    ];
    users.push((Caller::Outsider, Some(server.register("outsider").await)));
    users.push((
        Caller::Viewer,
        Some(server.member("viewer", "viewer").await),
    ));
    users.push((
        Caller::Editor,
        Some(server.member("editor", "editor").await),
    ));
    users.push((Caller::Admin, Some(server.member("admin", "admin").await)));
    let tara = server.member("tara", "viewer").await;
    let m = Matrix {
        server,
        users,
        prompt,
        fresh: Default::default(),
    };
    let p = &m.prompt;
    let viewer = Need::Role(Caller::Viewer);
    let editor = Need::Role(Caller::Editor);
    let admin = Need::Role(Caller::Admin);
    let owner = Need::Role(Caller::Owner);

    for caller in CALLERS {
        // Accounts and workspaces.
        m.check(
            Method::GET,
            "/api/auth/me",
            None,
            Need::Account,
            200,
            caller,
        )
        .await;
        m.check(
            Method::GET,
            "/api/workspaces",
            None,
            Need::Account,
            200,
            caller,
        )
        .await;
        let slug = format!("made-by-{}", m.fresh());
        m.check(
            Method::POST,
            "/api/workspaces",
            Some(json!({"name": slug})),
            Need::Account,
            201,
            caller,
        )
        .await;
        m.check(
            Method::GET,
            "/api/workspaces/default",
            None,
            viewer,
            200,
            caller,
        )
        .await;
        m.check(
            Method::PATCH,
            "/api/workspaces/default",
            Some(json!({"name": "Default"})),
            owner,
            200,
            caller,
        )
        .await;
        m.check(
            Method::GET,
            "/api/workspaces/default/audit",
            None,
            admin,
            200,
            caller,
        )
        .await;

        // Members.
        m.check(
            Method::GET,
            "/api/workspaces/default/members",
            None,
            viewer,
            200,
            caller,
        )
        .await;
        let invite =
            json!({"email": format!("invitee{}@test.rocqet", m.fresh()), "role": "viewer"});
        m.check(
            Method::POST,
            "/api/workspaces/default/members",
            Some(invite),
            admin,
            201,
            caller,
        )
        .await;
        let tara_path = format!("/api/workspaces/default/members/{}", tara.user_id);
        m.check(
            Method::PATCH,
            &tara_path,
            Some(json!({"role": "editor"})),
            admin,
            200,
            caller,
        )
        .await;
        let leaver = m
            .server
            .member(&format!("leaver{}", m.fresh()), "viewer")
            .await;
        let leaver_path = format!("/api/workspaces/default/members/{}", leaver.user_id);
        m.check(Method::DELETE, &leaver_path, None, admin, 204, caller)
            .await;

        // Documents.
        for kind in ["prompts", "models"] {
            m.check(
                Method::GET,
                &format!("/api/workspaces/default/{kind}"),
                None,
                viewer,
                200,
                caller,
            )
            .await;
        }
        let new_prompt = json!({"title": "new", "content": "hello {{name}}"});
        m.check(
            Method::POST,
            "/api/workspaces/default/prompts",
            Some(new_prompt),
            editor,
            201,
            caller,
        )
        .await;
        m.check(
            Method::POST,
            "/api/workspaces/default/models",
            Some(json!({"name": "User"})),
            editor,
            201,
            caller,
        )
        .await;
        m.check(
            Method::GET,
            &format!("/api/prompts/{p}"),
            None,
            viewer,
            200,
            caller,
        )
        .await;
        m.check(
            Method::GET,
            &format!("/api/prompts/{p}/presence"),
            None,
            viewer,
            200,
            caller,
        )
        .await;
        m.check(
            Method::PATCH,
            &format!("/api/prompts/{p}"),
            Some(json!({"title": "edited"})),
            editor,
            200,
            caller,
        )
        .await;
        let doomed = m.server.create_prompt("doomed").await;
        m.check(
            Method::DELETE,
            &format!("/api/prompts/{doomed}"),
            None,
            editor,
            204,
            caller,
        )
        .await;

        // Deleting a workspace: owners only. A fresh one where `caller` has their role.
        let slug = format!("doomed-{}", m.fresh());
        crate::support::accounts::create_workspace(
            &m.server.http,
            &m.server.base,
            &m.server.owner,
            &slug,
        )
        .await;
        let role = match caller {
            Caller::Viewer => Some("viewer"),
            Caller::Editor => Some("editor"),
            Caller::Admin => Some("admin"),
            _ => None,
        };
        if let (Some(role), Some(account)) = (role, m.account(caller)) {
            let (status, body) = m
                .server
                .call(
                    Method::POST,
                    &format!("/api/workspaces/{slug}/members"),
                    Some(json!({"email": account.email, "role": role})),
                )
                .await;
            assert_eq!(status, 201, "{body}");
        }
        m.check(
            Method::DELETE,
            &format!("/api/workspaces/{slug}"),
            None,
            owner,
            204,
            caller,
        )
        .await;
    }

    // Unknown things are 404 for members, whatever the role.
    let missing = uuid::Uuid::now_v7();
    for path in [
        format!("/api/prompts/{missing}"),
        "/api/prompts/not-an-id".to_owned(),
        format!("/api/models/{p}"),
        "/api/workspaces/no-such-workspace".to_owned(),
    ] {
        let (status, body) = m.server.call(Method::GET, &path, None).await;
        assert_eq!(
            (status, body["error"]["code"].as_str()),
            (404, Some("NOT_FOUND")),
            "{path}"
        );
    }
}
