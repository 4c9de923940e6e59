//! `POST /Users`, `POST /Groups`.

use serde_json::Value;

use super::{Resource, ResourceKind, ScimProvider, uniqueness};
use crate::error::Result;
use crate::password;
use crate::scim::project::Projection;
use crate::scim::{groups, resource, users};

impl ScimProvider<'_> {
    pub async fn create(
        &self,
        kind: ResourceKind,
        document: &Value,
        projection: &Projection,
    ) -> Result<Resource> {
        let base = self.base_url.clone();
        let (id, version, created) = match kind {
            ResourceKind::User => {
                let mut input = resource::user_from_json(document)?;
                let hash = password::hash_off_thread(input.password.take()).await?;
                let user = self
                    .scope
                    .write_statement(move |tx| {
                        let has_password = hash.is_some();
                        let id = users::insert(tx, &input, hash)?;
                        users::inserted(tx, id, input, has_password)
                    })
                    .await
                    .map_err(uniqueness)?;
                (user.id, user.version, user.to_json(&base))
            }
            ResourceKind::Group => {
                let input = resource::group_from_json(document)?;
                let group = self
                    .scope
                    .write(move |tx| {
                        let id = groups::insert(tx, &input)?;
                        groups::get(tx, id, Some(i64::MAX))
                    })
                    .await
                    .map_err(uniqueness)?;
                (group.id, group.version, group.to_json(&base))
            }
        };
        Ok(self.resource(kind, id, version, created, projection))
    }
}
