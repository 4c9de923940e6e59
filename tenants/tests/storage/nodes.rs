//! Two nodes (two `Store`s) on one database: what one changes, the other
//! applies within its cache lifetime.

use crate::support::*;

const CACHE_TTL: Duration = Duration::from_millis(200);

/// Long enough for every entry cached on the other node to have expired.
const PAST_THE_CACHE: Duration = Duration::from_millis(400);

async fn node(db: &TestDb) -> Store {
    db.store_with(|c| c.cache_ttl = CACHE_TTL).await
}

both_backends! {
    async fn a_token_revoked_on_one_node_is_refused_by_another_within_the_cache_lifetime(
        db: TestDb,
    ) {
        let one = node(&db).await;
        let two = node(&db).await;
        let acme = new_tenant(&one, "acme").await;
        let issued = acme.tokens().create(tenant_token(&[Scope::Admin])).await.unwrap();
        two.authenticate(&issued.secret).await.expect("node two accepts the fresh token");

        acme.tokens().revoke(issued.token.id).await.unwrap();
        tokio::time::sleep(PAST_THE_CACHE).await;

        assert_err!(
            two.authenticate(&issued.secret).await,
            Error::Unauthenticated(AuthFailure::Revoked)
        );
    }

    async fn a_tenant_suspended_on_one_node_is_seen_suspended_by_another_within_the_cache_lifetime(
        db: TestDb,
    ) {
        let one = node(&db).await;
        let two = node(&db).await;
        new_tenant(&one, "acme").await;
        let seen = two.tenants().get("acme").await.unwrap();
        assert_eq!(seen.status, TenantStatus::Active);

        let suspended = one.tenants().suspend("acme", &Actor::cli()).await.unwrap();
        assert_eq!(suspended.status, TenantStatus::Suspended);
        tokio::time::sleep(PAST_THE_CACHE).await;

        let seen = two.tenants().get("acme").await.unwrap();
        assert_eq!(seen.status, TenantStatus::Suspended);
        assert_err!(seen.ensure_usable(), Error::TenantSuspended(ref slug) if slug == "acme");
    }

    async fn a_tenant_created_on_one_node_is_usable_on_another(db: TestDb) {
        let one = node(&db).await;
        let two = node(&db).await;
        let on_one = new_tenant(&one, "acme").await;
        let ada = create_user(&on_one, "ada").await;

        let tenant = two.tenants().get("acme").await.unwrap();
        let on_two = two.tenant(tenant, Actor::cli());

        assert_eq!(on_two.users().get(ada.id).await.unwrap(), ada);
        on_two.keys().sign(Alg::Es256, &serde_json::json!({ "sub": "ada" })).await.unwrap();
    }
}
