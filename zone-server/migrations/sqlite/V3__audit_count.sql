-- Schema version 3: repeated audit rows (failed logins) counted in one row.
ALTER TABLE audit ADD COLUMN count INTEGER NOT NULL DEFAULT 1;  -- times in its window
