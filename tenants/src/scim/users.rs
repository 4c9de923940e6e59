//! Users as SCIM stores them: the `users` row the REST API shares, one
//! `user_profiles` row for the rest of the core and enterprise attributes,
//! and a `user_values` row per value of a multi-valued attribute.

use std::collections::HashMap;

use diesel::prelude::*;
use serde_json::json;

use super::resource::{MULTI_VALUED, MultiValue, UserInput, UserRecord};
use super::schema::USER_SCHEMA;
use crate::clock::from_db;
use crate::db::schema::{group_members, groups, user_profiles, user_values, users};
use crate::db::{Id, on_backend};
use crate::directory::users::{UserRow, begin_change, insert_user, write_row};
use crate::error::{Error, Result, ScimError};
use crate::ids::TenantId;
use crate::store::TenantTx;

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = user_profiles, treat_none_as_null = true)]
pub(crate) struct ProfileRow {
    tenant_id: TenantId,
    user_id: Id,
    name_formatted: Option<String>,
    middle_name: Option<String>,
    honorific_prefix: Option<String>,
    honorific_suffix: Option<String>,
    nick_name: Option<String>,
    profile_url: Option<String>,
    title: Option<String>,
    user_type: Option<String>,
    preferred_language: Option<String>,
    locale: Option<String>,
    timezone: Option<String>,
    active_omitted: bool,
    password_hash: Option<String>,
    employee_number: Option<String>,
    cost_center: Option<String>,
    organization: Option<String>,
    division: Option<String>,
    department: Option<String>,
    manager_id: Option<String>,
    manager_ref: Option<String>,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = user_values)]
pub(crate) struct ValueRow {
    tenant_id: TenantId,
    user_id: Id,
    attr: String,
    position: i32,
    value: Option<String>,
    value_key: Option<String>,
    kind: Option<String>,
    is_primary: Option<bool>,
    display: Option<String>,
    formatted: Option<String>,
    street_address: Option<String>,
    locality: Option<String>,
    region: Option<String>,
    postal_code: Option<String>,
    country: Option<String>,
}

/// What happens to the stored password hash on a write.
#[derive(Debug, Clone)]
pub enum PasswordChange {
    Keep,
    Set(String),
}

pub(crate) fn profile_row(
    tenant: TenantId,
    user: Id,
    u: &UserInput,
    password_hash: Option<String>,
) -> ProfileRow {
    ProfileRow {
        tenant_id: tenant,
        user_id: user,
        name_formatted: u.name_formatted.clone(),
        middle_name: u.middle_name.clone(),
        honorific_prefix: u.honorific_prefix.clone(),
        honorific_suffix: u.honorific_suffix.clone(),
        nick_name: u.nick_name.clone(),
        profile_url: u.profile_url.clone(),
        title: u.title.clone(),
        user_type: u.user_type.clone(),
        preferred_language: u.preferred_language.clone(),
        locale: u.locale.clone(),
        timezone: u.timezone.clone(),
        active_omitted: u.active.is_none(),
        password_hash,
        employee_number: u.employee_number.clone(),
        cost_center: u.cost_center.clone(),
        organization: u.organization.clone(),
        division: u.division.clone(),
        department: u.department.clone(),
        manager_id: u.manager.clone(),
        manager_ref: u.manager_ref.clone(),
    }
}

/// The profile of a user made through the REST API with a password: no
/// other profile attribute, and `active` as given (not omitted), so SCIM
/// reads the user as it would without a profile row.
pub(crate) fn password_profile(tenant: TenantId, user: Id, password_hash: String) -> ProfileRow {
    ProfileRow {
        active_omitted: false,
        ..profile_row(tenant, user, &UserInput::default(), Some(password_hash))
    }
}

