//! Plans and entitlements: what a tenant may use, the one check behind every
//! gated feature (`402 feature-not-entitled`), and each gated feature working
//! when entitled: audit export, the longer SCIM request log, scheduled key
//! rotation; and a plan's limit of internal users.

mod common;
use common::license::{Lab, lab, lab_with};
use common::*;

use latchkey_tenants::Actor;
use latchkey_tenants::licensing::{Plan, Plans};
use latchkey_tenants::testing::TestDb;
use poem::http::StatusCode;
use serde_json::{Value, json};

async fn set_plan(lab: &Lab, slug: &str, plan: &str) {
    lab.app
        .store
        .set_tenant_plan(slug, plan, &Actor::cli())
        .await
        .unwrap();
}

async fn entitlements(app: &TestApp, slug: &str) -> Value {
    app.get(
        &format!("/api/v1/tenants/{slug}/entitlements"),
        &app.platform,
    )
    .await
    .expect(StatusCode::OK)
    .body
}

fn export_path(slug: &str, from: time::OffsetDateTime, to: time::OffsetDateTime) -> String {
    let f = |t: time::OffsetDateTime| {
        t.format(&time::format_description::well_known::Rfc3339)
            .unwrap()
            .replace('+', "%2B")
    };
    format!(
        "/api/v1/tenants/{slug}/events/export?from={}&to={}",
        f(from),
        f(to)
    )
}

/// The raw body of a GET.
async fn get_text(app: &TestApp, path: &str, token: &str) -> (StatusCode, Option<String>, String) {
    let resp = app
        .client
        .get(path)
        .header("Authorization", format!("Bearer {token}"))
        .send()
        .await
        .0;
    let status = resp.status();
    let ct = resp
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    let body = resp.into_body().into_string().await.unwrap();
    (status, ct, body)
}

both_backends! {
    async fn a_free_tenant_without_a_licence_has_no_gated_features(db: TestDb) {
        let lab = lab(db).await;
        let slug = lab.app.tenant("acme").await;
        let e = entitlements(&lab.app, &slug).await;
        assert_eq!(e["plan"], "free");
        assert_eq!(e["features"], json!([]));
        assert_eq!(e["license_status"], "none");
        assert_eq!(e["max_internal_users"], Value::Null);
    }

    async fn a_plan_brings_its_features(db: TestDb) {
        let lab = lab(db).await;
        let slug = lab.app.tenant("acme").await;
        set_plan(&lab, &slug, "team").await;
        let e = entitlements(&lab.app, &slug).await;
        assert_eq!(e["plan"], "team");
        assert_eq!(e["features"], json!([
            {"feature": "audit_export", "source": "plan", "read_only": false},
            {"feature": "scim_log_retention", "source": "plan", "read_only": false},
        ]));
    }

    async fn the_installation_licence_adds_its_features_to_every_tenant(db: TestDb) {
        let lab = lab(db).await;
        let a = lab.app.tenant("acme").await;
        let g = lab.app.tenant("globex").await;
        lab.install(&lab.license("l", 10, 365, &["scheduled_key_rotation"])).await.expect(StatusCode::OK);
        for slug in [a, g] {
            let e = entitlements(&lab.app, &slug).await;
            assert_eq!(e["features"], json!([
                {"feature": "scheduled_key_rotation", "source": "license", "read_only": false},
            ]));
            assert_eq!(e["license_status"], "valid");
        }
    }

    async fn licensed_features_turn_read_only_after_the_grace_period(db: TestDb) {
        let lab = lab(db).await;
        let slug = lab.app.tenant("acme").await;
        lab.install(&lab.license("l", 10, 30, &["audit_export"])).await.expect(StatusCode::OK);
        lab.advance_days(45);
        let e = entitlements(&lab.app, &slug).await;
        assert_eq!(e["features"][0]["read_only"], true);
        assert_eq!(e["restricted"], true);
    }

    async fn another_tenants_token_gets_404_for_its_entitlements_export_and_schedule(db: TestDb) {
        let lab = lab(db).await;
        let app = &lab.app;
        let a = app.tenant("acme").await;
        let b = app.tenant("globex").await;
        let token_a = app.token(&a, &["admin"]).await;
        app.get(&format!("/api/v1/tenants/{b}/entitlements"), &token_a)
            .await.expect_problem(StatusCode::NOT_FOUND, "tenant-not-found");
        let now = lab.now();
        app.get(&export_path(&b, now - time::Duration::days(1), now), &token_a)
            .await.expect_problem(StatusCode::NOT_FOUND, "tenant-not-found");
        app.get(&format!("/api/v1/tenants/{b}/keys/schedule"), &token_a)
            .await.expect_problem(StatusCode::NOT_FOUND, "tenant-not-found");
        app.send("PUT", &format!("/api/v1/tenants/{b}/keys/schedule"), Some(&token_a),
            Some(json!({"interval_days": 7})), &[])
            .await.expect_problem(StatusCode::NOT_FOUND, "tenant-not-found");
        // Its own tenant answers.
        app.get(&format!("/api/v1/tenants/{a}/entitlements"), &token_a).await.expect(StatusCode::OK);
    }
}

