//! Large groups over SCIM: a large group changes one member at a time, a
//! PATCH answer never carries the whole group, and a read that excludes
//! `members` never reads the membership at all.
//!
//! The target is a group of 50,000 members. Seeding that many users through
//! `/Bulk` (the only portable way: the store has no bulk insert) takes about
//! two minutes on SQLite and five on PostgreSQL in a debug build, so the
//! tests use [`MEMBERS`] = 5,000: still five times the size at which a PATCH
//! stops answering with the group, and enough to make a per-member cost show.

mod common;
use common::*;

use std::collections::HashSet;

use latchkey_api::app::HttpLimits;
use latchkey_tenants::db::DatabaseUrl;
use poem::http::StatusCode;
use poem::test::TestClient;
use serde_json::{Value, json};
use testing::TestDb;

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const GROUP_SCHEMA: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

/// Members of the large group (5,000 rather than 50,000: see the top of the file).
const MEMBERS: usize = 5_000;
/// The most operations a `/Bulk` request may carry (`bulk.maxOperations`).
const PER_BULK: usize = 1_000;
/// `MAX_MEMBERS_IN_PATCH_RESPONSE` in `tenants/src/scim/service.rs`: a group
/// PATCH answers with the group up to this many members, 204 beyond.
const MAX_MEMBERS_IN_PATCH_RESPONSE: usize = 1_000;

/// The service with an 8 MiB body limit: a 1,000-user Bulk request and a
/// 50,000-member group are several megabytes.
async fn large_app(db: TestDb) -> TestApp {
    let store = db.store().await;
    let platform = store
        .platform_tokens()
        .create("tests", None)
        .await
        .expect("platform token")
        .secret;
    let client = TestClient::new(node_with(
        store.clone(),
        HttpLimits {
            max_body_bytes: 8 * 1024 * 1024,
            ..HttpLimits::default()
        },
    ));
    TestApp {
        db,
        store,
        client,
        platform,
    }
}

/// A tenant `acme` and its SCIM token.
async fn setup(db: TestDb) -> (TestApp, String, String) {
    let app = large_app(db).await;
    let slug = app.tenant("acme").await;
    let token = app.scim_token(&slug).await;
    (app, slug, token)
}

/// Creates `n` users `{prefix}{i}` through `/Bulk`, 1,000 a request; returns their ids in order.
async fn seed_users(app: &TestApp, slug: &str, token: &str, prefix: &str, n: usize) -> Vec<String> {
    let mut ids = Vec::with_capacity(n);
    let mut next = 0;
    while next < n {
        let end = (next + PER_BULK).min(n);
        let ops: Vec<Value> = (next..end)
            .map(|i| {
                json!({"method": "POST", "bulkId": format!("u{i}"), "path": "/Users",
                       "data": {"userName": format!("{prefix}{i}")}})
            })
            .collect();
        let r = app
            .scim(
                "POST",
                slug,
                "/Bulk",
                token,
                Some(json!({"schemas": [BULK_REQUEST], "failOnErrors": 1, "Operations": ops})),
            )
            .await
            .expect(StatusCode::OK);
        let results = r.body["Operations"].as_array().expect("a BulkResponse");
        assert_eq!(results.len(), end - next, "{}", r.body);
        for op in results {
            assert_eq!(op["status"], "201", "{op}");
            let location = op["location"].as_str().expect("a location");
            ids.push(location.rsplit('/').next().unwrap().to_owned());
        }
        next = end;
    }
    ids
}

/// Creates a group holding `members`; returns its id.
async fn group_of(
    app: &TestApp,
    slug: &str,
    token: &str,
    name: &str,
    members: &[String],
) -> String {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    let r = app
        .scim(
            "POST",
            slug,
            "/Groups",
            token,
            Some(json!({"schemas": [GROUP_SCHEMA], "displayName": name, "members": members})),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body["meta"]);
    r.body["id"].as_str().expect("an id").to_owned()
}

fn member_patch(op: &str, user: &str) -> Value {
    let op = if op == "remove" {
        json!({"op": "remove", "path": format!("members[value eq \"{user}\"]")})
    } else {
        json!({"op": op, "path": "members", "value": [{"value": user}]})
    };
    json!({"schemas": [PATCH_OP], "Operations": [op]})
}