/// Stores a user's new password hash, or removes it (`None`), keeping the
/// rest of their profile; a user without a profile row gets one.
pub(crate) fn set_password_hash(
    tx: &mut TenantTx<'_>,
    user: Id,
    password_hash: Option<String>,
) -> Result<()> {
    match password_hash {
        Some(hash) => {
            let profile = password_profile(tx.tenant, user, hash.clone());
            on_backend!(&mut *tx.conn, |c| diesel::insert_into(user_profiles::table)
                .values(&profile)
                .on_conflict((user_profiles::tenant_id, user_profiles::user_id))
                .do_update()
                .set(user_profiles::password_hash.eq(Some(hash)))
                .execute(c))?;
        }
        // Without a profile row there is no password to remove.
        None => {
            diesel::update(user_profiles::table.find((tx.tenant, user)))
                .set(user_profiles::password_hash.eq(None::<String>))
                .execute(tx.conn)?;
        }
    }
    Ok(())
}

/// Whether the `value` of this attribute compares ignoring case (its key
/// column holds it lowercased).
fn value_ignores_case(attr: &str) -> bool {
    USER_SCHEMA
        .attribute(attr)
        .and_then(|a| a.sub("value"))
        .is_some_and(|v| !v.case_exact)
}

pub(crate) fn value_rows(tenant: TenantId, user: Id, u: &UserInput) -> Vec<ValueRow> {
    let mut rows = Vec::new();
    for (attr, values) in &u.values {
        let lower = value_ignores_case(attr);
        for (i, v) in values.iter().enumerate() {
            rows.push(ValueRow {
                tenant_id: tenant,
                user_id: user,
                attr: (*attr).to_owned(),
                position: i32::try_from(i).unwrap_or(i32::MAX),
                value_key: v
                    .value
                    .as_ref()
                    .map(|s| if lower { s.to_lowercase() } else { s.clone() }),
                value: v.value.clone(),
                kind: v.kind.clone(),
                is_primary: v.primary,
                display: v.display.clone(),
                formatted: v.formatted.clone(),
                street_address: v.street_address.clone(),
                locality: v.locality.clone(),
                region: v.region.clone(),
                postal_code: v.postal_code.clone(),
                country: v.country.clone(),
            });
        }
    }
    rows
}

/// Copies the attributes the REST API shares onto the `users` row.
pub(crate) fn fill_row(row: &mut UserRow, u: &UserInput) {
    row.user_name = u.user_name.clone();
    row.external_id = u.external_id.clone();
    row.email = u.primary_email();
    row.display_name = u.display_name.clone();
    row.given_name = u.given_name.clone();
    row.family_name = u.family_name.clone();
    row.active = u.active.unwrap_or(true);
    row.refresh_keys();
}

pub(crate) fn check(u: &UserInput) -> Result<()> {
    crate::validate::name("userName", &u.user_name, 256)
        .map_err(|e| Error::scim(ScimError::InvalidValue, e.to_string()))
}

pub(crate) fn insert(
    tx: &mut TenantTx<'_>,
    u: &UserInput,
    password_hash: Option<String>,
) -> Result<Id> {
    check(u)?;
    let mut row = UserRow::blank(tx.tenant, tx.now_db());
    fill_row(&mut row, u);
    let id = row.id();
    let profile = profile_row(tx.tenant, id, u, password_hash);
    let values = value_rows(tx.tenant, id, u);
    let event = tx.audit_row(
        "user.create",
        "user",
        &id.to_string(),
        json!({ "user_name": u.user_name, "via": "scim", "active": u.active }),
    );
    insert_user(tx, &row, &event, |chain| {
        chain
            .then(diesel::insert_into(user_profiles::table).values(&profile))
            .then_some(
                (!values.is_empty())
                    .then(|| diesel::insert_into(user_values::table).values(&values)),
            )
    })?;
    Ok(id)
}

