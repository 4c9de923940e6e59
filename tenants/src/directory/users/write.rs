//! The write path REST and SCIM share: creating, changing and deleting a
//! user's row, each conditional on the version it was read at.

use diesel::prelude::*;
use serde_json::json;

use super::UserKind;
use super::row::UserRow;
use crate::audit::AuditRow;
use crate::db::schema::{audit_events, users};
use crate::db::{Chain, Id, on_backend};
use crate::error::{Error, Resource, Result};
use crate::store::TenantTx;

pub(crate) fn user_name_taken(user_name: &str) -> Error {
    Error::Conflict {
        code: "user-name-taken",
        message: format!("a user named `{user_name}` already exists in this tenant"),
    }
}

pub(crate) fn find_row(tx: &mut TenantTx<'_>, id: Id) -> Result<UserRow> {
    let key = (tx.tenant, id);
    on_backend!(&mut *tx.conn, |c| users::table
        .find(key)
        .select(UserRow::as_select())
        .first(c)
        .optional())?
    .ok_or(Error::NotFound(Resource::User))
}

pub(super) fn name_in_use(tx: &mut TenantTx<'_>, key: &str, except: Option<Id>) -> Result<bool> {
    let mut q = users::table
        .filter(users::tenant_id.eq(tx.tenant))
        .filter(users::user_name_key.eq(key))
        .select(users::id)
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(users::id.ne(id));
    }
    Ok(q.first::<Id>(tx.conn).optional()?.is_some())
}

/// A unique index is the last line of defence against two racing creates;
/// its violation means the same as the check before it.
pub(crate) fn unique_as_taken(user_name: &str) -> impl Fn(diesel::result::Error) -> Error + '_ {
    move |e| match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => user_name_taken(user_name),
        other => other.into(),
    }
}

/// Writes a new user, the one way REST and SCIM both create one: the seat
/// admitted, then its row, the rows `extend` adds (the primary email's value
/// for REST; the profile and every value for SCIM) and its audit event, as
/// one statement on PostgreSQL. A taken user name is `user-name-taken`,
/// decided by the unique index in that same statement.
pub(crate) fn insert_user<'s>(
    tx: &mut TenantTx<'_>,
    row: &'s UserRow,
    event: &'s AuditRow,
    extend: impl for<'c> FnOnce(Chain<'c, 's>) -> Chain<'c, 's>,
) -> Result<()> {
    // A read before the one writing statement (see `admit_seat`).
    tx.admit_seat(false, row.counts_as_seat())?;
    let chain = Chain::on(tx.conn).then(diesel::insert_into(users::table).values(row));
    extend(chain)
        .then(diesel::insert_into(audit_events::table).values(event))
        .run()
        .map_err(unique_as_taken(&row.user_name))
}

/// The start of every change to a user, REST or SCIM: its row as stored,
/// refused with a 412 when `expected` (an `If-Match`) names another version.
pub(crate) fn begin_change(
    tx: &mut TenantTx<'_>,
    id: Id,
    expected: Option<i64>,
) -> Result<UserRow> {
    let row = find_row(tx, id)?;
    match expected {
        Some(e) if e != row.version => Err(Error::VersionMismatch {
            current: row.version,
        }),
        _ => Ok(row),
    }
}

/// Writes a changed user as its next version, conditional on the version
/// the change was computed from: a change made meanwhile is a 412, never
/// silently overwritten.
pub(crate) fn write_row(tx: &mut TenantTx<'_>, row: &mut UserRow, read_version: i64) -> Result<()> {
    if row.counts_as_seat() {
        let was: Option<(String, bool)> = users::table
            .find((tx.tenant, row.id))
            .select((users::kind, users::active))
            .first(tx.conn)
            .optional()?;
        let was_counted =
            was.is_some_and(|(kind, active)| active && kind == UserKind::Internal.as_str());
        tx.admit_seat(was_counted, true)?;
    }
    row.version = read_version + 1;
    row.updated_at = tx.now_db();
    let changed = diesel::update(
        users::table
            .find((tx.tenant, row.id))
            .filter(users::version.eq(read_version)),
    )
    .set(&*row)
    .execute(tx.conn)
    .map_err(unique_as_taken(&row.user_name))?;
    if changed == 0 {
        return Err(Error::VersionMismatch {
            current: find_row(tx, row.id)?.version,
        });
    }
    Ok(())
}

/// Deletes a user, their memberships and every reference to them as a
/// manager, in the caller's transaction. Conditional on the version read, so
/// a change made meanwhile turns the whole delete into a 412.
pub(crate) fn delete_user(tx: &mut TenantTx<'_>, id: Id, if_match: Option<i64>) -> Result<()> {
    use crate::db::schema::{group_members, user_profiles};
    let row = begin_change(tx, id, if_match)?;
    // Groups that listed the user, and users they managed, change too.
    let groups: Vec<Id> = group_members::table
        .filter(group_members::tenant_id.eq(tx.tenant))
        .filter(group_members::user_id.eq(id))
        .select(group_members::group_id)
        .load(tx.conn)?;
    crate::directory::cascade::touch_groups(tx, &groups)?;
    let managed: Vec<Id> = user_profiles::table
        .filter(user_profiles::tenant_id.eq(tx.tenant))
        .filter(user_profiles::manager_id.eq(id.to_string()))
        .select(user_profiles::user_id)
        .load(tx.conn)?;
    crate::directory::cascade::touch_users(tx, &managed)?;
    diesel::delete(
        group_members::table.filter(
            group_members::tenant_id
                .eq(tx.tenant)
                .and(group_members::user_id.eq(id)),
        ),
    )
    .execute(tx.conn)?;
    diesel::update(
        user_profiles::table
            .filter(user_profiles::tenant_id.eq(tx.tenant))
            .filter(user_profiles::manager_id.eq(id.to_string())),
    )
    .set((
        user_profiles::manager_id.eq(None::<String>),
        user_profiles::manager_ref.eq(None::<String>),
    ))
    .execute(tx.conn)?;
    let deleted = diesel::delete(
        users::table
            .find((tx.tenant, id))
            .filter(users::version.eq(row.version)),
    )
    .execute(tx.conn)?;
    if deleted == 0 {
        return Err(Error::VersionMismatch {
            current: find_row(tx, id)?.version,
        });
    }
    tx.audit(
        "user.delete",
        "user",
        &id.to_string(),
        json!({ "user_name": row.user_name }),
    )
}
