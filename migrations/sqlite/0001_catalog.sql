-- Catalog objects, every version kept (issue 13). Rows are only ever inserted: an update is a
-- new version, a delete a tombstone (deleted = 1, empty body).
CREATE TABLE catalog_revisions (
    -- Global commit order, for changes_since. AUTOINCREMENT: never reused.
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL CHECK (version >= 1),
    etag TEXT NOT NULL,
    body TEXT NOT NULL,
    as_of_date TEXT NOT NULL DEFAULT '',
    created_at_ms INTEGER NOT NULL,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    -- The last word on version numbering: two writers can never both create version n.
    UNIQUE (kind, id, version)
);

-- The latest version of each object (live or tombstone): what a precondition checks, what the
-- count limit counts, and what list_latest pages over by (kind, id).
CREATE TABLE catalog_heads (
    kind TEXT NOT NULL,
    id TEXT NOT NULL,
    version INTEGER NOT NULL,
    etag TEXT NOT NULL,
    deleted BOOLEAN NOT NULL,
    PRIMARY KEY (kind, id)
);
