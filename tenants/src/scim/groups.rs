//! Groups as SCIM stores them, with members that are users or groups.
//! Membership changes touch only the members named: adding one member to a
//! group of 50,000 is one insert, whatever the group's size.

use std::collections::{HashMap, HashSet};

use diesel::prelude::*;
use serde_json::json;

use super::patch::MemberChange;
use super::resource::{GroupInput, GroupRecord, MemberRef};
use crate::clock::from_db;
use crate::db::schema::{group_members, group_subgroups, groups, users};
use crate::db::{Id, on_backend};
use crate::directory::groups::{GroupRow, begin_change, find_row, insert_group, unique_as_taken};
use crate::error::{Error, Resource, Result, ScimError};
use crate::store::TenantTx;

/// Rows per statement when a change names many members (well inside
/// SQLite's limit on bound parameters).
const CHUNK: usize = 1000;

pub(crate) fn check(g: &GroupInput) -> Result<()> {
    crate::validate::name("displayName", &g.display_name, 256)
        .map_err(|e| Error::scim(ScimError::InvalidValue, e.to_string()))
}

/// Members named by the client, sorted into users and groups of this tenant.
#[derive(Default)]
struct Resolved {
    users: Vec<Id>,
    groups: Vec<Id>,
}

fn resolve(tx: &mut TenantTx<'_>, group: Id, values: &[String]) -> Result<Resolved> {
    let mut ids = Vec::with_capacity(values.len());
    let mut seen = HashSet::with_capacity(values.len());
    for v in values {
        let id = v
            .parse::<uuid::Uuid>()
            .map(Id)
            .map_err(|_| unknown_member(v))?;
        if id == group {
            return Err(Error::scim(
                ScimError::InvalidValue,
                "a group cannot be a member of itself",
            ));
        }
        if seen.insert(id) {
            ids.push(id);
        }
    }
    let mut out = Resolved::default();
    let mut found = HashSet::new();
    for chunk in ids.chunks(CHUNK) {
        found.extend(
            users::table
                .filter(users::tenant_id.eq(tx.tenant))
                .filter(users::id.eq_any(chunk))
                .select(users::id)
                .load::<Id>(tx.conn)?,
        );
    }
    let rest: Vec<Id> = ids.iter().copied().filter(|i| !found.contains(i)).collect();
    let mut found_groups = HashSet::new();
    for chunk in rest.chunks(CHUNK) {
        found_groups.extend(
            groups::table
                .filter(groups::tenant_id.eq(tx.tenant))
                .filter(groups::id.eq_any(chunk))
                .select(groups::id)
                .load::<Id>(tx.conn)?,
        );
    }
    for id in ids {
        if found.contains(&id) {
            out.users.push(id);
        } else if found_groups.contains(&id) {
            out.groups.push(id);
        } else {
            return Err(unknown_member(&id.to_string()));
        }
    }
    Ok(out)
}

fn unknown_member(value: &str) -> Error {
    Error::scim(
        ScimError::InvalidValue,
        format!("member `{value}` is not a user or group of this tenant"),
    )
}

