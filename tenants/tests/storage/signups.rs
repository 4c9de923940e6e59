//! What an anonymous signup may cost before anyone verified it: one signing
//! key, and only until its retention ends.

use std::sync::Arc;

use latchkey_tenants::signup::{NewSignup, PendingSignup};
use time::OffsetDateTime;

use crate::support::*;

const LINK_TTL: Duration = Duration::from_secs(24 * 3600);
const RETENTION: Duration = Duration::from_secs(24 * 3600);
const EVERY: Duration = Duration::from_secs(600);

async fn node_at(db: &TestDb, clock: &ManualClock) -> Store {
    let clock = clock.clone();
    db.store_with(move |c| c.clock = Arc::new(clock)).await
}

async fn sign_up(store: &Store, slug: &str) -> PendingSignup {
    store
        .signups()
        .start(
            NewSignup {
                organization_name: format!("{slug} Inc"),
                slug: slug.to_owned(),
                email: format!("ada@{slug}.example"),
                password: "violet-harbour-tangent-42".to_owned(),
            },
            LINK_TTL,
            &Actor::cli(),
        )
        .await
        .unwrap()
}

/// `(alg, state)` of every key of the tenant, sorted.
async fn keys_of(store: &Store, slug: &str) -> Vec<(Alg, KeyState)> {
    let tenant = store.tenants().get(slug).await.unwrap();
    let mut keys: Vec<_> = store
        .tenant(tenant, Actor::cli())
        .keys()
        .list()
        .await
        .unwrap()
        .into_iter()
        .map(|k| (k.alg, k.state))
        .collect();
    keys.sort_by_key(|(alg, state)| format!("{alg:?}{state:?}"));
    keys
}

both_backends! {
    async fn a_signup_holds_only_the_key_its_link_needs_until_it_is_verified(db: TestDb) {
        let store = db.store().await;
        let pending = sign_up(&store, "acme").await;
        assert_eq!(keys_of(&store, "acme").await, [(Alg::Es256, KeyState::Active)]);

        for _ in 0..2 {
            store.signups().verify("acme", &pending.verification_token, &Actor::cli()).await.unwrap();
        }

        assert_eq!(
            keys_of(&store, "acme").await,
            [
                (Alg::Es256, KeyState::Active),
                (Alg::Es256, KeyState::Next),
                (Alg::Rs256, KeyState::Active),
                (Alg::Rs256, KeyState::Next),
            ]
        );
    }

    async fn a_signup_an_operator_activates_gets_every_key(db: TestDb) {
        let store = db.store().await;
        sign_up(&store, "acme").await;

        store.tenants().resume("acme", &Actor::cli()).await.unwrap();

        assert_eq!(keys_of(&store, "acme").await.len(), 4);
        let tenant = store.tenants().get("acme").await.unwrap();
        let claims = serde_json::json!({ "sub": "ada" });
        store.tenant(tenant, Actor::cli()).keys().sign(Alg::Rs256, &claims).await.unwrap();
    }

    async fn signups_never_verified_are_removed_after_their_retention(db: TestDb) {
        let clock = ManualClock::new(OffsetDateTime::now_utc());
        let store = node_at(&db, &clock).await;
        sign_up(&store, "old").await;
        let verified = sign_up(&store, "kept").await;
        store.signups().verify("kept", &verified.verification_token, &Actor::cli()).await.unwrap();
        clock.advance(time::Duration::hours(20));
        sign_up(&store, "young").await;
        clock.advance(time::Duration::hours(5));

        assert_eq!(store.signups().purge_unverified(RETENTION).await.unwrap(), 1);

        assert_err!(store.tenants().get("old").await, Error::NotFound(_));
        for slug in ["kept", "young"] {
            store.tenants().get(slug).await.unwrap();
        }
    }

    async fn the_purge_runs_once_per_period_across_nodes(db: TestDb) {
        let clock = ManualClock::new(OffsetDateTime::now_utc());
        let one = node_at(&db, &clock).await;
        let two = node_at(&db, &clock).await;
        sign_up(&one, "old").await;
        clock.advance(time::Duration::hours(25));

        let runs = [
            one.purge_unverified_signups_once(RETENTION, EVERY).await.unwrap(),
            two.purge_unverified_signups_once(RETENTION, EVERY).await.unwrap(),
        ];
        assert_eq!(runs, [Some(1), None], "both nodes ran the purge");

        clock.advance(time::Duration::minutes(10));
        assert_eq!(two.purge_unverified_signups_once(RETENTION, EVERY).await.unwrap(), Some(0));
    }
}
