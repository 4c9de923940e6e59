//! The SCIM 2.0 endpoint of a tenant (`/t/{tenant}/scim/v2`), black-box:
//! discovery, Users, Groups, filters, listing, ETags, PATCH, Bulk, auth and
//! audit, each as RFC 7643/7644 (and the directory Latchkey shares with its
//! REST API) say it must behave. Every test runs on SQLite and PostgreSQL.

mod common;
use common::*;

use std::collections::HashSet;

use poem::http::StatusCode;
use serde_json::{Value, json};
use testing::TestDb;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";
const SEARCH_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:SearchRequest";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
const SPC: &str = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig";

/// A tenant `acme` and a SCIM client of it.
struct Scim {
    app: TestApp,
    slug: String,
    token: String,
}

async fn setup(db: TestDb) -> Scim {
    let app = TestApp::start(db).await;
    let slug = app.tenant("acme").await;
    let token = app.scim_token(&slug).await;
    Scim { app, slug, token }
}

impl Scim {
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        self.app
            .scim(method, &self.slug, path, &self.token, body)
            .await
    }

    async fn call_with(
        &self,
        method: &str,
        path: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        self.app
            .scim_with(method, &self.slug, path, &self.token, body, headers)
            .await
    }

    async fn get(&self, path: &str) -> Reply {
        self.call("GET", path, None).await
    }

    async fn post(&self, path: &str, body: Value) -> Reply {
        self.call("POST", path, Some(body)).await
    }

    async fn put(&self, path: &str, body: Value) -> Reply {
        self.call("PUT", path, Some(body)).await
    }

    async fn patch(&self, path: &str, operations: Value) -> Reply {
        self.call("PATCH", path, Some(patch_op(operations))).await
    }

    async fn delete(&self, path: &str) -> Reply {
        self.call("DELETE", path, None).await
    }

    /// Creates a user from a full resource; returns it.
    async fn create_user(&self, body: Value) -> Value {
        self.post("/Users", body)
            .await
            .expect(StatusCode::CREATED)
            .body
    }

    /// Creates a user with just a userName; returns it.
    async fn user(&self, user_name: &str) -> Value {
        self.app.scim_user(&self.slug, &self.token, user_name).await
    }

    /// Creates a group with these members (users or groups); returns it.
    async fn group(&self, name: &str, members: &[&Value]) -> Value {
        let members: Vec<Value> = members.iter().map(|m| json!({"value": id(m)})).collect();
        self.post(
            "/Groups",
            json!({"schemas": [GROUP], "displayName": name, "members": members}),
        )
        .await
        .expect(StatusCode::CREATED)
        .body
    }

    /// A list answer's body.
    async fn list(&self, path: &str) -> Value {
        let r = self.get(path).await.expect(StatusCode::OK);
        assert_eq!(r.body["schemas"], json!([LIST_RESPONSE]), "{}", r.body);
        r.body
    }

    /// The userNames a Users filter matches, in userName order.
    async fn matching(&self, filter: &str) -> Vec<String> {
        let body = self
            .list(&format!("/Users?sortBy=userName&filter={}", enc(filter)))
            .await;
        strings_of(&body, "userName")
    }

    /// The path of the tenant's REST API.
    fn rest(&self, path: &str) -> String {
        format!("/api/v1/tenants/{}{path}", self.slug)
    }
}

/// Percent-encodes a query parameter value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn id(resource: &Value) -> &str {
    resource["id"].as_str().expect("an id")
}

fn user_path(u: &Value) -> String {
    format!("/Users/{}", id(u))
}

fn group_path(g: &Value) -> String {
    format!("/Groups/{}", id(g))
}

fn patch_op(operations: Value) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": operations})
}

fn resources(list: &Value) -> &Vec<Value> {
    list["Resources"].as_array().expect("Resources")
}

/// `key` of every resource of a list, in order.
fn strings_of(list: &Value, key: &str) -> Vec<String> {
    resources(list)
        .iter()
        .map(|r| r[key].as_str().expect("a string").to_owned())
        .collect()
}

/// The ids of a group's members (none when `members` is absent).
fn member_ids(group: &Value) -> HashSet<String> {
    group["members"]
        .as_array()
        .map(|m| {
            m.iter()
                .map(|m| m["value"].as_str().unwrap().to_owned())
                .collect()
        })
        .unwrap_or_default()
}

fn set(ids: &[&str]) -> HashSet<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

/// Sends a body exactly as given, with this content type.
async fn raw(s: &Scim, path: &str, content_type: &str, body: &str) -> Reply {
    let resp = s
        .app
        .client
        .post(format!("/t/{}/scim/v2{path}", s.slug))
        .header("Authorization", format!("Bearer {}", s.token))
        .content_type(content_type)
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

/// A user with every attribute of the core and enterprise schemas.
fn full_user(manager: &Value) -> Value {
    json!({
        "schemas": [USER, ENTERPRISE],
        "userName": "ada@example.com",
        "externalId": "00u-ADA-1",
        "name": {
            "formatted": "Ms. Ada King Lovelace II",
            "familyName": "Lovelace",
            "givenName": "Ada",
            "middleName": "King",
            "honorificPrefix": "Ms.",
            "honorificSuffix": "II"
        },
        "displayName": "Ada Lovelace",
        "nickName": "Ada",
        "profileUrl": "https://example.com/ada",
        "title": "Countess",
        "userType": "Employee",
        "preferredLanguage": "en-GB",
        "locale": "en-GB",
        "timezone": "Europe/London",
        "active": true,
        "emails": [
            {"value": "ada@example.com", "type": "work", "primary": true},
            {"value": "ada@home.example.org", "type": "home"}
        ],
        "phoneNumbers": [{"value": "+44 20 7946 0000", "type": "work", "primary": true}],
        "ims": [{"value": "ada_xmpp", "type": "xmpp"}],
        "photos": [{"value": "https://example.com/ada.jpg", "type": "photo"}],
        "addresses": [{
            "formatted": "12 St James's Square, London SW1Y 4JH, GB",
            "streetAddress": "12 St James's Square",
            "locality": "London",
            "region": "London",
            "postalCode": "SW1Y 4JH",
            "country": "GB",
            "type": "work",
            "primary": true
        }],
        "entitlements": [{"value": "analytical-engine", "display": "Engine access"}],
        "roles": [{"value": "mathematician", "type": "job", "primary": true}],
        "x509Certificates": [{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAw"}],
        (ENTERPRISE): {
            "employeeNumber": "1815",
            "costCenter": "CC-42",
            "organization": "Analytical Society",
            "division": "Research",
            "department": "Mathematics",
            "manager": {
                "value": id(manager),
                "$ref": format!("http://localhost/t/acme/scim/v2/Users/{}", id(manager))
            }
        }
    })
}

/// Three users to filter: ada, bob and Cyd.
struct People {
    ada: Value,
    bob: Value,
    cyd: Value,
}

async fn people(s: &Scim) -> People {
    let ada = s
        .create_user(json!({
            "schemas": [USER, ENTERPRISE],
            "userName": "ada.lovelace",
            "externalId": "EXT-Ada",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "ada@example.com", "type": "work", "primary": true}],
            "title": "Countess",
            "active": true,
            (ENTERPRISE): {"department": "Math"}
        }))
        .await;
    let bob = s
        .create_user(json!({
            "schemas": [USER, ENTERPRISE],
            "userName": "bob.babbage",
            "externalId": "ext-bob",
            "name": {"givenName": "Charles", "familyName": "Babbage"},
            // A home address at example.com and a work one elsewhere: a
            // value filter must not mix the two.
            "emails": [
                {"value": "bob@example.com", "type": "home"},
                {"value": "bob@work.example.net", "type": "work"}
            ],
            "active": false,
            (ENTERPRISE): {"department": "Engineering"}
        }))
        .await;
    let cyd = s
        .create_user(json!({
            "schemas": [USER],
            "userName": "Cyd.Charisse",
            "emails": [{"value": "cyd@example.com", "type": "work"}],
            "title": "Dancer",
            "active": true
        }))
        .await;
    People { ada, bob, cyd }
}

const ADA: &str = "ada.lovelace";
const BOB: &str = "bob.babbage";
const CYD: &str = "Cyd.Charisse";

fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}

// ---------------------------------------------------------------------------
// Discovery
// ---------------------------------------------------------------------------

