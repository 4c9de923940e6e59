//! Background jobs that run once per period across the installation, however
//! many nodes run them: each node tries to claim the period, and only the
//! one whose claim moves the job's next run forward does the work.

use std::time::Duration;

use diesel::prelude::*;

use crate::clock::to_db;
use crate::db::TxMode;
use crate::db::on_backend;
use crate::db::schema::job_runs;
use crate::error::{Error, Result};
use crate::store::Store;

impl Store {
    /// Claims the current period of the job `name` for this node: true when
    /// no node has run it within the last `period`. The claim commits before
    /// the work starts, so a node that dies mid-run hands the job on only
    /// at the next period.
    pub(crate) async fn claim_job(&self, name: &'static str, period: Duration) -> Result<bool> {
        let now = self.now();
        let next = now
            + time::Duration::try_from(period)
                .map_err(|e| Error::Internal(format!("job period: {e}")))?;
        let (now, next) = (to_db(now), to_db(next));
        let claimed = self
            .pool()
            .run_in(None, TxMode::Write, move |conn| {
                on_backend!(conn, |c| diesel::insert_into(job_runs::table)
                    .values((job_runs::name.eq(name), job_runs::next_run_at.eq(now)))
                    .on_conflict_do_nothing()
                    .execute(c))?;
                Ok(diesel::update(
                    job_runs::table
                        .find(name)
                        .filter(job_runs::next_run_at.le(now)),
                )
                .set(job_runs::next_run_at.eq(next))
                .execute(conn)?)
            })
            .await?;
        Ok(claimed == 1)
    }
}
