-- Hosted signup: the accounts that administer a tenant from the console
-- (apart from the directory, which an HR system may rewrite at any time),
-- and their browser sessions. A signed-up tenant starts `pending` until its
-- first admin verifies the email address (tenants.status is free text).
CREATE TABLE tenant_admins (
    tenant_id BYTEA NOT NULL REFERENCES tenants (id),
    id BYTEA NOT NULL,
    email TEXT NOT NULL,
    -- Lowercased email: uniqueness and sign-in ignore case.
    email_key TEXT NOT NULL,
    -- An argon2id PHC string; the password itself is never stored.
    password_hash TEXT NOT NULL,
    verified_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, email_key)
);

CREATE TABLE console_sessions (
    tenant_id BYTEA NOT NULL,
    id BYTEA NOT NULL,
    admin_id BYTEA NOT NULL,
    -- SHA-256 of the cookie value.
    token_hash BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, admin_id) REFERENCES tenant_admins (tenant_id, id)
);

GRANT SELECT, INSERT, UPDATE, DELETE ON tenant_admins, console_sessions TO latchkey_app;

ALTER TABLE tenant_admins ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON tenant_admins
    USING (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'))
    WITH CHECK (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'));
ALTER TABLE console_sessions ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON console_sessions
    USING (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'))
    WITH CHECK (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'));
