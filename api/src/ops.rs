//! Health, readiness and metrics.

use poem_openapi::payload::{Json, PlainText};
use poem_openapi::{ApiResponse, Object, OpenApi};

use crate::state::AppState;
use crate::tags::ApiTags;

pub struct OpsApi {
    pub state: AppState,
}

#[derive(Debug, Object)]
pub struct Health {
    /// `ok`, or what is wrong.
    pub status: String,
}

#[derive(ApiResponse)]
enum Ready {
    /// The database answers; this node can serve.
    #[oai(status = 200)]
    Ready(Json<Health>),
    /// The database does not answer; take this node out of rotation.
    #[oai(status = 503)]
    NotReady(Json<Health>),
}

#[OpenApi(tag = "ApiTags::Operations")]
impl OpsApi {
    /// Liveness
    ///
    /// The process is up. Does not touch the database.
    #[oai(path = "/healthz", method = "get", operation_id = "healthz")]
    async fn healthz(&self) -> Json<Health> {
        Json(Health {
            status: "ok".into(),
        })
    }

    /// Readiness
    ///
    /// Checks that the database answers.
    #[oai(path = "/readyz", method = "get", operation_id = "readyz")]
    async fn readyz(&self) -> Ready {
        match self.state.store.ping().await {
            Ok(()) => Ready::Ready(Json(Health {
                status: "ok".into(),
            })),
            Err(e) => {
                // The cause names hosts and users: for the log, not for an
                // unauthenticated caller.
                tracing::warn!(error = %e, "not ready");
                Ready::NotReady(Json(Health {
                    status: "the database does not answer".into(),
                }))
            }
        }
    }

    /// Prometheus metrics
    ///
    /// Requests by operation and status, latency histograms, database
    /// pool usage and the licence status (`latchkey_license_*`), in the
    /// Prometheus text format.
    #[oai(path = "/metrics", method = "get", operation_id = "metrics")]
    async fn metrics(&self) -> PlainText<String> {
        match self.state.store.license_status_cached().await {
            Ok(status) => self
                .state
                .metrics
                .set_license(&status, self.state.store.now()),
            Err(e) => tracing::warn!(error = %e, "licence status unavailable for /metrics"),
        }
        PlainText(self.state.metrics.render(self.state.store.pool().status()))
    }
}
