-- Hosted signup: the accounts that administer a tenant from the console
-- (apart from the directory, which an HR system may rewrite at any time),
-- and their browser sessions. A signed-up tenant starts `pending` until its
-- first admin verifies the email address (tenants.status is free text).
CREATE TABLE tenant_admins (
    tenant_id BLOB NOT NULL REFERENCES tenants (id),
    id BLOB NOT NULL,
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
    tenant_id BLOB NOT NULL,
    id BLOB NOT NULL,
    admin_id BLOB NOT NULL,
    -- SHA-256 of the cookie value.
    token_hash BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, admin_id) REFERENCES tenant_admins (tenant_id, id)
);
