//! Hosted signup: a new organization and its first admin, verified by a
//! signed link mailed over real SMTP (aiosmtpd), then a console session that
//! creates the first tokens.

mod common;
use common::smtp::{SmtpServer, verification_link};
use common::*;

use std::sync::Arc;
use std::time::{Duration, Instant};

use latchkey_api::app::HttpLimits;
use latchkey_api::client_address::ProxyTrust;
use latchkey_api::ratelimit::{RateLimiter, RateLimits};
use latchkey_api::signup::Signup;
use latchkey_api::signup::mail::Mailer;
use latchkey_tenants::clock::ManualClock;
use latchkey_tenants::testing::TestDb;
use poem::http::StatusCode;
use poem::test::TestClient;
use serde_json::{Value, json};
use time::OffsetDateTime;

const PUBLIC_URL: &str = "http://id.latchkey.test";
const PASSWORD: &str = "violet-harbour-tangent-42";
/// Nothing listens here: mail to it fails quietly in the background.
const NO_SMTP: &str = "smtp://127.0.0.1:9";

fn service(smtp_url: &str, per_minute: u32) -> Signup {
    Signup {
        mailer: Mailer::new(smtp_url, "Latchkey <no-reply@latchkey.test>").unwrap(),
        public_url: PUBLIC_URL.into(),
        link_ttl: Duration::from_secs(24 * 3600),
        session_ttl: Duration::from_secs(8 * 3600),
        limiter: limiter(per_minute),
        slug_lookups: limiter(per_minute),
    }
}

/// A limiter of `per_minute` per address, behind one proxy.
fn limiter(per_minute: u32) -> RateLimiter {
    RateLimiter::per_minute(RateLimits {
        per_address: per_minute,
        per_token: 0,
        proxies: ProxyTrust {
            one_proxy: true,
            networks: Vec::new(),
        },
    })
}

async fn app(db: TestDb) -> TestApp {
    let store = db.store().await;
    TestApp::with_signup(db, store, service(NO_SMTP, 0)).await
}

async fn app_with_mail(db: TestDb) -> (TestApp, SmtpServer) {
    let smtp = SmtpServer::start();
    let store = db.store().await;
    let app = TestApp::with_signup(db, store, service(&smtp.url(), 0)).await;
    (app, smtp)
}

async fn app_with_clock(db: TestDb) -> (TestApp, ManualClock) {
    let clock = ManualClock::new(OffsetDateTime::now_utc());
    let store = db.store_with(|c| c.clock = Arc::new(clock.clone())).await;
    (
        TestApp::with_signup(db, store, service(NO_SMTP, 0)).await,
        clock,
    )
}

fn signup_body(slug: &str, email: &str) -> Value {
    json!({
        "organization_name": format!("{slug} Inc"),
        "slug": slug,
        "email": email,
        "password": PASSWORD,
    })
}

async fn sign_up(app: &TestApp, slug: &str, email: &str) -> Reply {
    app.send(
        "POST",
        "/api/v1/signup",
        None,
        Some(signup_body(slug, email)),
        &[],
    )
    .await
}

/// The path (with query) of a link to this service.
fn path_of(link: &str) -> String {
    link.strip_prefix(PUBLIC_URL)
        .expect("a link to the public URL")
        .to_owned()
}

async fn verified(app: &TestApp, smtp: &SmtpServer, slug: &str, email: &str) {
    sign_up(app, slug, email).await.expect(StatusCode::ACCEPTED);
    let link = verification_link(&smtp.wait_for(email).await);
    app.send("GET", &path_of(&link), None, None, &[])
        .await
        .expect(StatusCode::OK);
}

async fn sign_in(app: &TestApp, slug: &str, email: &str, password: &str) -> Reply {
    app.send(
        "POST",
        "/api/v1/signup/session",
        None,
        Some(json!({"slug": slug, "email": email, "password": password})),
        &[],
    )
    .await
}

/// `name=value` of a reply's `Set-Cookie`, for a `Cookie` header.
fn cookie(r: &Reply) -> String {
    r.header("set-cookie")
        .expect("a Set-Cookie header")
        .split(';')
        .next()
        .unwrap()
        .to_owned()
}

