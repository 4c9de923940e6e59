//! Seeding a tenant's directory straight into the database, not over HTTP:
//! the tenants crate's bulk import (`directory::import`), opened on the
//! server's database with the server's master key, writes user `i` as the
//! SCIM service would write [`people::body`]`(i)` (the same rows: a `users`
//! row, its profile, its work email), with a deterministic id and creation
//! time, then the groups and their members, then fresh statistics.
//! The import bypasses seat limits and writes one audit event per batch.

use std::time::Instant;

use anyhow::{Context, Result};
use latchkey_tenants::db::DatabaseUrl;
use latchkey_tenants::directory::import::{self, ImportedGroup, ImportedUser};
use latchkey_tenants::keys::sealing::MasterKey;
use latchkey_tenants::scim::resource::user_from_json;
use latchkey_tenants::{Actor, Store, StoreConfig, TenantScope};
use time::OffsetDateTime;
use uuid::Uuid;

use crate::people;
use crate::server::Server;

/// Users per import call (one transaction each).
const BATCH: u64 = 20_000;
/// Import calls running at once.
const WRITERS: u64 = 2;

/// A group to seed, with users `0..members` as its members.
pub struct GroupSeed {
    pub display_name: String,
    pub members: u64,
}

/// The id of the `k`-th seeded group (hex), created after every user.
pub fn group_hex(base_millis: u64, users: u64, k: u64) -> String {
    people::v7_hex(base_millis + users + k, (1 << 40) + k)
}

fn uuid(hex: &str) -> Result<Uuid> {
    Ok(Uuid::parse_str(hex)?)
}

fn at(millis: u64) -> Result<OffsetDateTime> {
    Ok(OffsetDateTime::from_unix_timestamp_nanos(
        i128::from(millis) * 1_000_000,
    )?)
}

/// Seeded user `i`: [`people::body`] as SCIM reads it, "created" at
/// `base_millis + i`.
fn user(base_millis: u64, i: u64) -> Result<ImportedUser> {
    Ok(ImportedUser {
        id: uuid(&people::v7_hex(base_millis + i, i))?.into(),
        created_at: at(base_millis + i)?,
        user: user_from_json(&people::body(i))?,
    })
}

/// Seeds users `0..users` and `groups` into tenant `slug`, then refreshes
/// the planner's statistics. Returns the seconds it took.
pub async fn seed(
    server: &Server,
    slug: &str,
    users: u64,
    base_millis: u64,
    groups: &[GroupSeed],
) -> Result<f64> {
    let started = Instant::now();
    let database = server.database_url();
    let store = open_store(server, &database).await?;
    let tenant = store.tenants().get(slug).await?;
    let scope = store.tenant(tenant, Actor::cli());

    let t = Instant::now();
    seed_users(&scope, users, base_millis).await?;
    eprintln!("seeded {users} users in {:.1} s", t.elapsed().as_secs_f64());

    let t = Instant::now();
    let seeded = group_imports(groups, users, base_millis)?;
    scope
        .directory_import_unmetered()
        .groups(seeded)
        .await
        .context("seeding groups")?;
    eprintln!(
        "seeded {} groups in {:.1} s",
        groups.len(),
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    import::refresh_statistics(&database).await?;
    eprintln!("refreshed statistics in {:.1} s", t.elapsed().as_secs_f64());
    Ok(started.elapsed().as_secs_f64())
}

/// The server's store, opened on its database with its master key, with a
/// connection for each writer.
async fn open_store(server: &Server, database: &DatabaseUrl) -> Result<Store> {
    let mut config = StoreConfig::new(
        database.clone(),
        MasterKey::from_base64(&server.master_key)?,
    );
    config.pool_size = WRITERS as usize;
    config.master_key_source = "the master key the benchmark gave the server".into();
    Store::open(config)
        .await
        .context("opening the server's store")
}

/// Imports users `0..users` in batches of [`BATCH`], [`WRITERS`] at a time.
async fn seed_users(scope: &TenantScope, users: u64, base_millis: u64) -> Result<()> {
    // Batches go to WRITERS concurrent imports (connections): writer `w`
    // builds and writes batches `w`, `w + WRITERS`, … one after another.
    let writers: Vec<_> = (0..WRITERS)
        .map(|w| {
            let scope = scope.clone();
            tokio::spawn(async move {
                let mut from = w * BATCH;
                while from < users {
                    let batch = tokio::task::spawn_blocking(move || {
                        (from..(from + BATCH).min(users))
                            .map(|i| user(base_millis, i))
                            .collect::<Result<Vec<_>>>()
                    })
                    .await??;
                    scope
                        .directory_import_unmetered()
                        .users(batch)
                        .await
                        .with_context(|| format!("seeding users from {from}"))?;
                    from += WRITERS * BATCH;
                }
                anyhow::Ok(())
            })
        })
        .collect();
    for writer in writers {
        writer.await??;
    }
    Ok(())
}

/// The groups to import: group `k` "created" after every user, with users
/// `0..members` as its members.
fn group_imports(groups: &[GroupSeed], users: u64, base_millis: u64) -> Result<Vec<ImportedGroup>> {
    groups
        .iter()
        .enumerate()
        .map(|(k, g)| {
            let k = k as u64;
            Ok(ImportedGroup {
                id: uuid(&group_hex(base_millis, users, k))?.into(),
                created_at: at(base_millis + users + k)?,
                display_name: g.display_name.clone(),
                external_id: Some(people::external_id((1 << 40) + k)),
                members: (0..g.members)
                    .map(|i| uuid(&people::v7_hex(base_millis + i, i)).map(Into::into))
                    .collect::<Result<_>>()?,
            })
        })
        .collect()
}
