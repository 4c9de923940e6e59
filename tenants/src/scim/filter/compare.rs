//! Comparisons of stored values: one attribute's value against one filter
//! value, by the attribute's type and case rules, on either backend.

use super::*;

impl Translator {
    /// One comparison of one stored value.
    pub(super) fn leaf(
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
                constant_leaf(sql, value, exp);
                return Ok(());
            }
            Target::Membership { .. } => return Err(unsupported(attr.name)),
        };
        let (op, value) = match exp {
            AttrExp::Present(_) => {
                present(sql, &expr, attr);
                return Ok(());
            }
            AttrExp::Comparison(_, op, value) => (op, value),
        };
        if *value == CompValue::Null {
            return null_compare(sql, &expr, op);
        }
        match attr.ty {
            Type::Boolean => boolean_compare(sql, &expr, attr, op, value),
            Type::DateTime => date_time_compare(sql, &expr, attr, op, value),
            Type::Complex => Err(Error::scim(
                ScimError::InvalidFilter,
                format!("`{}` is complex", attr.name),
            )),
            Type::String | Type::Reference | Type::Binary => {
                self.string_compare(sql, expr, keyed, attr, op, value)
            }
        }
    }

    /// A comparison of a text-like attribute: its case rule decides whether
    /// the value (and, for a column not already lowercased, the column) is
    /// lowercased before [`Self::text_compare`].
    fn string_compare(
        &mut self,
        sql: &mut Sql,
        expr: String,
        keyed: bool,
        attr: &Attribute,
        op: &CompareOp,
        value: &CompValue,
    ) -> Result<()> {
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

    pub(super) fn text_compare(
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
    pub(super) fn user_name_search(&mut self, sql: &mut Sql, op: &CompareOp, s: &str) {
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

    pub(super) fn id_leaf(&mut self, sql: &mut Sql, expr: &str, exp: &AttrExp) -> Result<()> {
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
pub(super) fn trigram_searchable(s: &str) -> bool {
    s.chars().count() >= 3
}

/// `s` as an FTS5 string: the whole of it one phrase, so no character in
/// it is query syntax (a double quote is written twice).
pub(super) fn fts5_phrase(s: &str) -> String {
    format!("\"{}\"", s.replace('"', "\"\""))
}

pub(super) fn ordering_op(op: &CompareOp) -> Option<&'static str> {
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

/// A constant (such as `meta.resourceType`) compared at translation time:
/// the SQL is just its outcome.
fn constant_leaf(sql: &mut Sql, value: &str, exp: &AttrExp) {
    let holds = match exp {
        AttrExp::Present(_) => true,
        AttrExp::Comparison(_, CompareOp::Eq, CompValue::Str(v)) => v == value,
        AttrExp::Comparison(_, CompareOp::Ne, CompValue::Str(v)) => v != value,
        _ => false,
    };
    sql.push(if holds { "TRUE" } else { "FALSE" });
}

/// `pr`: a value is present when it is not null and, for text, not empty.
fn present(sql: &mut Sql, expr: &str, attr: &Attribute) {
    sql.push("(").push(expr).push(" IS NOT NULL");
    if is_textual(attr.ty) {
        sql.push(" AND ").push(expr).push(" <> ''");
    }
    sql.push(")");
}

fn null_compare(sql: &mut Sql, expr: &str, op: &CompareOp) -> Result<()> {
    match op {
        CompareOp::Eq => {
            sql.push("(").push(expr).push(" IS NULL)");
            Ok(())
        }
        CompareOp::Ne => {
            sql.push("(").push(expr).push(" IS NOT NULL)");
            Ok(())
        }
        _ => Err(Error::scim(
            ScimError::InvalidFilter,
            "`null` compares only with `eq` and `ne`",
        )),
    }
}

/// A boolean compares with `true` or `false` (or those words as strings),
/// by `eq` or `ne` only.
fn boolean_compare(
    sql: &mut Sql,
    expr: &str,
    attr: &Attribute,
    op: &CompareOp,
    value: &CompValue,
) -> Result<()> {
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
    sql.push("(").push(expr).push(sql_op);
    sql.bind(Bind::Bool(b));
    sql.push(")");
    Ok(())
}

/// A dateTime compares with an RFC 3339 string, by equality or ordering.
fn date_time_compare(
    sql: &mut Sql,
    expr: &str,
    attr: &Attribute,
    op: &CompareOp,
    value: &CompValue,
) -> Result<()> {
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
    sql.push("(").push(expr).push(sql_op);
    sql.bind(Bind::Time(crate::clock::to_db(t)));
    sql.push(")");
    Ok(())
}
