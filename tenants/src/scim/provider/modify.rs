//! `PATCH /Users/{id}`, `PATCH /Groups/{id}` (RFC 7644 §3.5.2): the
//! operations applied to the current document, the result stored as a
//! replacement, all in one transaction.

use serde_json::Value;

use super::{MAX_MEMBERS_IN_PATCH_RESPONSE, Patched, ResourceKind, ScimProvider, uniqueness};
use crate::db::Id;
use crate::directory::groups::begin_change as begin_change_group;
use crate::directory::users::begin_change as begin_change_user;
use crate::error::{Error, Result, ScimError};
use crate::password;
use crate::scim::patch::{self, MemberChange};
use crate::scim::project::Projection;
use crate::scim::users::PasswordChange;
use crate::scim::{groups, resource, users};

impl ScimProvider<'_> {
    /// `request`: the PatchOp message. `expected`: the version `If-Match`
    /// named, if any. `projection_asked`: whether the client named
    /// attributes; a group answer then always carries what was asked for.
    pub async fn patch(
        &self,
        kind: ResourceKind,
        id: Id,
        request: &Value,
        expected: Option<i64>,
        projection: &Projection,
        projection_asked: bool,
    ) -> Result<Patched> {
        let ops = operations(request)?;
        let base = self.base_url.clone();
        let rt = kind.resource_type();
        match kind {
            ResourceKind::User => {
                let user = self
                    .scope
                    .write_admitting(move |tx| {
                        let row = begin_change_user(tx, id, expected)?;
                        let current = users::record_of(tx, row.clone(), false)?;
                        let mut doc = current.to_json(&base);
                        patch::apply(rt, &mut doc, &ops, false)?;
                        let mut input = resource::user_from_json(&doc)?;
                        let password = match input.password.take() {
                            Some(p) => PasswordChange::Set(password::hash(&p)?),
                            None => PasswordChange::Keep,
                        };
                        users::replace_row(tx, row, &input, password)?;
                        users::get(tx, id, true)
                    })
                    .await
                    .map_err(uniqueness)?;
                let document = user.to_json(&self.base_url);
                Ok(Patched::Resource(self.resource(
                    kind,
                    id,
                    user.version,
                    document,
                    projection,
                )))
            }
            ResourceKind::Group => {
                let want_members = projection.wants("members");
                let limit = if projection_asked {
                    i64::MAX
                } else {
                    MAX_MEMBERS_IN_PATCH_RESPONSE + 1
                };
                let group = self
                    .scope
                    .write(move |tx| {
                        let row = begin_change_group(tx, id, expected)?;
                        let current = groups::record_of(tx, row.clone(), None)?;
                        let mut doc = current.to_json(&base);
                        let changes: Vec<MemberChange> = patch::apply(rt, &mut doc, &ops, true)?;
                        let mut input = resource::group_from_json(&doc)?;
                        input.members = None;
                        groups::update_row(tx, row, &input, &changes)?;
                        groups::get(tx, id, want_members.then_some(limit))
                    })
                    .await
                    .map_err(uniqueness)?;
                let too_many = group.members.as_ref().is_some_and(|m| {
                    i64::try_from(m.len()).unwrap_or(i64::MAX) > MAX_MEMBERS_IN_PATCH_RESPONSE
                });
                if too_many && !projection_asked {
                    return Ok(Patched::TooLargeToReturn {
                        version: group.version,
                    });
                }
                let document = group.to_json(&self.base_url);
                Ok(Patched::Resource(self.resource(
                    kind,
                    id,
                    group.version,
                    document,
                    projection,
                )))
            }
        }
    }
}

/// The operations of a PatchOp message.
fn operations(request: &Value) -> Result<Vec<Value>> {
    let obj = request
        .as_object()
        .ok_or_else(|| Error::scim(ScimError::InvalidSyntax, "a PatchOp must be an object"))?;
    let ops = obj
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("Operations"))
        .map(|(_, v)| v)
        .and_then(Value::as_array)
        .ok_or_else(|| {
            Error::scim(
                ScimError::InvalidSyntax,
                "a PatchOp needs an `Operations` array",
            )
        })?;
    if ops.is_empty() {
        return Err(Error::scim(
            ScimError::InvalidSyntax,
            "`Operations` is empty",
        ));
    }
    Ok(ops.clone())
}