mod audit_export {
    use super::*;

    both_backends! {
        async fn without_the_feature_export_is_402_naming_it_and_what_includes_it(db: TestDb) {
            let lab = lab(db).await;
            let slug = lab.app.tenant("acme").await;
            let now = lab.now();
            let r = lab.app
                .get(&export_path(&slug, now - time::Duration::days(1), now), &lab.app.platform)
                .await
                .expect_problem(StatusCode::PAYMENT_REQUIRED, "feature-not-entitled");
            assert_eq!(r.body["type"], "https://latchkey.dev/problems/feature-not-entitled");
            assert_eq!(r.body["feature"], "audit_export");
            let detail = r.body["detail"].as_str().unwrap();
            assert!(detail.contains("`team`") && detail.contains("`enterprise`") && detail.contains("licence"), "{detail}");
        }

        async fn an_entitled_export_streams_the_range_oldest_first_as_ndjson(db: TestDb) {
            let lab = lab(db).await;
            let app = &lab.app;
            let slug = app.tenant("acme").await;
            set_plan(&lab, &slug, "team").await;
            app.user(&slug, &app.platform, "before").await;
            lab.advance_days(1);
            let from = lab.now();
            app.user(&slug, &app.platform, "ada").await;
            app.user(&slug, &app.platform, "bob").await;
            lab.advance_days(1);
            let to = lab.now();
            app.user(&slug, &app.platform, "after").await;
            let (status, ct, body) = get_text(app, &export_path(&slug, from, to), &app.platform).await;
            assert_eq!(status, StatusCode::OK);
            assert_eq!(ct.as_deref(), Some("application/x-ndjson"));
            let events: Vec<Value> = body.lines().map(|l| serde_json::from_str(l).unwrap()).collect();
            let names: Vec<&str> = events.iter().map(|e| e["detail"]["user_name"].as_str().unwrap()).collect();
            assert_eq!(names, ["ada", "bob"]);
            assert!(events.iter().all(|e| e["action"] == "user.create"));
        }

        async fn an_export_longer_than_one_batch_arrives_whole_and_in_order(db: TestDb) {
            let lab = lab(db).await;
            let app = &lab.app;
            let slug = app.tenant("acme").await;
            set_plan(&lab, &slug, "enterprise").await;
            let from = lab.now();
            let tenant = app.store.tenants().get(&slug).await.unwrap();
            let scope = app.store.tenant(tenant, Actor::cli());
            for i in 0..1_203 {
                scope.users().create(latchkey_tenants::directory::NewUser {
                    user_name: format!("u{i:04}"),
                    active: true,
                    ..Default::default()
                }).await.unwrap();
                if i % 400 == 0 {
                    lab.clock.advance(time::Duration::seconds(1));
                }
            }
            lab.advance_days(1);
            let (status, _, body) = get_text(app, &export_path(&slug, from, lab.now()), &app.platform).await;
            assert_eq!(status, StatusCode::OK);
            let names: Vec<String> = body.lines()
                .map(|l| serde_json::from_str::<Value>(l).unwrap())
                .filter(|e| e["action"] == "user.create")
                .map(|e| e["detail"]["user_name"].as_str().unwrap().to_owned())
                .collect();
            assert_eq!(names.len(), 1_203);
            assert!(names.windows(2).all(|w| w[0] < w[1]), "out of order");
        }

        async fn a_read_only_licence_still_exports(db: TestDb) {
            let lab = lab(db).await;
            let slug = lab.app.tenant("acme").await;
            lab.install(&lab.license("l", 10, 30, &["audit_export"])).await.expect(StatusCode::OK);
            lab.advance_days(45);
            let now = lab.now();
            let (status, _, _) = get_text(&lab.app, &export_path(&slug, now - time::Duration::days(90), now), &lab.app.platform).await;
            assert_eq!(status, StatusCode::OK);
        }

        async fn a_range_that_ends_before_it_starts_is_400(db: TestDb) {
            let lab = lab(db).await;
            let slug = lab.app.tenant("acme").await;
            set_plan(&lab, &slug, "team").await;
            let now = lab.now();
            lab.app
                .get(&export_path(&slug, now, now - time::Duration::days(1)), &lab.app.platform)
                .await
                .expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
        }
    }
}

