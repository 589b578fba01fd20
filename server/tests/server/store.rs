//! The store suite: every test is written once and runs on SQLite and PostgreSQL.

use std::collections::HashSet;
use std::sync::Arc;
use std::time::Duration;

use rocqet_crdt::DocKind;
use rocqet_server::ids::{DocId, WorkspaceId};
use rocqet_server::store::{ListQuery, NewDocument, PendingUpdate, SortOrder, Store, StoreError};
use serde_json::json;

use crate::support::db::{TestDb, both_dbs};

both_dbs!(
    ping,
    create_get_delete,
    load_state_returns_updates_in_order,
    append_batch_across_documents,
    append_for_unknown_document_drops_only_its_rows,
    compact_keeps_later_updates,
    compactions_by_two_nodes_keep_both,
    save_materialised_updates_search,
    search_treats_syntax_as_text,
    search_finds_description_and_content_words,
    search_pagination_returns_each_match_once,
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

fn described(ws: WorkspaceId, title: &str, description: &str, content: &str) -> NewDocument {
    let mut doc = prompt(ws, title, &[], content);
    doc.materialised["description"] = json!(description);
    doc
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

/// A fresh workspace (with an owner) for documents to live in.
async fn workspace(store: &Db) -> WorkspaceId {
    let owner = rocqet_server::ids::UserId::new();
    store
        .create_user(rocqet_server::store::NewUser {
            id: owner,
            email: format!("{owner}@store.test"),
            name: "owner".into(),
            password_hash: "x".into(),
        })
        .await
        .expect("owner");
    let id = WorkspaceId::new();
    store
        .create_workspace(rocqet_server::store::NewWorkspace {
            id,
            slug: format!("ws-{}", id.0.simple()),
            name: "ws".into(),
            owner,
        })
        .await
        .expect("workspace");
    id
}

async fn create_get_delete(store: Db) {
    let ws = workspace(&store).await;
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
    let ws = workspace(&store).await;
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
    let ws = workspace(&store).await;
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

    // `updated_at` moves with the materialised JSON, not with each log row: bumping
    // the document row on every commit re-indexed it (GIN included) and stalled acks.
    let after = store.document(a).await.expect("a").updated_at;
    assert_eq!(after, before, "append leaves the document row alone");
}

async fn append_for_unknown_document_drops_only_its_rows(store: Db) {
    let ws = workspace(&store).await;
    let a = store
        .create_document(prompt(ws, "A", &[], ""))
        .await
        .expect("a")
        .id;
    let ghost = DocId::new();

    let result = store
        .append_updates(&[update(a, "a1"), update(ghost, "x")])
        .await;
    // The ghost's rows are dropped; the real document's are stored.
    let written = result.expect("the batch is stored");
    assert_eq!(written.len(), 1);
    assert_eq!(written[0].0, a);
    assert_eq!(store.load_state(a).await.expect("a").updates.len(), 1);
}

/// Real yrs edits of one client appending `parts` to the text, one update each.
fn text_updates(parts: &[&str]) -> Vec<Vec<u8>> {
    text_updates_by(7, parts)
}

/// [`text_updates`] by the yrs client `client`.
fn text_updates_by(client: u64, parts: &[&str]) -> Vec<Vec<u8>> {
    use yrs::{ReadTxn, Text, Transact};
    let doc = yrs::Doc::with_client_id(client);
    let text = doc.get_or_insert_text("content");
    parts
        .iter()
        .map(|part| {
            let before = doc.transact().state_vector();
            let len = text.len(&doc.transact());
            text.insert(&mut doc.transact_mut(), len, part);
            doc.transact().encode_state_as_update_v1(&before)
        })
        .collect()
}

/// The text a stored snapshot holds.
fn snapshot_text(snapshot: &[u8]) -> String {
    use yrs::{GetString, Transact};
    let doc = yrs::Doc::new();
    rocqet_crdt::apply_update(&doc, snapshot).expect("snapshot decodes");
    let text = doc.get_or_insert_text("content");
    text.get_string(&doc.transact())
}

fn real_update(doc: DocId, data: &[u8]) -> PendingUpdate {
    PendingUpdate {
        doc_id: doc,
        data: data.to_vec().into(),
    }
}

async fn compact_keeps_later_updates(store: Db) {
    let ws = workspace(&store).await;
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
    let edits = text_updates(&["1", "2", "3", "4"]);

    let first = store
        .append_updates(&[
            real_update(doc, &edits[0]),
            update(other, "o1"),
            real_update(doc, &edits[1]),
        ])
        .await
        .expect("append");
    let through = first[0].1;
    store
        .append_updates(&[real_update(doc, &edits[2])])
        .await
        .expect("append");

    // The state handed in holds only "1": row "2" (another node's, say) is folded in
    // as it is deleted, and row "3", after `through`, stays in the log.
    store
        .compact(doc, &edits[0], through)
        .await
        .expect("compact");
    let state = store.load_state(doc).await.expect("load");
    assert_eq!(snapshot_text(&state.snapshot), "12");
    assert_eq!(state.updates, vec![edits[2].clone()]);

    // Other documents' logs are untouched.
    assert_eq!(
        store.load_state(other).await.expect("other").updates,
        vec![b"o1".to_vec()]
    );

    // Compacting everything empties the log; seqs are never reused afterwards.
    store
        .compact(doc, &state.snapshot, state.last_seq)
        .await
        .expect("compact all");
    let empty = store.load_state(doc).await.expect("load");
    assert_eq!(snapshot_text(&empty.snapshot), "123");
    assert_eq!((empty.updates.len(), empty.last_seq), (0, 0));
    let next = store
        .append_updates(&[real_update(doc, &edits[3])])
        .await
        .expect("append");
    assert!(next[0].1 > state.last_seq);

    // An unreadable state is refused rather than stored over a readable log.
    assert!(matches!(
        store.compact(doc, b"garbage", next[0].1).await,
        Err(StoreError::Corrupt(_))
    ));
    assert_eq!(store.load_state(doc).await.expect("load").updates.len(), 1);

    assert!(matches!(
        store.compact(DocId::new(), b"x", 1).await,
        Err(StoreError::NotFound)
    ));
}

/// Two nodes that never saw each other's edit (Redis down) compact one after the
/// other: the second keeps what the first folded into the snapshot.
async fn compactions_by_two_nodes_keep_both(store: Db) {
    let ws = workspace(&store).await;
    let doc = store
        .create_document(prompt(ws, "Two nodes", &[], ""))
        .await
        .expect("create")
        .id;
    let on_a = text_updates_by(1, &["A"]);
    let on_b = text_updates_by(2, &["B"]);
    let a = store
        .append_updates(&[real_update(doc, &on_a[0])])
        .await
        .expect("append a")[0]
        .1;
    store.compact(doc, &on_a[0], a).await.expect("a compacts");
    let b = store
        .append_updates(&[real_update(doc, &on_b[0])])
        .await
        .expect("append b")[0]
        .1;
    store.compact(doc, &on_b[0], b).await.expect("b compacts");
    let state = store.load_state(doc).await.expect("load");
    let text = snapshot_text(&state.snapshot);
    assert!(state.updates.is_empty());
    assert!(
        text.contains('A') && text.contains('B'),
        "both edits kept: {text:?}"
    );
}

async fn save_materialised_updates_search(store: Db) {
    let ws = workspace(&store).await;
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
    // The index follows the save: the old title no longer matches.
    query.q = Some("untitled".into());
    assert!(titles(&store, &query).await.is_empty());
    // The last word is a prefix ("summ" finds "Summarise"); earlier ones are whole words.
    query.q = Some("summ".into());
    assert_eq!(titles(&store, &query).await, vec!["Quarterly Report"]);
    query.q = Some("summ numbers".into());
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

async fn search_treats_syntax_as_text(store: Db) {
    let ws = workspace(&store).await;
    for (title, content) in [
        ("100% sure", ""),
        ("1000 sure", ""),
        ("snake_case", ""),
        ("snakeXcase", ""),
        ("Cats and dogs", "they live nearby"),
        ("Quoted", r#"say "hi" -- or 'bye' (NEAR) a*b title:x"#),
    ] {
        store
            .create_document(prompt(ws, title, &[], content))
            .await
            .expect("create");
    }
    let mut query = list(ws, DocKind::Prompt);
    query.sort = SortOrder::TitleAsc;

    for (q, expected) in [
        // Wildcards of LIKE, FTS5 and tsquery are separators, never operators.
        ("100% sure", &["100% sure"][..]),
        ("100%", &["100% sure", "1000 sure"][..]),
        ("snake_case", &["snake_case"][..]),
        ("e_c", &[][..]),
        ("0%", &[][..]),
        ("s%e", &[][..]),
        ("AND", &["Cats and dogs"][..]),
        ("cats AND", &["Cats and dogs"][..]),
        ("NEAR(", &["Cats and dogs", "Quoted"][..]),
        ("\"hi", &["Quoted"][..]),
        ("-bye", &["Quoted"][..]),
        ("a*b", &["Quoted"][..]),
        ("title:x", &["Quoted"][..]),
        ("sure -1000", &["1000 sure"][..]),
        ("hi OR zebra", &[][..]),
    ] {
        query.q = Some(q.into());
        assert_eq!(titles(&store, &query).await, expected, "q={q:?}");
    }

    // Input that is nothing but syntax matches nothing, and never errors.
    for q in [
        "\"",
        "*",
        "-",
        "%",
        "_",
        "(",
        ")",
        "NEAR(",
        "'",
        "\\",
        ":*",
        "!",
        "&",
        "|",
        "<->",
        "^",
        "\"\"",
        "''",
        "\u{0}",
        "{{}}",
        "AND OR NOT",
        "a:* & !b",
        "x' | 'y",
        "NEAR(a b, 2)",
    ] {
        query.q = Some(q.into());
        let found = store.list_documents(&query).await;
        assert!(found.is_ok(), "q={q:?}: {found:?}");
    }
    for q in [
        "\"", "*", "-", "%", "_", "(", "'", "\\", ":*", "<->", "{{}}",
    ] {
        query.q = Some(q.into());
        assert!(titles(&store, &query).await.is_empty(), "q={q:?}");
    }
}

async fn search_finds_description_and_content_words(store: Db) {
    let ws = workspace(&store).await;
    store
        .create_document(described(
            ws,
            "Alpha",
            "Summarises invoices",
            "Hello {{name}}",
        ))
        .await
        .expect("alpha");
    store
        .create_document(described(
            ws,
            "Beta",
            "",
            "Translate the invoice into French",
        ))
        .await
        .expect("beta");
    let gone = store
        .create_document(described(ws, "Gamma", "invoices too", "invoice"))
        .await
        .expect("gamma");
    store.delete_document(gone.id).await.expect("delete");

    let mut query = list(ws, DocKind::Prompt);
    query.sort = SortOrder::TitleAsc;
    for (q, expected) in [
        ("summarises", &["Alpha"][..]),
        ("INVOICE", &["Alpha", "Beta"][..]),
        ("invoices", &["Alpha"][..]),
        ("name", &["Alpha"][..]),
        ("french", &["Beta"][..]),
        ("translate invoice", &["Beta"][..]),
        ("invoice translate", &["Beta"][..]),
        ("invoices translate", &[][..]),
        ("fren", &["Beta"][..]),
        ("too", &[][..]),
        ("gamma", &[][..]),
    ] {
        query.q = Some(q.into());
        assert_eq!(titles(&store, &query).await, expected, "q={q:?}");
    }
}

async fn tag_filter(store: Db) {
    let ws = workspace(&store).await;
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
    let ws = workspace(&store).await;
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
    let ws = workspace(&store).await;
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
    let ws = workspace(&store).await;
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

/// Every page of `query` at `limit`, concatenated; checks page sizes and that it ends.
async fn page_through(store: &Db, query: &ListQuery, limit: u32) -> (Vec<DocId>, usize) {
    let mut query = query.clone();
    query.limit = limit;
    query.cursor = None;
    let mut ids = Vec::new();
    let mut pages = 0;
    loop {
        let page = store.list_documents(&query).await.expect("page");
        assert!(page.items.len() <= limit as usize);
        ids.extend(page.items.iter().map(|d| d.id));
        pages += 1;
        assert!(pages <= 100, "pagination does not end");
        match page.next_cursor {
            Some(cursor) => query.cursor = Some(cursor),
            None => return (ids, pages),
        }
    }
}

async fn search_pagination_returns_each_match_once(store: Db) {
    let ws = workspace(&store).await;
    let mut matching = HashSet::new();
    // Duplicate titles (ties on the title key), and matches through each of
    // title, description and content.
    for (title, description, content) in [
        ("Report", "", ""),
        ("report", "", ""),
        ("Report", "monthly", ""),
        ("Weekly", "the report", ""),
        ("Daily", "", "write a REPORT about {{x}}"),
        ("REPORT", "", "reporting"),
        ("Zeta", "", "reports"),
        ("a", "", "report"),
    ] {
        let doc = store
            .create_document(described(ws, title, description, content))
            .await
            .expect("create");
        matching.insert(doc.id);
    }
    for (title, content) in [("Other", "nothing"), ("Repo", "rep"), ("Also", "port")] {
        store
            .create_document(described(ws, title, "", content))
            .await
            .expect("create");
    }
    let gone = store
        .create_document(described(ws, "Report", "", "deleted"))
        .await
        .expect("create");
    store.delete_document(gone.id).await.expect("delete");
    // A later save changes `updated_at` order and keeps the match.
    let first = matching.iter().next().copied().expect("one");
    let m = store.document(first).await.expect("get").materialised;
    store.save_materialised(first, &m).await.expect("save");

    for sort in [
        SortOrder::UpdatedDesc,
        SortOrder::CreatedAsc,
        SortOrder::CreatedDesc,
        SortOrder::TitleAsc,
    ] {
        let mut query = list(ws, DocKind::Prompt);
        query.sort = sort;
        query.q = Some("report".into());
        let all: Vec<DocId> = store
            .list_documents(&query)
            .await
            .expect("all")
            .items
            .iter()
            .map(|d| d.id)
            .collect();
        assert_eq!(
            all.iter().copied().collect::<HashSet<_>>(),
            matching,
            "{sort:?}"
        );
        assert_eq!(all.len(), matching.len(), "{sort:?}: no duplicates");

        for limit in [1, 2, 3, 8] {
            let (paged, pages) = page_through(&store, &query, limit).await;
            assert_eq!(
                paged, all,
                "{sort:?}, limit {limit}: same order as one listing"
            );
            assert_eq!(
                pages,
                matching.len().div_ceil(limit as usize),
                "{sort:?}, limit {limit}"
            );
        }
        query.q = Some("reports".into());
        let (only, _) = page_through(&store, &query, 1).await;
        assert_eq!(only.len(), 1, "{sort:?}");
        // Nothing-but-syntax pages are empty and end at once.
        query.q = Some("%_*".into());
        assert_eq!(page_through(&store, &query, 2).await, (Vec::new(), 1));
        // A bad cursor is refused whatever `q` is.
        for q in ["report", "%_*"] {
            query.q = Some(q.into());
            query.cursor = Some("garbage".into());
            assert!(matches!(
                store.list_documents(&query).await,
                Err(StoreError::InvalidCursor)
            ));
            query.cursor = None;
        }
    }
}

async fn invalid_cursor_is_rejected(store: Db) {
    let ws = workspace(&store).await;
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
        let ws = workspace(&store).await;
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
        let ws = workspace(&db.store().await).await;
        let again = rocqet_server::store::connect(db.url())
            .await
            .expect("reconnect");
        let found = again.workspace(&ws.to_string()).await.expect("again");
        assert_eq!(found.id, ws);
    }
}