both_backends! {
    async fn the_service_provider_config_claims_patch_bulk_filter_sort_etag_and_password_change(db: TestDb) {
        let s = setup(db).await;
        let r = s.get("/ServiceProviderConfig").await.expect(StatusCode::OK);
        assert_eq!(r.header("content-type"), Some("application/scim+json"));
        let c = &r.body;
        assert_eq!(c["schemas"], json!([SPC]), "{c}");
        assert_eq!(c["patch"]["supported"], true, "{c}");
        assert_eq!(c["bulk"]["supported"], true, "{c}");
        assert_eq!(c["bulk"]["maxOperations"], 1000, "{c}");
        // The harness's body limit is the most a bulk request may carry.
        assert_eq!(c["bulk"]["maxPayloadSize"], 64 * 1024, "{c}");
        assert_eq!(c["filter"]["supported"], true, "{c}");
        assert_eq!(c["filter"]["maxResults"], 1000, "{c}");
        assert_eq!(c["sort"]["supported"], true, "{c}");
        assert_eq!(c["etag"]["supported"], true, "{c}");
        assert_eq!(c["changePassword"]["supported"], true, "{c}");
        let schemes = c["authenticationSchemes"].as_array().expect("schemes");
        assert_eq!(schemes[0]["type"], "oauthbearertoken", "{c}");
    }

    async fn resource_types_list_user_with_the_enterprise_extension_and_group(db: TestDb) {
        let s = setup(db).await;
        let list = s.list("/ResourceTypes").await;
        assert_eq!(list["totalResults"], 2, "{list}");
        let rts = resources(&list);
        let user = rts.iter().find(|r| r["name"] == "User").expect("User");
        assert_eq!(user["endpoint"], "/Users", "{user}");
        assert_eq!(user["schema"], USER, "{user}");
        assert_eq!(
            user["schemaExtensions"],
            json!([{"schema": ENTERPRISE, "required": false}]),
            "{user}"
        );
        let group = rts.iter().find(|r| r["name"] == "Group").expect("Group");
        assert_eq!(group["endpoint"], "/Groups", "{group}");
        assert_eq!(group["schema"], GROUP, "{group}");
        let one = s.get("/ResourceTypes/User").await.expect(StatusCode::OK);
        assert_eq!(&one.body, user);
    }

    async fn schemas_lists_the_three_schemas_and_each_is_served_by_its_urn(db: TestDb) {
        let s = setup(db).await;
        let list = s.list("/Schemas").await;
        assert_eq!(list["totalResults"], 3, "{list}");
        let ids: HashSet<String> = strings_of(&list, "id").into_iter().collect();
        assert_eq!(ids, set(&[USER, ENTERPRISE, GROUP]));
        for urn in [USER, ENTERPRISE, GROUP] {
            let one = s.get(&format!("/Schemas/{urn}")).await.expect(StatusCode::OK);
            assert_eq!(one.body["id"], urn, "{}", one.body);
            assert!(one.body["attributes"].as_array().is_some_and(|a| !a.is_empty()));
        }
        let user = s.get(&format!("/Schemas/{USER}")).await.body;
        let attrs: Vec<&str> = user["attributes"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| a["name"].as_str().unwrap())
            .collect();
        assert!(attrs.contains(&"userName") && attrs.contains(&"emails"), "{attrs:?}");
        s.get("/Schemas/urn:nope")
            .await
            .expect_scim_error(StatusCode::NOT_FOUND, None);
    }

    async fn writing_to_a_discovery_endpoint_is_a_405_scim_error(db: TestDb) {
        let s = setup(db).await;
        let paths = [
            "/ServiceProviderConfig".to_owned(),
            "/ResourceTypes".to_owned(),
            "/ResourceTypes/User".to_owned(),
            "/Schemas".to_owned(),
            format!("/Schemas/{USER}"),
        ];
        for path in &paths {
            for method in ["POST", "PUT", "PATCH", "DELETE"] {
                let body = (method != "DELETE").then(|| json!({"schemas": [USER]}));
                let r = s.call(method, path, body).await;
                assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method} {path}: {}", r.body);
                r.expect_scim_error(StatusCode::METHOD_NOT_ALLOWED, None);
            }
        }
    }

    async fn an_unknown_path_under_the_base_is_a_404_scim_error(db: TestDb) {
        let s = setup(db).await;
        let u = s.user("ada").await;
        for path in [
            "/Widgets".to_owned(),
            "/Users/not-an-id".to_owned(),
            format!("{}/extra", user_path(&u)),
        ] {
            s.get(&path)
                .await
                .expect_scim_error(StatusCode::NOT_FOUND, None);
        }
    }
}

// ---------------------------------------------------------------------------
// Users
// ---------------------------------------------------------------------------

both_backends! {
    async fn creating_a_user_answers_201_with_location_etag_and_meta(db: TestDb) {
        let s = setup(db).await;
        let r = s
            .post("/Users", json!({"schemas": [USER], "userName": "ada"}))
            .await
            .expect(StatusCode::CREATED);
        let u = &r.body;
        assert!(uuid::Uuid::parse_str(id(u)).is_ok(), "{u}");
        assert_eq!(u["schemas"], json!([USER]), "{u}");
        assert_eq!(u["userName"], "ada", "{u}");
        assert_eq!(r.header("content-type"), Some("application/scim+json"));
        assert_eq!(r.header("etag"), Some("W/\"1\""));
        assert_eq!(u["meta"]["version"], "W/\"1\"", "{u}");
        assert_eq!(u["meta"]["resourceType"], "User", "{u}");
        let location = format!("http://localhost/t/acme/scim/v2/Users/{}", id(u));
        assert_eq!(r.header("location"), Some(location.as_str()));
        assert_eq!(u["meta"]["location"], location.as_str(), "{u}");
        assert!(u["meta"]["created"].is_string(), "{u}");
        assert_eq!(u["meta"]["created"], u["meta"]["lastModified"], "{u}");
    }

    async fn the_id_of_a_user_is_assigned_by_the_server_whatever_the_client_sends(db: TestDb) {
        let s = setup(db).await;
        let sent = "11111111-2222-4333-8444-555555555555";
        let u = s
            .create_user(json!({"schemas": [USER], "id": sent, "userName": "ada"}))
            .await;
        assert_ne!(id(&u), sent, "{u}");
        s.get(&format!("/Users/{sent}"))
            .await
            .expect_scim_error(StatusCode::NOT_FOUND, None);
        s.get(&user_path(&u)).await.expect(StatusCode::OK);
    }

    async fn every_core_and_enterprise_attribute_round_trips_as_sent(db: TestDb) {
        let s = setup(db).await;
        let boss = s
            .create_user(json!({"schemas": [USER], "userName": "boss", "displayName": "The Boss"}))
            .await;
        let sent = full_user(&boss);
        let created = s.create_user(sent.clone()).await;
        let got = s.get(&user_path(&created)).await.expect(StatusCode::OK).body;
        assert_eq!(got, created, "a read returns what the create answered");
        assert_eq!(got["schemas"], json!([USER, ENTERPRISE]), "{got}");
        for (key, value) in sent.as_object().unwrap() {
            if key == "schemas" || key == ENTERPRISE {
                continue;
            }
            assert_eq!(&got[key], value, "{key} in {got}");
        }
        let ent = &got[ENTERPRISE];
        for key in ["employeeNumber", "costCenter", "organization", "division", "department"] {
            assert_eq!(ent[key], sent[ENTERPRISE][key], "{key} in {got}");
        }
        assert_eq!(ent["manager"]["value"], id(&boss), "{got}");
        assert_eq!(ent["manager"]["$ref"], sent[ENTERPRISE]["manager"]["$ref"], "{got}");
        assert_eq!(ent["manager"]["displayName"], "The Boss", "{got}");
    }

    async fn a_password_is_accepted_but_never_returned(db: TestDb) {
        let s = setup(db).await;
        let r = s
            .post(
                "/Users",
                json!({"schemas": [USER], "userName": "ada", "password": "t1me-Mach1ne!"}),
            )
            .await
            .expect(StatusCode::CREATED);
        assert!(r.body.get("password").is_none(), "{}", r.body);
        let path = user_path(&r.body);
        for p in [
            path.clone(),
            format!("{path}?attributes=password"),
            format!("{path}?attributes=userName,password"),
        ] {
            let got = s.get(&p).await.expect(StatusCode::OK).body;
            assert!(got.get("password").is_none(), "{p}: {got}");
            assert!(!got.to_string().contains("t1me-Mach1ne!"), "{p}: {got}");
        }
        let list = s.list("/Users?attributes=password").await;
        assert!(resources(&list).iter().all(|u| u.get("password").is_none()), "{list}");
    }

    async fn a_user_is_fetched_by_id(db: TestDb) {
        let s = setup(db).await;
        let u = s.user("ada").await;
        let r = s.get(&user_path(&u)).await.expect(StatusCode::OK);
        assert_eq!(r.body, u);
        assert_eq!(r.header("etag"), Some("W/\"1\""));
    }

    async fn put_replaces_every_attribute_and_bumps_the_version(db: TestDb) {
        let s = setup(db).await;
        let u = s
            .create_user(json!({
                "schemas": [USER, ENTERPRISE],
                "userName": "ada",
                "title": "Countess",
                "emails": [{"value": "ada@example.com", "type": "work"}],
                (ENTERPRISE): {"department": "Math"}
            }))
            .await;
        let r = s
            .put(
                &user_path(&u),
                json!({"schemas": [USER], "userName": "ada.king", "displayName": "Ada King"}),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.header("etag"), Some("W/\"2\""));
        let got = s.get(&user_path(&u)).await.expect(StatusCode::OK).body;
        assert_eq!(got["userName"], "ada.king", "{got}");
        assert_eq!(got["displayName"], "Ada King", "{got}");
        for gone in ["title", "emails", ENTERPRISE] {
            assert!(got.get(gone).is_none(), "{gone} survived the PUT: {got}");
        }
        assert_eq!(got["schemas"], json!([USER]), "{got}");
        assert_eq!(got["meta"]["version"], "W/\"2\"", "{got}");
        assert_eq!(got["meta"]["created"], u["meta"]["created"], "{got}");
    }

    async fn delete_answers_204_and_the_user_is_then_404(db: TestDb) {
        let s = setup(db).await;
        let u = s.user("ada").await;
        let r = s.delete(&user_path(&u)).await.expect(StatusCode::NO_CONTENT);
        assert_eq!(r.body, Value::Null);
        s.get(&user_path(&u))
            .await
            .expect_scim_error(StatusCode::NOT_FOUND, None);
        s.delete(&user_path(&u))
            .await
            .expect_scim_error(StatusCode::NOT_FOUND, None);
        let list = s.list("/Users").await;
        assert_eq!(list["totalResults"], 0, "{list}");
    }

    async fn a_user_name_clash_ignoring_case_is_a_409_uniqueness(db: TestDb) {
        let s = setup(db).await;
        s.user("Ada.Lovelace").await;
        s.post("/Users", json!({"schemas": [USER], "userName": "ada.LOVELACE"}))
            .await
            .expect_scim_error(StatusCode::CONFLICT, Some("uniqueness"));
        // Renaming onto a taken name clashes the same way.
        let bob = s.user("bob").await;
        s.put(&user_path(&bob), json!({"schemas": [USER], "userName": "ADA.lovelace"}))
            .await
            .expect_scim_error(StatusCode::CONFLICT, Some("uniqueness"));
    }

    async fn posting_the_same_user_twice_is_a_409_uniqueness(db: TestDb) {
        let s = setup(db).await;
        let body = json!({
            "schemas": [USER],
            "userName": "ada",
            "externalId": "e-1",
            "emails": [{"value": "ada@example.com"}]
        });
        s.post("/Users", body.clone()).await.expect(StatusCode::CREATED);
        s.post("/Users", body)
            .await
            .expect_scim_error(StatusCode::CONFLICT, Some("uniqueness"));
        assert_eq!(s.list("/Users").await["totalResults"], 1);
    }

    async fn a_user_without_a_user_name_is_a_400_invalid_value(db: TestDb) {
        let s = setup(db).await;
        for body in [
            json!({"schemas": [USER], "displayName": "Ada"}),
            json!({"schemas": [USER], "userName": ""}),
            json!({"schemas": [USER], "userName": null}),
        ] {
            s.post("/Users", body)
                .await
                .expect_scim_error(StatusCode::BAD_REQUEST, Some("invalidValue"));
        }
        assert_eq!(s.list("/Users").await["totalResults"], 0);
    }

    async fn a_body_that_is_not_json_is_a_400_invalid_syntax(db: TestDb) {
        let s = setup(db).await;
        raw(&s, "/Users", "application/scim+json", "{\"userName\": ")
            .await
            .expect_scim_error(StatusCode::BAD_REQUEST, Some("invalidSyntax"));
        raw(&s, "/Users", "application/scim+json", "userName=ada")
            .await
            .expect_scim_error(StatusCode::BAD_REQUEST, Some("invalidSyntax"));
        assert_eq!(s.list("/Users").await["totalResults"], 0);
    }

    async fn an_application_json_body_is_accepted_too(db: TestDb) {
        let s = setup(db).await;
        let r = raw(
            &s,
            "/Users",
            "application/json",
            &json!({"schemas": [USER], "userName": "ada"}).to_string(),
        )
        .await
        .expect(StatusCode::CREATED);
        assert_eq!(r.body["userName"], "ada");
        assert_eq!(r.header("content-type"), Some("application/scim+json"));
    }

    async fn active_false_deactivates_a_user_who_still_exists(db: TestDb) {
        let s = setup(db).await;
        let u = s.user("ada").await;
        let r = s
            .put(&user_path(&u), json!({"schemas": [USER], "userName": "ada", "active": false}))
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["active"], false, "{}", r.body);
        let got = s.get(&user_path(&u)).await.expect(StatusCode::OK).body;
        assert_eq!(got["active"], false, "{got}");
        let rest = s
            .app
            .get(&s.rest(&format!("/users/{}", id(&u))), &s.app.platform)
            .await
            .expect(StatusCode::OK);
        assert_eq!(rest.body["active"], false, "{}", rest.body);
        assert_eq!(rest.body["user_name"], "ada", "{}", rest.body);
    }

    async fn a_user_created_over_scim_is_visible_over_rest(db: TestDb) {
        let s = setup(db).await;
        let u = s
            .create_user(json!({
                "schemas": [USER],
                "userName": "ada",
                "externalId": "e-ada",
                "displayName": "Ada Lovelace",
                "name": {"givenName": "Ada", "familyName": "Lovelace"},
                "emails": [{"value": "ada@example.com", "type": "work", "primary": true}]
            }))
            .await;
        let rest = s
            .app
            .get(&s.rest(&format!("/users/{}", id(&u))), &s.app.platform)
            .await
            .expect(StatusCode::OK)
            .body;
        assert_eq!(rest["id"], id(&u), "{rest}");
        assert_eq!(rest["user_name"], "ada", "{rest}");
        assert_eq!(rest["external_id"], "e-ada", "{rest}");
        assert_eq!(rest["display_name"], "Ada Lovelace", "{rest}");
        assert_eq!(rest["given_name"], "Ada", "{rest}");
        assert_eq!(rest["family_name"], "Lovelace", "{rest}");
        assert_eq!(rest["email"], "ada@example.com", "{rest}");
        assert_eq!(rest["active"], true, "{rest}");
    }

    async fn a_user_created_over_rest_is_visible_over_scim(db: TestDb) {
        let s = setup(db).await;
        let rest = s
            .app
            .post(
                &s.rest("/users"),
                &s.app.platform,
                json!({"user_name": "bob", "display_name": "Bob", "given_name": "Robert"}),
            )
            .await
            .expect(StatusCode::CREATED)
            .body;
        let bob_id = rest["id"].as_str().unwrap();
        let got = s.get(&format!("/Users/{bob_id}")).await.expect(StatusCode::OK).body;
        assert_eq!(got["userName"], "bob", "{got}");
        assert_eq!(got["displayName"], "Bob", "{got}");
        assert_eq!(got["name"]["givenName"], "Robert", "{got}");
        assert_eq!(got["active"], true, "{got}");
        assert_eq!(s.matching("userName eq \"bob\"").await, names(&["bob"]));
    }
}

