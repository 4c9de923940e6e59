//! The tenant's audit log over HTTP: every change, who made it, in which request.

mod common;
use common::*;

use poem::http::StatusCode;
use serde_json::{Value, json};
use testing::TestDb;

/// A tenant `acme` with an admin token; returns the token's secret and id.
async fn setup(db: TestDb) -> (TestApp, String, String, String) {
    let app = TestApp::start(db).await;
    let slug = app.tenant("acme").await;
    let r = app
        .post(
            &format!("/api/v1/tenants/{slug}/tokens"),
            &app.platform,
            json!({"name": "admin", "scopes": ["admin"]}),
        )
        .await
        .expect(StatusCode::CREATED);
    let token = r.body["token"].as_str().unwrap().to_owned();
    let token_id = r.body["id"].as_str().unwrap().to_owned();
    (app, slug, token, token_id)
}

fn base(slug: &str) -> String {
    format!("/api/v1/tenants/{slug}")
}

fn events(slug: &str) -> String {
    format!("{}/events", base(slug))
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_owned()
}

/// The id of the harness's platform token (the only one).
async fn platform_token_id(app: &TestApp) -> String {
    let r = app
        .get("/api/v1/platform/tokens", &app.platform)
        .await
        .expect(StatusCode::OK);
    let items = r.body["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{}", r.body);
    id(&items[0])
}

async fn list(app: &TestApp, path: &str, token: &str) -> Vec<Value> {
    let r = app.get(path, token).await.expect(StatusCode::OK);
    assert!(
        r.body["next_cursor"].is_null(),
        "more than one page: {}",
        r.body
    );
    r.body["items"].as_array().unwrap().clone()
}

/// The change a request made, and the request id the response carried.
struct Change {
    action: &'static str,
    target_type: &'static str,
    target_id: String,
    request_id: String,
}

fn request_id(r: &Reply) -> String {
    r.header("x-request-id")
        .expect("an x-request-id header")
        .to_owned()
}

