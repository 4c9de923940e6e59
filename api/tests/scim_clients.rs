//! SCIM as Microsoft Entra ID and Okta speak it: each test replays the
//! requests those clients document (`fixtures/scim/*.json`, see its README)
//! against a tenant's `/t/{tenant}/scim/v2`, and checks both the answer and
//! the state the request leaves behind, read back with GET.

mod common;
use common::*;

use std::collections::BTreeSet;

use poem::http::StatusCode;
use serde_json::{Value, json};
use testing::TestDb;

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
const LIST_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:ListResponse";

/// One documented client request, placeholders substituted.
struct Fixture {
    name: String,
    method: String,
    path: String,
    query: String,
    body: Option<Value>,
}

/// Loads `fixtures/scim/{name}.json`, replacing each `(placeholder, id)` by
/// plain text replacement, as the README prescribes.
fn fixture(name: &str, ids: &[(&str, &str)]) -> Fixture {
    let file = format!(
        "{}/tests/fixtures/scim/{name}.json",
        env!("CARGO_MANIFEST_DIR")
    );
    let mut text =
        std::fs::read_to_string(&file).unwrap_or_else(|e| panic!("cannot read {file}: {e}"));
    for (placeholder, id) in ids {
        text = text.replace(placeholder, id);
    }
    let doc: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{file}: {e}"));
    assert!(
        !text.contains("{user_id")
            && !text.contains("{group_id}")
            && !text.contains("{manager_id}"),
        "{name}: a placeholder was left unsubstituted"
    );
    let s = |k: &str| doc[k].as_str().unwrap_or_default().to_owned();
    Fixture {
        name: name.to_owned(),
        method: s("method"),
        path: s("path"),
        query: s("query"),
        body: Some(doc["body"].clone()).filter(|b| !b.is_null()),
    }
}

/// Percent-encodes a query value: everything but RFC 3986's unreserved set.
fn percent_encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len() * 3);
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

impl Fixture {
    /// The query as it goes on the wire. Okta's fixtures and the captured
    /// Entra log line are printed encoded already; Entra's tutorial prints
    /// its queries decoded, so their values are encoded here.
    fn wire_query(&self) -> String {
        if self.name.starts_with("okta_") || self.name.ends_with("_captured") {
            return self.query.clone();
        }
        self.query
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|pair| match pair.split_once('=') {
                Some((k, v)) => format!("{k}={}", percent_encode(v)),
                None => pair.to_owned(),
            })
            .collect::<Vec<_>>()
            .join("&")
    }

    fn target(&self) -> String {
        let q = self.wire_query();
        if q.is_empty() {
            self.path.clone()
        } else {
            format!("{}?{q}", self.path)
        }
    }

    async fn send(&self, app: &TestApp, slug: &str, token: &str) -> Reply {
        app.scim(&self.method, slug, &self.target(), token, self.body.clone())
            .await
    }
}

/// Replays fixture `name` with `ids` substituted.
async fn replay(app: &TestApp, slug: &str, token: &str, name: &str, ids: &[(&str, &str)]) -> Reply {
    fixture(name, ids).send(app, slug, token).await
}

/// A tenant `acme` and its SCIM token.
async fn setup(db: TestDb) -> (TestApp, String, String) {
    let app = TestApp::start(db).await;
    let slug = app.tenant("acme").await;
    let token = app.scim_token(&slug).await;
    (app, slug, token)
}

fn id(resource: &Value) -> String {
    resource["id"]
        .as_str()
        .unwrap_or_else(|| panic!("no id in {resource}"))
        .to_owned()
}

async fn get(app: &TestApp, slug: &str, token: &str, path: &str) -> Value {
    app.scim("GET", slug, path, token, None)
        .await
        .expect(StatusCode::OK)
        .body
}

async fn get_user(app: &TestApp, slug: &str, token: &str, user: &str) -> Value {
    get(app, slug, token, &format!("/Users/{user}")).await
}

async fn get_group(app: &TestApp, slug: &str, token: &str, group: &str) -> Value {
    get(app, slug, token, &format!("/Groups/{group}")).await
}

/// The user as the REST API shows it (platform token).
async fn rest_user(app: &TestApp, slug: &str, user: &str) -> Value {
    app.get(
        &format!("/api/v1/tenants/{slug}/users/{user}"),
        &app.platform,
    )
    .await
    .expect(StatusCode::OK)
    .body
}

/// The `value` of the e-mail of this `type`.
fn email<'a>(user: &'a Value, kind: &str) -> Option<&'a str> {
    user["emails"]
        .as_array()?
        .iter()
        .find(|e| e["type"] == kind)?["value"]
        .as_str()
}

