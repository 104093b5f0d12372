-- Schema version 1: accounts.
CREATE TABLE IF NOT EXISTS accounts (
    name_key      TEXT PRIMARY KEY,  -- the name in lower case
    name          TEXT NOT NULL,     -- as first registered
    password_hash TEXT NOT NULL,     -- argon2id PHC string
    first_login   TEXT NOT NULL,     -- UTC, YYYY-MM-DD HH:MM:SS
    last_login    TEXT NOT NULL,
    total_ms      INTEGER NOT NULL DEFAULT 0  -- finished sessions, milliseconds
);
