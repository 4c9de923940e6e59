//! What every test file uses: the harness, the crate's types, and a few
//! helpers that make a test read as its specification.

pub use latchkey_tenants::audit::AuditQuery;
pub use latchkey_tenants::both_backends;
pub use latchkey_tenants::clock::ManualClock;
pub use latchkey_tenants::db::{Backend, DbConnection};
pub use latchkey_tenants::directory::{Group, NewUser, User, UserPatch, UserQuery};
pub use latchkey_tenants::error::{AuthFailure, Resource};
pub use latchkey_tenants::keys::sealing::MasterKey;
pub use latchkey_tenants::keys::signing::{Alg, KeyState};
pub use latchkey_tenants::page::PageRequest;
pub use latchkey_tenants::tenant::{NewTenant, TenantStatus};
pub use latchkey_tenants::testing::TestDb;
pub use latchkey_tenants::tokens::{NewToken, PlatformTokens, Principal, Scope, TokenKind};
pub use latchkey_tenants::{
    Actor, Error, GroupId, Id, Store, StoreConfig, TenantId, TenantScope, UserId,
};
pub use std::time::Duration;

/// Asserts that `$result` is an `Err` matching `$pattern`, and shows what it
/// was otherwise.
macro_rules! assert_err {
    ($result:expr, $pattern:pat $(if $guard:expr)? $(,)?) => {
        match $result {
            Err($pattern) $(if $guard)? => {}
            other => panic!(
                "expected Err({}), got {:?}",
                stringify!($pattern $(if $guard)?),
                other
            ),
        }
    };
}
pub(crate) use assert_err;

/// Creates an active tenant and returns a handle bound to it, acting as the CLI.
pub async fn new_tenant(store: &Store, slug: &str) -> TenantScope {
    let tenant = store
        .tenants()
        .create(
            NewTenant {
                slug: slug.to_owned(),
                display_name: format!("{slug} Ltd"),
            },
            &Actor::cli(),
        )
        .await
        .unwrap_or_else(|e| panic!("creating tenant {slug}: {e}"));
    store.tenant(tenant, Actor::cli())
}

/// An active user with only a user name.
pub fn new_user(user_name: &str) -> NewUser {
    NewUser {
        user_name: user_name.to_owned(),
        active: true,
        ..NewUser::default()
    }
}

pub async fn create_user(scope: &TenantScope, user_name: &str) -> User {
    scope
        .users()
        .create(new_user(user_name))
        .await
        .unwrap_or_else(|e| panic!("creating user {user_name}: {e}"))
}

pub async fn create_group(scope: &TenantScope, display_name: &str) -> Group {
    scope
        .groups()
        .create(display_name, None)
        .await
        .unwrap_or_else(|e| panic!("creating group {display_name}: {e}"))
}

/// Every user matching `query`, following cursors page by page.
pub async fn all_users(scope: &TenantScope, query: UserQuery, limit: u32) -> Vec<User> {
    let mut out = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let page = PageRequest::parse(Some(limit), cursor.as_deref()).unwrap();
        let page = scope.users().list(query.clone(), page).await.unwrap();
        out.extend(page.items);
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return out,
        }
    }
}

pub async fn user_names(scope: &TenantScope, search: &str) -> Vec<String> {
    let query = UserQuery {
        search: Some(search.to_owned()),
        ..UserQuery::default()
    };
    all_users(scope, query, 50)
        .await
        .into_iter()
        .map(|u| u.user_name)
        .collect()
}

pub async fn member_ids(scope: &TenantScope, group: GroupId) -> Vec<UserId> {
    scope
        .groups()
        .members(group, PageRequest::first(200))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|m| m.user.id)
        .collect()
}

pub async fn audit_actions(scope: &TenantScope) -> Vec<String> {
    scope
        .audit()
        .list(AuditQuery::default(), PageRequest::first(200))
        .await
        .unwrap()
        .items
        .into_iter()
        .map(|e| e.action)
        .collect()
}

pub fn tenant_token(scopes: &[Scope]) -> NewToken {
    NewToken {
        name: "automation".into(),
        scopes: scopes.to_vec(),
        expires_at: None,
    }
}
