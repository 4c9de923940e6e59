-- See the PostgreSQL migration of the same name.
CREATE INDEX stripe_events_received_at ON stripe_events (received_at);
