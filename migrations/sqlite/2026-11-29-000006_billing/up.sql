-- Stripe billing: see the PostgreSQL migration of the same name for why
-- the state lives on the tenant row.
ALTER TABLE tenants ADD COLUMN billing_customer_id TEXT;
ALTER TABLE tenants ADD COLUMN billing_subscription_id TEXT;
ALTER TABLE tenants ADD COLUMN billing_plan TEXT;
ALTER TABLE tenants ADD COLUMN billing_status TEXT;
ALTER TABLE tenants ADD COLUMN billing_period_end TIMESTAMP;
ALTER TABLE tenants ADD COLUMN billing_cancel_at_period_end BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN billing_past_due_since TIMESTAMP;
ALTER TABLE tenants ADD COLUMN billing_event_created BIGINT;
ALTER TABLE tenants ADD COLUMN billing_seats_synced BIGINT;
ALTER TABLE tenants ADD COLUMN billing_sync_generation BIGINT NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN billing_sync_attempts INTEGER NOT NULL DEFAULT 0;
ALTER TABLE tenants ADD COLUMN billing_sync_at TIMESTAMP;
ALTER TABLE tenants ADD COLUMN billing_sync_error TEXT;

CREATE UNIQUE INDEX tenants_billing_customer ON tenants (billing_customer_id);
CREATE INDEX tenants_billing_sync ON tenants (billing_sync_at) WHERE billing_subscription_id IS NOT NULL;

CREATE TABLE stripe_events (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    created BIGINT NOT NULL,
    applied_to BLOB REFERENCES tenants (id) ON DELETE SET NULL,
    outcome TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);
