//! The identity half of the store suite (`AccountStore`), on SQLite and PostgreSQL.

use std::collections::HashSet;
use std::sync::Arc;

use chrono::{DateTime, Duration, SubsecRound, Utc};
use rocqet_crdt::DocKind;
use rocqet_server::auth::Role;
use rocqet_server::ids::{DocId, UserId, WorkspaceId};
use rocqet_server::store::{
    Added, AuditEntry, CONFLICT_ALREADY_INVITED, CONFLICT_ALREADY_MEMBER, CONFLICT_EMAIL_TAKEN,
    CONFLICT_LAST_OWNER, CONFLICT_OWNER_ONLY, CONFLICT_SLUG_TAKEN, NewDocument, NewRefreshToken,
    NewUser, NewWorkspace, PendingUpdate, Rotation, Store, StoreError,
};
use serde_json::json;
use uuid::Uuid;

use crate::support::db::both_dbs;

both_dbs!(
    users_create_and_look_up,
    registering_turns_invites_into_memberships,
    rotation_kills_the_old_token,
    reuse_revokes_the_family,
    expired_and_unknown_tokens,
    concurrent_rotations_one_wins,
    logout_revokes_the_family,
    revoke_sessions_kills_every_token,
    workspace_create_find_rename,
    delete_workspace_cascades_but_keeps_audit,
    members_add_set_role_remove,
    last_owner_is_kept,
    concurrent_owner_demotions_leave_one_owner,
    audit_pages_newest_first_each_once,
);

type Db = Arc<dyn Store>;

fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(6)
}

fn conflict(result: Result<impl std::fmt::Debug, StoreError>, message: &str) {
    match result {
        Err(StoreError::Conflict(m)) if m == message => {}
        other => panic!("expected Conflict({message:?}), got {other:?}"),
    }
}

fn not_found(result: Result<impl std::fmt::Debug, StoreError>) {
    assert!(
        matches!(result, Err(StoreError::NotFound)),
        "expected NotFound, got {result:?}"
    );
}

async fn user(store: &Db, email: &str) -> UserId {
    store
        .create_user(NewUser {
            id: UserId::new(),
            email: email.to_owned(),
            name: format!("Name of {email}"),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned(),
        })
        .await
        .expect("create user")
        .id
}

async fn workspace(store: &Db, slug: &str, owner: UserId) -> WorkspaceId {
    store
        .create_workspace(NewWorkspace {
            id: WorkspaceId::new(),
            slug: slug.to_owned(),
            name: format!("Workspace {slug}"),
            owner,
        })
        .await
        .expect("create workspace")
        .id
}

fn token(hash: &str, user: UserId, expires_in: Duration) -> NewRefreshToken {
    NewRefreshToken {
        token_hash: hash.to_owned(),
        user_id: user,
        family_id: Uuid::new_v4(),
        expires_at: now() + expires_in,
    }
}

/// A new token for `rotate_refresh_token`: user and family are taken from the old row.
fn successor(hash: &str) -> NewRefreshToken {
    token(hash, UserId::new(), Duration::days(30))
}

fn entry(ws: Option<WorkspaceId>, action: &str, at: DateTime<Utc>) -> AuditEntry {
    AuditEntry {
        id: Uuid::now_v7(),
        workspace_id: ws,
        actor: None,
        action: action.to_owned(),
        target_kind: "workspace".to_owned(),
        target_id: ws.map(|w| w.to_string()),
        ip: Some("127.0.0.1".to_owned()),
        user_agent: None,
        details: json!({"n": action}),
        at,
    }
}

async fn users_create_and_look_up(store: Db) {
    let id = UserId::new();
    let created = store
        .create_user(NewUser {
            id,
            email: "ada@example.com".to_owned(),
            name: "Ada".to_owned(),
            password_hash: "hash".to_owned(),
        })
        .await
        .expect("create");
    assert_eq!(created.id, id);
    assert_eq!(created.sessions_revoked_at, None);

    let by_email = store.user_by_email("ada@example.com").await.expect("email");
    let by_id = store.user(id).await.expect("id");
    for found in [&by_email, &by_id] {
        assert_eq!(found.id, id);
        assert_eq!(found.email, "ada@example.com");
        assert_eq!(found.name, "Ada");
        assert_eq!(found.password_hash, "hash");
        assert_eq!(found.created_at, created.created_at);
        assert_eq!(found.sessions_revoked_at, None);
    }

    for taken in ["ada@example.com", " ADA@example.com "] {
        let again = store
            .create_user(NewUser {
                id: UserId::new(),
                email: taken.to_owned(),
                name: "Other".to_owned(),
                password_hash: "x".to_owned(),
            })
            .await;
        conflict(again, CONFLICT_EMAIL_TAKEN);
    }
    not_found(store.user_by_email("bob@example.com").await);
    not_found(store.user(UserId::new()).await);
}

