use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};

use time::{OffsetDateTime, PrimitiveDateTime};

/// Where "now" comes from. Injected, so tests can move time (token expiry,
/// key retirement) without sleeping.
pub trait Clock: Send + Sync + 'static {
    fn now(&self) -> OffsetDateTime;
}

#[derive(Debug, Default, Clone, Copy)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> OffsetDateTime {
        OffsetDateTime::now_utc()
    }
}

/// A clock that only moves when told to.
#[derive(Debug, Clone)]
pub struct ManualClock(Arc<AtomicI64>);

impl ManualClock {
    pub fn new(start: OffsetDateTime) -> Self {
        ManualClock(Arc::new(AtomicI64::new(micros(start))))
    }

    pub fn advance(&self, by: time::Duration) {
        self.0
            .fetch_add(by.whole_microseconds() as i64, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now(&self) -> OffsetDateTime {
        let micros = self.0.load(Ordering::SeqCst);
        OffsetDateTime::from_unix_timestamp_nanos(i128::from(micros) * 1000)
            .unwrap_or(OffsetDateTime::UNIX_EPOCH)
    }
}

fn micros(t: OffsetDateTime) -> i64 {
    (t.unix_timestamp_nanos() / 1000) as i64
}

/// Times are stored as UTC `TIMESTAMP` with microsecond precision (what
/// PostgreSQL keeps), so a value reads back exactly as it was written.
pub(crate) fn to_db(t: OffsetDateTime) -> PrimitiveDateTime {
    // Inputs are checked with `representable` first; a time that still does
    // not fit in UTC keeps its wall-clock value rather than panicking.
    let utc = t.checked_to_offset(time::UtcOffset::UTC).unwrap_or(t);
    let truncated = utc
        .replace_nanosecond(utc.nanosecond() / 1000 * 1000)
        .unwrap_or(utc);
    PrimitiveDateTime::new(truncated.date(), truncated.time())
}

/// Whether a caller's time can be stored: it must exist in UTC (a date near
/// year 9999 in a western offset does not).
pub(crate) fn representable(t: OffsetDateTime) -> bool {
    t.checked_to_offset(time::UtcOffset::UTC).is_some()
}

pub(crate) fn from_db(t: PrimitiveDateTime) -> OffsetDateTime {
    t.assume_utc()
}
