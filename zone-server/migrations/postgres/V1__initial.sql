-- The zone network's shared store (DESIGN §11), version 1: what a single
-- zone's SQLite schema version 5 holds. Times are timestamptz (UTC);
-- sanction and warning times are Unix seconds, as in SQLite.
CREATE TABLE accounts (
    name_key             TEXT PRIMARY KEY,   -- the name in lower case
    name                 TEXT NOT NULL,      -- as first registered
    password_hash        TEXT NOT NULL,      -- argon2id PHC string
    first_login          TIMESTAMPTZ NOT NULL,
    last_login           TIMESTAMPTZ NOT NULL,
    last_logout          TIMESTAMPTZ,
    total_ms             BIGINT NOT NULL DEFAULT 0,  -- finished sessions
    must_change_password BOOLEAN NOT NULL DEFAULT FALSE
);
-- Write order of edits, for a stable replay.
CREATE SEQUENCE edit_seq;
CREATE TABLE rule_edits (
    player_group TEXT NOT NULL,
    rule_key     TEXT NOT NULL,      -- usage, usage:player, *warn
    effect       TEXT,               -- grant, deny, or NULL for revoked
    by_name      TEXT NOT NULL,
    at           TIMESTAMPTZ NOT NULL,
    seq          BIGINT NOT NULL DEFAULT nextval('edit_seq'),
    PRIMARY KEY (player_group, rule_key)
);
CREATE TABLE memberships (
    name_key     TEXT NOT NULL,
    name         TEXT NOT NULL,
    realm        TEXT NOT NULL,      -- lower case; '' for zone-wide
    player_group TEXT,               -- NULL for removed
    by_name      TEXT NOT NULL,
    at           TIMESTAMPTZ NOT NULL,
    seq          BIGINT NOT NULL DEFAULT nextval('edit_seq'),
    PRIMARY KEY (name_key, realm)
);
CREATE TABLE audit (
    id      BIGSERIAL PRIMARY KEY,
    at      TIMESTAMPTZ NOT NULL,
    by_name TEXT NOT NULL,
    action  TEXT NOT NULL,
    count   INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX audit_by_action ON audit (by_name, action, id);
CREATE TABLE sanctions (
    name_key TEXT NOT NULL,
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL,          -- ban, kick, mute
    until    BIGINT,                 -- Unix seconds; NULL until lifted
    reason   TEXT NOT NULL,
    by_name  TEXT NOT NULL,
    at       BIGINT NOT NULL,
    PRIMARY KEY (name_key, kind)
);
CREATE TABLE warnings (
    id       BIGSERIAL PRIMARY KEY,
    name_key TEXT NOT NULL,
    name     TEXT NOT NULL,
    text     TEXT NOT NULL,
    by_name  TEXT NOT NULL,
    at       BIGINT NOT NULL
);
CREATE INDEX warnings_by_name ON warnings (name_key, id);
CREATE TABLE channels (
    name_key TEXT PRIMARY KEY,
    list     TEXT NOT NULL           -- comma-separated, in order
);
CREATE TABLE ignores (
    name_key    TEXT NOT NULL,
    ignored_key TEXT NOT NULL,
    ignored     TEXT NOT NULL,
    seq         BIGSERIAL,
    PRIMARY KEY (name_key, ignored_key)
);
CREATE TABLE messages (
    id        BIGSERIAL PRIMARY KEY,
    to_key    TEXT NOT NULL,
    from_name TEXT NOT NULL,
    text      TEXT NOT NULL,
    at        TIMESTAMPTZ NOT NULL
);
CREATE INDEX messages_to ON messages (to_key, id);
CREATE TABLE message_quota (
    from_key TEXT NOT NULL,
    day      BIGINT NOT NULL,        -- days since 1970, UTC
    count    INTEGER NOT NULL,
    PRIMARY KEY (from_key, day)
);