/// The member ids of a group read in full.
async fn members(app: &TestApp, slug: &str, token: &str, group: &str) -> Vec<String> {
    let r = app
        .scim("GET", slug, &format!("/Groups/{group}"), token, None)
        .await
        .expect(StatusCode::OK);
    r.body["members"]
        .as_array()
        .unwrap_or_else(|| panic!("no members: {}", r.body["meta"]))
        .iter()
        .map(|m| m["value"].as_str().unwrap().to_owned())
        .collect()
}

/// How many groups `filter` finds (percent-encoded here).
async fn groups_matching(app: &TestApp, slug: &str, token: &str, filter: &str) -> u64 {
    let encoded: String = filter
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    let r = app
        .scim(
            "GET",
            slug,
            &format!("/Groups?excludedAttributes=members&filter={encoded}"),
            token,
            None,
        )
        .await
        .expect(StatusCode::OK);
    r.body["totalResults"].as_u64().expect("totalResults")
}

fn ids_set(ids: &[String]) -> HashSet<String> {
    ids.iter().cloned().collect()
}

/// A PATCH of `group` that answered 204: no body, and the ETag of the new version.
#[track_caller]
fn no_content(r: Reply, version: u32) {
    assert_eq!(r.status, StatusCode::NO_CONTENT, "{}", r.body);
    assert_eq!(r.body, Value::Null);
    assert_eq!(r.header("etag"), Some(format!("W/\"{version}\"").as_str()));
}

/// The PostgreSQL URL of a test database.
fn postgres_url(db: &TestDb) -> String {
    match db.url() {
        DatabaseUrl::Postgres(url) => url,
        DatabaseUrl::Sqlite(_) => panic!("a PostgreSQL database was expected"),
    }
}

