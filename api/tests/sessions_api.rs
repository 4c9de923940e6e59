//! The tenant API: a user's browser sessions, as admins see and end them.

mod common;
use common::*;

use latchkey_tenants::Actor;
use latchkey_tenants::signin::{Client, Lifetimes};
use poem::http::StatusCode;
use serde_json::{Value, json};
use testing::TestDb;

const PASSWORD: &str = "violet-harbour-tangent-42";

/// A tenant `acme` with an admin token and a user `ada` SCIM provisioned
/// with a password; returns the user's id.
async fn setup(db: TestDb) -> (TestApp, String, String, String) {
    let app = TestApp::start(db).await;
    let slug = app.tenant("acme").await;
    let token = app.token(&slug, &["admin"]).await;
    let scim = app.scim_token(&slug).await;
    let user = app
        .scim(
            "POST",
            &slug,
            "/Users",
            &scim,
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": "ada",
                "password": PASSWORD,
            })),
        )
        .await
        .expect(StatusCode::CREATED)
        .body;
    let id = user["id"].as_str().unwrap().to_owned();
    (app, slug, token, id)
}

/// Signs `ada` in (as the sign-in page will); returns the cookie's secret.
async fn sign_in(app: &TestApp, slug: &str) -> String {
    let tenant = app.store.tenants().get(slug).await.unwrap();
    app.store
        .tenant(tenant, Actor::cli())
        .sign_in()
        .with_password("ada", PASSWORD, &Client::default(), Lifetimes::default())
        .await
        .unwrap()
        .secret
}

async fn session_is_current(app: &TestApp, slug: &str, secret: &str) -> bool {
    let tenant = app.store.tenants().get(slug).await.unwrap();
    app.store
        .tenant(tenant, Actor::cli())
        .sessions()
        .current(secret, Lifetimes::default())
        .await
        .is_ok()
}

fn sessions(slug: &str, user: &str) -> String {
    format!("/api/v1/tenants/{slug}/users/{user}/sessions")
}

latchkey_tenants::both_backends! {
    async fn an_admin_lists_a_users_sessions_without_their_secrets(db: TestDb) {
        let (app, slug, token, user) = setup(db).await;
        let secret = sign_in(&app, &slug).await;
        sign_in(&app, &slug).await;
        let listed = app.get(&sessions(&slug, &user), &token).await.expect(StatusCode::OK).body;
        let items = listed["items"].as_array().unwrap();
        assert_eq!(items.len(), 2);
        assert_eq!(items[0]["amr"], json!(["pwd"]));
        assert_eq!(listed["next_cursor"], Value::Null);
        assert!(!listed.to_string().contains(&secret));
        let page = app.get(&format!("{}?limit=1", sessions(&slug, &user)), &token).await.expect(StatusCode::OK).body;
        assert_eq!(page["items"].as_array().unwrap().len(), 1);
        assert!(page["next_cursor"].is_string());
    }

    async fn an_admin_ends_one_session_and_the_user_keeps_the_others(db: TestDb) {
        let (app, slug, token, user) = setup(db).await;
        let (first, second) = (sign_in(&app, &slug).await, sign_in(&app, &slug).await);
        let listed = app.get(&sessions(&slug, &user), &token).await.expect(StatusCode::OK).body;
        let id = listed["items"][0]["id"].as_str().unwrap().to_owned();
        app.delete(&format!("{}/{id}", sessions(&slug, &user)), &token).await.expect(StatusCode::NO_CONTENT);
        assert!(!session_is_current(&app, &slug, &first).await);
        assert!(session_is_current(&app, &slug, &second).await);
        app.delete(&format!("{}/{id}", sessions(&slug, &user)), &token)
            .await
            .expect_problem(StatusCode::NOT_FOUND, "session-not-found");
    }

    async fn an_admin_signs_a_user_out_everywhere(db: TestDb) {
        let (app, slug, token, user) = setup(db).await;
        let secrets = [sign_in(&app, &slug).await, sign_in(&app, &slug).await];
        app.delete(&sessions(&slug, &user), &token).await.expect(StatusCode::NO_CONTENT);
        for secret in &secrets {
            assert!(!session_is_current(&app, &slug, secret).await);
        }
        let listed = app.get(&sessions(&slug, &user), &token).await.expect(StatusCode::OK).body;
        assert_eq!(listed["items"], json!([]));
    }

    async fn a_read_token_lists_sessions_but_cannot_end_them(db: TestDb) {
        let (app, slug, _, user) = setup(db).await;
        let read = app.token(&slug, &["read"]).await;
        sign_in(&app, &slug).await;
        app.get(&sessions(&slug, &user), &read).await.expect(StatusCode::OK);
        app.delete(&sessions(&slug, &user), &read)
            .await
            .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
    }
}

