//! The end of a tenant (crypto-shredding, then its rows) and the rotation of
//! the master key that wraps every tenant's data key.

use diesel::prelude::*;
use jsonwebtoken::jwk::Jwk;
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use latchkey_tenants::db::schema::{
    api_tokens, audit_events, group_members, groups, signing_keys, tenants, users,
};
use serde_json::{Value, json};

use crate::support::*;

/// Rows anywhere that still belong to `tenant`, counted as the table owner
/// (no row-level security in the way).
fn rows_of(db: &TestDb, tenant: TenantId) -> i64 {
    let conn = &mut db.url().establish_owner().unwrap();
    let counts: [QueryResult<i64>; 7] = [
        tenants::table
            .filter(tenants::id.eq(tenant))
            .count()
            .get_result(conn),
        users::table
            .filter(users::tenant_id.eq(tenant))
            .count()
            .get_result(conn),
        groups::table
            .filter(groups::tenant_id.eq(tenant))
            .count()
            .get_result(conn),
        group_members::table
            .filter(group_members::tenant_id.eq(tenant))
            .count()
            .get_result(conn),
        api_tokens::table
            .filter(api_tokens::tenant_id.eq(tenant))
            .count()
            .get_result(conn),
        signing_keys::table
            .filter(signing_keys::tenant_id.eq(tenant))
            .count()
            .get_result(conn),
        audit_events::table
            .filter(audit_events::tenant_id.eq(tenant))
            .count()
            .get_result(conn),
    ];
    counts.into_iter().map(|c| c.unwrap()).sum()
}

/// A tenant with two users, a group with one member and a token.
async fn populated_tenant(store: &Store, slug: &str) -> TenantScope {
    let scope = new_tenant(store, slug).await;
    let ada = create_user(&scope, "ada").await;
    create_user(&scope, "grace").await;
    let group = create_group(&scope, "Engineers").await;
    scope.groups().add_member(group.id, ada.id).await.unwrap();
    scope
        .tokens()
        .create(tenant_token(&[Scope::Admin]))
        .await
        .unwrap();
    scope
}

fn claims() -> Value {
    let exp = time::OffsetDateTime::now_utc().unix_timestamp() + 600;
    json!({ "sub": "ada", "exp": exp })
}

/// Checks a JWT against the tenant's published JWKS, as a relying party would.
async fn verify(scope: &TenantScope, alg: Algorithm, jwt: &str) -> Value {
    let header = jsonwebtoken::decode_header(jwt).unwrap();
    let kid = header.kid.expect("a kid in the header");
    let jwks = scope.keys().jwks().await.unwrap();
    let jwk = jwks["keys"]
        .as_array()
        .unwrap()
        .iter()
        .find(|k| k["kid"] == kid.as_str())
        .unwrap_or_else(|| panic!("kid {kid} is not published"))
        .clone();
    let jwk: Jwk = serde_json::from_value(jwk).unwrap();
    let key = DecodingKey::from_jwk(&jwk).unwrap();
    jsonwebtoken::decode::<Value>(jwt, &key, &Validation::new(alg))
        .unwrap()
        .claims
}

