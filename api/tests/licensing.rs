//! Licences over the operator API (`/api/v1/license`), the seats they are
//! measured against, and the warnings and restrictions of expiry and
//! overuse. Licences here are signed with a key of the test's own, trusted
//! through `TrustedKeys::for_tests` (which the binary does not contain).

mod common;
use common::*;

use common::license::lab;
use latchkey_tenants::licensing::{LicenseClaims, SigningKeyPair, TrustedKeys};
use latchkey_tenants::testing::TestDb;
use poem::http::StatusCode;
use serde_json::{Value, json};
use time::OffsetDateTime;

fn seats_used(status: &Value) -> u64 {
    status["seats"]["used"].as_u64().unwrap()
}

both_backends! {
    async fn without_a_licence_the_status_is_none_and_users_are_still_counted(db: TestDb) {
        let lab = lab(db).await;
        let app = &lab.app;
        let slug = app.tenant("acme").await;
        app.user(&slug, &app.platform, "ada").await;
        let s = lab.status().await;
        assert_eq!(s["status"], "none");
        assert_eq!(s["seats"], json!({"used": 1, "licensed": null, "over_since": null, "grace_until": null}));
        assert_eq!(s["features"], json!([]));
        assert_eq!(s["restricted"], false);
        assert!(s["installation_id"].as_str().is_some());
    }

    async fn an_installed_licence_is_valid_with_its_seats_and_features(db: TestDb) {
        let lab = lab(db).await;
        let s = lab
            .install(&lab.license("lic-1", 25, 365, &["audit_export"]))
            .await
            .expect(StatusCode::OK)
            .body;
        assert_eq!(s["status"], "valid");
        assert_eq!(s["seats"]["licensed"], 25);
        assert_eq!(s["features"], json!(["audit_export"]));
        assert_eq!(s["licenses"][0]["id"], "lic-1");
        assert_eq!(s["licenses"][0]["licensee"], "Acme Corp");
        assert_eq!(s["licenses"][0]["installation"], "any");
        assert_eq!(lab.status().await["status"], "valid");
    }

    async fn a_licence_from_an_untrusted_key_is_refused_and_nothing_is_installed(db: TestDb) {
        let lab = lab(db).await;
        let forger = SigningKeyPair::generate();
        let now = lab.now().unix_timestamp();
        let forged = forger
            .issue(&LicenseClaims {
                jti: "forged".into(),
                sub: "Mallory".into(),
                iat: now,
                nbf: now,
                exp: now + 86_400 * 365,
                install: "any".into(),
                seats: 1_000_000,
                features: vec!["audit_export".into()],
            })
            .unwrap();
        let r = lab.install(&forged).await.expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
        assert!(r.body["detail"].as_str().unwrap().contains("does not trust"), "{}", r.body);
        assert_eq!(lab.status().await["status"], "none");
    }

    async fn text_that_is_no_licence_is_refused_with_a_problem(db: TestDb) {
        let lab = lab(db).await;
        lab.install("hello").await.expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
    }

    async fn a_licence_sent_as_octet_stream_installs_as_the_contract_declares(db: TestDb) {
        let lab = lab(db).await;
        let license = lab.license("lic-bin", 5, 365, &[]);
        let s = lab
            .install_as("application/octet-stream", license.into_bytes())
            .await
            .expect(StatusCode::OK)
            .body;
        assert_eq!(s["licenses"][0]["id"], "lic-bin");
        assert_eq!(s["status"], "valid");
    }

    async fn a_body_that_is_not_utf8_is_refused_with_a_problem(db: TestDb) {
        let lab = lab(db).await;
        let r = lab
            .install_as("application/octet-stream", vec![0xff, 0xfe, 0x00])
            .await
            .expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
        assert_eq!(r.body["errors"][0]["field"], "license", "{}", r.body);
    }

    async fn a_licence_bound_to_this_installation_installs_and_one_for_another_does_not(db: TestDb) {
        let lab = lab(db).await;
        let here = lab.status().await["installation_id"].as_str().unwrap().to_owned();
        let now = lab.now().unix_timestamp();
        let bound = |install: &str| {
            lab.key
                .issue(&LicenseClaims {
                    jti: format!("bound-{install}"),
                    sub: "Acme".into(),
                    iat: now,
                    nbf: now,
                    exp: now + 86_400 * 365,
                    install: install.into(),
                    seats: 5,
                    features: vec![],
                })
                .unwrap()
        };
        lab.install(&bound(&uuid::Uuid::now_v7().to_string()))
            .await
            .expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
        let s = lab.install(&bound(&here)).await.expect(StatusCode::OK).body;
        assert_eq!(s["licenses"][0]["installation"], json!(here));
    }

    async fn several_licences_add_their_seats_and_the_earliest_expiry_counts(db: TestDb) {
        let lab = lab(db).await;
        lab.install(&lab.license("a", 10, 365, &["audit_export"])).await.expect(StatusCode::OK);
        let s = lab
            .install(&lab.license("b", 15, 100, &["scim_log_retention"]))
            .await
            .expect(StatusCode::OK)
            .body;
        assert_eq!(s["seats"]["licensed"], 25);
        let expires = OffsetDateTime::parse(
            s["expires_at"].as_str().unwrap(),
            &time::format_description::well_known::Rfc3339,
        )
        .unwrap();
        assert_eq!((expires - lab.now()).whole_days(), 100);
        assert_eq!(s["features"], json!(["audit_export", "scim_log_retention"]));
    }

    async fn a_licence_with_the_same_id_replaces_the_installed_one(db: TestDb) {
        let lab = lab(db).await;
        lab.install(&lab.license("a", 10, 365, &[])).await.expect(StatusCode::OK);
        let s = lab.install(&lab.license("a", 40, 365, &[])).await.expect(StatusCode::OK).body;
        assert_eq!(s["seats"]["licensed"], 40);
        assert_eq!(s["licenses"].as_array().unwrap().len(), 1);
    }

    async fn a_licence_is_removed_by_id_and_an_unknown_id_is_404(db: TestDb) {
        let lab = lab(db).await;
        lab.install(&lab.license("a", 10, 365, &[])).await.expect(StatusCode::OK);
        lab.app.delete("/api/v1/license/a", &lab.app.platform).await.expect(StatusCode::NO_CONTENT);
        assert_eq!(lab.status().await["status"], "none");
        lab.app
            .delete("/api/v1/license/a", &lab.app.platform)
            .await
            .expect_problem(StatusCode::NOT_FOUND, "license-not-found");
    }

    async fn licence_management_needs_a_platform_token(db: TestDb) {
        let lab = lab(db).await;
        let slug = lab.app.tenant("acme").await;
        let tenant_token = lab.app.token(&slug, &["admin"]).await;
        lab.app
            .get("/api/v1/license", &tenant_token)
            .await
            .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
        lab.app
            .delete("/api/v1/license/x", &tenant_token)
            .await
            .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
        lab.app
            .send("GET", "/api/v1/license", None, None, &[])
            .await
            .expect_problem(StatusCode::UNAUTHORIZED, "token-missing");
    }

    async fn a_licence_near_its_expiry_is_expiring_with_a_header_and_metrics(db: TestDb) {
        let lab = lab(db).await;
        lab.install(&lab.license("a", 10, 60, &[])).await.expect(StatusCode::OK);
        let r = lab.app.get("/api/v1/license", &lab.app.platform).await.expect(StatusCode::OK);
        assert_eq!(r.body["status"], "valid");
        assert!(r.header("latchkey-license-warning").is_none());
        lab.advance_days(50);
        let r = lab.app.get("/api/v1/license", &lab.app.platform).await.expect(StatusCode::OK);
        assert_eq!(r.body["status"], "expiring");
        assert_eq!(r.body["days_left"], 10);
        assert_eq!(r.header("latchkey-license-status"), Some("expiring"));
        assert!(r.header("latchkey-license-warning").unwrap().contains("expires in 10 day"));
        let metrics = lab.app.send("GET", "/metrics", None, None, &[]).await;
        let text = metrics.body.as_str().unwrap().to_owned();
        assert!(text.contains("latchkey_license_state{state=\"expiring\"} 1"), "{text}");
        assert!(text.contains("latchkey_license_expires_in_days 10"), "{text}");
        assert!(text.contains("latchkey_license_seats_licensed 10"), "{text}");
    }

    async fn an_expired_licence_has_a_grace_period_then_restricts(db: TestDb) {
        let lab = lab(db).await;
        lab.install(&lab.license("a", 10, 30, &["audit_export"])).await.expect(StatusCode::OK);
        lab.advance_days(31);
        let s = lab.status().await;
        assert_eq!(s["status"], "expired");
        assert!(s["grace_until"].as_str().is_some());
        assert_eq!(s["restricted"], false);
        lab.advance_days(14);
        let s = lab.status().await;
        assert_eq!(s["status"], "expired");
        assert_eq!(s["restricted"], true);
        let metrics = lab.app.send("GET", "/metrics", None, None, &[]).await;
        assert!(metrics.body.as_str().unwrap().contains("latchkey_license_restricted 1"));
    }

    async fn an_already_expired_licence_is_refused(db: TestDb) {
        let lab = lab(db).await;
        let l = lab.license("old", 10, 1, &[]);
        lab.advance_days(2);
        let r = lab.install(&l).await.expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
        assert!(r.body["detail"].as_str().unwrap().contains("expired"));
    }

    async fn an_installed_licence_that_no_longer_verifies_makes_the_status_invalid_with_why(db: TestDb) {
        // The same database opened by a build that trusts another key: the
        // stored licence is verified again, never trusted as stored.
        let lab = lab(db).await;
        lab.install(&lab.license("a", 10, 365, &[])).await.expect(StatusCode::OK);
        let other = SigningKeyPair::generate().public();
        let store = lab.app.db.store_with(|c| {
            c.trusted_keys = TrustedKeys::for_tests(&[other]);
        }).await;
        let s = store.license_status().await.unwrap();
        assert_eq!(s.state.as_str(), "invalid");
        assert!(s.warnings[0].contains("does not trust"), "{:?}", s.warnings);
    }
}

