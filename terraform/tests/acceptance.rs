//! Acceptance: the real Terraform 1.0.3 CLI drives the provider against a
//! real Latchkey server. For each resource: apply → no changes → a change of
//! configuration (in place where the API allows it, else a replacement) →
//! import → drift made over REST (a change, a deletion, a revocation, a
//! rotation) is planned and repaired → destroy → what destroying leaves on
//! the server: nothing (tenant, user, group, membership), only revoked
//! tokens (the API keeps them listed), the keys as they are (a rotation
//! cannot be undone).

mod common;
use common::*;

use serde_json::json;

acceptance! {
    fn tenant_lifecycle(server: Server) {
        let tf = Tf::new(&server);
        let config = |name: &str| {
            format!(
                r#"resource "latchkey_tenant" "t" {{
  slug         = "acme"
  display_name = "{name}"
}}"#
            )
        };
        let a = "latchkey_tenant.t";

        tf.config(&config("Acme"));
        tf.apply();
        let id = tf.attr(a, "id");
        let read = server.get("/api/v1/tenants/acme");
        assert_eq!(read.status, 200);
        assert_eq!(read.body["id"], json!(id));
        assert_eq!(read.body["display_name"], "Acme");
        assert_eq!(tf.attr(a, "status"), "active");
        tf.assert_no_changes();

        tf.config(&config("Acme Inc."));
        tf.assert_plan_has("update in-place");
        tf.apply();
        assert_eq!(server.get("/api/v1/tenants/acme").body["display_name"], "Acme Inc.");
        assert_eq!(tf.attr(a, "id"), id, "updated in place");
        tf.assert_no_changes();

        tf.reimport(a, "acme");
        assert_eq!(tf.attr(a, "id"), id);
        tf.assert_no_changes();

        server.patch("/api/v1/tenants/acme", json!({"display_name": "Changed by hand"}));
        tf.assert_plan_has("\"Changed by hand\" -> \"Acme Inc.\"");
        tf.apply();
        assert_eq!(server.get("/api/v1/tenants/acme").body["display_name"], "Acme Inc.");
        tf.assert_no_changes();

        assert_eq!(server.delete("/api/v1/tenants/acme").status, 200);
        tf.assert_plan_has("will be created");
        tf.apply();
        assert_eq!(server.get("/api/v1/tenants/acme").status, 200);
        tf.assert_no_changes();

        tf.destroy();
        assert_eq!(server.get("/api/v1/tenants/acme").status, 404);
    }

    fn a_slug_change_replaces_the_tenant(server: Server) {
        let tf = Tf::new(&server);
        let config = |slug: &str| {
            format!("resource \"latchkey_tenant\" \"t\" {{\n  slug = \"{slug}\"\n  display_name = \"Acme\"\n}}")
        };
        tf.config(&config("acme"));
        tf.apply();
        tf.config(&config("acme-two"));
        tf.assert_plan_has("forces replacement");
        tf.apply();
        assert_eq!(server.get("/api/v1/tenants/acme").status, 404);
        assert_eq!(server.get("/api/v1/tenants/acme-two").status, 200);
        tf.destroy();
        assert_eq!(server.get("/api/v1/tenants/acme-two").status, 404);
    }

    fn an_api_problem_reaches_the_user_as_its_detail_without_a_trace(server: Server) {
        let tf = Tf::new(&server);
        server.tenant("acme");
        tf.config(
            r#"resource "latchkey_tenant" "t" {
  slug         = "acme"
  display_name = "Acme again"
}"#,
        );
        let out = tf.run(&["apply", "-auto-approve", "-no-color"]);
        assert!(!out.status.success(), "a taken slug cannot be applied");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("Latchkey: creating the tenant failed"), "{stderr}");
        assert!(stderr.contains("code `slug-taken`"), "{stderr}");
        assert!(!stderr.contains("backtrace"), "{stderr}");
        assert!(!stderr.contains("src/"), "no source locations: {stderr}");
    }

    fn user_lifecycle(server: Server) {
        server.tenant("acme");
        let tf = Tf::new(&server);
        let config = |email: &str, active: bool| {
            format!(
                r#"resource "latchkey_user" "u" {{
  tenant       = "acme"
  user_name    = "ada"
  email        = "{email}"
  given_name   = "Ada"
  family_name  = "Lovelace"
  display_name = "Ada Lovelace"
  active       = {active}
}}"#
            )
        };
        let a = "latchkey_user.u";

        tf.config(&config("ada@example.com", true));
        tf.apply();
        let id = tf.attr(a, "id");
        let path = format!("/api/v1/tenants/acme/users/{id}");
        let user = server.get(&path).body;
        assert_eq!(user["email"], "ada@example.com");
        assert_eq!(user["family_name"], "Lovelace");
        assert_eq!(user["active"], true);
        assert_eq!(tf.attr(a, "kind"), "internal");
        tf.assert_no_changes();

        tf.config(&config("ada.king@example.com", false));
        tf.assert_plan_has("update in-place");
        tf.apply();
        let user = server.get(&path).body;
        assert_eq!(user["email"], "ada.king@example.com");
        assert_eq!(user["active"], false);
        assert_eq!(tf.attr(a, "id"), id, "updated in place");
        tf.assert_no_changes();

        tf.reimport(a, &format!("acme/{id}"));
        tf.assert_no_changes();

        server.patch(&path, json!({"email": null, "given_name": "Augusta"}));
        let plan = tf.assert_plan_has("\"Augusta\" -> \"Ada\"");
        assert!(plan.contains("+ email"), "the cleared email is planned back:\n{plan}");
        tf.apply();
        let user = server.get(&path).body;
        assert_eq!(user["given_name"], "Ada");
        assert_eq!(user["email"], "ada.king@example.com");
        tf.assert_no_changes();

        assert_eq!(server.delete(&path).status, 204);
        tf.assert_plan_has("will be created");
        tf.apply();
        let id = tf.attr(a, "id");
        assert_eq!(server.get(&format!("/api/v1/tenants/acme/users/{id}")).status, 200);
        tf.assert_no_changes();

        tf.destroy();
        assert_eq!(server.get(&format!("/api/v1/tenants/acme/users/{id}")).status, 404);
        assert_eq!(server.get("/api/v1/tenants/acme/users").body["items"], json!([]));
    }

    fn a_user_left_active_by_default_is_reactivated_after_a_deactivation_out_of_band(server: Server) {
        server.tenant("acme");
        let tf = Tf::new(&server);
        tf.config("resource \"latchkey_user\" \"u\" {\n  tenant = \"acme\"\n  user_name = \"ada\"\n}");
        tf.apply();
        let id = tf.attr("latchkey_user.u", "id");
        let path = format!("/api/v1/tenants/acme/users/{id}");
        assert_eq!(server.get(&path).body["active"], true);
        tf.assert_no_changes();

        server.patch(&path, json!({"active": false}));
        tf.assert_plan_has("false -> true");
        tf.apply();
        assert_eq!(server.get(&path).body["active"], true);
        tf.assert_no_changes();
    }

    fn group_lifecycle(server: Server) {
        server.tenant("acme");
        let tf = Tf::new(&server);
        let config = |name: &str| {
            format!("resource \"latchkey_group\" \"g\" {{\n  tenant = \"acme\"\n  display_name = \"{name}\"\n}}")
        };
        let a = "latchkey_group.g";

        tf.config(&config("admins"));
        tf.apply();
        let id = tf.attr(a, "id");
        let path = format!("/api/v1/tenants/acme/groups/{id}");
        assert_eq!(server.get(&path).body["display_name"], "admins");
        tf.assert_no_changes();

        tf.config(&config("administrators"));
        tf.assert_plan_has("update in-place");
        tf.apply();
        assert_eq!(server.get(&path).body["display_name"], "administrators");
        assert_eq!(tf.attr(a, "id"), id);
        tf.assert_no_changes();

        tf.reimport(a, &format!("acme/{id}"));
        tf.assert_no_changes();

        server.patch(&path, json!({"display_name": "renamed"}));
        tf.assert_plan_has("\"renamed\" -> \"administrators\"");
        tf.apply();
        assert_eq!(server.get(&path).body["display_name"], "administrators");
        tf.assert_no_changes();

        assert_eq!(server.delete(&path).status, 204);
        tf.assert_plan_has("will be created");
        tf.apply();
        tf.assert_no_changes();

        tf.destroy();
        assert_eq!(server.get("/api/v1/tenants/acme/groups").body["items"], json!([]));
    }

    fn group_member_lifecycle(server: Server) {
        server.tenant("acme");
        let ada = server.user("acme", "ada");
        let bob = server.user("acme", "bob");
        let group = server.group("acme", "admins");
        let tf = Tf::new(&server);
        let config = |user: &str| {
            format!(
                "resource \"latchkey_group_member\" \"m\" {{\n  tenant = \"acme\"\n  group_id = \"{group}\"\n  user_id = \"{user}\"\n}}"
            )
        };
        let members_path = format!("/api/v1/tenants/acme/groups/{group}/members");
        let members = || -> Vec<String> {
            server.get(&members_path).body["items"]
                .as_array()
                .expect("members")
                .iter()
                .map(|m| m["user"]["id"].as_str().expect("a user id").to_owned())
                .collect()
        };
        let a = "latchkey_group_member.m";

        tf.config(&config(&ada));
        tf.apply();
        assert_eq!(members(), vec![ada.clone()]);
        assert_eq!(tf.attr(a, "id"), format!("acme/{group}/{ada}"));
        tf.assert_no_changes();

        tf.config(&config(&bob));
        tf.assert_plan_has("forces replacement");
        tf.apply();
        assert_eq!(members(), vec![bob.clone()]);
        tf.assert_no_changes();

        tf.reimport(a, &format!("acme/{group}/{bob}"));
        tf.assert_no_changes();

        assert_eq!(server.delete(&format!("{members_path}/{bob}")).status, 204);
        tf.assert_plan_has("will be created");
        tf.apply();
        assert_eq!(members(), vec![bob.clone()]);
        tf.assert_no_changes();

        tf.destroy();
        assert!(members().is_empty());
    }

    fn api_token_lifecycle(server: Server) {
        server.tenant("acme");
        let tf = Tf::new(&server);
        let config = |name: &str| {
            format!(
                r#"resource "latchkey_api_token" "t" {{
  tenant = "acme"
  name   = "{name}"
  scopes = ["scim"]
  expires_at = "2030-01-01T00:00:00Z"
}}
output "secret" {{
  value     = latchkey_api_token.t.token
  sensitive = true
}}"#
            )
        };
        let a = "latchkey_api_token.t";

        tf.config(&config("okta"));
        let applied = tf.apply();
        let secret = tf.outputs()["secret"].as_str().expect("the secret").to_owned();
        assert!(secret.starts_with("lks_"), "a SCIM token");
        assert!(!applied.contains(&secret), "the secret is not printed");
        let id = tf.attr(a, "id");
        assert_eq!(tf.attr(a, "kind"), "scim");
        let path = format!("/api/v1/tenants/acme/tokens/{id}");
        let token = server.get(&path).body;
        assert_eq!(token["name"], "okta");
        assert_eq!(token["scopes"], json!(["scim"]));
        assert_eq!(token["expires_at"], "2030-01-01T00:00:00Z");
        tf.assert_no_changes();

        tf.config(&config("entra"));
        tf.assert_plan_has("forces replacement");
        tf.apply();
        assert!(!server.get(&path).body["revoked_at"].is_null(), "the old token is revoked");
        let id = tf.attr(a, "id");
        let path = format!("/api/v1/tenants/acme/tokens/{id}");
        assert_eq!(server.get(&path).body["name"], "entra");
        tf.assert_no_changes();

        tf.reimport(a, &format!("acme/{id}"));
        assert!(tf.state(a)["token"].is_null(), "the secret is known only at creation");
        tf.assert_no_changes();

        let revoked = server.delete(&path);
        assert_eq!(revoked.status, 200, "{:?}", revoked.body);
        assert!(!revoked.body["revoked_at"].is_null());
        tf.assert_plan_has("will be created");
        tf.apply();
        let id = tf.attr(a, "id");
        let path = format!("/api/v1/tenants/acme/tokens/{id}");
        assert!(server.get(&path).body["revoked_at"].is_null());
        tf.assert_no_changes();

        // The API has no hard delete: a revoked token stays listed. What
        // destroying leaves is no token that still works.
        tf.destroy();
        let tokens = server.get("/api/v1/tenants/acme/tokens").body;
        let unrevoked: Vec<_> = tokens["items"]
            .as_array()
            .expect("tokens")
            .iter()
            .filter(|t| t["revoked_at"].is_null())
            .collect();
        assert!(unrevoked.is_empty(), "no token is left unrevoked: {tokens}");
    }

    fn signing_key_rotation_lifecycle(server: Server) {
        server.tenant("acme");
        let tf = Tf::new(&server);
        // `alg → kid` of the tenant's active keys.
        let active = || -> serde_json::Map<String, serde_json::Value> {
            server.get("/api/v1/tenants/acme/keys").body["items"]
                .as_array()
                .expect("keys")
                .iter()
                .filter(|k| k["state"] == "active")
                .map(|k| (k["alg"].as_str().expect("an alg").to_owned(), k["kid"].clone()))
                .collect()
        };
        let jwks = || server.get("/t/acme/.well-known/jwks.json").body;
        let config = |trigger: &str| {
            format!(
                "resource \"latchkey_signing_key_rotation\" \"r\" {{\n  tenant = \"acme\"\n  algs = [\"ES256\"]\n  triggers = {{ when = \"{trigger}\" }}\n}}"
            )
        };
        let a = "latchkey_signing_key_rotation.r";
        let before = active();

        tf.config(&config("2026-q1"));
        tf.apply();
        let first = active();
        assert_ne!(first["ES256"], before["ES256"], "the apply rotated ES256");
        assert_eq!(first["RS256"], before["RS256"], "and only ES256");
        assert_eq!(tf.state(a)["active_kids"], json!({"ES256": first["ES256"]}));
        tf.assert_no_changes();

        tf.config(&config("2026-q2"));
        tf.assert_plan_has("forces replacement");
        tf.apply();
        let second = active();
        assert_ne!(second["ES256"], first["ES256"], "a new trigger rotated again");
        tf.assert_no_changes();

        // An import adopts the current keys; the configured `triggers` and
        // `algs` are taken in place, without a rotation.
        tf.reimport(a, "acme/current");
        assert_eq!(tf.state(a)["active_kids"], json!(second));
        let plan = tf.assert_plan_has("update in-place");
        assert!(!plan.contains("replace"), "the import is not replaced:\n{plan}");
        let (keys, published) = (active(), jwks());
        tf.apply();
        assert_eq!(active(), keys, "the apply after the import rotated nothing");
        assert_eq!(jwks(), published, "no key was published");
        assert_eq!(tf.state(a)["active_kids"], json!({"ES256": keys["ES256"]}));
        tf.assert_no_changes();

        // Once adopted, a change of triggers rotates again.
        tf.config(&config("2026-q3"));
        tf.assert_plan_has("forces replacement");
        tf.apply();
        assert_ne!(active()["ES256"], keys["ES256"]);
        tf.assert_no_changes();

        // A rotation made over the API retires the keys this one made
        // active: it is gone, and the apply rotates anew.
        let rotated = server.post("/api/v1/tenants/acme/keys/rotate", json!({"algs": ["ES256"]}));
        assert_eq!(rotated.status, 200, "{:?}", rotated.body);
        let by_hand = active();
        tf.assert_plan_has("will be created");
        tf.apply();
        assert_ne!(active()["ES256"], by_hand["ES256"], "the apply rotated after the one by hand");
        assert_eq!(tf.state(a)["active_kids"]["ES256"], active()["ES256"]);
        tf.assert_no_changes();

        assert_eq!(server.delete("/api/v1/tenants/acme").status, 200);
        tf.assert_plan_has("will be created");
        server.tenant("acme");
        tf.apply();
        tf.assert_no_changes();

        let (keys, published) = (active(), jwks());
        tf.destroy();
        assert_eq!(active(), keys, "destroying a rotation leaves the keys as they are");
        assert_eq!(jwks(), published);
    }

    fn data_sources_read_what_exists(server: Server) {
        server.tenant("acme");
        let ada = server.user("acme", "Ada");
        let group = server.group("acme", "admins");
        let tf = Tf::new(&server);
        tf.config(&format!(
            r#"data "latchkey_tenant" "t" {{
  slug = "acme"
}}
data "latchkey_user" "by_name" {{
  tenant    = "acme"
  user_name = "ada"
}}
data "latchkey_user" "by_id" {{
  tenant = "acme"
  id     = "{ada}"
}}
data "latchkey_group" "by_name" {{
  tenant       = "acme"
  display_name = "admins"
}}
data "latchkey_group" "by_id" {{
  tenant = "acme"
  id     = "{group}"
}}
data "latchkey_jwks" "k" {{
  tenant = "acme"
}}
output "tenant_id" {{ value = data.latchkey_tenant.t.id }}
output "tenant_status" {{ value = data.latchkey_tenant.t.status }}
output "user_by_name" {{ value = data.latchkey_user.by_name.id }}
output "user_name_by_id" {{ value = data.latchkey_user.by_id.user_name }}
output "group_by_name" {{ value = data.latchkey_group.by_name.id }}
output "group_name_by_id" {{ value = data.latchkey_group.by_id.display_name }}
output "jwks_url" {{ value = data.latchkey_jwks.k.url }}
output "kids" {{ value = data.latchkey_jwks.k.kids }}
"#
        ));
        tf.apply();
        let out = tf.outputs();
        let tenant = server.get("/api/v1/tenants/acme").body;
        assert_eq!(out["tenant_id"], tenant["id"]);
        assert_eq!(out["tenant_status"], "active");
        assert_eq!(out["user_by_name"], json!(ada));
        assert_eq!(out["user_name_by_id"], "Ada");
        assert_eq!(out["group_by_name"], json!(group));
        assert_eq!(out["group_name_by_id"], "admins");
        assert_eq!(
            out["jwks_url"],
            json!(format!("{}/t/acme/.well-known/jwks.json", server.endpoint))
        );
        let jwks = server.get("/t/acme/.well-known/jwks.json").body;
        let kids: Vec<_> = jwks["keys"].as_array().expect("keys").iter().map(|k| k["kid"].clone()).collect();
        assert_eq!(out["kids"], json!(kids));
    }

    fn a_provider_without_a_token_says_where_to_set_one(server: Server) {
        let mut tf = Tf::new(&server);
        tf.unset("LATCHKEY_TOKEN");
        tf.config("resource \"latchkey_tenant\" \"t\" {\n  slug = \"acme\"\n  display_name = \"Acme\"\n}");
        let out = tf.run(&["plan", "-no-color"]);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("Latchkey: no `token`"), "{stderr}");
        assert!(stderr.contains("LATCHKEY_TOKEN"), "{stderr}");
    }

    fn a_data_source_names_what_it_could_not_find(server: Server) {
        server.tenant("acme");
        let tf = Tf::new(&server);
        tf.config("data \"latchkey_user\" \"u\" {\n  tenant = \"acme\"\n  user_name = \"nobody\"\n}");
        let out = tf.run(&["plan", "-no-color"]);
        assert!(!out.status.success());
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("tenant `acme` has no user named `nobody`"), "{stderr}");
    }
}