// ---------------------------------------------------------------------------
// Groups
// ---------------------------------------------------------------------------

both_backends! {
    async fn a_group_is_created_with_users_and_groups_as_members(db: TestDb) {
        let s = setup(db).await;
        let ada = s.user("ada").await;
        let ops = s.group("Ops", &[]).await;
        let r = s
            .post(
                "/Groups",
                json!({
                    "schemas": [GROUP],
                    "displayName": "Engineering",
                    "externalId": "g-eng",
                    "members": [{"value": id(&ada)}, {"value": id(&ops)}]
                }),
            )
            .await
            .expect(StatusCode::CREATED);
        let g = &r.body;
        assert_eq!(r.header("etag"), Some("W/\"1\""));
        let location = format!("http://localhost/t/acme/scim/v2/Groups/{}", id(g));
        assert_eq!(r.header("location"), Some(location.as_str()));
        assert_eq!(g["schemas"], json!([GROUP]), "{g}");
        assert_eq!(g["displayName"], "Engineering", "{g}");
        assert_eq!(g["externalId"], "g-eng", "{g}");
        assert_eq!(g["meta"]["resourceType"], "Group", "{g}");
        assert_eq!(g["meta"]["version"], "W/\"1\"", "{g}");
        assert_eq!(member_ids(g), set(&[id(&ada), id(&ops)]), "{g}");
    }

    async fn a_group_is_fetched_with_members_carrying_value_ref_and_type(db: TestDb) {
        let s = setup(db).await;
        let ada = s.user("ada").await;
        let ops = s.group("Ops", &[]).await;
        let eng = s.group("Engineering", &[&ada, &ops]).await;
        let r = s.get(&group_path(&eng)).await.expect(StatusCode::OK);
        assert_eq!(r.body, eng);
        assert_eq!(r.header("etag"), Some("W/\"1\""));
        let members = r.body["members"].as_array().expect("members");
        assert_eq!(members.len(), 2, "{}", r.body);
        let user = members.iter().find(|m| m["value"] == id(&ada)).expect("ada");
        assert_eq!(user["type"], "User", "{user}");
        assert_eq!(
            user["$ref"],
            format!("http://localhost/t/acme/scim/v2/Users/{}", id(&ada)),
            "{user}"
        );
        let group = members.iter().find(|m| m["value"] == id(&ops)).expect("ops");
        assert_eq!(group["type"], "Group", "{group}");
        assert_eq!(
            group["$ref"],
            format!("http://localhost/t/acme/scim/v2/Groups/{}", id(&ops)),
            "{group}"
        );
        // The user lists the group back.
        let got = s.get(&user_path(&ada)).await.expect(StatusCode::OK).body;
        assert_eq!(got["groups"][0]["value"], id(&eng), "{got}");
        assert_eq!(got["groups"][0]["display"], "Engineering", "{got}");
    }

    async fn put_replaces_a_groups_members(db: TestDb) {
        let s = setup(db).await;
        let ada = s.user("ada").await;
        let bob = s.user("bob").await;
        let cyd = s.user("cyd").await;
        let g = s.group("Engineering", &[&ada, &bob]).await;
        let r = s
            .put(
                &group_path(&g),
                json!({
                    "schemas": [GROUP],
                    "displayName": "Eng",
                    "members": [{"value": id(&bob)}, {"value": id(&cyd)}]
                }),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.header("etag"), Some("W/\"2\""));
        let got = s.get(&group_path(&g)).await.expect(StatusCode::OK).body;
        assert_eq!(got["displayName"], "Eng", "{got}");
        assert_eq!(member_ids(&got), set(&[id(&bob), id(&cyd)]), "{got}");
        // A PUT without members empties the group.
        s.put(&group_path(&g), json!({"schemas": [GROUP], "displayName": "Eng", "members": []}))
            .await
            .expect(StatusCode::OK);
        let got = s.get(&group_path(&g)).await.expect(StatusCode::OK).body;
        assert!(member_ids(&got).is_empty(), "{got}");
    }

    async fn deleting_a_group_answers_204_and_it_is_then_404(db: TestDb) {
        let s = setup(db).await;
        let ada = s.user("ada").await;
        let g = s.group("Engineering", &[&ada]).await;
        s.delete(&group_path(&g)).await.expect(StatusCode::NO_CONTENT);
        s.get(&group_path(&g))
            .await
            .expect_scim_error(StatusCode::NOT_FOUND, None);
        // Its members stay, without the group.
        let got = s.get(&user_path(&ada)).await.expect(StatusCode::OK).body;
        assert!(got.get("groups").is_none(), "{got}");
    }

    async fn a_group_name_clash_ignoring_case_is_a_409_uniqueness(db: TestDb) {
        let s = setup(db).await;
        s.group("Engineering", &[]).await;
        s.post("/Groups", json!({"schemas": [GROUP], "displayName": "ENGINEERING"}))
            .await
            .expect_scim_error(StatusCode::CONFLICT, Some("uniqueness"));
        let list = s.list("/Groups").await;
        assert_eq!(list["totalResults"], 1, "{list}");
    }

    async fn an_unknown_member_is_a_400_and_the_group_is_not_created(db: TestDb) {
        let s = setup(db).await;
        s.post(
            "/Groups",
            json!({
                "schemas": [GROUP],
                "displayName": "Engineering",
                "members": [{"value": uuid::Uuid::now_v7().to_string()}]
            }),
        )
        .await
        .expect_scim_error(StatusCode::BAD_REQUEST, Some("invalidValue"));
        assert_eq!(s.list("/Groups").await["totalResults"], 0);
    }
}

// ---------------------------------------------------------------------------
// Deleting a user: memberships and managers
// ---------------------------------------------------------------------------

