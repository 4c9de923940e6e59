//! People signing in with a password: who may, what a refusal says and
//! costs, the throttle under parallel guesses, and the sessions it opens.

use std::sync::Arc;

use latchkey_tenants::scim::{Projection, ResourceKind};
use latchkey_tenants::signin::{Client, Lifetimes};
use serde_json::{Value, json};
use time::OffsetDateTime;

use crate::support::*;

const PASSWORD: &str = "violet-harbour-tangent-42";

/// A user SCIM provisioned with `PASSWORD`, as an HR system would.
async fn provision(scope: &TenantScope, body: Value) -> UserId {
    let projection =
        Projection::from_query(ResourceKind::User.resource_type(), None, None).unwrap();
    let mut body = body;
    body["schemas"] = json!(["urn:ietf:params:scim:schemas:core:2.0:User"]);
    body["password"] = json!(PASSWORD);
    let created = scope
        .scim("http://test/t/x/scim/v2".into())
        .create(ResourceKind::User, &body, &projection)
        .await
        .unwrap();
    created.document["id"]
        .as_str()
        .unwrap()
        .parse::<uuid::Uuid>()
        .unwrap()
        .into()
}

async fn ada(scope: &TenantScope) -> UserId {
    provision(
        scope,
        json!({ "userName": "Ada", "emails": [{ "value": "Ada@Example.com", "primary": true }] }),
    )
    .await
}

fn client() -> Client {
    Client {
        address: Some("203.0.113.7".parse().unwrap()),
        user_agent: Some("test".into()),
    }
}

async fn sign_in(scope: &TenantScope, login: &str, password: &str) -> Result<String, Error> {
    scope
        .sign_in()
        .with_password(login, password, &client(), Lifetimes::default())
        .await
        .map(|opened| opened.secret)
}

/// The `reason` of every failed sign-in, in order.
async fn failure_reasons(scope: &TenantScope) -> Vec<String> {
    let mut events = scope
        .audit()
        .list(
            AuditQuery {
                action: Some("user.sign_in_failed".into()),
                actor: None,
            },
            PageRequest::first(100),
        )
        .await
        .unwrap()
        .items;
    events.reverse();
    events
        .into_iter()
        .map(|e| e.detail["reason"].as_str().unwrap().to_owned())
        .collect()
}

