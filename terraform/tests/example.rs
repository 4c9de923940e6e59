//! The complete example under `terraform/examples/complete` applies, is
//! stable, gives the URLs it promises, and destroys without leftovers.

mod common;
use common::*;

use std::path::Path;

use serde_json::json;

acceptance! {
    fn the_complete_example_builds_a_tenant_and_tears_it_down(server: Server) {
        let mut tf = Tf::new(&server);
        // The example takes the endpoint as a variable; the token stays in
        // the environment.
        tf.unset("LATCHKEY_ENDPOINT");
        tf.copy_from(&Path::new(env!("CARGO_MANIFEST_DIR")).join("examples/complete"));
        let endpoint = format!("endpoint={}", server.endpoint);
        tf.ok(&["apply", "-auto-approve", "-no-color", "-var", &endpoint]);

        let out = tf.outputs();
        assert_eq!(out["scim_base_url"], json!(format!("{}/t/acme/scim/v2", server.endpoint)));
        assert_eq!(
            out["jwks_url"],
            json!(format!("{}/t/acme/.well-known/jwks.json", server.endpoint))
        );
        let users = server.get("/api/v1/tenants/acme/users").body;
        let mut names: Vec<_> = users["items"]
            .as_array()
            .expect("users")
            .iter()
            .map(|u| u["user_name"].as_str().expect("a name").to_owned())
            .collect();
        names.sort();
        assert_eq!(names, ["ada", "alan", "grace"]);
        let groups = server.get("/api/v1/tenants/acme/groups").body;
        let admins = groups["items"][0]["id"].as_str().expect("the admin group");
        let members = server.get(&format!("/api/v1/tenants/acme/groups/{admins}/members")).body;
        assert_eq!(members["items"].as_array().expect("members").len(), 2);

        // The SCIM token works against the SCIM base URL.
        let token = tf.ok(&["output", "-raw", "scim_token"]);
        let scim = server.send_as(&token, reqwest::Method::GET, "/t/acme/scim/v2/Users", None);
        assert_eq!(scim.status, 200, "{:?}", scim.body);
        assert_eq!(scim.body["totalResults"], 3);

        let (changes, plan) = tf.plan_with(&["-var", &endpoint]);
        assert!(!changes, "the example is stable:\n{plan}");

        tf.ok(&["destroy", "-auto-approve", "-no-color", "-var", &endpoint]);
        assert_eq!(server.get("/api/v1/tenants/acme").status, 404);
    }
}