async fn tenant_status(app: &TestApp, slug: &str) -> String {
    app.get(&format!("/api/v1/tenants/{slug}"), &app.platform)
        .await
        .expect(StatusCode::OK)
        .body["status"]
        .as_str()
        .unwrap()
        .to_owned()
}

both_backends! {
    async fn signup_is_off_by_default_and_answers_404(db: TestDb) {
        let app = TestApp::start(db).await;
        sign_up(&app, "acme", "ada@acme.example")
            .await
            .expect_problem(StatusCode::NOT_FOUND, "signup-disabled");
        app.send("GET", "/api/v1/signup/slug-availability?slug=acme", None, None, &[])
            .await
            .expect_problem(StatusCode::NOT_FOUND, "signup-disabled");
        let page = app.send("GET", "/signup", None, None, &[]).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
    }

    async fn a_signup_creates_a_pending_tenant_on_the_free_plan(db: TestDb) {
        let app = app(db).await;
        let r = sign_up(&app, "acme", "ada@acme.example")
            .await
            .expect(StatusCode::ACCEPTED);
        assert_eq!(r.body["slug"], "acme");
        assert_eq!(r.body["status"], "pending");
        assert!(r.body.get("password").is_none());
        let t = app
            .get("/api/v1/tenants/acme", &app.platform)
            .await
            .expect(StatusCode::OK);
        assert_eq!(t.body["status"], "pending");
        assert_eq!(t.body["plan"], "free");
        assert_eq!(t.body["display_name"], "acme Inc");
    }

    async fn a_pending_tenant_refuses_every_tenant_surface(db: TestDb) {
        let app = app(db).await;
        sign_up(&app, "acme", "ada@acme.example")
            .await
            .expect(StatusCode::ACCEPTED);
        app.get("/api/v1/tenants/acme/users", &app.platform)
            .await
            .expect_problem(StatusCode::FORBIDDEN, "tenant-pending");
        app.post(
            "/api/v1/tenants/acme/tokens",
            &app.platform,
            json!({"name": "x", "scopes": ["scim"]}),
        )
        .await
        .expect_problem(StatusCode::FORBIDDEN, "tenant-pending");
    }

    async fn the_mailed_link_activates_the_tenant_and_shows_its_scim_url(db: TestDb) {
        let (app, smtp) = app_with_mail(db).await;
        sign_up(&app, "acme", "ada@acme.example")
            .await
            .expect(StatusCode::ACCEPTED);
        let mail = smtp.wait_for("ada@acme.example").await;
        assert!(mail.contains("Subject: Verify your email address for acme Inc"), "{mail}");
        assert!(!mail.contains(PASSWORD));
        let link = verification_link(&mail);
        assert!(link.starts_with(&format!("{PUBLIC_URL}/signup/verify?tenant=acme&token=")), "{link}");
        let page = app
            .send("GET", &path_of(&link), None, None, &[])
            .await
            .expect(StatusCode::OK);
        let html = page.body.as_str().unwrap();
        assert!(html.contains("Email verified"), "{html}");
        assert!(html.contains(&format!("{PUBLIC_URL}/t/acme/scim/v2")), "{html}");
        assert_eq!(page.header("referrer-policy"), Some("no-referrer"));
        assert_eq!(tenant_status(&app, "acme").await, "active");
        app.get("/api/v1/tenants/acme/users", &app.platform)
            .await
            .expect(StatusCode::OK);
    }

    async fn following_the_link_again_answers_the_active_tenant(db: TestDb) {
        let (app, smtp) = app_with_mail(db).await;
        verified(&app, &smtp, "acme", "ada@acme.example").await;
        let link = verification_link(&smtp.wait_for("ada@acme.example").await);
        let (slug, token) = query_of(&link);
        let r = app
            .send("POST", "/api/v1/signup/verify", None, Some(json!({"slug": slug, "token": token})), &[])
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["status"], "active");
        assert_eq!(r.body["scim_base_url"], format!("{PUBLIC_URL}/t/acme/scim/v2"));
    }

    async fn the_link_can_be_sent_again_and_either_mail_verifies(db: TestDb) {
        let (app, smtp) = app_with_mail(db).await;
        sign_up(&app, "acme", "ada@acme.example").await.expect(StatusCode::ACCEPTED);
        smtp.wait_for("ada@acme.example").await;
        let resend = |slug: &'static str, email: &'static str| {
            let app = &app;
            async move {
                app.send("POST", "/api/v1/signup/resend", None, Some(json!({"slug": slug, "email": email})), &[])
                    .await
                    .expect(StatusCode::ACCEPTED)
                    .body
            }
        };
        let sent = resend("acme", "ADA@acme.example").await;
        // Unknown addresses and organizations get the very same answer, and no mail.
        assert_eq!(resend("acme", "eve@evil.example").await, sent);
        assert_eq!(resend("nowhere", "ada@acme.example").await, sent);
        let started = Instant::now();
        while smtp.messages().len() < 2 {
            assert!(started.elapsed() < Duration::from_secs(20), "the link was not sent again");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
        let mails = smtp.messages();
        assert_eq!(mails.len(), 2, "mail went to an address that did not sign up");
        app.send("GET", &path_of(&verification_link(&mails[1])), None, None, &[])
            .await
            .expect(StatusCode::OK);
        assert_eq!(tenant_status(&app, "acme").await, "active");
        // Once verified, nothing is sent any more.
        resend("acme", "ada@acme.example").await;
        tokio::time::sleep(Duration::from_millis(500)).await;
        assert_eq!(smtp.messages().len(), 2);
    }

    async fn a_tampered_link_is_refused_and_activates_nothing(db: TestDb) {
        let (app, smtp) = app_with_mail(db).await;
        sign_up(&app, "acme", "ada@acme.example")
            .await
            .expect(StatusCode::ACCEPTED);
        let link = verification_link(&smtp.wait_for("ada@acme.example").await);
        let (slug, token) = query_of(&link);
        let mut forged = token.clone().into_bytes();
        let last = forged.len() - 5;
        forged[last] = if forged[last] == b'A' { b'B' } else { b'A' };
        let forged = String::from_utf8(forged).unwrap();
        for (slug, token) in [(slug.as_str(), forged.as_str()), (slug.as_str(), "nonsense"), ("other", token.as_str())] {
            app.send("POST", "/api/v1/signup/verify", None, Some(json!({"slug": slug, "token": token})), &[])
                .await
                .expect_problem(StatusCode::BAD_REQUEST, "link-invalid");
        }
        assert_eq!(tenant_status(&app, "acme").await, "pending");
    }

    async fn a_link_of_one_signup_does_not_verify_another(db: TestDb) {
        let (app, smtp) = app_with_mail(db).await;
        sign_up(&app, "acme", "ada@acme.example").await.expect(StatusCode::ACCEPTED);
        sign_up(&app, "zeta", "bob@zeta.example").await.expect(StatusCode::ACCEPTED);
        let (_, acme_token) = query_of(&verification_link(&smtp.wait_for("ada@acme.example").await));
        app.send("POST", "/api/v1/signup/verify", None, Some(json!({"slug": "zeta", "token": acme_token})), &[])
            .await
            .expect_problem(StatusCode::BAD_REQUEST, "link-invalid");
        assert_eq!(tenant_status(&app, "zeta").await, "pending");
    }

    async fn an_expired_link_is_refused(db: TestDb) {
        let (app, smtp) = {
            let smtp = SmtpServer::start();
            let clock = ManualClock::new(OffsetDateTime::now_utc());
            let store = db.store_with(|c| c.clock = Arc::new(clock.clone())).await;
            let app = TestApp::with_signup(db, store, service(&smtp.url(), 0)).await;
            sign_up(&app, "acme", "ada@acme.example").await.expect(StatusCode::ACCEPTED);
            clock.advance(time::Duration::hours(24));
            (app, smtp)
        };
        let link = verification_link(&smtp.wait_for("ada@acme.example").await);
        let page = app.send("GET", &path_of(&link), None, None, &[]).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST);
        assert!(page.body.as_str().unwrap().contains("expired"));
        let (slug, token) = query_of(&link);
        app.send("POST", "/api/v1/signup/verify", None, Some(json!({"slug": slug, "token": token})), &[])
            .await
            .expect_problem(StatusCode::BAD_REQUEST, "link-expired");
        assert_eq!(tenant_status(&app, "acme").await, "pending");
    }

    async fn a_signup_never_verified_gives_its_slug_back_when_its_link_expires(db: TestDb) {
        let (app, clock) = app_with_clock(db).await;
        sign_up(&app, "acme", "ada@acme.example").await.expect(StatusCode::ACCEPTED);
        sign_up(&app, "acme", "eve@evil.example")
            .await
            .expect_problem(StatusCode::CONFLICT, "slug-taken");
        clock.advance(time::Duration::hours(25));
        let a = app.send("GET", "/api/v1/signup/slug-availability?slug=acme", None, None, &[]).await;
        assert_eq!(a.body["available"], true, "{}", a.body);
        sign_up(&app, "acme", "bob@acme.example").await.expect(StatusCode::ACCEPTED);
        assert_eq!(tenant_status(&app, "acme").await, "pending");
    }

    async fn two_signups_racing_for_one_slug_one_wins_the_other_gets_slug_taken(db: TestDb) {
        // Two nodes on one database, each signing up for the same slugs at once.
        let other_node = TestClient::new(node_with_signup(
            db.store().await,
            Some(service(NO_SMTP, 0)),
            HttpLimits::default(),
        ));
        let app = app(db).await;
        for slug in ["acme", "beta", "gamma"] {
            let there = other_node
                .post("/api/v1/signup")
                .body_json(&signup_body(slug, "bob@example.com"))
                .send();
            let (here, there) = tokio::join!(sign_up(&app, slug, "ada@example.com"), there);
            let there_status = there.0.status();
            let there_body: Value = there.0.into_body().into_json().await.unwrap();
            let mut statuses = [here.status, there_status];
            statuses.sort();
            assert_eq!(
                statuses,
                [StatusCode::ACCEPTED, StatusCode::CONFLICT],
                "{slug}: {} / {there_body}",
                here.body
            );
            let loser = if here.status == StatusCode::CONFLICT { here.body } else { there_body };
            assert_eq!(loser["code"], "slug-taken", "{loser}");
            assert!(loser["detail"].as_str().unwrap().contains(slug));
        }
        let list = app.get("/api/v1/tenants", &app.platform).await.expect(StatusCode::OK);
        assert_eq!(list.body["items"].as_array().unwrap().len(), 3);
    }

    async fn a_taken_slug_is_refused_with_slug_taken(db: TestDb) {
        let app = app(db).await;
        app.tenant("acme").await;
        sign_up(&app, "acme", "ada@acme.example")
            .await
            .expect_problem(StatusCode::CONFLICT, "slug-taken");
    }

    async fn a_reserved_or_malformed_slug_is_refused_with_the_field_named(db: TestDb) {
        let app = app(db).await;
        for (slug, why) in [("admin", "reserved"), ("Acme", "lowercase"), ("ab", "3 to 63")] {
            let r = sign_up(&app, slug, "ada@acme.example")
                .await
                .expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
            assert_eq!(r.body["errors"][0]["field"], "slug");
            assert!(r.body["detail"].as_str().unwrap().contains(why), "{}", r.body);
        }
    }

    async fn weak_passwords_are_refused_with_the_field_named(db: TestDb) {
        let app = app(db).await;
        for (password, why) in [
            ("short-1A!", "at least 12"),
            ("password12345", "common"),
            ("ada@acme.example-x", "email"),
            ("my-acme-password-77", "slug"),
        ] {
            let mut b = signup_body("acme", "ada@acme.example");
            b["password"] = json!(password);
            let r = app
                .send("POST", "/api/v1/signup", None, Some(b), &[])
                .await
                .expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
            assert_eq!(r.body["errors"][0]["field"], "password", "{}", r.body);
            assert!(r.body["detail"].as_str().unwrap().contains(why), "{password}: {}", r.body);
            assert!(!r.body.to_string().contains(password), "the password must not be echoed");
        }
    }

    async fn an_address_that_cannot_receive_mail_is_refused(db: TestDb) {
        let app = app(db).await;
        for email in ["no-at-sign", "a@b@c", "ada@acme.example\r\nBcc: eve@evil.example"] {
            sign_up(&app, "acme", email)
                .await
                .expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
        }
    }

    async fn signing_up_answers_alike_whether_or_not_the_email_is_registered(db: TestDb) {
        let (app, smtp) = app_with_mail(db).await;
        verified(&app, &smtp, "acme", "ada@acme.example").await;
        let known = sign_up(&app, "beta", "ada@acme.example").await.expect(StatusCode::ACCEPTED);
        let unknown = sign_up(&app, "gamma", "new@gamma.example").await.expect(StatusCode::ACCEPTED);
        let shape = |r: &Reply| {
            let mut b = r.body.clone();
            b["slug"] = json!("");
            b["verification_expires_at"] = json!("");
            b
        };
        assert_eq!(shape(&known), shape(&unknown));
    }

    async fn a_failed_sign_in_answers_alike_and_takes_as_long_for_unknown_emails(db: TestDb) {
        let (app, smtp) = app_with_mail(db).await;
        verified(&app, &smtp, "acme", "ada@acme.example").await;
        let known = sign_in(&app, "acme", "ada@acme.example", "wrong-password-123")
            .await
            .expect_problem(StatusCode::UNAUTHORIZED, "credentials-invalid");
        let unknown = sign_in(&app, "acme", "nobody@acme.example", "wrong-password-123")
            .await
            .expect_problem(StatusCode::UNAUTHORIZED, "credentials-invalid");
        let no_org = sign_in(&app, "nowhere", "ada@acme.example", "wrong-password-123")
            .await
            .expect_problem(StatusCode::UNAUTHORIZED, "credentials-invalid");
        assert_eq!(known.body["detail"], unknown.body["detail"]);
        assert_eq!(known.body["detail"], no_org.body["detail"]);
        // Each failure hashes a password (argon2id, tens of milliseconds);
        // a shortcut for unknown emails would answer in about one.
        let median = |email: &'static str| {
            let app = &app;
            async move {
                let mut times = Vec::new();
                for _ in 0..5 {
                    let started = Instant::now();
                    sign_in(app, "acme", email, "wrong-password-123").await;
                    times.push(started.elapsed());
                }
                times.sort();
                times[2]
            }
        };
        let known = median("ada@acme.example").await;
        let unknown = median("nobody@acme.example").await;
        assert!(unknown * 3 > known && known * 3 > unknown, "known {known:?}, unknown {unknown:?}");
    }

    async fn slug_availability_says_whether_and_why(db: TestDb) {
        let app = app(db).await;
        app.tenant("taken").await;
        let check = |slug: &'static str| {
            let app = &app;
            async move {
                app.send("GET", &format!("/api/v1/signup/slug-availability?slug={slug}"), None, None, &[])
                    .await
                    .expect(StatusCode::OK)
                    .body
            }
        };
        let free = check("free-one").await;
        assert_eq!(free["available"], true);
        assert!(free.get("reason").is_none());
        let taken = check("taken").await;
        assert_eq!(taken["available"], false);
        assert_eq!(taken["reason"], "is already taken");
        let reserved = check("admin").await;
        assert_eq!(reserved["available"], false);
        assert!(reserved["reason"].as_str().unwrap().contains("reserved"));
    }

    async fn the_suggested_slug_is_derived_from_the_name_and_free(db: TestDb) {
        let app = app(db).await;
        let suggest = || async {
            app.send("GET", "/api/v1/signup/slug-suggestion?organization_name=Acme%20Corp%2C%20Inc.", None, None, &[])
                .await
                .expect(StatusCode::OK)
                .body["slug"]
                .as_str()
                .unwrap()
                .to_owned()
        };
        assert_eq!(suggest().await, "acme-corp-inc");
        app.tenant("acme-corp-inc").await;
        assert_eq!(suggest().await, "acme-corp-inc-2");
    }

    async fn signups_are_rate_limited_per_client_address(db: TestDb) {
        let store = db.store().await;
        let app = TestApp::with_signup(db, store, service(NO_SMTP, 1)).await;
        let from = |ip: &'static str, slug: &'static str| {
            let app = &app;
            async move {
                app.send("POST", "/api/v1/signup", None, Some(signup_body(slug, "ada@acme.example")), &[("X-Forwarded-For", ip)])
                    .await
            }
        };
        from("203.0.113.7", "one-org").await.expect(StatusCode::ACCEPTED);
        from("203.0.113.7", "two-org").await.expect(StatusCode::ACCEPTED);
        from("203.0.113.7", "three-org")
            .await
            .expect_problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
        // An entry the client wrote in front of the proxy's changes nothing.
        from("198.51.100.9, 203.0.113.7", "three-org")
            .await
            .expect_problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
        from("198.51.100.1", "four-org").await.expect(StatusCode::ACCEPTED);
    }

    async fn slug_lookups_are_rate_limited_per_client_address_apart_from_signups(db: TestDb) {
        let store = db.store().await;
        let app = TestApp::with_signup(db, store, service(NO_SMTP, 1)).await;
        let from = |ip: &'static str, path: &'static str| {
            let app = &app;
            async move { app.send("GET", path, None, None, &[("X-Forwarded-For", ip)]).await }
        };
        let check = "/api/v1/signup/slug-availability?slug=acme";
        let suggest = "/api/v1/signup/slug-suggestion?organization_name=Acme";
        from("203.0.113.7", check).await.expect(StatusCode::OK);
        from("203.0.113.7", suggest).await.expect(StatusCode::OK);
        from("203.0.113.7", check).await.expect_problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
        from("203.0.113.7", suggest).await.expect_problem(StatusCode::TOO_MANY_REQUESTS, "rate-limited");
        from("198.51.100.1", check).await.expect(StatusCode::OK);
        // The lookups spent nothing of the address's signup budget.
        app.send("POST", "/api/v1/signup", None, Some(signup_body("acme", "ada@acme.example")), &[("X-Forwarded-For", "203.0.113.7")])
            .await
            .expect(StatusCode::ACCEPTED);
    }

    async fn signing_in_before_verification_says_so_only_with_the_right_password(db: TestDb) {
        let app = app(db).await;
        sign_up(&app, "acme", "ada@acme.example").await.expect(StatusCode::ACCEPTED);
        sign_in(&app, "acme", "ada@acme.example", "wrong-password-123")
            .await
            .expect_problem(StatusCode::UNAUTHORIZED, "credentials-invalid");
        sign_in(&app, "acme", "ada@acme.example", PASSWORD)
            .await
            .expect_problem(StatusCode::FORBIDDEN, "tenant-pending");
    }

    async fn an_operator_activated_tenant_still_needs_a_verified_admin_to_sign_in(db: TestDb) {
        let app = app(db).await;
        sign_up(&app, "acme", "ada@acme.example").await.expect(StatusCode::ACCEPTED);
        app.send("POST", "/api/v1/tenants/acme/resume", Some(&app.platform), None, &[])
            .await
            .expect(StatusCode::OK);
        assert_eq!(tenant_status(&app, "acme").await, "active");
        sign_in(&app, "acme", "ada@acme.example", PASSWORD)
            .await
            .expect_problem(StatusCode::FORBIDDEN, "tenant-pending");
    }

    async fn a_session_ends_with_its_tenant(db: TestDb) {
        let (app, smtp) = app_with_mail(db).await;
        verified(&app, &smtp, "acme", "ada@acme.example").await;
        let cookie = cookie(&sign_in(&app, "acme", "ada@acme.example", PASSWORD).await.expect(StatusCode::CREATED));
        app.send("POST", "/api/v1/tenants/acme/suspend", Some(&app.platform), None, &[])
            .await
            .expect(StatusCode::OK);
        app.send("GET", "/api/v1/signup/session", None, None, &[("Cookie", &cookie)])
            .await
            .expect_problem(StatusCode::FORBIDDEN, "tenant-suspended");
        app.delete("/api/v1/tenants/acme", &app.platform).await;
        app.send("GET", "/api/v1/signup/session", None, None, &[("Cookie", &cookie)])
            .await
            .expect_problem(StatusCode::UNAUTHORIZED, "session-invalid");
        sign_up(&app, "acme", "bob@acme.example").await.expect(StatusCode::ACCEPTED);
    }

    async fn a_verified_admin_signs_in_and_creates_a_scim_token_shown_once(db: TestDb) {
        let (app, smtp) = app_with_mail(db).await;
        verified(&app, &smtp, "acme", "ada@acme.example").await;
        let r = sign_in(&app, "acme", "ADA@acme.example", PASSWORD)
            .await
            .expect(StatusCode::CREATED);
        let set = r.header("set-cookie").unwrap().to_owned();
        assert!(set.starts_with("latchkey_session=lkc_"), "{set}");
        for attr in ["HttpOnly", "SameSite=Strict", "Path=/"] {
            assert!(set.contains(attr), "{set}");
        }
        assert_eq!(r.body["scim_base_url"], format!("{PUBLIC_URL}/t/acme/scim/v2"));
        let cookie = cookie(&r);
        let me = app
            .send("GET", "/api/v1/signup/session", None, None, &[("Cookie", &cookie)])
            .await
            .expect(StatusCode::OK);
        assert_eq!(me.body["email"], "ada@acme.example");
        let created = app
            .send("POST", "/api/v1/signup/session/tokens", None,
                Some(json!({"name": "Entra ID", "scopes": ["scim"]})), &[("Cookie", &cookie)])
            .await
            .expect(StatusCode::CREATED);
        let secret = created.body["token"].as_str().unwrap().to_owned();
        assert!(secret.starts_with("lks_"));
        app.scim("GET", "acme", "/Users", &secret, None).await.expect(StatusCode::OK);
        let listed = app
            .send("GET", "/api/v1/signup/session/tokens", None, None, &[("Cookie", &cookie)])
            .await
            .expect(StatusCode::OK);
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
        assert!(!listed.body.to_string().contains(&secret));
    }

    async fn console_requests_without_a_session_are_refused(db: TestDb) {
        let app = app(db).await;
        app.send("GET", "/api/v1/signup/session", None, None, &[])
            .await
            .expect_problem(StatusCode::UNAUTHORIZED, "session-invalid");
        app.send("POST", "/api/v1/signup/session/tokens", None,
            Some(json!({"name": "x", "scopes": ["admin"]})),
            &[("Cookie", "latchkey_session=lkc_forged")])
            .await
            .expect_problem(StatusCode::UNAUTHORIZED, "session-invalid");
    }

    async fn console_changes_from_another_origin_are_refused(db: TestDb) {
        let (app, smtp) = app_with_mail(db).await;
        verified(&app, &smtp, "acme", "ada@acme.example").await;
        let cookie = cookie(&sign_in(&app, "acme", "ada@acme.example", PASSWORD).await.expect(StatusCode::CREATED));
        for headers in [
            [("Cookie", cookie.as_str()), ("Origin", "https://evil.example")],
            [("Cookie", cookie.as_str()), ("Sec-Fetch-Site", "cross-site")],
        ] {
            app.send("POST", "/api/v1/signup/session/tokens", None,
                Some(json!({"name": "x", "scopes": ["admin"]})), &headers)
                .await
                .expect_problem(StatusCode::FORBIDDEN, "cross-site-request");
        }
        app.send("POST", "/api/v1/signup/session/tokens", None,
            Some(json!({"name": "ok", "scopes": ["admin"]})),
            &[("Cookie", cookie.as_str()), ("Origin", PUBLIC_URL)])
            .await
            .expect(StatusCode::CREATED);
    }

    async fn signing_out_ends_the_session(db: TestDb) {
        let (app, smtp) = app_with_mail(db).await;
        verified(&app, &smtp, "acme", "ada@acme.example").await;
        let cookie = cookie(&sign_in(&app, "acme", "ada@acme.example", PASSWORD).await.expect(StatusCode::CREATED));
        let out = app
            .send("DELETE", "/api/v1/signup/session", None, None, &[("Cookie", &cookie)])
            .await
            .expect(StatusCode::NO_CONTENT);
        assert!(out.header("set-cookie").unwrap().contains("Max-Age=0"));
        app.send("GET", "/api/v1/signup/session", None, None, &[("Cookie", &cookie)])
            .await
            .expect_problem(StatusCode::UNAUTHORIZED, "session-invalid");
    }

    async fn a_console_session_reaches_only_its_own_tenant(db: TestDb) {
        let (app, smtp) = app_with_mail(db).await;
        verified(&app, &smtp, "acme", "ada@acme.example").await;
        verified(&app, &smtp, "zeta", "bob@zeta.example").await;
        let a = cookie(&sign_in(&app, "acme", "ada@acme.example", PASSWORD).await.expect(StatusCode::CREATED));
        // The password of acme's admin does not open zeta.
        sign_in(&app, "zeta", "ada@acme.example", PASSWORD)
            .await
            .expect_problem(StatusCode::UNAUTHORIZED, "credentials-invalid");
        let created = app
            .send("POST", "/api/v1/signup/session/tokens", None,
                Some(json!({"name": "ci", "scopes": ["admin"]})), &[("Cookie", &a)])
            .await
            .expect(StatusCode::CREATED);
        let token = created.body["token"].as_str().unwrap();
        // The token the console made is acme's: zeta's resources are 404 to it.
        app.get("/api/v1/tenants/zeta/users", token)
            .await
            .expect_problem(StatusCode::NOT_FOUND, "tenant-not-found");
        app.get("/api/v1/tenants/zeta/tokens", token)
            .await
            .expect_problem(StatusCode::NOT_FOUND, "tenant-not-found");
        let zeta_tokens = app.get("/api/v1/tenants/zeta/tokens", &app.platform).await.expect(StatusCode::OK);
        assert_eq!(zeta_tokens.body["items"].as_array().unwrap().len(), 0);
        // A cookie naming zeta's id with acme's secret is no session at all.
        let zeta_id = app.get("/api/v1/tenants/zeta", &app.platform).await.body["id"].as_str().unwrap().to_owned();
        let forged = forge_session_for(&a, &zeta_id);
        app.send("GET", "/api/v1/signup/session", None, None, &[("Cookie", &forged)])
            .await
            .expect_problem(StatusCode::UNAUTHORIZED, "session-invalid");
    }

    async fn the_signup_page_is_served_with_a_strict_content_security_policy(db: TestDb) {
        let app = app(db).await;
        let page = app.send("GET", "/signup", None, None, &[]).await.expect(StatusCode::OK);
        let html = page.body.as_str().unwrap();
        assert!(html.contains("Create your organization"));
        assert!(html.contains("/signup/assets/signup.js"));
        let csp = page.header("content-security-policy").unwrap();
        assert!(csp.contains("script-src 'self'") && csp.contains("frame-ancestors 'none'"), "{csp}");
        app.send("GET", "/signup/assets/signup.js", None, None, &[]).await.expect(StatusCode::OK);
    }
}

/// `tenant` and `token` of a verification link.
fn query_of(link: &str) -> (String, String) {
    let query = link.split_once('?').unwrap().1;
    let mut slug = String::new();
    let mut token = String::new();
    for pair in query.split('&') {
        match pair.split_once('=') {
            Some(("tenant", v)) => slug = v.to_owned(),
            Some(("token", v)) => token = v.to_owned(),
            _ => {}
        }
    }
    (slug, token)
}

/// A cookie whose embedded tenant id is `tenant_id` but whose secret is
/// taken from `cookie`.
fn forge_session_for(cookie: &str, tenant_id: &str) -> String {
    use base64::Engine;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;
    let value = cookie.strip_prefix("latchkey_session=lkc_").unwrap();
    let mut raw = URL_SAFE_NO_PAD.decode(value).unwrap();
    let id = uuid::Uuid::parse_str(tenant_id).unwrap();
    raw[..16].copy_from_slice(id.as_bytes());
    format!("latchkey_session=lkc_{}", URL_SAFE_NO_PAD.encode(raw))
}
