-- Identity: users, refresh tokens, memberships, invites and the audit log.
-- Same conventions as 0001: ids are 16-byte BLOBs, timestamps RFC 3339 UTC
-- TEXT with six fractional digits and `Z`, JSON is TEXT.

CREATE TABLE users (
    id                  BLOB PRIMARY KEY NOT NULL,
    -- Normalised (trimmed, lowercased) by the server before it gets here.
    email               TEXT NOT NULL UNIQUE,
    name                TEXT NOT NULL,
    password_hash       TEXT NOT NULL,  -- argon2 PHC string
    -- Access tokens issued before this instant are refused ("log out everywhere").
    sessions_revoked_at TEXT,
    created_at          TEXT NOT NULL
);

-- Only the SHA-256 of a refresh token is stored. A token is live while
-- `used_at` and `revoked_at` are both NULL and it has not expired.
CREATE TABLE refresh_tokens (
    token_hash TEXT PRIMARY KEY NOT NULL,
    user_id    BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    -- Every token rotated from one login shares its family; reuse revokes it whole.
    family_id  BLOB NOT NULL,
    expires_at TEXT NOT NULL,
    created_at TEXT NOT NULL,
    used_at    TEXT,  -- rotated away
    revoked_at TEXT   -- logout, reuse detected, or sessions revoked
);

CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_user ON refresh_tokens (user_id);

CREATE TABLE memberships (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id),
    user_id      BLOB NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
    created_at   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, user_id)
);

CREATE INDEX memberships_user ON memberships (user_id);

-- An email invited before it has an account; turned into a membership when
-- that email registers.
CREATE TABLE invites (
    workspace_id BLOB NOT NULL REFERENCES workspaces (id),
    email        TEXT NOT NULL,  -- normalised like users.email
    role         TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'viewer')),
    invited_by   BLOB REFERENCES users (id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    PRIMARY KEY (workspace_id, email)
);

CREATE INDEX invites_email ON invites (email);

-- No foreign keys: entries outlive the workspace, user or document they name.
CREATE TABLE audit_log (
    id           BLOB PRIMARY KEY NOT NULL,
    workspace_id BLOB,
    actor        BLOB,
    action       TEXT NOT NULL,  -- dotted verb, e.g. `member.add`
    target_kind  TEXT NOT NULL,
    target_id    TEXT,
    ip           TEXT,
    user_agent   TEXT,
    details      TEXT NOT NULL DEFAULT '{}',  -- JSON; never secrets or bodies
    at           TEXT NOT NULL
);

-- The audit listing: one workspace, newest first.
CREATE INDEX audit_log_workspace ON audit_log (workspace_id, at DESC, id DESC);
