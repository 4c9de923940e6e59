//! Prometheus metrics: requests by operation and status, latency histograms,
//! and connection pool usage.

use std::time::Duration;

use latchkey_tenants::db::PoolStatus;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{Histogram, exponential_buckets};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RequestLabels {
    method: String,
    route: String,
    status: u16,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct RouteLabels {
    route: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StateLabels {
    state: String,
}

/// The licence gauges, set at scrape time.
struct LicenseGauges {
    /// 1 for the current state, 0 for the others.
    state: Family<StateLabels, Gauge>,
    seats_used: Gauge,
    /// -1 without a valid licence.
    seats_licensed: Gauge,
    /// -1 without a valid licence.
    expires_in_days: Gauge,
    restricted: Gauge,
    warnings: Gauge,
}

pub struct Metrics {
    registry: Registry,
    requests: Family<RequestLabels, Counter>,
    latency: Family<RouteLabels, Histogram>,
    pool_size: Gauge,
    pool_available: Gauge,
    pool_waiting: Gauge,
    pool_max: Gauge,
    license: LicenseGauges,
}

impl LicenseGauges {
    fn registered(registry: &mut Registry) -> Self {
        let license = LicenseGauges {
            state: Family::default(),
            seats_used: Gauge::default(),
            seats_licensed: Gauge::default(),
            expires_in_days: Gauge::default(),
            restricted: Gauge::default(),
            warnings: Gauge::default(),
        };
        registry.register(
            "license_state",
            "Licence status: 1 for the current state (valid, expiring, expired, invalid, none)",
            license.state.clone(),
        );
        registry.register(
            "license_seats_used",
            "Active internal users of the installation",
            license.seats_used.clone(),
        );
        registry.register(
            "license_seats_licensed",
            "Seats of the valid licences (-1: no valid licence)",
            license.seats_licensed.clone(),
        );
        registry.register(
        "license_expires_in_days",
        "Whole days to the earliest licence expiry, negative once expired (-1 without a licence too: see license_state)",
        license.expires_in_days.clone(),
    );
        registry.register(
        "license_restricted",
        "1 when past a licence grace period: gated features read-only, new internal users refused",
        license.restricted.clone(),
    );
        registry.register(
            "license_warnings",
            "Licence warnings in effect (expiring, expired, seats exceeded)",
            license.warnings.clone(),
        );
        license
    }
}

impl Default for Metrics {
    fn default() -> Self {
        let mut registry = Registry::with_prefix("latchkey");
        let requests = Family::<RequestLabels, Counter>::default();
        let latency = Family::<RouteLabels, Histogram>::new_with_constructor(|| {
            // 0.5 ms … ~16 s
            Histogram::new(exponential_buckets(0.0005, 2.0, 16))
        });
        registry.register(
            "http_requests",
            "HTTP requests by operation and status",
            requests.clone(),
        );
        registry.register(
            "http_request_duration_seconds",
            "HTTP request latency by operation",
            latency.clone(),
        );
        let (pool_size, pool_available, pool_waiting, pool_max) = (
            Gauge::default(),
            Gauge::default(),
            Gauge::default(),
            Gauge::default(),
        );
        registry.register(
            "db_pool_connections",
            "Open database connections",
            pool_size.clone(),
        );
        registry.register(
            "db_pool_available",
            "Idle database connections",
            pool_available.clone(),
        );
        registry.register(
            "db_pool_waiting",
            "Requests waiting for a database connection",
            pool_waiting.clone(),
        );
        registry.register(
            "db_pool_max",
            "Maximum database connections",
            pool_max.clone(),
        );
        let license = LicenseGauges::registered(&mut registry);
        Metrics {
            registry,
            license,
            requests,
            latency,
            pool_size,
            pool_available,
            pool_waiting,
            pool_max,
        }
    }
}

impl Metrics {
    pub fn observe_request(&self, method: &str, route: &str, status: u16, elapsed: Duration) {
        self.requests
            .get_or_create(&RequestLabels {
                method: method.to_owned(),
                route: route.to_owned(),
                status,
            })
            .inc();
        self.latency
            .get_or_create(&RouteLabels {
                route: route.to_owned(),
            })
            .observe(elapsed.as_secs_f64());
    }

    /// Sets the licence gauges from the current status.
    pub fn set_license(
        &self,
        status: &latchkey_tenants::licensing::LicenseStatus,
        now: time::OffsetDateTime,
    ) {
        let g = &self.license;
        for state in ["valid", "expiring", "expired", "invalid", "none"] {
            g.state
                .get_or_create(&StateLabels {
                    state: state.to_owned(),
                })
                .set(i64::from(status.state.as_str() == state));
        }
        g.seats_used
            .set(i64::try_from(status.seats_used).unwrap_or(i64::MAX));
        g.seats_licensed.set(
            status
                .licensed_seats
                .map_or(-1, |s| i64::try_from(s).unwrap_or(i64::MAX)),
        );
        g.expires_in_days.set(status.expires_at.map_or(-1, |at| {
            latchkey_tenants::licensing::status::days_until(now, at)
        }));
        g.restricted.set(i64::from(status.restricted));
        g.warnings
            .set(i64::try_from(status.warnings.len()).unwrap_or(0));
    }

    /// The text exposition format, with pool gauges read at scrape time.
    pub fn render(&self, pool: PoolStatus) -> String {
        self.pool_size.set(pool.size as i64);
        self.pool_available.set(pool.available as i64);
        self.pool_waiting.set(pool.waiting as i64);
        self.pool_max.set(pool.max_size as i64);
        let mut out = String::new();
        if prometheus_client::encoding::text::encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }
}
