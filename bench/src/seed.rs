//! Seeding a tenant's directory straight into the database, not over HTTP:
//! one `INSERT … SELECT` per table over a generated series, writing the rows
//! the SCIM service writes for [`people::body`] (a `users` row with its
//! lowercased `_key` columns, a `user_profiles` row, a `user_values` row for
//! the work email), then groups and their members, then fresh statistics.
//! PostgreSQL is reached through `psql`, SQLite through diesel on the
//! server's database file (its WAL lets the idle server keep it open).
//! Audit events are not seeded: no SCIM read touches them.

use std::time::Instant;

use anyhow::{Context, Result};
use diesel::connection::SimpleConnection;
use diesel::{Connection, RunQueryDsl, SqliteConnection};

use crate::people::{self, Dialect, people_cte};
use crate::server::{Server, psql_script};

/// A group to seed, with users `0..members` as its members.
pub struct GroupSeed {
    pub display_name: String,
    pub members: u64,
}

/// The id of the `k`-th seeded group (hex), created after every user.
pub fn group_hex(base_millis: u64, users: u64, k: u64) -> String {
    people::v7_hex(base_millis + users + k, (1 << 40) + k)
}

fn tenant(slug: &str) -> String {
    format!("(SELECT id FROM tenants WHERE slug = '{slug}') t")
}

fn statements(
    d: Dialect,
    slug: &str,
    users: u64,
    base_millis: u64,
    groups: &[GroupSeed],
) -> Vec<(String, String)> {
    let people = people_cte(d, base_millis, 0, users);
    let t = tenant(slug);
    let mut out = vec![
        (
            format!("{users} users"),
            format!(
                "{people}INSERT INTO users (tenant_id, id, user_name, user_name_key, external_id, \
                 kind, email, display_name, given_name, family_name, active, version, created_at, \
                 updated_at, email_key, display_name_key, given_name_key, family_name_key) \
                 SELECT t.id, p.id, p.user_name, lower(p.user_name), p.external_id, 'internal', \
                 p.user_name, p.display_name, p.given, p.family, TRUE, 1, p.created_at, \
                 p.created_at, lower(p.user_name), lower(p.display_name), lower(p.given), \
                 lower(p.family) FROM people p CROSS JOIN {t}"
            ),
        ),
        (
            format!("{users} user_profiles"),
            format!(
                "{people}INSERT INTO user_profiles (tenant_id, user_id, name_formatted, \
                 active_omitted, department) SELECT t.id, p.id, p.display_name, FALSE, \
                 p.department FROM people p CROSS JOIN {t}"
            ),
        ),
        (
            format!("{users} user_values (emails)"),
            format!(
                "{people}INSERT INTO user_values (tenant_id, user_id, attr, position, value, \
                 value_key, type, is_primary) SELECT t.id, p.id, 'emails', 0, p.user_name, \
                 lower(p.user_name), 'work', TRUE FROM people p CROSS JOIN {t}"
            ),
        ),
    ];
    for (k, g) in groups.iter().enumerate() {
        let k = k as u64;
        let id = d.unhex(&format!("'{}'", group_hex(base_millis, users, k)));
        let at = d.timestamp(&(base_millis + users + k).to_string());
        let name = g.display_name.replace('\'', "''");
        out.push((
            format!("group {name}"),
            format!(
                "INSERT INTO groups (tenant_id, id, display_name, display_name_key, external_id, \
                 version, created_at, updated_at) SELECT t.id, {id}, '{name}', lower('{name}'), \
                 '{ext}', 1, {at}, {at} FROM {t}",
                ext = people::external_id((1 << 40) + k),
            ),
        ));
        out.push((
            format!("{} members of {name}", g.members),
            format!(
                "{with}{series} INSERT INTO group_members (tenant_id, group_id, user_id, \
                 created_at) SELECT t.id, {id}, {user}, {at} FROM seq s CROSS JOIN {t}",
                with = d.with(),
                series = d.series("seq", 0, g.members),
                user = d.user_id(base_millis, "s.i"),
            ),
        ));
    }
    out
}

/// Seeds users `0..users` and `groups` into tenant `slug`, then refreshes
/// the planner's statistics. Returns the seconds it took.
pub fn seed(
    server: &Server,
    slug: &str,
    users: u64,
    base_millis: u64,
    groups: &[GroupSeed],
) -> Result<f64> {
    let started = Instant::now();
    match &server.database {
        Some(db) => {
            for (what, sql) in statements(Dialect::Postgres, slug, users, base_millis, groups) {
                let t = Instant::now();
                psql_script(db, &format!("{sql};\n")).with_context(|| format!("seeding {what}"))?;
                eprintln!("seeded {what} in {:.1} s", t.elapsed().as_secs_f64());
            }
            // VACUUM as well as ANALYZE: after a bulk insert autovacuum would
            // soon do it anyway (and then in the middle of the measurements);
            // it also sets the visibility map, which index-only scans need.
            // Then a CHECKPOINT, so that writing out the seeded pages does
            // not run during the measurements either.
            let t = Instant::now();
            psql_script(
                db,
                "VACUUM (ANALYZE) users, user_profiles, user_values, groups, group_members;\n\
                 CHECKPOINT;\n",
            )?;
            eprintln!(
                "VACUUM (ANALYZE) and CHECKPOINT in {:.1} s",
                t.elapsed().as_secs_f64()
            );
        }
        None => {
            let path = server.sqlite_file();
            let mut conn = SqliteConnection::establish(&path.to_string_lossy())
                .with_context(|| format!("opening {}", path.display()))?;
            conn.batch_execute("PRAGMA busy_timeout = 10000; PRAGMA foreign_keys = ON;")?;
            for (what, sql) in statements(Dialect::Sqlite, slug, users, base_millis, groups) {
                let t = Instant::now();
                diesel::sql_query(&sql)
                    .execute(&mut conn)
                    .with_context(|| format!("seeding {what}"))?;
                eprintln!("seeded {what} in {:.1} s", t.elapsed().as_secs_f64());
            }
            let t = Instant::now();
            conn.batch_execute("ANALYZE; PRAGMA wal_checkpoint(TRUNCATE);")?;
            eprintln!("ANALYZE in {:.1} s", t.elapsed().as_secs_f64());
        }
    }
    Ok(started.elapsed().as_secs_f64())
}
