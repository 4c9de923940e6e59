-- Substring search on user names (SCIM `userName co` and `ew`) through a
-- trigram index instead of testing every name of the tenant.
--
-- pg_trgm is a trusted extension: a database owner may create it without
-- being a superuser.
CREATE EXTENSION IF NOT EXISTS pg_trgm;

CREATE INDEX users_user_name_trigrams ON users USING gin (user_name_key gin_trgm_ops);

-- Under row-level security PostgreSQL cannot use that index: `LIKE` is not
-- leakproof, so it may not run before the policy's condition, and an index
-- condition would. This view belongs to the tables' owner, to whom the policy
-- does not apply, and applies the policy's condition itself: it shows the
-- bound tenant's rows and, with no tenant bound, none. It shows no more than
-- a user's id and lowercased name; queries join it back to `users` under the
-- policy for everything else.
--
-- The condition is written `(…) IS TRUE` (the same rows: a NULL setting
-- matches nothing) so that it is checked on the rows the trigram index finds
-- and never becomes an index condition itself: without statistics the
-- planner takes `tenant_id = …` for selective and would read every entry of
-- a big tenant's `(tenant_id, …)` index to intersect it with the matches.
CREATE VIEW user_name_search AS
    SELECT tenant_id, id, user_name_key
    FROM users
    WHERE (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex')) IS TRUE;

GRANT SELECT ON user_name_search TO latchkey_app;