both_backends! {
    async fn deleting_a_tenant_destroys_its_data_key_then_every_row(db: TestDb) {
        let store = db.store().await;
        let acme = populated_tenant(&store, "acme").await;
        let id = acme.tenant().id;
        let before = rows_of(&db, id);
        // 1 tenant, 2 users, 1 group, 1 membership, 1 token, 4 signing keys,
        // 6 audit events (tenant, 2 users, group, member, token).
        assert_eq!(before, 16);

        let deleted = store.tenants().delete("acme").await.unwrap();

        assert!(deleted.data_key_destroyed);
        assert_eq!(deleted.id, id);
        assert_eq!(deleted.rows_deleted, 16);
        assert_eq!(rows_of(&db, id), 0);
        assert_err!(store.tenants().get("acme").await, Error::NotFound(Resource::Tenant));
        assert_err!(store.tenants().by_id(id).await, Error::NotFound(Resource::Tenant));
    }

    async fn a_deleted_tenants_keys_can_no_longer_sign(db: TestDb) {
        let store = db.store().await;
        let acme = new_tenant(&store, "acme").await;
        acme.keys().sign(Alg::Es256, &claims()).await.expect("signs while the tenant lives");

        store.tenants().delete("acme").await.unwrap();

        for alg in [Alg::Es256, Alg::Rs256] {
            let signed = acme.keys().sign(alg, &claims()).await;
            assert!(signed.is_err(), "{alg} still signs after deletion");
        }
        assert!(acme.keys().list().await.unwrap().is_empty());
    }

    async fn deleting_a_tenant_leaves_other_tenants_untouched(db: TestDb) {
        let store = db.store().await;
        populated_tenant(&store, "acme").await;
        let globex = populated_tenant(&store, "globex").await;
        let before = rows_of(&db, globex.tenant().id);

        store.tenants().delete("acme").await.unwrap();

        assert_eq!(rows_of(&db, globex.tenant().id), before);
        assert_eq!(all_users(&globex, UserQuery::default(), 50).await.len(), 2);
        globex.keys().sign(Alg::Rs256, &claims()).await.unwrap();
    }

    async fn after_a_rewrap_the_new_master_key_opens_the_store_and_signs(mut db: TestDb) {
        let store = db.store().await;
        new_tenant(&store, "acme").await;
        new_tenant(&store, "globex").await;
        let new_key = MasterKey::generate();

        let rewrapped = store.rewrap(&new_key).await.unwrap();
        assert_eq!(rewrapped, 2);
        drop(store);

        db.set_master_key(&new_key);
        let store = db.store().await;
        assert_eq!(store.master_key_id(), new_key.id());
        let tenant = store.tenants().get("acme").await.unwrap();
        let acme = store.tenant(tenant, Actor::cli());
        for (alg, jose) in [(Alg::Es256, Algorithm::ES256), (Alg::Rs256, Algorithm::RS256)] {
            let jwt = acme.keys().sign(alg, &claims()).await.unwrap();
            assert_eq!(verify(&acme, jose, &jwt).await["sub"], "ada");
        }
    }

    async fn a_rewrap_raced_by_a_node_on_the_old_key_is_finished_by_rewrapping_again(mut db: TestDb) {
        // A node still on the old key keeps creating tenants after the rewrap.
        let lagging = db.store().await;
        let store = db.store().await;
        new_tenant(&store, "acme").await;
        let new_key = MasterKey::generate();
        assert_eq!(store.rewrap(&new_key).await.unwrap(), 1);
        new_tenant(&lagging, "globex").await;
        drop((store, lagging));

        // Mixed keys: neither key alone opens the store …
        let mut with_new = db.config();
        with_new.master_key = MasterKey::from_base64(&new_key.to_base64()).unwrap();
        assert!(Store::open(with_new).await.is_err());

        // … and rewrapping again, unchecked, converts only what is left.
        let mut repair = db.config();
        repair.check_master_key = false;
        let store = Store::open(repair).await.unwrap();
        assert_eq!(store.rewrap(&new_key).await.unwrap(), 1, "acme is already under the new key");
        drop(store);

        db.set_master_key(&new_key);
        let store = db.store().await;
        for slug in ["acme", "globex"] {
            let tenant = store.tenants().get(slug).await.unwrap();
            store.tenant(tenant, Actor::cli()).keys().sign(Alg::Es256, &claims()).await.unwrap();
        }
    }

    async fn after_a_rewrap_the_old_master_key_is_refused_naming_where_it_came_from(db: TestDb) {
        let store = db.store().await;
        new_tenant(&store, "acme").await;
        store.rewrap(&MasterKey::generate()).await.unwrap();
        drop(store);

        let mut config = db.config();
        config.master_key_source = "the master key in /srv/latchkey/master.key".into();
        match Store::open(config).await {
            Err(Error::Config(message)) => {
                assert!(
                    message.starts_with("the master key in /srv/latchkey/master.key (key id "),
                    "{message}"
                );
            }
            Err(other) => panic!("expected a Config error, got {other:?}"),
            Ok(_) => panic!("the old master key was accepted after a rewrap"),
        }
    }

    async fn a_store_opened_with_another_master_key_is_refused(db: TestDb) {
        let store = db.store().await;
        new_tenant(&store, "acme").await;
        drop(store);

        let wrong = StoreConfig::new(db.url(), MasterKey::generate());
        match Store::open(wrong).await {
            Err(Error::Config(message)) => {
                assert!(message.contains("is not the key the stored data keys are wrapped with"), "{message}");
            }
            Err(other) => panic!("expected a Config error, got {other:?}"),
            Ok(_) => panic!("a foreign master key was accepted"),
        }
    }
}