async fn registering_turns_invites_into_memberships(store: Db) {
    let owner = user(&store, "owner@example.com").await;
    let a = workspace(&store, "alpha", owner).await;
    let b = workspace(&store, "beta", owner).await;

    for (ws, role) in [(a, Role::Editor), (b, Role::Viewer)] {
        match store
            .add_member(ws, "New@Example.com", role, owner)
            .await
            .expect("invite")
        {
            Added::Invited(invite) => {
                assert_eq!(invite.email, "new@example.com");
                assert_eq!(invite.role, role);
                assert_eq!(invite.invited_by, Some(owner));
            }
            other => panic!("expected an invite, got {other:?}"),
        }
    }
    conflict(
        store
            .add_member(a, "new@example.com", Role::Admin, owner)
            .await,
        CONFLICT_ALREADY_INVITED,
    );
    let pending = store.invites(a).await.expect("invites");
    assert_eq!(
        pending.iter().map(|i| i.email.as_str()).collect::<Vec<_>>(),
        vec!["new@example.com"]
    );

    let newcomer = user(&store, "new@example.com").await;
    assert_eq!(
        store.role_of(a, newcomer).await.expect("role"),
        Some(Role::Editor)
    );
    assert_eq!(
        store.role_of(b, newcomer).await.expect("role"),
        Some(Role::Viewer)
    );
    assert!(store.invites(a).await.expect("invites").is_empty());
    assert!(store.invites(b).await.expect("invites").is_empty());
    let theirs = store.workspaces_of(newcomer).await.expect("workspaces");
    assert_eq!(
        theirs.iter().map(|(w, r)| (w.id, *r)).collect::<Vec<_>>(),
        vec![(a, Role::Editor), (b, Role::Viewer)]
    );
}

async fn rotation_kills_the_old_token(store: Db) {
    let ada = user(&store, "ada@example.com").await;
    store
        .insert_refresh_token(token("t1", ada, Duration::days(30)))
        .await
        .expect("insert");
    assert_eq!(
        store
            .rotate_refresh_token("t1", successor("t2"), now())
            .await
            .expect("rotate"),
        Rotation::Rotated { user_id: ada }
    );
    // The successor belongs to the old token's user, whatever `new.user_id` said.
    assert_eq!(
        store
            .rotate_refresh_token("t2", successor("t3"), now())
            .await
            .expect("rotate"),
        Rotation::Rotated { user_id: ada }
    );
    assert!(matches!(
        store
            .insert_refresh_token(token("t3", ada, Duration::days(1)))
            .await,
        Err(StoreError::Conflict(_))
    ));
}

async fn reuse_revokes_the_family(store: Db) {
    let ada = user(&store, "ada@example.com").await;
    store
        .insert_refresh_token(token("t1", ada, Duration::days(30)))
        .await
        .expect("insert");
    store
        .insert_refresh_token(token("other-login", ada, Duration::days(30)))
        .await
        .expect("insert");
    let rotated = store
        .rotate_refresh_token("t1", successor("t2"), now())
        .await;
    assert_eq!(rotated.expect("rotate"), Rotation::Rotated { user_id: ada });

    // t1 presented again (stolen?): reuse, and the whole family dies…
    assert_eq!(
        store
            .rotate_refresh_token("t1", successor("t3"), now())
            .await
            .expect("reuse"),
        Rotation::Reused { user_id: ada }
    );
    // …including t2, the legitimately rotated successor; nothing new was stored.
    assert_eq!(
        store
            .rotate_refresh_token("t2", successor("t4"), now())
            .await
            .expect("dead successor"),
        Rotation::Reused { user_id: ada }
    );
    for never_stored in ["t3", "t4"] {
        assert_eq!(
            store
                .rotate_refresh_token(never_stored, successor("t5"), now())
                .await
                .expect("unknown"),
            Rotation::Unknown
        );
    }
    // Another family (another login) is untouched.
    assert_eq!(
        store
            .rotate_refresh_token("other-login", successor("t6"), now())
            .await
            .expect("other family"),
        Rotation::Rotated { user_id: ada }
    );
}

