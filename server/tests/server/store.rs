//! The store suite: every test is written once and runs on SQLite and PostgreSQL.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use rocqet_crdt::DocKind;
use rocqet_server::ids::{DocId, WorkspaceId};
use rocqet_server::store::{ListQuery, NewDocument, PendingUpdate, SortOrder, Store, StoreError};
use serde_json::json;

use crate::support::db::TestDb;

/// For each async fn `name(store)`, generates `name::sqlite` and `name::postgres`.
macro_rules! both_dbs {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let db = crate::support::db::TestDb::sqlite();
                super::$name(db.store().await).await;
            }

            #[tokio::test]
            async fn postgres() {
                let db = crate::support::db::TestDb::postgres().await;
                super::$name(db.store().await).await;
            }
        }
    )*};
}

both_dbs!(
    ping,
    default_workspace_is_idempotent,
    create_get_delete,
    load_state_returns_updates_in_order,
    append_batch_across_documents,
    append_for_unknown_document_writes_nothing,
    compact_keeps_later_updates,
    save_materialised_updates_search,
    search_escapes_wildcards,
    tag_filter,
    kind_filter,
    sort_orders,
    pagination_returns_each_document_once,
    invalid_cursor_is_rejected,
);

type Db = Arc<dyn Store>;

fn prompt(ws: WorkspaceId, title: &str, tags: &[&str], content: &str) -> NewDocument {
    NewDocument {
        id: DocId::new(),
        workspace_id: ws,
        kind: DocKind::Prompt,
        state: format!("state of {title}").into_bytes(),
        materialised: json!({
            "kind": "prompt", "title": title, "description": "", "tags": tags,
            "content": content, "variables": [], "settings": {}
        }),
    }
}

fn model(ws: WorkspaceId, name: &str, fields: &[&str]) -> NewDocument {
    let fields: Vec<_> = fields
        .iter()
        .map(|f| json!({"name": f, "type": "string"}))
        .collect();
    NewDocument {
        id: DocId::new(),
        workspace_id: ws,
        kind: DocKind::Model,
        state: Vec::new(),
        materialised: json!({
            "kind": "model", "name": name, "description": "", "fields": fields, "relations": []
        }),
    }
}

fn list(ws: WorkspaceId, kind: DocKind) -> ListQuery {
    ListQuery {
        workspace_id: ws,
        kind,
        q: None,
        tag: None,
        sort: SortOrder::default(),
        limit: 200,
        cursor: None,
    }
}

fn update(doc: DocId, data: &str) -> PendingUpdate {
    PendingUpdate {
        doc_id: doc,
        data: data.as_bytes().to_vec().into(),
    }
}

async fn titles(store: &Db, query: &ListQuery) -> Vec<String> {
    let page = store.list_documents(query).await.expect("list");
    page.items
        .iter()
        .map(|d| {
            let m = &d.materialised;
            m["title"]
                .as_str()
                .or(m["name"].as_str())
                .unwrap_or_default()
                .to_owned()
        })
        .collect()
}

/// Timestamps have microsecond precision; keep consecutive writes apart.
async fn tick() {
    tokio::time::sleep(Duration::from_millis(3)).await;
}

async fn ping(store: Db) {
    store.ping().await.expect("ping");
}

async fn default_workspace_is_idempotent(store: Db) {
    let first = store.default_workspace().await.expect("first");
    let second = store.default_workspace().await.expect("second");
    assert_eq!(first, second);
}

