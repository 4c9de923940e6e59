-- Row-level security is PostgreSQL's; SQLite has none to force. This
-- migration keeps the two trees paired by name.
SELECT 1;