/// Runs `sql` on the test database as the superuser the harness connects as
/// (the service's own queries run as the role `latchkey_app`).
fn as_superuser(db: &TestDb, sql: &str) {
    let out = std::process::Command::new("psql")
        .arg(postgres_url(db))
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql])
        .output()
        .expect("psql (the PostgreSQL client) must be installed for this test");
    assert!(
        out.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Asserts a 5xx SCIM error.
#[track_caller]
fn server_error(r: Reply) -> Reply {
    assert!(r.status.is_server_error(), "{}: {}", r.status, r.body);
    let status = r.status;
    r.expect_scim_error(status, None)
}

both_backends! {
    async fn a_large_group_gains_and_loses_one_member_at_a_time(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let users = seed_users(&app, &slug, &token, "user", MEMBERS + 1).await;
        let (first, newcomer) = (users[0].clone(), users[MEMBERS].clone());
        let group = group_of(&app, &slug, &token, "everyone", &users[..MEMBERS]).await;
        let path = format!("/Groups/{group}");
        assert_eq!(members(&app, &slug, &token, &group).await.len(), MEMBERS);

        // Add one: 204 with the new version's ETag (the group is too large to answer with).
        let r = app.scim("PATCH", &slug, &path, &token, Some(member_patch("add", &newcomer))).await;
        no_content(r, 2);
        let now = members(&app, &slug, &token, &group).await;
        assert_eq!(now.len(), MEMBERS + 1);
        assert_eq!(ids_set(&now), ids_set(&users));
        assert_eq!(groups_matching(&app, &slug, &token, &format!("members.value eq \"{newcomer}\"")).await, 1);

        // Adding a member already there changes nothing but the version.
        let r = app.scim("PATCH", &slug, &path, &token, Some(member_patch("add", &newcomer))).await;
        no_content(r, 3);
        assert_eq!(members(&app, &slug, &token, &group).await.len(), MEMBERS + 1);

        // Remove one, by value filter.
        let r = app.scim("PATCH", &slug, &path, &token, Some(member_patch("remove", &first))).await;
        no_content(r, 4);
        let now = members(&app, &slug, &token, &group).await;
        assert_eq!(now.len(), MEMBERS);
        assert_eq!(ids_set(&now), ids_set(&users[1..]));
        assert_eq!(groups_matching(&app, &slug, &token, &format!("members.value eq \"{first}\"")).await, 0);
        assert_eq!(groups_matching(&app, &slug, &token, &format!("members.value eq \"{}\"", users[1])).await, 1);

        // Entra's removal: `Remove` on `members` with a value list.
        let entra = json!({"schemas": [PATCH_OP], "Operations": [
            {"op": "Remove", "path": "members", "value": [{"$ref": null, "value": users[1]}]}]});
        no_content(app.scim("PATCH", &slug, &path, &token, Some(entra)).await, 5);
        assert_eq!(members(&app, &slug, &token, &group).await.len(), MEMBERS - 1);

        // The ETag of a 204 is the current version: If-Match with it works,
        // an older one is refused.
        let stale = app
            .scim_with("PATCH", &slug, &path, &token, Some(member_patch("add", &first)), &[("If-Match", "W/\"4\"")])
            .await;
        stale.expect_scim_error(StatusCode::PRECONDITION_FAILED, None);
        let r = app
            .scim_with("PATCH", &slug, &path, &token, Some(member_patch("add", &first)), &[("If-Match", "W/\"5\"")])
            .await;
        no_content(r, 6);
        assert_eq!(members(&app, &slug, &token, &group).await.len(), MEMBERS);

        // Read without members: no `members` key, the same version.
        let r = app
            .scim("GET", &slug, &format!("{path}?excludedAttributes=members"), &token, None)
            .await
            .expect(StatusCode::OK);
        assert!(r.body.get("members").is_none(), "{}", r.body);
        assert_eq!(r.body["displayName"], "everyone");
        assert_eq!(r.body["meta"]["version"], "W/\"6\"");
        assert_eq!(r.header("etag"), Some("W/\"6\""));

        // A PATCH that asks for the group without its members gets it, 200.
        let rename = json!({"schemas": [PATCH_OP], "Operations": [
            {"op": "replace", "path": "displayName", "value": "all of us"}]});
        let r = app
            .scim("PATCH", &slug, &format!("{path}?excludedAttributes=members"), &token, Some(rename))
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["displayName"], "all of us");
        assert!(r.body.get("members").is_none(), "{}", r.body);
        assert_eq!(r.header("etag"), Some("W/\"7\""));
        assert_eq!(members(&app, &slug, &token, &group).await.len(), MEMBERS);

        // The members' own view agrees.
        let u = app
            .scim("GET", &slug, &format!("/Users/{newcomer}"), &token, None)
            .await
            .expect(StatusCode::OK);
        assert_eq!(u.body["groups"][0]["value"], group.as_str(), "{}", u.body);
        let u = app
            .scim("GET", &slug, &format!("/Users/{}", users[1]), &token, None)
            .await
            .expect(StatusCode::OK);
        assert!(u.body.get("groups").is_none(), "{}", u.body);
    }

    async fn a_patch_answers_with_the_group_up_to_1000_members_and_204_beyond(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let limit = MAX_MEMBERS_IN_PATCH_RESPONSE;
        let users = seed_users(&app, &slug, &token, "user", limit + 1).await;

        // A small group answers 200 with the resource and its ETag.
        let small = group_of(&app, &slug, &token, "small", &users[..1]).await;
        let r = app
            .scim("PATCH", &slug, &format!("/Groups/{small}"), &token, Some(member_patch("add", &users[1])))
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["id"], small.as_str());
        assert_eq!(r.body["members"].as_array().map(Vec::len), Some(2), "{}", r.body);
        assert_eq!(r.header("etag"), Some("W/\"2\""));
        assert_eq!(r.body["meta"]["version"], "W/\"2\"");

        // Exactly at the limit: still the resource, every member in it.
        let group = group_of(&app, &slug, &token, "edge", &users[..limit - 1]).await;
        let path = format!("/Groups/{group}");
        let r = app
            .scim("PATCH", &slug, &path, &token, Some(member_patch("add", &users[limit - 1])))
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["members"].as_array().map(Vec::len), Some(limit));
        assert_eq!(r.header("etag"), Some("W/\"2\""));

        // One past it: 204 and the ETag.
        let r = app.scim("PATCH", &slug, &path, &token, Some(member_patch("add", &users[limit]))).await;
        no_content(r, 3);
        // Unless the client asks for the members explicitly.
        let r = app
            .scim("PATCH", &slug, &format!("{path}?attributes=members"), &token,
                Some(member_patch("remove", &users[0])))
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["members"].as_array().map(Vec::len), Some(limit));
        // Back at the limit, the resource again.
        assert_eq!(members(&app, &slug, &token, &group).await.len(), limit);
        let r = app
            .scim("PATCH", &slug, &path, &token, Some(member_patch("add", &users[0])))
            .await;
        no_content(r, 5);
        let r = app
            .scim("PATCH", &slug, &path, &token, Some(member_patch("remove", &users[0])))
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["members"].as_array().map(Vec::len), Some(limit));
    }
}