/// Replaces every writable attribute of a user (PUT, and PATCH once applied).
/// Conditional on `expected` (the version the change was computed from, or
/// the client's `If-Match`): a concurrent change turns this into a 412.
pub(crate) fn replace(
    tx: &mut TenantTx<'_>,
    id: Id,
    u: &UserInput,
    password: PasswordChange,
    expected: Option<i64>,
) -> Result<()> {
    check(u)?;
    let row = begin_change(tx, id, expected)?;
    replace_row(tx, row, u, password)
}

/// [`replace`] of a user whose row the caller has read (and version-checked)
/// with [`begin_change`] in this transaction: a PATCH computes its change
/// from that row, so it is checked once.
pub(crate) fn replace_row(
    tx: &mut TenantTx<'_>,
    mut row: UserRow,
    u: &UserInput,
    password: PasswordChange,
) -> Result<()> {
    check(u)?;
    let id = row.id;
    let read_version = row.version;
    fill_row(&mut row, u);
    write_row(tx, &mut row, read_version)?;
    let hash = match password {
        PasswordChange::Set(hash) => Some(hash),
        PasswordChange::Keep => user_profiles::table
            .find((tx.tenant, id))
            .select(user_profiles::password_hash)
            .first::<Option<String>>(tx.conn)
            .optional()?
            .flatten(),
    };
    let profile = profile_row(tx.tenant, id, u, hash);
    diesel::delete(user_profiles::table.find((tx.tenant, id))).execute(tx.conn)?;
    diesel::insert_into(user_profiles::table)
        .values(&profile)
        .execute(tx.conn)?;
    diesel::delete(
        user_values::table
            .filter(user_values::tenant_id.eq(tx.tenant))
            .filter(user_values::user_id.eq(id)),
    )
    .execute(tx.conn)?;
    let values = value_rows(tx.tenant, id, u);
    if !values.is_empty() {
        on_backend!(tx.conn, |c| diesel::insert_into(user_values::table)
            .values(&values)
            .execute(c))?;
    }
    tx.audit(
        "user.update",
        "user",
        &id.to_string(),
        json!({ "user_name": u.user_name, "via": "scim", "active": u.active }),
    )
}

/// Loads users by id, in the order given; ids that do not exist are skipped.
/// `with_groups` skips the membership read when the caller will not show it.
pub(crate) fn load(
    tx: &mut TenantTx<'_>,
    ids: &[Id],
    with_groups: bool,
) -> Result<Vec<UserRecord>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    // Each query runs on the backend's own connection (see `on_backend!`):
    // a SCIM page loads up to a hundred users through here.
    let tenant = tx.tenant;
    let rows: Vec<UserRow> = on_backend!(&mut *tx.conn, |c| users::table
        .filter(users::tenant_id.eq(tenant))
        .filter(users::id.eq_any(ids))
        .select(UserRow::as_select())
        .load(c))?;
    let mut by_id: HashMap<Id, UserRecord> = records(tx, rows, with_groups)?
        .into_iter()
        .map(|r| (r.id, r))
        .collect();
    Ok(ids.iter().filter_map(|id| by_id.remove(id)).collect())
}

/// The user whose row the caller has read (with [`begin_change`], say), with
/// its profile, values and, if asked, groups.
pub(crate) fn record_of(
    tx: &mut TenantTx<'_>,
    row: UserRow,
    with_groups: bool,
) -> Result<UserRecord> {
    records(tx, vec![row], with_groups)?
        .pop()
        .ok_or(Error::NotFound(crate::error::Resource::User))
}

