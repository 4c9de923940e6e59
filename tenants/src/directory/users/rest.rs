//! The REST operations on a single user.

use serde_json::json;

use super::row::UserRow;
use super::write::{
    begin_change, delete_user, find_row, insert_user, name_in_use, user_name_taken, write_row,
};
use super::{NewUser, User, UserPatch, Users};
use crate::db::Id;
use crate::db::schema::user_values;
use crate::directory::cascade::PrimaryEmail;
use crate::error::Result;
use crate::ids::UserId;

impl Users<'_> {
    pub async fn create(&self, new: NewUser) -> Result<User> {
        new.validate()?;
        let mut row = UserRow::blank(
            self.scope.tenant.id,
            crate::clock::to_db(self.scope.store.now()),
        );
        row.user_name = new.user_name;
        row.external_id = new.external_id;
        row.kind = new.kind.as_str().into();
        row.email = new.email;
        row.display_name = new.display_name;
        row.given_name = new.given_name;
        row.family_name = new.family_name;
        row.active = new.active;
        row.refresh_keys();
        let row = self
            .scope
            .write_statement(move |tx| {
                let email =
                    (row.email.as_deref()).map(|email| PrimaryEmail::new(tx.tenant, row.id, email));
                let event = tx.audit_row(
                    "user.create",
                    "user",
                    &row.id.to_string(),
                    json!({ "user_name": row.user_name, "kind": row.kind, "active": row.active }),
                );
                insert_user(tx, &row, &event, |chain| {
                    chain.then_some(
                        email
                            .as_ref()
                            .map(|e| diesel::insert_into(user_values::table).values(e)),
                    )
                })?;
                Ok(row)
            })
            .await?;
        row.try_into()
    }

    pub async fn get(&self, id: UserId) -> Result<User> {
        self.scope
            .read(move |tx| find_row(tx, Id::from(id)))
            .await?
            .try_into()
    }

    /// Applies a partial update. With `if_match`, refuses unless the stored
    /// version is that one; either way the write is conditional on the
    /// version read, so a concurrent change is never silently overwritten.
    pub async fn update(
        &self,
        id: UserId,
        patch: UserPatch,
        if_match: Option<i64>,
    ) -> Result<User> {
        patch.validate()?;
        let id = Id::from(id);
        let row = self
            .scope
            .write_admitting(move |tx| {
                let mut row = begin_change(tx, id, if_match)?;
                let detail = patch.describe();
                let read_version = row.version;
                let email_change = patch.email.clone();
                patch.apply(&mut row);
                if name_in_use(tx, &row.user_name_key, Some(id))? {
                    return Err(user_name_taken(&row.user_name));
                }
                write_row(tx, &mut row, read_version)?;
                if let Some(email) = email_change {
                    crate::directory::cascade::sync_primary_email(tx, id, email.as_deref())?;
                }
                tx.audit("user.update", "user", &id.to_string(), detail)?;
                Ok(row)
            })
            .await?;
        row.try_into()
    }

    /// Deletes the user and their memberships (by cascade) in one transaction.
    pub async fn delete(&self, id: UserId, if_match: Option<i64>) -> Result<()> {
        let id = Id::from(id);
        self.scope
            .write(move |tx| delete_user(tx, id, if_match))
            .await
    }
}
