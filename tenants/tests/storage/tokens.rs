//! API tokens: who they authenticate as, revocation, expiry, and the
//! platform bootstrap token.

use std::sync::Arc;

use time::OffsetDateTime;

use crate::support::*;

both_backends! {
    async fn a_tenant_token_authenticates_as_its_tenant_with_its_scopes(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let issued = acme.tokens().create(tenant_token(&[Scope::Read])).await.unwrap();
        assert!(issued.secret.starts_with("lkt_"));

        let principal = store.authenticate(&issued.secret).await.unwrap();

        match principal {
            Principal::Tenant { tenant_id, token_id, kind, scopes } => {
                assert_eq!(tenant_id, acme.tenant().id);
                assert_eq!(token_id, issued.token.id);
                assert_eq!(kind, TokenKind::Tenant);
                assert!(scopes.allows(Scope::Read));
                assert!(!scopes.allows(Scope::Admin));
            }
            other => panic!("expected a tenant principal, got {other:?}"),
        }
    }

    async fn a_scim_token_authenticates_as_a_scim_token_of_its_tenant(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let issued = acme.tokens().create(tenant_token(&[Scope::Scim])).await.unwrap();
        assert!(issued.secret.starts_with("lks_"));

        let principal = store.authenticate(&issued.secret).await.unwrap();

        let acme_id = acme.tenant().id;
        assert!(
            matches!(
                principal,
                Principal::Tenant { tenant_id, kind: TokenKind::Scim, .. } if tenant_id == acme_id
            ),
            "{principal:?}"
        );
    }

    async fn a_revoked_token_is_refused_as_revoked(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let issued = acme.tokens().create(tenant_token(&[Scope::Admin])).await.unwrap();
        store.authenticate(&issued.secret).await.unwrap();

        let revoked = acme.tokens().revoke(issued.token.id).await.unwrap();

        assert!(revoked.revoked_at.is_some());
        assert_err!(
            store.authenticate(&issued.secret).await,
            Error::Unauthenticated(AuthFailure::Revoked)
        );
        assert!(audit_actions(&acme).await.contains(&"token.revoke".to_owned()));
    }

    async fn an_expired_token_is_refused_as_expired(db: TestDb) {
        let clock = ManualClock::new(OffsetDateTime::now_utc());
        let store = db.store_with(|c| c.clock = Arc::new(clock.clone())).await;
        let acme = new_tenant(&store, "acme").await;
        let new = NewToken {
            expires_at: Some(store.now() + time::Duration::hours(1)),
            ..tenant_token(&[Scope::Admin])
        };
        let issued = acme.tokens().create(new).await.unwrap();
        store.authenticate(&issued.secret).await.unwrap();

        clock.advance(time::Duration::hours(1));

        assert_err!(
            store.authenticate(&issued.secret).await,
            Error::Unauthenticated(AuthFailure::Expired)
        );
    }

    async fn a_token_that_expires_in_the_past_is_refused_at_creation(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let new = NewToken {
            expires_at: Some(store.now() - time::Duration::seconds(1)),
            ..tenant_token(&[Scope::Admin])
        };

        assert_err!(
            acme.tokens().create(new).await,
            Error::Invalid { ref field, .. } if field == "expires_at"
        );
        assert!(acme.tokens().list(PageRequest::first(10)).await.unwrap().items.is_empty());
    }

    async fn a_token_of_a_deleted_tenant_is_refused(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let issued = acme.tokens().create(tenant_token(&[Scope::Admin])).await.unwrap();
        store.authenticate(&issued.secret).await.unwrap();

        store.tenants().delete("acme").await.unwrap();

        assert_err!(
            store.authenticate(&issued.secret).await,
            Error::Unauthenticated(AuthFailure::Unknown)
        );
    }

    async fn an_unknown_or_foreign_token_is_refused(db: TestDb) {
        let store = db.store().await;
        new_tenant(&store, "acme").await;

        assert_err!(
            store.authenticate(&PlatformTokens::generate_secret()).await,
            Error::Unauthenticated(AuthFailure::Unknown)
        );
        assert_err!(
            store.authenticate("ghp_not-ours").await,
            Error::Unauthenticated(AuthFailure::Malformed)
        );
    }

    async fn platform_bootstrap_creates_one_token_the_first_time_and_none_after(db: TestDb) {
        let store = db.store().await;

        let first = store.platform_tokens().bootstrap(None).await.unwrap();
        let second = store.platform_tokens().bootstrap(None).await.unwrap();

        let issued = first.expect("the first start creates a token");
        assert!(issued.secret.starts_with("lkp_"));
        assert!(second.is_none(), "the second start creates nothing");
        let tokens = store.platform_tokens().list().await.unwrap();
        assert_eq!(tokens, std::slice::from_ref(&issued.token));
        assert_eq!(
            store.authenticate(&issued.secret).await.unwrap(),
            Principal::Platform { token_id: issued.token.id }
        );
    }

    async fn a_given_bootstrap_token_is_stored_once_and_authenticates(db: TestDb) {
        let store = db.store().await;
        let secret = PlatformTokens::generate_secret();

        let first = store.platform_tokens().bootstrap(Some(&secret)).await.unwrap();
        let second = store.platform_tokens().bootstrap(Some(&secret)).await.unwrap();

        assert!(first.is_none() && second.is_none(), "a given secret is never echoed back");
        let tokens = store.platform_tokens().list().await.unwrap();
        assert_eq!(tokens.len(), 1, "{tokens:?}");
        assert_eq!(
            store.authenticate(&secret).await.unwrap(),
            Principal::Platform { token_id: tokens[0].id }
        );
        assert!(
            store.platform_tokens().bootstrap(None).await.unwrap().is_none(),
            "with a token present, nothing is generated"
        );
    }

    async fn a_bootstrap_token_that_is_not_a_platform_token_is_a_config_error(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        let tenant_secret =
            acme.tokens().create(tenant_token(&[Scope::Admin])).await.unwrap().secret;

        for bad in ["hunter2", tenant_secret.as_str()] {
            assert_err!(
                store.platform_tokens().bootstrap(Some(bad)).await,
                Error::Config(ref m) if m.contains("LATCHKEY_BOOTSTRAP_TOKEN")
            );
        }
        assert!(store.platform_tokens().list().await.unwrap().is_empty());
    }

    async fn a_revoked_platform_token_is_refused_as_revoked(db: TestDb) {
        let store = db.store().await;
        let issued = store.platform_tokens().create("terraform", None).await.unwrap();
        store.authenticate(&issued.secret).await.unwrap();

        store.platform_tokens().revoke(issued.token.id).await.unwrap();

        assert_err!(
            store.authenticate(&issued.secret).await,
            Error::Unauthenticated(AuthFailure::Revoked)
        );
    }
}
