use std::str::FromStr;

use diesel::prelude::*;
use serde_json::{Map, Value, json};
use time::OffsetDateTime;
use uuid::Uuid;

use super::cascade::PrimaryEmail;
use super::prefix_range;
use crate::clock::from_db;
use crate::db::{Chain, Id, on_backend};

use crate::audit::AuditRow;
use crate::db::schema::{audit_events, user_values, users};
use crate::error::{Error, Resource, Result};
use crate::page::{Page, PageRequest};
use crate::store::{TenantScope, TenantTx};
use crate::validate;

/// Workforce (`internal`, counted as seats) or customer (`external`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum UserKind {
    #[default]
    Internal,
    External,
}

impl UserKind {
    pub fn as_str(&self) -> &'static str {
        match self {
            UserKind::Internal => "internal",
            UserKind::External => "external",
        }
    }
}

impl FromStr for UserKind {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s {
            "internal" => Ok(UserKind::Internal),
            "external" => Ok(UserKind::External),
            _ => Err(Error::invalid("kind", "must be internal or external")),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct User {
    pub id: Id,
    pub user_name: String,
    pub external_id: Option<String>,
    pub kind: UserKind,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub active: bool,
    pub version: i64,
    pub created_at: OffsetDateTime,
    pub updated_at: OffsetDateTime,
}

#[derive(Debug, Clone, Queryable, Selectable, Insertable, AsChangeset)]
#[diesel(table_name = users, primary_key(tenant_id, id), treat_none_as_null = true)]
pub(crate) struct UserRow {
    pub(crate) tenant_id: Id,
    pub(crate) id: Id,
    pub(crate) user_name: String,
    pub(crate) user_name_key: String,
    pub(crate) external_id: Option<String>,
    pub(crate) kind: String,
    pub(crate) email: Option<String>,
    pub(crate) display_name: Option<String>,
    pub(crate) given_name: Option<String>,
    pub(crate) family_name: Option<String>,
    pub(crate) active: bool,
    pub(crate) version: i64,
    pub(crate) created_at: time::PrimitiveDateTime,
    pub(crate) updated_at: time::PrimitiveDateTime,
    pub(crate) email_key: Option<String>,
    pub(crate) display_name_key: Option<String>,
    pub(crate) given_name_key: Option<String>,
    pub(crate) family_name_key: Option<String>,
}

/// One range query over the users per search key, ordered by id and limited.
type SearchArm<DB> = diesel::dsl::IntoBoxed<
    'static,
    diesel::dsl::Select<users::table, diesel::dsl::AsSelect<UserRow, DB>>,
    DB,
>;

/// How a backend runs a search's arms (one per search key).
///
/// Every arm is a plain range scan of its own index, planned as such
/// whatever the other arms hold, where one query with five `OR`s would leave
/// the plan to the planner's mood.
trait SearchArms {
    type Arm;
    fn load_arms(&mut self, arms: [Self::Arm; 5]) -> QueryResult<Vec<UserRow>>;
}

/// PostgreSQL: the arms as one `UNION ALL` (diesel parenthesizes each, so
/// each keeps its `ORDER BY … LIMIT`), one round trip instead of five; each
/// arm is still planned as its own range scan.
impl SearchArms for diesel::PgConnection {
    type Arm = SearchArm<diesel::pg::Pg>;
    fn load_arms(&mut self, arms: [Self::Arm; 5]) -> QueryResult<Vec<UserRow>> {
        let [a, b, c, d, e] = arms;
        a.union_all(b)
            .union_all(c)
            .union_all(d)
            .union_all(e)
            .load(self)
    }
}

/// SQLite is in the process: five statements cost no round trips, and it
/// does not allow `ORDER BY … LIMIT` inside a compound select's arms.
impl SearchArms for diesel::SqliteConnection {
    type Arm = SearchArm<diesel::sqlite::Sqlite>;
    fn load_arms(&mut self, arms: [Self::Arm; 5]) -> QueryResult<Vec<UserRow>> {
        let mut rows = Vec::new();
        for arm in arms {
            rows.extend(arm.load::<UserRow>(self)?);
        }
        Ok(rows)
    }
}

impl UserRow {
    /// Recomputes the lowercased search keys from the fields.
    pub(crate) fn refresh_keys(&mut self) {
        let key = |v: &Option<String>| v.as_deref().map(str::to_lowercase);
        self.user_name_key = self.user_name.to_lowercase();
        self.email_key = key(&self.email);
        self.display_name_key = key(&self.display_name);
        self.given_name_key = key(&self.given_name);
        self.family_name_key = key(&self.family_name);
    }
}

impl TryFrom<UserRow> for User {
    type Error = Error;
    fn try_from(row: UserRow) -> Result<Self> {
        Ok(User {
            id: row.id,
            user_name: row.user_name,
            external_id: row.external_id,
            kind: row
                .kind
                .parse()
                .map_err(|_| Error::Internal(format!("stored user kind `{}`", row.kind)))?,
            email: row.email,
            display_name: row.display_name,
            given_name: row.given_name,
            family_name: row.family_name,
            active: row.active,
            version: row.version,
            created_at: from_db(row.created_at),
            updated_at: from_db(row.updated_at),
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct NewUser {
    pub user_name: String,
    pub external_id: Option<String>,
    pub kind: UserKind,
    pub email: Option<String>,
    pub display_name: Option<String>,
    pub given_name: Option<String>,
    pub family_name: Option<String>,
    pub active: bool,
}

/// A partial update: `None` leaves a field alone, `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct UserPatch {
    pub user_name: Option<String>,
    pub external_id: Option<Option<String>>,
    pub kind: Option<UserKind>,
    pub email: Option<Option<String>>,
    pub display_name: Option<Option<String>>,
    pub given_name: Option<Option<String>>,
    pub family_name: Option<Option<String>>,
    pub active: Option<bool>,
}

#[derive(Debug, Clone, Default)]
pub struct UserQuery {
    /// Case-insensitive substring of user name, email, display, given or family name.
    pub search: Option<String>,
    pub active: Option<bool>,
    pub kind: Option<UserKind>,
}

const MAX_USER_NAME: usize = 256;
const MAX_NAME: usize = 256;

fn check_user_name(v: &str) -> Result<()> {
    validate::name("user_name", v, MAX_USER_NAME)
}

fn check_optional(field: &str, v: &Option<String>) -> Result<()> {
    match v {
        Some(v) if field == "email" => validate::email(field, v),
        Some(v) => validate::text(field, v, MAX_NAME),
        None => Ok(()),
    }
}

impl NewUser {
    fn validate(&self) -> Result<()> {
        check_user_name(&self.user_name)?;
        check_optional("external_id", &self.external_id)?;
        check_optional("email", &self.email)?;
        check_optional("display_name", &self.display_name)?;
        check_optional("given_name", &self.given_name)?;
        check_optional("family_name", &self.family_name)
    }
}

impl UserPatch {
    fn validate(&self) -> Result<()> {
        if let Some(v) = &self.user_name {
            check_user_name(v)?;
        }
        for (field, value) in [
            ("external_id", &self.external_id),
            ("email", &self.email),
            ("display_name", &self.display_name),
            ("given_name", &self.given_name),
            ("family_name", &self.family_name),
        ] {
            if let Some(v) = value {
                check_optional(field, v)?;
            }
        }
        Ok(())
    }

    /// The changed fields, for the audit log.
    fn describe(&self) -> Value {
        let mut m = Map::new();
        if let Some(v) = &self.user_name {
            m.insert("user_name".into(), json!(v));
        }
        for (field, value) in [
            ("external_id", &self.external_id),
            ("email", &self.email),
            ("display_name", &self.display_name),
            ("given_name", &self.given_name),
            ("family_name", &self.family_name),
        ] {
            if let Some(v) = value {
                m.insert(field.into(), json!(v));
            }
        }
        if let Some(v) = self.kind {
            m.insert("kind".into(), json!(v.as_str()));
        }
        if let Some(v) = self.active {
            m.insert("active".into(), json!(v));
        }
        Value::Object(m)
    }

    fn apply(self, row: &mut UserRow) {
        if let Some(v) = self.user_name {
            row.user_name_key = v.to_lowercase();
            row.user_name = v;
        }
        if let Some(v) = self.external_id {
            row.external_id = v;
        }
        if let Some(v) = self.kind {
            row.kind = v.as_str().into();
        }
        if let Some(v) = self.email {
            row.email = v;
        }
        if let Some(v) = self.display_name {
            row.display_name = v;
        }
        if let Some(v) = self.given_name {
            row.given_name = v;
        }
        if let Some(v) = self.family_name {
            row.family_name = v;
        }
        if let Some(v) = self.active {
            row.active = v;
        }
        row.refresh_keys();
    }
}

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

fn name_in_use(tx: &mut TenantTx<'_>, key: &str, except: Option<Id>) -> Result<bool> {
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

pub struct Users<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn users(&self) -> Users<'_> {
        Users { scope: self }
    }
}

impl Users<'_> {
    pub async fn create(&self, new: NewUser) -> Result<User> {
        new.validate()?;
        let mut row = UserRow::blank(
            self.scope.tenant.id,
            crate::clock::to_db(self.scope.store.now()),
        );
        row.user_name = new.user_name;
        row.external_id = new.external_id;
        row.kind = new.kind.as_str().into();
        row.email = new.email;
        row.display_name = new.display_name;
        row.given_name = new.given_name;
        row.family_name = new.family_name;
        row.active = new.active;
        row.refresh_keys();
        let row = self
            .scope
            .write_statement(move |tx| {
                let email =
                    (row.email.as_deref()).map(|email| PrimaryEmail::new(tx.tenant, row.id, email));
                let event = tx.audit_row(
                    "user.create",
                    "user",
                    &row.id.to_string(),
                    json!({ "user_name": row.user_name, "kind": row.kind, "active": row.active }),
                );
                insert_user(tx, &row, &event, |chain| {
                    chain.then_some(
                        email
                            .as_ref()
                            .map(|e| diesel::insert_into(user_values::table).values(e)),
                    )
                })?;
                Ok(row)
            })
            .await?;
        row.try_into()
    }

    pub async fn get(&self, id: Uuid) -> Result<User> {
        self.scope
            .read(move |tx| find_row(tx, Id(id)))
            .await?
            .try_into()
    }

    pub async fn list(&self, query: UserQuery, page: PageRequest) -> Result<Page<User>> {
        if let Some(q) = &query.search {
            validate::text("q", q, MAX_NAME)?;
        }
        let rows = self
            .scope
            .read(move |tx| {
                let tenant = tx.tenant;
                let sqlite = tx.conn.backend() == crate::db::Backend::Sqlite;
                // Typed for the backend's own connection: see `on_backend!`.
                on_backend!(&mut *tx.conn, |c| {
                    let base = |search: bool| {
                        let mut q = users::table
                            .filter(users::tenant_id.eq(tenant))
                            .select(UserRow::as_select())
                            .order(users::id)
                            .limit(page.fetch())
                            .into_boxed();
                        match page.after {
                            // SQLite would walk the primary key for `id > ?` and
                            // its ORDER BY instead of the search key's range; the
                            // unary `+` keeps the comparison off that index.
                            Some(after) if search && sqlite => {
                                q = q.filter(
                                    diesel::dsl::sql::<diesel::sql_types::Bool>("+users.id > ")
                                        .bind::<diesel::sql_types::Binary, _>(after),
                                );
                            }
                            Some(after) => q = q.filter(users::id.gt(after)),
                            None => {}
                        }
                        if let Some(active) = query.active {
                            q = q.filter(users::active.eq(active));
                        }
                        if let Some(kind) = query.kind {
                            q = q.filter(users::kind.eq(kind.as_str()));
                        }
                        q
                    };
                    let Some(search) = query.search.as_deref().filter(|s| !s.is_empty()) else {
                        return Ok(base(false).load(c)?);
                    };
                    // One index range per field (see `SearchArms`), merged here.
                    let (from, to) = prefix_range(search);
                    macro_rules! by {
                        ($key:expr) => {
                            base(true)
                                .filter($key.ge(from.clone()))
                                .filter($key.lt(to.clone()))
                        };
                    }
                    let rows = SearchArms::load_arms(
                        c,
                        [
                            by!(users::user_name_key),
                            by!(users::email_key),
                            by!(users::display_name_key),
                            by!(users::given_name_key),
                            by!(users::family_name_key),
                        ],
                    )?;
                    // Each arm returned its first `fetch` ids after the cursor,
                    // so the first `fetch` of the union are the page's.
                    let found: std::collections::BTreeMap<Id, UserRow> =
                        rows.into_iter().map(|row| (row.id, row)).collect();
                    Ok(found.into_values().take(page.fetch() as usize).collect())
                })
            })
            .await?;
        let page = page.finish(rows, |r| r.id);
        let items = page
            .items
            .into_iter()
            .map(User::try_from)
            .collect::<Result<_>>()?;
        Ok(Page {
            items,
            next_cursor: page.next_cursor,
        })
    }

    /// Applies a partial update. With `if_match`, refuses unless the stored
    /// version is that one; either way the write is conditional on the
    /// version read, so a concurrent change is never silently overwritten.
    pub async fn update(&self, id: Uuid, patch: UserPatch, if_match: Option<i64>) -> Result<User> {
        patch.validate()?;
        let id = Id(id);
        let row = self
            .scope
            .write_admitting(move |tx| {
                let mut row = begin_change(tx, id, if_match)?;
                let detail = patch.describe();
                let read_version = row.version;
                let email_change = patch.email.clone();
                patch.apply(&mut row);
                if name_in_use(tx, &row.user_name_key, Some(id))? {
                    return Err(user_name_taken(&row.user_name));
                }
                write_row(tx, &mut row, read_version)?;
                if let Some(email) = email_change {
                    super::cascade::sync_primary_email(tx, id, email.as_deref())?;
                }
                tx.audit("user.update", "user", &id.to_string(), detail)?;
                Ok(row)
            })
            .await?;
        row.try_into()
    }

    /// Deletes the user and their memberships (by cascade) in one transaction.
    pub async fn delete(&self, id: Uuid, if_match: Option<i64>) -> Result<()> {
        let id = Id(id);
        self.scope
            .write(move |tx| delete_user(tx, id, if_match))
            .await
    }
}

impl UserRow {
    /// A new user's row in `tenant`, every field empty: the caller fills it
    /// and then calls [`UserRow::refresh_keys`].
    pub(crate) fn blank(tenant: Id, now: time::PrimitiveDateTime) -> UserRow {
        UserRow {
            tenant_id: tenant,
            id: Id::new(),
            user_name: String::new(),
            user_name_key: String::new(),
            external_id: None,
            kind: UserKind::Internal.as_str().into(),
            email: None,
            display_name: None,
            given_name: None,
            family_name: None,
            active: true,
            version: 1,
            created_at: now,
            updated_at: now,
            email_key: None,
            display_name_key: None,
            given_name_key: None,
            family_name_key: None,
        }
    }

    pub(crate) fn id(&self) -> Id {
        self.id
    }

    /// An active internal user takes a seat; deactivated and external users do not.
    pub(crate) fn counts_as_seat(&self) -> bool {
        self.active && self.kind == UserKind::Internal.as_str()
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
    super::cascade::touch_groups(tx, &groups)?;
    let managed: Vec<Id> = user_profiles::table
        .filter(user_profiles::tenant_id.eq(tx.tenant))
        .filter(user_profiles::manager_id.eq(id.to_string()))
        .select(user_profiles::user_id)
        .load(tx.conn)?;
    super::cascade::touch_users(tx, &managed)?;
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
