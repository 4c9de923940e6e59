//! The black-box harness: the whole HTTP service in-process (poem's test
//! client), on a database of its own.

#![allow(dead_code)]

use std::sync::Arc;

use latchkey_api::app::{self, HttpLimits};
use latchkey_api::metrics::Metrics;
use latchkey_api::state::AppState;
use latchkey_tenants::Store;
use latchkey_tenants::testing::TestDb;
use poem::endpoint::BoxEndpoint;
use poem::http::StatusCode;
use poem::test::TestClient;
use poem::{EndpointExt, Response};
use serde_json::{Value, json};

pub mod billing;
pub mod license;
pub mod served;
pub mod smtp;

#[allow(unused_imports)]
pub use latchkey_tenants::both_backends;
#[allow(unused_imports)]
pub use latchkey_tenants::testing;

pub struct TestApp {
    pub db: TestDb,
    pub store: Store,
    pub client: TestClient<BoxEndpoint<'static, Response>>,
    /// A platform token (`lkp_…`).
    pub platform: String,
}

/// What a request returned: status, headers and the JSON body (Null when empty).
pub struct Reply {
    pub status: StatusCode,
    pub headers: poem::http::HeaderMap,
    pub body: Value,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The stable problem code of an error reply.
    pub fn code(&self) -> &str {
        self.body["code"].as_str().unwrap_or("")
    }

    #[track_caller]
    pub fn expect(self, status: StatusCode) -> Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        self
    }

    /// Asserts an RFC 9457 problem with this status and code.
    #[track_caller]
    pub fn expect_problem(self, status: StatusCode, code: &str) -> Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/problem+json"),
            "body: {}",
            self.body
        );
        assert_eq!(self.code(), code, "body: {}", self.body);
        assert_eq!(self.body["status"], json!(status.as_u16()));
        self
    }
}

impl Reply {
    /// Asserts a SCIM error (RFC 7644 §3.12) with this status and `scimType`
    /// (`None`: the error has no `scimType`).
    #[track_caller]
    pub fn expect_scim_error(self, status: StatusCode, scim_type: Option<&str>) -> Self {
        assert_eq!(
            self.status, status,
            "unexpected status; body: {}",
            self.body
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/scim+json"),
            "body: {}",
            self.body
        );
        assert_eq!(
            self.body["schemas"],
            json!(["urn:ietf:params:scim:api:messages:2.0:Error"]),
            "body: {}",
            self.body
        );
        assert_eq!(self.body["status"], json!(status.as_u16().to_string()));
        assert_eq!(
            self.body["scimType"].as_str(),
            scim_type,
            "body: {}",
            self.body
        );
        self
    }
}

impl TestApp {
    pub async fn start(db: TestDb) -> TestApp {
        let store = db.store().await;
        Self::on_store(db, store).await
    }

    /// A node with hosted signup switched on (`signup`).
    pub async fn with_signup(
        db: TestDb,
        store: Store,
        signup: latchkey_api::signup::Signup,
    ) -> TestApp {
        let mut app = Self::on_store(db, store.clone()).await;
        app.client = TestClient::new(node_with_signup(
            store,
            Some(signup),
            HttpLimits {
                max_body_bytes: 64 * 1024,
                ..HttpLimits::default()
            },
        ));
        app
    }

    /// A second (or further) node on the same database.
    pub async fn on_store(db: TestDb, store: Store) -> TestApp {
        let platform = store
            .platform_tokens()
            .create("tests", None)
            .await
            .expect("platform token")
            .secret;
        let client = TestClient::new(node(store.clone()));
        TestApp {
            db,
            store,
            client,
            platform,
        }
    }

    pub async fn send(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut req = match method {
            "GET" => self.client.get(path),
            "POST" => self.client.post(path),
            "PUT" => self.client.put(path),
            "PATCH" => self.client.patch(path),
            "DELETE" => self.client.delete(path),
            other => panic!("unsupported method {other}"),
        };
        if let Some(t) = token {
            req = req.header("Authorization", format!("Bearer {t}"));
        }
        for (k, v) in headers {
            req = req.header(*k, *v);
        }
        if let Some(b) = body {
            req = req.body_json(&b);
        }
        let resp = req.send().await.0;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().into_vec().await.expect("body");
        let body = if bytes.is_empty() {
            Value::Null
        } else {
            serde_json::from_slice(&bytes)
                .unwrap_or(Value::String(String::from_utf8_lossy(&bytes).into()))
        };
        Reply {
            status,
            headers,
            body,
        }
    }

