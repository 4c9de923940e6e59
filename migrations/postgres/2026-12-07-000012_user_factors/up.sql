-- The second factors users enrol (TOTP for now): one row per factor.
CREATE TABLE user_factors (
    tenant_id BYTEA NOT NULL,
    id BYTEA NOT NULL,
    user_id BYTEA NOT NULL,
    -- `totp`.
    kind TEXT NOT NULL,
    -- What the user calls it ("Phone").
    name TEXT NOT NULL,
    -- The TOTP secret, sealed with the tenant's data key and bound to this
    -- row: copied to another row or tenant, it does not open.
    secret_sealed BYTEA NOT NULL,
    -- The last TOTP time step accepted: each code signs in once.
    last_used_step BIGINT,
    created_at TIMESTAMP NOT NULL,
    -- Null until the user proved it with a first code: until then it
    -- signs nobody in.
    confirmed_at TIMESTAMP,
    last_used_at TIMESTAMP,
    PRIMARY KEY (tenant_id, id),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX user_factors_by_user ON user_factors (tenant_id, user_id);

GRANT SELECT, INSERT, UPDATE, DELETE ON user_factors TO latchkey_app;

ALTER TABLE user_factors ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_factors FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON user_factors
    USING (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'))
    WITH CHECK (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'));

-- A session opened by a password whose user has a second factor: it signs
-- nothing in until the second factor is proved, which replaces it.
ALTER TABLE user_sessions ADD COLUMN second_factor_due BOOLEAN NOT NULL DEFAULT FALSE;
