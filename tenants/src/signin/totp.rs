//! TOTP (RFC 6238) as a second factor: enrolment (a secret the user's app
//! stores, proved by a first code), and checking a code at sign-in. The
//! secret is sealed with the tenant's data key and bound to its row; a code
//! is accepted within one step either side of now and only once (the last
//! step used is stored, and moved forward only by a conditional update, so
//! two parallel uses of one code cannot both pass); attempts are throttled
//! per user.

use diesel::prelude::*;
use rand::RngCore;
use serde_json::json;
use time::OffsetDateTime;
use totp_rs::{Algorithm, TOTP};
use zeroize::Zeroizing;

use super::Factors;
use super::throttle::{self, Limit};
use crate::db::schema::user_factors;
use crate::error::{AuthFailure, Error, Resource, Result};
use crate::ids::{FactorId, TenantId, UserId};
use crate::keys::sealing::Place;

const KIND: &str = "totp";
/// 160 bits, RFC 4226's recommendation (and what authenticator apps expect).
const SECRET_LEN: usize = 20;
const STEP_SECONDS: u64 = 30;
const DIGITS: usize = 6;

/// Five codes per user in five minutes: a million possible codes give a
/// guesser no useful chance.
const PER_USER: Limit = Limit {
    attempts: 5,
    window: std::time::Duration::from_secs(300),
};

/// A TOTP factor being enrolled: what the user's app needs. Shown once; the
/// factor signs nobody in until [`Factors::confirm_totp`].
pub struct TotpEnrolment {
    pub factor_id: FactorId,
    /// The secret as authenticator apps take it by hand (base32).
    pub secret: Zeroizing<String>,
    /// `otpauth://totp/…`, for a QR code or a link.
    pub uri: Zeroizing<String>,
}

fn place(tenant: TenantId, factor: FactorId) -> (TenantId, String) {
    (tenant, factor.to_string())
}

fn totp(secret: Vec<u8>, issuer: &str, account: &str) -> Result<TOTP> {
    // otpauth labels use `:` between issuer and account.
    let clean = |s: &str| s.replace(':', " ");
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        1,
        STEP_SECONDS,
        secret,
        Some(clean(issuer)),
        clean(account),
    )
    .map_err(|e| Error::Internal(format!("TOTP parameters: {e}")))
}

