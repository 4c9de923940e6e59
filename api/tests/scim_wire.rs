//! SCIM as clients put it on the wire: raw request lines over a TCP socket to
//! `latchkey serve`, the server the README starts, on each backend. Quotes
//! and spaces left unencoded (curl, Postman, HR scripts), values left
//! unquoted (Microsoft's provisioning guide, authentik), trailing slashes
//! (Microsoft's SCIM reference collection), and the request shapes Entra ID
//! and Okta document.

mod common;
use common::served::{Served, request};
use common::*;

use serde_json::{Value, json};
use testing::TestDb;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const GROUP: &str = "urn:ietf:params:scim:schemas:core:2.0:Group";

struct Scim {
    server: Served,
    token: String,
}

impl Scim {
    fn start(db: &TestDb) -> Scim {
        let server = Served::start(db);
        let token = server.tenant_with_scim_token("acme");
        Scim { server, token }
    }

    /// `GET /t/acme/scim/v2{rest}`, `rest` on the wire exactly as written.
    fn get(&self, rest: &str) -> common::served::Wire {
        self.server
            .call("GET", &format!("/t/acme/scim/v2{rest}"), &self.token, None)
    }

    fn post(&self, rest: &str, body: Value) -> Value {
        self.server
            .call(
                "POST",
                &format!("/t/acme/scim/v2{rest}"),
                &self.token,
                Some(body),
            )
            .expect(201)
            .body
    }

    fn user(&self, user_name: &str, external_id: &str) -> String {
        let body = json!({
            "schemas": [USER],
            "userName": user_name,
            "externalId": external_id,
            "emails": [{"type": "work", "value": user_name, "primary": true}],
        });
        self.post("/Users", body)["id"]
            .as_str()
            .expect("an id")
            .to_owned()
    }
}

