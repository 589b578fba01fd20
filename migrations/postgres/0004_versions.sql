-- Versions: numbered, immutable states of a document, and movable labels.
--
-- A version keeps the document's state vector when it was cut, the diff from
-- its parent (a Yjs v1 update holding everything the parent's state vector
-- lacks, plus the whole delete set), and every Nth version a full snapshot
-- (version 1 always). Any version is rebuilt from the nearest snapshot at or
-- before it plus the diffs after that snapshot (`rocqet_crdt::history`), never
-- from `doc_updates`, so compaction does not affect history.
--
-- Rows go with their document only when the document row itself is deleted
-- (workspace deletion): deleting a document is a soft delete and keeps them.

CREATE TABLE versions (
    doc_id        UUID NOT NULL REFERENCES documents (id) ON DELETE CASCADE,
    -- Per document, from 1, no gaps: the store inserts MAX(number) + 1 inside
    -- a transaction holding the document row lock, after checking the parent
    -- the cut was made against.
    number        BIGINT NOT NULL CHECK (number >= 1),
    kind          TEXT NOT NULL CHECK (kind IN ('auto', 'manual', 'restore')),
    message       TEXT,
    -- JSON array of user ids: who edited since the parent (the cutter first
    -- for manual and restore versions).
    authors       JSONB NOT NULL DEFAULT '[]'::jsonb,
    created_at    TIMESTAMPTZ NOT NULL,
    state_vector  BYTEA NOT NULL,
    diff          BYTEA NOT NULL,
    snapshot      BYTEA,
    -- The version a `restore` version brought back.
    restored_from BIGINT,
    PRIMARY KEY (doc_id, number)
);

-- One version per label per document; `latest` is implicit and never stored.
CREATE TABLE version_labels (
    doc_id     UUID NOT NULL,
    label      TEXT NOT NULL,
    number     BIGINT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (doc_id, label),
    FOREIGN KEY (doc_id, number) REFERENCES versions (doc_id, number) ON DELETE CASCADE
);

-- Labels of a page of versions.
CREATE INDEX version_labels_number ON version_labels (doc_id, number);