/// The status every request carries (headers, checks) is cached; once the
/// cache expires the last status still answers while a new count runs, so no
/// request waits for a count over the whole installation.
mod cached_status {
    use std::time::{Duration, Instant};

    use super::*;

    both_backends! {
        async fn a_just_expired_status_answers_at_once_and_is_recounted_in_the_background(db: TestDb) {
            let lab = lab(db).await;
            let app = &lab.app;
            let slug = app.tenant("acme").await;
            let ttl = Duration::from_secs(2);
            let store = app.db.store_with(|c| c.cache_ttl = ttl).await;
            let counted = Instant::now();
            assert_eq!(store.license_status_cached().await.unwrap().seats_used, 0);
            app.user(&slug, &app.platform, "ada").await;
            tokio::time::sleep((counted + ttl + ttl / 4).saturating_duration_since(Instant::now())).await;

            let stale = store.license_status_cached().await.unwrap();

            assert_eq!(stale.seats_used, 0, "the last status answers without a count");
            let mut seats = 0;
            for _ in 0..50 {
                tokio::time::sleep(Duration::from_millis(100)).await;
                seats = store.license_status_cached().await.unwrap().seats_used;
                if seats == 1 {
                    break;
                }
            }
            assert_eq!(seats, 1, "the background count replaces it");
        }

        async fn a_status_older_than_twice_its_lifetime_is_counted_before_it_answers(db: TestDb) {
            let lab = lab(db).await;
            let app = &lab.app;
            let slug = app.tenant("acme").await;
            let ttl = Duration::from_millis(300);
            let store = app.db.store_with(|c| c.cache_ttl = ttl).await;
            assert_eq!(store.license_status_cached().await.unwrap().seats_used, 0);
            app.user(&slug, &app.platform, "ada").await;
            tokio::time::sleep(3 * ttl).await;

            let status = store.license_status_cached().await.unwrap();

            assert_eq!(status.seats_used, 1);
        }
    }
}

