-- Workspaces, documents and the append-only update log.
-- Ids are UUIDs stored as 16-byte BLOBs (memcmp order = PostgreSQL uuid order);
-- timestamps are RFC 3339 UTC TEXT with exactly six fractional digits and a
-- trailing `Z` ("2026-01-02T03:04:05.123456Z"), so text order is time order.

CREATE TABLE workspaces (
    id         BLOB PRIMARY KEY NOT NULL,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at TEXT NOT NULL
);

CREATE TABLE documents (
    id           BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB NOT NULL REFERENCES workspaces (id),
    kind         TEXT NOT NULL CHECK (kind IN ('prompt', 'model')),
    -- Compacted CRDT state (one Yjs v1 update).
    state        BLOB NOT NULL,
    -- Materialised JSON of the state, for listing and search.
    materialised TEXT NOT NULL,
    -- Derived from `materialised` by the store:
    title        TEXT NOT NULL DEFAULT '',   -- prompt title or model name
    title_key    TEXT NOT NULL DEFAULT '',   -- lowercased title: the sort key (byte order)
    search_text  TEXT NOT NULL DEFAULT '',   -- lowercased title, description, content, field names
    tags         TEXT NOT NULL DEFAULT '[]', -- JSON array of strings
    version      INTEGER NOT NULL DEFAULT 0,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL,
    deleted_at   TEXT
);

-- One index per sort order of the listing, live rows only.
CREATE INDEX documents_updated ON documents (workspace_id, kind, updated_at DESC, id DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX documents_created ON documents (workspace_id, kind, created_at, id)
    WHERE deleted_at IS NULL;
CREATE INDEX documents_title ON documents (workspace_id, kind, title_key, id)
    WHERE deleted_at IS NULL;

CREATE TABLE doc_updates (
    -- AUTOINCREMENT: a seq is never reused, even after compaction deletes the newest rows.
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    doc_id     BLOB NOT NULL REFERENCES documents (id),
    data       BLOB NOT NULL,
    created_at TEXT NOT NULL
);

CREATE INDEX doc_updates_doc_seq ON doc_updates (doc_id, seq);
