-- Row-level security binds the tables' owner too (FORCE), so code that
-- connects as the owner and forgets to switch to latchkey_app sees no tenant's
-- rows instead of every tenant's. Superusers and BYPASSRLS roles still bypass
-- it: run the server as an ordinary role that owns the tables.
--
-- The few reads across tenants that the installation needs (the seat count,
-- claiming due key rotations and webhook deliveries, the trigram view) are
-- no longer the owner's: they belong to latchkey_cross_tenant, a role nobody
-- logs in as, whose own policies show it every row of exactly the tables
-- those functions and that view read. A migration that must rewrite rows of
-- every tenant runs `ALTER TABLE … NO FORCE ROW LEVEL SECURITY` inside its
-- transaction and forces it again before it ends.
DO $$
BEGIN
    CREATE ROLE latchkey_cross_tenant NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

-- Handing an object to a role needs membership in it (superusers have it).
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       AND NOT pg_has_role(current_user, 'latchkey_cross_tenant', 'MEMBER') THEN
        EXECUTE format('GRANT latchkey_cross_tenant TO %I', current_user);
    END IF;
EXCEPTION WHEN unique_violation THEN NULL;
END
$$;

GRANT USAGE ON SCHEMA public TO latchkey_cross_tenant;
GRANT SELECT ON users TO latchkey_cross_tenant;
GRANT SELECT, UPDATE ON key_rotation_schedules, audit_webhooks TO latchkey_cross_tenant;

CREATE POLICY cross_tenant ON users FOR SELECT TO latchkey_cross_tenant USING (true);
CREATE POLICY cross_tenant ON key_rotation_schedules TO latchkey_cross_tenant
    USING (true) WITH CHECK (true);
CREATE POLICY cross_tenant ON audit_webhooks TO latchkey_cross_tenant
    USING (true) WITH CHECK (true);

-- `search_path = public` searches pg_temp first for tables, so a temporary
-- table named `users` would stand in for the real one inside a SECURITY
-- DEFINER function. pg_temp goes last, where it cannot shadow anything.
ALTER FUNCTION latchkey_seats_in_use()
    SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION latchkey_claim_key_rotations(TIMESTAMP, INTEGER, INTEGER)
    SET search_path = pg_catalog, public, pg_temp;
ALTER FUNCTION latchkey_claim_audit_webhooks(TIMESTAMP, INTEGER, INTEGER)
    SET search_path = pg_catalog, public, pg_temp;

-- A new owner needs CREATE on the schema at the moment it takes an object
-- over, and no longer.
GRANT CREATE ON SCHEMA public TO latchkey_cross_tenant;
ALTER VIEW user_name_search OWNER TO latchkey_cross_tenant;
ALTER FUNCTION latchkey_seats_in_use() OWNER TO latchkey_cross_tenant;
ALTER FUNCTION latchkey_claim_key_rotations(TIMESTAMP, INTEGER, INTEGER) OWNER TO latchkey_cross_tenant;
ALTER FUNCTION latchkey_claim_audit_webhooks(TIMESTAMP, INTEGER, INTEGER) OWNER TO latchkey_cross_tenant;
REVOKE CREATE ON SCHEMA public FROM latchkey_cross_tenant;

-- A member of a role is bound by that role's policies: the owner gives the
-- membership back, or the cross-tenant policies would show it every row.
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('REVOKE latchkey_cross_tenant FROM %I', current_user);
    END IF;
END
$$;

ALTER TABLE api_tokens FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_events FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_webhooks FORCE ROW LEVEL SECURITY;
ALTER TABLE console_sessions FORCE ROW LEVEL SECURITY;
ALTER TABLE group_members FORCE ROW LEVEL SECURITY;
ALTER TABLE group_subgroups FORCE ROW LEVEL SECURITY;
ALTER TABLE groups FORCE ROW LEVEL SECURITY;
ALTER TABLE key_rotation_schedules FORCE ROW LEVEL SECURITY;
ALTER TABLE scim_requests FORCE ROW LEVEL SECURITY;
ALTER TABLE signing_keys FORCE ROW LEVEL SECURITY;
ALTER TABLE tenant_admins FORCE ROW LEVEL SECURITY;
ALTER TABLE user_profiles FORCE ROW LEVEL SECURITY;
ALTER TABLE user_values FORCE ROW LEVEL SECURITY;
ALTER TABLE users FORCE ROW LEVEL SECURITY;
