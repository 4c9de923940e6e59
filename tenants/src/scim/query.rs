//! Listing resources: filter, sort and `startIndex`/`count` pages.
//!
//! SCIM pages by position, but an `OFFSET` makes page n cost n pages. Each
//! page served leaves a continuation (the sort key and id of its last row)
//! under the query and the position where the next page starts; a client
//! walking the pages in order gets every next page as a keyset range scan.
//! A position nobody reached that way (or another node's) still works, by
//! `OFFSET`.

use diesel::QueryableByName;
use diesel::sql_types::{BigInt, Binary, Nullable, Text};

use super::filter::{Translator, sort_expr};
use super::schema::{ResourceKind, ResourceType};
use super::sql::{Bind, Sql};
use super::state::{Continuation, ContinuationKey};
use crate::db::{Backend, Id};
use crate::error::Result;
use crate::store::TenantTx;

pub const DEFAULT_COUNT: i64 = 100;
pub const MAX_COUNT: i64 = 1000;

#[derive(Debug, Clone)]
pub struct ListParams {
    pub filter: Option<scim_v2::filter::Filter>,
    pub sort_by: Option<String>,
    pub descending: bool,
    /// 1-based.
    pub start_index: i64,
    pub count: i64,
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = Binary)]
    id: Id,
    #[diesel(sql_type = Nullable<Text>)]
    sort_key: Option<String>,
    /// The query's total, when the page query counts it too.
    #[diesel(sql_type = Nullable<BigInt>)]
    total: Option<i64>,
}

#[derive(QueryableByName)]
struct CountRow {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

pub(crate) struct ListResult {
    pub(crate) ids: Vec<Id>,
    pub(crate) total: i64,
}

impl ListParams {
    fn query_key(&self) -> String {
        format!(
            "{}|{}|{}",
            self.filter
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default(),
            self.sort_by.as_deref().unwrap_or(""),
            self.descending
        )
    }
}

pub(crate) fn list(
    tx: &mut TenantTx<'_>,
    rt: &'static ResourceType,
    params: &ListParams,
    cache: &crate::ttl_cache::TtlCache<ContinuationKey, Continuation>,
) -> Result<ListResult> {
    let backend = tx.conn.backend();
    let mut t = Translator::new(rt, backend);
    let mut cond = Sql::new(backend);
    if let Some(f) = &params.filter {
        t.filter(&mut cond, f)?;
    }
    let (sort, sort_profile) = match &params.sort_by {
        Some(by) => {
            let (expr, profile) = sort_expr(rt, by)?;
            (Some(expr), profile)
        }
        None => (None, false),
    };
    let from = FromClause::new(
        tx,
        rt,
        &t,
        sort_profile,
        params.filter.as_ref().map(|_| &cond),
    );
    let key = (tx.tenant, rt.name, params.query_key(), params.start_index);
    let continued = if params.start_index > 1 {
        cache.get(&key)
    } else {
        None
    };
    // A name search's rows are the index's matches, each looked up in the
    // table: counting them in a query of their own and then cutting the page
    // from them in another would look every match up twice. The page query
    // counts them as it goes (`COUNT(*) OVER ()`, taken before `LIMIT`).
    // Elsewhere the count stays separate: for a filter matching most of the
    // tenant, a page can stop after its first rows, a window count cannot.
    let counts_with_page = continued.is_none() && t.searches_names && params.count > 0;
    let total = match &continued {
        Some(c) => Some(c.total),
        None if counts_with_page => None,
        None => Some(from.count(tx)?),
    };
    if params.count == 0 {
        return Ok(ListResult {
            ids: Vec::new(),
            total: total.unwrap_or_default(),
        });
    }
    let sort_sql = sort_key_sql(rt, sort);
    let page = PageQuery {
        from: &from,
        sort_sql: sort_sql.as_deref(),
        counts_with_page,
        continued: continued.as_ref(),
        params,
    };
    let rows = page.sql(backend).load::<IdRow>(tx.conn)?;
    let total = match (total, rows.first()) {
        (Some(total), _) => total,
        (None, Some(first)) => first.total.unwrap_or_default(),
        // No row to carry the count: none matched, or the page starts
        // past the last match.
        (None, None) if params.start_index <= 1 => 0,
        (None, None) => from.count(tx)?,
    };
    remember_next_page(tx, rt, params, cache, &rows, total);
    Ok(ListResult {
        ids: rows.into_iter().map(|r| r.id).collect(),
        total,
    })
}

/// Leaves the continuation after the page's last row, under the position
/// where the next page starts.
fn remember_next_page(
    tx: &TenantTx<'_>,
    rt: &'static ResourceType,
    params: &ListParams,
    cache: &crate::ttl_cache::TtlCache<ContinuationKey, Continuation>,
    rows: &[IdRow],
    total: i64,
) {
    if let Some(last) = rows.last() {
        let next = params.start_index + i64::try_from(rows.len()).unwrap_or(0);
        cache.insert(
            (tx.tenant, rt.name, params.query_key(), next),
            Continuation {
                sort_key: last.sort_key.clone(),
                last: last.id,
                total,
            },
        );
    }
}

/// The `FROM … WHERE …` that the count and the page share.
struct FromClause<'c> {
    table: &'static str,
    join_profile: bool,
    tenant_is_broad: bool,
    tenant_bytes: Vec<u8>,
    /// The filter's condition, when there is a filter.
    cond: Option<&'c Sql>,
}

