//! The tenant API: users.

mod common;
use common::*;

use latchkey_tenants::Actor;
use latchkey_tenants::signin::{Client, Lifetimes};
use poem::http::StatusCode;
use serde_json::{Value, json};
use testing::TestDb;

const PASSWORD: &str = "violet-harbour-tangent-42";
const NEW_PASSWORD: &str = "quiet-lantern-meridian-77";

/// A tenant `acme` with an admin token.
async fn setup(db: TestDb) -> (TestApp, String, String) {
    let app = TestApp::start(db).await;
    let slug = app.tenant("acme").await;
    let token = app.token(&slug, &["admin"]).await;
    (app, slug, token)
}

fn users(slug: &str) -> String {
    format!("/api/v1/tenants/{slug}/users")
}

fn user(slug: &str, id: &Value) -> String {
    format!(
        "/api/v1/tenants/{slug}/users/{}",
        id.as_str().expect("an id")
    )
}

/// Sends a body exactly as given (not necessarily JSON).
async fn raw(app: &TestApp, method: &str, path: &str, token: &str, body: &str) -> Reply {
    let req = match method {
        "POST" => app.client.post(path),
        "PATCH" => app.client.patch(path),
        other => panic!("unsupported method {other}"),
    };
    let resp = req
        .header("Authorization", format!("Bearer {token}"))
        .content_type("application/json")
        .body(body.to_owned())
        .send()
        .await
        .0;
    let status = resp.status();
    let headers = resp.headers().clone();
    let bytes = resp.into_body().into_vec().await.expect("body");
    let body = serde_json::from_slice(&bytes)
        .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()));
    Reply {
        status,
        headers,
        body,
    }
}

/// `ada`, created over REST with `PASSWORD`; returns her JSON.
async fn ada_with_password(app: &TestApp, slug: &str, token: &str) -> Value {
    app.post(
        &users(slug),
        token,
        json!({"user_name": "ada", "password": PASSWORD}),
    )
    .await
    .expect(StatusCode::CREATED)
    .body
}

/// Whether `login` signs in with `password`, as the sign-in page does.
async fn signs_in(app: &TestApp, slug: &str, login: &str, password: &str) -> bool {
    let tenant = app.store.tenants().get(slug).await.unwrap();
    app.store
        .tenant(tenant, Actor::cli())
        .sign_in()
        .with_password(login, password, &Client::default(), Lifetimes::default())
        .await
        .is_ok()
}

/// The user names of a list reply, in order.
fn names(list: &Value) -> Vec<&str> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|u| u["user_name"].as_str().unwrap())
        .collect()
}

