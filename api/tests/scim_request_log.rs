//! The SCIM request log of a tenant (`GET /api/v1/tenants/{t}/scim/requests`):
//! where an admin looks when a sync from Entra ID or Okta fails. Every SCIM
//! request is listed, newest first, with its outcome and a body that never
//! holds a password; the log keeps a bounded number of entries. Separately,
//! every change a SCIM client makes is in the tenant's audit log under the
//! SCIM token's name.

mod common;
use common::*;

use latchkey_tenants::Store;
use poem::http::StatusCode;
use serde_json::{Value, json};
use testing::TestDb;

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const USER_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// A tenant `acme`, its SCIM token and the token's id.
async fn setup(app: &TestApp) -> (String, String, String) {
    let slug = app.tenant("acme").await;
    let (secret, id) = scim_token(app, &slug).await;
    (slug, secret, id)
}

/// A new SCIM token of `slug`: its secret and id.
async fn scim_token(app: &TestApp, slug: &str) -> (String, String) {
    let t = app
        .post(
            &format!("/api/v1/tenants/{slug}/tokens"),
            &app.platform,
            json!({"name": "entra", "scopes": ["scim"]}),
        )
        .await
        .expect(StatusCode::CREATED)
        .body;
    (
        t["token"].as_str().unwrap().to_owned(),
        t["id"].as_str().unwrap().to_owned(),
    )
}

/// The log as `token` reads it (after writing what is buffered); `query`
/// is appended as is.
async fn log(app: &TestApp, slug: &str, token: &str, query: &str) -> Vec<Value> {
    app.store
        .flush_scim_log()
        .await
        .expect("flush the SCIM log");
    let r = app
        .get(
            &format!("/api/v1/tenants/{slug}/scim/requests{query}"),
            token,
        )
        .await
        .expect(StatusCode::OK);
    r.body["items"]
        .as_array()
        .unwrap_or_else(|| panic!("no items: {}", r.body))
        .clone()
}

fn id(v: &Value) -> String {
    v["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id: {v}"))
        .to_owned()
}

fn absent(v: &Value) -> bool {
    v.is_null()
}

/// `(method, path, status)` of each entry, in the log's order.
fn lines(items: &[Value]) -> Vec<(String, String, u64)> {
    items
        .iter()
        .map(|i| {
            (
                i["method"].as_str().unwrap().to_owned(),
                i["path"].as_str().unwrap().to_owned(),
                i["status"].as_u64().unwrap(),
            )
        })
        .collect()
}

fn line(method: &str, path: &str, status: u16) -> (String, String, u64) {
    (method.to_owned(), path.to_owned(), u64::from(status))
}