async fn expired_and_unknown_tokens(store: Db) {
    let ada = user(&store, "ada@example.com").await;
    store
        .insert_refresh_token(token("old", ada, Duration::seconds(-1)))
        .await
        .expect("insert");
    store
        .insert_refresh_token(token("soon", ada, Duration::hours(1)))
        .await
        .expect("insert");

    assert_eq!(
        store
            .rotate_refresh_token("old", successor("new"), now())
            .await
            .expect("expired"),
        Rotation::Expired
    );
    // "Now" is the caller's clock: an hour later the second token is expired too.
    assert_eq!(
        store
            .rotate_refresh_token("soon", successor("new"), now() + Duration::hours(2))
            .await
            .expect("expired later"),
        Rotation::Expired
    );
    // Nothing was stored for either.
    assert_eq!(
        store
            .rotate_refresh_token("new", successor("newer"), now())
            .await
            .expect("unknown"),
        Rotation::Unknown
    );
    assert_eq!(
        store
            .rotate_refresh_token("no such token", successor("x"), now())
            .await
            .expect("unknown"),
        Rotation::Unknown
    );
    // An expired token is not "used": still live, so still rotatable before its expiry.
    assert_eq!(
        store
            .rotate_refresh_token("soon", successor("new"), now())
            .await
            .expect("rotate"),
        Rotation::Rotated { user_id: ada }
    );
}

async fn concurrent_rotations_one_wins(store: Db) {
    let ada = user(&store, "ada@example.com").await;
    for round in 0..10 {
        let old = format!("old-{round}");
        let (a, b) = (format!("a-{round}"), format!("b-{round}"));
        store
            .insert_refresh_token(token(&old, ada, Duration::days(30)))
            .await
            .expect("insert");
        let (first, second) = tokio::join!(
            store.rotate_refresh_token(&old, successor(&a), now()),
            store.rotate_refresh_token(&old, successor(&b), now()),
        );
        let outcomes = [first.expect("first"), second.expect("second")];
        assert!(
            outcomes.contains(&Rotation::Rotated { user_id: ada })
                && outcomes.contains(&Rotation::Reused { user_id: ada }),
            "round {round}: {outcomes:?}"
        );
        // The winner's fresh token died with the family; the loser's was never stored.
        let (won, lost) = if outcomes[0] == (Rotation::Rotated { user_id: ada }) {
            (a, b)
        } else {
            (b, a)
        };
        assert_eq!(
            store
                .rotate_refresh_token(&won, successor("x"), now())
                .await
                .expect("won"),
            Rotation::Reused { user_id: ada },
            "round {round}"
        );
        assert_eq!(
            store
                .rotate_refresh_token(&lost, successor("x"), now())
                .await
                .expect("lost"),
            Rotation::Unknown,
            "round {round}"
        );
    }
}

async fn logout_revokes_the_family(store: Db) {
    let ada = user(&store, "ada@example.com").await;
    store
        .insert_refresh_token(token("t1", ada, Duration::days(30)))
        .await
        .expect("insert");
    store
        .insert_refresh_token(token("phone", ada, Duration::days(30)))
        .await
        .expect("insert");
    store
        .rotate_refresh_token("t1", successor("t2"), now())
        .await
        .expect("rotate");

    assert_eq!(
        store
            .revoke_refresh_family("t2", now())
            .await
            .expect("logout"),
        ada
    );
    for dead in ["t1", "t2"] {
        assert_eq!(
            store
                .rotate_refresh_token(dead, successor("x"), now())
                .await
                .expect("dead"),
            Rotation::Reused { user_id: ada },
            "{dead}"
        );
    }
    // Logging out twice is harmless; the other device stays logged in.
    assert_eq!(
        store
            .revoke_refresh_family("t1", now())
            .await
            .expect("again"),
        ada
    );
    assert_eq!(
        store
            .rotate_refresh_token("phone", successor("phone2"), now())
            .await
            .expect("phone"),
        Rotation::Rotated { user_id: ada }
    );
    not_found(store.revoke_refresh_family("no such token", now()).await);
}

