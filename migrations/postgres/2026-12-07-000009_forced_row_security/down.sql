ALTER TABLE api_tokens NO FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_events NO FORCE ROW LEVEL SECURITY;
ALTER TABLE audit_webhooks NO FORCE ROW LEVEL SECURITY;
ALTER TABLE console_sessions NO FORCE ROW LEVEL SECURITY;
ALTER TABLE group_members NO FORCE ROW LEVEL SECURITY;
ALTER TABLE group_subgroups NO FORCE ROW LEVEL SECURITY;
ALTER TABLE groups NO FORCE ROW LEVEL SECURITY;
ALTER TABLE key_rotation_schedules NO FORCE ROW LEVEL SECURITY;
ALTER TABLE scim_requests NO FORCE ROW LEVEL SECURITY;
ALTER TABLE signing_keys NO FORCE ROW LEVEL SECURITY;
ALTER TABLE tenant_admins NO FORCE ROW LEVEL SECURITY;
ALTER TABLE user_profiles NO FORCE ROW LEVEL SECURITY;
ALTER TABLE user_values NO FORCE ROW LEVEL SECURITY;
ALTER TABLE users NO FORCE ROW LEVEL SECURITY;

-- Taking objects back from a role needs membership in it, for the moment.
DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('GRANT latchkey_cross_tenant TO %I', current_user);
    END IF;
    EXECUTE format('ALTER VIEW user_name_search OWNER TO %I', current_user);
    EXECUTE format('ALTER FUNCTION latchkey_seats_in_use() OWNER TO %I', current_user);
    EXECUTE format('ALTER FUNCTION latchkey_claim_key_rotations(TIMESTAMP, INTEGER, INTEGER) OWNER TO %I', current_user);
    EXECUTE format('ALTER FUNCTION latchkey_claim_audit_webhooks(TIMESTAMP, INTEGER, INTEGER) OWNER TO %I', current_user);
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN
        EXECUTE format('REVOKE latchkey_cross_tenant FROM %I', current_user);
    END IF;
END
$$;

ALTER FUNCTION latchkey_seats_in_use() SET search_path = public;
ALTER FUNCTION latchkey_claim_key_rotations(TIMESTAMP, INTEGER, INTEGER) SET search_path = public;
ALTER FUNCTION latchkey_claim_audit_webhooks(TIMESTAMP, INTEGER, INTEGER) SET search_path = public;

DROP POLICY cross_tenant ON users;
DROP POLICY cross_tenant ON key_rotation_schedules;
DROP POLICY cross_tenant ON audit_webhooks;
REVOKE ALL ON users, key_rotation_schedules, audit_webhooks FROM latchkey_cross_tenant;
REVOKE USAGE ON SCHEMA public FROM latchkey_cross_tenant;
