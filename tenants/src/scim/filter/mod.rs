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

/// A sub-attribute of a user's multi-valued attribute: a column of its
/// `user_values` rows (the attribute alone means its `value`).
fn value_target(r: &Resolved, attr: &str, sub: Option<&str>, path: &AttrPath) -> Result<Target> {
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
    Ok(Target::Value {
        attr,
        column,
        keyed,
    })
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
            ("User", attr, sub) if r.attribute.multi_valued => value_target(r, attr, sub, path)?,
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
}

mod compare;
mod sort;
#[cfg(test)]
mod tests;

pub(crate) use sort::sort_expr;
