//! The tenant API's tokens and the operator's platform tokens.

mod common;
use common::*;

use std::sync::Arc;

use latchkey_tenants::clock::ManualClock;
use poem::http::StatusCode;
use serde_json::{Value, json};
use testing::TestDb;
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

const PLATFORM_TOKENS: &str = "/api/v1/platform/tokens";

/// A tenant `acme` with an admin token.
async fn setup(db: TestDb) -> (TestApp, String, String) {
    let app = TestApp::start(db).await;
    let slug = app.tenant("acme").await;
    let token = app.token(&slug, &["admin"]).await;
    (app, slug, token)
}

fn tokens(slug: &str) -> String {
    format!("/api/v1/tenants/{slug}/tokens")
}

fn token_path(slug: &str, t: &Value) -> String {
    format!("{}/{}", tokens(slug), t["id"].as_str().expect("an id"))
}

fn users(slug: &str) -> String {
    format!("/api/v1/tenants/{slug}/users")
}

fn rfc3339(t: OffsetDateTime) -> String {
    t.format(&Rfc3339).unwrap()
}

/// Every string anywhere in `value`, however deeply nested.
fn strings(value: &Value) -> Vec<&str> {
    match value {
        Value::String(s) => vec![s.as_str()],
        Value::Array(items) => items.iter().flat_map(strings).collect(),
        Value::Object(map) => map.values().flat_map(strings).collect(),
        _ => vec![],
    }
}

#[track_caller]
fn assert_no_secret(body: &Value, secret: &str) {
    assert!(
        !strings(body).iter().any(|s| s.contains(secret)),
        "the secret leaks in {body}"
    );
    assert!(
        !body.to_string().contains(secret),
        "the secret leaks in {body}"
    );
}

