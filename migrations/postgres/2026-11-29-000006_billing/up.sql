-- Stripe billing. A tenant's billing state lives on its row: the tenants
-- table is the platform-level table the webhook (which arrives with nothing
-- but a Stripe customer id) and the seat sync job can read without being
-- bound to a tenant, and the state travels with the cached tenant, so the
-- effective plan is computed at every entitlement check without a query.
ALTER TABLE tenants
    -- The Stripe customer, created on the first upgrade and never replaced.
    ADD COLUMN billing_customer_id TEXT,
    ADD COLUMN billing_subscription_id TEXT,
    -- The paid plan the subscription's price maps to (`team`, `enterprise`).
    ADD COLUMN billing_plan TEXT,
    -- Stripe's subscription status (`active`, `past_due`, `canceled` …).
    ADD COLUMN billing_status TEXT,
    ADD COLUMN billing_period_end TIMESTAMP,
    ADD COLUMN billing_cancel_at_period_end BOOLEAN NOT NULL DEFAULT FALSE,
    -- Since when a payment has failed (the grace period runs from here).
    ADD COLUMN billing_past_due_since TIMESTAMP,
    -- `created` (Unix seconds) of the last event applied to the state:
    -- older subscription events arriving late are ignored.
    ADD COLUMN billing_event_created BIGINT,
    -- Seat sync: the subscription quantity last known to Stripe, how many
    -- quantities have been set (part of the idempotency key), failures in a
    -- row, when the job looks next (and holds a lease until), the last error.
    ADD COLUMN billing_seats_synced BIGINT,
    ADD COLUMN billing_sync_generation BIGINT NOT NULL DEFAULT 0,
    ADD COLUMN billing_sync_attempts INTEGER NOT NULL DEFAULT 0,
    ADD COLUMN billing_sync_at TIMESTAMP,
    ADD COLUMN billing_sync_error TEXT;

-- The webhook finds a tenant by its customer; a customer belongs to one tenant.
CREATE UNIQUE INDEX tenants_billing_customer ON tenants (billing_customer_id);
CREATE INDEX tenants_billing_sync ON tenants (billing_sync_at) WHERE billing_subscription_id IS NOT NULL;

-- Every Stripe event received with a valid signature, by id: recorded in the
-- transaction that applies it, so a replay finds it and changes nothing.
-- Platform-level (an event may name no known tenant): `applied_to` is the
-- tenant it changed, if any.
CREATE TABLE stripe_events (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    created BIGINT NOT NULL,
    applied_to BYTEA REFERENCES tenants (id) ON DELETE SET NULL,
    outcome TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);

GRANT SELECT, INSERT, UPDATE, DELETE ON stripe_events TO latchkey_app;
