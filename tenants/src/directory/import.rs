//! Bulk import of a tenant's directory: many users (each with its SCIM
//! profile and multi-valued attributes) and groups with their members,
//! written with multi-row `INSERT`s instead of one create per user.
//!
//! It is an operator's path (a migration from another system, the
//! benchmark's seed), reached through
//! [`TenantScope::directory_import_unmetered`]:
//!
//! - **Same rows as a create.** Each user's rows are shaped by the
//!   constructors SCIM's `POST /Users` uses ([`UserRow::blank`], SCIM's
//!   `fill_row`, `profile_row` and `value_rows`), so an imported user reads
//!   back, over SCIM and REST, as the same user created one by one would.
//! - **Caller-chosen ids and creation times.** An import keeps the source
//!   system's; `updated_at` is the creation time and `version` is 1.
//! - **No seat admission.** The licence's and plan's seat limits are *not*
//!   checked ("unmetered"): the operator decides what to import. The seats
//!   count afterwards as any others, so a tenant over its limit refuses new
//!   seats through the ordinary paths until users are deactivated.
//! - **One transaction per call, one audit event per call.** Each
//!   [`UnmeteredImport::users`] or [`UnmeteredImport::groups`] call is one
//!   transaction: any bad input (a duplicate or taken user name, an id in
//!   use, a member that is not a user of the tenant) is an error and writes
//!   nothing of that call. It records one `directory.import` audit event
//!   with the counts, not one event per user. Callers import a large
//!   directory as a sequence of calls (tens of thousands of users each).
//! - **Chunked statements.** Inside the transaction rows go out in chunks
//!   whose bound parameters stay within the backend's limit (65,535 per
//!   statement on PostgreSQL, where a chunk's users, profiles and values are
//!   one statement; SQLite's 32,766 per statement).
//! - **No passwords.** A user with a `password` is refused: hashing is the
//!   slow part of a create, and an import carries no cleartext passwords.

use std::collections::HashSet;
use std::ops::Range;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::json;
use time::OffsetDateTime;

use super::groups::GroupRow;
use super::users::UserRow;
use crate::clock::to_db;
use crate::db::schema::{group_members, groups, user_profiles, user_values, users};
use crate::db::{Backend, Chain, DatabaseUrl, DbConnection, Id, on_backend};
use crate::error::{Error, Result};
use crate::ids::TenantId;
use crate::ids::{GroupId, UserId};
use crate::scim::resource::{GroupInput, UserInput};
use crate::scim::users::{ProfileRow, ValueRow, check, fill_row, profile_row, value_rows};
use crate::store::TenantScope;

/// Bound parameters a chunk may use: PostgreSQL allows 65,535 in one
/// statement (a chunk is one statement there); SQLite 32,766 in each of its
/// statements, and a chunk's statements each use fewer than the chunk.
const MAX_BINDS_POSTGRES: usize = 65_000;
const MAX_BINDS_SQLITE: usize = 32_000;

/// Bound parameters of one row of each table (at most: on PostgreSQL an
/// absent value of `user_values` is `DEFAULT`, not a parameter).
const USER_BINDS: usize = 18;
const PROFILE_BINDS: usize = 22;
const VALUE_BINDS: usize = 15;
const GROUP_BINDS: usize = 8;
const MEMBER_BINDS: usize = 4;

/// A user to import, as SCIM would receive it, with the id and creation
/// time it keeps.
#[derive(Debug, Clone)]
pub struct ImportedUser {
    pub id: UserId,
    pub created_at: OffsetDateTime,
    /// What a SCIM client would send (`scim::resource::user_from_json`);
    /// its `password` must be `None`.
    pub user: UserInput,
}

/// A group to import, with its id, creation time and members (ids of users
/// of the tenant, imported before or in an earlier call). A membership's
/// time is the group's creation time.
#[derive(Debug, Clone)]
pub struct ImportedGroup {
    pub id: GroupId,
    pub created_at: OffsetDateTime,
    pub display_name: String,
    pub external_id: Option<String>,
    pub members: Vec<UserId>,
}

/// Bulk writes into one tenant's directory, bypassing seat admission; see
/// the [module documentation](self).
pub struct UnmeteredImport<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    /// The bulk import of this tenant's directory. It does **not** check
    /// seat limits: an operator's path, never reachable from a tenant's API.
    pub fn directory_import_unmetered(&self) -> UnmeteredImport<'_> {
        UnmeteredImport { scope: self }
    }
}

