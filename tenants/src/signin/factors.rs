//! The second factors a user has: listed for the account page and for
//! admins, and removed by an admin (a lost phone).

use diesel::prelude::*;
use serde_json::json;
use time::OffsetDateTime;

use super::Factors;
use crate::clock::from_db;
use crate::db::schema::user_factors;
use crate::error::{Error, Resource, Result};
use crate::ids::{FactorId, UserId};

/// A confirmed factor, as listed: never its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactorSummary {
    pub id: FactorId,
    /// `totp`.
    pub kind: String,
    pub name: String,
    pub created_at: OffsetDateTime,
    pub last_used_at: Option<OffsetDateTime>,
}

impl Factors<'_> {
    /// The user's confirmed factors, oldest first.
    pub async fn list(&self, user: UserId) -> Result<Vec<FactorSummary>> {
        let rows: Vec<(
            FactorId,
            String,
            String,
            time::PrimitiveDateTime,
            Option<time::PrimitiveDateTime>,
        )> = self
            .scope
            .read(move |tx| {
                super::sessions::ensure_user(tx, user)?;
                Ok(user_factors::table
                    .filter(user_factors::tenant_id.eq(tx.tenant))
                    .filter(user_factors::user_id.eq(user))
                    .filter(user_factors::confirmed_at.is_not_null())
                    .order(user_factors::id)
                    .select((
                        user_factors::id,
                        user_factors::kind,
                        user_factors::name,
                        user_factors::created_at,
                        user_factors::last_used_at,
                    ))
                    .load(tx.conn)?)
            })
            .await?;
        Ok(rows
            .into_iter()
            .map(|(id, kind, name, created_at, last_used_at)| FactorSummary {
                id,
                kind,
                name,
                created_at: from_db(created_at),
                last_used_at: last_used_at.map(from_db),
            })
            .collect())
    }

    /// Removes one of the user's factors (confirmed or not); the user signs
    /// in without it from then on.
    pub async fn remove(&self, user: UserId, factor: FactorId) -> Result<()> {
        self.scope
            .write(move |tx| {
                super::sessions::ensure_user(tx, user)?;
                let removed = diesel::delete(
                    user_factors::table
                        .filter(user_factors::tenant_id.eq(tx.tenant))
                        .filter(user_factors::user_id.eq(user))
                        .filter(user_factors::id.eq(factor)),
                )
                .execute(tx.conn)?;
                if removed == 0 {
                    return Err(Error::NotFound(Resource::Factor));
                }
                tx.audit(
                    "user.factor_remove",
                    "user",
                    &user.to_string(),
                    json!({ "factor": factor.to_string() }),
                )
            })
            .await
    }
}