both_backends! {
    async fn the_log_lists_each_scim_request_newest_first_with_its_outcome(db: TestDb) {
        let app = TestApp::start(db).await;
        let (slug, token, token_id) = setup(&app).await;
        let created = app
            .scim_with("POST", &slug, "/Users", &token,
                Some(json!({"schemas": [USER_SCHEMA], "userName": "ada"})),
                &[("x-request-id", "entra-sync-1")])
            .await
            .expect(StatusCode::CREATED);
        let ada = id(&created.body);
        let filter = "/Users?filter=userName%20eq%20%22ada%22&startIndex=1&count=100";
        app.scim("GET", &slug, filter, &token, None).await.expect(StatusCode::OK);
        let conflict = app
            .scim("POST", &slug, "/Users", &token, Some(json!({"userName": "ADA"})))
            .await
            .expect_scim_error(StatusCode::CONFLICT, Some("uniqueness"));
        let missing = "/Users/0190c1a5-0000-7000-8000-000000000000";
        app.scim("GET", &slug, missing, &token, None)
            .await
            .expect_scim_error(StatusCode::NOT_FOUND, None);
        let bad_path = app
            .scim("PATCH", &slug, &format!("/Users/{ada}"), &token, Some(json!({
                "schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "nosuch", "value": 1}],
            })))
            .await
            .expect_scim_error(StatusCode::BAD_REQUEST, Some("invalidPath"));
        app.scim("DELETE", &slug, &format!("/Users/{ada}"), &token, None)
            .await
            .expect(StatusCode::NO_CONTENT);

        let items = log(&app, &slug, &app.platform, "").await;
        assert_eq!(
            lines(&items),
            vec![
                line("DELETE", &format!("/Users/{ada}"), 204),
                line("PATCH", &format!("/Users/{ada}"), 400),
                line("GET", missing, 404),
                line("POST", "/Users", 409),
                line("GET", filter, 200),
                line("POST", "/Users", 201),
            ]
        );
        for item in &items {
            assert_eq!(item["token"], format!("token:{token_id}"), "{item}");
            assert!(item["duration_ms"].as_i64().is_some_and(|d| d >= 0), "{item}");
            assert!(!item["request_id"].as_str().unwrap_or("").is_empty(), "{item}");
            assert!(item["occurred_at"].is_string(), "{item}");
            assert!(item["id"].is_string(), "{item}");
        }
        // Failures say why, as the client was told.
        assert_eq!(items[3]["scim_type"], "uniqueness");
        assert_eq!(items[3]["detail"], conflict.body["detail"]);
        assert!(!conflict.body["detail"].as_str().unwrap().is_empty());
        assert_eq!(items[1]["scim_type"], "invalidPath");
        assert_eq!(items[1]["detail"], bad_path.body["detail"]);
        assert!(absent(&items[2]["scim_type"]), "a 404 has no scimType: {}", items[2]);
        assert!(items[2]["detail"].is_string(), "{}", items[2]);
        for ok in [&items[0], &items[4], &items[5]] {
            assert!(absent(&ok["scim_type"]) && absent(&ok["detail"]), "{ok}");
        }
        // The request id is the one the client sent (or was given).
        assert_eq!(items[5]["request_id"], "entra-sync-1");
        assert_eq!(
            Some(items[3]["request_id"].as_str().unwrap()),
            conflict.header("x-request-id")
        );
        // Bodies are kept; requests without one have none.
        assert!(items[5]["request_body"].as_str().unwrap().contains("\"ada\""), "{}", items[5]);
        assert!(absent(&items[4]["request_body"]), "{}", items[4]);

        // A tenant `read` token reads the same log; `limit` shortens it.
        let read = app.token(&slug, &["read"]).await;
        assert_eq!(log(&app, &slug, &read, "").await, items);
        assert_eq!(log(&app, &slug, &read, "?limit=2").await, items[..2].to_vec());
        // The SCIM token itself provisions; it cannot read the log.
        let r = app
            .get(&format!("/api/v1/tenants/{slug}/scim/requests"), &token)
            .await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
        assert_eq!(r.code(), "insufficient-scope", "{}", r.body);
    }

    async fn status_min_shows_only_the_failures(db: TestDb) {
        let app = TestApp::start(db).await;
        let (slug, token, _) = setup(&app).await;
        app.scim_user(&slug, &token, "ada").await;
        app.scim("POST", &slug, "/Users", &token, Some(json!({"userName": "ada"})))
            .await
            .expect_scim_error(StatusCode::CONFLICT, Some("uniqueness"));
        app.scim("GET", &slug, "/Users?filter=nonsense", &token, None)
            .await
            .expect_scim_error(StatusCode::BAD_REQUEST, Some("invalidFilter"));
        app.scim("GET", &slug, "/Users", &token, None).await.expect(StatusCode::OK);

        let failures = log(&app, &slug, &app.platform, "?status_min=400").await;
        assert_eq!(
            lines(&failures),
            vec![
                line("GET", "/Users?filter=nonsense", 400),
                line("POST", "/Users", 409),
            ]
        );
        assert_eq!(failures[0]["scim_type"], "invalidFilter");
        assert_eq!(failures[1]["scim_type"], "uniqueness");
        assert!(log(&app, &slug, &app.platform, "?status_min=500").await.is_empty());
        assert_eq!(log(&app, &slug, &app.platform, "").await.len(), 4);
        // Out of range is refused, not ignored.
        let r = app
            .get(&format!("/api/v1/tenants/{slug}/scim/requests?status_min=42"), &app.platform)
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
    }

    async fn passwords_never_reach_the_log(db: TestDb) {
        let app = TestApp::start(db).await;
        let (slug, token, _) = setup(&app).await;
        let secrets = [
            "post-Secret-1", "patch-Secret-2", "pathless-Secret-3", "put-Secret-4",
            "bulk-Secret-5", "conflict-Secret-6", "urn-Secret-7", "bulkpatch-Secret-8",
        ];
        let ada = id(&app
            .scim("POST", &slug, "/Users", &token, Some(json!({
                "schemas": [USER_SCHEMA], "userName": "ada", "password": secrets[0],
            })))
            .await
            .expect(StatusCode::CREATED)
            .body);
        let user = format!("/Users/{ada}");
        let patch = |ops: Value| Some(json!({"schemas": [PATCH_OP], "Operations": ops}));
        app.scim("PATCH", &slug, &user, &token,
            patch(json!([{"op": "replace", "path": "password", "value": secrets[1]}])))
            .await
            .expect(StatusCode::OK);
        app.scim("PATCH", &slug, &user, &token,
            patch(json!([{"op": "Replace", "value": {"password": secrets[2], "nickName": "Countess"}}])))
            .await
            .expect(StatusCode::OK);
        app.scim("PUT", &slug, &user, &token,
            Some(json!({"schemas": [USER_SCHEMA], "userName": "ada", "password": secrets[3]})))
            .await
            .expect(StatusCode::OK);
        app.scim("PATCH", &slug, &user, &token,
            patch(json!([{"op": "add", "path": "urn:ietf:params:scim:schemas:core:2.0:User:password",
                          "value": secrets[6]}])))
            .await
            .expect(StatusCode::OK);
        let bulk = app
            .scim("POST", &slug, "/Bulk", &token, Some(json!({
                "schemas": [BULK_REQUEST],
                "Operations": [
                    {"method": "POST", "bulkId": "g", "path": "/Users",
                     "data": {"userName": "grace", "password": secrets[4]}},
                    {"method": "PATCH", "path": user.clone(),
                     "data": {"schemas": [PATCH_OP],
                              "Operations": [{"op": "replace", "path": "password", "value": secrets[7]}]}},
                ],
            })))
            .await
            .expect(StatusCode::OK);
        assert_eq!(bulk.body["Operations"][0]["status"], "201", "{}", bulk.body);
        assert_eq!(bulk.body["Operations"][1]["status"], "200", "{}", bulk.body);
        // A failed request is logged with its body, redacted all the same.
        app.scim("POST", &slug, "/Users", &token,
            Some(json!({"userName": "ada", "password": secrets[5]})))
            .await
            .expect_scim_error(StatusCode::CONFLICT, Some("uniqueness"));

        let items = log(&app, &slug, &app.platform, "").await;
        assert_eq!(items.len(), 7);
        let text = serde_json::to_string(&items).unwrap();
        for s in secrets {
            assert!(!text.contains(s), "the log holds {s}: {text}");
        }
        // What is not a secret is kept, and the secrets are marked as removed.
        let bodies: Vec<&str> = items.iter().map(|i| i["request_body"].as_str().unwrap()).collect();
        for b in &bodies {
            assert!(b.contains("[redacted]"), "{b}");
        }
        assert!(bodies.iter().any(|b| b.contains("Countess")), "{bodies:?}");
        assert!(bodies.iter().any(|b| b.contains("grace")), "{bodies:?}");
        // Nor does any SCIM answer ever carry it.
        let got = app.scim("GET", &slug, &user, &token, None).await.expect(StatusCode::OK);
        assert!(got.body.get("password").is_none(), "{}", got.body);
    }

    async fn a_body_that_is_not_json_is_logged_without_its_text(db: TestDb) {
        let app = TestApp::start(db).await;
        let (slug, token, _) = setup(&app).await;
        let r = app
            .client
            .post(format!("/t/{slug}/scim/v2/Users"))
            .header("Authorization", format!("Bearer {token}"))
            .header("Content-Type", "application/scim+json")
            .body("{\"userName\": \"ada\", \"password\": \"raw-Secret-9\"")
            .send()
            .await;
        r.assert_status(StatusCode::BAD_REQUEST);
        let items = log(&app, &slug, &app.platform, "").await;
        assert_eq!(lines(&items), vec![line("POST", "/Users", 400)]);
        assert_eq!(items[0]["scim_type"], "invalidSyntax");
        let text = serde_json::to_string(&items).unwrap();
        assert!(!text.contains("raw-Secret-9"), "{text}");
    }

    async fn the_log_keeps_only_the_newest_entries_of_each_tenant(db: TestDb) {
        let mut config = db.config();
        config.scim_log_size = 5;
        let store = Store::open(config).await.expect("a store");
        let app = TestApp::on_store(db, store).await;
        let (slug, token, _) = setup(&app).await;
        let other = app.tenant("globex").await;
        let (other_token, _) = scim_token(&app, &other).await;
        for n in 1..=2 {
            app.scim("GET", &other, &format!("/Groups?count={n}"), &other_token, None)
                .await
                .expect(StatusCode::OK);
        }
        for n in 1..=8 {
            app.scim("GET", &slug, &format!("/Users?count={n}"), &token, None)
                .await
                .expect(StatusCode::OK);
            if n == 3 {
                // Entries written in more than one batch are bounded too.
                app.store.flush_scim_log().await.unwrap();
            }
        }
        let items = log(&app, &slug, &app.platform, "?limit=1000").await;
        let paths: Vec<String> = lines(&items).into_iter().map(|l| l.1).collect();
        assert_eq!(
            paths,
            (4..=8).rev().map(|n| format!("/Users?count={n}")).collect::<Vec<_>>()
        );
        // Another tenant's entries are not pushed out by this one's.
        let theirs = log(&app, &other, &app.platform, "?limit=1000").await;
        assert_eq!(
            lines(&theirs).into_iter().map(|l| l.1).collect::<Vec<_>>(),
            ["/Groups?count=2", "/Groups?count=1"]
        );
    }

    async fn refused_tokens_on_an_existing_tenant_are_logged(db: TestDb) {
        let app = TestApp::start(db).await;
        let (slug, token, token_id) = setup(&app).await;
        // Well formed, this tenant's prefix, wrong secret.
        let mut forged = token.clone();
        let last = forged.pop().unwrap();
        forged.push(if last == 'A' { 'B' } else { 'A' });
        for bad in [forged.as_str(), "lks_not-a-token-at-all"] {
            app.scim("GET", &slug, "/Users", bad, None)
                .await
                .expect_scim_error(StatusCode::UNAUTHORIZED, None);
        }
        // A tenant token that is not a SCIM token is refused, and logged too.
        let admin = app.token(&slug, &["admin"]).await;
        let refused = app.scim("GET", &slug, "/Groups", &admin, None).await;
        assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
        app.scim("GET", &slug, "/ServiceProviderConfig", &token, None)
            .await
            .expect(StatusCode::OK);
        // A tenant that does not exist gets the same 401 (a bad token
        // learns nothing about which tenants exist), and nothing is logged.
        app.scim("GET", "no-such-tenant", "/Users", &forged, None)
            .await
            .expect_scim_error(StatusCode::UNAUTHORIZED, None);

        let items = log(&app, &slug, &app.platform, "").await;
        assert_eq!(
            lines(&items),
            vec![
                line("GET", "/ServiceProviderConfig", 200),
                line("GET", "/Groups", 403),
                line("GET", "/Users", 401),
                line("GET", "/Users", 401),
            ]
        );
        assert_eq!(items[0]["token"], format!("token:{token_id}"));
        // The admin token authenticated: it is named, and refused.
        let tokens = app
            .get(&format!("/api/v1/tenants/{slug}/tokens"), &app.platform)
            .await
            .expect(StatusCode::OK)
            .body;
        let admin_id = tokens["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["scopes"] == json!(["admin"]))
            .map(|t| t["id"].as_str().unwrap().to_owned())
            .unwrap();
        assert_eq!(items[1]["token"], format!("token:{admin_id}"));
        for item in &items[2..] {
            assert_eq!(item["token"], "unauthenticated", "{item}");
        }
        let text = serde_json::to_string(&items).unwrap();
        for secret in [&forged, &token, &admin] {
            assert!(!text.contains(secret.as_str()), "the log holds a token: {text}");
        }
    }

    async fn every_scim_change_is_audited_under_the_scim_token(db: TestDb) {
        let app = TestApp::start(db).await;
        let (slug, token, token_id) = setup(&app).await;
        let actor = format!("token:{token_id}");
        let ada = id(&app.scim_user(&slug, &token, "ada").await);
        let user = format!("/Users/{ada}");
        app.scim("PATCH", &slug, &user, &token, Some(json!({
            "schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": false}],
        }))).await.expect(StatusCode::OK);
        app.scim("PUT", &slug, &user, &token, Some(json!({"userName": "ada", "active": true})))
            .await
            .expect(StatusCode::OK);
        let group = id(&app
            .scim("POST", &slug, "/Groups", &token,
                Some(json!({"displayName": "eng", "members": [{"value": ada}]})))
            .await
            .expect(StatusCode::CREATED)
            .body);
        app.scim("PATCH", &slug, &format!("/Groups/{group}"), &token, Some(json!({
            "schemas": [PATCH_OP], "Operations": [{"op": "remove", "path": format!("members[value eq \"{ada}\"]")}],
        }))).await.expect(StatusCode::OK);
        app.scim("PUT", &slug, &format!("/Groups/{group}"), &token,
            Some(json!({"displayName": "engineering"})))
            .await
            .expect(StatusCode::OK);
        let bulk = app
            .scim("POST", &slug, "/Bulk", &token, Some(json!({
                "schemas": [BULK_REQUEST],
                "Operations": [{"method": "POST", "bulkId": "g", "path": "/Users", "data": {"userName": "grace"}}],
            })))
            .await
            .expect(StatusCode::OK);
        let grace = bulk.body["Operations"][0]["location"]
            .as_str()
            .and_then(|l| l.rsplit('/').next())
            .unwrap_or_else(|| panic!("{}", bulk.body))
            .to_owned();
        app.scim("DELETE", &slug, &format!("/Groups/{group}"), &token, None)
            .await
            .expect(StatusCode::NO_CONTENT);
        let deleted = app
            .scim("DELETE", &slug, &user, &token, None)
            .await
            .expect(StatusCode::NO_CONTENT);
        // Failures change nothing and are not audited.
        app.scim("POST", &slug, "/Users", &token, Some(json!({"userName": "grace"})))
            .await
            .expect_scim_error(StatusCode::CONFLICT, Some("uniqueness"));
        app.scim("DELETE", &slug, &user, &token, None)
            .await
            .expect_scim_error(StatusCode::NOT_FOUND, None);

        let events = app
            .get(&format!("/api/v1/tenants/{slug}/events?limit=200"), &app.platform)
            .await
            .expect(StatusCode::OK)
            .body;
        let events: Vec<&Value> = events["items"].as_array().unwrap().iter()
            .filter(|e| e["action"].as_str().is_some_and(|a| a.starts_with("user.") || a.starts_with("group.")))
            .collect();
        let got: Vec<(String, String)> = events
            .iter()
            .map(|e| (e["action"].as_str().unwrap().to_owned(), e["target_id"].as_str().unwrap().to_owned()))
            .collect();
        let want: Vec<(String, String)> = [
            ("user.delete", &ada),
            ("group.delete", &group),
            ("user.create", &grace),
            ("group.update", &group),
            ("group.update", &group),
            ("group.create", &group),
            ("user.update", &ada),
            ("user.update", &ada),
            ("user.create", &ada),
        ]
        .iter()
        .map(|(a, t)| ((*a).to_owned(), (*t).clone()))
        .collect();
        assert_eq!(got, want);
        for e in &events {
            assert_eq!(e["actor"], actor.as_str(), "{e}");
        }
        // The audit event and the request log name the same request.
        assert_eq!(events[0]["request_id"].as_str(), deleted.header("x-request-id"));
        let logged = log(&app, &slug, &app.platform, "?limit=1").await;
        assert_eq!(lines(&logged), vec![line("DELETE", &user, 404)]);
        let logged = log(&app, &slug, &app.platform, "?limit=3").await;
        assert_eq!(logged[2]["request_id"], events[0]["request_id"]);
        // The actor filter finds them all.
        let by_actor = app
            .get(&format!("/api/v1/tenants/{slug}/events?limit=200&actor={actor}"), &app.platform)
            .await
            .expect(StatusCode::OK)
            .body;
        assert_eq!(by_actor["items"].as_array().unwrap().len(), want.len(), "{by_actor}");
    }
}
