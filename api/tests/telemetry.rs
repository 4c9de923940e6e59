//! A request's span reaches an OTLP/HTTP collector, named for its operation
//! and carrying the tenant.

mod common;
use common::*;

use std::sync::{Arc, Mutex};

use latchkey_api::telemetry::{otel_layer, otlp_provider};
use latchkey_tenants::testing::TestDb;
use poem::listener::{Acceptor, Listener, TcpListener};
use poem::web::Data;
use poem::{EndpointExt, Route, Server, handler, post};
use tracing_subscriber::layer::SubscriberExt;

type Received = Arc<Mutex<Vec<Vec<u8>>>>;

#[handler]
fn collect(body: Vec<u8>, received: Data<&Received>) {
    received.0.lock().unwrap().push(body);
}

/// A stand-in OTLP collector: keeps every body posted to `/v1/traces`.
async fn collector() -> (String, Received) {
    let received: Received = Arc::default();
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .into_acceptor()
        .await
        .unwrap();
    let addr = acceptor.local_addr()[0].as_socket_addr().copied().unwrap();
    let app = Route::new()
        .at("/v1/traces", post(collect))
        .data(received.clone());
    tokio::spawn(Server::new_with_acceptor(acceptor).run(app));
    (format!("http://{addr}"), received)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_request_span_is_exported_over_otlp() {
    let (endpoint, received) = collector().await;
    let provider = tokio::task::spawn_blocking(move || otlp_provider(&endpoint).unwrap())
        .await
        .unwrap();
    let subscriber = tracing_subscriber::registry().with(otel_layer(&provider));
    let dispatch = tracing::Dispatch::new(subscriber);

    let app = TestApp::start(TestDb::sqlite()).await;
    {
        let _guard = tracing::dispatcher::set_default(&dispatch);
        app.tenant("acme").await;
        app.get("/api/v1/tenants/acme/users", &app.platform).await;
    }
    tokio::task::spawn_blocking(move || provider.shutdown().unwrap())
        .await
        .unwrap();

    let bodies = received.lock().unwrap().concat();
    let contains = |needle: &[u8]| bodies.windows(needle.len()).any(|w| w == needle);
    assert!(!bodies.is_empty(), "nothing reached the collector");
    assert!(contains(b"http.request"), "the request span is exported");
    assert!(contains(b"latchkey"), "the service name is set");
    assert!(
        contains(b"http.route") && contains(b"createTenant") && contains(b"listUsers"),
        "the route is recorded"
    );
    assert!(
        contains(b"http.response.status_code"),
        "the status is recorded"
    );
    assert!(
        contains(b"tenant") && contains(b"acme"),
        "the tenant is recorded"
    );
}
