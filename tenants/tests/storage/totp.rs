//! TOTP as a second factor: enrolment proved by a first code, each code
//! accepted once, guesses throttled, and a secret worthless at another
//! tenant.

use std::sync::Arc;

use latchkey_tenants::FactorId;
use latchkey_tenants::clock::Clock;
use latchkey_tenants::signin::TotpEnrolment;
use time::OffsetDateTime;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::support::*;

/// What the user's authenticator app shows for `enrolment` at `at`.
fn code(enrolment: &TotpEnrolment, at: OffsetDateTime) -> String {
    let secret = Secret::Encoded(enrolment.secret.to_string())
        .to_bytes()
        .unwrap();
    TOTP::new_unchecked(Algorithm::SHA1, 6, 1, 30, secret, None, String::new())
        .generate(at.unix_timestamp() as u64)
}

struct Setup {
    clock: ManualClock,
    store: Store,
    scope: TenantScope,
    user: UserId,
}

async fn setup(db: &TestDb) -> Setup {
    // Mid-step, so that "one step later" is unambiguous.
    let clock = ManualClock::new(OffsetDateTime::from_unix_timestamp(1_800_000_015).unwrap());
    let store = {
        let clock = clock.clone();
        db.store_with(move |c| c.clock = Arc::new(clock)).await
    };
    let scope = new_tenant(&store, "acme").await;
    let user = create_user(&scope, "ada").await.id;
    Setup {
        clock,
        store,
        scope,
        user,
    }
}

async fn enrolled(s: &Setup) -> (FactorId, TotpEnrolment) {
    let enrolment = s.scope.factors().begin_totp(s.user, "Phone").await.unwrap();
    let first = code(&enrolment, s.clock.now());
    s.scope
        .factors()
        .confirm_totp(s.user, enrolment.factor_id, &first)
        .await
        .unwrap();
    (enrolment.factor_id, enrolment)
}

