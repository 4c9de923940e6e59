//! Signing keys and the public JWKS, checked with an independent JOSE
//! implementation (josekit, on OpenSSL) rather than the one we sign with.

mod common;
use common::*;

use latchkey_tenants::Actor;
use latchkey_tenants::keys::signing::Alg;
use latchkey_tenants::testing::TestDb;
use poem::http::StatusCode;
use serde_json::{Value, json};

/// Signs claims with the tenant's active key of `alg`, through the domain.
async fn sign(app: &TestApp, slug: &str, alg: Alg) -> String {
    let tenant = app.store.tenants().get(slug).await.unwrap();
    app.store
        .tenant(tenant, Actor::cli())
        .keys()
        .sign(alg, &json!({"sub": "ada", "iss": format!("https://id.example/{slug}"), "exp": 4_102_444_800u64}))
        .await
        .unwrap()
}

fn verify_against_jwks(jwks: &Value, token: &str) -> Result<String, String> {
    let header: Value = {
        use base64::Engine;
        let part = token.split('.').next().unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(part)
                .unwrap(),
        )
        .unwrap()
    };
    let kid = header["kid"].as_str().ok_or("no kid")?;
    let key = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid)
        .ok_or("kid not published")?;
    let jwk = josekit::jwk::Jwk::from_bytes(serde_json::to_vec(key).unwrap())
        .map_err(|e| e.to_string())?;
    let (payload, _) = match key["alg"].as_str() {
        Some("ES256") => {
            let v = josekit::jws::ES256
                .verifier_from_jwk(&jwk)
                .map_err(|e| e.to_string())?;
            josekit::jwt::decode_with_verifier(token, &v)
        }
        Some("RS256") => {
            let v = josekit::jws::RS256
                .verifier_from_jwk(&jwk)
                .map_err(|e| e.to_string())?;
            josekit::jwt::decode_with_verifier(token, &v)
        }
        other => return Err(format!("unexpected alg {other:?}")),
    }
    .map_err(|e| e.to_string())?;
    Ok(payload.subject().unwrap_or_default().to_owned())
}

both_backends! {
    async fn a_token_signed_by_the_active_key_verifies_against_the_published_jwks(db: TestDb) {
        let app = TestApp::start(db).await;
        let slug = app.tenant("acme").await;
        let jwks = app.send("GET", "/t/acme/.well-known/jwks.json", None, None, &[]).await.expect(StatusCode::OK).body;
        for alg in [Alg::Es256, Alg::Rs256] {
            let token = sign(&app, &slug, alg).await;
            assert_eq!(verify_against_jwks(&jwks, &token), Ok("ada".to_owned()), "{alg}");
        }
    }

    async fn the_jwks_publishes_kid_alg_and_use_and_is_cacheable(db: TestDb) {
        let app = TestApp::start(db).await;
        app.tenant("acme").await;
        let r = app.send("GET", "/t/acme/.well-known/jwks.json", None, None, &[]).await.expect(StatusCode::OK);
        assert_eq!(r.header("cache-control"), Some("public, max-age=300"));
        let keys = r.body["keys"].as_array().unwrap();
        // Active and next, for each of ES256 and RS256.
        assert_eq!(keys.len(), 4);
        for k in keys {
            assert!(k["kid"].is_string() && k["alg"].is_string());
            assert_eq!(k["use"], "sig");
            assert!(k.get("d").is_none() && k.get("p").is_none(), "no private material: {k}");
        }
    }

    async fn rotation_activates_the_already_published_next_key(db: TestDb) {
        let app = TestApp::start(db).await;
        let slug = app.tenant("acme").await;
        let keys = app.get("/api/v1/tenants/acme/keys", &app.platform).await.expect(StatusCode::OK).body;
        let next_es256 = keys["items"].as_array().unwrap().iter()
            .find(|k| k["alg"] == "ES256" && k["state"] == "next").unwrap()["kid"].clone();
        let before = sign(&app, &slug, Alg::Es256).await;

        let rotated = app.post("/api/v1/tenants/acme/keys/rotate", &app.platform, json!({"algs": ["ES256"]})).await.expect(StatusCode::OK).body;
        let active = rotated["items"].as_array().unwrap().iter()
            .find(|k| k["alg"] == "ES256" && k["state"] == "active").unwrap()["kid"].clone();
        assert_eq!(active, next_es256, "the next key becomes active");

        let jwks = app.send("GET", "/t/acme/.well-known/jwks.json", None, None, &[]).await.body;
        let after = sign(&app, &slug, Alg::Es256).await;
        assert_eq!(verify_against_jwks(&jwks, &after), Ok("ada".to_owned()), "new tokens verify");
        assert_eq!(verify_against_jwks(&jwks, &before), Ok("ada".to_owned()), "tokens of the retired key still verify");
        // Retired, active and a new next key for ES256; RS256 untouched.
        assert_eq!(jwks["keys"].as_array().unwrap().len(), 5);
    }

    async fn rotating_an_unknown_algorithm_is_refused(db: TestDb) {
        let app = TestApp::start(db).await;
        app.tenant("acme").await;
        app.post("/api/v1/tenants/acme/keys/rotate", &app.platform, json!({"algs": ["HS256"]}))
            .await
            .expect_problem(StatusCode::BAD_REQUEST, "invalid-request");
    }

    async fn the_jwks_of_an_unknown_tenant_is_not_found(db: TestDb) {
        let app = TestApp::start(db).await;
        app.send("GET", "/t/nobody/.well-known/jwks.json", None, None, &[])
            .await
            .expect_problem(StatusCode::NOT_FOUND, "tenant-not-found");
    }

    async fn after_a_rewrap_the_service_keeps_signing_with_the_same_keys(mut db: TestDb) {
        // One database, rewrapped under a new master key, then served again.
        let store = db.store().await;
        let actor = Actor::cli();
        store.tenants().create(latchkey_tenants::tenant::NewTenant { slug: "acme".into(), display_name: "Acme".into() }, &actor).await.unwrap();
        let new_key = latchkey_tenants::keys::sealing::MasterKey::generate();
        assert_eq!(store.rewrap(&new_key).await.unwrap(), 1);
        db.set_master_key(&new_key);
        let again = db.store().await;
        let app = TestApp::on_store(db, again).await;
        let jwks = app.send("GET", "/t/acme/.well-known/jwks.json", None, None, &[]).await.expect(StatusCode::OK).body;
        let token = sign(&app, "acme", Alg::Rs256).await;
        assert_eq!(verify_against_jwks(&jwks, &token), Ok("ada".to_owned()));
    }
}
