//! A tenant's users: the REST resource, and the row and write path that
//! SCIM shares with it.

mod changes;
mod rest;
mod row;
mod search;
mod write;

use std::str::FromStr;

use time::OffsetDateTime;

use crate::error::{Error, Result};
use crate::ids::UserId;
use crate::store::TenantScope;

pub(crate) use row::UserRow;
pub(crate) use write::{begin_change, delete_user, insert_user, write_row};

/// Workforce (`internal`, counted as seats) or customer (`external`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserKind {
    #[default]
    Internal,
    External,
}

impl UserKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            UserKind::Internal => "internal",
            UserKind::External => "external",
        }
    }
}

impl FromStr for UserKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "internal" => Ok(UserKind::Internal),
            "external" => Ok(UserKind::External),
            _ => Err(Error::invalid("kind", "must be internal or external")),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: UserId,
    pub user_name: String,
    pub external_id: Option<String>,
    pub kind: UserKind,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

// No `Debug`: it would print the password.
#[derive(Clone, Default)]
pub struct NewUser {
    pub user_name: String,
    pub external_id: Option<String>,
    pub kind: UserKind,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub active: bool,
    /// Checked against [`crate::password::check_rules`], stored only hashed.
    pub password: Option<String>,
}

/// A partial update: `None` leaves a field alone, `Some(None)` clears it.
// No `Debug`: it would print the password.
#[derive(Clone, Default)]
pub struct UserPatch {
    pub user_name: Option<String>,
    pub external_id: Option<Option<String>>,
    pub kind: Option<UserKind>,
    pub email: Option<Option<String>>,
    pub display_name: Option<Option<String>>,
    pub given_name: Option<Option<String>>,
    pub family_name: Option<Option<String>>,
    pub active: Option<bool>,
    /// `Some(None)` removes the password: the user can no longer sign in
    /// with one.
    pub password: Option<Option<String>>,
}

#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// Case-insensitive substring of user name, email, display, given or family name.
    pub search: Option<String>,
    pub active: Option<bool>,
    pub kind: Option<UserKind>,
}

pub struct Users<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn users(&self) -> Users<'_> {
        Users { scope: self }
    }
}
