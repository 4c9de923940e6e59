//! The JSON shapes of the REST API (snake_case), converted from domain types.

use latchkey_tenants::audit::AuditEvent;
use latchkey_tenants::directory::{Group, Member, User, UserKind};
use latchkey_tenants::keys::signing::{KeyState, SigningKey};
use latchkey_tenants::page::Page;
use latchkey_tenants::tenant::{Tenant, TenantStatus};
use latchkey_tenants::tokens::ApiToken;
use poem_openapi::types::MaybeUndefined;
use poem_openapi::{Enum, Object};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::text::Text;

#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename = "TenantStatus", rename_all = "lowercase")]
pub enum TenantStatusDto {
    /// Signed up; waiting for the email address to be verified.
    Pending,
    Active,
    Suspended,
    Deleting,
}

/// A tenant: an isolated organisation with its own directory, keys and tokens.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Tenant")]
pub struct TenantDto {
    pub id: Uuid,
    /// Immutable DNS label naming the tenant in every URL.
    pub slug: String,
    pub display_name: String,
    pub status: TenantStatusDto,
    pub plan: String,
    /// Increases with every change; send it back in `If-Match`.
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl From<Tenant> for TenantDto {
    fn from(t: Tenant) -> Self {
        TenantDto {
            id: t.id.as_uuid(),
            slug: t.slug,
            display_name: t.display_name,
            status: match t.status {
                TenantStatus::Pending => TenantStatusDto::Pending,
                TenantStatus::Active => TenantStatusDto::Active,
                TenantStatus::Suspended => TenantStatusDto::Suspended,
                TenantStatus::Deleting => TenantStatusDto::Deleting,
            },
            plan: t.plan,
            version: t.version,
            created_at: t.created_at,
            updated_at: t.updated_at,
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct CreateTenant {
    /// 3–63 characters: lowercase letters, digits and hyphens, starting with a letter.
    pub slug: Text,
    pub display_name: Text,
}

impl poem_openapi::types::Example for CreateTenant {
    fn example() -> Self {
        CreateTenant {
            slug: "acme".into(),
            display_name: "Acme Corporation".into(),
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct UpdateTenant {
    pub display_name: Text,
}

impl poem_openapi::types::Example for UpdateTenant {
    fn example() -> Self {
        UpdateTenant {
            display_name: "Acme Inc.".into(),
        }
    }
}

/// A plan: what a tenant may use (features and limits come from configuration).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Enum)]
#[oai(rename = "PlanName", rename_all = "lowercase")]
pub enum PlanName {
    Free,
    Team,
    Enterprise,
}

impl PlanName {
    pub fn as_str(self) -> &'static str {
        match self {
            PlanName::Free => "free",
            PlanName::Team => "team",
            PlanName::Enterprise => "enterprise",
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct SetTenantPlan {
    pub plan: PlanName,
}

impl poem_openapi::types::Example for SetTenantPlan {
    fn example() -> Self {
        SetTenantPlan {
            plan: PlanName::Team,
        }
    }
}

/// The result of deleting a tenant.
#[derive(Debug, Clone, Object)]
#[oai(rename = "DeletedTenant")]
pub struct DeletedTenantDto {
    pub id: Uuid,
    pub slug: String,
    /// The tenant's data key was destroyed before its rows: every secret
    /// sealed with it is unreadable from now on, in backups too.
    pub data_key_destroyed: bool,
    pub rows_deleted: u64,
}

#[derive(Debug, Clone, Copy, Enum, Default)]
#[oai(rename = "UserKind", rename_all = "lowercase")]
pub enum UserKindDto {
    /// Workforce: counted as a seat.
    #[default]
    Internal,
    /// A customer or partner.
    External,
}

impl From<UserKindDto> for UserKind {
    fn from(k: UserKindDto) -> Self {
        match k {
            UserKindDto::Internal => UserKind::Internal,
            UserKindDto::External => UserKind::External,
        }
    }
}

impl From<UserKind> for UserKindDto {
    fn from(k: UserKind) -> Self {
        match k {
            UserKind::Internal => UserKindDto::Internal,
            UserKind::External => UserKindDto::External,
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "User")]
pub struct UserDto {
    pub id: Uuid,
    /// Unique in the tenant, ignoring case.
    pub user_name: String,
    #[oai(nullable)]
    pub external_id: Option<String>,
    pub kind: UserKindDto,
    #[oai(nullable)]
    pub email: Option<String>,
    #[oai(nullable)]
    pub display_name: Option<String>,
    #[oai(nullable)]
    pub given_name: Option<String>,
    #[oai(nullable)]
    pub family_name: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl From<User> for UserDto {
    fn from(u: User) -> Self {
        UserDto {
            id: u.id.as_uuid(),
            user_name: u.user_name,
            external_id: u.external_id,
            kind: u.kind.into(),
            email: u.email,
            display_name: u.display_name,
            given_name: u.given_name,
            family_name: u.family_name,
            active: u.active,
            version: u.version,
            created_at: u.created_at,
            updated_at: u.updated_at,
        }
    }
}

/// A new user. `kind` defaults to `internal`.
// No `Debug`: it would print the password.
#[derive(Clone, Object)]
#[oai(example)]
pub struct CreateUser {
    pub user_name: Text,
    #[oai(nullable)]
    pub email: Option<Text>,
    #[oai(nullable)]
    pub display_name: Option<Text>,
    #[oai(nullable)]
    pub given_name: Option<Text>,
    #[oai(nullable)]
    pub family_name: Option<Text>,
    /// Defaults to `true`.
    #[oai(nullable)]
    pub active: Option<bool>,
    // Its default is told in the object's description: a description here
    // would make poem-openapi wrap the `UserKind` reference in an `allOf`,
    // which openapi-python-client cannot read (it then drops `createUser`).
    pub kind: Option<UserKindDto>,
    #[oai(nullable)]
    pub external_id: Option<Text>,
    /// A password the user signs in with; never returned. At least 12
    /// characters, not a common password, and not containing the user name,
    /// the email address, or the tenant's slug or name. Stored only hashed.
    #[oai(write_only)]
    pub password: Option<Text>,
}

impl poem_openapi::types::Example for CreateUser {
    fn example() -> Self {
        CreateUser {
            user_name: "ada".into(),
            email: Some("ada@example.com".into()),
            display_name: Some("Ada Lovelace".into()),
            given_name: Some("Ada".into()),
            family_name: Some("Lovelace".into()),
            active: None,
            kind: None,
            external_id: None,
            password: None,
        }
    }
}

// No `#[oai(default)]` on these fields: poem-openapi turns an explicit `null`
// into the default (`Undefined`) for a field with a default, which would make
// `null` a no-op instead of clearing the field.
/// A partial update: absent fields stay as they are, `null` clears a field.
// No `Debug`: it would print the password.
#[derive(Clone, Object)]
#[oai(example)]
pub struct UpdateUser {
    pub user_name: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub email: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub display_name: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub given_name: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub family_name: MaybeUndefined<Text>,
    #[oai(nullable)]
    pub external_id: MaybeUndefined<Text>,
    pub active: MaybeUndefined<bool>,
    pub kind: MaybeUndefined<UserKindDto>,
    /// A new password, under the same rules as on create; never returned.
    /// `null` removes the password: the user can no longer sign in with one.
    #[oai(nullable, write_only)]
    pub password: MaybeUndefined<Text>,
}

impl poem_openapi::types::Example for UpdateUser {
    fn example() -> Self {
        UpdateUser {
            user_name: MaybeUndefined::Undefined,
            email: MaybeUndefined::Null,
            display_name: MaybeUndefined::Value("Ada King".into()),
            given_name: MaybeUndefined::Undefined,
            family_name: MaybeUndefined::Value("King".into()),
            external_id: MaybeUndefined::Undefined,
            active: MaybeUndefined::Value(false),
            kind: MaybeUndefined::Undefined,
            password: MaybeUndefined::Undefined,
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "Group")]
pub struct GroupDto {
    pub id: Uuid,
    pub display_name: String,
    #[oai(nullable)]
    pub external_id: Option<String>,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

impl From<Group> for GroupDto {
    fn from(g: Group) -> Self {
        GroupDto {
            id: g.id.as_uuid(),
            display_name: g.display_name,
            external_id: g.external_id,
            version: g.version,
            created_at: g.created_at,
            updated_at: g.updated_at,
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct CreateGroup {
    pub display_name: Text,
    #[oai(nullable)]
    pub external_id: Option<Text>,
}

impl poem_openapi::types::Example for CreateGroup {
    fn example() -> Self {
        CreateGroup {
            display_name: "engineering".into(),
            external_id: None,
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct UpdateGroup {
    pub display_name: Text,
}

impl poem_openapi::types::Example for UpdateGroup {
    fn example() -> Self {
        UpdateGroup {
            display_name: "platform-engineering".into(),
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "Member")]
pub struct MemberDto {
    pub user: UserDto,
    pub added_at: OffsetDateTime,
}

impl From<Member> for MemberDto {
    fn from(m: Member) -> Self {
        MemberDto {
            user: m.user.into(),
            added_at: m.added_at,
        }
    }
}

/// A user's browser session, as an admin lists it: never its secret.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Session")]
pub struct SessionDto {
    pub id: Uuid,
    /// How the user authenticated, as RFC 8176 names it (`pwd`, …).
    pub amr: Vec<String>,
    /// When the user authenticated.
    pub auth_time: OffsetDateTime,
    /// When the session was last used (recorded at most once a minute).
    pub last_seen_at: OffsetDateTime,
    /// When the session ends however it is used.
    pub expires_at: OffsetDateTime,
    /// The browser's `User-Agent` at sign-in.
    #[oai(nullable)]
    pub user_agent: Option<String>,
    /// The client's address at sign-in.
    #[oai(nullable)]
    pub address: Option<String>,
}

impl From<latchkey_tenants::signin::SessionSummary> for SessionDto {
    fn from(s: latchkey_tenants::signin::SessionSummary) -> Self {
        SessionDto {
            id: s.id.as_uuid(),
            amr: s.amr,
            auth_time: s.auth_time,
            last_seen_at: s.last_seen_at,
            expires_at: s.expires_at,
            user_agent: s.user_agent,
            address: s.address,
        }
    }
}

/// A second factor a user enrolled, as an admin lists it: never its secret.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Factor")]
pub struct FactorDto {
    pub id: Uuid,
    /// `totp` (an authenticator app).
    pub kind: String,
    pub name: String,
    pub created_at: OffsetDateTime,
    #[oai(nullable)]
    pub last_used_at: Option<OffsetDateTime>,
}

impl From<latchkey_tenants::signin::FactorSummary> for FactorDto {
    fn from(f: latchkey_tenants::signin::FactorSummary) -> Self {
        FactorDto {
            id: f.id.as_uuid(),
            kind: f.kind,
            name: f.name,
            created_at: f.created_at,
            last_used_at: f.last_used_at,
        }
    }
}

/// A user's factors (a handful at most: one page).
#[derive(Debug, Clone, Object)]
pub struct FactorList {
    pub items: Vec<FactorDto>,
}

/// A token as listed: never its secret.
#[derive(Debug, Clone, Object)]
#[oai(rename = "Token")]
pub struct TokenDto {
    pub id: Uuid,
    pub name: String,
    /// `platform`, `tenant` or `scim`: what the prefix of the secret says.
    pub kind: String,
    pub scopes: Vec<String>,
    pub created_at: OffsetDateTime,
    #[oai(nullable)]
    pub expires_at: Option<OffsetDateTime>,
    #[oai(nullable)]
    pub last_used_at: Option<OffsetDateTime>,
    #[oai(nullable)]
    pub revoked_at: Option<OffsetDateTime>,
}

impl From<ApiToken> for TokenDto {
    fn from(t: ApiToken) -> Self {
        TokenDto {
            id: t.id.as_uuid(),
            name: t.name,
            kind: t.kind.as_str().to_owned(),
            scopes: t.scopes.iter().map(|s| s.as_str().to_owned()).collect(),
            created_at: t.created_at,
            expires_at: t.expires_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(example)]
pub struct CreateToken {
    pub name: Text,
    /// `admin` (read and change everything), `read`, or `scim` (SCIM only, alone).
    pub scopes: Vec<Text>,
    #[oai(nullable)]
    pub expires_at: Option<OffsetDateTime>,
}

impl poem_openapi::types::Example for CreateToken {
    fn example() -> Self {
        CreateToken {
            name: "terraform".into(),
            scopes: vec!["admin".into()],
            expires_at: None,
        }
    }
}

/// A token just created. `token` is shown this once and never again.
#[derive(Clone, Object)]
pub struct CreatedToken {
    pub id: Uuid,
    pub name: String,
    pub kind: String,
    pub scopes: Vec<String>,
    pub created_at: OffsetDateTime,
    #[oai(nullable)]
    pub expires_at: Option<OffsetDateTime>,
    /// The secret. Store it now: only its hash is kept.
    pub token: String,
}

impl std::fmt::Debug for CreatedToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CreatedToken")
            .field("id", &self.id)
            .field("name", &self.name)
            .field("kind", &self.kind)
            .field("token", &"<redacted>")
            .finish_non_exhaustive()
    }
}

#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename = "KeyState", rename_all = "lowercase")]
pub enum KeyStateDto {
    Next,
    Active,
    Retired,
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "SigningKey")]
pub struct SigningKeyDto {
    /// The RFC 7638 thumbprint of the public key.
    pub kid: String,
    /// `ES256` or `RS256`.
    pub alg: String,
    pub state: KeyStateDto,
    pub public_jwk: serde_json::Value,
    pub created_at: OffsetDateTime,
    #[oai(nullable)]
    pub activated_at: Option<OffsetDateTime>,
    #[oai(nullable)]
    pub retired_at: Option<OffsetDateTime>,
}

impl From<SigningKey> for SigningKeyDto {
    fn from(k: SigningKey) -> Self {
        SigningKeyDto {
            kid: k.kid,
            alg: k.alg.as_str().to_owned(),
            state: match k.state {
                KeyState::Next => KeyStateDto::Next,
                KeyState::Active => KeyStateDto::Active,
                KeyState::Retired => KeyStateDto::Retired,
            },
            public_jwk: k.public_jwk,
            created_at: k.created_at,
            activated_at: k.activated_at,
            retired_at: k.retired_at,
        }
    }
}

#[derive(Debug, Clone, Object)]
pub struct SigningKeyList {
    pub items: Vec<SigningKeyDto>,
}

#[derive(Debug, Clone, Object, Default)]
#[oai(example)]
pub struct RotateKeys {
    /// Algorithms to rotate (`ES256`, `RS256`); all when absent or empty.
    #[oai(nullable)]
    pub algs: Option<Vec<Text>>,
}

impl poem_openapi::types::Example for RotateKeys {
    fn example() -> Self {
        RotateKeys {
            algs: Some(vec!["RS256".into()]),
        }
    }
}

#[derive(Debug, Clone, Object)]
#[oai(rename = "AuditEvent")]
pub struct AuditEventDto {
    pub id: Uuid,
    pub occurred_at: OffsetDateTime,
    /// `platform-token:<id>`, `token:<id>` or `cli`.
    pub actor: String,
    /// e.g. `user.create`, `group.member.add`, `token.revoke`.
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub request_id: String,
    pub detail: serde_json::Value,
}

impl From<AuditEvent> for AuditEventDto {
    fn from(e: AuditEvent) -> Self {
        AuditEventDto {
            id: e.id.as_uuid(),
            occurred_at: e.occurred_at,
            actor: e.actor,
            action: e.action,
            target_type: e.target_type,
            target_id: e.target_id,
            request_id: e.request_id,
            detail: e.detail,
        }
    }
}

macro_rules! list_type {
    ($name:ident, $item:ty) => {
        /// One page; pass `next_cursor` as `cursor` for the next (null on the last page).
        #[derive(Debug, Clone, Object)]
        pub struct $name {
            pub items: Vec<$item>,
            #[oai(nullable)]
            pub next_cursor: Option<String>,
        }

        impl<T: Into<$item>> From<Page<T>> for $name {
            fn from(page: Page<T>) -> Self {
                $name {
                    items: page.items.into_iter().map(Into::into).collect(),
                    next_cursor: page.next_cursor,
                }
            }
        }
    };
}

list_type!(TenantList, TenantDto);
list_type!(UserList, UserDto);
list_type!(GroupList, GroupDto);
list_type!(MemberList, MemberDto);
list_type!(TokenList, TokenDto);
list_type!(SessionList, SessionDto);
list_type!(AuditEventList, AuditEventDto);
