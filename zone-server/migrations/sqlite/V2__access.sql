-- Schema version 2: runtime rule edits, memberships and the audit log.
CREATE TABLE IF NOT EXISTS rule_edits (
    player_group TEXT NOT NULL,
    rule_key     TEXT NOT NULL,     -- usage, usage:player, *warn
    effect       TEXT,              -- grant, deny, or NULL for revoked
    by_name      TEXT NOT NULL,
    at           TEXT NOT NULL,     -- UTC, YYYY-MM-DD HH:MM:SS
    PRIMARY KEY (player_group, rule_key)
);
CREATE TABLE IF NOT EXISTS memberships (
    name_key     TEXT NOT NULL,     -- the player's name in lower case
    name         TEXT NOT NULL,
    realm        TEXT NOT NULL,     -- lower case; '' for zone-wide
    player_group TEXT,              -- NULL for removed
    by_name      TEXT NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (name_key, realm)
);
CREATE TABLE IF NOT EXISTS audit (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    at      TEXT NOT NULL,
    by_name TEXT NOT NULL,
    action  TEXT NOT NULL
);
