//! SCIM filters (RFC 7644 §3.4.2.2) translated to SQL on either backend.
//! The grammar (and its depth and size limits) is `scim_v2`'s; what each
//! attribute means in our tables, and how each operator compares, is here.
//! Nothing is ever filtered in memory.

use scim_v2::filter::{AttrExp, AttrPath, CompValue, CompareOp, Filter, ValFilter, ValuePath};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

use super::dialect::{self, Reading};
use super::resource::is_textual;
use super::schema::{Attribute, Resolved, ResourceType, Type};
use super::sql::{Bind, Sql, glob_escape, like_escape};
use crate::db::Backend;
use crate::directory::prefix_range;
use crate::error::{Error, Result, ScimError};

/// Parses a filter, answering `invalidFilter` for anything malformed or
/// beyond the grammar's nesting and size limits. A filter the grammar
/// refuses gets a second, lenient reading (`dialect`) for what real clients
/// send; when that fails too, the grammar's error is the answer.
pub fn parse(text: &str) -> Result<Filter> {
    let invalid = |e: &dyn std::fmt::Display| {
        Error::scim(
            ScimError::InvalidFilter,
            format!("the filter is not valid: {e}"),
        )
    };
    let strict = match text.parse::<Filter>() {
        Ok(filter) => return Ok(filter),
        Err(e) => e,
    };
    match dialect::read(text) {
        Reading::Rewritten(lenient) => lenient.parse::<Filter>().map_err(|_| invalid(&strict)),
        Reading::Ambiguous(why) => Err(Error::scim(
            ScimError::InvalidFilter,
            format!("the filter is not valid: {why}"),
        )),
        Reading::Unchanged => Err(invalid(&strict)),
    }
}