/// The time step `code` is right for, within one step of `now`.
fn matching_step(totp: &TOTP, code: &str, now: OffsetDateTime) -> Option<i64> {
    let code = code.trim();
    if code.len() != DIGITS || !code.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let current = now.unix_timestamp() / STEP_SECONDS as i64;
    (current - 1..=current + 1).find(|&step| {
        let expected = totp.generate(step as u64 * STEP_SECONDS);
        constant_time_eq(expected.as_bytes(), code.as_bytes())
    })
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

impl Factors<'_> {
    /// Starts a TOTP enrolment for `user`, replacing any enrolment of theirs
    /// not confirmed yet.
    pub async fn begin_totp(&self, user: UserId, name: &str) -> Result<TotpEnrolment> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(Error::invalid("name", "1 to 64 characters"));
        }
        let user_name = super::sessions::user_name(self.scope, user).await?;
        let mut secret = Zeroizing::new(vec![0u8; SECRET_LEN]);
        rand::rngs::OsRng.fill_bytes(&mut secret);
        let factor_id = FactorId::new();
        let tenant = self.scope.tenant();
        let (t, row) = place(tenant.id, factor_id);
        let sealed = self.scope.store.data_key(tenant.id).await?.seal(
            Place {
                tenant: t,
                table: "user_factors",
                column: "secret_sealed",
                row: &row,
            },
            &secret,
        )?;
        let totp = totp(secret.to_vec(), &tenant.display_name, &user_name)?;
        let enrolment = TotpEnrolment {
            factor_id,
            secret: Zeroizing::new(totp.get_secret_base32()),
            uri: Zeroizing::new(totp.get_url()),
        };
        let name = name.to_owned();
        self.scope
            .write(move |tx| {
                diesel::delete(
                    user_factors::table
                        .filter(user_factors::tenant_id.eq(tx.tenant))
                        .filter(user_factors::user_id.eq(user))
                        .filter(user_factors::kind.eq(KIND))
                        .filter(user_factors::confirmed_at.is_null()),
                )
                .execute(tx.conn)?;
                diesel::insert_into(user_factors::table)
                    .values((
                        user_factors::tenant_id.eq(tx.tenant),
                        user_factors::id.eq(factor_id),
                        user_factors::user_id.eq(user),
                        user_factors::kind.eq(KIND),
                        user_factors::name.eq(&name),
                        user_factors::secret_sealed.eq(&sealed),
                        user_factors::created_at.eq(tx.now_db()),
                    ))
                    .execute(tx.conn)?;
                Ok(())
            })
            .await?;
        Ok(enrolment)
    }

    /// Confirms an enrolment with a first code from the user's app.
    pub async fn confirm_totp(&self, user: UserId, factor: FactorId, code: &str) -> Result<()> {
        let step = self.check_enrolment(user, factor, code).await?;
        self.scope
            .write(move |tx| {
                diesel::update(user_factors::table.find((tx.tenant, factor)))
                    .set((
                        user_factors::confirmed_at.eq(Some(tx.now_db())),
                        user_factors::last_used_step.eq(Some(step)),
                        user_factors::last_used_at.eq(Some(tx.now_db())),
                    ))
                    .execute(tx.conn)?;
                throttle::clear(tx, &format!("factor:{user}"))?;
                tx.audit_by_user(
                    user,
                    "user.factor_add",
                    json!({ "factor": factor.to_string(), "kind": KIND }),
                )
            })
            .await
    }

    /// Checks a code from any of the user's confirmed TOTP factors, and uses
    /// it up: the same code (or an older one) is refused afterwards.
    pub async fn verify_totp(&self, user: UserId, code: &str) -> Result<FactorId> {
        let throttle_key = format!("factor:{user}");
        self.scope
            .write(move |tx| throttle::take(tx, &throttle_key, PER_USER))
            .await?;
        let candidates = self.confirmed(user).await?;
        for (factor, sealed, last_used) in candidates {
            let Some(step) = self.step_of(factor, &sealed, code).await? else {
                continue;
            };
            if last_used.is_some_and(|used| step <= used) {
                break;
            }
            let used = self
                .scope
                .write(move |tx| {
                    let moved = diesel::update(
                        user_factors::table.find((tx.tenant, factor)).filter(
                            user_factors::last_used_step
                                .is_null()
                                .or(user_factors::last_used_step.lt(step)),
                        ),
                    )
                    .set((
                        user_factors::last_used_step.eq(Some(step)),
                        user_factors::last_used_at.eq(Some(tx.now_db())),
                    ))
                    .execute(tx.conn)?;
                    if moved == 1 {
                        throttle::clear(tx, &format!("factor:{user}"))?;
                    }
                    Ok(moved == 1)
                })
                .await?;
            if used {
                return Ok(factor);
            }
            break;
        }
        Err(Error::Unauthenticated(AuthFailure::Code))
    }

    /// `(id, sealed secret, last step used)` of the user's confirmed TOTP factors.
    async fn confirmed(&self, user: UserId) -> Result<Vec<(FactorId, Vec<u8>, Option<i64>)>> {
        self.scope
            .read(move |tx| {
                Ok(user_factors::table
                    .filter(user_factors::tenant_id.eq(tx.tenant))
                    .filter(user_factors::user_id.eq(user))
                    .filter(user_factors::kind.eq(KIND))
                    .filter(user_factors::confirmed_at.is_not_null())
                    .select((
                        user_factors::id,
                        user_factors::secret_sealed,
                        user_factors::last_used_step,
                    ))
                    .load(tx.conn)?)
            })
            .await
    }

    /// Checks the first code of an enrolment; throttled as sign-in codes are.
    async fn check_enrolment(&self, user: UserId, factor: FactorId, code: &str) -> Result<i64> {
        let throttle_key = format!("factor:{user}");
        self.scope
            .write(move |tx| throttle::take(tx, &throttle_key, PER_USER))
            .await?;
        let found: Option<(FactorId, Vec<u8>)> = self
            .scope
            .read(move |tx| {
                Ok(user_factors::table
                    .filter(user_factors::tenant_id.eq(tx.tenant))
                    .filter(user_factors::user_id.eq(user))
                    .filter(user_factors::id.eq(factor))
                    .filter(user_factors::kind.eq(KIND))
                    .filter(user_factors::confirmed_at.is_null())
                    .select((user_factors::id, user_factors::secret_sealed))
                    .first(tx.conn)
                    .optional()?)
            })
            .await?;
        let (factor, sealed) = found.ok_or(Error::NotFound(Resource::Factor))?;
        self.step_of(factor, &sealed, code)
            .await?
            .ok_or(Error::Unauthenticated(AuthFailure::Code))
    }

    /// The step `code` is right for under the factor's secret.
    async fn step_of(&self, factor: FactorId, sealed: &[u8], code: &str) -> Result<Option<i64>> {
        let tenant = self.scope.tenant().id;
        let (t, row) = place(tenant, factor);
        let secret = self.scope.store.data_key(tenant).await?.open(
            Place {
                tenant: t,
                table: "user_factors",
                column: "secret_sealed",
                row: &row,
            },
            sealed,
        )?;
        let totp = totp(secret.to_vec(), "", "")?;
        Ok(matching_step(&totp, code, self.scope.store.now()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fixed() -> TOTP {
        // RFC 6238's SHA-1 test secret.
        totp(b"12345678901234567890".to_vec(), "Acme", "ada").unwrap()
    }

    #[test]
    fn a_code_matches_its_own_step_and_one_either_side_only() {
        let totp = fixed();
        let now = OffsetDateTime::from_unix_timestamp(59 * 30 + 10).unwrap();
        for (offset, expected) in [(-1, Some(58)), (0, Some(59)), (1, Some(60))] {
            let code = totp.generate((59 + offset) as u64 * 30);
            assert_eq!(matching_step(&totp, &code, now), expected.map(i64::from));
        }
        let two_away = totp.generate(61 * 30);
        assert_eq!(matching_step(&totp, &two_away, now), None);
    }

    #[test]
    fn rfc_6238_test_vector_59_seconds() {
        // RFC 6238 Appendix B: T = 59 s gives 94287082 with 8 digits; 6 digits: 287082.
        assert_eq!(fixed().generate(59), "287082");
    }

    #[test]
    fn anything_but_six_digits_is_no_code() {
        let now = OffsetDateTime::from_unix_timestamp(59).unwrap();
        for bad in ["", "28708", "2870822", "28708a", "287 082"] {
            assert_eq!(matching_step(&fixed(), bad, now), None, "{bad:?}");
        }
        assert_eq!(matching_step(&fixed(), " 287082 ", now), Some(1));
    }

    #[test]
    fn the_uri_names_the_issuer_and_account_without_colons() {
        let uri = totp(vec![7; 20], "Acme: EU", "ada").unwrap().get_url();
        assert!(uri.starts_with("otpauth://totp/Acme%20%20EU:ada?"), "{uri}");
        assert!(uri.contains("issuer=Acme"), "{uri}");
    }
}