/// The ids a ListResponse holds.
fn found(list: &Value) -> Vec<&str> {
    assert_eq!(
        list["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:ListResponse",
        "{list}"
    );
    list["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .map(|r| r["id"].as_str().expect("an id"))
        .collect()
}

both_backends! {
    async fn a_filter_with_raw_quotes_finds_the_user(db: TestDb) {
        let s = Scim::start(&db);
        let id = s.user("x@example.com", "x1");
        s.user("y@example.com", "y1");
        let r = s.get("/Users?filter=userName%20eq%20\"x@example.com\"").expect(200);
        assert_eq!(found(&r.body), [id.as_str()]);
    }

    async fn a_filter_with_plus_for_spaces_and_raw_quotes_finds_the_user(db: TestDb) {
        let s = Scim::start(&db);
        let id = s.user("x@example.com", "x1");
        s.user("y@example.com", "y1");
        let r = s.get("/Users?filter=userName+eq+\"x%40example.com\"").expect(200);
        assert_eq!(found(&r.body), [id.as_str()]);
    }

    async fn a_filter_with_raw_spaces_finds_the_user(db: TestDb) {
        let s = Scim::start(&db);
        let id = s.user("x@example.com", "x1");
        let r = s.get("/Users?filter=userName eq \"x@example.com\"").expect(200);
        assert_eq!(found(&r.body), [id.as_str()]);
    }

    async fn an_unquoted_value_is_read_as_a_string(db: TestDb) {
        let s = Scim::start(&db);
        let id = s.user("jyoung@example.com", "jyoung");
        s.user("other@example.com", "other");
        let r = s.get("/Users?filter=externalId%20eq%20jyoung").expect(200);
        assert_eq!(found(&r.body), [id.as_str()]);
        let r = s.get("/Users?filter=userName%20eq%20jyoung@example.com").expect(200);
        assert_eq!(found(&r.body), [id.as_str()]);
    }

    async fn an_unquoted_value_with_a_space_is_an_invalid_filter_that_says_why(db: TestDb) {
        let s = Scim::start(&db);
        let r = s
            .get("/Groups?filter=displayName%20eq%20Sales%20Team")
            .expect_scim_error(400, Some("invalidFilter"));
        let detail = r.body["detail"].as_str().unwrap_or_default();
        assert!(detail.contains("`Sales`") && detail.contains("quote"), "{detail}");
    }

    async fn a_trailing_slash_answers_as_without_it(db: TestDb) {
        let s = Scim::start(&db);
        let id = s.user("x@example.com", "x1");
        let r = s.get("/Users/?filter=userName%20eq%20\"x@example.com\"").expect(200);
        assert_eq!(found(&r.body), [id.as_str()]);
        let r = s.get(&format!("/Users/{id}/")).expect(200);
        assert_eq!(r.body["id"], id.as_str());
        s.get("/ServiceProviderConfig/").expect(200);
        s.get("/Groups/").expect(200);
    }

    async fn a_trailing_slash_does_not_reach_another_tenant(db: TestDb) {
        let s = Scim::start(&db);
        let id = s.user("x@example.com", "x1");
        let other = s.server.tenant_with_scim_token("globex");
        s.server
            .call("GET", &format!("/t/acme/scim/v2/Users/{id}/"), &other, None)
            .expect_scim_error(404, None);
        let r = s
            .server
            .call("GET", "/t/globex/scim/v2/Users/?filter=userName%20eq%20\"x@example.com\"", &other, None)
            .expect(200);
        assert_eq!(r.body["totalResults"], 0, "{}", r.body);
        s.server
            .call("GET", &format!("/t/globex/scim/v2/Users/{id}/"), &other, None)
            .expect_scim_error(404, None);
    }

    async fn a_bad_token_with_a_raw_quoted_filter_is_a_401_scim_error(db: TestDb) {
        let s = Scim::start(&db);
        s.server
            .call("GET", "/t/acme/scim/v2/Users?filter=userName%20eq%20\"x\"", "lks_wrong", None)
            .expect_scim_error(401, None);
        s.server
            .send("GET /t/acme/scim/v2/Users/?filter=userName+eq+\"x\" HTTP/1.1\r\nConnection: close\r\n\r\n")
            .expect_scim_error(401, None);
    }

    async fn a_malformed_head_is_answered_with_a_body_in_the_surface_s_format(db: TestDb) {
        let s = Scim::start(&db);
        let r = s.server.send(
            "GET /t/acme/scim/v2/Users?filter=userName%20eq%20\"x\" HTTP/1.1\r\nAuthorization: Bearer \x01\r\n\r\n",
        );
        let r = r.expect_scim_error(400, None);
        assert!(r.body["detail"].as_str().is_some_and(|d| d.contains("malformed")), "{}", r.body);
        s.server
            .send("GET /api/v1/tenants?x=\x7f HTTP/1.1\r\n\r\n")
            .expect_problem(400, "malformed-request");
        s.server
            .send("GET /api/v1/tenants HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n")
            .expect_problem(400, "malformed-request");
    }

    async fn a_head_too_large_is_a_431_with_a_body(db: TestDb) {
        let s = Scim::start(&db);
        let big = "a".repeat(latchkey_api::wire::MAX_HEAD_BYTES);
        s.server
            .send(&format!("GET /t/acme/scim/v2/Users HTTP/1.1\r\nX-Big: {big}\r\n\r\n"))
            .expect_scim_error(431, None);
    }

    async fn raw_quotes_reach_rest_routes_too(db: TestDb) {
        let s = Scim::start(&db);
        let r = s
            .server
            .call("GET", "/api/v1/tenants/acme/users?limit=5&x=\"<{|}>\"", &s.server.platform, None)
            .expect(200);
        assert!(r.body["items"].is_array(), "{}", r.body);
    }

    async fn a_body_full_of_quotes_and_a_raw_quoted_target_share_one_connection(db: TestDb) {
        let s = Scim::start(&db);
        let body = json!({"schemas": [USER], "userName": "q\"uote@example.com", "displayName": "GET /x?y=\"z\" HTTP/1.1"});
        let create = request("POST", "/t/acme/scim/v2/Users", &s.token, Some(body), false);
        let find = request(
            "GET",
            "/t/acme/scim/v2/Users?filter=displayName%20eq%20\"GET /x?y=\\\"z\\\" HTTP/1.1\"",
            &s.token,
            None,
            true,
        );
        let responses = s.server.exchange(format!("{create}{find}").as_bytes());
        assert_eq!(responses.len(), 2);
        assert_eq!(responses[0].status, 201, "{}", responses[0].body);
        assert_eq!(responses[1].status, 200, "{}", responses[1].body);
        assert_eq!(found(&responses[1].body), [responses[0].body["id"].as_str().unwrap()]);
        assert_eq!(responses[1].body["Resources"][0]["userName"], "q\"uote@example.com");
    }

    async fn entra_test_connection_with_a_random_guid_finds_nothing(db: TestDb) {
        let s = Scim::start(&db);
        s.user("x@example.com", "x1");
        let guid = uuid::Uuid::now_v7();
        let r = s.get(&format!("/Users?filter=userName+eq+%22{guid}%22")).expect(200);
        assert_eq!(r.body["totalResults"], 0, "{}", r.body);
        let r = s.get(&format!("/Users?filter=userName eq \"{guid}\"")).expect(200);
        assert_eq!(r.body["totalResults"], 0, "{}", r.body);
        s.get(&format!("/Users/{guid}")).expect_scim_error(404, None);
    }

    async fn entra_looks_a_group_up_by_name_without_its_members(db: TestDb) {
        let s = Scim::start(&db);
        let member = s.user("x@example.com", "x1");
        let group = s.post("/Groups", json!({
            "schemas": [GROUP],
            "displayName": "Sales",
            "members": [{"value": member}],
        }));
        let r = s
            .get("/Groups?excludedAttributes=members&filter=displayName%20eq%20\"Sales\"")
            .expect(200);
        assert_eq!(found(&r.body), [group["id"].as_str().unwrap()]);
        assert!(r.body["Resources"][0].get("members").is_none(), "{}", r.body);
    }

    async fn entra_finds_a_user_by_the_value_of_a_work_email(db: TestDb) {
        let s = Scim::start(&db);
        let id = s.user("x@example.com", "x1");
        s.user("y@example.com", "y1");
        let r = s
            .get("/Users?filter=emails[type%20eq%20\"work\"].value%20eq%20\"x@example.com\"")
            .expect(200);
        assert_eq!(found(&r.body), [id.as_str()]);
    }

    async fn okta_put_deactivation_leaves_the_user_findable_as_inactive(db: TestDb) {
        let s = Scim::start(&db);
        let id = s.user("x@example.com", "x1");
        let put = json!({
            "schemas": [USER],
            "id": id,
            "userName": "x@example.com",
            "externalId": "x1",
            "active": false,
            "emails": [{"type": "work", "value": "x@example.com", "primary": true}],
        });
        s.server
            .call("PUT", &format!("/t/acme/scim/v2/Users/{id}"), &s.token, Some(put))
            .expect(200);
        let r = s.get("/Users?filter=userName%20eq%20\"x@example.com\"").expect(200);
        assert_eq!(found(&r.body), [id.as_str()]);
        assert_eq!(r.body["Resources"][0]["active"], false);
    }
}
