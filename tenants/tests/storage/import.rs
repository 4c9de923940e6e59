//! The directory's bulk import: what it writes reads back as users created
//! one by one, stays inside its tenant, and a bad call writes nothing.

use latchkey_tenants::directory::import::{ImportedGroup, ImportedUser};
use latchkey_tenants::scim::resource::user_from_json;
use latchkey_tenants::scim::{Projection, ResourceKind};
use serde_json::{Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::support::*;

const BASE: &str = "http://test/t/x/scim/v2";

/// A SCIM user as Entra ID sends it: names, an email, a department.
fn entra_user(user_name: &str) -> Value {
    json!({
        "schemas": [
            "urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
        ],
        "userName": user_name,
        "externalId": format!("ext-{user_name}"),
        "active": true,
        "displayName": "Ada Lovelace",
        "title": "Countess",
        "name": {"formatted": "Ada Lovelace", "givenName": "Ada", "familyName": "Lovelace"},
        "emails": [{"value": user_name, "type": "work", "primary": true}],
        "phoneNumbers": [{"value": "+44 20 7946 0000", "type": "work"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Research"},
    })
}

fn imported(user_name: &str, id: UserId, created_at: OffsetDateTime) -> ImportedUser {
    ImportedUser {
        id,
        created_at,
        user: user_from_json(&entra_user(user_name)).unwrap(),
    }
}

/// `n` users `user{k}@example.com`, created a second apart.
fn imported_many(prefix: &str, n: usize) -> Vec<ImportedUser> {
    let start = OffsetDateTime::from_unix_timestamp(1_764_000_000).unwrap();
    (0..n)
        .map(|k| {
            imported(
                &format!("{prefix}{k}@example.com"),
                UserId(Uuid::now_v7()),
                start + time::Duration::seconds(k as i64),
            )
        })
        .collect()
}

async fn scim_get(
    scope: &TenantScope,
    kind: ResourceKind,
    id: impl Into<Id>,
) -> Result<Value, Error> {
    let projection = Projection::from_query(kind.resource_type(), None, None).unwrap();
    Ok(scope
        .scim(BASE.into())
        .get(kind, id.into(), &projection)
        .await?
        .document)
}

async fn user_count(scope: &TenantScope) -> usize {
    all_users(scope, UserQuery::default(), 200).await.len()
}

both_backends! {
    async fn imported_users_read_back_as_users_created_one_by_one(db: TestDb) {
        let store = db.store().await;
        let one_by_one = new_tenant(&store, "created").await;
        let bulk = new_tenant(&store, "imported").await;
        let projection = Projection::from_query(ResourceKind::User.resource_type(), None, None)
            .unwrap();
        let created = one_by_one
            .scim(BASE.into())
            .create(ResourceKind::User, &entra_user("ada@example.com"), &projection)
            .await
            .unwrap();
        let rest = one_by_one.users().get(created.id.into()).await.unwrap();

        // The same user, with the same id and creation time, imported
        // into another tenant among others (several chunks on both backends).
        let mut users = imported_many("other", 1_500);
        users.insert(700, imported("ada@example.com", created.id.into(), rest.created_at));
        let written = bulk.directory_import_unmetered().users(users).await.unwrap();

        assert_eq!(written, 1_501);
        assert_eq!(
            scim_get(&bulk, ResourceKind::User, created.id).await.unwrap(),
            scim_get(&one_by_one, ResourceKind::User, created.id).await.unwrap(),
        );
        assert_eq!(bulk.users().get(created.id.into()).await.unwrap(), rest);
        assert_eq!(user_count(&bulk).await, 1_501);
        // SCIM filters find imported users by their keys, as created ones.
        let found = bulk
            .scim(BASE.into())
            .search(
                ResourceKind::User,
                json!({"filter": "userName eq \"ADA@example.com\""}).as_object().unwrap(),
            )
            .await
            .unwrap();
        assert_eq!(found.total, 1);
        // The maintenance after an import runs on either backend.
        latchkey_tenants::directory::import::refresh_statistics(&db.url()).await.unwrap();
        // One audit event for the whole call.
        assert_eq!(
            audit_actions(&bulk).await.iter().filter(|a| *a == "directory.import").count(),
            1
        );
    }

    async fn imported_groups_hold_their_members(db: TestDb) {
        let store = db.store().await;
        let scope = new_tenant(&store, "acme").await;
        let users = imported_many("member", 10);
        let ids: Vec<UserId> = users.iter().map(|u| u.id).collect();
        scope.directory_import_unmetered().users(users).await.unwrap();
        let group = GroupId(Uuid::now_v7());

        scope
            .directory_import_unmetered()
            .groups(vec![ImportedGroup {
                id: group,
                created_at: OffsetDateTime::from_unix_timestamp(1_764_100_000).unwrap(),
                display_name: "Engineering".into(),
                external_id: Some("ext-eng".into()),
                members: ids[..4].to_vec(),
            }])
            .await
            .unwrap();

        let doc = scim_get(&scope, ResourceKind::Group, group).await.unwrap();
        assert_eq!(doc["displayName"], "Engineering");
        assert_eq!(doc["externalId"], "ext-eng");
        assert_eq!(doc["meta"]["created"], "2025-11-25T19:46:40Z");
        let mut members = member_ids(&scope, group).await;
        members.sort();
        assert_eq!(members, ids[..4]);
    }

    async fn an_import_into_one_tenant_is_invisible_from_another(db: TestDb) {
        let store = db.store().await;
        let a = new_tenant(&store, "tenant-a").await;
        let b = new_tenant(&store, "tenant-b").await;
        let users = imported_many("user", 20);
        let id = users[0].id;
        a.directory_import_unmetered().users(users).await.unwrap();
        let group = GroupId(Uuid::now_v7());
        a.directory_import_unmetered()
            .groups(vec![ImportedGroup {
                id: group,
                created_at: OffsetDateTime::now_utc(),
                display_name: "Everyone".into(),
                external_id: None,
                members: vec![id],
            }])
            .await
            .unwrap();

        assert_eq!(user_count(&a).await, 20);
        assert_eq!(user_count(&b).await, 0);
        assert!(scim_get(&b, ResourceKind::User, id).await.is_err());
        assert!(scim_get(&b, ResourceKind::Group, group).await.is_err());
        assert_err!(b.users().get(id).await, Error::NotFound(Resource::User));
        // B cannot import a group whose member is A's user.
        assert_err!(
            b.directory_import_unmetered()
                .groups(vec![ImportedGroup {
                    id: GroupId(Uuid::now_v7()),
                    created_at: OffsetDateTime::now_utc(),
                    display_name: "Stolen".into(),
                    external_id: None,
                    members: vec![id],
                }])
                .await,
            Error::Invalid { .. }
        );
        assert!(all_groups(&b).await.is_empty());
    }

    async fn a_bad_import_is_a_clear_error_and_writes_nothing(db: TestDb) {
        let store = db.store().await;
        let scope = new_tenant(&store, "acme").await;
        create_user(&scope, "taken@example.com").await;

        // A user name twice in the call (ignoring case).
        let mut users = imported_many("user", 5);
        users.push(imported("USER3@example.com", UserId(Uuid::now_v7()), OffsetDateTime::now_utc()));
        assert_err!(
            scope.directory_import_unmetered().users(users).await,
            Error::Conflict { code: "user-name-taken", message } if message.contains("USER3@example.com")
        );

        // A user name the tenant has, in the last of several chunks: the
        // chunks before it are rolled back too.
        let mut users = imported_many("user", 1_500);
        users.push(imported("Taken@Example.com", UserId(Uuid::now_v7()), OffsetDateTime::now_utc()));
        assert_err!(
            scope.directory_import_unmetered().users(users).await,
            Error::Conflict { code: "user-name-taken", .. }
        );

        // A password.
        let mut user = imported("secret@example.com", UserId(Uuid::now_v7()), OffsetDateTime::now_utc());
        user.user.password = Some("hunter2hunter2".into());
        assert_err!(
            scope.directory_import_unmetered().users(vec![user]).await,
            Error::Invalid { .. }
        );

        // A member that is no user: the group is not written either.
        assert_err!(
            scope
                .directory_import_unmetered()
                .groups(vec![ImportedGroup {
                    id: GroupId(Uuid::now_v7()),
                    created_at: OffsetDateTime::now_utc(),
                    display_name: "Ghosts".into(),
                    external_id: None,
                    members: vec![UserId(Uuid::now_v7())],
                }])
                .await,
            Error::Invalid { .. }
        );

        let names: Vec<String> = all_users(&scope, UserQuery::default(), 200)
            .await
            .into_iter()
            .map(|u| u.user_name)
            .collect();
        assert_eq!(names, ["taken@example.com"]);
        assert!(all_groups(&scope).await.is_empty());
        assert!(!audit_actions(&scope).await.contains(&"directory.import".to_owned()));
    }
}

async fn all_groups(scope: &TenantScope) -> Vec<Group> {
    scope
        .groups()
        .list(None, PageRequest::first(200))
        .await
        .unwrap()
        .items
}
