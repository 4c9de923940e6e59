//! Throttling of sign-in attempts per account and per client address,
//! counted in the database so that it holds across nodes and under
//! parallel attempts: each attempt takes its count in one write
//! transaction *before* its password is checked (on PostgreSQL the update
//! locks the row, so a hundred parallel guesses get a hundred different
//! counts), and is refused past the limit. A window ends by itself: an
//! attacker can slow an account's sign-in, never close it for good.

use std::net::IpAddr;
use std::time::Duration;

use diesel::prelude::*;

use crate::db::on_backend;
use crate::db::schema::sign_in_throttles;
use crate::error::{Error, Result};
use crate::store::TenantTx;

/// Attempts allowed per window for one key.
#[derive(Debug, Clone, Copy)]
pub(super) struct Limit {
    pub(super) attempts: i32,
    pub(super) window: Duration,
}

/// Ten attempts per account in five minutes: a person who mistypes is
/// never held up, a guesser gets about three thousand guesses a day.
pub(super) const PER_ACCOUNT: Limit = Limit {
    attempts: 10,
    window: Duration::from_secs(300),
};

/// A hundred attempts per address (or IPv6 /64) in five minutes: an office
/// behind one address still signs in; one machine cannot spray accounts.
pub(super) const PER_ADDRESS: Limit = Limit {
    attempts: 100,
    window: Duration::from_secs(300),
};

/// The key an account's attempts count under: the login as typed, folded
/// as sign-in folds it, whether or not such an account exists (so the
/// throttle's answers tell nothing about which do).
pub(super) fn account_key(login_key: &str) -> String {
    format!("account:{login_key}")
}

/// The key an address's attempts count under; IPv6 by its /64, which one
/// client usually holds whole.
pub(super) fn address_key(address: IpAddr) -> String {
    match address {
        IpAddr::V4(v4) => format!("address:{v4}"),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => format!("address:{v4}"),
            None => {
                let s = v6.segments();
                format!("address:{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
    }
}

/// Counts one attempt under `key`, or refuses it, saying when to retry.
pub(super) fn take(tx: &mut TenantTx<'_>, key: &str, limit: Limit) -> Result<()> {
    let now = tx.now_db();
    let window_end = tx.now
        + time::Duration::try_from(limit.window)
            .map_err(|e| Error::Internal(format!("throttle window: {e}")))?;
    let window_end = crate::clock::to_db(window_end);
    // Ended windows go, this key's included: its count starts afresh.
    diesel::delete(
        sign_in_throttles::table
            .filter(sign_in_throttles::tenant_id.eq(tx.tenant))
            .filter(sign_in_throttles::window_ends_at.le(now)),
    )
    .execute(tx.conn)?;
    let (tenant, key_owned) = (tx.tenant, key.to_owned());
    on_backend!(tx.conn, |c| diesel::insert_into(sign_in_throttles::table)
        .values((
            sign_in_throttles::tenant_id.eq(tenant),
            sign_in_throttles::key.eq(&key_owned),
            sign_in_throttles::attempts.eq(0),
            sign_in_throttles::window_ends_at.eq(window_end),
        ))
        .on_conflict_do_nothing()
        .execute(c))?;
    let row = sign_in_throttles::table.find((tx.tenant, key));
    diesel::update(row)
        .set(sign_in_throttles::attempts.eq(sign_in_throttles::attempts + 1))
        .execute(tx.conn)?;
    let (attempts, ends): (i32, time::PrimitiveDateTime) = row
        .select((
            sign_in_throttles::attempts,
            sign_in_throttles::window_ends_at,
        ))
        .first(tx.conn)?;
    if attempts > limit.attempts {
        let left = (ends - now).max(time::Duration::SECOND);
        return Err(Error::Throttled {
            retry_after: Duration::try_from(left).unwrap_or(limit.window),
        });
    }
    Ok(())
}

/// Forgets `key`'s attempts (an account that signed in).
pub(super) fn clear(tx: &mut TenantTx<'_>, key: &str) -> Result<()> {
    diesel::delete(sign_in_throttles::table.find((tx.tenant, key))).execute(tx.conn)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_counts_by_its_64_and_a_mapped_ipv4_as_ipv4() {
        let a = address_key("2001:db8:1:2:aaaa::1".parse().unwrap());
        let b = address_key("2001:db8:1:2:bbbb::9".parse().unwrap());
        assert_eq!(a, b);
        assert_eq!(a, "address:2001:db8:1:2::/64");
        assert_eq!(
            address_key("::ffff:203.0.113.7".parse().unwrap()),
            "address:203.0.113.7"
        );
    }
}