both_backends! {
    async fn creating_a_user_answers_201_with_the_user_its_etag_and_location(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let r = app
            .post(
                &users(&slug),
                &token,
                json!({"user_name": "ada", "email": "ada@example.com", "display_name": "Ada Lovelace",
                       "given_name": "Ada", "family_name": "Lovelace"}),
            )
            .await
            .expect(StatusCode::CREATED);
        let u = &r.body;
        assert!(
            uuid::Uuid::parse_str(u["id"].as_str().unwrap()).is_ok(),
            "{u}"
        );
        assert_eq!(u["user_name"], "ada");
        assert_eq!(u["email"], "ada@example.com");
        assert_eq!(u["display_name"], "Ada Lovelace");
        assert_eq!(u["given_name"], "Ada");
        assert_eq!(u["family_name"], "Lovelace");
        assert_eq!(u["active"], true);
        assert_eq!(u["kind"], "internal");
        assert_eq!(u["version"], 1);
        assert!(
            u["created_at"].is_string() && u["updated_at"].is_string(),
            "{u}"
        );
        assert_eq!(r.header("etag"), Some("\"1\""));
        assert_eq!(r.header("location"), Some(user(&slug, &u["id"]).as_str()));
    }

    async fn a_user_is_fetched_with_an_etag_equal_to_its_version(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let created = app.user(&slug, &token, "ada").await;
        let r = app
            .get(&user(&slug, &created["id"]), &token)
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body, created);
        assert_eq!(r.header("etag"), Some("\"1\""));
        let r = app
            .patch(
                &user(&slug, &created["id"]),
                &token,
                json!({"display_name": "Ada"}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["version"], 2);
        assert_eq!(r.header("etag"), Some("\"2\""));
        let r = app
            .get(&user(&slug, &created["id"]), &token)
            .await
            .expect(StatusCode::OK);
        assert_eq!(
            r.header("etag"),
            Some(format!("\"{}\"", r.body["version"]).as_str())
        );
    }

    async fn users_are_listed_in_creation_order_page_by_page(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        for name in ["ada", "bob", "cyd"] {
            app.user(&slug, &token, name).await;
        }
        let first = app
            .get(&format!("{}?limit=2", users(&slug)), &token)
            .await
            .expect(StatusCode::OK);
        assert_eq!(names(&first.body), ["ada", "bob"]);
        let cursor = first.body["next_cursor"].as_str().expect("a next cursor");
        let second = app
            .get(&format!("{}?limit=2&cursor={cursor}", users(&slug)), &token)
            .await
            .expect(StatusCode::OK);
        assert_eq!(names(&second.body), ["cyd"]);
        assert!(second.body["next_cursor"].is_null());
        let all = app.get(&users(&slug), &token).await.expect(StatusCode::OK);
        assert_eq!(names(&all.body), ["ada", "bob", "cyd"]);
        assert!(all.body["next_cursor"].is_null());
    }

    async fn searching_matches_the_start_of_user_name_email_and_names_ignoring_case(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        app.post(
            &users(&slug),
            &token,
            json!({"user_name": "Ada.Lovelace", "email": "countess@analytical.example"}),
        )
        .await
        .expect(StatusCode::CREATED);
        app.post(
            &users(&slug),
            &token,
            json!({"user_name": "bob", "email": "Bob@Builder.example", "given_name": "Robert"}),
        )
        .await
        .expect(StatusCode::CREATED);
        app.post(
            &users(&slug),
            &token,
            json!({"user_name": "cyd", "given_name": "Cydney"}),
        )
        .await
        .expect(StatusCode::CREATED);
        let search = |q: &str| format!("{}?q={q}", users(&slug));
        for (q, expected) in [
            ("ada", vec!["Ada.Lovelace"]),
            ("ADA.L", vec!["Ada.Lovelace"]),
            ("BOB@b", vec!["bob"]),
            ("rob", vec!["bob"]),
            ("CYD", vec!["cyd", ]),
            // A prefix, not a substring: the middle of a field does not match.
            ("lovelace", vec![]),
            ("builder", vec![]),
            ("nobody", vec![]),
        ] {
            let r = app.get(&search(q), &token).await.expect(StatusCode::OK);
            assert_eq!(names(&r.body), expected, "q={q}");
        }
    }

    async fn a_patch_changes_only_the_fields_it_names_and_null_clears(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let created = app
            .post(&users(&slug), &token, json!({"user_name": "ada", "email": "ada@example.com", "given_name": "Ada", "family_name": "Lovelace"}))
            .await
            .expect(StatusCode::CREATED)
            .body;
        let path = user(&slug, &created["id"]);
        let r = app
            .patch(&path, &token, json!({"given_name": "Augusta"}))
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["given_name"], "Augusta");
        assert_eq!(r.body["family_name"], "Lovelace");
        assert_eq!(r.body["email"], "ada@example.com");
        assert_eq!(r.body["user_name"], "ada");
        let r = app
            .patch(&path, &token, json!({"email": null}))
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["email"], Value::Null);
        assert_eq!(r.body["given_name"], "Augusta");
        let got = app.get(&path, &token).await.expect(StatusCode::OK);
        assert_eq!(got.body["email"], Value::Null);
        assert_eq!(got.body["given_name"], "Augusta");
        assert_eq!(got.body["family_name"], "Lovelace");
        assert_eq!(got.body["version"], 3);
    }

    async fn patching_active_false_deactivates_without_deleting(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let ada = app.user(&slug, &token, "ada").await;
        app.user(&slug, &token, "bob").await;
        let r = app
            .patch(&user(&slug, &ada["id"]), &token, json!({"active": false}))
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["active"], false);
        let got = app
            .get(&user(&slug, &ada["id"]), &token)
            .await
            .expect(StatusCode::OK);
        assert_eq!(got.body["active"], false);
        let inactive = app
            .get(&format!("{}?active=false", users(&slug)), &token)
            .await
            .expect(StatusCode::OK);
        assert_eq!(names(&inactive.body), ["ada"]);
        let active = app
            .get(&format!("{}?active=true", users(&slug)), &token)
            .await
            .expect(StatusCode::OK);
        assert_eq!(names(&active.body), ["bob"]);
    }

    async fn deleting_a_user_answers_204_then_404_and_removes_their_memberships(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let ada = app.user(&slug, &token, "ada").await;
        let group = app.group(&slug, &token, "staff").await;
        let members = format!(
            "/api/v1/tenants/{slug}/groups/{}/members",
            group["id"].as_str().unwrap()
        );
        app.put(
            &format!("{members}/{}", ada["id"].as_str().unwrap()),
            &token,
        )
        .await
        .expect(StatusCode::CREATED);
        let r = app.get(&members, &token).await.expect(StatusCode::OK);
        assert_eq!(r.body["items"].as_array().unwrap().len(), 1);

        let r = app
            .delete(&user(&slug, &ada["id"]), &token)
            .await
            .expect(StatusCode::NO_CONTENT);
        assert_eq!(r.body, Value::Null);
        app.get(&user(&slug, &ada["id"]), &token)
            .await
            .expect_problem(StatusCode::NOT_FOUND, "user-not-found");
        app.delete(&user(&slug, &ada["id"]), &token)
            .await
            .expect_problem(StatusCode::NOT_FOUND, "user-not-found");
        let r = app.get(&members, &token).await.expect(StatusCode::OK);
        assert_eq!(r.body["items"], json!([]));
        app.get(
            &format!(
                "/api/v1/tenants/{slug}/groups/{}",
                group["id"].as_str().unwrap()
            ),
            &token,
        )
        .await
        .expect(StatusCode::OK);
    }

    async fn a_stale_if_match_is_refused_with_412_and_nothing_changes(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let ada = app.user(&slug, &token, "ada").await;
        let path = user(&slug, &ada["id"]);
        app.patch(&path, &token, json!({"display_name": "Ada"}))
            .await
            .expect(StatusCode::OK);
        for if_match in ["\"1\"", "W/\"1\"", "1"] {
            app.send(
                "PATCH",
                &path,
                Some(&token),
                Some(json!({"display_name": "Stale"})),
                &[("If-Match", if_match)],
            )
            .await
            .expect_problem(StatusCode::PRECONDITION_FAILED, "version-mismatch");
        }
        app.send(
            "DELETE",
            &path,
            Some(&token),
            None,
            &[("If-Match", "\"1\"")],
        )
        .await
        .expect_problem(StatusCode::PRECONDITION_FAILED, "version-mismatch");
        let got = app.get(&path, &token).await.expect(StatusCode::OK);
        assert_eq!(got.body["display_name"], "Ada");
        assert_eq!(got.body["version"], 2);
        // The current version is accepted.
        let r = app
            .send(
                "PATCH",
                &path,
                Some(&token),
                Some(json!({"display_name": "Fresh"})),
                &[("If-Match", "\"2\"")],
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["display_name"], "Fresh");
    }

    async fn a_user_name_taken_ignoring_case_is_refused_with_409(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        app.user(&slug, &token, "ada").await;
        app.post(&users(&slug), &token, json!({"user_name": "ADA"}))
            .await
            .expect_problem(StatusCode::CONFLICT, "user-name-taken");
        let all = app.get(&users(&slug), &token).await.expect(StatusCode::OK);
        assert_eq!(names(&all.body), ["ada"]);
    }

    async fn renaming_onto_a_taken_user_name_is_refused_with_409(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        app.user(&slug, &token, "ada").await;
        let bob = app.user(&slug, &token, "bob").await;
        app.patch(
            &user(&slug, &bob["id"]),
            &token,
            json!({"user_name": "Ada"}),
        )
        .await
        .expect_problem(StatusCode::CONFLICT, "user-name-taken");
        let got = app
            .get(&user(&slug, &bob["id"]), &token)
            .await
            .expect(StatusCode::OK);
        assert_eq!(got.body["user_name"], "bob");
        assert_eq!(got.body["version"], 1);
    }

    async fn malformed_json_is_a_400_problem(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        for body in ["{\"user_name\": ", "not json", ""] {
            let r = raw(&app, "POST", &users(&slug), &token, body).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body:?}: {}", r.body);
            assert_eq!(r.header("content-type"), Some("application/problem+json"));
            assert_eq!(r.body["status"], 400);
            assert!(!r.code().is_empty(), "{}", r.body);
        }
        let all = app.get(&users(&slug), &token).await.expect(StatusCode::OK);
        assert_eq!(all.body["items"], json!([]));
    }

    async fn a_body_that_does_not_parse_names_the_field_at_fault(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        for (body, field) in [
            (json!({"user_name": 42}), "user_name"),
            (json!({"email": "ada@example.com"}), "user_name"),
            (json!({"user_name": "ada", "active": "yes"}), "active"),
            (json!({"user_name": "ada", "kind": "robot"}), "kind"),
        ] {
            let r = app.post(&users(&slug), &token, body.clone()).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(r.body["errors"][0]["field"], field, "{body}: {}", r.body);
        }
    }

    async fn fields_of_the_wrong_type_are_a_400_problem(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        for body in [
            json!({"user_name": 42}),
            json!({"user_name": true}),
            json!({"user_name": "ada", "email": 7}),
            json!({"user_name": {"first": "ada"}}),
            json!({"user_name": null}),
            json!({"user_name": "ada", "active": "yes"}),
            json!({"user_name": "ada", "email": ["ada@example.com"]}),
            json!({"user_name": "ada", "kind": "robot"}),
            json!(["ada"]),
            json!({}),
        ] {
            let r = app.post(&users(&slug), &token, body.clone()).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{body}: {}", r.body);
            assert_eq!(
                r.header("content-type"),
                Some("application/problem+json"),
                "{body}"
            );
        }
        let ada = app.user(&slug, &token, "ada").await;
        let r = app
            .patch(&user(&slug, &ada["id"]), &token, json!({"active": "no"}))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        let r = app
            .patch(&user(&slug, &ada["id"]), &token, json!({"active": null}))
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert_eq!(r.body["errors"][0]["field"], "active", "{}", r.body);
        let all = app.get(&users(&slug), &token).await.expect(StatusCode::OK);
        assert_eq!(names(&all.body), ["ada"]);
        assert_eq!(all.body["items"][0]["active"], true);
    }

    async fn an_over_long_user_name_is_refused_naming_user_name(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let r = app
            .post(&users(&slug), &token, json!({"user_name": "x".repeat(300)}))
            .await
            .expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
        assert_eq!(r.body["errors"][0]["field"], "user_name", "{}", r.body);
        let ada = app.user(&slug, &token, "ada").await;
        let r = app
            .patch(
                &user(&slug, &ada["id"]),
                &token,
                json!({"user_name": "y".repeat(300)}),
            )
            .await
            .expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
        assert_eq!(r.body["errors"][0]["field"], "user_name", "{}", r.body);
        let all = app.get(&users(&slug), &token).await.expect(StatusCode::OK);
        assert_eq!(names(&all.body), ["ada"]);
    }

    async fn an_invalid_cursor_is_refused_naming_cursor(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        for cursor in ["garbage", "AAAA", "%21%21"] {
            let r = app
                .get(&format!("{}?cursor={cursor}", users(&slug)), &token)
                .await
                .expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
            assert_eq!(
                r.body["errors"][0]["field"], "cursor",
                "{cursor}: {}",
                r.body
            );
        }
    }

    async fn a_limit_out_of_range_is_refused_naming_limit(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        for limit in ["0", "201", "-1", "many"] {
            let r = app
                .get(&format!("{}?limit={limit}", users(&slug)), &token)
                .await
                .expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
            assert_eq!(r.body["errors"][0]["field"], "limit", "{limit}: {}", r.body);
        }
        app.get(&format!("{}?limit=200", users(&slug)), &token)
            .await
            .expect(StatusCode::OK);
        app.get(&format!("{}?limit=1", users(&slug)), &token)
            .await
            .expect(StatusCode::OK);
    }

    async fn a_read_token_can_list_and_get_but_not_change(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let ada = app.user(&slug, &token, "ada").await;
        let read = app.token(&slug, &["read"]).await;
        let r = app.get(&users(&slug), &read).await.expect(StatusCode::OK);
        assert_eq!(names(&r.body), ["ada"]);
        app.get(&user(&slug, &ada["id"]), &read)
            .await
            .expect(StatusCode::OK);
        app.post(&users(&slug), &read, json!({"user_name": "bob"}))
            .await
            .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
        app.patch(&user(&slug, &ada["id"]), &read, json!({"active": false}))
            .await
            .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
        app.delete(&user(&slug, &ada["id"]), &read)
            .await
            .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
        let r = app.get(&users(&slug), &token).await.expect(StatusCode::OK);
        assert_eq!(names(&r.body), ["ada"]);
        assert_eq!(r.body["items"][0]["active"], true);
    }

    async fn a_scim_token_is_forbidden_on_the_rest_api(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let ada = app.user(&slug, &token, "ada").await;
        let scim = app.token(&slug, &["scim"]).await;
        assert!(scim.starts_with("lks_"));
        app.get(&users(&slug), &scim)
            .await
            .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
        app.get(&user(&slug, &ada["id"]), &scim)
            .await
            .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
        app.post(&users(&slug), &scim, json!({"user_name": "bob"}))
            .await
            .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
        let r = app.get(&users(&slug), &token).await.expect(StatusCode::OK);
        assert_eq!(names(&r.body), ["ada"]);
    }

    async fn an_unknown_user_id_is_404_and_a_malformed_one_is_not_a_500(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let unknown = json!(uuid::Uuid::now_v7().to_string());
        app.get(&user(&slug, &unknown), &token)
            .await
            .expect_problem(StatusCode::NOT_FOUND, "user-not-found");
        app.patch(&user(&slug, &unknown), &token, json!({"display_name": "x"}))
            .await
            .expect_problem(StatusCode::NOT_FOUND, "user-not-found");
        let r = app
            .get(&format!("{}/not-a-uuid", users(&slug)), &token)
            .await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
    }
}