/// Users' records from their rows: their profiles, multi-valued attributes,
/// managers' names and (`with_groups`) groups, read for all of them at once.
fn records(
    tx: &mut TenantTx<'_>,
    rows: Vec<UserRow>,
    with_groups: bool,
) -> Result<Vec<UserRecord>> {
    let ids: Vec<Id> = rows.iter().map(|r| r.id).collect();
    let mut profiles = load_profiles(tx, &ids)?;
    let mut values = load_values(tx, &ids)?;
    let mut memberships = if with_groups {
        load_memberships(tx, &ids)?
    } else {
        HashMap::new()
    };
    let manager_names = manager_names(tx, &profiles)?;
    Ok(rows
        .into_iter()
        .map(|row| {
            let id = row.id;
            assemble(
                row,
                profiles.remove(&id),
                values.remove(&id).unwrap_or_default(),
                memberships.remove(&id).unwrap_or_default(),
                &manager_names,
            )
        })
        .collect())
}

fn load_profiles(tx: &mut TenantTx<'_>, ids: &[Id]) -> Result<HashMap<Id, ProfileRow>> {
    let tenant = tx.tenant;
    let profiles = on_backend!(&mut *tx.conn, |c| user_profiles::table
        .filter(user_profiles::tenant_id.eq(tenant))
        .filter(user_profiles::user_id.eq_any(ids))
        .select(ProfileRow::as_select())
        .load::<ProfileRow>(c))?;
    Ok(profiles.into_iter().map(|p| (p.user_id, p)).collect())
}

/// Each user's multi-valued attribute rows, ordered by attribute and position.
fn load_values(tx: &mut TenantTx<'_>, ids: &[Id]) -> Result<HashMap<Id, Vec<ValueRow>>> {
    let tenant = tx.tenant;
    let value_rows = on_backend!(&mut *tx.conn, |c| user_values::table
        .filter(user_values::tenant_id.eq(tenant))
        .filter(user_values::user_id.eq_any(ids))
        .order((
            user_values::user_id,
            user_values::attr,
            user_values::position,
        ))
        .select(ValueRow::as_select())
        .load::<ValueRow>(c))?;
    let mut values: HashMap<Id, Vec<ValueRow>> = HashMap::new();
    for v in value_rows {
        values.entry(v.user_id).or_default().push(v);
    }
    Ok(values)
}

/// Each user's groups (id and display name), ordered by group id.
fn load_memberships(tx: &mut TenantTx<'_>, ids: &[Id]) -> Result<HashMap<Id, Vec<(Id, String)>>> {
    let member_rows = group_members::table
        .inner_join(
            groups::table.on(groups::tenant_id
                .eq(group_members::tenant_id)
                .and(groups::id.eq(group_members::group_id))),
        )
        .filter(group_members::tenant_id.eq(tx.tenant))
        .filter(group_members::user_id.eq_any(ids))
        .order((group_members::user_id, groups::id))
        .select((group_members::user_id, groups::id, groups::display_name));
    let mut memberships: HashMap<Id, Vec<(Id, String)>> = HashMap::new();
    for (user, group, name) in
        on_backend!(&mut *tx.conn, |c| member_rows.load::<(Id, Id, String)>(c))?
    {
        memberships.entry(user).or_default().push((group, name));
    }
    Ok(memberships)
}

/// Managers' display names, keyed by the manager id as the profile stores it,
/// for those managers that are users here.
fn manager_names(
    tx: &mut TenantTx<'_>,
    profiles: &HashMap<Id, ProfileRow>,
) -> Result<HashMap<String, Option<String>>> {
    let manager_ids: Vec<Id> = profiles
        .values()
        .filter_map(|p| p.manager_id.as_deref()?.parse::<uuid::Uuid>().ok())
        .map(Id)
        .collect();
    if manager_ids.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(users::table
        .filter(users::tenant_id.eq(tx.tenant))
        .filter(users::id.eq_any(&manager_ids))
        .select((users::id, users::display_name))
        .load::<(Id, Option<String>)>(tx.conn)?
        .into_iter()
        .map(|(id, name)| (id.to_string(), name))
        .collect())
}

