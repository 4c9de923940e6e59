use std::fmt;

use diesel::backend::Backend as DieselBackend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Binary;
use uuid::Uuid;

/// A row id: a UUIDv7, stored as 16 bytes (`BLOB` / `BYTEA`).
///
/// Byte order equals creation order, so `ORDER BY id` is time order and a
/// cursor is just the last id seen.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, AsExpression, FromSqlRow)]
#[diesel(sql_type = Binary)]
pub struct Id(pub Uuid);

impl Id {
    pub fn new() -> Self {
        Id(Uuid::now_v7())
    }

    pub fn as_uuid(&self) -> Uuid {
        self.0
    }

    pub fn from_bytes(bytes: &[u8]) -> Option<Self> {
        Uuid::from_slice(bytes).ok().map(Id)
    }
}

impl Default for Id {
    fn default() -> Self {
        Self::new()
    }
}

impl fmt::Debug for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0)
    }
}

impl fmt::Display for Id {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // `pad`, so `{:<40}` lines ids up in tables.
        f.pad(&self.0.to_string())
    }
}

impl From<Uuid> for Id {
    fn from(value: Uuid) -> Self {
        Id(value)
    }
}

impl<DB> ToSql<Binary, DB> for Id
where
    DB: DieselBackend,
    [u8]: ToSql<Binary, DB>,
{
    fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
        self.0.as_bytes().as_slice().to_sql(out)
    }
}

impl<DB> FromSql<Binary, DB> for Id
where
    DB: DieselBackend,
    Vec<u8>: FromSql<Binary, DB>,
{
    fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
        let raw = <Vec<u8> as FromSql<Binary, DB>>::from_sql(bytes)?;
        Id::from_bytes(&raw).ok_or_else(|| "an id column does not hold 16 bytes".into())
    }
}
