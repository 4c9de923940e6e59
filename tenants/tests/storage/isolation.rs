//! Isolation at the domain level: a handle bound to one tenant cannot reach
//! another tenant's resources, even by their exact ids, and its lists never
//! show them. (Row-level security underneath is proven in `postgres`.)

use crate::support::*;

/// Two tenants, each with a user in a group and a token.
struct TwoTenants {
    acme: TenantScope,
    globex: TenantScope,
    acme_user: User,
    globex_user: User,
    acme_group: Group,
    globex_group: Group,
}

async fn two_tenants(store: &Store) -> TwoTenants {
    let acme = new_tenant(store, "acme").await;
    let globex = new_tenant(store, "globex").await;
    let acme_user = create_user(&acme, "ada").await;
    let globex_user = create_user(&globex, "hank").await;
    let acme_group = create_group(&acme, "Engineers").await;
    let globex_group = create_group(&globex, "Villains").await;
    acme.groups()
        .add_member(acme_group.id, acme_user.id)
        .await
        .unwrap();
    globex
        .groups()
        .add_member(globex_group.id, globex_user.id)
        .await
        .unwrap();
    // As stored now, with its member (the add moved its version on).
    let globex_group = globex.groups().get(globex_group.id).await.unwrap();
    let acme_group = acme.groups().get(acme_group.id).await.unwrap();
    TwoTenants {
        acme,
        globex,
        acme_user,
        globex_user,
        acme_group,
        globex_group,
    }
}

both_backends! {
    async fn another_tenants_user_cannot_be_read_updated_or_deleted(db: TestDb) {
        let store = db.store().await;
        let t = two_tenants(&store).await;
        let theirs = t.globex_user.id;

        assert_err!(t.acme.users().get(theirs).await, Error::NotFound(Resource::User));
        let patch = UserPatch { display_name: Some(Some("pwned".into())), ..UserPatch::default() };
        assert_err!(
            t.acme.users().update(theirs, patch, None).await,
            Error::NotFound(Resource::User)
        );
        assert_err!(t.acme.users().delete(theirs, None).await, Error::NotFound(Resource::User));

        assert_eq!(t.globex.users().get(theirs).await.unwrap(), t.globex_user, "untouched");
    }

    async fn another_tenants_group_cannot_be_read_renamed_deleted_or_joined(db: TestDb) {
        let store = db.store().await;
        let t = two_tenants(&store).await;
        let theirs = t.globex_group.id;
        let groups = t.acme.groups();

        assert_err!(groups.get(theirs).await, Error::NotFound(Resource::Group));
        assert_err!(groups.rename(theirs, "pwned", None).await, Error::NotFound(Resource::Group));
        assert_err!(groups.delete(theirs, None).await, Error::NotFound(Resource::Group));
        assert_err!(
            groups.members(theirs, PageRequest::first(10)).await,
            Error::NotFound(Resource::Group)
        );
        assert_err!(
            groups.add_member(theirs, t.acme_user.id).await,
            Error::NotFound(Resource::Group)
        );
        assert_err!(
            groups.remove_member(theirs, t.globex_user.id).await,
            Error::NotFound(Resource::Group)
        );

        assert_eq!(t.globex.groups().get(theirs).await.unwrap(), t.globex_group, "untouched");
        assert_eq!(member_ids(&t.globex, t.globex_group.id).await, [t.globex_user.id]);
    }

    async fn another_tenants_user_cannot_be_added_to_or_removed_from_a_group(db: TestDb) {
        let store = db.store().await;
        let t = two_tenants(&store).await;

        assert_err!(
            t.acme.groups().add_member(t.acme_group.id, t.globex_user.id).await,
            Error::NotFound(Resource::User)
        );
        assert_err!(
            t.acme.groups().remove_member(t.acme_group.id, t.globex_user.id).await,
            Error::NotFound(Resource::Member)
        );
        assert_eq!(member_ids(&t.acme, t.acme_group.id).await, [t.acme_user.id]);
    }

    async fn lists_show_only_the_tenants_own_users_groups_tokens_and_events(db: TestDb) {
        let store = db.store().await;
        let t = two_tenants(&store).await;
        let acme_token = t.acme.tokens().create(tenant_token(&[Scope::Read])).await.unwrap();
        t.globex.tokens().create(tenant_token(&[Scope::Admin])).await.unwrap();

        let users = all_users(&t.acme, UserQuery::default(), 50).await;
        assert_eq!(users, std::slice::from_ref(&t.acme_user));
        let everyone = UserQuery { search: Some("a".into()), ..UserQuery::default() };
        assert_eq!(all_users(&t.acme, everyone, 50).await, std::slice::from_ref(&t.acme_user));
        let groups = t.acme.groups().list(None, PageRequest::first(50)).await.unwrap().items;
        assert_eq!(groups, std::slice::from_ref(&t.acme_group));
        let tokens = t.acme.tokens().list(PageRequest::first(50)).await.unwrap().items;
        assert_eq!(tokens, [acme_token.token]);
        let events = t
            .acme
            .audit()
            .list(AuditQuery::default(), PageRequest::first(50))
            .await
            .unwrap()
            .items;
        let globex_ids = [
            t.globex.tenant().id.to_string(),
            t.globex_user.id.to_string(),
            t.globex_group.id.to_string(),
        ];
        assert!(!events.is_empty());
        for event in events {
            assert!(!globex_ids.contains(&event.target_id), "{event:?}");
        }
    }

    async fn another_tenants_token_cannot_be_read_or_revoked(db: TestDb) {
        let store = db.store().await;
        let t = two_tenants(&store).await;
        let theirs = t.globex.tokens().create(tenant_token(&[Scope::Admin])).await.unwrap();

        assert_err!(t.acme.tokens().get(theirs.token.id).await, Error::NotFound(Resource::Token));
        assert_err!(
            t.acme.tokens().revoke(theirs.token.id).await,
            Error::NotFound(Resource::Token)
        );
        let principal = store.authenticate(&theirs.secret).await.unwrap();
        let globex = t.globex.tenant().id;
        assert!(
            matches!(principal, Principal::Tenant { tenant_id, .. } if tenant_id == globex),
            "{principal:?}"
        );
    }

    async fn another_tenants_signing_keys_are_not_listed_or_published(db: TestDb) {
        let store = db.store().await;
        let t = two_tenants(&store).await;

        let acme_kids: Vec<String> =
            t.acme.keys().list().await.unwrap().into_iter().map(|k| k.kid).collect();
        let globex_kids: Vec<String> =
            t.globex.keys().list().await.unwrap().into_iter().map(|k| k.kid).collect();
        assert_eq!(acme_kids.len(), 4);
        assert!(acme_kids.iter().all(|kid| !globex_kids.contains(kid)));
        let jwks = t.acme.keys().jwks().await.unwrap();
        for jwk in jwks["keys"].as_array().unwrap() {
            assert!(acme_kids.contains(&jwk["kid"].as_str().unwrap().to_owned()), "{jwk}");
        }
    }
}
