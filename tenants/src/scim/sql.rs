//! Dynamic SQL for SCIM queries: text with numbered placeholders and the
//! values bound to them, run on either backend. Every value a client sends
//! is bound, never spliced into the text.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Binary, Bool, Text, Timestamp};

use crate::db::{Backend, DbConnection};

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Bind {
    Text(String),
    Bool(bool),
    Bytes(Vec<u8>),
    Time(time::PrimitiveDateTime),
    Int(i64),
}

#[derive(Debug, Clone)]
pub(crate) struct Sql {
    pub(crate) backend: Backend,
    pub(crate) text: String,
    pub(crate) binds: Vec<Bind>,
}

impl Sql {
    pub(crate) fn new(backend: Backend) -> Self {
        Sql {
            backend,
            text: String::with_capacity(256),
            binds: Vec::new(),
        }
    }

    pub(crate) fn push(&mut self, text: &str) -> &mut Self {
        self.text.push_str(text);
        self
    }

    /// Appends a placeholder for `value`: `$n` on PostgreSQL, `?n` on SQLite.
    pub(crate) fn bind(&mut self, value: Bind) -> &mut Self {
        self.binds.push(value);
        let n = self.binds.len();
        let sigil = match self.backend {
            Backend::Postgres => '$',
            Backend::Sqlite => '?',
        };
        self.text.push(sigil);
        self.text.push_str(&n.to_string());
        self
    }

    /// Appends another fragment, renumbering its placeholders after ours.
    pub(crate) fn append(&mut self, other: &Sql) -> &mut Self {
        let offset = self.binds.len();
        let sigil = match self.backend {
            Backend::Postgres => '$',
            Backend::Sqlite => '?',
        };
        let mut chars = other.text.chars().peekable();
        while let Some(c) = chars.next() {
            if c == sigil && chars.peek().is_some_and(|d| d.is_ascii_digit()) {
                let mut n = String::new();
                while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                    n.push(*d);
                    chars.next();
                }
                let n: usize = n.parse().unwrap_or(0);
                self.text.push(sigil);
                self.text.push_str(&(n + offset).to_string());
            } else {
                self.text.push(c);
            }
        }
        self.binds.extend(other.binds.iter().cloned());
        self
    }

    pub(crate) fn load<T>(self, conn: &mut DbConnection) -> QueryResult<Vec<T>>
    where
        T: QueryableByName<diesel::pg::Pg> + QueryableByName<diesel::sqlite::Sqlite> + 'static,
    {
        macro_rules! run {
            ($conn:expr, $backend:ty) => {{
                let mut q = diesel::sql_query(self.text).into_boxed::<$backend>();
                for b in self.binds {
                    q = match b {
                        Bind::Text(v) => q.bind::<Text, _>(v),
                        Bind::Bool(v) => q.bind::<Bool, _>(v),
                        Bind::Bytes(v) => q.bind::<Binary, _>(v),
                        Bind::Time(v) => q.bind::<Timestamp, _>(v),
                        Bind::Int(v) => q.bind::<BigInt, _>(v),
                    };
                }
                q.load::<T>($conn)
            }};
        }
        match conn {
            DbConnection::Postgresql(c) => run!(c, diesel::pg::Pg),
            DbConnection::Sqlite(c) => run!(c, diesel::sqlite::Sqlite),
        }
    }
}

/// A `LIKE` pattern: `%` and `_` and the escape itself escaped with `\`.
pub(crate) fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// A SQLite `GLOB` pattern matching `s` literally (GLOB is case-sensitive,
/// where SQLite's `LIKE` ignores ASCII case).
pub(crate) fn glob_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        match c {
            '*' => out.push_str("[*]"),
            '?' => out.push_str("[?]"),
            '[' => out.push_str("[[]"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn appending_renumbers_placeholders() {
        let mut a = Sql::new(Backend::Postgres);
        a.push("a = ").bind(Bind::Int(1));
        let mut b = Sql::new(Backend::Postgres);
        b.push(" AND b = ").bind(Bind::Int(2)).push(" OR c = $1");
        a.append(&b);
        assert_eq!(a.text, "a = $1 AND b = $2 OR c = $2");
        assert_eq!(a.binds.len(), 2);
    }

    #[test]
    fn sqlite_placeholders_are_numbered_too() {
        let mut a = Sql::new(Backend::Sqlite);
        a.push("x = ").bind(Bind::Bool(true));
        assert_eq!(a.text, "x = ?1");
    }

    #[test]
    fn patterns_escape_their_wildcards() {
        assert_eq!(like_escape("50%_a\\"), "50\\%\\_a\\\\");
        assert_eq!(glob_escape("a*b?[c"), "a[*]b[?][[]c");
    }
}
