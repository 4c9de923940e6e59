//! One error shape everywhere: RFC 9457 problem documents, whatever failed.

mod common;
use common::*;

use poem::http::StatusCode;
use serde_json::{Value, json};
use testing::TestDb;

/// The body limit the harness configures.
const LIMIT: usize = 64 * 1024;

/// Sends `body` as given, with the given content type and extra headers.
async fn raw(
    app: &TestApp,
    method: &str,
    path: &str,
    token: Option<&str>,
    content_type: Option<&str>,
    body: Vec<u8>,
    headers: &[(&str, String)],
) -> Reply {
    let mut req = match method {
        "GET" => app.client.get(path),
        "POST" => app.client.post(path),
        "PUT" => app.client.put(path),
        "PATCH" => app.client.patch(path),
        "DELETE" => app.client.delete(path),
        other => panic!("unsupported method {other}"),
    };
    if let Some(t) = token {
        req = req.header("Authorization", format!("Bearer {t}"));
    }
    if let Some(ct) = content_type {
        req = req.content_type(ct);
    }
    for (k, v) in headers {
        req = req.header(*k, v.as_str());
    }
    let resp = req.body(body).send().await.0;
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

/// Asserts the full RFC 9457 shape of an error reply, and that it does not
/// echo any of `secrets`.
#[track_caller]
fn assert_problem(what: &str, r: &Reply, status: StatusCode, code: &str, secrets: &[&str]) {
    let b = &r.body;
    assert_eq!(r.status, status, "{what}: {b}");
    assert_eq!(
        r.header("content-type"),
        Some("application/problem+json"),
        "{what}: {b}"
    );
    assert_eq!(b["code"], code, "{what}: {b}");
    assert_eq!(b["status"], json!(status.as_u16()), "{what}: {b}");
    assert_eq!(
        b["type"],
        format!("https://latchkey.dev/problems/{code}").as_str(),
        "{what}: {b}"
    );
    for field in ["title", "detail", "request_id"] {
        assert!(
            b[field].as_str().is_some_and(|s| !s.is_empty()),
            "{what}: no {field} in {b}"
        );
    }
    assert_eq!(
        b["request_id"].as_str(),
        r.header("x-request-id"),
        "{what}: the request id differs from the header"
    );
    let text = b.to_string();
    for secret in secrets {
        assert!(
            !text.contains(secret),
            "{what}: the error echoes a token: {b}"
        );
    }
    assert!(
        !text.to_lowercase().contains("select "),
        "{what}: SQL in {b}"
    );
    assert!(
        !text.contains("panicked") && !text.contains("src/"),
        "{what}: internals in {b}"
    );
}

both_backends! {
    async fn a_body_over_the_limit_is_413_payload_too_large(db: TestDb) {
        let app = TestApp::start(db).await;
        let big = json!({"slug": "acme", "display_name": "x".repeat(LIMIT + 1)});
        // Streamed, without a declared length.
        let r = app
            .post("/api/v1/tenants", &app.platform, big.clone())
            .await;
        assert_problem(
            "streamed",
            &r,
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            &[&app.platform],
        );
        // With a declared length, refused before the body is read.
        let bytes = serde_json::to_vec(&big).unwrap();
        let len = bytes.len().to_string();
        let r = raw(
            &app,
            "POST",
            "/api/v1/tenants",
            Some(&app.platform),
            Some("application/json"),
            bytes,
            &[("content-length", len)],
        )
        .await;
        assert_problem(
            "declared",
            &r,
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload-too-large",
            &[&app.platform],
        );
        // Nothing was created; a body just under the limit is read (and judged on its content).
        let listed = app
            .get("/api/v1/tenants", &app.platform)
            .await
            .expect(StatusCode::OK);
        assert_eq!(listed.body["items"], json!([]));
        let under = json!({"slug": "acme", "display_name": "x".repeat(LIMIT - 100)});
        let r = app.post("/api/v1/tenants", &app.platform, under).await;
        assert_problem(
            "under the limit",
            &r,
            StatusCode::BAD_REQUEST,
            "invalid-request",
            &[&app.platform],
        );
        assert_eq!(r.body["errors"][0]["field"], "display_name");
    }

    async fn an_unknown_path_is_a_404_problem(db: TestDb) {
        let app = TestApp::start(db).await;
        for path in ["/nope", "/api/v1/nope", "/api/v2/tenants", "/t/acme/nope"] {
            let r = app.send("GET", path, Some(&app.platform), None, &[]).await;
            assert_problem(
                path,
                &r,
                StatusCode::NOT_FOUND,
                "not-found",
                &[&app.platform],
            );
            let r = app.send("GET", path, None, None, &[]).await;
            assert_problem(path, &r, StatusCode::NOT_FOUND, "not-found", &[]);
        }
    }

    async fn every_error_is_a_complete_problem_document_that_never_echoes_the_token(db: TestDb) {
        let app = TestApp::start(db).await;
        let slug = app.tenant("acme").await;
        let admin = app.token(&slug, &["admin"]).await;
        let read = app.token(&slug, &["read"]).await;
        let revoked = app
            .post(
                &format!("/api/v1/tenants/{slug}/tokens"),
                &admin,
                json!({"name": "old", "scopes": ["admin"]}),
            )
            .await
            .expect(StatusCode::CREATED)
            .body;
        let revoked_secret = revoked["token"].as_str().unwrap().to_owned();
        app.delete(
            &format!(
                "/api/v1/tenants/{slug}/tokens/{}",
                revoked["id"].as_str().unwrap()
            ),
            &admin,
        )
        .await
        .expect(StatusCode::OK);
        let user = app.user(&slug, &admin, "ada").await;
        let user_path = format!(
            "/api/v1/tenants/{slug}/users/{}",
            user["id"].as_str().unwrap()
        );
        app.patch(&user_path, &admin, json!({"display_name": "Ada"}))
            .await
            .expect(StatusCode::OK);
        let unknown_platform = format!("lkp_{}", "Q".repeat(43));
        let garbage = "lkt_this-is-not-a-token-but-looks-secret";
        let users = format!("/api/v1/tenants/{slug}/users");
        let ghost = format!("{users}/{}", uuid::Uuid::now_v7());

        struct Case<'a> {
            what: &'a str,
            method: &'a str,
            path: String,
            token: Option<&'a str>,
            body: Option<Value>,
            headers: Vec<(&'a str, &'a str)>,
            status: StatusCode,
            code: &'a str,
        }
        let case = |what, method, path: &str, token, body, status, code| Case {
            what,
            method,
            path: path.to_owned(),
            token,
            body,
            headers: vec![],
            status,
            code,
        };
        let mut cases = vec![
            case(
                "no token",
                "GET",
                &users,
                None,
                None,
                StatusCode::UNAUTHORIZED,
                "token-missing",
            ),
            case(
                "garbage token",
                "GET",
                &users,
                Some(garbage),
                None,
                StatusCode::UNAUTHORIZED,
                "token-invalid",
            ),
            case(
                "unknown token",
                "GET",
                "/api/v1/tenants",
                Some(&unknown_platform),
                None,
                StatusCode::UNAUTHORIZED,
                "token-invalid",
            ),
            case(
                "revoked token",
                "GET",
                &users,
                Some(&revoked_secret),
                None,
                StatusCode::UNAUTHORIZED,
                "token-revoked",
            ),
            case(
                "tenant token on operator API",
                "GET",
                "/api/v1/tenants",
                Some(&admin),
                None,
                StatusCode::FORBIDDEN,
                "insufficient-scope",
            ),
            case(
                "read token writes",
                "POST",
                &users,
                Some(&read),
                Some(json!({"user_name": "bob"})),
                StatusCode::FORBIDDEN,
                "insufficient-scope",
            ),
            case(
                "unknown tenant",
                "GET",
                "/api/v1/tenants/nosuch/users",
                Some(&admin),
                None,
                StatusCode::NOT_FOUND,
                "tenant-not-found",
            ),
            case(
                "unknown user",
                "GET",
                &ghost,
                Some(&admin),
                None,
                StatusCode::NOT_FOUND,
                "user-not-found",
            ),
            case(
                "malformed id",
                "GET",
                &format!("{users}/not-a-uuid"),
                Some(&admin),
                None,
                StatusCode::NOT_FOUND,
                "not-found",
            ),
            case(
                "unknown path",
                "GET",
                "/api/v1/nothing-here",
                Some(&admin),
                None,
                StatusCode::NOT_FOUND,
                "not-found",
            ),
            case(
                "invalid slug",
                "POST",
                "/api/v1/tenants",
                Some(&app.platform),
                Some(json!({"slug": "a", "display_name": "A"})),
                StatusCode::BAD_REQUEST,
                "invalid-request",
            ),
            case(
                "missing field",
                "POST",
                &users,
                Some(&admin),
                Some(json!({"email": "ada@example.com"})),
                StatusCode::BAD_REQUEST,
                "invalid-body",
            ),
            case(
                "bad email",
                "POST",
                &users,
                Some(&admin),
                Some(json!({"user_name": "bob", "email": "bob"})),
                StatusCode::BAD_REQUEST,
                "invalid-request",
            ),
            case(
                "bad limit",
                "GET",
                &format!("{users}?limit=0"),
                Some(&admin),
                None,
                StatusCode::BAD_REQUEST,
                "invalid-request",
            ),
            case(
                "unparsable limit",
                "GET",
                &format!("{users}?limit=lots"),
                Some(&admin),
                None,
                StatusCode::BAD_REQUEST,
                "invalid-request",
            ),
            case(
                "bad cursor",
                "GET",
                &format!("{users}?cursor=zzz"),
                Some(&admin),
                None,
                StatusCode::BAD_REQUEST,
                "invalid-request",
            ),
            case(
                "taken slug",
                "POST",
                "/api/v1/tenants",
                Some(&app.platform),
                Some(json!({"slug": "acme", "display_name": "A"})),
                StatusCode::CONFLICT,
                "slug-taken",
            ),
            case(
                "taken user name",
                "POST",
                &users,
                Some(&admin),
                Some(json!({"user_name": "ADA"})),
                StatusCode::CONFLICT,
                "user-name-taken",
            ),
        ];
        let mut stale = case(
            "stale If-Match",
            "PATCH",
            &user_path,
            Some(&admin),
            Some(json!({"display_name": "x"})),
            StatusCode::PRECONDITION_FAILED,
            "version-mismatch",
        );
        stale.headers.push(("If-Match", "\"1\""));
        cases.push(stale);
        let mut bad_if_match = case(
            "unparsable If-Match",
            "PATCH",
            &user_path,
            Some(&admin),
            Some(json!({"display_name": "x"})),
            StatusCode::BAD_REQUEST,
            "invalid-request",
        );
        bad_if_match.headers.push(("If-Match", "yesterday"));
        cases.push(bad_if_match);

        let secrets = [
            admin.as_str(),
            read.as_str(),
            revoked_secret.as_str(),
            unknown_platform.as_str(),
            garbage,
            app.platform.as_str(),
        ];
        for c in &cases {
            let r = app
                .send(c.method, &c.path, c.token, c.body.clone(), &c.headers)
                .await;
            assert_problem(
                &format!("{}: {} {}", c.what, c.method, c.path),
                &r,
                c.status,
                c.code,
                &secrets,
            );
        }

        // Bodies that are not JSON, or not declared as JSON.
        let r = raw(
            &app,
            "POST",
            &users,
            Some(&admin),
            Some("application/json"),
            b"{\"user_name\": ".to_vec(),
            &[],
        )
        .await;
        assert_problem(
            "truncated JSON",
            &r,
            StatusCode::BAD_REQUEST,
            "invalid-body",
            &secrets,
        );
        let r = raw(
            &app,
            "POST",
            &users,
            Some(&admin),
            Some("text/plain"),
            b"user_name=bob".to_vec(),
            &[],
        )
        .await;
        assert_problem(
            "text/plain",
            &r,
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported-media-type",
            &secrets,
        );
        // A method the path does not have.
        let r = app
            .send("PUT", "/api/v1/tenants", Some(&app.platform), None, &[])
            .await;
        assert_problem(
            "PUT /api/v1/tenants",
            &r,
            StatusCode::METHOD_NOT_ALLOWED,
            "method-not-allowed",
            &secrets,
        );
        // A suspended tenant.
        app.post(
            &format!("/api/v1/tenants/{slug}/suspend"),
            &app.platform,
            json!({}),
        )
        .await
        .expect(StatusCode::OK);
        let r = app.get(&users, &admin).await;
        assert_problem(
            "suspended",
            &r,
            StatusCode::FORBIDDEN,
            "tenant-suspended",
            &secrets,
        );
        let r = app
            .send(
                "GET",
                &format!("/t/{slug}/.well-known/jwks.json"),
                None,
                None,
                &[],
            )
            .await;
        assert_problem(
            "suspended JWKS",
            &r,
            StatusCode::FORBIDDEN,
            "tenant-suspended",
            &secrets,
        );
    }

    async fn an_error_carries_the_request_id_the_caller_sent(db: TestDb) {
        let app = TestApp::start(db).await;
        let r = app
            .send(
                "GET",
                "/api/v1/tenants/nosuch",
                Some(&app.platform),
                None,
                &[("x-request-id", "trace-me-7")],
            )
            .await;
        assert_problem(
            "unknown tenant",
            &r,
            StatusCode::NOT_FOUND,
            "tenant-not-found",
            &[&app.platform],
        );
        assert_eq!(r.body["request_id"], "trace-me-7");
        let r = app
            .send(
                "GET",
                "/api/v1/tenants",
                None,
                None,
                &[("x-request-id", "trace-me-8")],
            )
            .await;
        assert_problem(
            "no token",
            &r,
            StatusCode::UNAUTHORIZED,
            "token-missing",
            &[],
        );
        assert_eq!(r.body["request_id"], "trace-me-8");
    }
}
