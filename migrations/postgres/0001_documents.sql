-- Workspaces, documents and the append-only update log.

CREATE TABLE workspaces (
    id         UUID PRIMARY KEY,
    slug       TEXT NOT NULL UNIQUE,
    name       TEXT NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE TABLE documents (
    id           UUID PRIMARY KEY,
    workspace_id UUID NOT NULL REFERENCES workspaces (id),
    kind         TEXT NOT NULL CHECK (kind IN ('prompt', 'model')),
    -- Compacted CRDT state (one Yjs v1 update).
    state        BYTEA NOT NULL,
    -- Materialised JSON of the state, for listing and search.
    materialised JSONB NOT NULL,
    -- Derived from `materialised` by the store:
    title        TEXT NOT NULL DEFAULT '',               -- prompt title or model name
    title_key    TEXT COLLATE "C" NOT NULL DEFAULT '',   -- lowercased title: the sort key (byte order, as on SQLite)
    search_text  TEXT NOT NULL DEFAULT '',               -- lowercased title, description, content, field names
    tags         JSONB NOT NULL DEFAULT '[]'::jsonb,     -- JSON array of strings
    version      BIGINT NOT NULL DEFAULT 0,
    created_at   TIMESTAMPTZ NOT NULL,
    updated_at   TIMESTAMPTZ NOT NULL,
    deleted_at   TIMESTAMPTZ
);

-- One index per sort order of the listing, live rows only.
CREATE INDEX documents_updated ON documents (workspace_id, kind, updated_at DESC, id DESC)
    WHERE deleted_at IS NULL;
CREATE INDEX documents_created ON documents (workspace_id, kind, created_at, id)
    WHERE deleted_at IS NULL;
CREATE INDEX documents_title ON documents (workspace_id, kind, title_key, id)
    WHERE deleted_at IS NULL;
CREATE INDEX documents_tags ON documents USING GIN (tags jsonb_path_ops);

CREATE TABLE doc_updates (
    seq        BIGSERIAL PRIMARY KEY,
    doc_id     UUID NOT NULL REFERENCES documents (id),
    data       BYTEA NOT NULL,
    created_at TIMESTAMPTZ NOT NULL
);

CREATE INDEX doc_updates_doc_seq ON doc_updates (doc_id, seq);