both_backends! {
    async fn an_enrolment_gives_the_app_its_secret_and_uri(db: TestDb) {
        let s = setup(&db).await;
        let enrolment = s.scope.factors().begin_totp(s.user, "Phone").await.unwrap();
        assert_eq!(enrolment.secret.len(), 32, "160 bits in base32");
        assert!(enrolment.uri.starts_with("otpauth://totp/acme%20Ltd:ada?"), "{}", enrolment.uri.as_str());
        assert!(enrolment.uri.contains(&format!("secret={}", enrolment.secret.as_str())));
    }

    async fn an_unconfirmed_factor_signs_nobody_in(db: TestDb) {
        let s = setup(&db).await;
        let enrolment = s.scope.factors().begin_totp(s.user, "Phone").await.unwrap();
        let now = code(&enrolment, s.clock.now());
        assert_err!(s.scope.factors().verify_totp(s.user, &now).await, Error::Unauthenticated(AuthFailure::Code));
    }

    async fn a_wrong_first_code_does_not_confirm(db: TestDb) {
        let s = setup(&db).await;
        let enrolment = s.scope.factors().begin_totp(s.user, "Phone").await.unwrap();
        let later = code(&enrolment, s.clock.now() + time::Duration::minutes(5));
        assert_err!(
            s.scope.factors().confirm_totp(s.user, enrolment.factor_id, &later).await,
            Error::Unauthenticated(AuthFailure::Code)
        );
    }

    async fn a_code_is_accepted_once(db: TestDb) {
        let s = setup(&db).await;
        let (factor, enrolment) = enrolled(&s).await;
        s.clock.advance(time::Duration::seconds(30));
        let now = code(&enrolment, s.clock.now());
        assert_eq!(s.scope.factors().verify_totp(s.user, &now).await.unwrap(), factor);
        assert_err!(s.scope.factors().verify_totp(s.user, &now).await, Error::Unauthenticated(AuthFailure::Code));
    }

    async fn the_confirming_code_and_older_ones_are_used_up(db: TestDb) {
        let s = setup(&db).await;
        let (_, enrolment) = enrolled(&s).await;
        let confirming = code(&enrolment, s.clock.now());
        let before = code(&enrolment, s.clock.now() - time::Duration::seconds(30));
        for used in [confirming, before] {
            assert_err!(s.scope.factors().verify_totp(s.user, &used).await, Error::Unauthenticated(AuthFailure::Code));
        }
    }

    async fn a_code_one_step_early_or_late_is_accepted_two_steps_is_not(db: TestDb) {
        let s = setup(&db).await;
        let (_, enrolment) = enrolled(&s).await;
        s.clock.advance(time::Duration::minutes(5));
        let at = |steps: i64| code(&enrolment, s.clock.now() + time::Duration::seconds(30 * steps));
        assert_err!(s.scope.factors().verify_totp(s.user, &at(-2)).await, Error::Unauthenticated(_));
        s.scope.factors().verify_totp(s.user, &at(-1)).await.unwrap();
        s.scope.factors().verify_totp(s.user, &at(1)).await.unwrap();
    }

    async fn one_code_used_in_parallel_passes_once(db: TestDb) {
        let s = setup(&db).await;
        let (_, enrolment) = enrolled(&s).await;
        s.clock.advance(time::Duration::seconds(30));
        let now = code(&enrolment, s.clock.now());
        let tries: Vec<_> = (0..4)
            .map(|_| {
                let (scope, user, now) = (s.scope.clone(), s.user, now.clone());
                tokio::spawn(async move { scope.factors().verify_totp(user, &now).await })
            })
            .collect();
        let mut passed = 0;
        for t in tries {
            if t.await.unwrap().is_ok() {
                passed += 1;
            }
        }
        assert_eq!(passed, 1);
    }

    async fn guessing_codes_is_throttled_per_user(db: TestDb) {
        let s = setup(&db).await;
        let (_, enrolment) = enrolled(&s).await;
        s.clock.advance(time::Duration::minutes(1));
        for guess in ["000000", "111111", "222222", "333333", "444444"] {
            let result = s.scope.factors().verify_totp(s.user, guess).await;
            if result.is_ok() {
                continue; // a guess that happens to be right
            }
            assert_err!(result, Error::Unauthenticated(AuthFailure::Code));
        }
        let right = code(&enrolment, s.clock.now());
        assert_err!(s.scope.factors().verify_totp(s.user, &right).await, Error::Throttled { .. });
    }

    async fn a_totp_secret_is_worthless_at_another_tenant(db: TestDb) {
        use diesel::prelude::*;
        use latchkey_tenants::db::schema::user_factors;
        let s = setup(&db).await;
        let (factor, enrolment) = enrolled(&s).await;
        let globex = new_tenant(&s.store, "globex").await;
        let ada_at_globex = create_user(&globex, "ada").await.id;
        let theirs = globex.factors().begin_totp(ada_at_globex, "Phone").await.unwrap();
        // Acme's sealed secret copied over globex's factor row: it no longer opens.
        let conn = &mut db.url().establish_owner().unwrap();
        let sealed: Vec<u8> = user_factors::table
            .filter(user_factors::id.eq(Id::from(factor.as_uuid())))
            .select(user_factors::secret_sealed)
            .first(conn)
            .unwrap();
        diesel::update(user_factors::table.filter(user_factors::id.eq(Id::from(theirs.factor_id.as_uuid()))))
            .set(user_factors::secret_sealed.eq(sealed))
            .execute(conn)
            .unwrap();
        let acme_code = code(&enrolment, s.clock.now() + time::Duration::seconds(30));
        assert!(globex.factors().confirm_totp(ada_at_globex, theirs.factor_id, &acme_code).await.is_err());
        assert_err!(
            globex.factors().verify_totp(s.user, &acme_code).await,
            Error::Unauthenticated(AuthFailure::Code)
        );
    }
}

const PASSWORD: &str = "violet-harbour-tangent-42";

/// Gives `s.user` the password `PASSWORD`, through SCIM as an HR system would.
async fn with_password(s: &Setup) {
    use latchkey_tenants::scim::{Projection, ResourceKind};
    let projection =
        Projection::from_query(ResourceKind::User.resource_type(), None, None).unwrap();
    let body = serde_json::json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
        "userName": "ada",
        "password": PASSWORD,
    });
    s.scope
        .scim("http://test/t/x/scim/v2".into())
        .replace(
            ResourceKind::User,
            Id::from(s.user.as_uuid()),
            &body,
            None,
            &projection,
        )
        .await
        .unwrap();
}