fn members(group: &Value) -> BTreeSet<String> {
    group["members"]
        .as_array()
        .map(|m| m.iter().map(id_of_member).collect())
        .unwrap_or_default()
}

fn id_of_member(m: &Value) -> String {
    m["value"].as_str().expect("a member value").to_owned()
}

fn set(ids: &[&str]) -> BTreeSet<String> {
    ids.iter().map(|s| (*s).to_owned()).collect()
}

/// Asserts a ListResponse whose paging fields are JSON integers; returns its resources.
#[track_caller]
fn list(body: &Value) -> Vec<Value> {
    assert_eq!(body["schemas"], json!([LIST_RESPONSE]), "{body}");
    for field in ["totalResults", "itemsPerPage", "startIndex"] {
        assert!(body[field].is_u64(), "`{field}` is not an integer: {body}");
    }
    let resources = body["Resources"].as_array().cloned().unwrap_or_default();
    assert_eq!(body["itemsPerPage"], json!(resources.len()), "{body}");
    resources
}

/// A group with `members`, created over SCIM.
async fn scim_group(app: &TestApp, slug: &str, token: &str, name: &str, members: &[&str]) -> Value {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m})).collect();
    app.scim(
        "POST",
        slug,
        "/Groups",
        token,
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
            "displayName": name,
            "members": members,
        })),
    )
    .await
    .expect(StatusCode::CREATED)
    .body
}

/// Creates the user of `entra_create_user` and returns its id.
async fn entra_user(app: &TestApp, slug: &str, token: &str) -> String {
    let r = replay(app, slug, token, "entra_create_user", &[])
        .await
        .expect(StatusCode::CREATED);
    id(&r.body)
}

