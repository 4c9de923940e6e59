//! The operator API: tenants, their lifecycle, and who may call it.

mod common;
use common::*;

use poem::http::StatusCode;
use serde_json::{Value, json};
use testing::TestDb;

const TENANTS: &str = "/api/v1/tenants";

fn tenant_path(slug: &str) -> String {
    format!("{TENANTS}/{slug}")
}

/// Every page of the tenant list, following `next_cursor` with `limit`.
async fn all_pages(app: &TestApp, limit: u32) -> Vec<Vec<Value>> {
    let mut pages = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("{TENANTS}?limit={limit}&cursor={c}"),
            None => format!("{TENANTS}?limit={limit}"),
        };
        let r = app.get(&path, &app.platform).await.expect(StatusCode::OK);
        pages.push(r.body["items"].as_array().expect("items").clone());
        match r.body["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => {
                assert!(r.body["next_cursor"].is_null(), "body: {}", r.body);
                return pages;
            }
        }
        assert!(pages.len() < 20, "pagination does not end");
    }
}

both_backends! {
    async fn creating_a_tenant_answers_201_with_the_tenant_and_its_location(db: TestDb) {
        let app = TestApp::start(db).await;
        let r = app
            .post(
                TENANTS,
                &app.platform,
                json!({"slug": "acme", "display_name": "Acme Corporation"}),
            )
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(r.header("location"), Some("/api/v1/tenants/acme"));
        let t = &r.body;
        let keys: Vec<&str> = t.as_object().unwrap().keys().map(String::as_str).collect();
        for field in [
            "id",
            "slug",
            "display_name",
            "status",
            "plan",
            "version",
            "created_at",
            "updated_at",
        ] {
            assert!(keys.contains(&field), "missing {field} in {t}");
        }
        assert!(
            uuid::Uuid::parse_str(t["id"].as_str().unwrap()).is_ok(),
            "id: {t}"
        );
        assert_eq!(t["slug"], "acme");
        assert_eq!(t["display_name"], "Acme Corporation");
        assert_eq!(t["status"], "active");
        assert_eq!(t["plan"], "free");
        assert_eq!(t["version"], 1);
        for stamp in ["created_at", "updated_at"] {
            let s = t[stamp].as_str().unwrap_or_else(|| panic!("{stamp}: {t}"));
            assert!(
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                    .is_ok(),
                "{stamp}: {s}"
            );
        }
    }

    async fn a_created_tenant_can_be_fetched_by_its_slug(db: TestDb) {
        let app = TestApp::start(db).await;
        let created = app
            .post(
                TENANTS,
                &app.platform,
                json!({"slug": "acme", "display_name": "Acme"}),
            )
            .await
            .expect(StatusCode::CREATED)
            .body;
        let got = app
            .get(&tenant_path("acme"), &app.platform)
            .await
            .expect(StatusCode::OK)
            .body;
        assert_eq!(got, created);
    }

    async fn tenants_are_listed_page_by_page_without_duplicates(db: TestDb) {
        let app = TestApp::start(db).await;
        for slug in ["alpha", "bravo", "charlie"] {
            app.tenant(slug).await;
        }
        let pages = all_pages(&app, 2).await;
        assert_eq!(pages.len(), 2, "pages: {pages:?}");
        assert_eq!(pages[0].len(), 2);
        assert_eq!(pages[1].len(), 1);
        let mut slugs: Vec<&str> = pages
            .iter()
            .flatten()
            .map(|t| t["slug"].as_str().unwrap())
            .collect();
        slugs.sort_unstable();
        assert_eq!(slugs, ["alpha", "bravo", "charlie"]);
        let mut ids: Vec<&str> = pages
            .iter()
            .flatten()
            .map(|t| t["id"].as_str().unwrap())
            .collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), 3, "an id appears on two pages");
    }

    async fn renaming_a_tenant_changes_its_display_name_and_version(db: TestDb) {
        let app = TestApp::start(db).await;
        app.tenant("acme").await;
        let r = app
            .send(
                "PATCH",
                &tenant_path("acme"),
                Some(&app.platform),
                Some(json!({"display_name": "Acme Inc."})),
                &[("If-Match", "\"1\"")],
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["display_name"], "Acme Inc.");
        assert_eq!(r.body["slug"], "acme");
        assert_eq!(r.body["version"], 2);
        let got = app
            .get(&tenant_path("acme"), &app.platform)
            .await
            .expect(StatusCode::OK);
        assert_eq!(got.body["display_name"], "Acme Inc.");
    }

    async fn renaming_with_a_stale_if_match_is_refused_and_changes_nothing(db: TestDb) {
        let app = TestApp::start(db).await;
        app.tenant("acme").await;
        app.patch(
            &tenant_path("acme"),
            &app.platform,
            json!({"display_name": "Second"}),
        )
        .await
        .expect(StatusCode::OK);
        app.send(
            "PATCH",
            &tenant_path("acme"),
            Some(&app.platform),
            Some(json!({"display_name": "Stale"})),
            &[("If-Match", "\"1\"")],
        )
        .await
        .expect_problem(StatusCode::PRECONDITION_FAILED, "version-mismatch");
        let got = app
            .get(&tenant_path("acme"), &app.platform)
            .await
            .expect(StatusCode::OK);
        assert_eq!(got.body["display_name"], "Second");
        assert_eq!(got.body["version"], 2);
    }

    async fn a_suspended_tenant_refuses_its_api_and_jwks_until_resumed(db: TestDb) {
        let app = TestApp::start(db).await;
        let slug = app.tenant("acme").await;
        let token = app.token(&slug, &["admin"]).await;
        let users = format!("/api/v1/tenants/{slug}/users");
        let jwks = format!("/t/{slug}/.well-known/jwks.json");
        app.get(&users, &token).await.expect(StatusCode::OK);
        app.send("GET", &jwks, None, None, &[])
            .await
            .expect(StatusCode::OK);

        let r = app
            .post(
                &format!("{}/suspend", tenant_path(&slug)),
                &app.platform,
                json!({}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["status"], "suspended");
        app.get(&users, &token)
            .await
            .expect_problem(StatusCode::FORBIDDEN, "tenant-suspended");
        app.get(&users, &app.platform)
            .await
            .expect_problem(StatusCode::FORBIDDEN, "tenant-suspended");
        app.send("GET", &jwks, None, None, &[])
            .await
            .expect_problem(StatusCode::FORBIDDEN, "tenant-suspended");
        // The operator still sees the tenant, data intact.
        let got = app
            .get(&tenant_path(&slug), &app.platform)
            .await
            .expect(StatusCode::OK);
        assert_eq!(got.body["status"], "suspended");

        let r = app
            .post(
                &format!("{}/resume", tenant_path(&slug)),
                &app.platform,
                json!({}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["status"], "active");
        app.get(&users, &token).await.expect(StatusCode::OK);
        app.send("GET", &jwks, None, None, &[])
            .await
            .expect(StatusCode::OK);
    }

    async fn deleting_a_tenant_destroys_its_data_key_and_then_it_is_gone(db: TestDb) {
        let app = TestApp::start(db).await;
        let slug = app.tenant("acme").await;
        let token = app.token(&slug, &["admin"]).await;
        app.user(&slug, &token, "ada").await;
        let r = app
            .delete(&tenant_path(&slug), &app.platform)
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["slug"], "acme");
        assert_eq!(r.body["data_key_destroyed"], true);
        assert!(
            r.body["rows_deleted"].as_u64().unwrap() > 0,
            "body: {}",
            r.body
        );
        app.get(&tenant_path(&slug), &app.platform)
            .await
            .expect_problem(StatusCode::NOT_FOUND, "tenant-not-found");
        app.get(&format!("/api/v1/tenants/{slug}/users"), &app.platform)
            .await
            .expect_problem(StatusCode::NOT_FOUND, "tenant-not-found");
        app.delete(&tenant_path(&slug), &app.platform)
            .await
            .expect_problem(StatusCode::NOT_FOUND, "tenant-not-found");
        let listed = app.get(TENANTS, &app.platform).await.expect(StatusCode::OK);
        assert_eq!(listed.body["items"], json!([]));
    }

    async fn a_taken_slug_is_refused_with_409(db: TestDb) {
        let app = TestApp::start(db).await;
        app.tenant("acme").await;
        app.post(
            TENANTS,
            &app.platform,
            json!({"slug": "acme", "display_name": "Another"}),
        )
        .await
        .expect_problem(StatusCode::CONFLICT, "slug-taken");
        let listed = app.get(TENANTS, &app.platform).await.expect(StatusCode::OK);
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    }

    async fn reserved_and_malformed_slugs_are_refused_naming_the_slug_field(db: TestDb) {
        let app = TestApp::start(db).await;
        for bad in [
            "admin", "api", "ab", "Acme", "1acme", "acme-", "ac_me", "ac--me",
        ] {
            let r = app
                .post(
                    TENANTS,
                    &app.platform,
                    json!({"slug": bad, "display_name": "X"}),
                )
                .await
                .expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
            assert_eq!(r.body["errors"][0]["field"], "slug", "{bad}: {}", r.body);
        }
        let listed = app.get(TENANTS, &app.platform).await.expect(StatusCode::OK);
        assert_eq!(listed.body["items"], json!([]));
    }

    async fn a_tenant_token_is_forbidden_on_the_operator_api(db: TestDb) {
        let app = TestApp::start(db).await;
        let slug = app.tenant("acme").await;
        let token = app.token(&slug, &["admin"]).await;
        app.get(TENANTS, &token)
            .await
            .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
        app.get(&tenant_path(&slug), &token)
            .await
            .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
        app.post(
            TENANTS,
            &token,
            json!({"slug": "other", "display_name": "Other"}),
        )
        .await
        .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
        app.post(
            &format!("{}/suspend", tenant_path(&slug)),
            &token,
            json!({}),
        )
        .await
        .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
        app.delete(&tenant_path(&slug), &token)
            .await
            .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
        let got = app
            .get(&tenant_path(&slug), &app.platform)
            .await
            .expect(StatusCode::OK);
        assert_eq!(got.body["status"], "active");
    }

    async fn a_request_without_a_token_is_401_token_missing(db: TestDb) {
        let app = TestApp::start(db).await;
        app.send("GET", TENANTS, None, None, &[])
            .await
            .expect_problem(StatusCode::UNAUTHORIZED, "token-missing");
        app.send(
            "POST",
            TENANTS,
            None,
            Some(json!({"slug": "acme", "display_name": "Acme"})),
            &[],
        )
        .await
        .expect_problem(StatusCode::UNAUTHORIZED, "token-missing");
    }

    async fn a_garbage_token_is_401_token_invalid(db: TestDb) {
        let app = TestApp::start(db).await;
        for garbage in ["garbage", "lkp_", "lkp_AAAA", "lkt_not-base64!!"] {
            app.get(TENANTS, garbage)
                .await
                .expect_problem(StatusCode::UNAUTHORIZED, "token-invalid");
        }
        // Well-formed, but never issued.
        let unknown = format!("lkp_{}", "A".repeat(43));
        app.get(TENANTS, &unknown)
            .await
            .expect_problem(StatusCode::UNAUTHORIZED, "token-invalid");
    }
}
