-- The application role: owns nothing, is no superuser, cannot bypass row-level
-- security. Every pooled connection switches to it with SET ROLE. Roles are
-- cluster-wide, so creating it tolerates another database having done so.
DO $$
BEGIN
    CREATE ROLE latchkey_app NOLOGIN NOSUPERUSER NOBYPASSRLS NOINHERIT;
EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL;
END
$$;

DO $$
BEGIN
    IF NOT (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)
       AND NOT pg_has_role(current_user, 'latchkey_app', 'MEMBER') THEN
        EXECUTE format('GRANT latchkey_app TO %I', current_user);
    END IF;
EXCEPTION WHEN unique_violation THEN NULL;
END
$$;

CREATE TABLE tenants (
    id BYTEA PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    status TEXT NOT NULL,
    plan TEXT NOT NULL,
    -- The tenant's data key, sealed by the master key; NULL once shredded.
    wrapped_data_key BYTEA,
    master_key_id TEXT NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE platform_tokens (
    id BYTEA PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash BYTEA NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);

CREATE TABLE api_tokens (
    tenant_id BYTEA NOT NULL REFERENCES tenants (id),
    id BYTEA NOT NULL,
    name TEXT NOT NULL,
    kind TEXT NOT NULL,
    token_hash BYTEA NOT NULL,
    scopes TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash)
);

CREATE TABLE users (
    tenant_id BYTEA NOT NULL REFERENCES tenants (id),
    id BYTEA NOT NULL,
    user_name TEXT NOT NULL,
    -- Lowercased user_name: uniqueness and lookups ignore case (SCIM caseExact=false).
    user_name_key TEXT NOT NULL,
    external_id TEXT,
    kind TEXT NOT NULL,
    email TEXT,
    display_name TEXT,
    given_name TEXT,
    family_name TEXT,
    active BOOLEAN NOT NULL,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, user_name_key)
);
CREATE INDEX users_external_id ON users (tenant_id, external_id);

CREATE TABLE groups (
    tenant_id BYTEA NOT NULL REFERENCES tenants (id),
    id BYTEA NOT NULL,
    display_name TEXT NOT NULL,
    display_name_key TEXT NOT NULL,
    external_id TEXT,
    version BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, display_name_key)
);

CREATE TABLE group_members (
    tenant_id BYTEA NOT NULL,
    group_id BYTEA NOT NULL,
    user_id BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, group_id, user_id),
    FOREIGN KEY (tenant_id, group_id) REFERENCES groups (tenant_id, id) ON DELETE CASCADE,
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX group_members_user ON group_members (tenant_id, user_id);

CREATE TABLE audit_events (
    tenant_id BYTEA NOT NULL REFERENCES tenants (id),
    id BYTEA NOT NULL,
    occurred_at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id TEXT NOT NULL,
    request_id TEXT NOT NULL,
    detail TEXT NOT NULL,
    PRIMARY KEY (tenant_id, id)
);
CREATE INDEX audit_events_action ON audit_events (tenant_id, action, id);
CREATE INDEX audit_events_actor ON audit_events (tenant_id, actor, id);

CREATE TABLE signing_keys (
    tenant_id BYTEA NOT NULL REFERENCES tenants (id),
    id TEXT NOT NULL,
    alg TEXT NOT NULL,
    state TEXT NOT NULL,
    public_jwk TEXT NOT NULL,
    private_key_sealed BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL,
    activated_at TIMESTAMP,
    retired_at TIMESTAMP,
    PRIMARY KEY (tenant_id, id)
);

GRANT USAGE ON SCHEMA public TO latchkey_app;
GRANT SELECT, INSERT, UPDATE, DELETE ON tenants, platform_tokens, api_tokens, users, groups, group_members, audit_events, signing_keys TO latchkey_app;

-- Row-level security: a query that forgets its tenant sees nothing.
ALTER TABLE api_tokens ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON api_tokens
    USING (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'))
    WITH CHECK (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'));
ALTER TABLE users ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON users
    USING (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'))
    WITH CHECK (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'));
ALTER TABLE groups ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON groups
    USING (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'))
    WITH CHECK (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'));
ALTER TABLE group_members ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON group_members
    USING (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'))
    WITH CHECK (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'));
ALTER TABLE audit_events ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_events
    USING (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'))
    WITH CHECK (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'));
ALTER TABLE signing_keys ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON signing_keys
    USING (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'))
    WITH CHECK (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'));
