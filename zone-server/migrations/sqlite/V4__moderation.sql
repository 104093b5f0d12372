-- Schema version 4: bans, kicks and mutes, warnings, chat channels, and the
-- time of the last logout (?seen).
-- audit_repeated looks up the newest row of one actor and action.
CREATE INDEX IF NOT EXISTS audit_by_action ON audit (by_name, action, id);
CREATE TABLE IF NOT EXISTS sanctions (
    name_key TEXT NOT NULL,
    name     TEXT NOT NULL,
    kind     TEXT NOT NULL,     -- ban, kick (a ?kick -t), mute
    until    INTEGER,           -- Unix seconds; NULL until lifted
    reason   TEXT NOT NULL,
    by_name  TEXT NOT NULL,
    at       INTEGER NOT NULL,  -- Unix seconds
    PRIMARY KEY (name_key, kind)
);
CREATE TABLE IF NOT EXISTS warnings (
    id       INTEGER PRIMARY KEY AUTOINCREMENT,
    name_key TEXT NOT NULL,
    name     TEXT NOT NULL,
    text     TEXT NOT NULL,
    by_name  TEXT NOT NULL,
    at       INTEGER NOT NULL   -- Unix seconds
);
CREATE INDEX IF NOT EXISTS warnings_by_name ON warnings (name_key, id);
CREATE TABLE IF NOT EXISTS channels (
    name_key TEXT PRIMARY KEY,
    list     TEXT NOT NULL      -- channel names, comma-separated, in order
);
ALTER TABLE accounts ADD COLUMN last_logout TEXT;
