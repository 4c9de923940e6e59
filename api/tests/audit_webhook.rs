//! Audit streaming to an HTTPS webhook (`PUT /api/v1/tenants/{t}/events/webhook`):
//! gated by `audit_streaming`; events arrive in order, signed with
//! HMAC-SHA256, over real TLS (a local HTTPS server whose certificate is
//! signed by the test CA in `fixtures/webhook-tls`); failures are retried
//! with backoff and nothing is lost.

mod common;
use common::license::{Lab, lab};
use common::*;

use std::sync::atomic::{AtomicU16, Ordering};
use std::sync::{Arc, Mutex};

use hmac_check::verify;
use latchkey_api::audit_stream_client::HttpsSender;
use latchkey_tenants::Actor;
use latchkey_tenants::testing::TestDb;
use poem::http::StatusCode;
use poem::listener::{Acceptor, Listener, NativeTlsConfig, TcpListener};
use poem::{EndpointExt, Request, handler};
use serde_json::{Value, json};

const FIXTURES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/webhook-tls");

mod hmac_check {
    /// Recomputes `v1` of a `Latchkey-Signature` with HMAC-SHA256 written
    /// out from RFC 2104 here, independent of the `hmac` crate the server uses.
    pub fn verify(secret: &str, header: &str, body: &[u8]) -> bool {
        use sha2::{Digest, Sha256};
        let Some((t, v1)) = header
            .strip_prefix("t=")
            .and_then(|rest| rest.split_once(",v1="))
        else {
            return false;
        };
        let mut key = secret.as_bytes().to_vec();
        if key.len() > 64 {
            key = Sha256::digest(&key).to_vec();
        }
        key.resize(64, 0);
        let ipad: Vec<u8> = key.iter().map(|b| b ^ 0x36).collect();
        let opad: Vec<u8> = key.iter().map(|b| b ^ 0x5c).collect();
        let mut inner = Sha256::new();
        inner.update(&ipad);
        inner.update(t.as_bytes());
        inner.update(b".");
        inner.update(body);
        let mut outer = Sha256::new();
        outer.update(&opad);
        outer.update(inner.finalize());
        let hex: String = outer
            .finalize()
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect();
        hex == v1
    }
}

/// `(Latchkey-Signature, body)` of one request.
type Delivery = (String, Vec<u8>);

#[derive(Clone, Default)]
struct Receiver {
    got: Arc<Mutex<Vec<Delivery>>>,
    status: Arc<AtomicU16>,
}

impl Receiver {
    fn deliveries(&self) -> Vec<(String, Value, Vec<u8>)> {
        self.got
            .lock()
            .unwrap()
            .iter()
            .map(|(s, b)| (s.clone(), serde_json::from_slice(b).unwrap(), b.clone()))
            .collect()
    }
}

#[handler]
async fn hook(
    req: &Request,
    body: Vec<u8>,
    poem::web::Data(r): poem::web::Data<&Receiver>,
) -> StatusCode {
    let sig = req
        .headers()
        .get("latchkey-signature")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_owned();
    r.got.lock().unwrap().push((sig, body));
    StatusCode::from_u16(r.status.load(Ordering::SeqCst)).unwrap()
}

/// An HTTPS server on 127.0.0.1 answering `status`; returns its URL.
async fn https_receiver(status: u16) -> (String, Receiver) {
    let receiver = Receiver::default();
    receiver.status.store(status, Ordering::SeqCst);
    let p12 = std::fs::read(format!("{FIXTURES}/server.p12")).unwrap();
    let acceptor = TcpListener::bind("127.0.0.1:0")
        .native_tls(NativeTlsConfig::new().pkcs12(p12).password("latchkey-test"))
        .into_acceptor()
        .await
        .unwrap();
    let port = acceptor.local_addr()[0].as_socket_addr().unwrap().port();
    let ep = poem::Route::new().at("/hook", hook).data(receiver.clone());
    tokio::spawn(poem::Server::new_with_acceptor(acceptor).run(ep));
    (format!("https://127.0.0.1:{port}/hook"), receiver)
}

/// The test receiver listens on 127.0.0.1: private targets allowed.
fn sender() -> HttpsSender {
    HttpsSender::new(
        Some(std::path::Path::new(&format!("{FIXTURES}/ca.pem"))),
        true,
    )
    .unwrap()
}

async fn enterprise(lab: &Lab, slug: &str) {
    lab.app
        .store
        .set_tenant_plan(slug, "enterprise", &Actor::cli())
        .await
        .unwrap();
}

