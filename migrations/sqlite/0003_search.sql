-- Full-text search for the document listing's `q` (FTS5).
--
-- The index covers `documents.search_text` of live documents and is kept in
-- sync by the triggers below, so every write path (and a bulk delete) is
-- covered. `unicode61` splits on everything but letters and digits, as the
-- server splits queries (`derived::words`); diacritics are kept, as on
-- PostgreSQL ('simple' does not unaccent).
--
-- FTS5 rows are keyed by an integer rowid. `documents` has no INTEGER
-- PRIMARY KEY, and VACUUM may renumber an implicit rowid, so each document
-- gets a stable integer key in `document_search_keys`.

CREATE TABLE document_search_keys (
    key    INTEGER PRIMARY KEY,
    doc_id BLOB NOT NULL UNIQUE
);

-- Contentless (the text already lives in `documents.search_text`), with
-- delete by rowid (`contentless_delete`, SQLite >= 3.43).
CREATE VIRTUAL TABLE documents_fts USING fts5 (
    body,
    content = '',
    contentless_delete = 1,
    tokenize = 'unicode61 remove_diacritics 0'
);

INSERT INTO document_search_keys (doc_id) SELECT id FROM documents ORDER BY created_at, id;
INSERT INTO documents_fts (rowid, body)
    SELECT k.key, d.search_text
    FROM document_search_keys k JOIN documents d ON d.id = k.doc_id
    WHERE d.deleted_at IS NULL;

CREATE TRIGGER documents_search_insert AFTER INSERT ON documents
BEGIN
    INSERT INTO document_search_keys (doc_id) VALUES (new.id);
    INSERT INTO documents_fts (rowid, body)
        SELECT key, new.search_text FROM document_search_keys
        WHERE doc_id = new.id AND new.deleted_at IS NULL;
END;

CREATE TRIGGER documents_search_update AFTER UPDATE OF search_text, deleted_at ON documents
WHEN old.search_text IS NOT new.search_text OR old.deleted_at IS NOT new.deleted_at
BEGIN
    DELETE FROM documents_fts
        WHERE rowid = (SELECT key FROM document_search_keys WHERE doc_id = old.id);
    INSERT INTO documents_fts (rowid, body)
        SELECT key, new.search_text FROM document_search_keys
        WHERE doc_id = new.id AND new.deleted_at IS NULL;
END;

CREATE TRIGGER documents_search_delete AFTER DELETE ON documents
BEGIN
    DELETE FROM documents_fts
        WHERE rowid = (SELECT key FROM document_search_keys WHERE doc_id = old.id);
    DELETE FROM document_search_keys WHERE doc_id = old.id;
END;