mod scim_log_retention {
    use super::*;

    async fn logged_after(lab: &Lab, slug: &str, requests: usize) -> usize {
        let app = &lab.app;
        let scim = app.scim_token(slug).await;
        for _ in 0..requests {
            app.scim("GET", slug, "/Users", &scim, None)
                .await
                .expect(StatusCode::OK);
        }
        app.store.flush_scim_log().await.unwrap();
        app.get(
            &format!("/api/v1/tenants/{slug}/scim/requests?limit=100"),
            &app.platform,
        )
        .await
        .expect(StatusCode::OK)
        .body["items"]
            .as_array()
            .unwrap()
            .len()
    }

    both_backends! {
        async fn without_the_feature_the_log_keeps_the_base_size(db: TestDb) {
            let lab = lab_with(db, |c| {
                c.scim_log_size = 3;
                c.scim_log_size_extended = 8;
            }).await;
            let slug = lab.app.tenant("acme").await;
            assert_eq!(logged_after(&lab, &slug, 10).await, 3);
        }

        async fn with_the_feature_the_log_keeps_the_extended_size(db: TestDb) {
            let lab = lab_with(db, |c| {
                c.scim_log_size = 3;
                c.scim_log_size_extended = 8;
            }).await;
            let slug = lab.app.tenant("acme").await;
            lab.install(&lab.license("l", 10, 365, &["scim_log_retention"])).await.expect(StatusCode::OK);
            assert_eq!(logged_after(&lab, &slug, 10).await, 8);
        }
    }
}

mod scheduled_rotation {
    use super::*;

    async fn active_kids(app: &TestApp, slug: &str) -> Vec<String> {
        let mut kids: Vec<String> = app
            .get(&format!("/api/v1/tenants/{slug}/keys"), &app.platform)
            .await
            .expect(StatusCode::OK)
            .body["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|k| k["state"] == "active")
            .map(|k| k["kid"].as_str().unwrap().to_owned())
            .collect();
        kids.sort();
        kids
    }

    async fn schedule(app: &TestApp, slug: &str, days: u32) -> Reply {
        app.send(
            "PUT",
            &format!("/api/v1/tenants/{slug}/keys/schedule"),
            Some(&app.platform),
            Some(json!({"interval_days": days})),
            &[],
        )
        .await
    }

    both_backends! {
        async fn without_the_feature_scheduling_is_402_and_clearing_still_works(db: TestDb) {
            let lab = lab(db).await;
            let slug = lab.app.tenant("acme").await;
            let r = schedule(&lab.app, &slug, 7).await
                .expect_problem(StatusCode::PAYMENT_REQUIRED, "feature-not-entitled");
            assert_eq!(r.body["feature"], "scheduled_key_rotation");
            lab.app.get(&format!("/api/v1/tenants/{slug}/keys/schedule"), &lab.app.platform)
                .await.expect_problem(StatusCode::PAYMENT_REQUIRED, "feature-not-entitled");
            lab.app.delete(&format!("/api/v1/tenants/{slug}/keys/schedule"), &lab.app.platform)
                .await.expect(StatusCode::NO_CONTENT);
        }

        async fn a_due_schedule_rotates_the_keys_and_sets_the_next_time(db: TestDb) {
            let lab = lab(db).await;
            let app = &lab.app;
            let slug = app.tenant("acme").await;
            set_plan(&lab, &slug, "enterprise").await;
            let s = schedule(app, &slug, 7).await.expect(StatusCode::OK).body;
            assert_eq!(s["interval_days"], 7);
            let before = active_kids(app, &slug).await;
            lab.advance_days(6);
            assert_eq!(app.store.run_due_key_rotations().await.unwrap(), 0);
            assert_eq!(active_kids(app, &slug).await, before);
            lab.advance_days(2);
            assert_eq!(app.store.run_due_key_rotations().await.unwrap(), 1);
            let after = active_kids(app, &slug).await;
            assert_eq!(after.len(), 2);
            assert!(after.iter().all(|k| !before.contains(k)), "{before:?} -> {after:?}");
            let s = app.get(&format!("/api/v1/tenants/{slug}/keys/schedule"), &app.platform)
                .await.expect(StatusCode::OK).body;
            assert!(s["last_rotated_at"].is_string());
            let events = app.get(&format!("/api/v1/tenants/{slug}/events?action=keys.rotate"), &app.platform)
                .await.expect(StatusCode::OK).body;
            assert!(events["items"].as_array().unwrap().iter().all(|e| e["actor"] == "scheduler"));
            // Nothing is due again until the next interval.
            assert_eq!(app.store.run_due_key_rotations().await.unwrap(), 0);
        }

        async fn two_nodes_running_the_job_rotate_a_due_tenant_once(db: TestDb) {
            let lab = lab(db).await;
            let app = &lab.app;
            let slug = app.tenant("acme").await;
            set_plan(&lab, &slug, "enterprise").await;
            schedule(app, &slug, 1).await.expect(StatusCode::OK);
            lab.advance_days(2);
            let clock = lab.clock.clone();
            let other = app.db.store_with(move |c| c.clock = std::sync::Arc::new(clock)).await;
            let (a, b) = tokio::join!(app.store.run_due_key_rotations(), other.run_due_key_rotations());
            assert_eq!(a.unwrap() + b.unwrap(), 1);
            let events = app.get(&format!("/api/v1/tenants/{slug}/events?action=keys.rotate"), &app.platform)
                .await.expect(StatusCode::OK).body;
            // One rotation = one event per algorithm.
            assert_eq!(events["items"].as_array().unwrap().len(), 2);
        }

        async fn a_licence_past_its_grace_pauses_the_schedule_and_makes_it_read_only(db: TestDb) {
            let lab = lab(db).await;
            let app = &lab.app;
            let slug = app.tenant("acme").await;
            lab.install(&lab.license("l", 10, 30, &["scheduled_key_rotation"])).await.expect(StatusCode::OK);
            schedule(app, &slug, 30).await.expect(StatusCode::OK);
            lab.advance_days(45);
            schedule(app, &slug, 7).await.expect_problem(StatusCode::PAYMENT_REQUIRED, "feature-not-entitled");
            let s = app.get(&format!("/api/v1/tenants/{slug}/keys/schedule"), &app.platform)
                .await.expect(StatusCode::OK).body;
            assert_eq!(s["interval_days"], 30);
            let before = active_kids(app, &slug).await;
            assert_eq!(app.store.run_due_key_rotations().await.unwrap(), 0);
            assert_eq!(active_kids(app, &slug).await, before);
        }

        async fn an_interval_outside_1_to_365_days_is_400(db: TestDb) {
            let lab = lab(db).await;
            let slug = lab.app.tenant("acme").await;
            set_plan(&lab, &slug, "enterprise").await;
            schedule(&lab.app, &slug, 0).await.expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
            schedule(&lab.app, &slug, 366).await.expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
        }
    }
}

mod operator_sets_the_plan {
    use super::*;

