//! The REST operations on a single user.

use serde_json::json;

use super::row::UserRow;
use super::write::{
    begin_change, delete_user, find_row, insert_user, name_in_use, user_name_taken, write_row,
};
use super::{NewUser, User, UserPatch, Users};
use crate::db::Id;
use crate::db::schema::{user_profiles, user_values};
use crate::directory::cascade::PrimaryEmail;
use crate::error::Result;
use crate::ids::UserId;
use crate::password;
use crate::scim::users::{password_profile, set_password_hash};

impl Users<'_> {
    pub async fn create(&self, mut new: NewUser) -> Result<User> {
        new.validate()?;
        if let Some(password) = &new.password {
            self.check_password(password, &new.user_name, new.email.as_deref())?;
        }
        // Hashed before the write: a hash is deliberately slow, and the
        // write transaction must not wait for it.
        let hash = password::hash_off_thread(new.password.take()).await?;
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
                let mut detail =
                    json!({ "user_name": row.user_name, "kind": row.kind, "active": row.active });
                if hash.is_some() {
                    detail["password_set"] = json!(true);
                }
                let event = tx.audit_row("user.create", "user", &row.id.to_string(), detail);
                let profile = hash.map(|h| password_profile(tx.tenant, row.id, h));
                insert_user(tx, &row, &event, |chain| {
                    chain
                        .then_some(
                            email
                                .as_ref()
                                .map(|e| diesel::insert_into(user_values::table).values(e)),
                        )
                        .then_some(
                            profile
                                .as_ref()
                                .map(|p| diesel::insert_into(user_profiles::table).values(p)),
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
        mut patch: UserPatch,
        if_match: Option<i64>,
    ) -> Result<User> {
        patch.validate()?;
        let password = patch.password.take();
        if let Some(Some(new)) = &password {
            // The rules name the user as they will be after the change.
            let current = self.get(id).await?;
            let user_name = patch.user_name.as_deref().unwrap_or(&current.user_name);
            let email = match &patch.email {
                Some(email) => email.as_deref(),
                None => current.email.as_deref(),
            };
            self.check_password(new, user_name, email)?;
        }
        // `Some(None)` removes the password; hashed before the write, as on
        // create.
        let password = match password {
            Some(new) => Some(password::hash_off_thread(new).await?),
            None => None,
        };
        let id = Id::from(id);
        let row = self
            .scope
            .write_admitting(move |tx| {
                let mut row = begin_change(tx, id, if_match)?;
                let mut detail = patch.describe();
                match &password {
                    Some(Some(_)) => detail["password_set"] = json!(true),
                    Some(None) => detail["password_removed"] = json!(true),
                    None => {}
                }
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
                if let Some(hash) = password {
                    set_password_hash(tx, id, hash)?;
                }
                tx.audit("user.update", "user", &id.to_string(), detail)?;
                Ok(row)
            })
            .await?;
        row.try_into()
    }

    /// The password rules, with what a password of this user must not
    /// contain: their user name, their email address, and the tenant's slug
    /// and name.
    fn check_password(&self, password: &str, user_name: &str, email: Option<&str>) -> Result<()> {
        let tenant = &self.scope.tenant;
        password::check_rules(
            password,
            &[
                ("the user name", user_name),
                ("the email address", email.unwrap_or_default()),
                ("the tenant's slug", &tenant.slug),
                ("the tenant's name", &tenant.display_name),
            ],
        )
    }

    /// Deletes the user and their memberships (by cascade) in one transaction.
    pub async fn delete(&self, id: UserId, if_match: Option<i64>) -> Result<()> {
        let id = Id::from(id);
        self.scope
            .write(move |tx| delete_user(tx, id, if_match))
            .await
    }
}