impl UnmeteredImport<'_> {
    /// Writes `users` in one transaction, with one `directory.import` audit
    /// event; returns how many were written. A duplicate user name (within
    /// `users`, or one the tenant has) or an id in use is a
    /// `user-name-taken` conflict and writes none of them.
    pub async fn users(&self, users: Vec<ImportedUser>) -> Result<usize> {
        let mut seen = HashSet::with_capacity(users.len());
        for u in &users {
            check(&u.user)?;
            if u.user.password.is_some() {
                return Err(Error::invalid(
                    "password",
                    "an import carries no passwords: set them afterwards",
                ));
            }
            if !seen.insert(u.user.user_name.to_lowercase()) {
                return Err(Error::Conflict {
                    code: "user-name-taken",
                    message: format!(
                        "the import holds two users named `{}` (user names ignore case)",
                        u.user.user_name
                    ),
                });
            }
        }
        let count = users.len();
        self.scope
            .write(move |tx| {
                let max = max_binds(tx.conn);
                let chunks = chunks(&users, max, |u| {
                    let values: usize = u.user.values.iter().map(|(_, v)| v.len()).sum();
                    USER_BINDS + PROFILE_BINDS + VALUE_BINDS * values
                });
                for range in chunks {
                    let mut rows = Vec::with_capacity(range.len());
                    let mut profiles = Vec::with_capacity(range.len());
                    let mut values = Vec::with_capacity(range.len());
                    for u in &users[range] {
                        let (row, profile, vals) = user_rows(tx.tenant, u);
                        rows.push(row);
                        profiles.push(profile);
                        values.extend(vals);
                    }
                    insert_users(tx.conn, &rows, &profiles, &values).map_err(taken(
                        "user-name-taken",
                        "a user of the import has a user name or id already taken in this tenant",
                    ))?;
                }
                let tenant = tx.tenant.to_string();
                tx.audit(
                    "directory.import",
                    "tenant",
                    &tenant,
                    json!({ "users": count, "seats_checked": false }),
                )?;
                Ok(count)
            })
            .await
    }

    /// Writes `groups` and their members in one transaction, with one
    /// `directory.import` audit event; returns how many groups were written.
    /// A taken name or id is a `group-name-taken` conflict, a member that
    /// is not a user of the tenant an error; either writes none of them.
    pub async fn groups(&self, groups: Vec<ImportedGroup>) -> Result<usize> {
        for g in &groups {
            crate::scim::groups::check(&GroupInput {
                display_name: g.display_name.clone(),
                external_id: g.external_id.clone(),
                members: None,
            })?;
        }
        let count = groups.len();
        self.scope
            .write(move |tx| {
                let max = max_binds(tx.conn);
                let tenant = tx.tenant;
                let rows: Vec<GroupRow> = groups.iter().map(|g| group_row(tenant, g)).collect();
                for range in chunks(&rows, max, |_| GROUP_BINDS) {
                    on_backend!(&mut *tx.conn, |c| diesel::insert_into(groups::table)
                        .values(&rows[range])
                        .execute(c))
                    .map_err(taken(
                        "group-name-taken",
                        "a group of the import has a name or id already taken in this tenant",
                    ))?;
                }
                let mut members = 0;
                for g in &groups {
                    let at = to_db(g.created_at);
                    let rows: Vec<_> = g
                        .members
                        .iter()
                        .map(|&user| {
                            (
                                group_members::tenant_id.eq(tenant),
                                group_members::group_id.eq(Id::from(g.id)),
                                group_members::user_id.eq(Id::from(user)),
                                group_members::created_at.eq(at),
                            )
                        })
                        .collect();
                    for range in chunks(&rows, max, |_| MEMBER_BINDS) {
                        on_backend!(&mut *tx.conn, |c| diesel::insert_into(group_members::table)
                            .values(&rows[range])
                            .execute(c))
                        .map_err(member_error)?;
                    }
                    members += rows.len();
                }
                tx.audit(
                    "directory.import",
                    "tenant",
                    &tenant.to_string(),
                    json!({ "groups": count, "members": members }),
                )?;
                Ok(count)
            })
            .await
    }
}

/// A user's rows, shaped as SCIM's create shapes them, with the imported
/// id and times.
fn user_rows(tenant: TenantId, u: &ImportedUser) -> (UserRow, ProfileRow, Vec<ValueRow>) {
    let mut row = UserRow::blank(tenant, to_db(u.created_at));
    row.id = Id::from(u.id);
    fill_row(&mut row, &u.user);
    let profile = profile_row(tenant, row.id, &u.user, None);
    let values = value_rows(tenant, row.id, &u.user);
    (row, profile, values)
}

