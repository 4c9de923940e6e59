//! When a PostgreSQL connection drops its cached query plans.

use std::time::{Duration, Instant};

/// When a PostgreSQL connection drops its cached query plans.
///
/// PostgreSQL makes a prepared statement's generic plan once per connection
/// (and a foreign-key check's plan once per connection too) and keeps it
/// until `ANALYZE` or DDL touches its tables. A plan made while a table was
/// nearly empty can pick the wrong index for good: every index leads with
/// `tenant_id`, so on an empty `users` table an index on `(tenant_id,
/// family_name_key)` costs the same as the primary key, and the foreign-key
/// check of every later insert then walks all of the tenant's users. Inserts
/// slow down as the directory grows until autovacuum analyzes the table,
/// which may be a minute away or, where autovacuum is off, never.
///
/// `DISCARD PLANS` keeps the prepared statements (diesel's statement cache
/// stays valid) and makes PostgreSQL plan them again on next use, from the
/// tables' current size. It is sent after use 64, 128, 256, … of a
/// connection, when tables grow fastest relative to their size, and at least
/// once a minute after that; a plan costs tens of microseconds to make again.
#[derive(Debug)]
pub(super) struct PlanRefresh {
    uses: u64,
    last: Instant,
}

impl PlanRefresh {
    const FIRST: u64 = 64;
    const EVERY: Duration = Duration::from_secs(60);

    pub(super) fn new(now: Instant) -> Self {
        PlanRefresh { uses: 0, last: now }
    }

    /// Counts one use; true when the plans should be dropped before it.
    pub(super) fn due(&mut self, now: Instant) -> bool {
        self.uses += 1;
        let due = (self.uses >= Self::FIRST && self.uses.is_power_of_two())
            || now.duration_since(self.last) >= Self::EVERY;
        if due {
            self.last = now;
        }
        due
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uses_when_due(plans: &mut PlanRefresh, uses: u64, at: Instant) -> Vec<u64> {
        let mut due = Vec::new();
        for _ in 0..uses {
            if plans.due(at) {
                due.push(plans.uses);
            }
        }
        due
    }

    #[test]
    fn plans_are_dropped_at_doubling_uses_from_the_64th() {
        let start = Instant::now();
        let mut plans = PlanRefresh::new(start);

        let due = uses_when_due(&mut plans, 5000, start);

        assert_eq!(due, [64, 128, 256, 512, 1024, 2048, 4096]);
    }

    #[test]
    fn plans_are_dropped_at_least_once_a_minute() {
        let start = Instant::now();
        let mut plans = PlanRefresh::new(start);
        for _ in 0..100 {
            plans.due(start);
        }

        assert!(!plans.due(start + Duration::from_secs(59)));
        assert!(plans.due(start + Duration::from_secs(60)));
        assert!(!plans.due(start + Duration::from_secs(61)));
        assert!(plans.due(start + Duration::from_secs(120)));
    }
}