/// Where an attribute lives.
#[derive(Debug, Clone, Copy)]
enum Target {
    /// A column of the resource's row (or of its profile row).
    Column {
        expr: &'static str,
        /// The column holds the value lowercased (a `_key` column).
        keyed: bool,
        profile: bool,
    },
    /// The resource's id (16 bytes), or the manager's id (text).
    Id(&'static str),
    /// A column of `user_values` rows of one attribute.
    Value {
        attr: &'static str,
        column: &'static str,
        keyed: bool,
    },
    /// A user's groups, or a group's members.
    Membership { column: &'static str },
    /// A constant, such as `meta.resourceType`.
    Constant(&'static str),
}

/// The query being built: the resource type and whether it used the profile join.
pub(crate) struct Translator {
    pub(crate) rt: &'static ResourceType,
    pub(crate) backend: Backend,
    pub(crate) needs_profile: bool,
    /// Whether the filter searches user names through the trigram index.
    pub(crate) searches_names: bool,
}

fn unsupported(path: &str) -> Error {
    Error::scim(
        ScimError::InvalidFilter,
        format!("filtering on `{path}` is not supported"),
    )
}

fn unknown(path: &AttrPath) -> Error {
    Error::scim(
        ScimError::InvalidFilter,
        format!(
            "`{}` is not an attribute of this resource type",
            display(path)
        ),
    )
}

fn display(path: &AttrPath) -> String {
    let mut s = String::new();
    if let Some(uri) = &path.uri {
        s.push_str(uri);
        s.push(':');
    }
    s.push_str(&path.name);
    if let Some(sub) = &path.sub_attr {
        s.push('.');
        s.push_str(sub);
    }
    s
}

impl Translator {
    pub(crate) fn new(rt: &'static ResourceType, backend: Backend) -> Self {
        Translator {
            rt,
            backend,
            needs_profile: false,
            searches_names: false,
        }
    }

    fn resolve(&self, path: &AttrPath) -> Result<Resolved> {
        // `scim_v2` splits a URN at its last `:`; a URN naming one of our
        // schemas may also have been split inside its version (`2.0`), so
        // rejoin and resolve the dotted form when the direct way fails.
        self.rt
            .resolve(path.uri.as_deref(), &path.name, path.sub_attr.as_deref())
            .or_else(|| self.rt.resolve_dotted(&display(path)))
            .ok_or_else(|| unknown(path))
    }

    fn target(&mut self, r: &Resolved, path: &AttrPath) -> Result<Target> {
        let name = r.attribute.name;
        let sub = r.sub.map(|s| s.name);
        let col = |expr, keyed| Target::Column {
            expr,
            keyed,
            profile: false,
        };
        let prof = |expr| Target::Column {
            expr,
            keyed: false,
            profile: true,
        };
        let t = match (self.rt.name, name, sub) {
            (_, "id", None) => Target::Id("r.id"),
            (_, "externalId", None) => col("r.external_id", false),
            (_, "meta", Some("created")) => col("r.created_at", false),
            (_, "meta", Some("lastModified")) => col("r.updated_at", false),
            (_, "meta", Some("resourceType")) => Target::Constant(self.rt.name),
            ("User", "userName", None) => col("r.user_name_key", true),
            ("User", "displayName", None) => col("r.display_name_key", true),
            ("User", "active", None) => col("r.active", false),
            ("User", "name", Some("givenName")) => col("r.given_name_key", true),
            ("User", "name", Some("familyName")) => col("r.family_name_key", true),
            ("User", "name", Some("formatted")) => prof("p.name_formatted"),
            ("User", "name", Some("middleName")) => prof("p.middle_name"),
            ("User", "name", Some("honorificPrefix")) => prof("p.honorific_prefix"),
            ("User", "name", Some("honorificSuffix")) => prof("p.honorific_suffix"),
            ("User", "nickName", None) => prof("p.nick_name"),
            ("User", "profileUrl", None) => prof("p.profile_url"),
            ("User", "title", None) => prof("p.title"),
            ("User", "userType", None) => prof("p.user_type"),
            ("User", "preferredLanguage", None) => prof("p.preferred_language"),
            ("User", "locale", None) => prof("p.locale"),
            ("User", "timezone", None) => prof("p.timezone"),
            ("User", "employeeNumber", None) => prof("p.employee_number"),
            ("User", "costCenter", None) => prof("p.cost_center"),
            ("User", "organization", None) => prof("p.organization"),
            ("User", "division", None) => prof("p.division"),
            ("User", "department", None) => prof("p.department"),
            ("User", "manager", None | Some("value")) => {
                self.needs_profile = true;
                Target::Id("p.manager_id")
            }
            ("User", "groups", None | Some("value")) => Target::Membership { column: "group_id" },
            ("User", attr, sub) if r.attribute.multi_valued => {
                let attr = super::resource::MULTI_VALUED
                    .into_iter()
                    .find(|a| *a == attr)
                    .ok_or_else(|| unsupported(&display(path)))?;
                let (column, keyed) = match sub.unwrap_or("value") {
                    "value" => {
                        if r.leaf().case_exact {
                            ("value", false)
                        } else {
                            ("value_key", true)
                        }
                    }
                    "display" => ("display", false),
                    "type" => ("type", false),
                    "primary" => ("is_primary", false),
                    "formatted" => ("formatted", false),
                    "streetAddress" => ("street_address", false),
                    "locality" => ("locality", false),
                    "region" => ("region", false),
                    "postalCode" => ("postal_code", false),
                    "country" => ("country", false),
                    _ => return Err(unsupported(&display(path))),
                };
                Target::Value {
                    attr,
                    column,
                    keyed,
                }
            }
            ("Group", "displayName", None) => col("r.display_name_key", true),
            ("Group", "members", None | Some("value")) => Target::Membership { column: "member" },
            _ => return Err(unsupported(&display(path))),
        };
        if let Target::Column { profile: true, .. } = t {
            self.needs_profile = true;
        }
        Ok(t)
    }

    /// Appends the SQL for `filter` to `sql`.
    pub(crate) fn filter(&mut self, sql: &mut Sql, filter: &Filter) -> Result<()> {
        match filter {
            Filter::Attr(exp) => self.attr_exp(sql, exp),
            Filter::ValuePath(vp) => self.value_path(sql, vp),
            Filter::Not(inner) => {
                // A missing attribute makes a comparison NULL, and NOT NULL
                // is NULL: without COALESCE, `not (title eq "x")` would skip
                // users without a title, which it must include.
                sql.push("NOT COALESCE((");
                self.filter(sql, inner)?;
                sql.push("), FALSE)");
                Ok(())
            }
            Filter::And(items) => self.junction(sql, items.as_slice(), " AND "),
            Filter::Or(items) => self.junction(sql, items.as_slice(), " OR "),
        }
    }

    fn junction(&mut self, sql: &mut Sql, items: &[Filter], op: &str) -> Result<()> {
        sql.push("(");
        for (i, f) in items.iter().enumerate() {
            if i > 0 {
                sql.push(op);
            }
            self.filter(sql, f)?;
        }
        sql.push(")");
        Ok(())
    }

    fn attr_exp(&mut self, sql: &mut Sql, exp: &AttrExp) -> Result<()> {
        let path = match exp {
            AttrExp::Present(p) | AttrExp::Comparison(p, _, _) => p,
        };
        let r = self.resolve(path)?;
        if r.attribute.is_complex() && r.sub.is_none() && !r.attribute.multi_valued {
            // `name pr` and friends: present when any sub-attribute is.
            return match exp {
                AttrExp::Present(_) => self.complex_present(sql, &r, path),
                AttrExp::Comparison(..) => Err(Error::scim(
                    ScimError::InvalidFilter,
                    format!(
                        "`{}` is complex: compare one of its sub-attributes",
                        display(path)
                    ),
                )),
            };
        }
        let target = self.target(&r, path)?;
        let leaf = r.leaf();
        match target {
            Target::Value { attr, .. } => {
                sql.push("EXISTS (SELECT 1 FROM user_values v WHERE v.tenant_id = r.tenant_id AND v.user_id = r.id AND v.attr = ");
                sql.bind(Bind::Text(attr.into()));
                sql.push(" AND ");
                self.leaf(sql, target, leaf, exp, "v")?;
                sql.push(")");
                Ok(())
            }
            Target::Membership { .. } => self.membership(sql, target, leaf, exp, path),
            _ => self.leaf(sql, target, leaf, exp, "r"),
        }
    }

    fn complex_present(&mut self, sql: &mut Sql, r: &Resolved, path: &AttrPath) -> Result<()> {
        sql.push("(");
        let mut first = true;
        for sub in r.attribute.sub_attributes {
            let p = AttrPath {
                uri: path.uri.clone(),
                name: path.name.clone(),
                sub_attr: Some(sub.name.into()),
            };
            let Ok(rs) = self.resolve(&p) else { continue };
            let Ok(target) = self.target(&rs, &p) else {
                continue;
            };
            if !first {
                sql.push(" OR ");
            }
            first = false;
            self.leaf(sql, target, sub, &AttrExp::Present(p), "r")?;
        }
        if first {
            sql.push("FALSE");
        }
        sql.push(")");
        Ok(())
    }

    /// `emails[type eq "work" and value co "@example.com"]`: one EXISTS whose
    /// conditions all hold for the same value row.
    fn value_path(&mut self, sql: &mut Sql, vp: &ValuePath) -> Result<()> {
        let r = self.resolve(&vp.attr)?;
        if !r.attribute.multi_valued || r.sub.is_some() {
            return Err(Error::scim(
                ScimError::InvalidFilter,
                format!("`{}[…]` needs a multi-valued attribute", display(&vp.attr)),
            ));
        }
        match self.target(&r, &vp.attr)? {
            Target::Value { attr, .. } => {
                sql.push("EXISTS (SELECT 1 FROM user_values v WHERE v.tenant_id = r.tenant_id AND v.user_id = r.id AND v.attr = ");
                sql.bind(Bind::Text(attr.into()));
                sql.push(" AND ");
                self.val_filter(sql, &vp.attr, &vp.filter, false)?;
                sql.push(")");
                Ok(())
            }
            Target::Membership { .. } => {
                // members[value eq "…"] / groups[value eq "…"]: the value is
                // the only sub-attribute stored for memberships.
                self.val_filter(sql, &vp.attr, &vp.filter, true)
            }
            _ => Err(unsupported(&display(&vp.attr))),
        }
    }

    /// The filter inside `attr[…]`. `membership`: `attr` is a user's groups
    /// or a group's members, whose comparisons are membership lookups;
    /// otherwise comparisons are on the `user_values` row `v`.
    fn val_filter(
        &mut self,
        sql: &mut Sql,
        at: &AttrPath,
        f: &ValFilter,
        membership: bool,
    ) -> Result<()> {
        match f {
            ValFilter::Attr(exp) => {
                let (p, rebuilt) = self.sub_path(at, exp)?;
                let r = self.resolve(&p)?;
                let target = self.target(&r, &p)?;
                if membership {
                    self.membership(sql, target, r.leaf(), &rebuilt, &p)
                } else {
                    self.leaf(sql, target, r.leaf(), &rebuilt, "v")
                }
            }
            ValFilter::Not(inner) => {
                sql.push("NOT COALESCE((");
                self.val_filter(sql, at, inner, membership)?;
                sql.push("), FALSE)");
                Ok(())
            }
            ValFilter::And(items) | ValFilter::Or(items) => {
                let op = if matches!(f, ValFilter::And(_)) {
                    " AND "
                } else {
                    " OR "
                };
                sql.push("(");
                for (i, item) in items.as_slice().iter().enumerate() {
                    if i > 0 {
                        sql.push(op);
                    }
                    self.val_filter(sql, at, item, membership)?;
                }
                sql.push(")");
                Ok(())
            }
        }
    }

    /// A comparison inside `attr[…]` names a sub-attribute of `attr`.
    fn sub_path(&self, at: &AttrPath, exp: &AttrExp) -> Result<(AttrPath, AttrExp)> {
        let inner = match exp {
            AttrExp::Present(p) | AttrExp::Comparison(p, _, _) => p,
        };
        if inner.uri.is_some() || inner.sub_attr.is_some() {
            return Err(Error::scim(
                ScimError::InvalidFilter,
                format!("inside `{}[…]` name a sub-attribute only", display(at)),
            ));
        }
        let p = AttrPath {
            uri: at.uri.clone(),
            name: at.name.clone(),
            sub_attr: Some(inner.name.clone()),
        };
        let rebuilt = match exp {
            AttrExp::Present(_) => AttrExp::Present(p.clone()),
            AttrExp::Comparison(_, op, v) => AttrExp::Comparison(p.clone(), op.clone(), v.clone()),
        };
        Ok((p, rebuilt))
    }

    fn membership(
        &mut self,
        sql: &mut Sql,
        target: Target,
        leaf: &Attribute,
        exp: &AttrExp,
        path: &AttrPath,
    ) -> Result<()> {
        let Target::Membership { column } = target else {
            return Err(unsupported(&display(path)));
        };
        if leaf.name != "value" {
            return Err(unsupported(&display(path)));
        }
        let (tables, col): (&[(&str, &str)], &str) = if column == "group_id" {
            (&[("group_members", "user_id")], "group_id")
        } else {
            (
                &[
                    ("group_members", "group_id"),
                    ("group_subgroups", "group_id"),
                ],
                "",
            )
        };
        let exists = |sql: &mut Sql, id: Option<[u8; 16]>| {
            sql.push("(");
            for (i, (table, owner)) in tables.iter().enumerate() {
                if i > 0 {
                    sql.push(" OR ");
                }
                let member_col = match (*table, col) {
                    (_, "group_id") => "group_id",
                    ("group_members", _) => "user_id",
                    _ => "member_id",
                };
                sql.push("EXISTS (SELECT 1 FROM ")
                    .push(table)
                    .push(" m WHERE m.tenant_id = r.tenant_id AND m.")
                    .push(owner)
                    .push(" = r.id");
                if let Some(id) = id {
                    sql.push(" AND m.").push(member_col).push(" = ");
                    sql.bind(Bind::Bytes(id.to_vec()));
                }
                sql.push(")");
            }
            sql.push(")");
        };
        match exp {
            AttrExp::Present(_) => {
                exists(sql, None);
                Ok(())
            }
            AttrExp::Comparison(_, op, CompValue::Str(v))
                if matches!(op, CompareOp::Eq | CompareOp::Ne) =>
            {
                let id = v.parse::<uuid::Uuid>().ok().map(|u| *u.as_bytes());
                if *op == CompareOp::Ne {
                    sql.push("NOT ");
                }
                match id {
                    Some(id) => exists(sql, Some(id)),
                    None => {
                        sql.push("FALSE");
                    }
                }
                Ok(())
            }
            _ => Err(Error::scim(
                ScimError::InvalidFilter,
                format!("`{}` supports only `eq`, `ne` and `pr`", display(path)),
            )),
        }
    }

    /// One comparison of one stored value.
    fn leaf(
        &mut self,
        sql: &mut Sql,
        target: Target,
        attr: &Attribute,
        exp: &AttrExp,
        alias: &str,
    ) -> Result<()> {
        let (expr, keyed) = match target {
            Target::Column { expr, keyed, .. } => (expr.to_owned(), keyed),
            Target::Value { column, keyed, .. } => (format!("{alias}.{column}"), keyed),
            Target::Id(expr) => return self.id_leaf(sql, expr, exp),
            Target::Constant(value) => {
                let holds = match exp {
                    AttrExp::Present(_) => true,
                    AttrExp::Comparison(_, CompareOp::Eq, CompValue::Str(v)) => v == value,
                    AttrExp::Comparison(_, CompareOp::Ne, CompValue::Str(v)) => v != value,
                    _ => false,
                };
                sql.push(if holds { "TRUE" } else { "FALSE" });
                return Ok(());
            }
            Target::Membership { .. } => return Err(unsupported(attr.name)),
        };
        let (op, value) = match exp {
            AttrExp::Present(_) => {
                sql.push("(").push(&expr).push(" IS NOT NULL");
                if is_textual(attr.ty) {
                    sql.push(" AND ").push(&expr).push(" <> ''");
                }
                sql.push(")");
                return Ok(());
            }
            AttrExp::Comparison(_, op, value) => (op, value),
        };
        if *value == CompValue::Null {
            return match op {
                CompareOp::Eq => {
                    sql.push("(").push(&expr).push(" IS NULL)");
                    Ok(())
                }
                CompareOp::Ne => {
                    sql.push("(").push(&expr).push(" IS NOT NULL)");
                    Ok(())
                }
                _ => Err(Error::scim(
                    ScimError::InvalidFilter,
                    "`null` compares only with `eq` and `ne`",
                )),
            };
        }
        match attr.ty {
            Type::Boolean => {
                let b = match value {
                    CompValue::True => true,
                    CompValue::False => false,
                    CompValue::Str(s) if s.eq_ignore_ascii_case("true") => true,
                    CompValue::Str(s) if s.eq_ignore_ascii_case("false") => false,
                    _ => {
                        return Err(Error::scim(
                            ScimError::InvalidFilter,
                            format!("`{}` compares with true or false", attr.name),
                        ));
                    }
                };
                let sql_op = match op {
                    CompareOp::Eq => " = ",
                    CompareOp::Ne => " <> ",
                    _ => {
                        return Err(Error::scim(
                            ScimError::InvalidFilter,
                            format!("`{}` is a boolean: use eq, ne or pr", attr.name),
                        ));
                    }
                };
                sql.push("(").push(&expr).push(sql_op);
                sql.bind(Bind::Bool(b));
                sql.push(")");
                Ok(())
            }
            Type::DateTime => {
                let CompValue::Str(s) = value else {
                    return Err(Error::scim(
                        ScimError::InvalidFilter,
                        format!("`{}` compares with a dateTime string", attr.name),
                    ));
                };
                let t = OffsetDateTime::parse(s, &Rfc3339).map_err(|_| {
                    Error::scim(
                        ScimError::InvalidFilter,
                        format!("`{s}` is not an RFC 3339 dateTime"),
                    )
                })?;
                let sql_op = ordering_op(op).ok_or_else(|| {
                    Error::scim(
                        ScimError::InvalidFilter,
                        format!(
                            "`{}` is a dateTime: use eq, ne, gt, ge, lt, le or pr",
                            attr.name
                        ),
                    )
                })?;
                sql.push("(").push(&expr).push(sql_op);
                sql.bind(Bind::Time(crate::clock::to_db(t)));
                sql.push(")");
                Ok(())
            }
            Type::Complex => Err(Error::scim(
                ScimError::InvalidFilter,
                format!("`{}` is complex", attr.name),
            )),
            Type::String | Type::Reference | Type::Binary => {
                let s = match value {
                    CompValue::Str(s) => s.clone(),
                    CompValue::Number(n) => n.to_string(),
                    _ => {
                        return Err(Error::scim(
                            ScimError::InvalidFilter,
                            format!("`{}` compares with a string", attr.name),
                        ));
                    }
                };
                let ignore_case = !attr.case_exact;
                let (expr, s) = if ignore_case && !keyed {
                    (format!("lower({expr})"), s.to_lowercase())
                } else if ignore_case {
                    (expr, s.to_lowercase())
                } else {
                    (expr, s)
                };
                self.text_compare(sql, &expr, keyed, ignore_case, op, s);
                Ok(())
            }
        }
    }

    fn text_compare(
        &mut self,
        sql: &mut Sql,
        expr: &str,
        keyed: bool,
        ignore_case: bool,
        op: &CompareOp,
        s: String,
    ) {
        sql.push("(");
        match op {
            CompareOp::Eq => {
                sql.push(expr).push(" = ");
                sql.bind(Bind::Text(s));
            }
            CompareOp::Ne => {
                sql.push(expr).push(" IS NULL OR ").push(expr).push(" <> ");
                sql.bind(Bind::Text(s));
            }
            // A key column's range: served by its index on both backends.
            CompareOp::Sw if keyed => {
                let (from, to) = prefix_range(&s);
                sql.push(expr).push(" >= ");
                sql.bind(Bind::Text(from));
                sql.push(" AND ").push(expr).push(" < ");
                sql.bind(Bind::Text(to));
            }
            CompareOp::Co | CompareOp::Ew
                if expr == "r.user_name_key" && trigram_searchable(&s) =>
            {
                self.user_name_search(sql, op, &s);
            }
            CompareOp::Co | CompareOp::Sw | CompareOp::Ew => {
                let (pre, post) = match op {
                    CompareOp::Co => (true, true),
                    CompareOp::Sw => (false, true),
                    _ => (true, false),
                };
                // SQLite's LIKE ignores ASCII case: right for values already
                // lowercased, wrong for case-exact ones, which use GLOB.
                if self.backend == Backend::Sqlite && !ignore_case {
                    let p = format!(
                        "{}{}{}",
                        if pre { "*" } else { "" },
                        glob_escape(&s),
                        if post { "*" } else { "" }
                    );
                    sql.push(expr).push(" GLOB ");
                    sql.bind(Bind::Text(p));
                } else {
                    let p = format!(
                        "{}{}{}",
                        if pre { "%" } else { "" },
                        like_escape(&s),
                        if post { "%" } else { "" }
                    );
                    sql.push(expr).push(" LIKE ");
                    sql.bind(Bind::Text(p));
                    sql.push(" ESCAPE '\\'");
                }
            }
            CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le => {
                sql.push(expr).push(ordering_op(op).unwrap_or(" = "));
                sql.bind(Bind::Text(s));
            }
        }
        sql.push(")");
    }

    /// `userName co` / `ew` through the trigram index of user names
    /// (migration `000007_user_name_search`): the matching users' ids come
    /// from the index, not from testing every name of the tenant. On
    /// PostgreSQL the index is reached through the view `user_name_search`
    /// (row-level security would keep the planner off it), on SQLite through
    /// the FTS5 table of the same name.
    fn user_name_search(&mut self, sql: &mut Sql, op: &CompareOp, s: &str) {
        self.searches_names = true;
        let pattern = match op {
            CompareOp::Co => format!("%{}%", like_escape(s)),
            _ => format!("%{}", like_escape(s)),
        };
        match self.backend {
            // `pg_trgm` reads the pattern's escapes: `%john\_smith%` looks
            // up the trigrams of `john_smith`.
            Backend::Postgres => {
                sql.push(
                    "r.id = ANY (ARRAY(SELECT s.id FROM user_name_search s \
                     WHERE s.user_name_key LIKE ",
                );
                sql.bind(Bind::Text(pattern));
                sql.push(" ESCAPE '\\'))");
            }
            // `LIKE` on the FTS5 table checks each candidate against the
            // name in `users`, a second lookup per match on top of the one
            // the outer query makes anyway. A phrase query answers from the
            // trigram positions alone; the name is then checked on the row
            // already read, which anchors `ew` and keeps `LIKE`'s exact
            // meaning.
            Backend::Sqlite => {
                sql.push(
                    "r.rowid IN (SELECT rowid FROM user_name_search \
                     WHERE user_name_search MATCH ",
                );
                sql.bind(Bind::Text(fts5_phrase(s)));
                sql.push(") AND r.user_name_key LIKE ");
                sql.bind(Bind::Text(pattern));
                sql.push(" ESCAPE '\\'");
            }
        }
    }

    fn id_leaf(&mut self, sql: &mut Sql, expr: &str, exp: &AttrExp) -> Result<()> {
        let binary = expr == "r.id";
        match exp {
            AttrExp::Present(_) => {
                sql.push("(").push(expr).push(" IS NOT NULL)");
                Ok(())
            }
            AttrExp::Comparison(_, op @ (CompareOp::Eq | CompareOp::Ne), CompValue::Str(v)) => {
                let negate = *op == CompareOp::Ne;
                if binary {
                    match v.parse::<uuid::Uuid>() {
                        Ok(u) => {
                            sql.push("(")
                                .push(expr)
                                .push(if negate { " <> " } else { " = " });
                            sql.bind(Bind::Bytes(u.as_bytes().to_vec()));
                            sql.push(")");
                        }
                        // Not an id: equal to nothing, different from everything.
                        Err(_) => {
                            sql.push(if negate { "TRUE" } else { "FALSE" });
                        }
                    }
                } else {
                    sql.push("(").push(expr);
                    if negate {
                        sql.push(" IS NULL OR ").push(expr).push(" <> ");
                    } else {
                        sql.push(" = ");
                    }
                    sql.bind(Bind::Text(v.clone()));
                    sql.push(")");
                }
                Ok(())
            }
            _ => Err(Error::scim(
                ScimError::InvalidFilter,
                "ids compare only with `eq`, `ne` and `pr`",
            )),
        }
    }
}

/// A value the trigram indexes can look up: three characters or more, a
/// trigram. `LIKE`'s own characters (`_` in `john_smith`) are escaped.
fn trigram_searchable(s: &str) -> bool {
    s.chars().count() >= 3
}

/// `s` as an FTS5 string: the whole of it one phrase, so no character in
/// it is query syntax (a double quote is written twice).
fn fts5_phrase(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

fn ordering_op(op: &CompareOp) -> Option<&'static str> {
    Some(match op {
        CompareOp::Eq => " = ",
        CompareOp::Ne => " <> ",
        CompareOp::Gt => " > ",
        CompareOp::Ge => " >= ",
        CompareOp::Lt => " < ",
        CompareOp::Le => " <= ",
        _ => return None,
    })
}

/// A sortable attribute: its SQL expression and whether it needs the profile join.
pub(crate) fn sort_expr(rt: &'static ResourceType, by: &str) -> Result<(&'static str, bool)> {
    let r = rt.resolve_dotted(by).ok_or_else(|| {
        Error::scim(
            ScimError::InvalidValue,
            format!("cannot sort by `{by}`: no such attribute"),
        )
    })?;
    let sub = r.sub.map(|s| s.name);
    Ok(match (rt.name, r.attribute.name, sub) {
        (_, "id", None) => ("r.id", false),
        (_, "externalId", None) => ("r.external_id", false),
        (_, "meta", Some("created")) => ("r.created_at", false),
        (_, "meta", Some("lastModified")) => ("r.updated_at", false),
        ("User", "userName", None) => ("r.user_name_key", false),
        ("User", "displayName", None) => ("r.display_name_key", false),
        ("User", "name", Some("givenName")) => ("r.given_name_key", false),
        ("User", "name", Some("familyName")) => ("r.family_name_key", false),
        ("User", "emails", None | Some("value")) => ("r.email_key", false),
        ("User", "active", None) => ("r.active", false),
        ("User", "title", None) => ("p.title", true),
        ("User", "userType", None) => ("p.user_type", true),
        ("User", "nickName", None) => ("p.nick_name", true),
        ("User", "employeeNumber", None) => ("p.employee_number", true),
        ("User", "department", None) => ("p.department", true),
        ("Group", "displayName", None) => ("r.display_name_key", false),
        _ => {
            return Err(Error::scim(
                ScimError::InvalidValue,
                format!("sorting by `{by}` is not supported"),
            ));
        }
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::scim::schema::{ENTERPRISE_USER, GROUP_TYPE, USER_TYPE};

    fn translate(rt: &'static ResourceType, backend: Backend, text: &str) -> Result<Sql> {
        let f = parse(text)?;
        let mut sql = Sql::new(backend);
        Translator::new(rt, backend).filter(&mut sql, &f)?;
        Ok(sql)
    }

    fn placeholders(sql: &Sql) -> usize {
        let sigil = if sql.backend == Backend::Postgres {
            '$'
        } else {
            '?'
        };
        let mut seen = std::collections::BTreeSet::new();
        let mut chars = sql.text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == sigil {
                let mut n = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    n.push(*d);
                    chars.next();
                }
                seen.insert(n);
            }
        }
        seen.len()
    }

    #[test]
    fn a_user_name_lookup_is_one_comparison_of_the_key_column() {
        let sql = translate(&USER_TYPE, Backend::Postgres, r#"userName eq "Ada""#).unwrap();
        assert_eq!(sql.text, "(r.user_name_key = $1)");
        assert_eq!(sql.binds, vec![Bind::Text("ada".into())]);
    }

    #[test]
    fn a_value_path_is_one_exists_over_the_same_value_row() {
        let sql = translate(
            &USER_TYPE,
            Backend::Sqlite,
            r#"emails[type eq "work" and value co "@Example.com"]"#,
        )
        .unwrap();
        assert!(sql.text.starts_with("EXISTS (SELECT 1 FROM user_values v"));
        assert_eq!(sql.text.matches("EXISTS").count(), 1);
        assert!(sql.binds.contains(&Bind::Text("%@example.com%".into())));
    }

    #[test]
    fn user_name_containment_on_postgres_takes_the_ids_from_the_trigram_view() {
        let sql = translate(&USER_TYPE, Backend::Postgres, r#"userName co "Ada""#).unwrap();
        assert_eq!(
            sql.text,
            "(r.id = ANY (ARRAY(SELECT s.id FROM user_name_search s \
             WHERE s.user_name_key LIKE $1 ESCAPE '\\')))"
        );
        assert_eq!(sql.binds, vec![Bind::Text("%ada%".into())]);
    }

    #[test]
    fn a_user_name_ending_on_sqlite_takes_the_rowids_from_the_trigram_table() {
        let sql = translate(&USER_TYPE, Backend::Sqlite, r#"userName ew "Smith""#).unwrap();
        assert_eq!(
            sql.text,
            "(r.rowid IN (SELECT rowid FROM user_name_search WHERE user_name_search MATCH ?1) \
             AND r.user_name_key LIKE ?2 ESCAPE '\\')"
        );
        assert_eq!(
            sql.binds,
            vec![Bind::Text("\"smith\"".into()), Bind::Text("%smith".into())]
        );
    }

    #[test]
    fn a_double_quote_in_a_user_name_search_stays_inside_the_fts5_phrase() {
        let sql = translate(&USER_TYPE, Backend::Sqlite, r#"userName co "a\"b OR c""#).unwrap();
        assert_eq!(sql.binds[0], Bind::Text(r#""a""b or c""#.into()));
    }

    #[test]
    fn a_user_name_too_short_for_a_trigram_is_tested_name_by_name() {
        for backend in [Backend::Postgres, Backend::Sqlite] {
            let sql = translate(&USER_TYPE, backend, r#"userName co "ad""#).unwrap();
            assert!(
                sql.text.starts_with("(r.user_name_key LIKE "),
                "{}",
                sql.text
            );
        }
    }

    #[test]
    fn like_wildcards_in_a_user_name_search_are_escaped_for_the_trigram_index() {
        for backend in [Backend::Postgres, Backend::Sqlite] {
            let sql = translate(&USER_TYPE, backend, r#"userName co "n_s%\\""#).unwrap();
            assert!(sql.text.contains("user_name_search"), "{}", sql.text);
            assert!(
                sql.binds.contains(&Bind::Text(r"%n\_s\%\\%".into())),
                "{:?}",
                sql.binds
            );
        }
    }

    #[test]
    fn case_exact_containment_on_sqlite_uses_glob() {
        let sql = translate(&USER_TYPE, Backend::Sqlite, r#"externalId co "A*b""#).unwrap();
        assert!(sql.text.contains("GLOB"), "{}", sql.text);
        assert_eq!(sql.binds, vec![Bind::Text("*A[*]b*".into())]);
    }

    #[test]
    fn enterprise_attributes_need_their_urn() {
        let with = format!(r#"{ENTERPRISE_USER}:department eq "Math""#);
        assert!(translate(&USER_TYPE, Backend::Postgres, &with).is_ok());
        let without = translate(&USER_TYPE, Backend::Postgres, r#"department eq "Math""#);
        assert!(matches!(
            without,
            Err(Error::Scim {
                kind: ScimError::InvalidFilter,
                ..
            })
        ));
    }

    #[test]
    fn a_boolean_cannot_be_ordered() {
        let r = translate(&USER_TYPE, Backend::Postgres, "active gt true");
        assert!(matches!(
            r,
            Err(Error::Scim {
                kind: ScimError::InvalidFilter,
                ..
            })
        ));
    }

    #[test]
    fn a_negation_counts_a_missing_attribute_as_not_matching() {
        let sql = translate(&USER_TYPE, Backend::Postgres, r#"not (title eq "x")"#).unwrap();
        assert!(sql.text.starts_with("NOT COALESCE(("), "{}", sql.text);
    }

    fn attribute() -> impl Strategy<Value = String> {
        prop::sample::select(
            &[
                "id",
                "externalId",
                "userName",
                "displayName",
                "name.givenName",
                "name.familyName",
                "name.formatted",
                "title",
                "active",
                "emails",
                "emails.value",
                "emails.type",
                "emails.primary",
                "addresses.locality",
                "phoneNumbers.value",
                "x509Certificates.value",
                "groups",
                "groups.value",
                "meta.created",
                "meta.lastModified",
                "meta.resourceType",
                "members",
                "members.value",
                "password",
                "name",
                "shoeSize",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            ][..],
        )
        .prop_map(String::from)
    }

    fn comparison() -> impl Strategy<Value = String> {
        let op = prop::sample::select(&["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"][..]);
        let value = prop_oneof![
            Just("true".to_owned()),
            Just("null".to_owned()),
            Just("42".to_owned()),
            Just("\"2026-01-01T00:00:00Z\"".to_owned()),
            Just("\"01a2256b-a290-737d-b7bd-9c3ccfb1358d\"".to_owned()),
            "[a-zA-Z%_*?\\[ ]{0,6}".prop_map(|s| format!("\"{s}\"")),
        ];
        prop_oneof![
            attribute().prop_map(|a| format!("{a} pr")),
            (attribute(), op, value).prop_map(|(a, o, v)| format!("{a} {o} {v}")),
            (
                prop::sample::select(&["emails", "addresses", "members", "groups"][..]),
                attribute(),
                value_only()
            )
                .prop_map(|(a, s, v)| format!(
                    "{a}[{} eq {v}]",
                    s.rsplit('.').next().unwrap_or("value")
                )),
        ]
    }

    fn value_only() -> impl Strategy<Value = String> {
        "[a-z]{0,4}".prop_map(|s| format!("\"{s}\""))
    }

    fn filter() -> impl Strategy<Value = String> {
        comparison().prop_recursive(4, 16, 2, |inner| {
            prop_oneof![
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("{a} and {b}")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("({a} or {b})")),
                inner.prop_map(|f| format!("not ({f})")),
            ]
        })
    }

    proptest! {
        /// Any filter either becomes SQL whose every placeholder is bound and
        /// whose parentheses balance, or a SCIM 400; never a panic.
        #[test]
        fn every_parsed_filter_becomes_well_formed_sql_or_a_scim_error(text in filter()) {
            for rt in [&USER_TYPE, &GROUP_TYPE] {
                for backend in [Backend::Postgres, Backend::Sqlite] {
                    match translate(rt, backend, &text) {
                        Ok(sql) => {
                            prop_assert_eq!(placeholders(&sql), sql.binds.len(), "{}", sql.text);
                            let opens = sql.text.matches('(').count();
                            let closes = sql.text.matches(')').count();
                            prop_assert_eq!(opens, closes, "{}", sql.text);
                        }
                        Err(Error::Scim { kind, .. }) if kind.scim_type().is_some() => {}
                        Err(other) => prop_assert!(false, "{text}: {other:?}"),
                    }
                }
            }
        }

        /// Arbitrary text never panics the parser or the translator.
        #[test]
        fn arbitrary_text_is_a_filter_or_an_invalid_filter(text in "\\PC{0,40}") {
            let r = translate(&USER_TYPE, Backend::Postgres, &text);
            let fine = r.is_ok() || matches!(&r, Err(Error::Scim { kind, .. }) if kind.scim_type().is_some());
            prop_assert!(fine);
        }
    }
}
