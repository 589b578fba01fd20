-- Full-text search for the document listing's `q`.
--
-- `search_tsv` holds the distinct words of `search_text` as lexemes. The
-- store computes them in Rust (`Derived::search_words`: runs of letters and
-- digits, lowercased) and writes them with `array_to_tsvector`, so no text
-- search parser or locale is involved and both backends split text the same
-- way. Queries are `tsquery` literals built the same way (`derived::tsquery`),
-- the last word a prefix.

ALTER TABLE documents ADD COLUMN search_tsv TSVECTOR NOT NULL DEFAULT ''::tsvector;

-- Existing rows, approximately (split on ASCII non-alphanumerics; long words
-- dropped); the next save of each document writes the exact words.
UPDATE documents SET search_tsv = array_to_tsvector(ARRAY(
    SELECT DISTINCT w
    FROM regexp_split_to_table(search_text, '[\x01-\x2f\x3a-\x40\x5b-\x60\x7b-\x7f[:space:]]+') AS w
    WHERE w <> '' AND octet_length(w) <= 256
));

CREATE INDEX documents_search ON documents USING GIN (search_tsv);
