-- Catalog objects, every version kept (issue 13). Rows are only ever inserted: an update is a
-- new version, a delete a tombstone (deleted = TRUE, empty body).
-- Text columns use the "C" collation so (kind, id) order is byte order, the same as SQLite's
-- and Rust's, whatever the server's locale: page tokens then mean the same on both engines.
CREATE TABLE catalog_revisions (
    -- Global commit order, for changes_since. Writes hold one transaction-level advisory lock,
    -- so seq values commit in increasing order and a reader never skips a late commit.
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    version BIGINT NOT NULL CHECK (version >= 1),
    etag TEXT NOT NULL,
    body TEXT NOT NULL,
    as_of_date TEXT NOT NULL DEFAULT '',
    created_at_ms BIGINT NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    -- The last word on version numbering: two writers can never both create version n.
    UNIQUE (kind, id, version)
);

-- The latest version of each object (live or tombstone): what a precondition checks, what the
-- count limit counts, and what list_latest pages over by (kind, id).
CREATE TABLE catalog_heads (
    kind TEXT COLLATE "C" NOT NULL,
    id TEXT COLLATE "C" NOT NULL,
    version BIGINT NOT NULL,
    etag TEXT NOT NULL,
    deleted BOOLEAN NOT NULL,
    PRIMARY KEY (kind, id)
);