both_backends! {
    async fn deleting_a_user_removes_them_from_their_groups(db: TestDb) {
        let s = setup(db).await;
        let ada = s.user("ada").await;
        let bob = s.user("bob").await;
        let g = s.group("Engineering", &[&ada, &bob]).await;
        s.delete(&user_path(&ada)).await.expect(StatusCode::NO_CONTENT);
        let got = s.get(&group_path(&g)).await.expect(StatusCode::OK).body;
        assert_eq!(member_ids(&got), set(&[id(&bob)]), "{got}");
        let found = s
            .list(&format!("/Groups?filter={}", enc(&format!("members.value eq \"{}\"", id(&ada)))))
            .await;
        assert_eq!(found["totalResults"], 0, "{found}");
    }

    async fn deleting_a_user_clears_them_as_manager_of_others(db: TestDb) {
        let s = setup(db).await;
        let boss = s.user("boss").await;
        let ada = s
            .create_user(json!({
                "schemas": [USER, ENTERPRISE],
                "userName": "ada",
                (ENTERPRISE): {"department": "Math", "manager": {"value": id(&boss)}}
            }))
            .await;
        assert_eq!(ada[ENTERPRISE]["manager"]["value"], id(&boss), "{ada}");
        s.delete(&user_path(&boss)).await.expect(StatusCode::NO_CONTENT);
        let got = s.get(&user_path(&ada)).await.expect(StatusCode::OK).body;
        assert!(got[ENTERPRISE].get("manager").is_none(), "{got}");
        assert_eq!(got[ENTERPRISE]["department"], "Math", "{got}");
        let managed = s
            .list(&format!(
                "/Users?filter={}",
                enc(&format!("{ENTERPRISE}:manager.value eq \"{}\"", id(&boss)))
            ))
            .await;
        assert_eq!(managed["totalResults"], 0, "{managed}");
    }
}

// ---------------------------------------------------------------------------
// Filters
// ---------------------------------------------------------------------------

both_backends! {
    async fn filter_eq_on_user_name_ignores_case(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        assert_eq!(s.matching("userName eq \"ADA.LOVELACE\"").await, names(&[ADA]));
        assert_eq!(s.matching("userName eq \"cyd.charisse\"").await, names(&[CYD]));
        assert_eq!(s.matching("USERNAME Eq \"bob.babbage\"").await, names(&[BOB]));
        assert!(s.matching("userName eq \"ada\"").await.is_empty());
    }

    async fn filter_ne_excludes_the_value(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        assert_eq!(s.matching("userName ne \"Ada.Lovelace\"").await, names(&[BOB, CYD]));
    }

    async fn filter_co_matches_a_substring_ignoring_case(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        assert_eq!(s.matching("userName co \"BAB\"").await, names(&[BOB]));
        assert_eq!(s.matching("userName co \".\"").await, names(&[ADA, BOB, CYD]));
        assert_eq!(s.matching("title co \"ance\"").await, names(&[CYD]));
    }

    async fn filter_co_treats_like_wildcards_as_text(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        s.user("per%cent_under").await;
        assert_eq!(s.matching("userName co \"%\"").await, names(&["per%cent_under"]));
        assert_eq!(s.matching("userName co \"_\"").await, names(&["per%cent_under"]));
        assert!(s.matching("userName sw \"a%\"").await.is_empty());
    }

    async fn filter_sw_matches_a_prefix_ignoring_case(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        assert_eq!(s.matching("userName sw \"cyd\"").await, names(&[CYD]));
        assert_eq!(s.matching("userName sw \"B\"").await, names(&[BOB]));
        assert_eq!(s.matching("displayName sw \"x\"").await, Vec::<String>::new());
    }

    async fn filter_ew_matches_a_suffix_ignoring_case(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        assert_eq!(s.matching("userName ew \".CHARISSE\"").await, names(&[CYD]));
        assert_eq!(s.matching("userName ew \"e\"").await, names(&[ADA, BOB, CYD]));
    }

    async fn filter_pr_matches_users_having_the_attribute(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        assert_eq!(s.matching("title pr").await, names(&[ADA, CYD]));
        assert_eq!(s.matching("externalId pr").await, names(&[ADA, BOB]));
        assert_eq!(s.matching("name pr").await, names(&[ADA, BOB]));
        assert_eq!(s.matching("emails pr").await, names(&[ADA, BOB, CYD]));
    }

    async fn filter_gt_ge_lt_le_order_strings_ignoring_case(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        assert_eq!(s.matching("userName gt \"B\"").await, names(&[BOB, CYD]));
        assert_eq!(s.matching("userName gt \"bob.babbage\"").await, names(&[CYD]));
        assert_eq!(s.matching("userName ge \"BOB.BABBAGE\"").await, names(&[BOB, CYD]));
        assert_eq!(s.matching("userName lt \"BOB.BABBAGE\"").await, names(&[ADA]));
        assert_eq!(s.matching("userName le \"bob.babbage\"").await, names(&[ADA, BOB]));
    }

    async fn filter_on_external_id_is_case_exact(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        assert_eq!(s.matching("externalId eq \"EXT-Ada\"").await, names(&[ADA]));
        assert!(s.matching("externalId eq \"ext-ada\"").await.is_empty());
        assert_eq!(s.matching("externalId sw \"EXT\"").await, names(&[ADA]));
        assert_eq!(s.matching("externalId sw \"ext\"").await, names(&[BOB]));
        assert_eq!(s.matching("externalId co \"bob\"").await, names(&[BOB]));
        assert!(s.matching("externalId co \"BOB\"").await.is_empty());
        assert_eq!(s.matching("externalId ew \"Ada\"").await, names(&[ADA]));
    }

    async fn a_value_filter_holds_for_one_and_the_same_email(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        // bob has a work email and an example.com email, but not one that is both.
        assert_eq!(
            s.matching("emails[type eq \"work\" and value co \"@example.com\"]").await,
            names(&[ADA, CYD])
        );
        assert_eq!(
            s.matching("emails[type eq \"home\"]").await,
            names(&[BOB])
        );
        assert_eq!(
            s.matching("emails[type eq \"work\" and value co \"@example.com\"] and active eq true")
                .await,
            names(&[ADA, CYD])
        );
    }

    async fn filter_on_emails_value_matches_any_email_ignoring_case(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        assert_eq!(s.matching("emails.value eq \"ADA@example.com\"").await, names(&[ADA]));
        assert_eq!(s.matching("emails.value eq \"bob@work.example.net\"").await, names(&[BOB]));
        assert_eq!(s.matching("emails eq \"cyd@example.com\"").await, names(&[CYD]));
        assert_eq!(s.matching("emails.type eq \"home\"").await, names(&[BOB]));
    }

    async fn filter_on_a_name_sub_attribute(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        assert_eq!(s.matching("name.familyName sw \"love\"").await, names(&[ADA]));
        assert_eq!(s.matching("name.givenName eq \"CHARLES\"").await, names(&[BOB]));
    }

    async fn filter_not_includes_users_without_the_attribute(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        assert_eq!(s.matching("not (title eq \"Countess\")").await, names(&[BOB, CYD]));
        assert_eq!(s.matching("not (title pr)").await, names(&[BOB]));
        assert_eq!(
            s.matching(&format!("not ({ENTERPRISE}:department eq \"Math\")")).await,
            names(&[BOB, CYD])
        );
        assert_eq!(s.matching("not (externalId sw \"EXT\")").await, names(&[BOB, CYD]));
    }

    async fn filter_and_binds_tighter_than_or_unless_parenthesised(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        assert_eq!(
            s.matching("userName sw \"bob\" or userName sw \"cyd\" and active eq true").await,
            names(&[BOB, CYD])
        );
        assert_eq!(
            s.matching("(userName sw \"bob\" or userName sw \"cyd\") and active eq true").await,
            names(&[CYD])
        );
        assert_eq!(
            s.matching("active eq true and userName sw \"cyd\" or userName sw \"bob\"").await,
            names(&[BOB, CYD])
        );
        assert_eq!(
            s.matching("active eq true and (userName sw \"cyd\" or userName sw \"bob\")").await,
            names(&[CYD])
        );
    }

    async fn filter_on_meta_last_modified_compares_times(db: TestDb) {
        let s = setup(db).await;
        let ada = s.user("ada").await;
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        s.user("bob").await;
        let t = ada["meta"]["lastModified"].as_str().unwrap();
        assert_eq!(s.matching(&format!("meta.lastModified gt \"{t}\"")).await, names(&["bob"]));
        assert_eq!(
            s.matching(&format!("meta.lastModified ge \"{t}\"")).await,
            names(&["ada", "bob"])
        );
        assert_eq!(s.matching(&format!("meta.lastModified le \"{t}\"")).await, names(&["ada"]));
        assert_eq!(s.matching(&format!("meta.lastModified eq \"{t}\"")).await, names(&["ada"]));
        assert!(s.matching("meta.lastModified lt \"2000-01-01T00:00:00Z\"").await.is_empty());
        // A PATCH moves lastModified forward.
        let later = s
            .patch(&user_path(&ada), json!([{"op": "replace", "path": "title", "value": "Countess"}]))
            .await
            .expect(StatusCode::OK)
            .body;
        let t2 = later["meta"]["lastModified"].as_str().unwrap();
        assert_eq!(s.matching(&format!("meta.lastModified ge \"{t2}\"")).await, names(&["ada"]));
    }

    async fn filter_active_eq_false_finds_deactivated_users(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        assert_eq!(s.matching("active eq false").await, names(&[BOB]));
        assert_eq!(s.matching("active eq true").await, names(&[ADA, CYD]));
        assert_eq!(s.matching("active ne false").await, names(&[ADA, CYD]));
    }

    async fn filter_on_an_enterprise_attribute_by_its_urn(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        assert_eq!(
            s.matching(&format!("{ENTERPRISE}:department eq \"math\"")).await,
            names(&[ADA])
        );
        assert_eq!(
            s.matching(&format!("{ENTERPRISE}:department pr")).await,
            names(&[ADA, BOB])
        );
    }

    async fn filter_users_by_group_with_groups_value(db: TestDb) {
        let s = setup(db).await;
        let p = people(&s).await;
        let g = s.group("Engineering", &[&p.ada, &p.cyd]).await;
        let other = s.group("Sales", &[&p.bob]).await;
        assert_eq!(
            s.matching(&format!("groups.value eq \"{}\"", id(&g))).await,
            names(&[ADA, CYD])
        );
        assert_eq!(
            s.matching(&format!("groups.value eq \"{}\"", id(&other))).await,
            names(&[BOB])
        );
        assert_eq!(
            s.matching(&format!("groups[value eq \"{}\"]", id(&other))).await,
            names(&[BOB])
        );
        assert!(s.matching("groups.value eq \"not-a-group\"").await.is_empty());
    }

    async fn filter_groups_by_member_with_members_value(db: TestDb) {
        let s = setup(db).await;
        let p = people(&s).await;
        let g1 = s.group("One", &[&p.ada]).await;
        s.group("Two", &[&p.ada, &p.bob]).await;
        s.group("Three", &[&p.bob]).await;
        s.group("Four", &[&g1]).await;
        let found = s
            .list(&format!(
                "/Groups?sortBy=displayName&filter={}",
                enc(&format!("members.value eq \"{}\"", id(&p.ada)))
            ))
            .await;
        assert_eq!(strings_of(&found, "displayName"), names(&["One", "Two"]));
        // A group is a member too.
        let found = s
            .list(&format!(
                "/Groups?filter={}",
                enc(&format!("members.value eq \"{}\"", id(&g1)))
            ))
            .await;
        assert_eq!(strings_of(&found, "displayName"), names(&["Four"]));
    }

    async fn filter_external_id_eq_looks_up_a_user_or_a_group(db: TestDb) {
        let s = setup(db).await;
        let p = people(&s).await;
        let found = s.list(&format!("/Users?filter={}", enc("externalId eq \"ext-bob\""))).await;
        assert_eq!(found["totalResults"], 1, "{found}");
        assert_eq!(resources(&found)[0]["id"], id(&p.bob), "{found}");
        let g = s
            .post(
                "/Groups",
                json!({"schemas": [GROUP], "displayName": "Eng", "externalId": "G-1"}),
            )
            .await
            .expect(StatusCode::CREATED)
            .body;
        let found = s.list(&format!("/Groups?filter={}", enc("externalId eq \"G-1\""))).await;
        assert_eq!(found["totalResults"], 1, "{found}");
        assert_eq!(resources(&found)[0]["id"], id(&g), "{found}");
        let found = s.list(&format!("/Groups?filter={}", enc("externalId eq \"g-1\""))).await;
        assert_eq!(found["totalResults"], 0, "{found}");
        let found = s.list(&format!("/Groups?filter={}", enc("displayName eq \"ENG\""))).await;
        assert_eq!(found["totalResults"], 1, "{found}");
    }

    async fn a_malformed_filter_is_a_400_invalid_filter(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        for f in [
            "userName eq",
            "userName xx \"ada\"",
            "(userName eq \"ada\"",
            "userName eq \"ada\" and",
            "userName eq 'ada'",
            "emails[type eq \"work\"",
            "and",
        ] {
            let r = s.get(&format!("/Users?filter={}", enc(f))).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{f}: {}", r.body);
            r.expect_scim_error(StatusCode::BAD_REQUEST, Some("invalidFilter"));
        }
    }

    async fn an_unknown_attribute_in_a_filter_is_a_400_invalid_filter_not_an_empty_list(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        for (path, f) in [
            ("/Users", "shoeSize eq \"42\""),
            ("/Users", "name.nickname eq \"x\""),
            ("/Users", "department eq \"Math\""),
            ("/Users", "userName eq \"ada\" or shoeSize pr"),
            ("/Groups", "userName eq \"ada\""),
        ] {
            let r = s.get(&format!("{path}?filter={}", enc(f))).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{path} {f}: {}", r.body);
            r.expect_scim_error(StatusCode::BAD_REQUEST, Some("invalidFilter"));
        }
    }

    async fn a_too_deeply_nested_filter_is_a_400_invalid_filter(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        let f = format!("{}userName pr{}", "not (".repeat(100), ")".repeat(100));
        s.get(&format!("/Users?filter={}", enc(&f)))
            .await
            .expect_scim_error(StatusCode::BAD_REQUEST, Some("invalidFilter"));
        let f = format!("{}userName pr{}", "(".repeat(100), ")".repeat(100));
        s.get(&format!("/Users?filter={}", enc(&f)))
            .await
            .expect_scim_error(StatusCode::BAD_REQUEST, Some("invalidFilter"));
    }

    async fn ordering_a_boolean_is_a_400_invalid_filter(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        for f in ["active gt true", "active le false", "active co \"t\"", "active eq \"maybe\""] {
            let r = s.get(&format!("/Users?filter={}", enc(f))).await;
            assert_eq!(r.status, StatusCode::BAD_REQUEST, "{f}: {}", r.body);
            r.expect_scim_error(StatusCode::BAD_REQUEST, Some("invalidFilter"));
        }
    }
}

