-- People of a tenant signing in: their browser sessions, and the counters
-- that throttle guessing.

CREATE TABLE user_sessions (
    tenant_id BYTEA NOT NULL,
    id BYTEA NOT NULL,
    user_id BYTEA NOT NULL,
    -- SHA-256 of the cookie value; the value itself is never stored.
    token_hash BYTEA NOT NULL,
    -- The authentication methods used (RFC 8176 values, comma-separated),
    -- and when the user proved them: the OpenID Connect provider's `amr`
    -- and `auth_time`.
    amr TEXT NOT NULL,
    auth_time TIMESTAMP NOT NULL,
    created_at TIMESTAMP NOT NULL,
    -- Moved forward as the session is used (at most once a minute).
    last_seen_at TIMESTAMP NOT NULL,
    -- The end no use extends (the policy's maximum lifetime).
    expires_at TIMESTAMP NOT NULL,
    -- What the browser said it was, and where from, at sign-in: for the
    -- user's list of sessions.
    user_agent TEXT,
    address TEXT,
    PRIMARY KEY (tenant_id, id),
    UNIQUE (tenant_id, token_hash),
    FOREIGN KEY (tenant_id, user_id) REFERENCES users (tenant_id, id) ON DELETE CASCADE
);
CREATE INDEX user_sessions_by_user ON user_sessions (tenant_id, user_id);

-- One row per throttled key (`account:<login>` or `address:<network>`):
-- attempts counted in a window; every attempt takes its count before its
-- password is checked, so parallel guesses cannot all pass.
CREATE TABLE sign_in_throttles (
    tenant_id BYTEA NOT NULL REFERENCES tenants (id) ON DELETE CASCADE,
    key TEXT NOT NULL,
    attempts INTEGER NOT NULL,
    window_ends_at TIMESTAMP NOT NULL,
    PRIMARY KEY (tenant_id, key)
);
CREATE INDEX sign_in_throttles_by_end ON sign_in_throttles (tenant_id, window_ends_at);

GRANT SELECT, INSERT, UPDATE, DELETE ON user_sessions, sign_in_throttles TO latchkey_app;

ALTER TABLE user_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE user_sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON user_sessions
    USING (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'))
    WITH CHECK (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'));
ALTER TABLE sign_in_throttles ENABLE ROW LEVEL SECURITY;
ALTER TABLE sign_in_throttles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON sign_in_throttles
    USING (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'))
    WITH CHECK (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'));