    pub async fn get(&self, path: &str, token: &str) -> Reply {
        self.send("GET", path, Some(token), None, &[]).await
    }

    pub async fn post(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send("POST", path, Some(token), Some(body), &[]).await
    }

    pub async fn patch(&self, path: &str, token: &str, body: Value) -> Reply {
        self.send("PATCH", path, Some(token), Some(body), &[]).await
    }

    pub async fn put(&self, path: &str, token: &str) -> Reply {
        self.send("PUT", path, Some(token), None, &[]).await
    }

    pub async fn delete(&self, path: &str, token: &str) -> Reply {
        self.send("DELETE", path, Some(token), None, &[]).await
    }

    /// Creates a tenant over the operator API; returns its slug.
    pub async fn tenant(&self, slug: &str) -> String {
        self.post(
            "/api/v1/tenants",
            &self.platform,
            json!({"slug": slug, "display_name": slug}),
        )
        .await
        .expect(StatusCode::CREATED);
        slug.to_owned()
    }

    /// A tenant token with the given scopes; returns its secret.
    pub async fn token(&self, slug: &str, scopes: &[&str]) -> String {
        let r = self
            .post(
                &format!("/api/v1/tenants/{slug}/tokens"),
                &self.platform,
                json!({"name": "test", "scopes": scopes}),
            )
            .await
            .expect(StatusCode::CREATED);
        r.body["token"].as_str().expect("token secret").to_owned()
    }

    /// A SCIM token (`lks_…`) of the tenant; returns its secret.
    pub async fn scim_token(&self, slug: &str) -> String {
        self.token(slug, &["scim"]).await
    }

    /// A SCIM request to `/t/{slug}/scim/v2{path}` (`path` may carry a query).
    pub async fn scim(
        &self,
        method: &str,
        slug: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
    ) -> Reply {
        self.scim_with(method, slug, path, token, body, &[]).await
    }

    /// As [`TestApp::scim`], with extra headers (`If-Match` …).
    pub async fn scim_with(
        &self,
        method: &str,
        slug: &str,
        path: &str,
        token: &str,
        body: Option<Value>,
        headers: &[(&str, &str)],
    ) -> Reply {
        let mut all = vec![("Content-Type", "application/scim+json")];
        all.extend_from_slice(headers);
        self.send(
            method,
            &format!("/t/{slug}/scim/v2{path}"),
            Some(token),
            body,
            &all,
        )
        .await
    }

    /// Creates a SCIM user with just a userName; returns its JSON.
    pub async fn scim_user(&self, slug: &str, token: &str, user_name: &str) -> Value {
        self.scim(
            "POST",
            slug,
            "/Users",
            token,
            Some(json!({
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                "userName": user_name,
            })),
        )
        .await
        .expect(StatusCode::CREATED)
        .body
    }

    /// Creates a user; returns its JSON.
    pub async fn user(&self, slug: &str, token: &str, user_name: &str) -> Value {
        self.post(
            &format!("/api/v1/tenants/{slug}/users"),
            token,
            json!({"user_name": user_name, "email": format!("{user_name}@example.com")}),
        )
        .await
        .expect(StatusCode::CREATED)
        .body
    }

    /// Creates a group; returns its JSON.
    pub async fn group(&self, slug: &str, token: &str, name: &str) -> Value {
        self.post(
            &format!("/api/v1/tenants/{slug}/groups"),
            token,
            json!({"display_name": name}),
        )
        .await
        .expect(StatusCode::CREATED)
        .body
    }
}

/// One node of the service over `store`, as `latchkey serve` builds it.
pub fn node(store: Store) -> BoxEndpoint<'static, Response> {
    node_with(
        store,
        HttpLimits {
            max_body_bytes: 64 * 1024,
            ..HttpLimits::default()
        },
    )
}

pub fn node_with(store: Store, limits: HttpLimits) -> BoxEndpoint<'static, Response> {
    node_with_signup(store, None, limits)
}

pub fn node_with_signup(
    store: Store,
    signup: Option<latchkey_api::signup::Signup>,
    limits: HttpLimits,
) -> BoxEndpoint<'static, Response> {
    let state = AppState {
        store,
        metrics: Arc::new(Metrics::default()),
        public_url: "http://localhost".into(),
        max_body_bytes: limits.max_body_bytes,
        signup: signup.map(Arc::new),
        billing: None,
    };
    app::endpoint(state, limits).map_to_response().boxed()
}