// ---------------------------------------------------------------------------
// Listing
// ---------------------------------------------------------------------------

/// Creates users `user00` … in order.
async fn users_numbered(s: &Scim, n: usize) {
    for i in 0..n {
        s.user(&format!("user{i:02}")).await;
    }
}

both_backends! {
    async fn pages_of_ten_walk_25_users_in_a_stable_order_without_gaps_or_duplicates(db: TestDb) {
        let s = setup(db).await;
        users_numbered(&s, 25).await;
        let all = s.list("/Users?count=100").await;
        let expected: Vec<String> = strings_of(&all, "id");
        assert_eq!(expected.len(), 25);
        let mut walked = Vec::new();
        for (start, size) in [(1, 10), (11, 10), (21, 5)] {
            let page = s.list(&format!("/Users?startIndex={start}&count=10")).await;
            assert!(page["totalResults"].is_u64(), "{page}");
            assert!(page["itemsPerPage"].is_u64(), "{page}");
            assert!(page["startIndex"].is_u64(), "{page}");
            assert_eq!(page["totalResults"], 25, "{page}");
            assert_eq!(page["itemsPerPage"], size, "{page}");
            assert_eq!(page["startIndex"], start, "{page}");
            assert_eq!(resources(&page).len(), size, "{page}");
            walked.extend(strings_of(&page, "id"));
        }
        assert_eq!(walked, expected, "the pages are the list, in the same order");
        // Walking again gives the same pages.
        let again = s.list("/Users?startIndex=11&count=10").await;
        assert_eq!(strings_of(&again, "id"), expected[10..20].to_vec());
        let past = s.list("/Users?startIndex=26&count=10").await;
        assert_eq!(past["totalResults"], 25, "{past}");
        assert!(resources(&past).is_empty(), "{past}");
    }

    async fn pages_sorted_by_user_name_walk_without_gaps_or_duplicates(db: TestDb) {
        let s = setup(db).await;
        // Created out of name order, some names differing only in case.
        for name in ["m", "B", "a", "z", "C", "y", "b2", "A2", "n", "D", "c3", "x"] {
            s.user(name).await;
        }
        let mut walked = Vec::new();
        for start in [1, 6, 11] {
            let page = s
                .list(&format!("/Users?sortBy=userName&sortOrder=descending&startIndex={start}&count=5"))
                .await;
            walked.extend(strings_of(&page, "userName"));
        }
        assert_eq!(
            walked,
            names(&["z", "y", "x", "n", "m", "D", "c3", "C", "b2", "B", "A2", "a"])
        );
    }

    async fn a_start_index_below_1_counts_as_1_and_a_negative_count_as_0(db: TestDb) {
        let s = setup(db).await;
        users_numbered(&s, 3).await;
        let r = s.list("/Users?startIndex=0&count=2").await;
        assert_eq!(r["startIndex"], 1, "{r}");
        assert_eq!(resources(&r).len(), 2, "{r}");
        let r = s.list("/Users?startIndex=-5&count=-1").await;
        assert_eq!(r["totalResults"], 3, "{r}");
        assert_eq!(r["itemsPerPage"], 0, "{r}");
        s.get("/Users?startIndex=abc")
            .await
            .expect_scim_error(StatusCode::BAD_REQUEST, Some("invalidValue"));
    }

    async fn count_zero_answers_only_the_total(db: TestDb) {
        let s = setup(db).await;
        users_numbered(&s, 3).await;
        let r = s.list("/Users?count=0").await;
        assert_eq!(r["totalResults"], 3, "{r}");
        assert!(
            r.get("Resources").is_none_or(|v| v.as_array().is_some_and(Vec::is_empty)),
            "{r}"
        );
        assert_eq!(r["itemsPerPage"], 0, "{r}");
    }

    async fn a_count_above_max_results_is_capped(db: TestDb) {
        let s = setup(db).await;
        // 1001 users, created in two bulk requests.
        for (from, to) in [(0, 500), (500, 1001)] {
            let ops: Vec<Value> = (from..to)
                .map(|i| {
                    json!({"method": "POST", "path": "/Users", "bulkId": format!("b{i}"),
                           "data": {"userName": format!("u{i:04}")}})
                })
                .collect();
            let r = s
                .post("/Bulk", json!({"schemas": [BULK_REQUEST], "Operations": ops}))
                .await
                .expect(StatusCode::OK);
            let statuses: HashSet<&str> = r.body["Operations"]
                .as_array()
                .unwrap()
                .iter()
                .map(|o| o["status"].as_str().unwrap())
                .collect();
            assert_eq!(statuses, HashSet::from(["201"]));
        }
        let r = s.list("/Users?count=5000&attributes=userName").await;
        assert_eq!(r["totalResults"], 1001);
        assert_eq!(r["itemsPerPage"], 1000);
        assert_eq!(resources(&r).len(), 1000);
        // Without count, a page is smaller still.
        let r = s.list("/Users?attributes=userName").await;
        assert!(resources(&r).len() <= 1000);
    }

    async fn sort_by_user_name_descending(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        let r = s.list("/Users?sortBy=userName&sortOrder=descending").await;
        assert_eq!(strings_of(&r, "userName"), names(&[CYD, BOB, ADA]));
        let r = s.list("/Users?sortBy=userName&sortOrder=ascending").await;
        assert_eq!(strings_of(&r, "userName"), names(&[ADA, BOB, CYD]));
        let r = s.list("/Users?sortBy=name.familyName").await;
        // Cyd has no family name and sorts first.
        assert_eq!(strings_of(&r, "userName"), names(&[CYD, BOB, ADA]));
    }

    async fn sorting_by_an_unknown_attribute_is_a_400(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        s.get("/Users?sortBy=shoeSize")
            .await
            .expect_scim_error(StatusCode::BAD_REQUEST, Some("invalidValue"));
        s.get("/Users?sortBy=userName&sortOrder=sideways")
            .await
            .expect_scim_error(StatusCode::BAD_REQUEST, Some("invalidValue"));
    }

    async fn a_search_request_body_behaves_like_the_query(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        let filter = "emails[type eq \"work\"] or userName sw \"bob\"";
        let via_get = s
            .list(&format!(
                "/Users?filter={}&attributes=userName&sortBy=userName&startIndex=2&count=1",
                enc(filter)
            ))
            .await;
        let r = s
            .post(
                "/Users/.search",
                json!({
                    "schemas": [SEARCH_REQUEST],
                    "filter": filter,
                    "attributes": ["userName"],
                    "sortBy": "userName",
                    "startIndex": 2,
                    "count": 1
                }),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body, via_get);
        assert_eq!(r.body["totalResults"], 3, "{}", r.body);
        assert_eq!(strings_of(&r.body, "userName"), names(&[BOB]));
        let u = &resources(&r.body)[0];
        let keys: HashSet<String> = u.as_object().unwrap().keys().cloned().collect();
        assert_eq!(keys, set(&["id", "schemas", "userName"]), "{u}");
        s.post("/Users/.search", json!({"schemas": [SEARCH_REQUEST], "filter": "userName eq"}))
            .await
            .expect_scim_error(StatusCode::BAD_REQUEST, Some("invalidFilter"));
    }

    async fn attributes_user_name_returns_only_id_schemas_and_user_name(db: TestDb) {
        let s = setup(db).await;
        let p = people(&s).await;
        let r = s.list("/Users?attributes=userName").await;
        assert_eq!(resources(&r).len(), 3);
        for u in resources(&r) {
            let keys: HashSet<String> = u.as_object().unwrap().keys().cloned().collect();
            assert_eq!(keys, set(&["id", "schemas", "userName"]), "{u}");
            assert_eq!(u["schemas"], json!([USER]), "{u}");
        }
        let one = s
            .get(&format!("{}?attributes=userName", user_path(&p.ada)))
            .await
            .expect(StatusCode::OK)
            .body;
        assert_eq!(one, json!({"schemas": [USER], "id": id(&p.ada), "userName": ADA}));
    }

    async fn excluded_attributes_emails_omits_the_emails(db: TestDb) {
        let s = setup(db).await;
        people(&s).await;
        let r = s.list("/Users?excludedAttributes=emails").await;
        assert_eq!(resources(&r).len(), 3);
        for u in resources(&r) {
            assert!(u.get("emails").is_none(), "{u}");
            assert!(u["userName"].is_string() && u["meta"].is_object(), "{u}");
        }
    }

    async fn excluded_attributes_members_omits_a_groups_members(db: TestDb) {
        let s = setup(db).await;
        let ada = s.user("ada").await;
        let g = s.group("Engineering", &[&ada]).await;
        let r = s.list("/Groups?excludedAttributes=members").await;
        let found = &resources(&r)[0];
        assert!(found.get("members").is_none(), "{found}");
        assert_eq!(found["displayName"], "Engineering", "{found}");
        let one = s
            .get(&format!("{}?excludedAttributes=members", group_path(&g)))
            .await
            .expect(StatusCode::OK)
            .body;
        assert!(one.get("members").is_none(), "{one}");
        assert_eq!(one["id"], id(&g), "{one}");
    }
}