#[tokio::test]
async fn postgres_reads_that_exclude_members_never_touch_the_membership_tables() {
    let db = TestDb::postgres();
    let (app, slug, token) = setup(db).await;
    let users = seed_users(&app, &slug, &token, "user", MEMBERS + 1).await;
    let group = group_of(&app, &slug, &token, "everyone", &users[..MEMBERS]).await;
    let path = format!("/Groups/{group}");
    let user = format!("/Users/{}", users[0]);
    // Everything reads before the revoke.
    for p in [path.clone(), user.clone()] {
        app.scim("GET", &slug, &p, &token, None)
            .await
            .expect(StatusCode::OK);
    }

    // The service's role may no longer read the membership tables.
    as_superuser(
        &app.db,
        "REVOKE SELECT ON group_members, group_subgroups FROM latchkey_app",
    );

    // A read that needs the members fails…
    server_error(app.scim("GET", &slug, &path, &token, None).await);
    server_error(
        app.scim(
            "GET",
            &slug,
            "/Groups?filter=displayName%20eq%20%22everyone%22",
            &token,
            None,
        )
        .await,
    );
    server_error(app.scim("GET", &slug, &user, &token, None).await);
    // …and one that excludes them answers as before: it never read them.
    for excluded in [
        "members",
        "Members",
        "urn:ietf:params:scim:schemas:core:2.0:Group:members",
        "externalId,members",
    ] {
        let r = app
            .scim(
                "GET",
                &slug,
                &format!("{path}?excludedAttributes={excluded}"),
                &token,
                None,
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["displayName"], "everyone", "{excluded}");
        assert!(r.body.get("members").is_none(), "{excluded}: {}", r.body);
    }
    let r = app
        .scim(
            "GET",
            &slug,
            "/Groups?excludedAttributes=members&filter=displayName%20eq%20%22everyone%22",
            &token,
            None,
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(r.body["totalResults"], 1, "{}", r.body);
    let r = app
        .scim(
            "GET",
            &slug,
            &format!("{path}?attributes=displayName"),
            &token,
            None,
        )
        .await
        .expect(StatusCode::OK);
    assert!(r.body.get("members").is_none(), "{}", r.body);
    let r = app
        .scim(
            "GET",
            &slug,
            &format!("{user}?excludedAttributes=groups"),
            &token,
            None,
        )
        .await
        .expect(StatusCode::OK);
    assert_eq!(r.body["userName"], "user0");

    for (endpoint, excluded) in [
        ("/Groups/.search", json!(["members"])),
        ("/.search", json!(["members", "groups"])),
    ] {
        let r = app
            .scim(
                "POST",
                &slug,
                endpoint,
                &token,
                Some(json!({
                    "schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                    "filter": "displayName eq \"everyone\"",
                    "excludedAttributes": excluded,
                })),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["totalResults"], 1, "{endpoint}: {}", r.body);
        assert!(
            r.body["Resources"][0].get("members").is_none(),
            "{}",
            r.body
        );
    }

    // Adding a member is an insert: with the group asked back without its
    // members, nothing reads the membership either.
    let r = app
        .scim(
            "PATCH",
            &slug,
            &format!("{path}?excludedAttributes=members"),
            &token,
            Some(member_patch("add", &users[MEMBERS])),
        )
        .await
        .expect(StatusCode::OK);
    assert!(r.body.get("members").is_none(), "{}", r.body);

    // Granted again, the full read works: the failures above were the revoke.
    as_superuser(
        &app.db,
        "GRANT SELECT ON group_members, group_subgroups TO latchkey_app",
    );
    assert_eq!(
        members(&app, &slug, &token, &group).await.len(),
        MEMBERS + 1
    );
}