fn add(tx: &mut TenantTx<'_>, group: Id, members: &Resolved) -> Result<usize> {
    let now = tx.now_db();
    let tenant = tx.tenant;
    let mut added = 0;
    for chunk in members.users.chunks(CHUNK) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|u| {
                (
                    group_members::tenant_id.eq(tenant),
                    group_members::group_id.eq(group),
                    group_members::user_id.eq(*u),
                    group_members::created_at.eq(now),
                )
            })
            .collect();
        added += on_backend!(tx.conn, |c| diesel::insert_into(group_members::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    for chunk in members.groups.chunks(CHUNK) {
        let rows: Vec<_> = chunk
            .iter()
            .map(|g| {
                (
                    group_subgroups::tenant_id.eq(tenant),
                    group_subgroups::group_id.eq(group),
                    group_subgroups::member_id.eq(*g),
                    group_subgroups::created_at.eq(now),
                )
            })
            .collect();
        added += on_backend!(tx.conn, |c| diesel::insert_into(group_subgroups::table)
            .values(&rows)
            .on_conflict_do_nothing()
            .execute(c))?;
    }
    Ok(added)
}

/// Removes the named members; ids that are not members are ignored.
fn remove(tx: &mut TenantTx<'_>, group: Id, ids: &[Id]) -> Result<usize> {
    let mut removed = 0;
    for chunk in ids.chunks(CHUNK) {
        removed += diesel::delete(
            group_members::table
                .filter(group_members::tenant_id.eq(tx.tenant))
                .filter(group_members::group_id.eq(group))
                .filter(group_members::user_id.eq_any(chunk)),
        )
        .execute(tx.conn)?;
        removed += diesel::delete(
            group_subgroups::table
                .filter(group_subgroups::tenant_id.eq(tx.tenant))
                .filter(group_subgroups::group_id.eq(group))
                .filter(group_subgroups::member_id.eq_any(chunk)),
        )
        .execute(tx.conn)?;
    }
    Ok(removed)
}

fn member_ids(tx: &mut TenantTx<'_>, group: Id) -> Result<Vec<Id>> {
    let mut ids: Vec<Id> = group_members::table
        .filter(group_members::tenant_id.eq(tx.tenant))
        .filter(group_members::group_id.eq(group))
        .select(group_members::user_id)
        .load(tx.conn)?;
    ids.extend(
        group_subgroups::table
            .filter(group_subgroups::tenant_id.eq(tx.tenant))
            .filter(group_subgroups::group_id.eq(group))
            .select(group_subgroups::member_id)
            .load::<Id>(tx.conn)?,
    );
    Ok(ids)
}

/// Makes the membership exactly `values`: removes the others, adds the new.
fn set(tx: &mut TenantTx<'_>, group: Id, values: &[String]) -> Result<(usize, usize)> {
    let wanted = resolve(tx, group, values)?;
    let keep: HashSet<Id> = wanted.users.iter().chain(&wanted.groups).copied().collect();
    let gone: Vec<Id> = member_ids(tx, group)?
        .into_iter()
        .filter(|id| !keep.contains(id))
        .collect();
    let removed = remove(tx, group, &gone)?;
    let added = add(tx, group, &wanted)?;
    Ok((added, removed))
}

fn parse_ids(values: &[String]) -> Vec<Id> {
    // A value that is no id names no member: nothing to remove.
    values
        .iter()
        .filter_map(|v| v.parse::<uuid::Uuid>().ok().map(Id))
        .collect()
}

pub(crate) fn insert(tx: &mut TenantTx<'_>, g: &GroupInput) -> Result<Id> {
    check(g)?;
    let row = GroupRow::new(
        tx.tenant,
        tx.now_db(),
        &g.display_name,
        g.external_id.clone(),
    );
    let id = row.id;
    insert_group(tx, &row)?;
    if let Some(members) = &g.members {
        let resolved = resolve(tx, id, members)?;
        add(tx, id, &resolved)?;
    }
    tx.audit(
        "group.create",
        "group",
        &id.to_string(),
        json!({ "display_name": g.display_name, "via": "scim",
                "members": g.members.as_ref().map_or(0, Vec::len) }),
    )?;
    Ok(id)
}

/// Changes a group: its name and external id, then its membership.
/// Conditional on `expected` like users' writes.
pub(crate) fn update(
    tx: &mut TenantTx<'_>,
    id: Id,
    g: &GroupInput,
    changes: &[MemberChange],
    expected: Option<i64>,
) -> Result<()> {
    check(g)?;
    let row = begin_change(tx, id, expected)?;
    update_row(tx, row, g, changes)
}

/// [`update`] of a group whose row the caller has read (and
/// version-checked) with [`begin_change`] in this transaction.
pub(crate) fn update_row(
    tx: &mut TenantTx<'_>,
    row: GroupRow,
    g: &GroupInput,
    changes: &[MemberChange],
) -> Result<()> {
    check(g)?;
    let id = row.id;
    let changed = diesel::update(
        groups::table
            .find((tx.tenant, id))
            .filter(groups::version.eq(row.version)),
    )
    .set((
        groups::display_name.eq(&g.display_name),
        groups::display_name_key.eq(g.display_name.to_lowercase()),
        groups::external_id.eq(&g.external_id),
        groups::version.eq(row.version + 1),
        groups::updated_at.eq(tx.now_db()),
    ))
    .execute(tx.conn)
    .map_err(unique_as_taken(&g.display_name))?;
    if changed == 0 {
        return Err(Error::VersionMismatch {
            current: find_row(tx, id)?.version,
        });
    }
    let (mut added, mut removed) = (0, 0);
    if let Some(members) = &g.members {
        let (a, r) = set(tx, id, members)?;
        added += a;
        removed += r;
    }
    for change in changes {
        match change {
            MemberChange::Add(values) => {
                let resolved = resolve(tx, id, values)?;
                added += add(tx, id, &resolved)?;
            }
            MemberChange::Remove(values) => removed += remove(tx, id, &parse_ids(values))?,
            MemberChange::RemoveAll => {
                let all = member_ids(tx, id)?;
                removed += remove(tx, id, &all)?;
            }
            MemberChange::Replace(values) => {
                let (a, r) = set(tx, id, values)?;
                added += a;
                removed += r;
            }
        }
    }
    tx.audit(
        "group.update",
        "group",
        &id.to_string(),
        json!({ "display_name": g.display_name, "via": "scim",
                "members_added": added, "members_removed": removed }),
    )
}

/// Loads groups by id in the order given. `members`: load at most this many
/// members per group (`None`: skip them entirely).
pub(crate) fn load(
    tx: &mut TenantTx<'_>,
    ids: &[Id],
    members: Option<i64>,
) -> Result<Vec<GroupRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<GroupRow> = groups::table
        .filter(groups::tenant_id.eq(tx.tenant))
        .filter(groups::id.eq_any(ids))
        .select(GroupRow::as_select())
        .load(tx.conn)?;
    let mut by_id = HashMap::with_capacity(rows.len());
    for row in rows {
        by_id.insert(row.id, record_of(tx, row, members)?);
    }
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// The group whose row the caller has read (with [`begin_change`], say),
/// with at most `members` of its members (`None`: none read).
pub(crate) fn record_of(
    tx: &mut TenantTx<'_>,
    row: GroupRow,
    members: Option<i64>,
) -> Result<GroupRecord> {
    let list = match members {
        Some(limit) => Some(load_members(tx, row.id, limit)?),
        None => None,
    };
    Ok(GroupRecord {
        id: row.id,
        display_name: row.display_name,
        external_id: row.external_id,
        members: list,
        version: row.version,
        created_at: from_db(row.created_at),
        updated_at: from_db(row.updated_at),
    })
}

fn load_members(tx: &mut TenantTx<'_>, group: Id, limit: i64) -> Result<Vec<MemberRef>> {
    let mut out: Vec<MemberRef> = group_members::table
        .filter(group_members::tenant_id.eq(tx.tenant))
        .filter(group_members::group_id.eq(group))
        .order((group_members::created_at, group_members::user_id))
        .select(group_members::user_id)
        .limit(limit)
        .load::<Id>(tx.conn)?
        .into_iter()
        .map(|id| MemberRef {
            id,
            is_group: false,
        })
        .collect();
    let left = limit - i64::try_from(out.len()).unwrap_or(limit);
    if left > 0 {
        out.extend(
            group_subgroups::table
                .filter(group_subgroups::tenant_id.eq(tx.tenant))
                .filter(group_subgroups::group_id.eq(group))
                .order((group_subgroups::created_at, group_subgroups::member_id))
                .select(group_subgroups::member_id)
                .limit(left)
                .load::<Id>(tx.conn)?
                .into_iter()
                .map(|id| MemberRef { id, is_group: true }),
        );
    }
    Ok(out)
}

pub(crate) fn get(tx: &mut TenantTx<'_>, id: Id, members: Option<i64>) -> Result<GroupRecord> {
    load(tx, &[id], members)?
        .pop()
        .ok_or(Error::NotFound(Resource::Group))
}