both_backends! {
    async fn every_change_is_recorded_with_actor_action_target_and_request_id(db: TestDb) {
        let (app, slug, token, token_id) = setup(db).await;
        let b = base(&slug);
        let mut changes: Vec<Change> = Vec::new();
        let mut record = |r: &Reply, action, target_type, target_id: String| {
            changes.push(Change {
                action,
                target_type,
                target_id,
                request_id: request_id(r),
            });
        };

        let r = app
            .post(&format!("{b}/users"), &token, json!({"user_name": "ada"}))
            .await
            .expect(StatusCode::CREATED);
        let user = id(&r.body);
        record(&r, "user.create", "user", user.clone());
        let r = app
            .patch(
                &format!("{b}/users/{user}"),
                &token,
                json!({"display_name": "Ada"}),
            )
            .await
            .expect(StatusCode::OK);
        record(&r, "user.update", "user", user.clone());
        let r = app
            .post(
                &format!("{b}/groups"),
                &token,
                json!({"display_name": "Staff"}),
            )
            .await
            .expect(StatusCode::CREATED);
        let group = id(&r.body);
        record(&r, "group.create", "group", group.clone());
        let r = app
            .patch(
                &format!("{b}/groups/{group}"),
                &token,
                json!({"display_name": "Crew"}),
            )
            .await
            .expect(StatusCode::OK);
        record(&r, "group.rename", "group", group.clone());
        let r = app
            .put(&format!("{b}/groups/{group}/members/{user}"), &token)
            .await
            .expect(StatusCode::CREATED);
        record(&r, "group.member.add", "group", group.clone());
        let r = app
            .delete(&format!("{b}/groups/{group}/members/{user}"), &token)
            .await
            .expect(StatusCode::NO_CONTENT);
        record(&r, "group.member.remove", "group", group.clone());
        let r = app
            .delete(&format!("{b}/groups/{group}"), &token)
            .await
            .expect(StatusCode::NO_CONTENT);
        record(&r, "group.delete", "group", group.clone());
        let r = app
            .delete(&format!("{b}/users/{user}"), &token)
            .await
            .expect(StatusCode::NO_CONTENT);
        record(&r, "user.delete", "user", user.clone());
        let r = app
            .post(
                &format!("{b}/tokens"),
                &token,
                json!({"name": "ci", "scopes": ["read"]}),
            )
            .await
            .expect(StatusCode::CREATED);
        let ci = id(&r.body);
        record(&r, "token.create", "token", ci.clone());
        let r = app
            .delete(&format!("{b}/tokens/{ci}"), &token)
            .await
            .expect(StatusCode::OK);
        record(&r, "token.revoke", "token", ci.clone());

        let actor = format!("token:{token_id}");
        let logged = list(&app, &format!("{}?actor={actor}", events(&slug)), &token).await;
        assert_eq!(logged.len(), changes.len(), "{logged:#?}");
        // Newest first: the log is the changes in reverse.
        for (event, change) in logged.iter().zip(changes.iter().rev()) {
            assert_eq!(event["action"], change.action, "{event}");
            assert_eq!(event["actor"], actor.as_str(), "{event}");
            assert_eq!(event["target_type"], change.target_type, "{event}");
            assert_eq!(event["target_id"], change.target_id.as_str(), "{event}");
            assert_eq!(event["request_id"], change.request_id.as_str(), "{event}");
            assert!(event["occurred_at"].is_string(), "{event}");
            assert!(
                uuid::Uuid::parse_str(event["id"].as_str().unwrap()).is_ok(),
                "{event}"
            );
        }
        let mut request_ids: Vec<&str> = changes.iter().map(|c| c.request_id.as_str()).collect();
        request_ids.sort_unstable();
        request_ids.dedup();
        assert_eq!(
            request_ids.len(),
            changes.len(),
            "every request has an id of its own"
        );
        // The member events name the user.
        let add = logged
            .iter()
            .find(|e| e["action"] == "group.member.add")
            .unwrap();
        assert_eq!(add["detail"]["user_id"], user.as_str(), "{add}");
    }

    async fn a_request_id_sent_by_the_caller_is_used_and_recorded(db: TestDb) {
        let (app, slug, token, _) = setup(db).await;
        let r = app
            .send(
                "POST",
                &format!("{}/users", base(&slug)),
                Some(&token),
                Some(json!({"user_name": "ada"})),
                &[("x-request-id", "req-from-caller-42")],
            )
            .await
            .expect(StatusCode::CREATED);
        assert_eq!(r.header("x-request-id"), Some("req-from-caller-42"));
        let logged = list(
            &app,
            &format!("{}?action=user.create", events(&slug)),
            &token,
        )
        .await;
        assert_eq!(logged.len(), 1);
        assert_eq!(logged[0]["request_id"], "req-from-caller-42");
        assert_eq!(logged[0]["target_id"], r.body["id"]);
        // One that could smuggle text into logs is replaced by a fresh id.
        let r = app
            .send(
                "POST",
                &format!("{}/users", base(&slug)),
                Some(&token),
                Some(json!({"user_name": "bob"})),
                &[("x-request-id", "two words")],
            )
            .await
            .expect(StatusCode::CREATED);
        let fresh = request_id(&r);
        assert_ne!(fresh, "two words");
        let logged = list(
            &app,
            &format!("{}?action=user.create", events(&slug)),
            &token,
        )
        .await;
        assert_eq!(logged[0]["request_id"], fresh.as_str());
    }

    async fn events_are_filtered_by_action(db: TestDb) {
        let (app, slug, token, _) = setup(db).await;
        let b = base(&slug);
        let ada = app.user(&slug, &token, "ada").await;
        let bob = app.user(&slug, &token, "bob").await;
        app.patch(
            &format!("{b}/users/{}", id(&ada)),
            &token,
            json!({"active": false}),
        )
        .await
        .expect(StatusCode::OK);
        app.group(&slug, &token, "Staff").await;
        let created = list(
            &app,
            &format!("{}?action=user.create", events(&slug)),
            &token,
        )
        .await;
        let targets: Vec<&str> = created
            .iter()
            .map(|e| e["target_id"].as_str().unwrap())
            .collect();
        assert_eq!(targets, [id(&bob), id(&ada)]);
        assert!(created.iter().all(|e| e["action"] == "user.create"));
        let updated = list(
            &app,
            &format!("{}?action=user.update", events(&slug)),
            &token,
        )
        .await;
        assert_eq!(updated.len(), 1);
        assert_eq!(updated[0]["target_id"], ada["id"]);
        assert_eq!(updated[0]["detail"]["active"], false);
        let none = list(
            &app,
            &format!("{}?action=user.delete", events(&slug)),
            &token,
        )
        .await;
        assert!(none.is_empty());
    }

    async fn events_are_filtered_by_actor_telling_tenant_and_platform_tokens_apart(db: TestDb) {
        let (app, slug, token, token_id) = setup(db).await;
        let platform_id = platform_token_id(&app).await;
        let by_token = app.user(&slug, &token, "ada").await;
        let by_platform = app.user(&slug, &app.platform, "bob").await;

        let tenant_actor = format!("token:{token_id}");
        let mine = list(
            &app,
            &format!("{}?actor={tenant_actor}", events(&slug)),
            &token,
        )
        .await;
        assert_eq!(mine.len(), 1, "{mine:#?}");
        assert_eq!(mine[0]["target_id"], by_token["id"]);

        let platform_actor = format!("platform-token:{platform_id}");
        let theirs = list(
            &app,
            &format!("{}?actor={platform_actor}", events(&slug)),
            &token,
        )
        .await;
        // The platform token created the tenant, the admin token and bob.
        let actions: Vec<&str> = theirs
            .iter()
            .map(|e| e["action"].as_str().unwrap())
            .collect();
        assert_eq!(
            actions,
            ["user.create", "token.create", "tenant.create"],
            "{theirs:#?}"
        );
        assert_eq!(theirs[0]["target_id"], by_platform["id"]);
        assert_eq!(theirs[1]["target_id"], token_id.as_str());
        assert!(theirs.iter().all(|e| e["actor"] == platform_actor.as_str()));

        let both = list(
            &app,
            &format!(
                "{}?actor={platform_actor}&action=user.create",
                events(&slug)
            ),
            &token,
        )
        .await;
        assert_eq!(both.len(), 1);
        assert_eq!(both[0]["target_id"], by_platform["id"]);
        let nobody = list(
            &app,
            &format!("{}?actor=token:{}", events(&slug), uuid::Uuid::now_v7()),
            &token,
        )
        .await;
        assert!(nobody.is_empty());
    }

    async fn events_are_paginated_newest_first_without_duplicates(db: TestDb) {
        let (app, slug, token, _) = setup(db).await;
        for name in ["a1", "a2", "a3", "a4", "a5"] {
            app.user(&slug, &token, name).await;
        }
        let all = list(&app, &events(&slug), &token).await;
        // tenant.create, token.create, five user.create.
        assert_eq!(all.len(), 7, "{all:#?}");
        assert_eq!(all[0]["action"], "user.create");
        assert_eq!(all[6]["action"], "tenant.create");
        let stamps: Vec<&str> = all
            .iter()
            .map(|e| e["occurred_at"].as_str().unwrap())
            .collect();
        let times: Vec<time::OffsetDateTime> = stamps
            .iter()
            .map(|s| {
                time::OffsetDateTime::parse(s, &time::format_description::well_known::Rfc3339)
                    .unwrap()
            })
            .collect();
        assert!(
            times.windows(2).all(|w| w[0] >= w[1]),
            "not newest first: {stamps:?}"
        );

        let mut paged: Vec<Value> = Vec::new();
        let mut path = format!("{}?limit=3", events(&slug));
        let mut pages = 0;
        loop {
            let r = app.get(&path, &token).await.expect(StatusCode::OK);
            pages += 1;
            let items = r.body["items"].as_array().unwrap();
            assert!(items.len() <= 3);
            paged.extend(items.iter().cloned());
            match r.body["next_cursor"].as_str() {
                Some(c) => path = format!("{}?limit=3&cursor={c}", events(&slug)),
                None => break,
            }
            assert!(pages < 10, "pagination does not end");
        }
        assert_eq!(pages, 3);
        assert_eq!(paged, all);
        // A filter holds across pages.
        let first = app
            .get(
                &format!("{}?action=user.create&limit=2", events(&slug)),
                &token,
            )
            .await
            .expect(StatusCode::OK);
        let cursor = first.body["next_cursor"].as_str().unwrap();
        let second = app
            .get(
                &format!(
                    "{}?action=user.create&limit=10&cursor={cursor}",
                    events(&slug)
                ),
                &token,
            )
            .await
            .expect(StatusCode::OK);
        let ids: Vec<&Value> = first.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .chain(second.body["items"].as_array().unwrap())
            .map(|e| &e["id"])
            .collect();
        let expected: Vec<&Value> = all
            .iter()
            .filter(|e| e["action"] == "user.create")
            .map(|e| &e["id"])
            .collect();
        assert_eq!(ids, expected);
    }

    async fn a_read_token_can_read_the_log(db: TestDb) {
        let (app, slug, _token, _) = setup(db).await;
        let read = app.token(&slug, &["read"]).await;
        let all = list(&app, &events(&slug), &read).await;
        assert_eq!(all.len(), 3, "{all:#?}");
        let scim = app.token(&slug, &["scim"]).await;
        app.get(&events(&slug), &scim)
            .await
            .expect_problem(StatusCode::FORBIDDEN, "insufficient-scope");
    }
}
