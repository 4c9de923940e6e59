-- The pruning job deletes, in batches, the ids of Stripe events received
-- before a cutoff: without this index each batch would read the whole table.
-- Built without CONCURRENTLY (migrations run in a transaction): the table
-- holds billing events only, so even years of them index in moments.
CREATE INDEX stripe_events_received_at ON stripe_events (received_at);