fn group_row(tenant: TenantId, g: &ImportedGroup) -> GroupRow {
    let mut row = GroupRow::new(
        tenant,
        to_db(g.created_at),
        &g.display_name,
        g.external_id.clone(),
    );
    row.id = Id::from(g.id);
    row
}

/// One chunk of users: one statement on PostgreSQL, three on SQLite.
fn insert_users(
    conn: &mut DbConnection,
    rows: &[UserRow],
    profiles: &[ProfileRow],
    values: &[ValueRow],
) -> QueryResult<()> {
    Chain::on(conn)
        .then(diesel::insert_into(users::table).values(rows))
        .then(diesel::insert_into(user_profiles::table).values(profiles))
        .then_some(
            (!values.is_empty()).then(|| diesel::insert_into(user_values::table).values(values)),
        )
        .run()
}

fn max_binds(conn: &DbConnection) -> usize {
    match conn.backend() {
        Backend::Postgres => MAX_BINDS_POSTGRES,
        Backend::Sqlite => MAX_BINDS_SQLITE,
    }
}

/// Consecutive ranges of `items` whose `binds` add up to at most `max`
/// (an item over `max` alone is a chunk of its own).
fn chunks<T>(items: &[T], max: usize, binds: impl Fn(&T) -> usize) -> Vec<Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut used) = (0, 0);
    for (i, item) in items.iter().enumerate() {
        let n = binds(item);
        if i > start && used + n > max {
            out.push(start..i);
            (start, used) = (i, 0);
        }
        used += n;
    }
    if start < items.len() {
        out.push(start..items.len());
    }
    out
}

/// A unique violation as the conflict `code`, with the database's detail
/// (which key, which value).
fn taken(code: &'static str, what: &'static str) -> impl Fn(diesel::result::Error) -> Error {
    move |e| match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            info,
        ) => Error::Conflict {
            code,
            message: format!(
                "{what}: {}{}",
                info.message(),
                info.details()
                    .map(|d| format!(" ({d})"))
                    .unwrap_or_default()
            ),
        },
        other => other.into(),
    }
}

fn member_error(e: diesel::result::Error) -> Error {
    match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::ForeignKeyViolation,
            _,
        ) => Error::invalid(
            "members",
            "a member of the import is not a user of this tenant",
        ),
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => Error::invalid(
            "members",
            "a member is listed twice in a group of the import",
        ),
        other => other.into(),
    }
}

/// Refreshes the planner's statistics after a bulk import, as the owner of
/// the tables (maintenance of the whole database, not of one tenant):
/// on PostgreSQL `VACUUM (ANALYZE)` of the directory's tables (which also
/// sets the visibility map index-only scans need, work autovacuum would
/// otherwise soon do) and a `CHECKPOINT`, so that writing the imported
/// pages out does not happen later under load; on SQLite `ANALYZE` and a
/// WAL checkpoint.
pub async fn refresh_statistics(database: &DatabaseUrl) -> Result<()> {
    let database = database.clone();
    tokio::task::spawn_blocking(move || {
        // One statement at a time: PostgreSQL runs a multi-statement string
        // in one transaction, and VACUUM refuses to run in one.
        let statements: &[&str] = match database.backend() {
            Backend::Postgres => &[
                "VACUUM (ANALYZE) users, user_profiles, user_values, groups, group_members",
                "CHECKPOINT",
            ],
            Backend::Sqlite => &["ANALYZE", "PRAGMA wal_checkpoint(TRUNCATE)"],
        };
        let conn = &mut database.establish_owner()?;
        for sql in statements {
            on_backend!(&mut *conn, |c| c.batch_execute(sql))?;
        }
        Ok(())
    })
    .await
    .map_err(|e| Error::Internal(format!("statistics task: {e}")))?
}

#[cfg(test)]
mod tests {
    use super::chunks;

    #[test]
    fn chunks_stay_within_the_bound_and_cover_every_item() {
        let items = [3, 3, 3, 5, 1, 9, 2];
        let got = chunks(&items, 6, |n| *n);
        assert_eq!(got, vec![0..2, 2..3, 3..5, 5..6, 6..7]);
        assert!(chunks(&[] as &[usize], 6, |n| *n).is_empty());
    }
}