both_backends! {
    // ---- Microsoft Entra ID: users ------------------------------------------

    async fn entra_creates_a_user_then_finds_it_by_user_name_and_gets_it_by_id(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        // Test Connection: a query for a user that does not exist is 200 with an empty list.
        let none = replay(&app, &slug, &token, "entra_get_user_by_username_no_match", &[])
            .await
            .expect(StatusCode::OK);
        assert!(list(&none.body).is_empty());
        assert_eq!(none.body["totalResults"], 0);

        let created = replay(&app, &slug, &token, "entra_create_user", &[])
            .await
            .expect(StatusCode::CREATED);
        let user = id(&created.body);
        assert!(created.header("location").is_some_and(|l| l.ends_with(&format!("/Users/{user}"))));
        assert!(created.header("etag").is_some());

        let found = replay(&app, &slug, &token, "entra_get_user_by_username", &[])
            .await
            .expect(StatusCode::OK);
        let found = list(&found.body);
        assert_eq!(found.len(), 1);
        assert_eq!(id(&found[0]), user);

        let got = replay(&app, &slug, &token, "entra_get_user", &[("{user_id}", &user)])
            .await
            .expect(StatusCode::OK)
            .body;
        assert_eq!(got["userName"], "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee");
        assert_eq!(got["externalId"], "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef");
        assert_eq!(got["active"], true);
        assert_eq!(
            email(&got, "work"),
            Some("Test_User_11bb11bb-cc22-dd33-ee44-55ff55ff55ff@testuser.com")
        );
        assert_eq!(got["name"]["givenName"], "givenName");
        assert_eq!(got["name"]["familyName"], "familyName");
        assert_eq!(got["name"]["formatted"], "givenName familyName");
        assert_eq!(got["meta"]["resourceType"], "User");
        // The REST API sees the same user.
        let rest = rest_user(&app, &slug, &user).await;
        assert_eq!(rest["user_name"], "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee");
        assert_eq!(rest["active"], true);
    }

    async fn entra_provisions_a_user_sending_nulls_and_a_misspelt_extension_urn(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let created = replay(&app, &slug, &token, "entra_create_user_provision_example", &[])
            .await
            .expect(StatusCode::CREATED);
        let user = id(&created.body);
        let got = get_user(&app, &slug, &token, &user).await;
        assert_eq!(got["userName"], "jyoung@testuser.com");
        assert_eq!(got["externalId"], "jyoung");
        assert_eq!(got["displayName"], "Joy Young");
        assert_eq!(email(&got, "work"), Some("jyoung@Contoso.com"));
        assert_eq!(got["name"], json!({"familyName": "Young", "givenName": "Joy"}));
        for absent in ["addresses", "phoneNumbers", "title", "preferredLanguage", ENTERPRISE] {
            assert!(got.get(absent).is_none(), "`{absent}` was sent as null: {got}");
        }
    }

    async fn entra_finds_a_user_by_a_quoted_external_id_with_plus_for_spaces(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let john = app.scim("POST", &slug, "/Users", &token, Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "johnwong@example.com",
            "externalId": "johnwong",
        }))).await.expect(StatusCode::CREATED).body;
        app.scim_user(&slug, &token, "someone-else").await;
        let r = replay(&app, &slug, &token, "entra_get_user_by_externalid_captured", &[])
            .await
            .expect(StatusCode::OK);
        let found = list(&r.body);
        assert_eq!(found.len(), 1, "{}", r.body);
        assert_eq!(id(&found[0]), id(&john));
    }

    async fn entra_unquoted_external_id_filter_finds_the_user(db: TestDb) {
        // `externalId eq jyoung` (Entra's Example 1) is not RFC 7644 syntax;
        // a bare word is read as a string (docs/scim.md, "What clients send").
        let (app, slug, token) = setup(db).await;
        let created = replay(&app, &slug, &token, "entra_create_user_provision_example", &[])
            .await
            .expect(StatusCode::CREATED)
            .body;
        app.scim_user(&slug, &token, "someone-else").await;
        let r = replay(&app, &slug, &token, "entra_get_user_by_externalid", &[])
            .await
            .expect(StatusCode::OK);
        let found = list(&r.body);
        assert_eq!(found.len(), 1, "{}", r.body);
        assert_eq!(id(&found[0]), id(&created));
    }

    async fn entra_capitalised_replace_ops_change_email_family_name_and_user_name(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let user = entra_user(&app, &slug, &token).await;
        let ids = [("{user_id}", user.as_str())];

        let r = replay(&app, &slug, &token, "entra_patch_user_replace_email_familyname", &ids)
            .await
            .expect(StatusCode::OK);
        assert_eq!(email(&r.body, "work"), Some("updatedEmail@microsoft.com"));
        let got = get_user(&app, &slug, &token, &user).await;
        assert_eq!(email(&got, "work"), Some("updatedEmail@microsoft.com"));
        assert_eq!(got["emails"].as_array().map(Vec::len), Some(1), "{got}");
        assert_eq!(got["emails"][0]["primary"], true, "{got}");
        assert_eq!(got["name"]["familyName"], "updatedFamilyName");
        assert_eq!(got["name"]["givenName"], "givenName", "other name parts are kept");
        assert_eq!(rest_user(&app, &slug, &user).await["email"], "updatedEmail@microsoft.com");

        replay(&app, &slug, &token, "entra_patch_user_replace_username", &ids)
            .await
            .expect(StatusCode::OK);
        let got = get_user(&app, &slug, &token, &user).await;
        assert_eq!(got["userName"], "5b50642d-79fc-4410-9e90-4c077cdd1a59@testuser.com");
    }

    async fn entra_replaces_six_attributes_in_one_request_including_an_enterprise_one(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let user = entra_user(&app, &slug, &token).await;
        replay(&app, &slug, &token, "entra_patch_user_replace_multiple", &[("{user_id}", &user)])
            .await
            .expect(StatusCode::OK);
        let got = get_user(&app, &slug, &token, &user).await;
        assert_eq!(got["displayName"], "Pvlo");
        assert_eq!(email(&got, "work"), Some("TestBcwqnm@test.microsoft.com"));
        assert_eq!(got["name"]["givenName"], "Gtfd");
        assert_eq!(got["name"]["familyName"], "Pkqf");
        assert_eq!(got["externalId"], "Eqpj");
        assert_eq!(got[ENTERPRISE]["employeeNumber"], "Eqpj");
        assert!(
            got["schemas"].as_array().unwrap().contains(&json!(ENTERPRISE)),
            "{got}"
        );
    }

    async fn entra_path_less_replace_takes_dotted_and_full_urn_keys(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let user = entra_user(&app, &slug, &token).await;
        replay(&app, &slug, &token, "entra_patch_user_replace_pathless", &[("{user_id}", &user)])
            .await
            .expect(StatusCode::OK);
        let got = get_user(&app, &slug, &token, &user).await;
        assert_eq!(email(&got, "work"), Some("TestMhvaes@test.microsoft.com"));
        assert_eq!(got["displayName"], "Bjfe");
        assert_eq!(got["name"]["givenName"], "Kkom");
        assert_eq!(got["name"]["familyName"], "Unua");
        // `name.givenName` replaced that sub-attribute, not the whole name.
        assert_eq!(got["name"]["formatted"], "givenName familyName");
        assert_eq!(got[ENTERPRISE]["employeeNumber"], "Aklq");
        // Nothing was stored under the dotted keys themselves.
        assert!(got.get("name.givenName").is_none(), "{got}");
    }

    async fn entra_disables_a_user_with_false_or_the_string_false(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        for (n, fixture_name) in [
            "entra_disable_user",
            "entra_disable_user_flag",
            "entra_patch_user_active_string",
        ]
        .into_iter()
        .enumerate()
        {
            let user = id(&app.scim("POST", &slug, "/Users", &token, Some(json!({
                "userName": format!("user{n}@example.com"),
                "active": true,
            }))).await.expect(StatusCode::CREATED).body);
            let r = replay(&app, &slug, &token, fixture_name, &[("{user_id}", &user)])
                .await
                .expect(StatusCode::OK);
            assert_eq!(r.body["active"], false, "{fixture_name}: {}", r.body);
            let got = get_user(&app, &slug, &token, &user).await;
            assert_eq!(got["active"], json!(false), "{fixture_name}: stored as a boolean");
            assert_eq!(rest_user(&app, &slug, &user).await["active"], false, "{fixture_name}");
        }
    }

    async fn entra_adds_a_single_valued_nickname_with_add_in_either_case(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        for (n, fixture_name) in ["entra_patch_user_add_nickname", "entra_patch_user_add_nickname_flag"]
            .into_iter()
            .enumerate()
        {
            let user = id(&app.scim_user(&slug, &token, &format!("babs{n}")).await);
            replay(&app, &slug, &token, fixture_name, &[("{user_id}", &user)])
                .await
                .expect(StatusCode::OK);
            assert_eq!(get_user(&app, &slug, &token, &user).await["nickName"], "Babs", "{fixture_name}");
        }
    }

    async fn entra_sets_the_manager_as_a_plain_id_string(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let manager = app.scim("POST", &slug, "/Users", &token, Some(json!({
            "userName": "boss@example.com", "displayName": "The Boss",
        }))).await.expect(StatusCode::CREATED).body;
        let manager = id(&manager);
        let user = entra_user(&app, &slug, &token).await;
        replay(&app, &slug, &token, "entra_patch_user_manager",
            &[("{user_id}", &user), ("{manager_id}", &manager)])
            .await
            .expect(StatusCode::OK);
        let got = get_user(&app, &slug, &token, &user).await;
        assert_eq!(got[ENTERPRISE]["manager"]["value"], manager.as_str(), "{got}");
        assert_eq!(got[ENTERPRISE]["manager"]["displayName"], "The Boss", "{got}");
    }

    async fn entra_sets_the_manager_as_a_one_element_reference_array(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let manager = id(&app.scim_user(&slug, &token, "boss@example.com").await);
        let user = entra_user(&app, &slug, &token).await;
        replay(&app, &slug, &token, "entra_patch_user_manager_reference",
            &[("{user_id}", &user), ("{manager_id}", &manager)])
            .await
            .expect(StatusCode::OK);
        let got = get_user(&app, &slug, &token, &user).await;
        assert_eq!(got[ENTERPRISE]["manager"]["value"], manager.as_str(), "{got}");
        assert!(got.get("manager").is_none(), "stored in the extension: {got}");
    }

    async fn entra_mixed_patch_replaces_email_and_address_and_adds_department(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let user = entra_user(&app, &slug, &token).await;
        replay(&app, &slug, &token, "entra_patch_user_mixed_captured", &[("{user_id}", &user)])
            .await
            .expect(StatusCode::OK);
        let got = get_user(&app, &slug, &token, &user).await;
        assert_eq!(email(&got, "work"), Some("AdeleV2@REDACTED.onmicrosoft.com"));
        let address = got["addresses"]
            .as_array()
            .and_then(|a| a.iter().find(|a| a["type"] == "work"))
            .unwrap_or_else(|| panic!("no work address: {got}"));
        assert_eq!(address["formatted"], "18/2111");
        assert_eq!(got[ENTERPRISE]["department"], "Retail");
    }

    async fn entra_app_role_holding_json_text_is_kept_as_text(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let user = entra_user(&app, &slug, &token).await;
        let f = fixture("entra_patch_user_add_role", &[("{user_id}", &user)]);
        let role = f.body.as_ref().unwrap()["Operations"][0]["value"][0]["value"].clone();
        f.send(&app, &slug, &token).await.expect(StatusCode::OK);
        let got = get_user(&app, &slug, &token, &user).await;
        assert_eq!(got["roles"].as_array().map(Vec::len), Some(1), "{got}");
        assert_eq!(got["roles"][0]["value"], role);
    }

    async fn entra_deletes_a_user(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let user = entra_user(&app, &slug, &token).await;
        let other = id(&app.scim_user(&slug, &token, "stays").await);
        let r = replay(&app, &slug, &token, "entra_delete_user", &[("{user_id}", &user)])
            .await
            .expect(StatusCode::NO_CONTENT);
        assert_eq!(r.body, Value::Null);
        app.scim("GET", &slug, &format!("/Users/{user}"), &token, None)
            .await
            .expect_scim_error(StatusCode::NOT_FOUND, None);
        replay(&app, &slug, &token, "entra_delete_user", &[("{user_id}", &user)])
            .await
            .expect_scim_error(StatusCode::NOT_FOUND, None);
        get_user(&app, &slug, &token, &other).await;
    }

    // ---- Microsoft Entra ID: groups -----------------------------------------

    async fn entra_creates_a_group_with_its_own_extra_schema_and_reads_it_without_members(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let created = replay(&app, &slug, &token, "entra_create_group", &[])
            .await
            .expect(StatusCode::CREATED);
        let group = id(&created.body);
        assert_eq!(created.body["displayName"], "displayName");
        assert_eq!(created.body["externalId"], "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159");
        // Give it a member, so that "no members" below means "excluded".
        let user = id(&app.scim_user(&slug, &token, "member").await);
        replay(&app, &slug, &token, "entra_patch_group_add_members",
            &[("{group_id}", &group), ("{user_id}", &user)])
            .await
            .expect(StatusCode::OK);
        assert_eq!(members(&get_group(&app, &slug, &token, &group).await), set(&[&user]));

        let got = replay(&app, &slug, &token, "entra_get_group", &[("{group_id}", &group)])
            .await
            .expect(StatusCode::OK)
            .body;
        assert_eq!(id(&got), group);
        assert_eq!(got["displayName"], "displayName");
        assert!(got.get("members").is_none(), "{got}");

        let by_name = replay(&app, &slug, &token, "entra_get_group_by_displayname", &[])
            .await
            .expect(StatusCode::OK);
        let found = list(&by_name.body);
        assert_eq!(found.len(), 1, "{}", by_name.body);
        assert_eq!(id(&found[0]), group);
        assert!(found[0].get("members").is_none(), "{}", by_name.body);
    }

    async fn entra_renames_a_group_with_a_capitalised_replace(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let user = id(&app.scim_user(&slug, &token, "member").await);
        let group = id(&scim_group(&app, &slug, &token, "before", &[&user]).await);
        let r = replay(&app, &slug, &token, "entra_patch_group_replace_displayname",
            &[("{group_id}", &group)])
            .await;
        // Entra documents 204; a small group's PATCH answers 200 with the group.
        assert!(r.status == StatusCode::OK || r.status == StatusCode::NO_CONTENT, "{}", r.body);
        let got = get_group(&app, &slug, &token, &group).await;
        assert_eq!(got["displayName"], "1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName");
        assert_eq!(members(&got), set(&[&user]), "members untouched");
    }

    async fn entra_adds_members_with_null_refs_and_removes_them_with_a_value_list(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let group = id(&replay(&app, &slug, &token, "entra_create_group", &[])
            .await
            .expect(StatusCode::CREATED)
            .body);
        let users: Vec<String> = scim_users(&app, &slug, &token, &["u1", "u2", "u3", "u4"]).await;
        for u in &users {
            replay(&app, &slug, &token, "entra_patch_group_add_members",
                &[("{group_id}", &group), ("{user_id}", u)])
                .await
                .expect(StatusCode::OK);
        }
        let all: Vec<&str> = users.iter().map(String::as_str).collect();
        assert_eq!(members(&get_group(&app, &slug, &token, &group).await), set(&all));

        // `Remove` with `path: "members"` and a value array (`"$ref": null`)…
        replay(&app, &slug, &token, "entra_patch_group_remove_members",
            &[("{group_id}", &group), ("{user_id}", &users[0])])
            .await
            .expect(StatusCode::OK);
        assert_eq!(members(&get_group(&app, &slug, &token, &group).await), set(&all[1..]));
        // … the same without `$ref` …
        replay(&app, &slug, &token, "entra_patch_group_remove_members_no_ref",
            &[("{group_id}", &group), ("{user_id}", &users[1])])
            .await
            .expect(StatusCode::OK);
        assert_eq!(members(&get_group(&app, &slug, &token, &group).await), set(&all[2..]));
        // … and the RFC form, a value filter without a value.
        replay(&app, &slug, &token, "entra_patch_group_remove_member_flag",
            &[("{group_id}", &group), ("{user_id}", &users[2])])
            .await
            .expect(StatusCode::OK);
        assert_eq!(members(&get_group(&app, &slug, &token, &group).await), set(&all[3..]));
        // The users themselves are untouched.
        for u in &users {
            get_user(&app, &slug, &token, u).await;
        }
    }

    async fn entra_deletes_a_group_but_not_its_members(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let user = id(&app.scim_user(&slug, &token, "member").await);
        let group = id(&scim_group(&app, &slug, &token, "doomed", &[&user]).await);
        replay(&app, &slug, &token, "entra_delete_group", &[("{group_id}", &group)])
            .await
            .expect(StatusCode::NO_CONTENT);
        app.scim("GET", &slug, &format!("/Groups/{group}"), &token, None)
            .await
            .expect_scim_error(StatusCode::NOT_FOUND, None);
        let u = get_user(&app, &slug, &token, &user).await;
        assert!(u.get("groups").is_none(), "{u}");
    }

    // ---- Okta: users ----------------------------------------------------------

    async fn okta_looks_the_user_up_with_integer_paging_then_creates_it(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let r = replay(&app, &slug, &token, "okta_get_user_by_username", &[])
            .await
            .expect(StatusCode::OK);
        assert!(list(&r.body).is_empty());
        assert_eq!(r.body["totalResults"], 0);
        assert_eq!(r.body["startIndex"], 1);

        let created = replay(&app, &slug, &token, "okta_create_user", &[])
            .await
            .expect(StatusCode::CREATED);
        let user = id(&created.body);
        assert!(created.body.get("password").is_none(), "a password is never returned");

        let r = replay(&app, &slug, &token, "okta_get_user_by_username", &[])
            .await
            .expect(StatusCode::OK);
        let found = list(&r.body);
        assert_eq!((r.body["totalResults"].clone(), r.body["startIndex"].clone()), (json!(1), json!(1)));
        assert_eq!(id(&found[0]), user);
        assert_eq!(found[0]["externalId"], "00ujl29u0le5T6Aj10h7");

        let got = replay(&app, &slug, &token, "okta_get_user", &[("{user_id}", &user)])
            .await
            .expect(StatusCode::OK)
            .body;
        assert_eq!(got["userName"], "test.user@okta.local");
        assert_eq!(got["displayName"], "Test User");
        assert_eq!(got["locale"], "en-US");
        assert_eq!(got["active"], true);
        assert!(got.get("password").is_none());
    }

    async fn okta_imports_users_page_by_page_with_integer_paging_fields(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let mut ids = BTreeSet::new();
        for n in 0..3 {
            ids.insert(id(&app.scim_user(&slug, &token, &format!("user{n}@okta.local")).await));
        }
        let r = replay(&app, &slug, &token, "okta_list_users", &[])
            .await
            .expect(StatusCode::OK);
        let found = list(&r.body);
        assert_eq!(r.body["totalResults"], 3);
        assert_eq!(r.body["startIndex"], 1);
        assert_eq!(found.iter().map(id).collect::<BTreeSet<_>>(), ids);
    }

    async fn a_repeated_post_of_an_existing_user_is_a_uniqueness_conflict_and_links_nothing(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let user = id(&replay(&app, &slug, &token, "okta_create_user", &[])
            .await
            .expect(StatusCode::CREATED)
            .body);
        let before = get_user(&app, &slug, &token, &user).await;
        for again in ["okta_create_user", "okta_create_user_without_externalid"] {
            replay(&app, &slug, &token, again, &[])
                .await
                .expect_scim_error(StatusCode::CONFLICT, Some("uniqueness"));
        }
        // Same userName in another case is the same userName (caseExact false).
        app.scim("POST", &slug, "/Users", &token, Some(json!({"userName": "TEST.User@okta.local"})))
            .await
            .expect_scim_error(StatusCode::CONFLICT, Some("uniqueness"));
        assert_eq!(get_user(&app, &slug, &token, &user).await, before, "the existing user changed");
        let all = get(&app, &slug, &token, "/Users").await;
        assert_eq!(all["totalResults"], 1, "{all}");
    }

    async fn a_user_created_over_rest_makes_a_scim_post_of_its_user_name_a_conflict_not_a_link(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let rest = app
            .post(
                &format!("/api/v1/tenants/{slug}/users"),
                &app.platform,
                json!({"user_name": "test.user@okta.local", "email": "rest@example.com"}),
            )
            .await
            .expect(StatusCode::CREATED)
            .body;
        let user = id(&rest);
        let scim_before = get_user(&app, &slug, &token, &user).await;
        replay(&app, &slug, &token, "okta_create_user", &[])
            .await
            .expect_scim_error(StatusCode::CONFLICT, Some("uniqueness"));
        assert_eq!(rest_user(&app, &slug, &user).await, rest, "the REST user changed");
        let scim_after = get_user(&app, &slug, &token, &user).await;
        assert_eq!(scim_after, scim_before);
        assert!(scim_after.get("externalId").is_none(), "linked to Okta's user: {scim_after}");
        let found = replay(&app, &slug, &token, "okta_get_user_by_username", &[])
            .await
            .expect(StatusCode::OK);
        let found = list(&found.body);
        assert_eq!(found.len(), 1);
        assert_eq!(id(&found[0]), user);
    }

    async fn okta_put_updates_the_whole_user_and_put_with_active_false_deactivates_without_deleting(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let user = id(&replay(&app, &slug, &token, "okta_create_user", &[])
            .await
            .expect(StatusCode::CREATED)
            .body);
        let group = id(&scim_group(&app, &slug, &token, "Okta pushed", &[&user]).await);
        let put = fixture("okta_put_user", &[("{user_id}", &user)]);
        let r = put.send(&app, &slug, &token).await.expect(StatusCode::OK);
        assert_eq!(id(&r.body), user);
        let got = get_user(&app, &slug, &token, &user).await;
        assert_eq!(
            got["name"],
            json!({"givenName": "Another", "middleName": "Excited", "familyName": "User"})
        );
        assert_eq!(email(&got, "work"), Some("test.user@okta.local"));
        assert_eq!(got["emails"][0]["display"], "test.user@okta.local");
        assert_eq!(got["active"], true);
        // `groups: []` is read-only: the PUT leaves the user's memberships alone.
        assert_eq!(got["groups"][0]["value"], group.as_str(), "{got}");
        // PUT replaces: what the body left out is gone.
        for gone in ["displayName", "locale", "externalId"] {
            assert!(got.get(gone).is_none(), "`{gone}` survived a PUT without it: {got}");
        }

        // Okta deactivates by PUT with `active: false`; it never deletes.
        let mut body = put.body.clone().unwrap();
        body["active"] = json!(false);
        app.scim("PUT", &slug, &format!("/Users/{user}"), &token, Some(body))
            .await
            .expect(StatusCode::OK);
        let got = get_user(&app, &slug, &token, &user).await;
        assert_eq!(got["active"], false);
        assert_eq!(got["name"]["givenName"], "Another");
        assert_eq!(rest_user(&app, &slug, &user).await["active"], false);
        assert_eq!(members(&get_group(&app, &slug, &token, &group).await), set(&[&user]));
        let found = replay(&app, &slug, &token, "okta_get_user_by_username", &[])
            .await
            .expect(StatusCode::OK);
        assert_eq!(list(&found.body).len(), 1, "a deactivated user is still listed");
    }

    async fn okta_deactivates_with_a_path_less_patch_and_the_user_remains(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let user = id(&replay(&app, &slug, &token, "okta_create_user", &[])
            .await
            .expect(StatusCode::CREATED)
            .body);
        let r = replay(&app, &slug, &token, "okta_patch_user_deactivate", &[("{user_id}", &user)])
            .await
            .expect(StatusCode::OK);
        assert_eq!(r.body["active"], false);
        let got = get_user(&app, &slug, &token, &user).await;
        assert_eq!(got["active"], false);
        assert_eq!(got["userName"], "test.user@okta.local");
        assert_eq!(got["externalId"], "00ujl29u0le5T6Aj10h7", "nothing else changed");
        assert_eq!(rest_user(&app, &slug, &user).await["active"], false);
    }

    // ---- Okta: groups ---------------------------------------------------------

    async fn okta_creates_lists_and_gets_groups(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let created = replay(&app, &slug, &token, "okta_create_group", &[])
            .await
            .expect(StatusCode::CREATED);
        let group = id(&created.body);
        assert_eq!(created.body["displayName"], "Test SCIMv2");
        assert_eq!(created.body["members"], json!([]));
        let r = replay(&app, &slug, &token, "okta_list_groups", &[])
            .await
            .expect(StatusCode::OK);
        let found = list(&r.body);
        assert_eq!(r.body["totalResults"], 1);
        assert_eq!(id(&found[0]), group);
        let got = replay(&app, &slug, &token, "okta_get_group", &[("{group_id}", &group)])
            .await
            .expect(StatusCode::OK)
            .body;
        assert_eq!(got["displayName"], "Test SCIMv2");
        assert_eq!(got["meta"]["resourceType"], "Group");
        // The same name again is taken.
        replay(&app, &slug, &token, "okta_create_group", &[])
            .await
            .expect_scim_error(StatusCode::CONFLICT, Some("uniqueness"));
    }

    async fn okta_patch_removes_a_member_by_value_filter_and_adds_another(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let u1 = id(&app.scim_user(&slug, &token, "one").await);
        let u2 = id(&app.scim_user(&slug, &token, "two").await);
        let u3 = id(&app.scim_user(&slug, &token, "three").await);
        let group = id(&scim_group(&app, &slug, &token, "Test SCIMv2", &[&u2, &u3]).await);
        let r = replay(&app, &slug, &token, "okta_patch_group_members",
            &[("{group_id}", &group), ("{user_id}", &u1), ("{user_id_2}", &u2)])
            .await
            .expect(StatusCode::OK);
        assert_eq!(members(&r.body), set(&[&u1, &u3]), "{}", r.body);
        assert_eq!(members(&get_group(&app, &slug, &token, &group).await), set(&[&u1, &u3]));
        get_user(&app, &slug, &token, &u2).await;
    }

    async fn okta_patch_replace_of_members_makes_them_the_whole_membership(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let u1 = id(&app.scim_user(&slug, &token, "one").await);
        let u2 = id(&app.scim_user(&slug, &token, "two").await);
        let u3 = id(&app.scim_user(&slug, &token, "three").await);
        let group = id(&scim_group(&app, &slug, &token, "Test SCIMv2", &[&u1, &u3]).await);
        replay(&app, &slug, &token, "okta_patch_group_replace_members",
            &[("{group_id}", &group), ("{user_id}", &u1), ("{user_id_2}", &u2)])
            .await
            .expect(StatusCode::OK);
        assert_eq!(members(&get_group(&app, &slug, &token, &group).await), set(&[&u1, &u2]));
    }

    async fn okta_put_group_with_the_full_member_list_replaces_the_membership(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let u1 = id(&app.scim_user(&slug, &token, "one").await);
        let u2 = id(&app.scim_user(&slug, &token, "two").await);
        let group = id(&scim_group(&app, &slug, &token, "Old name", &[&u2]).await);
        let r = replay(&app, &slug, &token, "okta_put_group",
            &[("{group_id}", &group), ("{user_id}", &u1)])
            .await
            .expect(StatusCode::OK);
        assert_eq!(id(&r.body), group);
        let got = get_group(&app, &slug, &token, &group).await;
        assert_eq!(got["displayName"], "Test SCIMv2");
        assert_eq!(members(&got), set(&[&u1]));
        get_user(&app, &slug, &token, &u2).await;
    }

    async fn okta_renames_a_group_with_a_path_less_replace_that_repeats_its_id(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let user = id(&app.scim_user(&slug, &token, "member").await);
        let group = id(&scim_group(&app, &slug, &token, "Old name", &[&user]).await);
        replay(&app, &slug, &token, "okta_patch_group_rename", &[("{group_id}", &group)])
            .await
            .expect(StatusCode::OK);
        let got = get_group(&app, &slug, &token, &group).await;
        assert_eq!(id(&got), group);
        assert_eq!(got["displayName"], "Test SCIMv2");
        assert_eq!(members(&got), set(&[&user]));
        // Repeating a *different* id is an attempt to change a read-only attribute.
        let other = "2819c223-7f76-453a-919d-413861904646";
        let f = fixture("okta_patch_group_rename", &[("{group_id}", other)]);
        app.scim("PATCH", &slug, &format!("/Groups/{group}"), &token, f.body)
            .await
            .expect_scim_error(StatusCode::BAD_REQUEST, Some("mutability"));
        assert_eq!(id(&get_group(&app, &slug, &token, &group).await), group);
    }

    async fn okta_deletes_a_group_and_never_its_users(db: TestDb) {
        let (app, slug, token) = setup(db).await;
        let user = id(&app.scim_user(&slug, &token, "member").await);
        let group = id(&scim_group(&app, &slug, &token, "Test SCIMv2", &[&user]).await);
        replay(&app, &slug, &token, "okta_delete_group", &[("{group_id}", &group)])
            .await
            .expect(StatusCode::NO_CONTENT);
        replay(&app, &slug, &token, "okta_get_group", &[("{group_id}", &group)])
            .await
            .expect_scim_error(StatusCode::NOT_FOUND, None);
        get_user(&app, &slug, &token, &user).await;
        let groups = replay(&app, &slug, &token, "okta_list_groups", &[])
            .await
            .expect(StatusCode::OK);
        assert!(list(&groups.body).is_empty());
    }
}

/// Creates users with these userNames; returns their ids in order.
async fn scim_users(app: &TestApp, slug: &str, token: &str, names: &[&str]) -> Vec<String> {
    let mut out = Vec::with_capacity(names.len());
    for n in names {
        out.push(id(&app.scim_user(slug, token, n).await));
    }
    out
}

#[test]
fn every_fixture_is_replayed_by_a_test() {
    let source = include_str!("scim_clients.rs");
    let dir = format!("{}/tests/fixtures/scim", env!("CARGO_MANIFEST_DIR"));
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(&dir).expect("the fixtures folder") {
        let path = entry.expect("an entry").path();
        if path.extension().and_then(|e| e.to_str()) != Some("json") {
            continue;
        }
        let name = path.file_stem().unwrap().to_str().unwrap().to_owned();
        if !source.contains(&format!("\"{name}\"")) {
            missing.push(name);
        }
    }
    assert!(missing.is_empty(), "fixtures no test replays: {missing:?}");
}