both_backends! {
    async fn creating_a_token_shows_its_secret_once_with_the_prefix_of_its_kind(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        for (scopes, prefix, kind) in [
            (json!(["admin"]), "lkt_", "tenant"),
            (json!(["read"]), "lkt_", "tenant"),
            (json!(["read", "admin"]), "lkt_", "tenant"),
            (json!(["scim"]), "lks_", "scim"),
        ] {
            let r = app
                .post(
                    &tokens(&slug),
                    &token,
                    json!({"name": "terraform", "scopes": scopes}),
                )
                .await
                .expect(StatusCode::CREATED);
            let secret = r.body["token"].as_str().expect("the secret");
            assert!(secret.starts_with(prefix), "{scopes}: {secret}");
            assert!(secret.len() > 60, "{secret} is too short to hold 256 bits");
            assert_eq!(r.body["kind"], kind, "{}", r.body);
            assert_eq!(r.body["name"], "terraform");
            assert!(
                uuid::Uuid::parse_str(r.body["id"].as_str().unwrap()).is_ok(),
                "{}",
                r.body
            );
            let mut expected: Vec<String> = serde_json::from_value(scopes.clone()).unwrap();
            expected.sort();
            let mut got: Vec<String> = serde_json::from_value(r.body["scopes"].clone()).unwrap();
            got.sort();
            assert_eq!(got, expected);
        }
    }

    async fn listing_and_getting_tokens_never_shows_a_secret(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let created = app
            .post(
                &tokens(&slug),
                &token,
                json!({"name": "ci", "scopes": ["read"]}),
            )
            .await
            .expect(StatusCode::CREATED)
            .body;
        let secret = created["token"].as_str().unwrap().to_owned();
        let listed = app.get(&tokens(&slug), &token).await.expect(StatusCode::OK);
        // The admin token of `setup`, and this one.
        let items = listed.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{}", listed.body);
        assert!(
            items.iter().any(|t| t["id"] == created["id"]),
            "{}",
            listed.body
        );
        for item in items {
            assert!(item.get("token").is_none(), "{item}");
        }
        assert_no_secret(&listed.body, &secret);
        assert_no_secret(&listed.body, &token);

        let got = app
            .get(&token_path(&slug, &created), &token)
            .await
            .expect(StatusCode::OK);
        assert_eq!(got.body["id"], created["id"]);
        assert_eq!(got.body["name"], "ci");
        assert_eq!(got.body["scopes"], json!(["read"]));
        assert!(got.body.get("token").is_none(), "{}", got.body);
        assert_no_secret(&got.body, &secret);
        // Using a token shows in `last_used_at`, still without the secret.
        app.get(&users(&slug), &secret).await.expect(StatusCode::OK);
        let got = app
            .get(&token_path(&slug, &created), &token)
            .await
            .expect(StatusCode::OK);
        assert!(got.body["last_used_at"].is_string(), "{}", got.body);
        assert_no_secret(&got.body, &secret);
    }

    async fn a_revoked_token_is_refused_at_once(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let created = app
            .post(
                &tokens(&slug),
                &token,
                json!({"name": "ci", "scopes": ["admin"]}),
            )
            .await
            .expect(StatusCode::CREATED)
            .body;
        let secret = created["token"].as_str().unwrap();
        // Used once, so that a cached verdict would be in play.
        app.get(&users(&slug), secret).await.expect(StatusCode::OK);
        let r = app
            .delete(&token_path(&slug, &created), &token)
            .await
            .expect(StatusCode::OK);
        assert!(r.body["revoked_at"].is_string(), "{}", r.body);
        assert_no_secret(&r.body, secret);
        app.get(&users(&slug), secret)
            .await
            .expect_problem(StatusCode::UNAUTHORIZED, "token-revoked");
        app.post(&users(&slug), secret, json!({"user_name": "ada"}))
            .await
            .expect_problem(StatusCode::UNAUTHORIZED, "token-revoked");
        // The revoking token still works; the revoked one is listed as revoked.
        let got = app
            .get(&token_path(&slug, &created), &token)
            .await
            .expect(StatusCode::OK);
        assert!(got.body["revoked_at"].is_string(), "{}", got.body);
        // Revoking again changes nothing and is not an error.
        let again = app
            .delete(&token_path(&slug, &created), &token)
            .await
            .expect(StatusCode::OK);
        assert_eq!(again.body["revoked_at"], r.body["revoked_at"]);
    }

    async fn an_expiry_in_the_past_is_refused_naming_expires_at(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let past = rfc3339(OffsetDateTime::now_utc() - time::Duration::hours(1));
        let r = app
            .post(
                &tokens(&slug),
                &token,
                json!({"name": "ci", "scopes": ["admin"], "expires_at": past}),
            )
            .await
            .expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
        assert_eq!(r.body["errors"][0]["field"], "expires_at", "{}", r.body);
        let listed = app.get(&tokens(&slug), &token).await.expect(StatusCode::OK);
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    }

    async fn an_expired_token_is_refused_with_token_expired(db: TestDb) {
        let clock = ManualClock::new(OffsetDateTime::now_utc());
        let store = db.store_with(|c| c.clock = Arc::new(clock.clone())).await;
        let app = TestApp::on_store(db, store).await;
        let slug = app.tenant("acme").await;
        let expires = rfc3339(clock_now(&app) + time::Duration::hours(1));
        let r = app
            .post(
                &tokens(&slug),
                &app.platform,
                json!({"name": "ci", "scopes": ["admin"], "expires_at": expires}),
            )
            .await
            .expect(StatusCode::CREATED);
        assert!(r.body["expires_at"].is_string(), "{}", r.body);
        let secret = r.body["token"].as_str().unwrap();
        app.get(&users(&slug), secret).await.expect(StatusCode::OK);
        clock.advance(time::Duration::minutes(59));
        app.get(&users(&slug), secret).await.expect(StatusCode::OK);
        clock.advance(time::Duration::minutes(2));
        app.get(&users(&slug), secret)
            .await
            .expect_problem(StatusCode::UNAUTHORIZED, "token-expired");
        // A platform token expires the same way.
        let expires = rfc3339(clock_now(&app) + time::Duration::minutes(5));
        let p = app
            .post(
                PLATFORM_TOKENS,
                &app.platform,
                json!({"name": "short", "expires_at": expires}),
            )
            .await
            .expect(StatusCode::CREATED);
        let short = p.body["token"].as_str().unwrap();
        app.get("/api/v1/tenants", short)
            .await
            .expect(StatusCode::OK);
        clock.advance(time::Duration::minutes(6));
        app.get("/api/v1/tenants", short)
            .await
            .expect_problem(StatusCode::UNAUTHORIZED, "token-expired");
    }

    async fn an_unknown_scope_is_refused_naming_scopes(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        for scopes in [json!(["superuser"]), json!(["admin", "write"]), json!([])] {
            let r = app
                .post(
                    &tokens(&slug),
                    &token,
                    json!({"name": "ci", "scopes": scopes}),
                )
                .await
                .expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
            assert_eq!(
                r.body["errors"][0]["field"], "scopes",
                "{scopes}: {}",
                r.body
            );
        }
        let listed = app.get(&tokens(&slug), &token).await.expect(StatusCode::OK);
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    }

    async fn scim_cannot_be_combined_with_other_scopes(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        for scopes in [json!(["scim", "admin"]), json!(["read", "scim"])] {
            let r = app
                .post(
                    &tokens(&slug),
                    &token,
                    json!({"name": "hr", "scopes": scopes}),
                )
                .await
                .expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
            assert_eq!(
                r.body["errors"][0]["field"], "scopes",
                "{scopes}: {}",
                r.body
            );
        }
        let listed = app.get(&tokens(&slug), &token).await.expect(StatusCode::OK);
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    }

    async fn a_read_token_cannot_create_or_revoke_tokens(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let read = app.token(&slug, &["read"]).await;
        app.get(&tokens(&slug), &read).await.expect(StatusCode::OK);
        app.post(
            &tokens(&slug),
            &read,
            json!({"name": "escalate", "scopes": ["admin"]}),
        )
        .await
        .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
        let listed = app.get(&tokens(&slug), &token).await.expect(StatusCode::OK);
        let admin = listed.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["scopes"] == json!(["admin"]))
            .unwrap()
            .clone();
        app.delete(&token_path(&slug, &admin), &read)
            .await
            .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
        app.get(&users(&slug), &token).await.expect(StatusCode::OK);
    }

    async fn platform_tokens_are_created_listed_and_revoked(db: TestDb) {
        let app = TestApp::start(db).await;
        let r = app
            .post(PLATFORM_TOKENS, &app.platform, json!({"name": "terraform"}))
            .await
            .expect(StatusCode::CREATED);
        let secret = r.body["token"].as_str().expect("the secret").to_owned();
        assert!(secret.starts_with("lkp_"), "{secret}");
        assert_eq!(r.body["kind"], "platform");
        assert_eq!(r.body["name"], "terraform");
        // The new token works on the operator API.
        app.get("/api/v1/tenants", &secret)
            .await
            .expect(StatusCode::OK);

        let listed = app
            .get(PLATFORM_TOKENS, &app.platform)
            .await
            .expect(StatusCode::OK);
        let items = listed.body["items"].as_array().unwrap();
        assert_eq!(items.len(), 2, "{}", listed.body);
        assert!(
            items
                .iter()
                .any(|t| t["id"] == r.body["id"] && t["name"] == "terraform"),
            "{}",
            listed.body
        );
        assert_no_secret(&listed.body, &secret);
        assert_no_secret(&listed.body, &app.platform);

        let revoked = app
            .delete(
                &format!("{PLATFORM_TOKENS}/{}", r.body["id"].as_str().unwrap()),
                &app.platform,
            )
            .await
            .expect(StatusCode::OK);
        assert!(revoked.body["revoked_at"].is_string(), "{}", revoked.body);
        assert_no_secret(&revoked.body, &secret);
        app.get("/api/v1/tenants", &secret)
            .await
            .expect_problem(StatusCode::UNAUTHORIZED, "token-revoked");
        app.get("/api/v1/tenants", &app.platform)
            .await
            .expect(StatusCode::OK);
        app.delete(
            &format!("{PLATFORM_TOKENS}/{}", uuid::Uuid::now_v7()),
            &app.platform,
        )
        .await
        .expect_problem(StatusCode::NOT_FOUND, "token-not-found");
    }

    async fn a_tenant_token_cannot_manage_platform_tokens(db: TestDb) {
        let (app, _slug, token) = setup(db).await;
        app.get(PLATFORM_TOKENS, &token)
            .await
            .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
        app.post(PLATFORM_TOKENS, &token, json!({"name": "escalate"}))
            .await
            .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
        let listed = app
            .get(PLATFORM_TOKENS, &app.platform)
            .await
            .expect(StatusCode::OK);
        assert_eq!(listed.body["items"].as_array().unwrap().len(), 1);
    }
}

fn clock_now(app: &TestApp) -> OffsetDateTime {
    app.store.now()
}
