-- Licences, the installation they may be bound to, plans' usage counts and
-- scheduled key rotation.

-- One row: this installation's id (licences may be bound to it) and since
-- when it has had more active internal users than its licences allow.
CREATE TABLE installation (
    singleton INTEGER PRIMARY KEY CHECK (singleton = 1),
    id BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL,
    over_seats_since TIMESTAMP
);

-- Installed licences (compact JWS as issued); verified on every read, never trusted as stored.
CREATE TABLE licenses (
    id TEXT PRIMARY KEY,
    token TEXT NOT NULL,
    installed_at TIMESTAMP NOT NULL
);

-- Seats: active internal users. A partial index, so a count reads only them.
CREATE INDEX users_seats ON users (tenant_id) WHERE kind = 'internal' AND active;

-- Audit export walks a time range in order: an index range, resumed by (time, id).
CREATE INDEX audit_events_time ON audit_events (tenant_id, occurred_at, id);

-- Scheduled automatic rotation of a tenant's signing keys.
CREATE TABLE key_rotation_schedules (
    tenant_id BLOB PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    interval_days INTEGER NOT NULL,
    next_rotation_at TIMESTAMP NOT NULL,
    last_rotated_at TIMESTAMP
);
CREATE INDEX key_rotation_schedules_due ON key_rotation_schedules (next_rotation_at);

-- Audit streaming to an HTTPS webhook (one per tenant): events are delivered in
-- order from a cursor (occurred_at, id), with retries and backoff.
CREATE TABLE audit_webhooks (
    tenant_id BLOB PRIMARY KEY REFERENCES tenants (id) ON DELETE CASCADE,
    url TEXT NOT NULL,
    -- The HMAC key, sealed with the tenant's data key.
    secret_sealed BLOB NOT NULL,
    cursor_at TIMESTAMP NOT NULL,
    cursor_id BLOB,
    attempts INTEGER NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    last_error TEXT,
    last_delivered_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_webhooks_due ON audit_webhooks (next_attempt_at);