impl<'c> FromClause<'c> {
    fn new(
        tx: &TenantTx<'_>,
        rt: &ResourceType,
        t: &Translator,
        sort_profile: bool,
        cond: Option<&'c Sql>,
    ) -> Self {
        FromClause {
            table: rt.kind.table(),
            join_profile: t.needs_profile || sort_profile,
            // SQLite, without statistics, takes `tenant_id = ?` for a selective
            // condition and would walk all of the tenant's users, probing each
            // against the name index's matches. Telling it the condition is nearly
            // always true makes it start from the matches instead; the condition
            // still holds on every row.
            tenant_is_broad: t.searches_names && t.backend == Backend::Sqlite,
            tenant_bytes: tx.tenant.0.as_bytes().to_vec(),
            cond,
        }
    }

    /// How many rows match, the page aside.
    fn count(&self, tx: &mut TenantTx<'_>) -> Result<i64> {
        let mut sql = Sql::new(tx.conn.backend());
        sql.push("SELECT COUNT(*) AS n");
        self.push(&mut sql);
        Ok(sql.load::<CountRow>(tx.conn)?.first().map_or(0, |r| r.n))
    }

    fn push(&self, sql: &mut Sql) {
        sql.push(" FROM ").push(self.table).push(" r");
        if self.join_profile {
            sql.push(
                " LEFT JOIN user_profiles p ON p.tenant_id = r.tenant_id AND p.user_id = r.id",
            );
        }
        if self.tenant_is_broad {
            sql.push(" WHERE likelihood(r.tenant_id = ");
            sql.bind(Bind::Bytes(self.tenant_bytes.clone()));
            sql.push(", 0.9375)");
        } else {
            sql.push(" WHERE r.tenant_id = ");
            sql.bind(Bind::Bytes(self.tenant_bytes.clone()));
        }
        if let Some(cond) = self.cond {
            sql.push(" AND (");
            sql.append(cond);
            sql.push(")");
        }
    }
}

/// The sort key as the page selects and compares it. Text sort keys compare
/// as text; NULLs sort as the empty string, so the keyset comparison has no
/// NULL to trip on. Sorting by id is the default order: no key.
fn sort_key_sql(rt: &ResourceType, sort: Option<&str>) -> Option<String> {
    let not_null = |e: &str| {
        e == "r.user_name_key" || (e == "r.display_name_key" && rt.kind == ResourceKind::Group)
    };
    sort.filter(|e| *e != "r.id").map(|e| {
        if not_null(e) {
            e.to_owned()
        } else if e.ends_with("_at") || e == "r.active" {
            format!("COALESCE(CAST({e} AS TEXT), '')")
        } else {
            format!("COALESCE({e}, '')")
        }
    })
}

/// The query of one page: after the continuation when there is one (a
/// keyset range), else by `OFFSET`.
struct PageQuery<'q> {
    from: &'q FromClause<'q>,
    sort_sql: Option<&'q str>,
    counts_with_page: bool,
    continued: Option<&'q Continuation>,
    params: &'q ListParams,
}

impl PageQuery<'_> {
    fn sql(&self, backend: Backend) -> Sql {
        let params = self.params;
        let dir = if params.descending { "DESC" } else { "ASC" };
        let mut sql = Sql::new(backend);
        match self.sort_sql {
            Some(s) => sql.push("SELECT r.id AS id, ").push(s).push(" AS sort_key"),
            None => sql.push("SELECT r.id AS id, NULL AS sort_key"),
        };
        if self.counts_with_page {
            sql.push(", COUNT(*) OVER () AS total");
        } else {
            sql.push(", CAST(NULL AS BIGINT) AS total");
        }
        self.from.push(&mut sql);
        if let Some(c) = self.continued {
            let cmp = if params.descending { " < " } else { " > " };
            match self.sort_sql {
                Some(s) => {
                    sql.push(" AND (")
                        .push(s)
                        .push(", r.id)")
                        .push(cmp)
                        .push("(");
                    sql.bind(Bind::Text(c.sort_key.clone().unwrap_or_default()));
                    sql.push(", ");
                    sql.bind(Bind::Bytes(c.last.0.as_bytes().to_vec()));
                    sql.push(")");
                }
                None => {
                    sql.push(" AND r.id").push(cmp);
                    sql.bind(Bind::Bytes(c.last.0.as_bytes().to_vec()));
                }
            }
        }
        sql.push(" ORDER BY ");
        if let Some(s) = self.sort_sql {
            sql.push(s).push(" ").push(dir).push(", ");
        }
        sql.push("r.id ").push(dir).push(" LIMIT ");
        sql.bind(Bind::Int(params.count));
        if self.continued.is_none() && params.start_index > 1 {
            sql.push(" OFFSET ");
            sql.bind(Bind::Int(params.start_index - 1));
        }
        sql
    }
}
