//! Pruning the ids of Stripe events: kept long enough that Stripe can no
//! longer deliver an event again (its replay then finds the id), then
//! deleted, so `stripe_events` stays bounded.

use diesel::prelude::*;

use crate::clock::to_db;
use crate::db::TxMode;
use crate::db::schema::stripe_events;
use crate::error::Result;
use crate::store::Store;

/// Most event ids one pruning statement deletes: a large backlog goes in
/// short statements, none holding its locks (SQLite's one writer) for long.
pub const PRUNE_BATCH: i64 = 10_000;

impl Store {
    /// Deletes the recorded ids of events received more than `retention`
    /// ago, in batches of at most [`PRUNE_BATCH`], until none is left.
    /// Returns how many were deleted. Safe to run on every node at once.
    pub async fn prune_stripe_events(&self, retention: time::Duration) -> Result<usize> {
        // A retention reaching before the calendar starts keeps everything.
        let Some(cutoff) = self.now().checked_sub(retention) else {
            return Ok(0);
        };
        let cutoff = to_db(cutoff);
        let mut pruned = 0;
        loop {
            let deleted =
                self.pool()
                    .run_in(None, TxMode::Statement, move |conn| {
                        // Neither backend has a portable `DELETE … LIMIT`: the
                        // batch is chosen by a subquery, which must name the
                        // table under another name than the one deleted from.
                        let old = diesel::alias!(stripe_events as old);
                        let batch = old
                            .filter(old.field(stripe_events::received_at).lt(cutoff))
                            .select(old.field(stripe_events::id))
                            .limit(PRUNE_BATCH);
                        Ok(diesel::delete(
                            stripe_events::table.filter(stripe_events::id.eq_any(batch)),
                        )
                        .execute(conn)?)
                    })
                    .await?;
            pruned += deleted;
            if i64::try_from(deleted).unwrap_or(i64::MAX) < PRUNE_BATCH {
                return Ok(pruned);
            }
        }
    }

    /// Runs [`Store::prune_stripe_events`] every `every` until the store is dropped.
    pub fn spawn_stripe_event_pruning_job(
        &self,
        retention: time::Duration,
        every: std::time::Duration,
    ) {
        self.spawn_periodic(every, "Stripe event pruning", move |store| async move {
            let pruned = store.prune_stripe_events(retention).await?;
            if pruned > 0 {
                tracing::info!(events = pruned, "pruned the ids of old Stripe events");
            }
            Ok(pruned)
        });
    }
}
