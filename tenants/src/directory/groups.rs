use diesel::prelude::*;
use serde_json::json;
use time::OffsetDateTime;

use super::{contains_pattern, users::User};
use crate::clock::{from_db, to_db};
use crate::db::Id;
use crate::db::schema::{group_members, group_subgroups, groups, users};
use crate::error::{Error, Resource, Result};
use crate::ids::TenantId;
use crate::ids::{GroupId, UserId};
use crate::page::{Page, PageRequest};
use crate::store::{TenantScope, TenantTx};
use crate::validate;

#[derive(Debug, Clone, PartialEq)]
pub struct Group {
    pub id: GroupId,
    pub display_name: String,
    pub external_id: Option<String>,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

/// A user in a group, and since when.
#[derive(Debug, Clone, PartialEq)]
pub struct Member {
    pub user: User,
    pub added_at: OffsetDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = groups)]
pub(crate) struct GroupRow {
    pub(crate) tenant_id: TenantId,
    pub(crate) id: Id,
    pub(crate) display_name: String,
    pub(crate) display_name_key: String,
    pub(crate) external_id: Option<String>,
    pub(crate) version: i64,
    pub(crate) created_at: time::PrimitiveDateTime,
    pub(crate) updated_at: time::PrimitiveDateTime,
}

impl From<GroupRow> for Group {
    fn from(row: GroupRow) -> Self {
        Group {
            id: row.id.into(),
            display_name: row.display_name,
            external_id: row.external_id,
            version: row.version,
            created_at: from_db(row.created_at),
            updated_at: from_db(row.updated_at),
        }
    }
}

const MAX_GROUP_NAME: usize = 256;

pub(crate) fn name_taken(name: &str) -> Error {
    Error::Conflict {
        code: "group-name-taken",
        message: format!("a group named `{name}` already exists in this tenant"),
    }
}

pub(crate) fn find_row(tx: &mut TenantTx<'_>, id: Id) -> Result<GroupRow> {
    groups::table
        .find((tx.tenant, id))
        .select(GroupRow::as_select())
        .first(tx.conn)
        .optional()?
        .ok_or(Error::NotFound(Resource::Group))
}

/// The start of every change to a group, REST or SCIM: its row as stored,
/// refused with a 412 when `expected` (an `If-Match`) names another version.
pub(crate) fn begin_change(
    tx: &mut TenantTx<'_>,
    id: Id,
    expected: Option<i64>,
) -> Result<GroupRow> {
    let row = find_row(tx, id)?;
    match expected {
        Some(e) if e != row.version => Err(Error::VersionMismatch {
            current: row.version,
        }),
        _ => Ok(row),
    }
}

/// Writes a new group's row, the one way REST and SCIM both create one (the
/// caller adds members and the audit event). A taken name is
/// `group-name-taken`, decided by the unique index in the same statement.
pub(crate) fn insert_group(tx: &mut TenantTx<'_>, row: &GroupRow) -> Result<()> {
    diesel::insert_into(groups::table)
        .values(row)
        .execute(tx.conn)
        .map_err(unique_as_taken(&row.display_name))?;
    Ok(())
}

impl GroupRow {
    /// A new group's row in `tenant`, named `display_name` as given (the
    /// REST API trims names; SCIM stores what the client sent).
    pub(crate) fn new(
        tenant: TenantId,
        now: time::PrimitiveDateTime,
        display_name: &str,
        external_id: Option<String>,
    ) -> GroupRow {
        let name = display_name.to_owned();
        GroupRow {
            tenant_id: tenant,
            id: Id::new(),
            display_name_key: name.to_lowercase(),
            display_name: name,
            external_id,
            version: 1,
            created_at: now,
            updated_at: now,
        }
    }
}

fn name_in_use(tx: &mut TenantTx<'_>, key: &str, except: Option<Id>) -> Result<bool> {
    let mut q = groups::table
        .filter(groups::tenant_id.eq(tx.tenant))
        .filter(groups::display_name_key.eq(key))
        .select(groups::id)
        .into_boxed();
    if let Some(id) = except {
        q = q.filter(groups::id.ne(id));
    }
    Ok(q.first::<Id>(tx.conn).optional()?.is_some())
}

fn user_exists(tx: &mut TenantTx<'_>, id: Id) -> Result<bool> {
    Ok(users::table
        .find((tx.tenant, id))
        .select(users::id)
        .first::<Id>(tx.conn)
        .optional()?
        .is_some())
}

pub(crate) fn unique_as_taken(name: &str) -> impl Fn(diesel::result::Error) -> Error + '_ {
    move |e| match e {
        diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        ) => name_taken(name),
        other => other.into(),
    }
}

pub struct Groups<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn groups(&self) -> Groups<'_> {
        Groups { scope: self }
    }
}