// ---------------------------------------------------------------------------
// ETags
// ---------------------------------------------------------------------------

both_backends! {
    async fn get_with_the_current_etag_in_if_none_match_is_304(db: TestDb) {
        let s = setup(db).await;
        let u = s.user("ada").await;
        let r = s
            .call_with("GET", &user_path(&u), None, &[("If-None-Match", "W/\"1\"")])
            .await
            .expect(StatusCode::NOT_MODIFIED);
        assert_eq!(r.body, Value::Null);
        assert_eq!(r.header("etag"), Some("W/\"1\""));
        // Another version is not current: the resource comes back.
        s.call_with("GET", &user_path(&u), None, &[("If-None-Match", "W/\"7\"")])
            .await
            .expect(StatusCode::OK);
    }

    async fn put_with_a_stale_if_match_is_412_and_changes_nothing(db: TestDb) {
        let s = setup(db).await;
        let u = s.user("ada").await;
        s.put(&user_path(&u), json!({"schemas": [USER], "userName": "ada", "title": "v2"}))
            .await
            .expect(StatusCode::OK);
        s.call_with(
            "PUT",
            &user_path(&u),
            Some(json!({"schemas": [USER], "userName": "ada", "title": "stale"})),
            &[("If-Match", "W/\"1\"")],
        )
        .await
        .expect_scim_error(StatusCode::PRECONDITION_FAILED, None);
        let got = s.get(&user_path(&u)).await.expect(StatusCode::OK);
        assert_eq!(got.body["title"], "v2", "{}", got.body);
        assert_eq!(got.header("etag"), Some("W/\"2\""));
    }

    async fn patch_with_a_stale_if_match_is_412_and_changes_nothing(db: TestDb) {
        let s = setup(db).await;
        let u = s.user("ada").await;
        let ops = json!([{"op": "replace", "path": "title", "value": "changed"}]);
        s.call_with("PATCH", &user_path(&u), Some(patch_op(ops.clone())), &[("If-Match", "W/\"9\"")])
            .await
            .expect_scim_error(StatusCode::PRECONDITION_FAILED, None);
        let g = s.group("Eng", &[]).await;
        s.call_with(
            "PATCH",
            &group_path(&g),
            Some(patch_op(json!([{"op": "replace", "path": "displayName", "value": "X"}]))),
            &[("If-Match", "W/\"9\"")],
        )
        .await
        .expect_scim_error(StatusCode::PRECONDITION_FAILED, None);
        let got = s.get(&user_path(&u)).await.expect(StatusCode::OK);
        assert!(got.body.get("title").is_none(), "{}", got.body);
        assert_eq!(got.header("etag"), Some("W/\"1\""));
        let got = s.get(&group_path(&g)).await.expect(StatusCode::OK);
        assert_eq!(got.body["displayName"], "Eng", "{}", got.body);
    }

    async fn delete_with_a_stale_if_match_is_412_and_deletes_nothing(db: TestDb) {
        let s = setup(db).await;
        let u = s.user("ada").await;
        let g = s.group("Eng", &[&u]).await;
        s.call_with("DELETE", &user_path(&u), None, &[("If-Match", "W/\"2\"")])
            .await
            .expect_scim_error(StatusCode::PRECONDITION_FAILED, None);
        s.call_with("DELETE", &group_path(&g), None, &[("If-Match", "\"5\"")])
            .await
            .expect_scim_error(StatusCode::PRECONDITION_FAILED, None);
        s.get(&user_path(&u)).await.expect(StatusCode::OK);
        let got = s.get(&group_path(&g)).await.expect(StatusCode::OK).body;
        assert_eq!(member_ids(&got), set(&[id(&u)]), "{got}");
    }

    async fn writes_with_the_current_if_match_succeed_and_change_the_etag(db: TestDb) {
        let s = setup(db).await;
        let u = s.user("ada").await;
        let r = s
            .call_with(
                "PUT",
                &user_path(&u),
                Some(json!({"schemas": [USER], "userName": "ada", "title": "v2"})),
                &[("If-Match", "W/\"1\"")],
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.header("etag"), Some("W/\"2\""));
        assert_eq!(r.body["meta"]["version"], "W/\"2\"");
        let r = s
            .call_with(
                "PATCH",
                &user_path(&u),
                Some(patch_op(json!([{"op": "replace", "path": "title", "value": "v3"}]))),
                &[("If-Match", "W/\"2\"")],
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.header("etag"), Some("W/\"3\""));
        assert_eq!(r.body["title"], "v3");
        s.call_with("DELETE", &user_path(&u), None, &[("If-Match", "W/\"3\"")])
            .await
            .expect(StatusCode::NO_CONTENT);
        s.get(&user_path(&u))
            .await
            .expect_scim_error(StatusCode::NOT_FOUND, None);
    }
}

// ---------------------------------------------------------------------------
// PATCH
// ---------------------------------------------------------------------------