async fn create_get_delete(store: Db) {
    let ws = store.default_workspace().await.expect("workspace");
    let new = prompt(ws, "Greeting", &["hello"], "Say hi");
    let created = store.create_document(new.clone()).await.expect("create");
    assert_eq!(created.id, new.id);
    assert_eq!(created.version, 0);
    assert_eq!(created.created_at, created.updated_at);

    let got = store.document(new.id).await.expect("get");
    assert_eq!(got.id, new.id);
    assert_eq!(got.workspace_id, ws);
    assert_eq!(got.kind, DocKind::Prompt);
    assert_eq!(got.materialised, new.materialised);
    assert_eq!(got.version, 0);
    assert_eq!(got.created_at, created.created_at);
    assert_eq!(got.updated_at, created.updated_at);

    let again = store.create_document(new.clone()).await;
    assert!(matches!(again, Err(StoreError::Conflict(_))), "{again:?}");

    store.delete_document(new.id).await.expect("delete");
    assert!(matches!(
        store.document(new.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.load_state(new.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.delete_document(new.id).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.save_materialised(new.id, &new.materialised).await,
        Err(StoreError::NotFound)
    ));
    assert!(matches!(
        store.document(DocId::new()).await,
        Err(StoreError::NotFound)
    ));
    assert!(
        store
            .list_documents(&list(ws, DocKind::Prompt))
            .await
            .expect("list")
            .items
            .is_empty()
    );

    // History is kept: a late update for the deleted document is still stored.
    let appended = store
        .append_updates(&[update(new.id, "late")])
        .await
        .expect("append");
    assert_eq!(appended.len(), 1);
}

async fn load_state_returns_updates_in_order(store: Db) {
    let ws = store.default_workspace().await.expect("workspace");
    let doc = store
        .create_document(prompt(ws, "Log", &[], ""))
        .await
        .expect("create");

    let empty = store.load_state(doc.id).await.expect("load");
    assert_eq!(empty.snapshot, b"state of Log");
    assert!(empty.updates.is_empty());
    assert_eq!(empty.last_seq, 0);

    store
        .append_updates(&[update(doc.id, "1"), update(doc.id, "2")])
        .await
        .expect("append");
    let last = store
        .append_updates(&[update(doc.id, "3")])
        .await
        .expect("append");

    let state = store.load_state(doc.id).await.expect("load");
    assert_eq!(state.snapshot, b"state of Log");
    assert_eq!(
        state.updates,
        vec![b"1".to_vec(), b"2".to_vec(), b"3".to_vec()]
    );
    assert_eq!(state.last_seq, last[0].1);
}

async fn append_batch_across_documents(store: Db) {
    let ws = store.default_workspace().await.expect("workspace");
    let a = store
        .create_document(prompt(ws, "A", &[], ""))
        .await
        .expect("a")
        .id;
    let b = store
        .create_document(prompt(ws, "B", &[], ""))
        .await
        .expect("b")
        .id;
    let c = store
        .create_document(model(ws, "C", &[]))
        .await
        .expect("c")
        .id;
    let before = store.document(a).await.expect("a").updated_at;
    tick().await;

    assert!(
        store
            .append_updates(&[])
            .await
            .expect("empty batch")
            .is_empty()
    );
    let batch = [
        update(a, "a1"),
        update(b, "b1"),
        update(a, "a2"),
        update(c, "c1"),
        update(b, "b2"),
        update(a, "a3"),
    ];
    let written = store.append_updates(&batch).await.expect("append");

    // One entry per distinct document, in order of first appearance.
    assert_eq!(
        written.iter().map(|(id, _)| *id).collect::<Vec<_>>(),
        vec![a, b, c]
    );
    for (id, seq) in &written {
        let state = store.load_state(*id).await.expect("load");
        assert_eq!(state.last_seq, *seq, "max seq of {id}");
    }
    let seq = |id| {
        written
            .iter()
            .find(|(d, _)| *d == id)
            .map(|(_, s)| *s)
            .expect("seq")
    };
    // Seqs follow the batch order: a3 was written last.
    assert!(seq(a) > seq(b) && seq(b) > seq(c));

    let a_state = store.load_state(a).await.expect("a");
    assert_eq!(
        a_state.updates,
        vec![b"a1".to_vec(), b"a2".to_vec(), b"a3".to_vec()]
    );
    let b_state = store.load_state(b).await.expect("b");
    assert_eq!(b_state.updates, vec![b"b1".to_vec(), b"b2".to_vec()]);

    let after = store.document(a).await.expect("a").updated_at;
    assert!(after > before, "append bumps updated_at");
}

async fn append_for_unknown_document_writes_nothing(store: Db) {
    let ws = store.default_workspace().await.expect("workspace");
    let a = store
        .create_document(prompt(ws, "A", &[], ""))
        .await
        .expect("a")
        .id;
    let ghost = DocId::new();

    let result = store
        .append_updates(&[update(a, "a1"), update(ghost, "x")])
        .await;
    match result {
        Err(StoreError::Conflict(message)) => {
            assert!(message.contains(&ghost.to_string()), "{message}");
        }
        other => panic!("expected a conflict naming the document, got {other:?}"),
    }
    assert!(store.load_state(a).await.expect("a").updates.is_empty());
}

async fn compact_keeps_later_updates(store: Db) {
    let ws = store.default_workspace().await.expect("workspace");
    let doc = store
        .create_document(prompt(ws, "Compact", &[], ""))
        .await
        .expect("create")
        .id;
    let other = store
        .create_document(prompt(ws, "Other", &[], ""))
        .await
        .expect("other")
        .id;

    let first = store
        .append_updates(&[update(doc, "1"), update(other, "o1"), update(doc, "2")])
        .await
        .expect("append");
    let through = first[0].1;
    store
        .append_updates(&[update(doc, "3")])
        .await
        .expect("append");

    store
        .compact(doc, b"compacted", through)
        .await
        .expect("compact");
    let state = store.load_state(doc).await.expect("load");
    assert_eq!(state.snapshot, b"compacted");
    assert_eq!(state.updates, vec![b"3".to_vec()]);

    // Other documents' logs are untouched.
    assert_eq!(
        store.load_state(other).await.expect("other").updates,
        vec![b"o1".to_vec()]
    );

    // Compacting everything empties the log; seqs are never reused afterwards.
    store
        .compact(doc, b"all", state.last_seq)
        .await
        .expect("compact all");
    let empty = store.load_state(doc).await.expect("load");
    assert_eq!(
        (
            empty.snapshot.as_slice(),
            empty.updates.len(),
            empty.last_seq
        ),
        (&b"all"[..], 0, 0)
    );
    let next = store
        .append_updates(&[update(doc, "4")])
        .await
        .expect("append");
    assert!(next[0].1 > state.last_seq);

    assert!(matches!(
        store.compact(DocId::new(), b"x", 1).await,
        Err(StoreError::NotFound)
    ));
}

async fn save_materialised_updates_search(store: Db) {
    let ws = store.default_workspace().await.expect("workspace");
    let doc = store
        .create_document(prompt(ws, "Untitled", &[], ""))
        .await
        .expect("create");
    let mut query = list(ws, DocKind::Prompt);
    query.q = Some("quarterly".into());
    assert!(titles(&store, &query).await.is_empty());

    tick().await;
    let m = json!({
        "kind": "prompt", "title": "Quarterly Report", "description": "Summarise the NUMBERS",
        "tags": [], "content": "Write about {{topic}}", "variables": [], "settings": {}
    });
    store.save_materialised(doc.id, &m).await.expect("save");
    let saved = store.document(doc.id).await.expect("get");
    assert_eq!(saved.materialised, m);
    assert!(saved.updated_at > doc.updated_at);

    for q in [
        "quarterly",
        "QUARTERLY rep",
        "numbers",
        "{{topic}}",
        "  report ",
    ] {
        query.q = Some(q.into());
        assert_eq!(
            titles(&store, &query).await,
            vec!["Quarterly Report"],
            "q={q:?}"
        );
    }
    query.q = Some("nothing like it".into());
    assert!(titles(&store, &query).await.is_empty());
    query.q = Some("   ".into());
    assert_eq!(
        titles(&store, &query).await.len(),
        1,
        "a blank q does not filter"
    );

    // Models are searched by name, description and field names.
    store
        .create_document(model(ws, "Customer", &["billingEmail"]))
        .await
        .expect("model");
    let mut models = list(ws, DocKind::Model);
    models.q = Some("BillingEmail".into());
    assert_eq!(titles(&store, &models).await, vec!["Customer"]);
}

async fn search_escapes_wildcards(store: Db) {
    let ws = store.default_workspace().await.expect("workspace");
    store
        .create_document(prompt(ws, "100% sure", &[], ""))
        .await
        .expect("create");
    store
        .create_document(prompt(ws, "1000 sure", &[], ""))
        .await
        .expect("create");
    store
        .create_document(prompt(ws, "snake_case", &[], ""))
        .await
        .expect("create");
    store
        .create_document(prompt(ws, "snakeXcase", &[], ""))
        .await
        .expect("create");
    let mut query = list(ws, DocKind::Prompt);
    for (q, expected) in [("0%", "100% sure"), ("e_c", "snake_case")] {
        query.q = Some(q.into());
        assert_eq!(titles(&store, &query).await, vec![expected], "q={q:?}");
    }
}

async fn tag_filter(store: Db) {
    let ws = store.default_workspace().await.expect("workspace");
    store
        .create_document(prompt(ws, "One", &["sales", "email"], ""))
        .await
        .expect("one");
    store
        .create_document(prompt(ws, "Two", &["email"], ""))
        .await
        .expect("two");
    store
        .create_document(prompt(ws, "Three", &["salesforce"], ""))
        .await
        .expect("three");
    let mut query = list(ws, DocKind::Prompt);
    query.sort = SortOrder::TitleAsc;

    query.tag = Some("email".into());
    assert_eq!(titles(&store, &query).await, vec!["One", "Two"]);
    query.tag = Some("sales".into());
    assert_eq!(titles(&store, &query).await, vec!["One"]);
    query.tag = Some("sal".into());
    assert!(titles(&store, &query).await.is_empty());
    query.q = Some("two".into());
    query.tag = Some("email".into());
    assert_eq!(titles(&store, &query).await, vec!["Two"]);
}

async fn kind_filter(store: Db) {
    let ws = store.default_workspace().await.expect("workspace");
    store
        .create_document(prompt(ws, "A prompt", &[], ""))
        .await
        .expect("prompt");
    store
        .create_document(model(ws, "A model", &[]))
        .await
        .expect("model");
    assert_eq!(
        titles(&store, &list(ws, DocKind::Prompt)).await,
        vec!["A prompt"]
    );
    assert_eq!(
        titles(&store, &list(ws, DocKind::Model)).await,
        vec!["A model"]
    );
}

async fn sort_orders(store: Db) {
    let ws = store.default_workspace().await.expect("workspace");
    let mut ids = Vec::new();
    for title in ["banana", "Apple", "cherry"] {
        ids.push(
            store
                .create_document(prompt(ws, title, &[], ""))
                .await
                .expect("create")
                .id,
        );
        tick().await;
    }
    // Touch "banana" so it is the most recently updated.
    let banana = store.document(ids[0]).await.expect("banana");
    store
        .save_materialised(ids[0], &banana.materialised)
        .await
        .expect("save");

    let mut query = list(ws, DocKind::Prompt);
    for (sort, expected) in [
        (SortOrder::UpdatedDesc, ["banana", "cherry", "Apple"]),
        (SortOrder::CreatedAsc, ["banana", "Apple", "cherry"]),
        (SortOrder::CreatedDesc, ["cherry", "Apple", "banana"]),
        (SortOrder::TitleAsc, ["Apple", "banana", "cherry"]),
    ] {
        query.sort = sort;
        assert_eq!(titles(&store, &query).await, expected, "{sort:?}");
    }
}

async fn pagination_returns_each_document_once(store: Db) {
    let ws = store.default_workspace().await.expect("workspace");
    let mut created = HashSet::new();
    for title in ["Same", "same", "Same", "b", "a", "SAME", "c"] {
        created.insert(
            store
                .create_document(prompt(ws, title, &[], ""))
                .await
                .expect("create")
                .id,
        );
    }

    for sort in [
        SortOrder::UpdatedDesc,
        SortOrder::CreatedAsc,
        SortOrder::CreatedDesc,
        SortOrder::TitleAsc,
    ] {
        let mut query = list(ws, DocKind::Prompt);
        query.sort = sort;
        let all: Vec<DocId> = store
            .list_documents(&query)
            .await
            .expect("all")
            .items
            .iter()
            .map(|d| d.id)
            .collect();

        query.limit = 2;
        let mut paged = Vec::new();
        let mut pages = 0;
        loop {
            let page = store.list_documents(&query).await.expect("page");
            assert!(page.items.len() <= 2);
            paged.extend(page.items.iter().map(|d| d.id));
            pages += 1;
            match page.next_cursor {
                Some(cursor) => query.cursor = Some(cursor),
                None => break,
            }
            assert!(pages < 10, "{sort:?}: pagination does not end");
        }
        assert_eq!(pages, 4, "{sort:?}");
        assert_eq!(
            paged, all,
            "{sort:?}: pages in the same order as one listing"
        );
        assert_eq!(
            paged.iter().copied().collect::<HashSet<_>>(),
            created,
            "{sort:?}"
        );
    }

    let mut query = list(ws, DocKind::Prompt);
    query.limit = 7;
    assert_eq!(
        store
            .list_documents(&query)
            .await
            .expect("exact")
            .next_cursor,
        None
    );
}

async fn invalid_cursor_is_rejected(store: Db) {
    let ws = store.default_workspace().await.expect("workspace");
    for title in ["a", "b"] {
        store
            .create_document(prompt(ws, title, &[], ""))
            .await
            .expect("create");
    }
    let mut query = list(ws, DocKind::Prompt);
    query.sort = SortOrder::TitleAsc;
    query.limit = 1;
    let cursor = store
        .list_documents(&query)
        .await
        .expect("page")
        .next_cursor
        .expect("cursor");

    for bad in ["garbage", "", "00ff", &cursor[1..]] {
        query.cursor = Some(bad.to_owned());
        let result = store.list_documents(&query).await;
        assert!(
            matches!(result, Err(StoreError::InvalidCursor)),
            "{bad:?}: {result:?}"
        );
    }
    // A cursor from one sort order is not valid for another.
    query.sort = SortOrder::CreatedAsc;
    query.cursor = Some(cursor);
    assert!(matches!(
        store.list_documents(&query).await,
        Err(StoreError::InvalidCursor)
    ));
}

#[tokio::test]
async fn sqlite_creates_missing_folder_and_reopens() {
    let dir =
        std::env::temp_dir().join(format!("rocqet_test_dir_{}", uuid::Uuid::new_v4().simple()));
    let url = format!("sqlite://{}", dir.join("nested").join("hub.db").display());
    let doc = {
        let store = rocqet_server::store::connect(&url).await.expect("create");
        let ws = store.default_workspace().await.expect("workspace");
        store
            .create_document(prompt(ws, "Persisted", &[], ""))
            .await
            .expect("create")
            .id
    };
    let store = rocqet_server::store::connect(&url).await.expect("reopen");
    assert_eq!(store.document(doc).await.expect("get").id, doc);
    drop(store);
    let _ = std::fs::remove_dir_all(&dir);
}

#[tokio::test]
async fn reconnect_runs_migrations_once() {
    for db in [TestDb::sqlite(), TestDb::postgres().await] {
        let ws = db
            .store()
            .await
            .default_workspace()
            .await
            .expect("workspace");
        let again = rocqet_server::store::connect(db.url())
            .await
            .expect("reconnect");
        assert_eq!(again.default_workspace().await.expect("again"), ws);
    }
}
