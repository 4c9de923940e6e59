//! `PUT /Users/{id}`, `PUT /Groups/{id}`: the whole resource replaced.

use serde_json::Value;

use super::{Resource, ResourceKind, ScimProvider, uniqueness};
use crate::db::Id;
use crate::error::Result;
use crate::password;
use crate::scim::project::Projection;
use crate::scim::users::PasswordChange;
use crate::scim::{groups, resource, users};

impl ScimProvider<'_> {
    /// `expected`: the version `If-Match` named, if any.
    pub async fn replace(
        &self,
        kind: ResourceKind,
        id: Id,
        document: &Value,
        expected: Option<i64>,
        projection: &Projection,
    ) -> Result<Resource> {
        let base = self.base_url.clone();
        let (version, replaced) = match kind {
            ResourceKind::User => {
                let mut input = resource::user_from_json(document)?;
                let password = match password::hash_off_thread(input.password.take()).await? {
                    Some(h) => PasswordChange::Set(h),
                    None => PasswordChange::Keep,
                };
                let user = self
                    .scope
                    .write_admitting(move |tx| {
                        users::replace(tx, id, &input, password, expected)?;
                        users::get(tx, id, true)
                    })
                    .await
                    .map_err(uniqueness)?;
                (user.version, user.to_json(&base))
            }
            ResourceKind::Group => {
                let mut input = resource::group_from_json(document)?;
                // A PUT replaces the whole group (RFC 7644 §3.5.1): no
                // `members` means no members.
                input.members.get_or_insert_with(Vec::new);
                let group = self
                    .scope
                    .write(move |tx| {
                        groups::update(tx, id, &input, &[], expected)?;
                        groups::get(tx, id, Some(i64::MAX))
                    })
                    .await
                    .map_err(uniqueness)?;
                (group.version, group.to_json(&base))
            }
        };
        Ok(self.resource(kind, id, version, replaced, projection))
    }
}
