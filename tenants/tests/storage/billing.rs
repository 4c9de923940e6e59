//! The record of Stripe events received: ids older than the retention are
//! pruned, in batches, and a recent id still makes a redelivery a duplicate.

use std::sync::Arc;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use latchkey_tenants::billing::BillingPrices;
use latchkey_tenants::billing::events::{Applied, BillingEvent, EventObject, PRUNE_BATCH};
use latchkey_tenants::db::schema::stripe_events;
use time::OffsetDateTime;

use crate::support::*;

const RETENTION: time::Duration = time::Duration::days(30);

/// A store whose clock moves only when told to.
async fn store_at_a_manual_clock(db: &TestDb) -> (Store, ManualClock) {
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let store = db.store_with(|c| c.clock = Arc::new(clock.clone())).await;
    (store, clock)
}

/// Delivers a verified event that names no customer (recorded, nothing changed).
async fn receive(store: &Store, id: &str) -> Applied {
    let event = BillingEvent {
        id: id.to_owned(),
        kind: "customer.created".to_owned(),
        created: 1_767_225_600,
        object: EventObject::Other,
    };
    store
        .apply_billing_event(event, &BillingPrices::default())
        .await
        .unwrap_or_else(|e| panic!("receiving {id}: {e}"))
}

/// The ids recorded, read as the table owner.
fn recorded_ids(db: &TestDb) -> Vec<String> {
    let conn = &mut db.url().establish_owner().unwrap();
    stripe_events::table
        .select(stripe_events::id)
        .order(stripe_events::id)
        .load(conn)
        .unwrap()
}

both_backends! {
    async fn pruning_deletes_the_ids_of_events_received_before_the_retention(db: TestDb) {
        let (store, clock) = store_at_a_manual_clock(&db).await;
        receive(&store, "evt_old").await;
        clock.advance(RETENTION + time::Duration::days(1));

        assert_eq!(store.prune_stripe_events(RETENTION).await.unwrap(), 1);
        assert!(recorded_ids(&db).is_empty());
    }

    async fn a_recent_event_id_is_kept_and_its_redelivery_is_still_a_duplicate(db: TestDb) {
        let (store, clock) = store_at_a_manual_clock(&db).await;
        receive(&store, "evt_old").await;
        clock.advance(time::Duration::days(2));
        receive(&store, "evt_recent").await;
        clock.advance(RETENTION - time::Duration::days(1));

        assert_eq!(store.prune_stripe_events(RETENTION).await.unwrap(), 1);
        assert_eq!(recorded_ids(&db), ["evt_recent"]);
        assert_eq!(receive(&store, "evt_recent").await, Applied::Duplicate);
    }

    async fn a_backlog_larger_than_one_batch_is_pruned_entirely(db: TestDb) {
        let (store, clock) = store_at_a_manual_clock(&db).await;
        receive(&store, "evt_old").await;
        // One batch more of old ids, copied from the one received (so their
        // `received_at` is stored exactly as the store stores it).
        db.url()
            .establish_owner()
            .unwrap()
            .batch_execute(&format!(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {PRUNE_BATCH}) \
                 INSERT INTO stripe_events (id, kind, created, outcome, received_at) \
                 SELECT 'evt_backlog_' || n.i, e.kind, e.created, e.outcome, e.received_at \
                   FROM n, stripe_events e WHERE e.id = 'evt_old'"
            ))
            .unwrap();
        clock.advance(RETENTION + time::Duration::days(1));
        receive(&store, "evt_recent").await;

        let pruned = store.prune_stripe_events(RETENTION).await.unwrap();
        assert_eq!(pruned, usize::try_from(PRUNE_BATCH).unwrap() + 1);
        assert_eq!(recorded_ids(&db), ["evt_recent"]);
    }
}
