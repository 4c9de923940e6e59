//! `latchkey keys rewrap`: every tenant's data key wrapped under a new
//! master key.

use diesel::prelude::*;

use crate::db::TxMode;
use crate::db::schema::tenants;
use crate::error::{Error, Result};
use crate::ids::TenantId;
use crate::store::Store;

impl Store {
    /// Re-wraps every tenant's data key under `new_key` in one transaction.
    /// Sealed values are untouched: only the wrapping changes.
    /// Keys already wrapped under `new_key` are left alone, so a rewrap that
    /// was interrupted, or raced by a node still on the old key, is finished
    /// by running it again.
    pub async fn rewrap(&self, new_key: &crate::keys::sealing::MasterKey) -> Result<usize> {
        let old = &self.shared.master;
        let wrapped: Vec<(TenantId, Vec<u8>, String)> = self
            .pool()
            .run(|conn| {
                let rows: Vec<(TenantId, Option<Vec<u8>>, String)> = tenants::table
                    .select((
                        tenants::id,
                        tenants::wrapped_data_key,
                        tenants::master_key_id,
                    ))
                    .load(conn)?;
                Ok(rows
                    .into_iter()
                    .filter_map(|(id, w, key_id)| w.map(|w| (id, w, key_id)))
                    .collect())
            })
            .await?;
        let mut rewrapped = Vec::with_capacity(wrapped.len());
        for (id, w, key_id) in wrapped {
            if key_id == new_key.id() {
                continue;
            }
            if key_id != old.id() {
                return Err(Error::Config(format!(
                    "the data key of tenant {id} is wrapped under master key id {key_id}, which is neither \
                     the current master key (key id {}) nor the new key (key id {})",
                    old.id(),
                    new_key.id()
                )));
            }
            let key = old.unwrap(id, &w)?;
            rewrapped.push((id, w, new_key.wrap(id, &key)?));
        }
        let new_id = new_key.id().to_owned();
        self.pool()
            .run_in(None, TxMode::Write, move |conn| {
                let mut count = 0;
                for (id, old_wrapped, new_wrapped) in rewrapped {
                    // Compare-and-set: a concurrent delete or rewrap wins.
                    count += diesel::update(
                        tenants::table
                            .find(id)
                            .filter(tenants::wrapped_data_key.eq(old_wrapped)),
                    )
                    .set((
                        tenants::wrapped_data_key.eq(Some(new_wrapped)),
                        tenants::master_key_id.eq(&new_id),
                    ))
                    .execute(conn)?;
                }
                Ok(count)
            })
            .await
    }
}