impl Groups<'_> {
    pub async fn create(&self, display_name: &str, external_id: Option<String>) -> Result<Group> {
        validate::name("display_name", display_name, MAX_GROUP_NAME)?;
        if let Some(e) = &external_id {
            validate::text("external_id", e, MAX_GROUP_NAME)?;
        }
        let row = GroupRow::new(
            self.scope.tenant.id,
            to_db(self.scope.store.now()),
            display_name.trim(),
            external_id,
        );
        let row = self
            .scope
            .write(move |tx| {
                insert_group(tx, &row)?;
                tx.audit(
                    "group.create",
                    "group",
                    &row.id.to_string(),
                    json!({ "display_name": row.display_name }),
                )?;
                Ok(row)
            })
            .await?;
        Ok(row.into())
    }

    pub async fn get(&self, id: GroupId) -> Result<Group> {
        Ok(self
            .scope
            .read(move |tx| find_row(tx, Id::from(id)))
            .await?
            .into())
    }

    pub async fn list(&self, search: Option<String>, page: PageRequest) -> Result<Page<Group>> {
        if let Some(q) = &search {
            validate::text("q", q, MAX_GROUP_NAME)?;
        }
        let rows = self
            .scope
            .read(move |tx| {
                let mut q = groups::table
                    .filter(groups::tenant_id.eq(tx.tenant))
                    .select(GroupRow::as_select())
                    .order(groups::id)
                    .limit(page.fetch())
                    .into_boxed();
                if let Some(after) = page.after {
                    q = q.filter(groups::id.gt(after));
                }
                if let Some(search) = search.filter(|s| !s.is_empty()) {
                    q = q.filter(
                        groups::display_name_key
                            .like(contains_pattern(&search))
                            .escape('\\'),
                    );
                }
                Ok(q.load(tx.conn)?)
            })
            .await?;
        Ok(page.finish(rows, |r| r.id).map(Group::from))
    }

    pub async fn rename(
        &self,
        id: GroupId,
        display_name: &str,
        if_match: Option<i64>,
    ) -> Result<Group> {
        validate::name("display_name", display_name, MAX_GROUP_NAME)?;
        let (id, name) = (Id::from(id), display_name.trim().to_owned());
        let row = self
            .scope
            .write(move |tx| {
                let mut row = begin_change(tx, id, if_match)?;
                let key = name.to_lowercase();
                if name_in_use(tx, &key, Some(id))? {
                    return Err(name_taken(&name));
                }
                let read_version = row.version;
                let before = std::mem::replace(&mut row.display_name, name);
                row.display_name_key = key;
                row.version += 1;
                row.updated_at = tx.now_db();
                let changed = diesel::update(
                    groups::table
                        .find((tx.tenant, id))
                        .filter(groups::version.eq(read_version)),
                )
                .set((
                    groups::display_name.eq(&row.display_name),
                    groups::display_name_key.eq(&row.display_name_key),
                    groups::version.eq(row.version),
                    groups::updated_at.eq(row.updated_at),
                ))
                .execute(tx.conn)
                .map_err(unique_as_taken(&row.display_name))?;
                if changed == 0 {
                    return Err(Error::VersionMismatch {
                        current: find_row(tx, id)?.version,
                    });
                }
                tx.audit(
                    "group.rename",
                    "group",
                    &id.to_string(),
                    json!({ "from": before, "to": row.display_name }),
                )?;
                Ok(row)
            })
            .await?;
        Ok(row.into())
    }

    pub async fn delete(&self, id: GroupId, if_match: Option<i64>) -> Result<()> {
        let id = Id::from(id);
        self.scope
            .write(move |tx| delete_group(tx, id, if_match))
            .await
    }

    /// Adds a user to a group. Idempotent: returns `false` when the user was
    /// already a member. Costs the same whatever the size of the group.
    pub async fn add_member(&self, group: GroupId, user: UserId) -> Result<bool> {
        let (group, user) = (Id::from(group), Id::from(user));
        self.scope
            .write(move |tx| {
                find_row(tx, group)?;
                if !user_exists(tx, user)? {
                    return Err(Error::NotFound(Resource::User));
                }
                let now = tx.now_db();
                let tenant = tx.tenant;
                // In a savepoint, so that a concurrent add of the same member
                // (the unique key decides) leaves this transaction usable.
                let inserted = tx.conn.transaction(|c| {
                    diesel::insert_into(group_members::table)
                        .values((
                            group_members::tenant_id.eq(tenant),
                            group_members::group_id.eq(group),
                            group_members::user_id.eq(user),
                            group_members::created_at.eq(now),
                        ))
                        .execute(c)
                });
                match inserted {
                    Ok(_) => {}
                    Err(diesel::result::Error::DatabaseError(
                        diesel::result::DatabaseErrorKind::UniqueViolation,
                        _,
                    )) => return Ok(false),
                    Err(other) => return Err(other.into()),
                }
                super::cascade::touch_groups(tx, &[group])?;
                tx.audit(
                    "group.member.add",
                    "group",
                    &group.to_string(),
                    json!({ "user_id": user.to_string() }),
                )?;
                Ok(true)
            })
            .await
    }

    pub async fn remove_member(&self, group: GroupId, user: UserId) -> Result<()> {
        let (group, user) = (Id::from(group), Id::from(user));
        self.scope
            .write(move |tx| {
                find_row(tx, group)?;
                let removed = diesel::delete(group_members::table.find((tx.tenant, group, user)))
                    .execute(tx.conn)?;
                if removed == 0 {
                    return Err(Error::NotFound(Resource::Member));
                }
                super::cascade::touch_groups(tx, &[group])?;
                tx.audit(
                    "group.member.remove",
                    "group",
                    &group.to_string(),
                    json!({ "user_id": user.to_string() }),
                )
            })
            .await
    }

    /// Members in user-id order; the cursor is the last user id seen.
    pub async fn members(&self, group: GroupId, page: PageRequest) -> Result<Page<Member>> {
        let group = Id::from(group);
        let (after, fetch) = (page.after, page.fetch());
        let rows = self
            .scope
            .read(move |tx| {
                find_row(tx, group)?;
                member_rows(tx, group, MemberFilter::After(after), fetch)
            })
            .await?;
        let page = page.finish(rows, |(u, _)| u.id());
        Ok(Page {
            items: page.items.into_iter().map(member).collect::<Result<_>>()?,
            next_cursor: page.next_cursor,
        })
    }

    /// One membership: the user, if they are a member of the group. Costs
    /// one key lookup whatever the size of the group.
    pub async fn member(&self, group: GroupId, user: UserId) -> Result<Member> {
        let (group, user) = (Id::from(group), Id::from(user));
        let row = self
            .scope
            .read(move |tx| {
                find_row(tx, group)?;
                member_rows(tx, group, MemberFilter::Only(user), 1)?
                    .pop()
                    .ok_or(Error::NotFound(Resource::Member))
            })
            .await?;
        member(row)
    }
}