async fn set_webhook(app: &TestApp, slug: &str, url: &str) -> Reply {
    app.send(
        "PUT",
        &format!("/api/v1/tenants/{slug}/events/webhook"),
        Some(&app.platform),
        Some(json!({"url": url})),
        &[],
    )
    .await
}

/// Lets the events settle (the job sends only events a few seconds old).
fn settle(lab: &Lab) {
    lab.clock.advance(time::Duration::seconds(10));
}

both_backends! {
    async fn without_the_feature_a_webhook_is_402_and_removing_one_still_works(db: TestDb) {
        let lab = lab(db).await;
        let slug = lab.app.tenant("acme").await;
        let r = set_webhook(&lab.app, &slug, "https://hooks.example.com/x").await
            .expect_problem(StatusCode::PAYMENT_REQUIRED, "feature-not-entitled");
        assert_eq!(r.body["feature"], "audit_streaming");
        lab.app.delete(&format!("/api/v1/tenants/{slug}/events/webhook"), &lab.app.platform)
            .await.expect(StatusCode::NO_CONTENT);
    }

    async fn only_https_urls_are_accepted(db: TestDb) {
        let lab = lab(db).await;
        let slug = lab.app.tenant("acme").await;
        enterprise(&lab, &slug).await;
        set_webhook(&lab.app, &slug, "http://hooks.example.com/x").await
            .expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
    }

    async fn events_arrive_in_order_signed_with_the_secret(db: TestDb) {
        let lab = lab(db).await;
        let app = &lab.app;
        let slug = app.tenant("acme").await;
        enterprise(&lab, &slug).await;
        let (url, receiver) = https_receiver(200).await;
        let created = set_webhook(app, &slug, &url).await.expect(StatusCode::OK).body;
        let secret = created["secret"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("whsec_"));
        app.user(&slug, &app.platform, "ada").await;
        app.user(&slug, &app.platform, "bob").await;
        settle(&lab);
        assert_eq!(app.store.run_audit_webhooks(&sender()).await.unwrap(), 1);
        let got = receiver.deliveries();
        assert_eq!(got.len(), 1);
        let (sig, body, raw) = &got[0];
        assert!(verify(&secret, sig, raw), "signature {sig} does not verify");
        assert!(!verify("whsec_other", sig, raw));
        assert_eq!(body["tenant"], "acme");
        let actions: Vec<(&str, &str)> = body["events"].as_array().unwrap().iter()
            .map(|e| (e["action"].as_str().unwrap(), e["detail"]["user_name"].as_str().unwrap_or("")))
            .collect();
        assert_eq!(actions, [("audit.webhook.set", ""), ("user.create", "ada"), ("user.create", "bob")]);
        // Delivered events are not sent again; new ones are.
        app.user(&slug, &app.platform, "cy").await;
        settle(&lab);
        app.store.run_audit_webhooks(&sender()).await.unwrap();
        let got = receiver.deliveries();
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].1["events"].as_array().unwrap().len(), 1);
        assert_eq!(got[1].1["events"][0]["detail"]["user_name"], "cy");
    }

    async fn a_failed_delivery_is_retried_after_a_backoff_and_nothing_is_lost(db: TestDb) {
        let lab = lab(db).await;
        let app = &lab.app;
        let slug = app.tenant("acme").await;
        enterprise(&lab, &slug).await;
        let (url, receiver) = https_receiver(503).await;
        set_webhook(app, &slug, &url).await.expect(StatusCode::OK);
        app.user(&slug, &app.platform, "ada").await;
        settle(&lab);
        assert_eq!(app.store.run_audit_webhooks(&sender()).await.unwrap(), 0);
        let state = app.get(&format!("/api/v1/tenants/{slug}/events/webhook"), &app.platform)
            .await.expect(StatusCode::OK).body;
        assert_eq!(state["attempts"], 1);
        assert!(state["last_error"].as_str().unwrap().contains("HTTP 503"));
        // Not due again before the backoff (10 s).
        assert_eq!(app.store.run_audit_webhooks(&sender()).await.unwrap(), 0);
        assert_eq!(receiver.deliveries().len(), 1);
        receiver.status.store(204, Ordering::SeqCst);
        lab.clock.advance(time::Duration::seconds(11));
        assert_eq!(app.store.run_audit_webhooks(&sender()).await.unwrap(), 1);
        let got = receiver.deliveries();
        assert_eq!(got.len(), 2);
        assert_eq!(got[0].1, got[1].1, "the retry carries the same events");
        let state = app.get(&format!("/api/v1/tenants/{slug}/events/webhook"), &app.platform)
            .await.expect(StatusCode::OK).body;
        assert_eq!(state["attempts"], 0);
        assert!(state["last_delivered_at"].is_string());
    }

    async fn a_webhook_whose_certificate_is_not_trusted_fails_and_says_so(db: TestDb) {
        let lab = lab(db).await;
        let app = &lab.app;
        let slug = app.tenant("acme").await;
        enterprise(&lab, &slug).await;
        let (url, receiver) = https_receiver(200).await;
        set_webhook(app, &slug, &url).await.expect(StatusCode::OK);
        settle(&lab);
        let system_roots_only = HttpsSender::new(None, true).unwrap();
        assert_eq!(app.store.run_audit_webhooks(&system_roots_only).await.unwrap(), 0);
        assert!(receiver.deliveries().is_empty());
        let state = app.get(&format!("/api/v1/tenants/{slug}/events/webhook"), &app.platform)
            .await.expect(StatusCode::OK).body;
        assert!(state["last_error"].as_str().unwrap().contains("TLS"), "{state}");
    }

    async fn a_webhook_on_a_private_address_is_refused_unless_the_operator_allows_it(db: TestDb) {
        let lab = lab(db).await;
        let app = &lab.app;
        let slug = app.tenant("acme").await;
        enterprise(&lab, &slug).await;
        let (url, receiver) = https_receiver(200).await;
        let by_name = url.replace("127.0.0.1", "localhost");
        let public_only = HttpsSender::new(Some(std::path::Path::new(&format!("{FIXTURES}/ca.pem"))), false).unwrap();
        for target in [&url, &by_name] {
            set_webhook(app, &slug, target).await.expect(StatusCode::OK);
            settle(&lab);
            assert_eq!(app.store.run_audit_webhooks(&public_only).await.unwrap(), 0);
            assert!(receiver.deliveries().is_empty(), "{target} was reached");
            let state = app.get(&format!("/api/v1/tenants/{slug}/events/webhook"), &app.platform)
                .await.expect(StatusCode::OK).body;
            let error = state["last_error"].as_str().unwrap();
            assert!(error.contains("private") && error.contains("LATCHKEY_AUDIT_WEBHOOK_ALLOW_PRIVATE"), "{target}: {state}");
        }
        // Allowed, the same URL is reached.
        set_webhook(app, &slug, &url).await.expect(StatusCode::OK);
        settle(&lab);
        assert_eq!(app.store.run_audit_webhooks(&sender()).await.unwrap(), 1);
        assert_eq!(receiver.deliveries().len(), 1);
    }

    async fn streaming_pauses_after_a_licence_grace_period_and_resumes_with_a_renewal(db: TestDb) {
        let lab = lab(db).await;
        let app = &lab.app;
        let slug = app.tenant("acme").await;
        lab.install(&lab.license("l", 10, 30, &["audit_streaming"])).await.expect(StatusCode::OK);
        let (url, receiver) = https_receiver(200).await;
        set_webhook(app, &slug, &url).await.expect(StatusCode::OK);
        lab.advance_days(45);
        // (A group: no new internal users are admitted while restricted.)
        app.group(&slug, &app.platform, "ops").await;
        settle(&lab);
        assert_eq!(app.store.run_audit_webhooks(&sender()).await.unwrap(), 0);
        assert!(receiver.deliveries().is_empty());
        lab.install(&lab.license("renewal", 10, 365, &["audit_streaming"])).await.expect(StatusCode::OK);
        app.delete("/api/v1/license/l", &app.platform).await.expect(StatusCode::NO_CONTENT);
        lab.clock.advance(time::Duration::seconds(10));
        assert_eq!(app.store.run_audit_webhooks(&sender()).await.unwrap(), 1);
        let events = receiver.deliveries()[0].1["events"].clone();
        assert!(events.as_array().unwrap().iter().any(|e| e["action"] == "group.create"));
    }

    async fn another_tenants_token_gets_404_for_its_webhook(db: TestDb) {
        let lab = lab(db).await;
        let app = &lab.app;
        let a = app.tenant("acme").await;
        let b = app.tenant("globex").await;
        enterprise(&lab, &b).await;
        let token_a = app.token(&a, &["admin"]).await;
        app.get(&format!("/api/v1/tenants/{b}/events/webhook"), &token_a)
            .await.expect_problem(StatusCode::NOT_FOUND, "tenant-not-found");
        app.send("PUT", &format!("/api/v1/tenants/{b}/events/webhook"), Some(&token_a),
            Some(json!({"url": "https://hooks.example.com/x"})), &[])
            .await.expect_problem(StatusCode::NOT_FOUND, "tenant-not-found");
        app.delete(&format!("/api/v1/tenants/{b}/events/webhook"), &token_a)
            .await.expect_problem(StatusCode::NOT_FOUND, "tenant-not-found");
    }
}