async fn revoke_sessions_kills_every_token(store: Db) {
    let ada = user(&store, "ada@example.com").await;
    let bob = user(&store, "bob@example.com").await;
    for (hash, who) in [("laptop", ada), ("phone", ada), ("bob", bob)] {
        store
            .insert_refresh_token(token(hash, who, Duration::days(30)))
            .await
            .expect("insert");
    }
    let at = now();
    store.revoke_sessions(ada, at).await.expect("revoke");
    assert_eq!(
        store.user(ada).await.expect("ada").sessions_revoked_at,
        Some(at)
    );
    for hash in ["laptop", "phone"] {
        assert_eq!(
            store
                .rotate_refresh_token(hash, successor("x"), now())
                .await
                .expect("dead"),
            Rotation::Reused { user_id: ada },
            "{hash}"
        );
    }
    assert_eq!(
        store.user(bob).await.expect("bob").sessions_revoked_at,
        None
    );
    assert_eq!(
        store
            .rotate_refresh_token("bob", successor("bob2"), now())
            .await
            .expect("bob"),
        Rotation::Rotated { user_id: bob }
    );
    not_found(store.revoke_sessions(UserId::new(), at).await);
}

async fn workspace_create_find_rename(store: Db) {
    let owner = user(&store, "owner@example.com").await;
    let id = WorkspaceId::new();
    let created = store
        .create_workspace(NewWorkspace {
            id,
            slug: "acme".to_owned(),
            name: "Acme".to_owned(),
            owner,
        })
        .await
        .expect("create");
    assert_eq!((created.id, created.slug.as_str()), (id, "acme"));
    assert_eq!(
        store.role_of(id, owner).await.expect("role"),
        Some(Role::Owner)
    );

    conflict(
        store
            .create_workspace(NewWorkspace {
                id: WorkspaceId::new(),
                slug: "acme".to_owned(),
                name: "Other".to_owned(),
                owner,
            })
            .await,
        CONFLICT_SLUG_TAKEN,
    );
    assert_eq!(store.workspace("acme").await.expect("slug"), created);
    assert_eq!(store.workspace(&id.to_string()).await.expect("id"), created);
    not_found(store.workspace("nope").await);
    not_found(store.workspace(&WorkspaceId::new().to_string()).await);

    let renamed = store
        .update_workspace(id, Some("Acme Inc"), None)
        .await
        .expect("rename");
    assert_eq!(
        (renamed.name.as_str(), renamed.slug.as_str()),
        ("Acme Inc", "acme")
    );
    let reslugged = store
        .update_workspace(id, None, Some("acme-inc"))
        .await
        .expect("reslug");
    assert_eq!(
        (reslugged.name.as_str(), reslugged.slug.as_str()),
        ("Acme Inc", "acme-inc")
    );
    assert_eq!(reslugged.created_at, created.created_at);
    not_found(store.workspace("acme").await);
    assert_eq!(store.workspace("acme-inc").await.expect("new slug").id, id);

    let other = workspace(&store, "other", owner).await;
    conflict(
        store.update_workspace(other, None, Some("acme-inc")).await,
        CONFLICT_SLUG_TAKEN,
    );
    not_found(
        store
            .update_workspace(WorkspaceId::new(), Some("x"), None)
            .await,
    );
    let mine = store.workspaces_of(owner).await.expect("mine");
    assert_eq!(
        mine.iter().map(|(w, r)| (w.id, *r)).collect::<Vec<_>>(),
        vec![(id, Role::Owner), (other, Role::Owner)]
    );
}

