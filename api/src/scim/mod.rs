//! The SCIM 2.0 endpoint of each tenant, `/t/{tenant}/scim/v2`: HTTP only.
//! Every operation is declared with poem-openapi (so the OpenAPI document
//! shows it) in `root`, `users` and `groups`; `exchange` authenticates the
//! caller, runs the operation's module (`get`, `list`, `create`, `replace`,
//! `patch`, `delete`, `bulk`, `discovery`) on the tenant's provider
//! (`latchkey_tenants::scim::ScimProvider`), renders the answer (`reply`)
//! and logs the request. Errors get their status from the one error map
//! (`crate::error::classify`).

mod bulk;
mod call;
mod create;
mod delete;
mod discovery;
mod exchange;
mod get;
mod groups;
mod list;
mod patch;
mod replace;
mod reply;
mod resource;
mod root;
mod users;

pub use groups::ScimGroupsApi;
pub use reply::{ScimBody, ScimReply, ScimToken, error_reply};
pub use root::ScimApi;
pub use users::ScimUsersApi;

use poem::Request;

pub const CONTENT_TYPE: &str = "application/scim+json";

/// `/t/{tenant}/scim/v2/…`: where failures answer SCIM errors.
pub fn is_scim_path(path: &str) -> bool {
    path.strip_prefix("/t/")
        .and_then(|rest| rest.split_once('/'))
        .is_some_and(|(_, rest)| rest == "scim/v2" || rest.starts_with("scim/v2/"))
}

/// A SCIM path with trailing slashes answers as without them
/// (`/Users/?filter=…`, as Microsoft's SCIM reference collection sends it).
pub async fn without_trailing_slash(mut req: Request) -> poem::Result<Request> {
    let path = req.uri().path();
    let trimmed = path.trim_end_matches('/');
    if trimmed.len() == path.len() || !is_scim_path(trimmed) {
        return Ok(req);
    }
    let target = match req.uri().query() {
        Some(q) => format!("{trimmed}?{q}"),
        None => trimmed.to_owned(),
    };
    if let Ok(pq) = target.parse() {
        let mut parts = req.uri().clone().into_parts();
        parts.path_and_query = Some(pq);
        if let Ok(uri) = poem::http::Uri::from_parts(parts) {
            *req.uri_mut() = uri;
        }
    }
    Ok(req)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_tenant_scim_paths_are_scim_paths() {
        assert!(is_scim_path("/t/acme/scim/v2/Users"));
        assert!(is_scim_path("/t/acme/scim/v2"));
        assert!(!is_scim_path("/api/v1/tenants/acme/scim/requests"));
        assert!(!is_scim_path("/t/acme/.well-known/jwks.json"));
        assert!(!is_scim_path("/t/acme/scim/v20"));
    }

    async fn trimmed(target: &str) -> String {
        let req = Request::builder().uri(target.parse().unwrap()).finish();
        without_trailing_slash(req).await.unwrap().uri().to_string()
    }

    #[tokio::test]
    async fn a_scim_path_loses_its_trailing_slashes_and_keeps_its_query() {
        assert_eq!(
            trimmed("/t/acme/scim/v2/Users/?filter=x").await,
            "/t/acme/scim/v2/Users?filter=x"
        );
        assert_eq!(
            trimmed("/t/acme/scim/v2/Users/abc//").await,
            "/t/acme/scim/v2/Users/abc"
        );
    }

    #[tokio::test]
    async fn other_paths_keep_their_trailing_slash() {
        assert_eq!(trimmed("/api/v1/tenants/").await, "/api/v1/tenants/");
        assert_eq!(trimmed("/t/acme/").await, "/t/acme/");
    }
}