    fn plan_path(slug: &str) -> String {
        format!("/api/v1/tenants/{slug}/plan")
    }

    async fn put_plan(app: &TestApp, slug: &str, token: &str, plan: &str) -> Reply {
        app.send(
            "PUT",
            &plan_path(slug),
            Some(token),
            Some(json!({"plan": plan})),
            &[],
        )
        .await
    }

    both_backends! {
        async fn setting_a_plan_changes_the_tenant_and_its_entitlements_and_is_audited(db: TestDb) {
            let lab = lab(db).await;
            let app = &lab.app;
            let slug = app.tenant("acme").await;
            let t = put_plan(app, &slug, &app.platform, "enterprise").await.expect(StatusCode::OK);
            assert_eq!(t.body["plan"], "enterprise");
            assert_eq!(t.body["version"], 2, "{}", t.body);
            let e = entitlements(app, &slug).await;
            assert_eq!(e["plan"], "enterprise");
            assert!(e["features"].as_array().unwrap().iter().any(|f| f["feature"] == "audit_export"), "{e}");
            let log = app.get(&format!("/api/v1/tenants/{slug}/events?action=tenant.plan"), &app.platform)
                .await.expect(StatusCode::OK).body;
            assert_eq!(log["items"][0]["detail"]["plan"], "enterprise", "{log}");
            assert_eq!(log["items"][0]["detail"]["previous"], "free", "{log}");
        }

        async fn an_unknown_plan_is_400_and_changes_nothing(db: TestDb) {
            let lab = lab(db).await;
            let app = &lab.app;
            let slug = app.tenant("acme").await;
            let r = put_plan(app, &slug, &app.platform, "platinum").await
                .expect_problem(StatusCode::BAD_REQUEST, "invalid-body");
            assert_eq!(r.body["errors"][0]["field"], "plan", "{}", r.body);
            assert_eq!(entitlements(app, &slug).await["plan"], "free");
        }

        async fn a_tenant_token_cannot_set_any_plan_and_an_unknown_tenant_is_404(db: TestDb) {
            let lab = lab(db).await;
            let app = &lab.app;
            let a = app.tenant("alpha").await;
            let b = app.tenant("bravo").await;
            let admin_a = app.token(&a, &["admin"]).await;
            for slug in [&a, &b] {
                put_plan(app, slug, &admin_a, "enterprise").await
                    .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
                assert_eq!(entitlements(app, slug).await["plan"], "free");
            }
            put_plan(app, "no-such-tenant", &app.platform, "team").await
                .expect_problem(StatusCode::NOT_FOUND, "tenant-not-found");
        }
    }
}

mod plan_limits {
    use super::*;

