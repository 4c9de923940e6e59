//! One id type per kind of thing at the crate's public API, so a user's id
//! cannot be passed where a group's is expected (`add_member(group, user)`
//! with the two swapped does not compile). Each is a UUIDv7 stored as
//! [`Id`] is, and converts to and from it inside the crate.

use std::fmt;

use diesel::backend::Backend as DieselBackend;
use diesel::deserialize::{self, FromSql, FromSqlRow};
use diesel::expression::AsExpression;
use diesel::serialize::{self, Output, ToSql};
use diesel::sql_types::Binary;
use uuid::Uuid;

use crate::db::Id;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, AsExpression, FromSqlRow)]
        #[diesel(sql_type = Binary)]
        pub struct $name(pub Uuid);

        impl $name {
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}", self.0)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.pad(&self.0.to_string())
            }
        }

        impl From<Uuid> for $name {
            fn from(value: Uuid) -> Self {
                $name(value)
            }
        }

        impl From<Id> for $name {
            fn from(value: Id) -> Self {
                $name(value.0)
            }
        }

        impl From<$name> for Id {
            fn from(value: $name) -> Self {
                Id(value.0)
            }
        }

        impl<DB> ToSql<Binary, DB> for $name
        where
            DB: DieselBackend,
            [u8]: ToSql<Binary, DB>,
        {
            fn to_sql<'b>(&'b self, out: &mut Output<'b, '_, DB>) -> serialize::Result {
                // The 16 bytes, as `Id` writes them.
                self.0.as_bytes().as_slice().to_sql(out)
            }
        }

        impl<DB> FromSql<Binary, DB> for $name
        where
            DB: DieselBackend,
            Id: FromSql<Binary, DB>,
        {
            fn from_sql(bytes: DB::RawValue<'_>) -> deserialize::Result<Self> {
                <Id as FromSql<Binary, DB>>::from_sql(bytes).map(Self::from)
            }
        }
    };
}

id_type!(
    /// A tenant's id.
    TenantId
);
id_type!(
    /// A user's id, unique within the installation.
    UserId
);
id_type!(
    /// A group's id.
    GroupId
);
id_type!(
    /// An API token's id (platform, tenant or SCIM).
    TokenId
);
id_type!(
    /// A user's browser session's id.
    SessionId
);
id_type!(
    /// The id of a second factor a user enrolled.
    FactorId
);

// Tenants and tokens are minted with these ids; users and groups are still
// written through `Id` rows (SCIM resources share one id space there).
impl TenantId {
    /// A new id (UUIDv7: byte order is creation order).
    pub(crate) fn new() -> Self {
        TenantId(Uuid::now_v7())
    }
}

impl TokenId {
    /// A new id (UUIDv7: byte order is creation order).
    pub(crate) fn new() -> Self {
        TokenId(Uuid::now_v7())
    }
}

impl SessionId {
    /// A new id (UUIDv7: byte order is creation order).
    pub(crate) fn new() -> Self {
        SessionId(Uuid::now_v7())
    }
}

impl FactorId {
    /// A new id (UUIDv7: byte order is creation order).
    pub(crate) fn new() -> Self {
        FactorId(Uuid::now_v7())
    }
}