/// One user's record from what [`records`] read for it.
fn assemble(
    row: UserRow,
    profile: Option<ProfileRow>,
    values: Vec<ValueRow>,
    groups: Vec<(Id, String)>,
    manager_names: &HashMap<String, Option<String>>,
) -> UserRecord {
    let mut input = UserInput {
        user_name: row.user_name,
        external_id: row.external_id,
        display_name: row.display_name,
        given_name: row.given_name,
        family_name: row.family_name,
        active: Some(row.active),
        ..UserInput::default()
    };
    let mut has_password = false;
    let mut manager_display = None;
    if let Some(p) = profile {
        has_password = p.password_hash.is_some();
        manager_display = p
            .manager_id
            .as_ref()
            .and_then(|m| manager_names.get(m).cloned().flatten());
        p.fill_input(&mut input);
    }
    input.values = multi_values(values);
    UserRecord {
        id: row.id,
        input,
        has_password,
        manager_display,
        groups,
        version: row.version,
        created_at: from_db(row.created_at),
        updated_at: from_db(row.updated_at),
    }
}

impl ProfileRow {
    /// Copies the profile's attributes onto `input` (the inverse of
    /// [`profile_row`]); an `active` the client omitted reads back as omitted.
    fn fill_input(self, input: &mut UserInput) {
        if self.active_omitted {
            input.active = None;
        }
        input.name_formatted = self.name_formatted;
        input.middle_name = self.middle_name;
        input.honorific_prefix = self.honorific_prefix;
        input.honorific_suffix = self.honorific_suffix;
        input.nick_name = self.nick_name;
        input.profile_url = self.profile_url;
        input.title = self.title;
        input.user_type = self.user_type;
        input.preferred_language = self.preferred_language;
        input.locale = self.locale;
        input.timezone = self.timezone;
        input.employee_number = self.employee_number;
        input.cost_center = self.cost_center;
        input.organization = self.organization;
        input.division = self.division;
        input.department = self.department;
        input.manager = self.manager_id;
        input.manager_ref = self.manager_ref;
    }
}

/// A user's value rows grouped by attribute, in [`MULTI_VALUED`]'s order
/// (each attribute's values in stored position order).
fn multi_values(values: Vec<ValueRow>) -> Vec<(&'static str, Vec<MultiValue>)> {
    let mut grouped: HashMap<String, Vec<MultiValue>> = HashMap::new();
    for v in values {
        grouped.entry(v.attr).or_default().push(MultiValue {
            value: v.value,
            display: v.display,
            kind: v.kind,
            primary: v.is_primary,
            formatted: v.formatted,
            street_address: v.street_address,
            locality: v.locality,
            region: v.region,
            postal_code: v.postal_code,
            country: v.country,
        });
    }
    MULTI_VALUED
        .iter()
        .filter_map(|a| grouped.remove(*a).map(|v| (*a, v)))
        .collect()
}

/// The user [`insert`] just wrote, as [`load`] would read it back, without
/// reading it back: a new user is in no group, and only a manager's display
/// name needs a lookup.
pub(crate) fn inserted(
    tx: &mut TenantTx<'_>,
    id: Id,
    input: UserInput,
    has_password: bool,
) -> Result<UserRecord> {
    let manager_display = match input.manager.as_deref().map(str::parse::<uuid::Uuid>) {
        Some(Ok(manager)) => users::table
            .find((tx.tenant, Id(manager)))
            .select(users::display_name)
            .first::<Option<String>>(tx.conn)
            .optional()?
            .flatten(),
        _ => None,
    };
    // Times as stored: the database keeps microseconds.
    let now = from_db(tx.now_db());
    Ok(UserRecord {
        id,
        input,
        has_password,
        manager_display,
        groups: Vec::new(),
        version: 1,
        created_at: now,
        updated_at: now,
    })
}

pub(crate) fn get(tx: &mut TenantTx<'_>, id: Id, with_groups: bool) -> Result<UserRecord> {
    load(tx, &[id], with_groups)?
        .pop()
        .ok_or(Error::NotFound(crate::error::Resource::User))
}
