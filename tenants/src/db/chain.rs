//! Several writes sent to PostgreSQL as one statement.
//!
//! A new user is a handful of rows (the user, its profile, its values, the
//! audit event). Sent one by one inside `BEGIN … COMMIT` that is a round trip
//! per row plus two; chained into data-modifying `WITH` clauses it is one
//! statement, atomic on its own, which PostgreSQL runs in one round trip.
//! Foreign keys still hold: their checks run at the end of the statement,
//! after every clause has written its rows.

use diesel::pg::Pg;
use diesel::query_builder::{AstPass, QueryFragment, QueryId};
use diesel::query_dsl::methods::ExecuteDsl;
use diesel::{PgConnection, QueryResult, RunQueryDsl, SqliteConnection};

use super::DbConnection;

/// Inserts that make one new thing: one statement on PostgreSQL, the same
/// statements one after another on SQLite (where they cost no round trip),
/// stopping at the first error. Atomic on PostgreSQL by itself; on SQLite
/// only inside a transaction, which `TenantScope::write_statement` opens.
pub(crate) enum Chain<'c, 'a> {
    Postgres(&'c mut PgConnection, PgChain<'a>),
    Sqlite(&'c mut SqliteConnection, QueryResult<()>),
}

impl<'c, 'a> Chain<'c, 'a> {
    pub(crate) fn on(conn: &'c mut DbConnection) -> Self {
        match conn {
            DbConnection::Postgresql(c) => Chain::Postgres(c, PgChain::default()),
            DbConnection::Sqlite(c) => Chain::Sqlite(c, Ok(())),
        }
    }

    pub(crate) fn then<S>(self, statement: S) -> Self
    where
        S: QueryFragment<Pg> + ExecuteDsl<SqliteConnection> + Send + 'a,
    {
        match self {
            Chain::Postgres(c, chain) => Chain::Postgres(c, chain.then(statement)),
            Chain::Sqlite(c, Ok(())) => {
                let done = ExecuteDsl::execute(statement, c).map(drop);
                Chain::Sqlite(c, done)
            }
            failed => failed,
        }
    }

    pub(crate) fn then_some<S>(self, statement: Option<S>) -> Self
    where
        S: QueryFragment<Pg> + ExecuteDsl<SqliteConnection> + Send + 'a,
    {
        match statement {
            Some(statement) => self.then(statement),
            None => self,
        }
    }

    pub(crate) fn run(self) -> QueryResult<()> {
        match self {
            Chain::Postgres(c, chain) => chain.run(c),
            Chain::Sqlite(_, done) => done,
        }
    }
}

/// Statements that run as one: every one but the last becomes a `WITH`
/// clause of the last. None may read what another writes (the clauses share
/// one snapshot), so this is for inserts of new rows.
#[derive(Default)]
pub(crate) struct PgChain<'a> {
    statements: Vec<Box<dyn QueryFragment<Pg> + Send + 'a>>,
}

impl<'a> PgChain<'a> {
    pub(crate) fn then(mut self, statement: impl QueryFragment<Pg> + Send + 'a) -> Self {
        self.statements.push(Box::new(statement));
        self
    }

    /// Runs the chain; an empty chain does nothing.
    pub(crate) fn run(self, conn: &mut PgConnection) -> QueryResult<()> {
        if self.statements.is_empty() {
            return Ok(());
        }
        self.execute(conn).map(drop)
    }
}

impl QueryFragment<Pg> for PgChain<'_> {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, Pg>) -> QueryResult<()> {
        let Some((last, clauses)) = self.statements.split_last() else {
            return Ok(());
        };
        for (i, clause) in clauses.iter().enumerate() {
            out.push_sql(if i == 0 { "WITH " } else { ", " });
            out.push_sql(&format!("w{i} AS ("));
            clause.walk_ast(out.reborrow())?;
            out.push_sql(")");
        }
        if !clauses.is_empty() {
            out.push_sql(" ");
        }
        last.walk_ast(out.reborrow())
    }
}

impl QueryId for PgChain<'_> {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl RunQueryDsl<PgConnection> for PgChain<'_> {}

#[cfg(test)]
mod tests {
    use diesel::prelude::*;

    use super::*;
    use crate::db::schema::{audit_events, groups};

    #[test]
    fn every_statement_but_the_last_becomes_a_with_clause_of_it() {
        let chain = PgChain::default()
            .then(diesel::delete(
                groups::table.filter(groups::display_name.eq("a")),
            ))
            .then(diesel::delete(
                groups::table.filter(groups::display_name.eq("b")),
            ))
            .then(diesel::delete(
                audit_events::table.filter(audit_events::actor.eq("c")),
            ));

        let sql = diesel::debug_query::<Pg, _>(&chain).to_string();

        assert!(
            sql.starts_with(
                "WITH w0 AS (DELETE FROM \"groups\" WHERE (\"groups\".\"display_name\" = $1)), \
                 w1 AS (DELETE FROM \"groups\" WHERE (\"groups\".\"display_name\" = $2)) \
                 DELETE FROM \"audit_events\" WHERE (\"audit_events\".\"actor\" = $3)"
            ),
            "{sql}"
        );
        assert!(sql.ends_with("-- binds: [\"a\", \"b\", \"c\"]"), "{sql}");
    }

    #[test]
    fn a_chain_of_one_is_that_statement() {
        let chain = PgChain::default().then(diesel::delete(
            groups::table.filter(groups::display_name.eq("a")),
        ));

        let sql = diesel::debug_query::<Pg, _>(&chain).to_string();

        assert!(sql.starts_with("DELETE FROM \"groups\" WHERE"), "{sql}");
    }
}
