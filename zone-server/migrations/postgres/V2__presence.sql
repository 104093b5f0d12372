-- Version 2: the zones of the network and who is online where (DESIGN §11).
-- A zone whose heartbeat is older than a few seconds is gone (killed, or cut
-- off): its presence rows are not counted.
CREATE TABLE zones (
    instance  TEXT PRIMARY KEY,      -- the zone's name and a per-run tag
    name      TEXT NOT NULL,         -- the zone's name, as players see it
    heartbeat TIMESTAMPTZ NOT NULL
);
CREATE TABLE presence (
    name_key TEXT PRIMARY KEY,       -- online in one zone at a time
    name     TEXT NOT NULL,
    instance TEXT NOT NULL,
    realm    TEXT,                   -- NULL: in no realm
    since    TIMESTAMPTZ NOT NULL
);
CREATE INDEX presence_by_zone ON presence (instance);