    fn free_for_two() -> impl FnOnce(&mut latchkey_tenants::StoreConfig) {
        |c| {
            let mut plans = Plans::defaults();
            plans.insert(
                "free".into(),
                Plan {
                    features: vec![],
                    max_internal_users: Some(2),
                },
            );
            c.plans = Plans::new(plans).unwrap();
        }
    }

    both_backends! {
        async fn a_plan_full_of_internal_users_refuses_the_next_one_in_rest_and_scim(db: TestDb) {
            let lab = lab_with(db, free_for_two()).await;
            let app = &lab.app;
            let slug = app.tenant("acme").await;
            let scim = app.scim_token(&slug).await;
            app.user(&slug, &app.platform, "ada").await;
            app.scim_user(&slug, &scim, "bob").await;
            let r = app.post(&format!("/api/v1/tenants/{slug}/users"), &app.platform, json!({"user_name": "cy"}))
                .await.expect_problem(StatusCode::PAYMENT_REQUIRED, "seats-exhausted");
            assert!(r.body["detail"].as_str().unwrap().contains("allows 2"));
            app.scim("POST", &slug, "/Users", &scim, Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "dee",
            }))).await.expect_scim_error(StatusCode::PAYMENT_REQUIRED, None);
            assert_eq!(entitlements(app, &slug).await["max_internal_users"], 2);
        }

        async fn external_users_and_a_freed_seat_are_not_limited(db: TestDb) {
            let lab = lab_with(db, free_for_two()).await;
            let app = &lab.app;
            let slug = app.tenant("acme").await;
            let ada = app.user(&slug, &app.platform, "ada").await;
            app.user(&slug, &app.platform, "bob").await;
            app.post(&format!("/api/v1/tenants/{slug}/users"), &app.platform,
                json!({"user_name": "customer", "kind": "external"})).await.expect(StatusCode::CREATED);
            app.patch(&format!("/api/v1/tenants/{slug}/users/{}", ada["id"].as_str().unwrap()),
                &app.platform, json!({"active": false})).await.expect(StatusCode::OK);
            app.user(&slug, &app.platform, "cy").await;
        }

        async fn creates_racing_for_the_last_seat_never_exceed_the_limit(db: TestDb) {
            let lab = lab_with(db, free_for_two()).await;
            let app = &lab.app;
            let slug = app.tenant("acme").await;
            app.user(&slug, &app.platform, "ada").await;
            let path = format!("/api/v1/tenants/{slug}/users");
            let racers = (0..8).map(|i| app.post(&path, &app.platform, json!({"user_name": format!("racer-{i}")})));
            let replies = futures_util::future::join_all(racers).await;
            let created = replies.iter().filter(|r| r.status == StatusCode::CREATED).count();
            assert_eq!(created, 1, "{:?}", replies.iter().map(|r| &r.body).collect::<Vec<_>>());
            for r in replies.iter().filter(|r| r.status != StatusCode::CREATED) {
                assert_eq!(r.status, StatusCode::PAYMENT_REQUIRED, "{}", r.body);
                assert_eq!(r.code(), "seats-exhausted", "{}", r.body);
            }
            let seats = lab.app.get(&format!("/api/v1/tenants/{slug}/users?limit=100"), &app.platform)
                .await.expect(StatusCode::OK).body["items"].as_array().unwrap().len();
            assert_eq!(seats, 2);
        }

        async fn another_plan_lifts_the_limit(db: TestDb) {
            let lab = lab_with(db, free_for_two()).await;
            let app = &lab.app;
            let slug = app.tenant("acme").await;
            app.user(&slug, &app.platform, "ada").await;
            app.user(&slug, &app.platform, "bob").await;
            set_plan(&lab, &slug, "team").await;
            app.user(&slug, &app.platform, "cy").await;
        }
    }
}