both_backends! {
    async fn a_user_signs_in_by_user_name_or_primary_email_ignoring_case(db: TestDb) {
        let store = db.store().await;
        let scope = new_tenant(&store, "acme").await;
        let id = ada(&scope).await;
        for login in ["ada", "ADA", " Ada ", "ada@example.com"] {
            let secret = sign_in(&scope, login, PASSWORD).await.unwrap();
            let session = scope.sessions().current(&secret, Lifetimes::default()).await.unwrap();
            assert_eq!((session.user_id, session.amr.as_slice()), (id, ["pwd".to_owned()].as_slice()));
        }
        assert!(audit_actions(&scope).await.contains(&"user.sign_in".to_owned()));
    }

    async fn a_sign_in_and_a_sign_out_are_audited_as_the_users_own(db: TestDb) {
        let store = db.store().await;
        let scope = new_tenant(&store, "acme").await;
        let id = ada(&scope).await;
        let secret = sign_in(&scope, "ada", PASSWORD).await.unwrap();
        scope.sessions().sign_out(&secret).await.unwrap();
        let events = scope.audit().list(AuditQuery::default(), PageRequest::first(10)).await.unwrap().items;
        let by_user: Vec<_> = events
            .iter()
            .filter(|e| e.actor == format!("user:{id}"))
            .map(|e| (e.action.as_str(), e.target_id.clone()))
            .collect();
        assert_eq!(by_user, [("user.sign_out", id.to_string()), ("user.sign_in", id.to_string())]);
    }

    async fn every_refusal_is_the_same_error_and_the_audit_log_says_why(db: TestDb) {
        let store = db.store().await;
        let scope = new_tenant(&store, "acme").await;
        ada(&scope).await;
        provision(&scope, json!({ "userName": "gone", "active": false })).await;
        scope.users().create(new_user("nopass")).await.unwrap();
        for (login, password) in [
            ("ada", "wrong-password-entirely"),
            ("nobody", PASSWORD),
            ("gone", PASSWORD),
            ("nopass", PASSWORD),
        ] {
            assert_err!(
                sign_in(&scope, login, password).await,
                Error::Unauthenticated(AuthFailure::Credentials)
            );
        }
        assert_eq!(
            failure_reasons(&scope).await,
            ["wrong_password", "unknown_user", "inactive", "no_password"]
        );
    }

    async fn an_external_user_cannot_sign_in(db: TestDb) {
        let store = db.store().await;
        let scope = new_tenant(&store, "acme").await;
        provision(&scope, json!({ "userName": "guest", "userType": "external" })).await;
        let user = scope.users().list(UserQuery::default(), PageRequest::first(10)).await.unwrap().items;
        scope
            .users()
            .update(user[0].id, UserPatch { kind: Some(latchkey_tenants::directory::UserKind::External), ..UserPatch::default() }, None)
            .await
            .unwrap();
        assert_err!(
            sign_in(&scope, "guest", PASSWORD).await,
            Error::Unauthenticated(AuthFailure::Credentials)
        );
    }

    async fn parallel_guesses_get_no_more_tries_than_the_account_limit(db: TestDb) {
        let store = db.store().await;
        let scope = new_tenant(&store, "acme").await;
        ada(&scope).await;
        let guesses: Vec<_> = (0..30).map(|i| {
            let scope = scope.clone();
            tokio::spawn(async move {
                scope
                    .sign_in()
                    .with_password("ada", &format!("guess-{i}"), &Client::default(), Lifetimes::default())
                    .await
            })
        }).collect();
        let mut checked = 0;
        let mut throttled = 0;
        for guess in guesses {
            match guess.await.unwrap() {
                Err(Error::Unauthenticated(AuthFailure::Credentials)) => checked += 1,
                Err(Error::Throttled { retry_after }) => {
                    assert!(retry_after > Duration::ZERO && retry_after <= Duration::from_secs(300));
                    throttled += 1;
                }
                other => panic!("{:?}", other.map(|o| o.session)),
            }
        }
        assert_eq!((checked, throttled), (10, 20));
        // The right password waits too: the account is throttled, not the guess.
        assert_err!(sign_in(&scope, "ada", PASSWORD).await, Error::Throttled { .. });
    }

    async fn a_throttled_account_signs_in_again_when_the_window_ends(db: TestDb) {
        let clock = ManualClock::new(OffsetDateTime::now_utc());
        let store = {
            let clock = clock.clone();
            db.store_with(move |c| c.clock = Arc::new(clock)).await
        };
        let scope = new_tenant(&store, "acme").await;
        ada(&scope).await;
        for _ in 0..10 {
            assert_err!(sign_in(&scope, "ada", "nope-nope-nope").await, Error::Unauthenticated(_));
        }
        assert_err!(sign_in(&scope, "ada", PASSWORD).await, Error::Throttled { .. });
        clock.advance(time::Duration::minutes(5));
        sign_in(&scope, "ada", PASSWORD).await.unwrap();
    }

    async fn an_unknown_login_is_throttled_as_a_known_one_is(db: TestDb) {
        let store = db.store().await;
        let scope = new_tenant(&store, "acme").await;
        for _ in 0..10 {
            assert_err!(sign_in(&scope, "nobody", PASSWORD).await, Error::Unauthenticated(_));
        }
        assert_err!(sign_in(&scope, "nobody", PASSWORD).await, Error::Throttled { .. });
    }

    async fn a_session_ends_when_idle_and_at_its_maximum_whatever_its_use(db: TestDb) {
        let clock = ManualClock::new(OffsetDateTime::now_utc());
        let store = {
            let clock = clock.clone();
            db.store_with(move |c| c.clock = Arc::new(clock)).await
        };
        let scope = new_tenant(&store, "acme").await;
        ada(&scope).await;
        let lifetimes = Lifetimes { idle: Duration::from_secs(600), max: Duration::from_secs(1800) };
        let opened = scope.sign_in().with_password("ada", PASSWORD, &client(), lifetimes).await.unwrap();
        let sessions = scope.sessions();
        // Used every nine minutes, it outlives its idle time...
        for _ in 0..3 {
            clock.advance(time::Duration::minutes(9));
            sessions.current(&opened.secret, lifetimes).await.unwrap();
        }
        // ...but not its maximum.
        clock.advance(time::Duration::minutes(4));
        assert_err!(sessions.current(&opened.secret, lifetimes).await, Error::Unauthenticated(AuthFailure::Session));

        let idle = scope.sign_in().with_password("ada", PASSWORD, &client(), lifetimes).await.unwrap();
        clock.advance(time::Duration::minutes(10));
        assert_err!(sessions.current(&idle.secret, lifetimes).await, Error::Unauthenticated(AuthFailure::Session));
    }

    async fn a_deactivated_user_loses_every_session_at_once(db: TestDb) {
        let store = db.store().await;
        let scope = new_tenant(&store, "acme").await;
        let id = ada(&scope).await;
        let secret = sign_in(&scope, "ada", PASSWORD).await.unwrap();
        scope.users().update(id, UserPatch { active: Some(false), ..UserPatch::default() }, None).await.unwrap();
        assert_err!(
            scope.sessions().current(&secret, Lifetimes::default()).await,
            Error::Unauthenticated(AuthFailure::Session)
        );
    }

    async fn a_deleted_user_loses_every_session(db: TestDb) {
        let store = db.store().await;
        let scope = new_tenant(&store, "acme").await;
        let id = ada(&scope).await;
        let secret = sign_in(&scope, "ada", PASSWORD).await.unwrap();
        scope.users().delete(id, None).await.unwrap();
        assert_err!(
            scope.sessions().current(&secret, Lifetimes::default()).await,
            Error::Unauthenticated(AuthFailure::Session)
        );
    }

    async fn signing_out_and_ending_sessions_refuse_them_afterwards(db: TestDb) {
        let store = db.store().await;
        let scope = new_tenant(&store, "acme").await;
        let id = ada(&scope).await;
        let sessions = scope.sessions();
        let first = sign_in(&scope, "ada", PASSWORD).await.unwrap();
        let second = sign_in(&scope, "ada", PASSWORD).await.unwrap();
        let third = sign_in(&scope, "ada", PASSWORD).await.unwrap();
        assert_ne!(first, second, "a new secret at every sign-in");

        sessions.sign_out(&first).await.unwrap();
        assert_err!(sessions.current(&first, Lifetimes::default()).await, Error::Unauthenticated(_));

        let listed = sessions.list(id, PageRequest::first(10)).await.unwrap().items;
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].address.as_deref(), Some("203.0.113.7"));
        let second_id = sessions.current(&second, Lifetimes::default()).await.unwrap().id;
        sessions.end(id, second_id).await.unwrap();
        assert_err!(sessions.current(&second, Lifetimes::default()).await, Error::Unauthenticated(_));
        sessions.current(&third, Lifetimes::default()).await.unwrap();

        assert_eq!(sessions.end_all(id).await.unwrap(), 1);
        assert_err!(sessions.current(&third, Lifetimes::default()).await, Error::Unauthenticated(_));
        let actions = audit_actions(&scope).await;
        for action in ["user.sign_out", "user.session_end", "user.sessions_end"] {
            assert!(actions.contains(&action.to_owned()), "{action}: {actions:?}");
        }
    }

    async fn a_session_of_one_tenant_is_worthless_at_another(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let globex = new_tenant(&store, "globex").await;
        let ada_at_acme = ada(&acme).await;
        ada(&globex).await;
        let secret = sign_in(&acme, "ada", PASSWORD).await.unwrap();
        assert_err!(
            globex.sessions().current(&secret, Lifetimes::default()).await,
            Error::Unauthenticated(AuthFailure::Session)
        );
        globex.sessions().sign_out(&secret).await.unwrap();
        acme.sessions().current(&secret, Lifetimes::default()).await.unwrap();
        assert_err!(
            globex.sessions().list(ada_at_acme, PageRequest::first(10)).await,
            Error::NotFound(Resource::User)
        );
        assert_err!(globex.sessions().end_all(ada_at_acme).await, Error::NotFound(Resource::User));
        assert_eq!(acme.sessions().list(ada_at_acme, PageRequest::first(10)).await.unwrap().items.len(), 1);
    }

    async fn a_password_hashed_with_older_parameters_is_rehashed_at_sign_in(db: TestDb) {
        use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
        use diesel::prelude::*;
        use latchkey_tenants::db::schema::user_profiles;
        let store = db.store().await;
        let scope = new_tenant(&store, "acme").await;
        let id = ada(&scope).await;
        let old = argon2::Argon2::new(
            argon2::Algorithm::Argon2id,
            argon2::Version::V0x13,
            argon2::Params::new(8 * 1024, 1, 1, None).unwrap(),
        )
        .hash_password(PASSWORD.as_bytes(), &SaltString::generate(&mut OsRng))
        .unwrap()
        .to_string();
        let stored = |conn: &mut _| -> String {
            user_profiles::table
                .filter(user_profiles::user_id.eq(Id::from(id)))
                .select(user_profiles::password_hash.assume_not_null())
                .first(conn)
                .unwrap()
        };
        let conn = &mut db.url().establish_owner().unwrap();
        diesel::update(user_profiles::table.filter(user_profiles::user_id.eq(Id::from(id))))
            .set(user_profiles::password_hash.eq(&old))
            .execute(conn)
            .unwrap();
        sign_in(&scope, "ada", PASSWORD).await.unwrap();
        let now = stored(conn);
        assert_ne!(now, old);
        assert!(!latchkey_tenants::password::needs_rehash(&now), "{now}");
        sign_in(&scope, "ada", PASSWORD).await.unwrap();
    }
}

both_backends! {
    async fn a_user_name_wins_over_emails_other_users_share(db: TestDb) {
        let store = db.store().await;
        let scope = new_tenant(&store, "acme").await;
        for name in ["a1", "a2", "a3"] {
            provision(&scope, json!({ "userName": name, "emails": [{ "value": "shared@example.com", "primary": true }] })).await;
        }
        let named = provision(&scope, json!({ "userName": "shared@example.com" })).await;
        let secret = sign_in(&scope, "shared@example.com", PASSWORD).await.unwrap();
        let session = scope.sessions().current(&secret, Lifetimes::default()).await.unwrap();
        assert_eq!(session.user_id, named);
    }

    async fn an_email_several_users_share_signs_nobody_in(db: TestDb) {
        let store = db.store().await;
        let scope = new_tenant(&store, "acme").await;
        for name in ["a1", "a2"] {
            provision(&scope, json!({ "userName": name, "emails": [{ "value": "shared@example.com", "primary": true }] })).await;
        }
        assert_err!(
            sign_in(&scope, "shared@example.com", PASSWORD).await,
            Error::Unauthenticated(AuthFailure::Credentials)
        );
    }
}
