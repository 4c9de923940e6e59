//! What a client may write on a user or a group, and what a read returns.

use crate::db::Id;
use time::OffsetDateTime;

/// The multi-valued attributes stored one row per value, in schema order.
pub const MULTI_VALUED: [&str; 8] = [
    "emails",
    "phoneNumbers",
    "ims",
    "photos",
    "addresses",
    "entitlements",
    "roles",
    "x509Certificates",
];

/// One value of a multi-valued attribute. Addresses use the address fields
/// instead of `value`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MultiValue {
    pub value: Option<String>,
    pub display: Option<String>,
    pub kind: Option<String>,
    pub primary: Option<bool>,
    pub formatted: Option<String>,
    pub street_address: Option<String>,
    pub locality: Option<String>,
    pub region: Option<String>,
    pub postal_code: Option<String>,
    pub country: Option<String>,
}

/// Everything a client may write on a user.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct UserInput {
    pub user_name: String,
    pub external_id: Option<String>,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub name_formatted: Option<String>,
    pub middle_name: Option<String>,
    pub honorific_prefix: Option<String>,
    pub honorific_suffix: Option<String>,
    pub nick_name: Option<String>,
    pub profile_url: Option<String>,
    pub title: Option<String>,
    pub user_type: Option<String>,
    pub preferred_language: Option<String>,
    pub locale: Option<String>,
    pub timezone: Option<String>,
    /// `None` when the client did not send it (the directory then treats
    /// the user as active).
    pub active: Option<bool>,
    /// Cleartext, only on its way to being hashed.
    pub password: Option<String>,
    pub employee_number: Option<String>,
    pub cost_center: Option<String>,
    pub organization: Option<String>,
    pub division: Option<String>,
    pub department: Option<String>,
    pub manager: Option<String>,
    pub manager_ref: Option<String>,
    /// `(attribute, values)` for each of [`MULTI_VALUED`] the client sent.
    pub values: Vec<(&'static str, Vec<MultiValue>)>,
}

impl UserInput {
    /// The value of `users.email`: the primary email, else the first.
    pub fn primary_email(&self) -> Option<String> {
        let emails = self.values.iter().find(|(a, _)| *a == "emails")?;
        emails
            .1
            .iter()
            .find(|v| v.primary == Some(true))
            .or_else(|| emails.1.first())
            .and_then(|v| v.value.clone())
    }
}

/// A stored user, as read back.
#[derive(Debug, Clone, PartialEq)]
pub struct UserRecord {
    pub id: Id,
    pub input: UserInput,
    pub has_password: bool,
    pub manager_display: Option<String>,
    pub groups: Vec<(Id, String)>,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A member of a group: a user or a group.
#[derive(Debug, Clone, PartialEq)]
pub struct MemberRef {
    pub id: Id,
    pub is_group: bool,
}

#[derive(Debug, Clone, Default, PartialEq)]
pub struct GroupInput {
    pub display_name: String,
    pub external_id: Option<String>,
    /// `None` when the client did not send `members` (PATCH keeps them).
    pub members: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GroupRecord {
    pub id: Id,
    pub display_name: String,
    pub external_id: Option<String>,
    /// `None` when the read skipped them (`excludedAttributes=members`).
    pub members: Option<Vec<MemberRef>>,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}