/// Seat usage: active internal users, exact after every change.
mod usage {
    use super::*;

    async fn tenant_seats(app: &TestApp, slug: &str) -> u64 {
        app.get(
            &format!("/api/v1/tenants/{slug}/entitlements"),
            &app.platform,
        )
        .await
        .expect(StatusCode::OK)
        .body["internal_users"]
            .as_u64()
            .unwrap()
    }

    both_backends! {
        async fn rest_creates_count_and_external_and_inactive_users_do_not(db: TestDb) {
            let lab = lab(db).await;
            let app = &lab.app;
            let slug = app.tenant("acme").await;
            app.user(&slug, &app.platform, "ada").await;
            app.post(&format!("/api/v1/tenants/{slug}/users"), &app.platform,
                json!({"user_name": "customer", "kind": "external"})).await.expect(StatusCode::CREATED);
            app.post(&format!("/api/v1/tenants/{slug}/users"), &app.platform,
                json!({"user_name": "leaver", "active": false})).await.expect(StatusCode::CREATED);
            assert_eq!(tenant_seats(app, &slug).await, 1);
            assert_eq!(seats_used(&lab.status().await), 1);
        }

        async fn rest_deactivation_and_deletion_free_a_seat_at_once(db: TestDb) {
            let lab = lab(db).await;
            let app = &lab.app;
            let slug = app.tenant("acme").await;
            let ada = app.user(&slug, &app.platform, "ada").await;
            let bob = app.user(&slug, &app.platform, "bob").await;
            assert_eq!(seats_used(&lab.status().await), 2);
            app.patch(&format!("/api/v1/tenants/{slug}/users/{}", ada["id"].as_str().unwrap()),
                &app.platform, json!({"active": false})).await.expect(StatusCode::OK);
            assert_eq!(seats_used(&lab.status().await), 1);
            app.delete(&format!("/api/v1/tenants/{slug}/users/{}", bob["id"].as_str().unwrap()),
                &app.platform).await.expect(StatusCode::NO_CONTENT);
            assert_eq!(seats_used(&lab.status().await), 0);
            assert_eq!(tenant_seats(app, &slug).await, 0);
        }

        async fn scim_creates_deactivations_and_deletes_are_counted_exactly(db: TestDb) {
            let lab = lab(db).await;
            let app = &lab.app;
            let slug = app.tenant("acme").await;
            let scim = app.scim_token(&slug).await;
            let ada = app.scim_user(&slug, &scim, "ada").await;
            let bob = app.scim_user(&slug, &scim, "bob").await;
            assert_eq!(tenant_seats(app, &slug).await, 2);
            app.scim("PATCH", &slug, &format!("/Users/{}", ada["id"].as_str().unwrap()), &scim, Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "active", "value": false}],
            }))).await.expect(StatusCode::OK);
            assert_eq!(tenant_seats(app, &slug).await, 1);
            app.scim("DELETE", &slug, &format!("/Users/{}", bob["id"].as_str().unwrap()), &scim, None)
                .await.expect(StatusCode::NO_CONTENT);
            assert_eq!(tenant_seats(app, &slug).await, 0);
            assert_eq!(seats_used(&lab.status().await), 0);
        }

        async fn installation_seats_add_up_over_tenants(db: TestDb) {
            let lab = lab(db).await;
            let app = &lab.app;
            let a = app.tenant("acme").await;
            let g = app.tenant("globex").await;
            app.user(&a, &app.platform, "ada").await;
            app.user(&g, &app.platform, "gus").await;
            app.user(&g, &app.platform, "gil").await;
            assert_eq!(tenant_seats(app, &a).await, 1);
            assert_eq!(tenant_seats(app, &g).await, 2);
            assert_eq!(seats_used(&lab.status().await), 3);
        }
    }
}