async fn delete_workspace_cascades_but_keeps_audit(store: Db) {
    let owner = user(&store, "owner@example.com").await;
    let editor = user(&store, "editor@example.com").await;
    let doomed = workspace(&store, "doomed", owner).await;
    let kept = workspace(&store, "kept", owner).await;
    store
        .add_member(doomed, "editor@example.com", Role::Editor, owner)
        .await
        .expect("member");
    store
        .add_member(doomed, "later@example.com", Role::Viewer, owner)
        .await
        .expect("invite");

    let mut docs = Vec::new();
    for ws in [doomed, doomed, kept] {
        let doc = store
            .create_document(NewDocument {
                id: DocId::new(),
                workspace_id: ws,
                kind: DocKind::Prompt,
                state: b"state".to_vec(),
                materialised: json!({"kind": "prompt", "title": "T", "content": "c"}),
            })
            .await
            .expect("document");
        docs.push(doc.id);
    }
    let updates: Vec<PendingUpdate> = docs
        .iter()
        .map(|id| PendingUpdate {
            doc_id: *id,
            data: b"u".to_vec().into(),
        })
        .collect();
    store.append_updates(&updates).await.expect("updates");
    // A deleted (soft) document goes too.
    store.delete_document(docs[1]).await.expect("soft delete");
    store
        .append_audit(entry(Some(doomed), "workspace.create", now()))
        .await
        .expect("audit");

    store.delete_workspace(doomed).await.expect("delete");

    not_found(store.workspace("doomed").await);
    not_found(store.document(docs[0]).await);
    not_found(store.load_state(docs[0]).await);
    assert!(store.members(doomed).await.expect("members").is_empty());
    assert!(store.invites(doomed).await.expect("invites").is_empty());
    assert_eq!(store.role_of(doomed, editor).await.expect("role"), None);
    assert!(store.workspaces_of(editor).await.expect("of").is_empty());
    // The log rows went with the documents: a late update is for an unknown
    // document now, and is dropped rather than stored.
    let written = store
        .append_updates(&[PendingUpdate {
            doc_id: docs[1],
            data: b"late".to_vec().into(),
        }])
        .await
        .expect("a late update is dropped, not an error");
    assert!(written.is_empty());
    let audit = store.audit(doomed, 10, None).await.expect("audit");
    assert_eq!(audit.items.len(), 1);
    assert_eq!(audit.items[0].action, "workspace.create");

    // Everything else is untouched, and the slug is free again.
    assert_eq!(
        store
            .document(docs[2])
            .await
            .expect("kept doc")
            .workspace_id,
        kept
    );
    assert_eq!(
        store
            .load_state(docs[2])
            .await
            .expect("kept log")
            .updates
            .len(),
        1
    );
    assert_eq!(
        store.role_of(kept, owner).await.expect("role"),
        Some(Role::Owner)
    );
    workspace(&store, "doomed", owner).await;
    not_found(store.delete_workspace(doomed).await);
    // The user who was invited can still register.
    user(&store, "later@example.com").await;
}

async fn members_add_set_role_remove(store: Db) {
    let owner = user(&store, "owner@example.com").await;
    let ada = user(&store, "ada@example.com").await;
    let ws = workspace(&store, "team", owner).await;

    let added = store
        .add_member(ws, " ADA@example.com", Role::Viewer, owner)
        .await
        .expect("add");
    let Added::Member(member) = added else {
        panic!("expected a member, got {added:?}");
    };
    assert_eq!(
        (member.user_id, member.email.as_str(), member.role),
        (ada, "ada@example.com", Role::Viewer)
    );
    assert_eq!(member.name, "Name of ada@example.com");
    conflict(
        store
            .add_member(ws, "ada@example.com", Role::Editor, owner)
            .await,
        CONFLICT_ALREADY_MEMBER,
    );
    conflict(
        store
            .add_member(ws, "owner@example.com", Role::Editor, owner)
            .await,
        CONFLICT_ALREADY_MEMBER,
    );
    not_found(
        store
            .add_member(WorkspaceId::new(), "ada@example.com", Role::Editor, owner)
            .await,
    );

    let members = store.members(ws).await.expect("members");
    assert_eq!(
        members
            .iter()
            .map(|m| (m.user_id, m.role))
            .collect::<Vec<_>>(),
        vec![(owner, Role::Owner), (ada, Role::Viewer)],
        "oldest first"
    );

    let changed = store
        .set_role(ws, ada, Role::Admin, true)
        .await
        .expect("set");
    assert_eq!((changed.user_id, changed.role), (ada, Role::Admin));
    assert_eq!(changed.created_at, member.created_at);
    assert_eq!(
        store.role_of(ws, ada).await.expect("role"),
        Some(Role::Admin)
    );

    store.remove_member(ws, ada, true).await.expect("remove");
    assert_eq!(store.role_of(ws, ada).await.expect("role"), None);
    not_found(store.remove_member(ws, ada, true).await);
    not_found(store.set_role(ws, ada, Role::Editor, true).await);
    not_found(store.set_role(ws, UserId::new(), Role::Editor, true).await);
}

async fn last_owner_is_kept(store: Db) {
    let owner = user(&store, "owner@example.com").await;
    let ada = user(&store, "ada@example.com").await;
    let ws = workspace(&store, "team", owner).await;

    conflict(
        store.set_role(ws, owner, Role::Admin, true).await,
        CONFLICT_LAST_OWNER,
    );
    conflict(
        store.remove_member(ws, owner, true).await,
        CONFLICT_LAST_OWNER,
    );
    // Only an owner may change an owner (checked under the same lock as the change).
    conflict(
        store.set_role(ws, owner, Role::Owner, false).await,
        CONFLICT_OWNER_ONLY,
    );
    conflict(
        store.remove_member(ws, owner, false).await,
        CONFLICT_OWNER_ONLY,
    );
    // Setting the sole owner's role to owner again is fine.
    store
        .set_role(ws, owner, Role::Owner, true)
        .await
        .expect("no-op");

    store
        .add_member(ws, "ada@example.com", Role::Owner, owner)
        .await
        .expect("second owner");
    store
        .set_role(ws, owner, Role::Editor, true)
        .await
        .expect("one of two owners steps down");
    conflict(
        store.remove_member(ws, ada, true).await,
        CONFLICT_LAST_OWNER,
    );
    store
        .set_role(ws, owner, Role::Owner, true)
        .await
        .expect("back");
    store
        .remove_member(ws, ada, true)
        .await
        .expect("one of two owners leaves");
    assert_eq!(
        store.role_of(ws, owner).await.expect("role"),
        Some(Role::Owner)
    );
}

