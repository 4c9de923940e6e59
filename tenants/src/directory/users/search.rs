//! Listing users, with the search over five keys each read as its own
//! index range.

use diesel::prelude::*;

use super::changes::MAX_NAME;
use super::row::UserRow;
use super::{User, UserQuery, Users};
use crate::db::schema::users;
use crate::db::{Id, on_backend};
use crate::directory::prefix_range;
use crate::error::Result;
use crate::page::{Page, PageRequest};
use crate::validate;

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

impl Users<'_> {
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
}