/// Over the seats, or past expiry: warnings first, then restrictions.
mod restrictions {
    use super::*;

    async fn scim_create(app: &TestApp, slug: &str, token: &str, name: &str) -> Reply {
        app.scim(
            "POST",
            slug,
            "/Users",
            token,
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": name,
            })),
        )
        .await
    }

    both_backends! {
        async fn over_the_seats_warns_first_with_the_date_users_will_be_refused(db: TestDb) {
            let lab = lab(db).await;
            let app = &lab.app;
            lab.install(&lab.license("a", 1, 365, &[])).await.expect(StatusCode::OK);
            let slug = app.tenant("acme").await;
            app.user(&slug, &app.platform, "ada").await;
            let r = app.post(&format!("/api/v1/tenants/{slug}/users"), &app.platform,
                json!({"user_name": "bob"})).await.expect(StatusCode::CREATED);
            let _ = r;
            let r = app.get(&format!("/api/v1/tenants/{slug}/users"), &app.platform).await.expect(StatusCode::OK);
            assert_eq!(r.header("latchkey-license-status"), Some("valid"));
            assert!(r.header("latchkey-license-warning").unwrap().contains("2 active internal users, 1 licensed"));
            let s = lab.status().await;
            assert!(s["seats"]["over_since"].as_str().is_some());
            assert!(s["seats"]["grace_until"].as_str().is_some());
            assert_eq!(s["restricted"], false);
            // Within the grace period new users are still admitted.
            app.user(&slug, &app.platform, "cy").await;
        }

        async fn after_the_seat_grace_period_new_internal_users_are_refused_in_rest_and_scim(db: TestDb) {
            let lab = lab(db).await;
            let app = &lab.app;
            lab.install(&lab.license("a", 1, 365, &[])).await.expect(StatusCode::OK);
            let slug = app.tenant("acme").await;
            let scim = app.scim_token(&slug).await;
            app.user(&slug, &app.platform, "ada").await;
            app.user(&slug, &app.platform, "bob").await;
            lab.status().await; // the overuse is noticed now …
            lab.advance_days(15); // … and tolerated for 14 days.
            let r = app.post(&format!("/api/v1/tenants/{slug}/users"), &app.platform,
                json!({"user_name": "cy"})).await.expect_problem(StatusCode::PAYMENT_REQUIRED, "seats-exhausted");
            assert!(r.body["detail"].as_str().unwrap().contains("no new active internal users"));
            let r = scim_create(app, &slug, &scim, "dee").await.expect_scim_error(StatusCode::PAYMENT_REQUIRED, None);
            assert!(r.body["detail"].as_str().unwrap().contains("no new active internal users"));
            // Nobody is locked out, external and inactive users still come in.
            let users = app.get(&format!("/api/v1/tenants/{slug}/users"), &app.platform).await.expect(StatusCode::OK);
            assert_eq!(users.body["items"].as_array().unwrap().len(), 2);
            assert!(users.body["items"].as_array().unwrap().iter().all(|u| u["active"] == true));
            app.post(&format!("/api/v1/tenants/{slug}/users"), &app.platform,
                json!({"user_name": "customer", "kind": "external"})).await.expect(StatusCode::CREATED);
            app.post(&format!("/api/v1/tenants/{slug}/users"), &app.platform,
                json!({"user_name": "later", "active": false})).await.expect(StatusCode::CREATED);
        }

        async fn reactivating_a_user_takes_a_seat_and_is_refused_when_restricted(db: TestDb) {
            let lab = lab(db).await;
            let app = &lab.app;
            lab.install(&lab.license("a", 1, 30, &[])).await.expect(StatusCode::OK);
            let slug = app.tenant("acme").await;
            let r = app.post(&format!("/api/v1/tenants/{slug}/users"), &app.platform,
                json!({"user_name": "leaver", "active": false})).await.expect(StatusCode::CREATED);
            let id = r.body["id"].as_str().unwrap().to_owned();
            lab.advance_days(45); // expired, past the grace period
            app.patch(&format!("/api/v1/tenants/{slug}/users/{id}"), &app.platform,
                json!({"active": true})).await.expect_problem(StatusCode::PAYMENT_REQUIRED, "seats-exhausted");
            // Other changes to users go through.
            app.patch(&format!("/api/v1/tenants/{slug}/users/{id}"), &app.platform,
                json!({"display_name": "Still Here"})).await.expect(StatusCode::OK);
        }

        async fn deactivating_and_deleting_always_work_when_restricted(db: TestDb) {
            let lab = lab(db).await;
            let app = &lab.app;
            lab.install(&lab.license("a", 1, 30, &[])).await.expect(StatusCode::OK);
            let slug = app.tenant("acme").await;
            let scim = app.scim_token(&slug).await;
            let ada = app.scim_user(&slug, &scim, "ada").await;
            let bob = app.user(&slug, &app.platform, "bob").await;
            lab.advance_days(45);
            assert_eq!(lab.status().await["restricted"], true);
            app.scim("PATCH", &slug, &format!("/Users/{}", ada["id"].as_str().unwrap()), &scim, Some(json!({
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "active", "value": false}],
            }))).await.expect(StatusCode::OK);
            app.delete(&format!("/api/v1/tenants/{slug}/users/{}", bob["id"].as_str().unwrap()),
                &app.platform).await.expect(StatusCode::NO_CONTENT);
        }

        async fn licence_management_works_when_restricted_and_a_renewal_lifts_it(db: TestDb) {
            let lab = lab(db).await;
            let app = &lab.app;
            lab.install(&lab.license("a", 1, 30, &[])).await.expect(StatusCode::OK);
            let slug = app.tenant("acme").await;
            lab.advance_days(45);
            app.post(&format!("/api/v1/tenants/{slug}/users"), &app.platform,
                json!({"user_name": "cy"})).await.expect_problem(StatusCode::PAYMENT_REQUIRED, "seats-exhausted");
            let s = lab.install(&lab.license("renewal", 10, 365, &[])).await.expect(StatusCode::OK).body;
            // The expired licence still counts (earliest expiry) until removed.
            assert_eq!(s["restricted"], true);
            app.delete("/api/v1/license/a", &app.platform).await.expect(StatusCode::NO_CONTENT);
            assert_eq!(lab.status().await["restricted"], false);
            app.user(&slug, &app.platform, "cy").await;
        }
    }
}
