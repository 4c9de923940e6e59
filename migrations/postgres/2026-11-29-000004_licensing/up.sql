-- Licences, the installation they may be bound to, plans' usage counts and
-- scheduled key rotation.

-- One row: this installation's id (licences may be bound to it) and since
-- when it has had more active internal users than its licences allow.
CREATE TABLE installation (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    id BYTEA NOT NULL,
    created_at TIMESTAMP NOT NULL,
    over_seats_since TIMESTAMP
);

-- Installed licences (compact JWS as issued); verified on every read, never trusted as stored.
CREATE TABLE licenses (
    id TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    installed_at TIMESTAMP NOT NULL
);

-- Seats: active internal users. A partial index, so a count is an index-only scan.
CREATE INDEX users_seats ON users (tenant_id) WHERE kind = 'internal' AND active;

-- Active internal users of the whole installation. Row-level security hides
-- every tenant's rows from the application role outside a tenant; this
-- function runs as the tables' owner and returns one number, nothing else.
CREATE FUNCTION latchkey_seats_in_use() RETURNS BIGINT
    LANGUAGE sql STABLE SECURITY DEFINER SET search_path = public
    AS $$ SELECT count(*) FROM users WHERE kind = 'internal' AND active $$;
REVOKE ALL ON FUNCTION latchkey_seats_in_use() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION latchkey_seats_in_use() TO latchkey_app;

-- Audit export walks a time range in order: an index range, resumed by (time, id).
CREATE INDEX audit_events_time ON audit_events (tenant_id, occurred_at, id);

-- Scheduled automatic rotation of a tenant's signing keys.
CREATE TABLE key_rotation_schedules (
    tenant_id BYTEA PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    interval_days INTEGER NOT NULL,
    next_rotation_at TIMESTAMP NOT NULL,
    last_rotated_at TIMESTAMP
);
CREATE INDEX key_rotation_schedules_due ON key_rotation_schedules (next_rotation_at);

-- Claims due rotations for one node: locks rows no other node holds
-- (FOR UPDATE SKIP LOCKED), pushes each one's next time `lease_seconds`
-- ahead (so a node that dies mid-rotation hands it on after the lease) and
-- returns the tenants. Runs as the owner: the job works across tenants, the
-- rotation itself then runs bound to each tenant.
CREATE FUNCTION latchkey_claim_key_rotations(due_before TIMESTAMP, lease_seconds INTEGER, max_rows INTEGER)
    RETURNS TABLE (tenant_id BYTEA)
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public
    AS $$
        UPDATE key_rotation_schedules s
           SET next_rotation_at = due_before + make_interval(secs => lease_seconds)
         WHERE s.tenant_id IN (
               SELECT c.tenant_id FROM key_rotation_schedules c
                WHERE c.next_rotation_at <= due_before
                ORDER BY c.next_rotation_at
                LIMIT max_rows
                FOR UPDATE SKIP LOCKED)
        RETURNING s.tenant_id
    $$;
REVOKE ALL ON FUNCTION latchkey_claim_key_rotations(TIMESTAMP, INTEGER, INTEGER) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION latchkey_claim_key_rotations(TIMESTAMP, INTEGER, INTEGER) TO latchkey_app;


-- Audit streaming to an HTTPS webhook (one per tenant): events are delivered in
-- order from a cursor (occurred_at, id), with retries and backoff.
CREATE TABLE audit_webhooks (
    tenant_id BYTEA PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    -- The HMAC key, sealed with the tenant's data key.
    secret_sealed BYTEA NOT NULL,
    cursor_at TIMESTAMP NOT NULL,
    cursor_id BYTEA,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    last_delivered_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_webhooks_due ON audit_webhooks (next_attempt_at);

-- The same claim for webhook deliveries.
CREATE FUNCTION latchkey_claim_audit_webhooks(due_before TIMESTAMP, lease_seconds INTEGER, max_rows INTEGER)
    RETURNS TABLE (tenant_id BYTEA)
    LANGUAGE sql VOLATILE SECURITY DEFINER SET search_path = public
    AS $$
        UPDATE audit_webhooks s
           SET next_attempt_at = due_before + make_interval(secs => lease_seconds)
         WHERE s.tenant_id IN (
               SELECT c.tenant_id FROM audit_webhooks c
                WHERE c.next_attempt_at <= due_before
                ORDER BY c.next_attempt_at
                LIMIT max_rows
                FOR UPDATE SKIP LOCKED)
        RETURNING s.tenant_id
    $$;
REVOKE ALL ON FUNCTION latchkey_claim_audit_webhooks(TIMESTAMP, INTEGER, INTEGER) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION latchkey_claim_audit_webhooks(TIMESTAMP, INTEGER, INTEGER) TO latchkey_app;

GRANT SELECT, INSERT, UPDATE, DELETE ON installation, licenses, key_rotation_schedules, audit_webhooks TO latchkey_app;

ALTER TABLE key_rotation_schedules ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON key_rotation_schedules
    USING (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'))
    WITH CHECK (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'));
ALTER TABLE audit_webhooks ENABLE ROW LEVEL SECURITY;
CREATE POLICY tenant_isolation ON audit_webhooks
    USING (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'))
    WITH CHECK (tenant_id = decode(current_setting('latchkey.tenant_id', true), 'hex'));
