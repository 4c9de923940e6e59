//! What a change cascades to: every view of the directory kept honest when a
//! change shows up in a resource it did not write — a group's members (its
//! version moves with them), a user's manager, and the primary email the REST
//! API and SCIM share. A user's version does not move with their
//! memberships: `groups` is derived and read-only, and a REST client's
//! `If-Match` on a user must not fail because someone added them to a group.

use diesel::prelude::*;

use crate::db::Id;
use crate::db::schema::{groups, user_values, users};
use crate::error::Result;
use crate::ids::TenantId;
use crate::store::TenantTx;

/// Rows per statement when many resources change at once.
const CHUNK: usize = 1000;

/// A new version (ETag) and modification time for users whose
/// representation changed through another resource.
pub(crate) fn touch_users(tx: &mut TenantTx<'_>, ids: &[Id]) -> Result<()> {
    let now = tx.now_db();
    for chunk in ids.chunks(CHUNK) {
        diesel::update(
            users::table
                .filter(users::tenant_id.eq(tx.tenant))
                .filter(users::id.eq_any(chunk)),
        )
        .set((
            users::version.eq(users::version + 1),
            users::updated_at.eq(now),
        ))
        .execute(tx.conn)?;
    }
    Ok(())
}

/// The same for groups.
pub(crate) fn touch_groups(tx: &mut TenantTx<'_>, ids: &[Id]) -> Result<()> {
    let now = tx.now_db();
    for chunk in ids.chunks(CHUNK) {
        diesel::update(
            groups::table
                .filter(groups::tenant_id.eq(tx.tenant))
                .filter(groups::id.eq_any(chunk)),
        )
        .set((
            groups::version.eq(groups::version + 1),
            groups::updated_at.eq(now),
        ))
        .execute(tx.conn)?;
    }
    Ok(())
}

/// Makes the user's SCIM emails agree with the REST API's `email`: the
/// primary email (else the first) takes the new address; no address removes
/// it; a user without emails gets one, primary.
pub(crate) fn sync_primary_email(
    tx: &mut TenantTx<'_>,
    user: Id,
    email: Option<&str>,
) -> Result<()> {
    let rows: Vec<(i32, Option<bool>)> = user_values::table
        .filter(user_values::tenant_id.eq(tx.tenant))
        .filter(user_values::user_id.eq(user))
        .filter(user_values::attr.eq("emails"))
        .order(user_values::position)
        .select((user_values::position, user_values::is_primary))
        .load(tx.conn)?;
    let target = rows
        .iter()
        .find(|(_, primary)| *primary == Some(true))
        .or_else(|| rows.first())
        .map(|(position, _)| *position);
    let row =
        |position: i32| user_values::table.find((tx.tenant, user, "emails".to_owned(), position));
    match (target, email) {
        (Some(position), Some(email)) => {
            diesel::update(row(position))
                .set((
                    user_values::value.eq(email),
                    user_values::value_key.eq(email.to_lowercase()),
                ))
                .execute(tx.conn)?;
        }
        (Some(position), None) => {
            diesel::delete(row(position)).execute(tx.conn)?;
        }
        (None, Some(email)) => {
            diesel::insert_into(user_values::table)
                .values(PrimaryEmail::new(tx.tenant, user, email))
                .execute(tx.conn)?;
        }
        (None, None) => {}
    }
    Ok(())
}

/// The `emails` value of a user who had none: the email the REST API shows.
#[derive(Insertable)]
#[diesel(table_name = user_values)]
pub(crate) struct PrimaryEmail {
    tenant_id: TenantId,
    user_id: Id,
    attr: &'static str,
    position: i32,
    value: String,
    value_key: String,
    is_primary: Option<bool>,
}

impl PrimaryEmail {
    pub(crate) fn new(tenant: TenantId, user: Id, email: &str) -> Self {
        PrimaryEmail {
            tenant_id: tenant,
            user_id: user,
            attr: "emails",
            position: 0,
            value: email.to_owned(),
            value_key: email.to_lowercase(),
            is_primary: Some(true),
        }
    }
}
