-- Schema version 5: one-time passwords, ignore lists and offline messages.
ALTER TABLE accounts ADD COLUMN must_change_password INTEGER NOT NULL DEFAULT 0;
CREATE TABLE IF NOT EXISTS ignores (
    name_key    TEXT NOT NULL,  -- who ignores, lower case
    ignored_key TEXT NOT NULL,  -- whom, lower case
    ignored     TEXT NOT NULL,  -- whom, as their account is named
    PRIMARY KEY (name_key, ignored_key)
);
CREATE TABLE IF NOT EXISTS messages (
    id        INTEGER PRIMARY KEY AUTOINCREMENT,
    to_key    TEXT NOT NULL,
    from_name TEXT NOT NULL,
    text      TEXT NOT NULL,
    at        TEXT NOT NULL     -- UTC, YYYY-MM-DD HH:MM:SS
);
CREATE INDEX IF NOT EXISTS messages_to ON messages (to_key, id);
-- Offline messages sent per sender and UTC day (days since 1970).
CREATE TABLE IF NOT EXISTS message_quota (
    from_key TEXT NOT NULL,
    day      INTEGER NOT NULL,
    count    INTEGER NOT NULL,
    PRIMARY KEY (from_key, day)
);
