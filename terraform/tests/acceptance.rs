//! Acceptance: the real Terraform 1.0.3 CLI drives the provider against a
//! real Latchkey server. For each resource: apply → no changes → update →
//! import → an out-of-band change is detected and repaired → a deletion
//! out of band is planned for re-creation → destroy → nothing left.

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
}
