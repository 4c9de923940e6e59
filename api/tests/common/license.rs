//! A service whose licences the test signs: it trusts a key of the test's
//! own (`TrustedKeys::for_tests`, absent from the binary) and runs on a
//! clock the test moves.

use std::sync::Arc;
use std::time::Duration;

use latchkey_tenants::StoreConfig;
use latchkey_tenants::clock::ManualClock;
use latchkey_tenants::licensing::{LicenseClaims, SigningKeyPair, TrustedKeys};
use latchkey_tenants::testing::TestDb;
use poem::http::StatusCode;
use serde_json::Value;
use time::OffsetDateTime;

use super::{Reply, TestApp};

/// A service that trusts `key`, on a clock the test moves.
pub struct Lab {
    pub app: TestApp,
    pub key: SigningKeyPair,
    pub clock: ManualClock,
}

pub async fn lab_with(db: TestDb, adjust: impl FnOnce(&mut StoreConfig)) -> Lab {
    let key = SigningKeyPair::generate();
    // Whole seconds, as licence times are.
    let start =
        OffsetDateTime::from_unix_timestamp(OffsetDateTime::now_utc().unix_timestamp()).unwrap();
    let clock = ManualClock::new(start);
    let (public, c) = (key.public(), clock.clone());
    let store = db
        .store_with(|config| {
            config.trusted_keys = TrustedKeys::for_tests(&[public]);
            config.clock = Arc::new(c);
            // Every check sees the status as of now (the clock moves in tests).
            config.cache_ttl = Duration::ZERO;
            adjust(config);
        })
        .await;
    let app = TestApp::on_store(db, store).await;
    Lab { app, key, clock }
}

pub async fn lab(db: TestDb) -> Lab {
    lab_with(db, |_| {}).await
}

impl Lab {
    pub fn now(&self) -> OffsetDateTime {
        use latchkey_tenants::clock::Clock;
        self.clock.now()
    }

    /// A licence for any installation, valid from now for `days`.
    pub fn license(&self, id: &str, seats: u64, days: i64, features: &[&str]) -> String {
        let now = self.now().unix_timestamp();
        self.key
            .issue(&LicenseClaims {
                jti: id.into(),
                sub: "Acme Corp".into(),
                iat: now,
                nbf: now,
                exp: now + days * 86_400,
                install: "any".into(),
                seats,
                features: features.iter().map(|f| (*f).to_owned()).collect(),
            })
            .unwrap()
    }

    pub async fn install(&self, license: &str) -> Reply {
        self.install_as("text/plain", license.as_bytes().to_vec())
            .await
    }

    /// Installs a body sent with the given `Content-Type`.
    pub async fn install_as(&self, content_type: &str, body: Vec<u8>) -> Reply {
        let req = self
            .app
            .client
            .put("/api/v1/license")
            .header("Authorization", format!("Bearer {}", self.app.platform))
            .content_type(content_type)
            .body(body);
        let resp = req.send().await.0;
        let status = resp.status();
        let headers = resp.headers().clone();
        let bytes = resp.into_body().into_vec().await.unwrap();
        Reply {
            status,
            headers,
            body: serde_json::from_slice(&bytes).unwrap_or(Value::Null),
        }
    }

    pub async fn status(&self) -> Value {
        self.app
            .get("/api/v1/license", &self.app.platform)
            .await
            .expect(StatusCode::OK)
            .body
    }

    pub fn advance_days(&self, days: i64) {
        self.clock.advance(time::Duration::days(days));
    }
}