enum MemberFilter {
    After(Option<Id>),
    Only(Id),
}

type MemberRow = (super::users::UserRow, time::PrimitiveDateTime);

fn member_rows(
    tx: &mut TenantTx<'_>,
    group: Id,
    filter: MemberFilter,
    limit: i64,
) -> Result<Vec<MemberRow>> {
    let mut q = group_members::table
        .inner_join(
            users::table.on(users::tenant_id
                .eq(group_members::tenant_id)
                .and(users::id.eq(group_members::user_id))),
        )
        .filter(group_members::tenant_id.eq(tx.tenant))
        .filter(group_members::group_id.eq(group))
        .select((
            super::users::UserRow::as_select(),
            group_members::created_at,
        ))
        .order(group_members::user_id)
        .limit(limit)
        .into_boxed();
    q = match filter {
        MemberFilter::After(Some(after)) => q.filter(group_members::user_id.gt(after)),
        MemberFilter::After(None) => q,
        MemberFilter::Only(user) => q.filter(group_members::user_id.eq(user)),
    };
    Ok(q.load::<MemberRow>(tx.conn)?)
}

fn member((user, at): MemberRow) -> Result<Member> {
    Ok(Member {
        user: user.try_into()?,
        added_at: from_db(at),
    })
}

/// Deletes a group and every membership it holds or is held in, in the
/// caller's transaction; conditional on the version read.
pub(crate) fn delete_group(tx: &mut TenantTx<'_>, id: Id, if_match: Option<i64>) -> Result<()> {
    let row = begin_change(tx, id, if_match)?;
    // Groups that held this one lose a member.
    let holders: Vec<Id> = group_subgroups::table
        .filter(group_subgroups::tenant_id.eq(tx.tenant))
        .filter(group_subgroups::member_id.eq(id))
        .select(group_subgroups::group_id)
        .load(tx.conn)?;
    super::cascade::touch_groups(tx, &holders)?;
    diesel::delete(
        group_members::table.filter(
            group_members::tenant_id
                .eq(tx.tenant)
                .and(group_members::group_id.eq(id)),
        ),
    )
    .execute(tx.conn)?;
    // Memberships of groups in groups, both ways.
    diesel::delete(
        group_subgroups::table.filter(
            group_subgroups::tenant_id.eq(tx.tenant).and(
                group_subgroups::group_id
                    .eq(id)
                    .or(group_subgroups::member_id.eq(id)),
            ),
        ),
    )
    .execute(tx.conn)?;
    // Conditional on the version read: a change made meanwhile
    // turns the delete (and the membership removal) into a 412.
    let deleted = diesel::delete(
        groups::table
            .find((tx.tenant, id))
            .filter(groups::version.eq(row.version)),
    )
    .execute(tx.conn)?;
    if deleted == 0 {
        return Err(Error::VersionMismatch {
            current: find_row(tx, id)?.version,
        });
    }
    tx.audit(
        "group.delete",
        "group",
        &id.to_string(),
        json!({ "display_name": row.display_name }),
    )
}