/// Turns on an authenticator app for `ada`, as her account page does.
async fn app_for_ada(app: &TestApp, slug: &str, user: &str) -> String {
    let tenant = app.store.tenants().get(slug).await.unwrap();
    let scope = app.store.tenant(tenant, Actor::cli());
    let user: uuid::Uuid = user.parse().unwrap();
    let enrolment = scope
        .factors()
        .begin_totp(user.into(), "Phone")
        .await
        .unwrap();
    let bytes = totp_rs::Secret::Encoded(enrolment.secret.to_string())
        .to_bytes()
        .unwrap();
    let code = totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        None,
        String::new(),
    )
    .generate_current()
    .unwrap();
    scope
        .factors()
        .confirm_totp(user.into(), enrolment.factor_id, &code)
        .await
        .unwrap();
    enrolment.factor_id.to_string()
}

fn factors(slug: &str, user: &str) -> String {
    format!("/api/v1/tenants/{slug}/users/{user}/factors")
}

latchkey_tenants::both_backends! {
    async fn an_admin_lists_a_users_factors_without_their_secrets(db: TestDb) {
        let (app, slug, token, user) = setup(db).await;
        let factor = app_for_ada(&app, &slug, &user).await;
        let listed = app.get(&factors(&slug, &user), &token).await.expect(StatusCode::OK).body;
        assert_eq!(listed["items"].as_array().unwrap().len(), 1);
        let item = &listed["items"][0];
        assert_eq!((item["id"].as_str(), item["kind"].as_str(), item["name"].as_str()), (Some(factor.as_str()), Some("totp"), Some("Phone")));
        assert_eq!(item.as_object().unwrap().len(), 5, "id, kind, name, created_at, last_used_at: {item}");
    }

    async fn after_an_admin_removes_the_factor_the_password_signs_in_alone(db: TestDb) {
        let (app, slug, token, user) = setup(db).await;
        let factor = app_for_ada(&app, &slug, &user).await;
        let tenant = app.store.tenants().get(&slug).await.unwrap();
        let scope = app.store.tenant(tenant, Actor::cli());
        let half = scope.sign_in().with_password("ada", PASSWORD, &Client::default(), Lifetimes::default()).await.unwrap();
        assert!(half.second_factor_due);
        app.delete(&format!("{}/{factor}", factors(&slug, &user)), &token).await.expect(StatusCode::NO_CONTENT);
        let full = scope.sign_in().with_password("ada", PASSWORD, &Client::default(), Lifetimes::default()).await.unwrap();
        assert!(!full.second_factor_due);
        app.delete(&format!("{}/{factor}", factors(&slug, &user)), &token)
            .await
            .expect_problem(StatusCode::NOT_FOUND, "factor-not-found");
    }

    async fn a_read_token_lists_factors_but_cannot_remove_them(db: TestDb) {
        let (app, slug, _, user) = setup(db).await;
        let read = app.token(&slug, &["read"]).await;
        let factor = app_for_ada(&app, &slug, &user).await;
        app.get(&factors(&slug, &user), &read).await.expect(StatusCode::OK);
        app.delete(&format!("{}/{factor}", factors(&slug, &user)), &read)
            .await
            .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
    }
}