both_backends! {
    async fn patch_add_without_a_path_merges_the_value_and_answers_the_resource(db: TestDb) {
        let s = setup(db).await;
        let u = s.user("ada").await;
        let r = s
            .patch(
                &user_path(&u),
                json!([{"op": "add", "value": {"title": "Countess", "name": {"givenName": "Ada"}}}]),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.header("etag"), Some("W/\"2\""));
        assert_eq!(r.body["title"], "Countess", "{}", r.body);
        assert_eq!(r.body["name"]["givenName"], "Ada", "{}", r.body);
        assert_eq!(r.body["meta"]["version"], "W/\"2\"", "{}", r.body);
        assert_eq!(s.get(&user_path(&u)).await.body, r.body);
    }

    async fn patch_replace_and_remove_with_a_path(db: TestDb) {
        let s = setup(db).await;
        let u = s
            .create_user(json!({"schemas": [USER], "userName": "ada", "title": "Countess",
                                "displayName": "Ada"}))
            .await;
        let r = s
            .patch(
                &user_path(&u),
                json!([
                    {"op": "replace", "path": "displayName", "value": "Ada Lovelace"},
                    {"op": "remove", "path": "title"}
                ]),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["displayName"], "Ada Lovelace", "{}", r.body);
        assert!(r.body.get("title").is_none(), "{}", r.body);
        // Replace without a path.
        let r = s
            .patch(&user_path(&u), json!([{"op": "replace", "value": {"active": false}}]))
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["active"], false, "{}", r.body);
        assert_eq!(r.body["displayName"], "Ada Lovelace", "{}", r.body);
    }

    async fn patch_replace_of_the_work_emails_value_leaves_the_other_emails(db: TestDb) {
        let s = setup(db).await;
        let u = s
            .create_user(json!({
                "schemas": [USER],
                "userName": "ada",
                "emails": [
                    {"value": "ada@home.example.org", "type": "home"},
                    {"value": "ada@old.example.com", "type": "work", "primary": true}
                ]
            }))
            .await;
        let r = s
            .patch(
                &user_path(&u),
                json!([{"op": "replace", "path": "emails[type eq \"work\"].value",
                        "value": "ada@new.example.com"}]),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(
            r.body["emails"],
            json!([
                {"value": "ada@home.example.org", "type": "home"},
                {"value": "ada@new.example.com", "type": "work", "primary": true}
            ]),
            "{}",
            r.body
        );
        assert_eq!(s.matching("emails.value eq \"ada@new.example.com\"").await, names(&["ada"]));
        assert!(s.matching("emails.value eq \"ada@old.example.com\"").await.is_empty());
    }

    async fn patch_an_enterprise_attribute_by_its_extension_path(db: TestDb) {
        let s = setup(db).await;
        let u = s.user("ada").await;
        let r = s
            .patch(
                &user_path(&u),
                json!([
                    {"op": "add", "path": format!("{ENTERPRISE}:department"), "value": "Research"},
                    {"op": "replace", "path": format!("{ENTERPRISE}:employeeNumber"), "value": "1815"}
                ]),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body[ENTERPRISE]["department"], "Research", "{}", r.body);
        assert_eq!(r.body[ENTERPRISE]["employeeNumber"], "1815", "{}", r.body);
        assert_eq!(r.body["schemas"], json!([USER, ENTERPRISE]), "{}", r.body);
        let r = s
            .patch(
                &user_path(&u),
                json!([{"op": "remove", "path": format!("{ENTERPRISE}:department")}]),
            )
            .await
            .expect(StatusCode::OK);
        assert!(r.body[ENTERPRISE].get("department").is_none(), "{}", r.body);
    }

    async fn patch_adds_and_removes_group_members(db: TestDb) {
        let s = setup(db).await;
        let ada = s.user("ada").await;
        let bob = s.user("bob").await;
        let g = s.group("Eng", &[&ada]).await;
        let r = s
            .patch(
                &group_path(&g),
                json!([{"op": "add", "path": "members", "value": [{"value": id(&bob)}]}]),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(member_ids(&r.body), set(&[id(&ada), id(&bob)]), "{}", r.body);
        assert_eq!(r.header("etag"), Some("W/\"2\""));
        let r = s
            .patch(
                &group_path(&g),
                json!([{"op": "remove", "path": format!("members[value eq \"{}\"]", id(&ada))}]),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(member_ids(&r.body), set(&[id(&bob)]), "{}", r.body);
    }

    async fn a_user_patch_failing_in_its_second_operation_changes_nothing(db: TestDb) {
        let s = setup(db).await;
        let u = s
            .create_user(json!({"schemas": [USER], "userName": "ada", "displayName": "Ada"}))
            .await;
        let r = s
            .patch(
                &user_path(&u),
                json!([
                    {"op": "replace", "path": "displayName", "value": "Changed"},
                    {"op": "replace", "path": "shoeSize", "value": "42"}
                ]),
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert_eq!(r.body["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:Error"]));
        let got = s.get(&user_path(&u)).await.expect(StatusCode::OK);
        assert_eq!(got.body, u);
        assert_eq!(got.header("etag"), Some("W/\"1\""));
    }

    async fn a_group_patch_failing_in_its_second_operation_changes_nothing(db: TestDb) {
        let s = setup(db).await;
        let ada = s.user("ada").await;
        let g = s.group("Eng", &[]).await;
        // The first operation's member is written before the second's is
        // found missing: the transaction must take it back.
        s.patch(
            &group_path(&g),
            json!([
                {"op": "replace", "path": "displayName", "value": "Changed"},
                {"op": "add", "path": "members", "value": [{"value": id(&ada)}]},
                {"op": "add", "path": "members", "value": [{"value": uuid::Uuid::now_v7().to_string()}]}
            ]),
        )
        .await
        .expect_scim_error(StatusCode::BAD_REQUEST, Some("invalidValue"));
        let got = s.get(&group_path(&g)).await.expect(StatusCode::OK);
        assert_eq!(got.body["displayName"], "Eng", "{}", got.body);
        assert!(member_ids(&got.body).is_empty(), "{}", got.body);
        assert_eq!(got.header("etag"), Some("W/\"1\""));
        let ada_now = s.get(&user_path(&ada)).await.body;
        assert!(ada_now.get("groups").is_none(), "{ada_now}");
    }
}

// ---------------------------------------------------------------------------
// Bulk
// ---------------------------------------------------------------------------

fn bulk(operations: Value) -> Value {
    json!({"schemas": [BULK_REQUEST], "Operations": operations})
}

both_backends! {
    async fn bulk_links_a_group_to_a_user_created_earlier_by_bulk_id(db: TestDb) {
        let s = setup(db).await;
        let r = s
            .post(
                "/Bulk",
                bulk(json!([
                    {"method": "POST", "path": "/Users", "bulkId": "ada",
                     "data": {"schemas": [USER], "userName": "ada"}},
                    {"method": "POST", "path": "/Groups", "bulkId": "eng",
                     "data": {"schemas": [GROUP], "displayName": "Engineering",
                              "members": [{"type": "User", "value": "bulkId:ada"}]}}
                ])),
            )
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["schemas"], json!([BULK_RESPONSE]), "{}", r.body);
        let ops = r.body["Operations"].as_array().expect("Operations");
        assert_eq!(ops.len(), 2, "{}", r.body);
        assert_eq!(ops[0]["status"], "201", "{}", r.body);
        assert_eq!(ops[1]["status"], "201", "{}", r.body);
        let user_loc = ops[0]["location"].as_str().expect("location");
        let group_loc = ops[1]["location"].as_str().expect("location");
        let user_id = user_loc.rsplit('/').next().unwrap();
        let group_id = group_loc.rsplit('/').next().unwrap();
        assert_eq!(user_loc, format!("http://localhost/t/acme/scim/v2/Users/{user_id}"));
        let g = s.get(&format!("/Groups/{group_id}")).await.expect(StatusCode::OK).body;
        assert_eq!(member_ids(&g), set(&[user_id]), "{g}");
        let u = s.get(&format!("/Users/{user_id}")).await.expect(StatusCode::OK).body;
        assert_eq!(u["groups"][0]["value"], group_id, "{u}");
    }

    async fn bulk_results_carry_method_bulk_id_status_location_and_version(db: TestDb) {
        let s = setup(db).await;
        let bob = s.user("bob").await;
        let r = s
            .post(
                "/Bulk",
                bulk(json!([
                    {"method": "POST", "path": "/Users", "bulkId": "ada",
                     "data": {"schemas": [USER], "userName": "ada"}},
                    {"method": "PATCH", "path": "/Users/bulkId:ada", "version": "W/\"1\"",
                     "data": patch_op(json!([{"op": "replace", "path": "title", "value": "Countess"}]))},
                    {"method": "PUT", "path": user_path(&bob),
                     "data": {"schemas": [USER], "userName": "bob", "title": "Engineer"}},
                    {"method": "DELETE", "path": user_path(&bob)}
                ])),
            )
            .await
            .expect(StatusCode::OK);
        let ops = r.body["Operations"].as_array().expect("Operations");
        let statuses: Vec<&str> = ops.iter().map(|o| o["status"].as_str().expect("a string")).collect();
        assert_eq!(statuses, ["201", "200", "200", "204"], "{}", r.body);
        let methods: Vec<&str> = ops.iter().map(|o| o["method"].as_str().unwrap()).collect();
        assert_eq!(methods, ["POST", "PATCH", "PUT", "DELETE"], "{}", r.body);
        assert_eq!(ops[0]["bulkId"], "ada", "{}", r.body);
        assert_eq!(ops[0]["version"], "W/\"1\"", "{}", r.body);
        assert_eq!(ops[1]["version"], "W/\"2\"", "{}", r.body);
        assert_eq!(ops[1]["location"], ops[0]["location"], "{}", r.body);
        assert_eq!(ops[2]["version"], "W/\"2\"", "{}", r.body);
        assert!(ops[2]["location"].as_str().unwrap().ends_with(&user_path(&bob)), "{}", r.body);
        let ada_id = ops[0]["location"].as_str().unwrap().rsplit('/').next().unwrap();
        let ada = s.get(&format!("/Users/{ada_id}")).await.expect(StatusCode::OK).body;
        assert_eq!(ada["title"], "Countess", "{ada}");
        s.get(&user_path(&bob)).await.expect_scim_error(StatusCode::NOT_FOUND, None);
    }

    async fn bulk_with_fail_on_errors_1_stops_after_the_first_failure(db: TestDb) {
        let s = setup(db).await;
        s.user("ada").await;
        let r = s
            .post(
                "/Bulk",
                json!({
                    "schemas": [BULK_REQUEST],
                    "failOnErrors": 1,
                    "Operations": [
                        {"method": "POST", "path": "/Users", "bulkId": "dup",
                         "data": {"schemas": [USER], "userName": "ADA"}},
                        {"method": "POST", "path": "/Users", "bulkId": "new",
                         "data": {"schemas": [USER], "userName": "newcomer"}}
                    ]
                }),
            )
            .await
            .expect(StatusCode::OK);
        let ops = r.body["Operations"].as_array().expect("Operations");
        assert_eq!(ops.len(), 1, "{}", r.body);
        assert_eq!(ops[0]["status"], "409", "{}", r.body);
        assert_eq!(ops[0]["response"]["scimType"], "uniqueness", "{}", r.body);
        assert!(s.matching("userName eq \"newcomer\"").await.is_empty());
    }

    async fn bulk_without_fail_on_errors_runs_every_operation(db: TestDb) {
        let s = setup(db).await;
        s.user("ada").await;
        let r = s
            .post(
                "/Bulk",
                bulk(json!([
                    {"method": "POST", "path": "/Users", "bulkId": "dup",
                     "data": {"schemas": [USER], "userName": "ADA"}},
                    {"method": "POST", "path": "/Users", "bulkId": "new",
                     "data": {"schemas": [USER], "userName": "newcomer"}}
                ])),
            )
            .await
            .expect(StatusCode::OK);
        let statuses: Vec<&str> = r.body["Operations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["status"].as_str().unwrap())
            .collect();
        assert_eq!(statuses, ["409", "201"], "{}", r.body);
        assert_eq!(s.matching("userName eq \"newcomer\"").await, names(&["newcomer"]));
    }

    async fn bulk_with_more_than_max_operations_is_a_413_too_many(db: TestDb) {
        let s = setup(db).await;
        let u = s.user("ada").await;
        let ops: Vec<Value> = (0..1001)
            .map(|_| json!({"method": "DELETE", "path": "/Users/x"}))
            .collect();
        s.post("/Bulk", bulk(Value::Array(ops)))
            .await
            .expect_scim_error(StatusCode::PAYLOAD_TOO_LARGE, Some("tooMany"));
        // Nothing ran.
        let mut ops: Vec<Value> = (0..1000)
            .map(|_| json!({"method": "DELETE", "path": "/Users/x"}))
            .collect();
        ops.push(json!({"method": "DELETE", "path": user_path(&u)}));
        s.post("/Bulk", bulk(Value::Array(ops)))
            .await
            .expect_scim_error(StatusCode::PAYLOAD_TOO_LARGE, Some("tooMany"));
        s.get(&user_path(&u)).await.expect(StatusCode::OK);
    }

    async fn a_bulk_request_larger_than_max_payload_size_is_a_413(db: TestDb) {
        let s = setup(db).await;
        let big = "x".repeat(1024);
        let ops: Vec<Value> = (0..70)
            .map(|i| json!({"method": "POST", "path": "/Users", "bulkId": format!("b{i}"),
                            "data": {"userName": format!("u{i}"), "title": big}}))
            .collect();
        s.post("/Bulk", bulk(Value::Array(ops)))
            .await
            .expect_scim_error(StatusCode::PAYLOAD_TOO_LARGE, None);
        assert_eq!(s.list("/Users").await["totalResults"], 0);
    }

    async fn a_reference_to_an_unknown_bulk_id_fails_that_operation_with_409(db: TestDb) {
        let s = setup(db).await;
        let r = s
            .post(
                "/Bulk",
                bulk(json!([
                    {"method": "POST", "path": "/Groups", "bulkId": "eng",
                     "data": {"schemas": [GROUP], "displayName": "Engineering",
                              "members": [{"value": "bulkId:nobody"}]}},
                    {"method": "POST", "path": "/Groups", "bulkId": "ops",
                     "data": {"schemas": [GROUP], "displayName": "Ops"}}
                ])),
            )
            .await
            .expect(StatusCode::OK);
        let ops = r.body["Operations"].as_array().expect("Operations");
        assert_eq!(ops[0]["status"], "409", "{}", r.body);
        assert_eq!(ops[0]["bulkId"], "eng", "{}", r.body);
        assert_eq!(ops[0]["response"]["status"], "409", "{}", r.body);
        assert_eq!(
            ops[0]["response"]["schemas"],
            json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
            "{}",
            r.body
        );
        assert!(ops[0].get("location").is_none(), "{}", r.body);
        assert_eq!(ops[1]["status"], "201", "{}", r.body);
        let list = s.list("/Groups").await;
        assert_eq!(strings_of(&list, "displayName"), names(&["Ops"]));
    }
}

// ---------------------------------------------------------------------------
// Authentication
// ---------------------------------------------------------------------------

both_backends! {
    async fn a_request_without_a_token_is_a_401_scim_error(db: TestDb) {
        let s = setup(db).await;
        s.app
            .send("GET", "/t/acme/scim/v2/Users", None, None, &[])
            .await
            .expect_scim_error(StatusCode::UNAUTHORIZED, None);
        s.app
            .send(
                "POST",
                "/t/acme/scim/v2/Users",
                None,
                Some(json!({"schemas": [USER], "userName": "ada"})),
                &[],
            )
            .await
            .expect_scim_error(StatusCode::UNAUTHORIZED, None);
        assert_eq!(s.list("/Users").await["totalResults"], 0);
    }

    async fn a_wrong_token_is_a_401_scim_error(db: TestDb) {
        let s = setup(db).await;
        for token in ["lks_not-a-real-token", "nonsense", &format!("{}x", s.token)] {
            s.app
                .scim("GET", &s.slug, "/Users", token, None)
                .await
                .expect_scim_error(StatusCode::UNAUTHORIZED, None);
        }
    }

    async fn a_tenant_admin_token_is_a_403(db: TestDb) {
        let s = setup(db).await;
        let admin = s.app.token(&s.slug, &["admin"]).await;
        s.app
            .scim("GET", &s.slug, "/Users", &admin, None)
            .await
            .expect_scim_error(StatusCode::FORBIDDEN, None);
        s.app
            .scim(
                "POST",
                &s.slug,
                "/Users",
                &admin,
                Some(json!({"schemas": [USER], "userName": "ada"})),
            )
            .await
            .expect_scim_error(StatusCode::FORBIDDEN, None);
        assert_eq!(s.list("/Users").await["totalResults"], 0);
    }

    async fn another_tenants_scim_token_is_a_404(db: TestDb) {
        let s = setup(db).await;
        let other = s.app.tenant("globex").await;
        let theirs = s.app.scim_token(&other).await;
        let ada = s.user("ada").await;
        s.app
            .scim("GET", &s.slug, "/Users", &theirs, None)
            .await
            .expect_scim_error(StatusCode::NOT_FOUND, None);
        s.app
            .scim("GET", &s.slug, &user_path(&ada), &theirs, None)
            .await
            .expect_scim_error(StatusCode::NOT_FOUND, None);
        // Their token sees their tenant, without our user.
        let r = s
            .app
            .scim("GET", &other, "/Users", &theirs, None)
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["totalResults"], 0, "{}", r.body);
        s.app
            .scim("GET", &other, &user_path(&ada), &theirs, None)
            .await
            .expect_scim_error(StatusCode::NOT_FOUND, None);
    }

    async fn a_platform_token_provisions_any_tenant(db: TestDb) {
        let s = setup(db).await;
        let platform = s.app.platform.clone();
        let r = s
            .app
            .scim(
                "POST",
                &s.slug,
                "/Users",
                &platform,
                Some(json!({"schemas": [USER], "userName": "ada"})),
            )
            .await
            .expect(StatusCode::CREATED);
        s.app
            .scim("GET", &s.slug, &user_path(&r.body), &platform, None)
            .await
            .expect(StatusCode::OK);
        assert_eq!(s.list("/Users").await["totalResults"], 1);
    }
}

// ---------------------------------------------------------------------------
// Audit
// ---------------------------------------------------------------------------

both_backends! {
    async fn a_scim_create_is_audited_with_the_scim_token_as_actor(db: TestDb) {
        let s = setup(db).await;
        let u = s.user("ada").await;
        let tokens = s
            .app
            .get(&s.rest("/tokens"), &s.app.platform)
            .await
            .expect(StatusCode::OK)
            .body;
        let scim = tokens["items"]
            .as_array()
            .unwrap()
            .iter()
            .find(|t| t["scopes"] == json!(["scim"]))
            .unwrap_or_else(|| panic!("no SCIM token in {tokens}"));
        let actor = format!("token:{}", id(scim));
        let events = s
            .app
            .get(&s.rest("/events?action=user.create"), &s.app.platform)
            .await
            .expect(StatusCode::OK)
            .body;
        let items = events["items"].as_array().unwrap();
        assert_eq!(items.len(), 1, "{events}");
        let e = &items[0];
        assert_eq!(e["actor"], actor.as_str(), "{e}");
        assert_eq!(e["target_type"], "user", "{e}");
        assert_eq!(e["target_id"], id(&u), "{e}");
        let by_actor = s
            .app
            .get(&s.rest(&format!("/events?actor={actor}")), &s.app.platform)
            .await
            .expect(StatusCode::OK)
            .body;
        assert_eq!(by_actor["items"].as_array().unwrap().len(), 1, "{by_actor}");
    }
}

both_backends! {
    async fn the_email_of_a_user_created_over_rest_is_visible_over_scim(db: TestDb) {
        let s = setup(db).await;
        let rest = s.app.user(&s.slug, &s.app.platform, "bob").await;
        let bob_id = rest["id"].as_str().unwrap();
        let got = s.get(&format!("/Users/{bob_id}")).await.expect(StatusCode::OK).body;
        assert_eq!(got["emails"][0]["value"], "bob@example.com", "{got}");
        assert_eq!(
            s.matching("emails.value eq \"bob@example.com\"").await,
            names(&["bob"])
        );
    }

    async fn if_none_match_uses_the_weak_comparison(db: TestDb) {
        let s = setup(db).await;
        let u = s.user("ada").await;
        s.call_with("GET", &user_path(&u), None, &[("If-None-Match", "\"1\"")])
            .await
            .expect(StatusCode::NOT_MODIFIED);
    }

    async fn deleting_a_user_changes_the_etag_of_the_groups_that_listed_them(db: TestDb) {
        let s = setup(db).await;
        let ada = s.user("ada").await;
        let g = s.group("Engineering", &[&ada]).await;
        let before = s.get(&group_path(&g)).await.expect(StatusCode::OK);
        let tag = before.header("etag").unwrap().to_owned();
        s.delete(&user_path(&ada)).await.expect(StatusCode::NO_CONTENT);
        // The group's members changed: a cached copy must not be confirmed.
        let r = s
            .call_with("GET", &group_path(&g), None, &[("If-None-Match", &tag)])
            .await;
        assert_eq!(r.status, StatusCode::OK, "the stale ETag {tag} was confirmed");
        assert_ne!(r.header("etag"), Some(tag.as_str()));
    }

    async fn deleting_a_manager_changes_the_etag_of_the_users_they_managed(db: TestDb) {
        let s = setup(db).await;
        let boss = s.user("boss").await;
        let ada = s
            .create_user(json!({
                "schemas": [USER, ENTERPRISE],
                "userName": "ada",
                (ENTERPRISE): {"manager": {"value": id(&boss)}}
            }))
            .await;
        s.delete(&user_path(&boss)).await.expect(StatusCode::NO_CONTENT);
        let r = s
            .call_with("GET", &user_path(&ada), None, &[("If-None-Match", "W/\"1\"")])
            .await;
        assert_eq!(r.status, StatusCode::OK, "the stale ETag W/\"1\" was confirmed");
    }

    async fn a_wrong_token_cannot_tell_whether_a_tenant_exists(db: TestDb) {
        let s = setup(db).await;
        let known = s.app.scim("GET", &s.slug, "/Users", "lks_not-a-real-token", None).await;
        let unknown = s
            .app
            .scim("GET", "no-such-tenant", "/Users", "lks_not-a-real-token", None)
            .await;
        assert_eq!(known.status, unknown.status, "known: {}, unknown: {}", known.body, unknown.body);
        unknown.expect_scim_error(StatusCode::UNAUTHORIZED, None);
    }
}