both_backends! {
    async fn a_password_set_on_create_is_never_returned_and_signs_the_user_in(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let created = ada_with_password(&app, &slug, &token).await;
        let fetched = app.get(&user(&slug, &created["id"]), &token).await.expect(StatusCode::OK).body;
        let listed = app.get(&users(&slug), &token).await.expect(StatusCode::OK).body;
        for body in [&created, &fetched, &listed] {
            assert!(!body.to_string().contains("password"), "{body}");
            assert!(!body.to_string().contains(PASSWORD), "{body}");
        }
        assert!(signs_in(&app, &slug, "ada", PASSWORD).await);
    }

    async fn a_password_breaking_the_rules_is_refused_naming_password_and_nothing_is_stored(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        for weak in [
            "Sh0rt!pass",              // under 12 characters
            "password123456",          // a common password with digits appended
            "ada-violet-harbour-42",   // contains the user name
            "ada@example.com-42",      // contains the email address
            "our-acme-violet-harbour", // contains the tenant's slug
        ] {
            let r = app
                .post(
                    &users(&slug),
                    &token,
                    json!({"user_name": "ada", "email": "ada@example.com", "password": weak}),
                )
                .await
                .expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
            assert_eq!(r.body["errors"][0]["field"], "password", "{weak}: {}", r.body);
            assert!(!r.body.to_string().contains(weak), "{}", r.body);
        }
        let all = app.get(&users(&slug), &token).await.expect(StatusCode::OK);
        assert!(names(&all.body).is_empty(), "{}", all.body);
    }

    async fn patching_the_password_replaces_it(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let ada = ada_with_password(&app, &slug, &token).await;
        let patched = app
            .patch(&user(&slug, &ada["id"]), &token, json!({"password": NEW_PASSWORD}))
            .await
            .expect(StatusCode::OK)
            .body;
        assert!(!patched.to_string().contains(NEW_PASSWORD), "{patched}");
        assert!(!signs_in(&app, &slug, "ada", PASSWORD).await);
        assert!(signs_in(&app, &slug, "ada", NEW_PASSWORD).await);
    }

    async fn a_user_created_without_a_password_gets_one_by_patch(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let ada = app.user(&slug, &token, "ada").await;
        app.patch(&user(&slug, &ada["id"]), &token, json!({"password": PASSWORD}))
            .await
            .expect(StatusCode::OK);
        assert!(signs_in(&app, &slug, "ada", PASSWORD).await);
    }

    async fn patching_a_password_breaking_the_rules_is_refused_and_the_old_one_stays(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let ada = ada_with_password(&app, &slug, &token).await;
        // The rules name the user as the patch leaves them: here renamed.
        let r = app
            .patch(
                &user(&slug, &ada["id"]),
                &token,
                json!({"user_name": "lovelace", "password": "lovelace-harbour-42"}),
            )
            .await
            .expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
        assert_eq!(r.body["errors"][0]["field"], "password", "{}", r.body);
        let got = app.get(&user(&slug, &ada["id"]), &token).await.expect(StatusCode::OK).body;
        assert_eq!(got["user_name"], "ada");
        assert_eq!(got["version"], ada["version"]);
        assert!(signs_in(&app, &slug, "ada", PASSWORD).await);
    }

    async fn patching_the_password_to_null_removes_it(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let ada = ada_with_password(&app, &slug, &token).await;
        app.patch(&user(&slug, &ada["id"]), &token, json!({"password": null}))
            .await
            .expect(StatusCode::OK);
        assert!(!signs_in(&app, &slug, "ada", PASSWORD).await);
    }

    async fn the_password_never_appears_in_the_audit_events(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let ada = ada_with_password(&app, &slug, &token).await;
        app.patch(&user(&slug, &ada["id"]), &token, json!({"password": NEW_PASSWORD}))
            .await
            .expect(StatusCode::OK);
        let events = app
            .get(&format!("/api/v1/tenants/{slug}/events"), &token)
            .await
            .expect(StatusCode::OK)
            .body;
        let text = events.to_string();
        assert!(!text.contains(PASSWORD) && !text.contains(NEW_PASSWORD), "{events}");
        assert!(!text.contains("argon2"), "{events}");
        let sets = events["items"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| e["detail"]["password_set"] == json!(true))
            .count();
        assert_eq!(sets, 2, "{events}");
    }

    async fn a_user_created_with_a_password_reads_over_scim_as_active(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let ada = ada_with_password(&app, &slug, &token).await;
        let scim = app.scim_token(&slug).await;
        let path = format!("/Users/{}", ada["id"].as_str().unwrap());
        let got = app.scim("GET", &slug, &path, &scim, None).await.expect(StatusCode::OK).body;
        assert_eq!(got["active"], true, "{got}");
        assert!(got.get("password").is_none(), "{got}");
    }

    async fn a_password_change_keeps_what_scim_stored_about_the_user(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let scim = app.scim_token(&slug).await;
        let ada = app
            .scim(
                "POST",
                &slug,
                "/Users",
                &scim,
                Some(json!({
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": "ada", "nickName": "Countess", "password": PASSWORD,
                })),
            )
            .await
            .expect(StatusCode::CREATED)
            .body;
        app.patch(&user(&slug, &ada["id"]), &token, json!({"password": NEW_PASSWORD}))
            .await
            .expect(StatusCode::OK);
        let path = format!("/Users/{}", ada["id"].as_str().unwrap());
        let got = app.scim("GET", &slug, &path, &scim, None).await.expect(StatusCode::OK).body;
        assert_eq!(got["nickName"], "Countess", "{got}");
        assert!(signs_in(&app, &slug, "ada", NEW_PASSWORD).await);
    }
}