async fn password_step(s: &Setup) -> latchkey_tenants::signin::OpenedSession {
    s.scope
        .sign_in()
        .with_password("ada", PASSWORD, &Client::default(), Lifetimes::default())
        .await
        .unwrap()
}

use latchkey_tenants::signin::{Client, Lifetimes};

both_backends! {
    async fn with_a_second_factor_a_password_alone_opens_no_page(db: TestDb) {
        let s = setup(&db).await;
        with_password(&s).await;
        enrolled(&s).await;
        let half = password_step(&s).await;
        assert!(half.second_factor_due);
        assert_err!(
            s.scope.sessions().current(&half.secret, Lifetimes::default()).await,
            Error::Unauthenticated(AuthFailure::Session)
        );
        assert!(!audit_actions(&s.scope).await.contains(&"user.sign_in".to_owned()));
    }

    async fn the_code_replaces_the_half_signed_in_session_with_a_full_one(db: TestDb) {
        let s = setup(&db).await;
        with_password(&s).await;
        let (_, enrolment) = enrolled(&s).await;
        let half = password_step(&s).await;
        s.clock.advance(time::Duration::seconds(30));
        let now = code(&enrolment, s.clock.now());
        let full = s.scope.sign_in().with_totp(&half.secret, &now, &Client::default(), Lifetimes::default()).await.unwrap();
        assert!(!full.second_factor_due);
        assert_ne!(full.secret, half.secret);
        let session = s.scope.sessions().current(&full.secret, Lifetimes::default()).await.unwrap();
        assert_eq!(session.amr, ["pwd", "otp"]);
        assert_err!(
            s.scope.sessions().awaiting_second_factor(&half.secret).await,
            Error::Unauthenticated(AuthFailure::Session)
        );
    }

    async fn a_wrong_code_is_refused_and_audited_and_the_half_session_waits(db: TestDb) {
        let s = setup(&db).await;
        with_password(&s).await;
        let (_, enrolment) = enrolled(&s).await;
        let half = password_step(&s).await;
        s.clock.advance(time::Duration::seconds(30));
        let wrong = code(&enrolment, s.clock.now() + time::Duration::minutes(10));
        assert_err!(
            s.scope.sign_in().with_totp(&half.secret, &wrong, &Client::default(), Lifetimes::default()).await,
            Error::Unauthenticated(AuthFailure::Code)
        );
        assert!(audit_actions(&s.scope).await.contains(&"user.sign_in_failed".to_owned()));
        let right = code(&enrolment, s.clock.now());
        s.scope.sign_in().with_totp(&half.secret, &right, &Client::default(), Lifetimes::default()).await.unwrap();
    }

    async fn a_half_signed_in_session_ends_after_five_minutes(db: TestDb) {
        let s = setup(&db).await;
        with_password(&s).await;
        let (_, enrolment) = enrolled(&s).await;
        let half = password_step(&s).await;
        s.clock.advance(time::Duration::minutes(5));
        let now = code(&enrolment, s.clock.now());
        assert_err!(
            s.scope.sign_in().with_totp(&half.secret, &now, &Client::default(), Lifetimes::default()).await,
            Error::Unauthenticated(AuthFailure::Session)
        );
    }

    async fn a_full_session_cannot_be_proved_again(db: TestDb) {
        let s = setup(&db).await;
        with_password(&s).await;
        let full = password_step(&s).await;
        assert!(!full.second_factor_due, "no factor yet");
        let (_, enrolment) = enrolled(&s).await;
        s.clock.advance(time::Duration::seconds(30));
        let now = code(&enrolment, s.clock.now());
        assert_err!(
            s.scope.sign_in().with_totp(&full.secret, &now, &Client::default(), Lifetimes::default()).await,
            Error::Unauthenticated(AuthFailure::Session)
        );
    }
}