async fn concurrent_owner_demotions_leave_one_owner(store: Db) {
    let a = user(&store, "a@example.com").await;
    let b = user(&store, "b@example.com").await;
    for round in 0..10 {
        let ws = workspace(&store, &format!("team-{round}"), a).await;
        store
            .add_member(ws, "b@example.com", Role::Owner, a)
            .await
            .expect("second owner");
        // Even rounds: both demote each other; odd rounds: one leaves while
        // the other steps down.
        let results: [Result<(), StoreError>; 2] = if round % 2 == 0 {
            let (x, y) = tokio::join!(
                store.set_role(ws, b, Role::Admin, true),
                store.set_role(ws, a, Role::Admin, true)
            );
            [x.map(drop), y.map(drop)]
        } else {
            let (x, y) = tokio::join!(
                store.remove_member(ws, a, true),
                store.set_role(ws, b, Role::Viewer, true)
            );
            [x, y.map(drop)]
        };
        let refused: Vec<_> = results.iter().filter_map(|r| r.as_ref().err()).collect();
        assert!(
            matches!(refused.as_slice(), [StoreError::Conflict(m)] if m == CONFLICT_LAST_OWNER),
            "round {round}: {results:?}"
        );
        let owners = store
            .members(ws)
            .await
            .expect("members")
            .into_iter()
            .filter(|m| m.role == Role::Owner)
            .count();
        assert_eq!(owners, 1, "round {round}");
    }
}

async fn audit_pages_newest_first_each_once(store: Db) {
    let owner = user(&store, "owner@example.com").await;
    let ws = workspace(&store, "team", owner).await;
    let other = workspace(&store, "other", owner).await;

    let base = now();
    let mut expected = Vec::new();
    for i in 0..7_i64 {
        // Pairs share a timestamp: the id breaks the tie.
        let e = entry(Some(ws), &format!("a.{i}"), base + Duration::seconds(i / 2));
        expected.push(e.clone());
        store.append_audit(e).await.expect("append");
    }
    store
        .append_audit(entry(Some(other), "elsewhere", base))
        .await
        .expect("other");
    store
        .append_audit(entry(None, "user.login", base))
        .await
        .expect("no workspace");
    expected.sort_by_key(|e| std::cmp::Reverse((e.at, e.id)));

    let all = store.audit(ws, 200, None).await.expect("all");
    assert_eq!(all.items, expected, "newest first, every field round-trips");
    assert_eq!(all.next_cursor, None);

    let mut paged = Vec::new();
    let mut cursor = None;
    let mut pages = 0;
    loop {
        let page = store.audit(ws, 2, cursor.as_deref()).await.expect("page");
        assert!(page.items.len() <= 2);
        paged.extend(page.items.into_iter().map(|e| e.id));
        pages += 1;
        assert!(pages < 10, "pagination does not end");
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => break,
        }
    }
    assert_eq!(pages, 4);
    assert_eq!(paged, expected.iter().map(|e| e.id).collect::<Vec<_>>());
    assert_eq!(paged.iter().collect::<HashSet<_>>().len(), 7);

    // Limits are clamped to 1..=200.
    assert_eq!(store.audit(ws, 0, None).await.expect("zero").items.len(), 1);
    assert_eq!(
        store
            .audit(ws, 10_000, None)
            .await
            .expect("huge")
            .items
            .len(),
        7
    );

    for bad in ["garbage", "00ff", "6162"] {
        let result = store.audit(ws, 2, Some(bad)).await;
        assert!(
            matches!(result, Err(StoreError::InvalidCursor)),
            "{bad:?}: {result:?}"
        );
    }
    assert!(
        store
            .audit(WorkspaceId::new(), 10, None)
            .await
            .expect("none")
            .items
            .is_empty()
    );
}
