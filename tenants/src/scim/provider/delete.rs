//! `DELETE /Users/{id}`, `DELETE /Groups/{id}`.

use super::{ResourceKind, ScimProvider};
use crate::db::Id;
use crate::directory;
use crate::error::Result;

impl ScimProvider<'_> {
    /// `expected`: the version `If-Match` named, if any.
    pub async fn delete(&self, kind: ResourceKind, id: Id, expected: Option<i64>) -> Result<()> {
        match kind {
            ResourceKind::User => {
                self.scope
                    .write(move |tx| directory::users::delete_user(tx, id, expected))
                    .await
            }
            ResourceKind::Group => {
                self.scope
                    .write(move |tx| directory::groups::delete_group(tx, id, expected))
                    .await
            }
        }
    }
}
