//! Creating tenants: what a new tenant starts with, and which slugs are refused.

use crate::support::*;

both_backends! {
    async fn creating_a_tenant_creates_an_active_and_a_next_key_for_es256_and_rs256(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;

        let keys = acme.keys().list().await.unwrap();
        assert_eq!(keys.len(), 4, "{keys:?}");
        for alg in [Alg::Es256, Alg::Rs256] {
            let states: Vec<KeyState> =
                keys.iter().filter(|k| k.alg == alg).map(|k| k.state).collect();
            assert_eq!(states.len(), 2, "{alg}: {states:?}");
            assert!(states.contains(&KeyState::Active), "{alg}: {states:?}");
            assert!(states.contains(&KeyState::Next), "{alg}: {states:?}");
        }
        let jwks = acme.keys().jwks().await.unwrap();
        let published = jwks["keys"].as_array().unwrap();
        assert_eq!(published.len(), 4, "next keys are published before they sign");
        for jwk in published {
            assert!(jwk.get("d").is_none(), "a private part was published: {jwk}");
        }
    }

    async fn creating_a_tenant_records_a_tenant_create_audit_event(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;

        let events = acme
            .audit()
            .list(AuditQuery::default(), PageRequest::first(50))
            .await
            .unwrap()
            .items;
        assert_eq!(events.len(), 1, "{events:?}");
        let event = &events[0];
        assert_eq!(event.action, "tenant.create");
        assert_eq!(event.target_type, "tenant");
        assert_eq!(event.target_id, acme.tenant().id.to_string());
        assert_eq!(event.actor, "cli");
        assert_eq!(event.detail["slug"], "acme");
    }

    async fn a_new_tenant_is_active_on_the_free_plan_at_version_one(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;

        let stored = store.tenants().get("acme").await.unwrap();
        assert_eq!(&stored, acme.tenant());
        assert_eq!(stored.status, TenantStatus::Active);
        assert_eq!(stored.plan, "free");
        assert_eq!(stored.version, 1);
        assert_eq!(stored.display_name, "acme Ltd");
    }

    async fn a_taken_slug_is_refused_with_slug_taken(db: TestDb) {
        let store = db.store().await;
        new_tenant(&store, "acme").await;

        let again = store
            .tenants()
            .create(
                NewTenant { slug: "acme".into(), display_name: "Another Acme".into() },
                &Actor::cli(),
            )
            .await;
        assert_err!(again, Error::Conflict { code: "slug-taken", .. });
        let all = store.tenants().list(PageRequest::first(10)).await.unwrap().items;
        assert_eq!(all.len(), 1);
        assert_eq!(all[0].display_name, "acme Ltd", "the first tenant is untouched");
    }

    async fn a_reserved_slug_is_refused_and_nothing_is_created(db: TestDb) {
        let store = db.store().await;

        let reserved = store
            .tenants()
            .create(
                NewTenant { slug: "admin".into(), display_name: "Admin".into() },
                &Actor::cli(),
            )
            .await;
        assert_err!(
            reserved,
            Error::Invalid { ref field, ref message }
                if field == "slug" && message.contains("reserved")
        );
        let all = store.tenants().list(PageRequest::first(10)).await.unwrap().items;
        assert!(all.is_empty(), "{all:?}");
    }
}
