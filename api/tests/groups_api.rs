//! The tenant API: groups and their members.

mod common;
use common::*;

use poem::http::StatusCode;
use serde_json::{Value, json};
use testing::TestDb;

/// A tenant `acme` with an admin token.
async fn setup(db: TestDb) -> (TestApp, String, String) {
    let app = TestApp::start(db).await;
    let slug = app.tenant("acme").await;
    let token = app.token(&slug, &["admin"]).await;
    (app, slug, token)
}

fn groups(slug: &str) -> String {
    format!("/api/v1/tenants/{slug}/groups")
}

fn group(slug: &str, g: &Value) -> String {
    format!("{}/{}", groups(slug), id(g))
}

fn members(slug: &str, g: &Value) -> String {
    format!("{}/members", group(slug, g))
}

fn member(slug: &str, g: &Value, u: &Value) -> String {
    format!("{}/{}", members(slug, g), id(u))
}

fn id(resource: &Value) -> &str {
    resource["id"].as_str().expect("an id")
}

fn ids(list: &Value, pick: impl Fn(&Value) -> &Value) -> Vec<String> {
    list["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|i| id(pick(i)).to_owned())
        .collect()
}

both_backends! {
    async fn creating_a_group_answers_201_with_the_group_and_its_etag(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let r = app
            .post(
                &groups(&slug),
                &token,
                json!({"display_name": "Engineering"}),
            )
            .await
            .expect(StatusCode::CREATED);
        assert!(uuid::Uuid::parse_str(id(&r.body)).is_ok(), "{}", r.body);
        assert_eq!(r.body["display_name"], "Engineering");
        assert_eq!(r.body["version"], 1);
        assert!(
            r.body["created_at"].is_string() && r.body["updated_at"].is_string(),
            "{}",
            r.body
        );
        assert_eq!(r.header("etag"), Some("\"1\""));
        let got = app
            .get(&group(&slug, &r.body), &token)
            .await
            .expect(StatusCode::OK);
        assert_eq!(got.body, r.body);
        assert_eq!(got.header("etag"), Some("\"1\""));
    }

    async fn groups_are_listed_page_by_page_and_searched_by_name(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let eng = app.group(&slug, &token, "Engineering").await;
        let ops = app.group(&slug, &token, "Operations").await;
        let sales = app.group(&slug, &token, "Sales Engineering").await;
        let first = app
            .get(&format!("{}?limit=2", groups(&slug)), &token)
            .await
            .expect(StatusCode::OK);
        assert_eq!(ids(&first.body, |g| g), [id(&eng), id(&ops)]);
        let cursor = first.body["next_cursor"].as_str().expect("a next cursor");
        let second = app
            .get(
                &format!("{}?limit=2&cursor={cursor}", groups(&slug)),
                &token,
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(ids(&second.body, |g| g), [id(&sales)]);
        assert!(second.body["next_cursor"].is_null());
        let found = app
            .get(&format!("{}?q=ENGINEER", groups(&slug)), &token)
            .await
            .expect(StatusCode::OK);
        assert_eq!(ids(&found.body, |g| g), [id(&eng), id(&sales)]);
    }

    async fn renaming_a_group_changes_its_name_and_version(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let g = app.group(&slug, &token, "Engineering").await;
        let r = app
            .patch(&group(&slug, &g), &token, json!({"display_name": "R&D"}))
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["display_name"], "R&D");
        assert_eq!(r.body["version"], 2);
        assert_eq!(r.header("etag"), Some("\"2\""));
        app.send(
            "PATCH",
            &group(&slug, &g),
            Some(&token),
            Some(json!({"display_name": "Stale"})),
            &[("If-Match", "\"1\"")],
        )
        .await
        .expect_problem(StatusCode::PRECONDITION_FAILED, "version-mismatch");
        let got = app
            .get(&group(&slug, &g), &token)
            .await
            .expect(StatusCode::OK);
        assert_eq!(got.body["display_name"], "R&D");
        assert_eq!(got.body["version"], 2);
    }

    async fn deleting_a_group_answers_204_then_404_and_keeps_its_users(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let g = app.group(&slug, &token, "Engineering").await;
        let ada = app.user(&slug, &token, "ada").await;
        app.put(&member(&slug, &g, &ada), &token)
            .await
            .expect(StatusCode::CREATED);
        let r = app
            .delete(&group(&slug, &g), &token)
            .await
            .expect(StatusCode::NO_CONTENT);
        assert_eq!(r.body, Value::Null);
        app.get(&group(&slug, &g), &token)
            .await
            .expect_problem(StatusCode::NOT_FOUND, "group-not-found");
        app.get(&members(&slug, &g), &token)
            .await
            .expect_problem(StatusCode::NOT_FOUND, "group-not-found");
        app.delete(&group(&slug, &g), &token)
            .await
            .expect_problem(StatusCode::NOT_FOUND, "group-not-found");
        let listed = app.get(&groups(&slug), &token).await.expect(StatusCode::OK);
        assert_eq!(listed.body["items"], json!([]));
        let got = app
            .get(
                &format!("/api/v1/tenants/{slug}/users/{}", id(&ada)),
                &token,
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(got.body, ada);
    }

    async fn adding_a_member_answers_201_and_204_when_repeated(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let g = app.group(&slug, &token, "Engineering").await;
        let ada = app.user(&slug, &token, "ada").await;
        let r = app
            .put(&member(&slug, &g, &ada), &token)
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(r.body, Value::Null);
        app.put(&member(&slug, &g, &ada), &token)
            .await
            .expect(StatusCode::NO_CONTENT);
        let listed = app
            .get(&members(&slug, &g), &token)
            .await
            .expect(StatusCode::OK);
        assert_eq!(ids(&listed.body, |m| &m["user"]), [id(&ada)]);
    }

    async fn the_members_of_a_group_are_listed_with_their_users(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let g = app.group(&slug, &token, "Engineering").await;
        let other = app.group(&slug, &token, "Sales").await;
        let ada = app.user(&slug, &token, "ada").await;
        let bob = app.user(&slug, &token, "bob").await;
        let cyd = app.user(&slug, &token, "cyd").await;
        for u in [&ada, &bob, &cyd] {
            app.put(&member(&slug, &g, u), &token)
                .await
                .expect(StatusCode::CREATED);
        }
        app.put(&member(&slug, &other, &cyd), &token)
            .await
            .expect(StatusCode::CREATED);
        let first = app
            .get(&format!("{}?limit=2", members(&slug, &g)), &token)
            .await
            .expect(StatusCode::OK);
        assert_eq!(ids(&first.body, |m| &m["user"]), [id(&ada), id(&bob)]);
        assert_eq!(first.body["items"][0]["user"]["user_name"], "ada");
        assert!(
            first.body["items"][0]["added_at"].is_string(),
            "{}",
            first.body
        );
        let cursor = first.body["next_cursor"].as_str().expect("a next cursor");
        let second = app
            .get(
                &format!("{}?limit=2&cursor={cursor}", members(&slug, &g)),
                &token,
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(ids(&second.body, |m| &m["user"]), [id(&cyd)]);
        assert!(second.body["next_cursor"].is_null());
        let others = app
            .get(&members(&slug, &other), &token)
            .await
            .expect(StatusCode::OK);
        assert_eq!(ids(&others.body, |m| &m["user"]), [id(&cyd)]);
    }

    async fn one_membership_is_read_by_group_and_user(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let g = app.group(&slug, &token, "Engineering").await;
        let other = app.group(&slug, &token, "Sales").await;
        let ada = app.user(&slug, &token, "ada").await;
        let bob = app.user(&slug, &token, "bob").await;
        app.put(&member(&slug, &g, &ada), &token)
            .await
            .expect(StatusCode::CREATED);
        app.put(&member(&slug, &other, &bob), &token)
            .await
            .expect(StatusCode::CREATED);
        let got = app
            .get(&member(&slug, &g, &ada), &token)
            .await
            .expect(StatusCode::OK);
        assert_eq!(got.body["user"]["id"], ada["id"]);
        assert_eq!(got.body["user"]["user_name"], "ada");
        assert!(got.body["added_at"].is_string(), "{}", got.body);
        // A member of another group is not a member of this one.
        app.get(&member(&slug, &g, &bob), &token)
            .await
            .expect_problem(StatusCode::NOT_FOUND, "member-not-found");
        let ghost = json!({"id": uuid::Uuid::now_v7().to_string()});
        app.get(&member(&slug, &ghost, &ada), &token)
            .await
            .expect_problem(StatusCode::NOT_FOUND, "group-not-found");
    }

    async fn removing_a_member_answers_204_then_404_member_not_found(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let g = app.group(&slug, &token, "Engineering").await;
        let ada = app.user(&slug, &token, "ada").await;
        let bob = app.user(&slug, &token, "bob").await;
        app.put(&member(&slug, &g, &ada), &token)
            .await
            .expect(StatusCode::CREATED);
        app.put(&member(&slug, &g, &bob), &token)
            .await
            .expect(StatusCode::CREATED);
        app.delete(&member(&slug, &g, &ada), &token)
            .await
            .expect(StatusCode::NO_CONTENT);
        app.delete(&member(&slug, &g, &ada), &token)
            .await
            .expect_problem(StatusCode::NOT_FOUND, "member-not-found");
        let listed = app
            .get(&members(&slug, &g), &token)
            .await
            .expect(StatusCode::OK);
        assert_eq!(ids(&listed.body, |m| &m["user"]), [id(&bob)]);
        // The user stays.
        app.get(
            &format!("/api/v1/tenants/{slug}/users/{}", id(&ada)),
            &token,
        )
        .await
        .expect(StatusCode::OK);
    }

    async fn adding_an_unknown_user_is_404_and_adds_nothing(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let g = app.group(&slug, &token, "Engineering").await;
        let ghost = json!({"id": uuid::Uuid::now_v7().to_string()});
        app.put(&member(&slug, &g, &ghost), &token)
            .await
            .expect_problem(StatusCode::NOT_FOUND, "user-not-found");
        let listed = app
            .get(&members(&slug, &g), &token)
            .await
            .expect(StatusCode::OK);
        assert_eq!(listed.body["items"], json!([]));
        // And an unknown group is reported as such.
        let ada = app.user(&slug, &token, "ada").await;
        app.put(&member(&slug, &ghost, &ada), &token)
            .await
            .expect_problem(StatusCode::NOT_FOUND, "group-not-found");
    }

    async fn a_taken_group_name_is_refused_with_409_ignoring_case(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let eng = app.group(&slug, &token, "Engineering").await;
        app.post(
            &groups(&slug),
            &token,
            json!({"display_name": "ENGINEERING"}),
        )
        .await
        .expect_problem(StatusCode::CONFLICT, "group-name-taken");
        let sales = app.group(&slug, &token, "Sales").await;
        app.patch(
            &group(&slug, &sales),
            &token,
            json!({"display_name": "engineering"}),
        )
        .await
        .expect_problem(StatusCode::CONFLICT, "group-name-taken");
        let listed = app.get(&groups(&slug), &token).await.expect(StatusCode::OK);
        assert_eq!(ids(&listed.body, |g| g), [id(&eng), id(&sales)]);
        assert_eq!(listed.body["items"][1]["display_name"], "Sales");
    }

    async fn a_blank_group_name_is_refused_naming_display_name(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let r = app
            .post(&groups(&slug), &token, json!({"display_name": "   "}))
            .await
            .expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
        assert_eq!(r.body["errors"][0]["field"], "display_name", "{}", r.body);
        let listed = app.get(&groups(&slug), &token).await.expect(StatusCode::OK);
        assert_eq!(listed.body["items"], json!([]));
    }
}
