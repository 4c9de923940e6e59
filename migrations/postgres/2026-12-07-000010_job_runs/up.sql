-- A background job that must run once per period across every node of an
-- installation (the purge of unverified signups, for one) claims its period
-- here: the node whose update moves `next_run_at` past now runs it.
CREATE TABLE job_runs (
    name TEXT PRIMARY KEY,
    next_run_at TIMESTAMP NOT NULL
);

-- Installation-wide, like `tenants`: no tenant_id, no row-level security.
GRANT SELECT, INSERT, UPDATE ON job_runs TO latchkey_app;
