//! A user as stored: its row, the lower-cased keys searches and the unique
//! user name index read, and the user it reads as.

use diesel::prelude::*;

use super::{User, UserKind};
use crate::clock::from_db;
use crate::db::Id;
use crate::db::schema::users;
use crate::error::{Error, Result};
use crate::ids::TenantId;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users, primary_key(tenant_id, id), treat_none_as_null = true)]
pub(crate) struct UserRow {
    pub(crate) tenant_id: TenantId,
    pub(crate) id: Id,
    pub(crate) user_name: String,
    pub(crate) user_name_key: String,
    pub(crate) external_id: Option<String>,
    pub(crate) kind: String,
    pub(crate) email: Option<String>,
    pub(crate) display_name: Option<String>,
    pub(crate) given_name: Option<String>,
    pub(crate) family_name: Option<String>,
    pub(crate) active: bool,
    pub(crate) version: i64,
    pub(crate) created_at: time::PrimitiveDateTime,
    pub(crate) updated_at: time::PrimitiveDateTime,
    pub(crate) email_key: Option<String>,
    pub(crate) display_name_key: Option<String>,
    pub(crate) given_name_key: Option<String>,
    pub(crate) family_name_key: Option<String>,
}

impl UserRow {
    /// Recomputes the lowercased search keys from the fields.
    pub(crate) fn refresh_keys(&mut self) {
        let key = |v: &Option<String>| v.as_deref().map(str::to_lowercase);
        self.user_name_key = self.user_name.to_lowercase();
        self.email_key = key(&self.email);
        self.display_name_key = key(&self.display_name);
        self.given_name_key = key(&self.given_name);
        self.family_name_key = key(&self.family_name);
    }
}

impl TryFrom<UserRow> for User {
    type Error = Error;
    fn try_from(row: UserRow) -> Result<Self> {
        Ok(User {
            id: row.id.into(),
            user_name: row.user_name,
            external_id: row.external_id,
            kind: row
                .kind
                .parse()
                .map_err(|_| Error::Internal(format!("stored user kind `{}`", row.kind)))?,
            email: row.email,
            display_name: row.display_name,
            given_name: row.given_name,
            family_name: row.family_name,
            active: row.active,
            version: row.version,
            created_at: from_db(row.created_at),
            updated_at: from_db(row.updated_at),
        })
    }
}

impl UserRow {
    /// A new user's row in `tenant`, every field empty: the caller fills it
    /// and then calls [`UserRow::refresh_keys`].
    pub(crate) fn blank(tenant: TenantId, now: time::PrimitiveDateTime) -> UserRow {
        UserRow {
            tenant_id: tenant,
            id: Id::new(),
            user_name: String::new(),
            user_name_key: String::new(),
            external_id: None,
            kind: UserKind::Internal.as_str().into(),
            email: None,
            display_name: None,
            given_name: None,
            family_name: None,
            active: true,
            version: 1,
            created_at: now,
            updated_at: now,
            email_key: None,
            display_name_key: None,
            given_name_key: None,
            family_name_key: None,
        }
    }

    pub(crate) fn id(&self) -> Id {
        self.id
    }

    /// An active internal user takes a seat; deactivated and external users do not.
    pub(crate) fn counts_as_seat(&self) -> bool {
        self.active && self.kind == UserKind::Internal.as_str()
    }
}
