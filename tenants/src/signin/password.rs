//! The password step of signing in.

use diesel::prelude::*;
use serde_json::json;

use super::sessions::{self, OpenedSession};
use super::throttle::{self, PER_ACCOUNT, PER_ADDRESS};
use super::{AuthMethod, Client, Lifetimes, SignIn};
use crate::db::schema::{user_profiles, users};
use crate::error::{AuthFailure, Error, Result};
use crate::ids::UserId;
use crate::password;

/// A user the login could name: id, user name, user name key, kind, active,
/// password hash.
type Candidate = (UserId, String, String, String, bool, Option<String>);

/// Why an attempt failed, for the audit log only: the caller always hears
/// [`AuthFailure::Credentials`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Refusal {
    UnknownUser,
    NotInternal,
    Inactive,
    NoPassword,
    WrongPassword,
}

impl Refusal {
    fn as_str(&self) -> &'static str {
        match self {
            Refusal::UnknownUser => "unknown_user",
            Refusal::NotInternal => "not_internal",
            Refusal::Inactive => "inactive",
            Refusal::NoPassword => "no_password",
            Refusal::WrongPassword => "wrong_password",
        }
    }
}

impl SignIn<'_> {
    /// Signs a user in with their user name or primary email and password,
    /// opening a session. Every attempt is throttled per account and per
    /// address before its password is checked, and audited.
    pub async fn with_password(
        &self,
        login: &str,
        password: &str,
        client: &Client,
        lifetimes: Lifetimes,
    ) -> Result<OpenedSession> {
        let login_key = login.trim().to_lowercase();
        self.take_attempt(&login_key, client).await?;
        let candidate = self.candidate(&login_key).await?;
        let stored = candidate
            .as_ref()
            .and_then(|(_, _, _, kind, _, hash)| (kind == "internal").then(|| hash.clone()))
            .flatten();
        let matches = check_off_thread(password, stored.clone()).await?;
        let refusal = match &candidate {
            None => Some(Refusal::UnknownUser),
            Some((_, _, _, kind, _, _)) if kind != "internal" => Some(Refusal::NotInternal),
            Some((_, _, _, _, _, None)) => Some(Refusal::NoPassword),
            Some(_) if !matches => Some(Refusal::WrongPassword),
            Some((_, _, _, _, false, _)) => Some(Refusal::Inactive),
            Some(_) => None,
        };
        match (refusal, candidate) {
            (None, Some((id, user_name, ..))) => {
                let rehashed = match stored.as_deref() {
                    Some(phc) if password::needs_rehash(phc) => {
                        password::hash_off_thread(Some(password.to_owned())).await?
                    }
                    _ => None,
                };
                self.succeed(id, user_name, login_key, rehashed, client, lifetimes)
                    .await
            }
            (refusal, candidate) => {
                let reason = refusal.unwrap_or(Refusal::UnknownUser);
                self.fail(candidate.map(|c| c.0), &login_key, reason)
                    .await?;
                Err(Error::Unauthenticated(AuthFailure::Credentials))
            }
        }
    }

    /// Counts the attempt against the account and the address, committed
    /// before the password is checked.
    async fn take_attempt(&self, login_key: &str, client: &Client) -> Result<()> {
        let account = throttle::account_key(login_key);
        let address = client.address.map(throttle::address_key);
        self.scope
            .write(move |tx| {
                if let Some(address) = &address {
                    throttle::take(tx, address, PER_ADDRESS)?;
                }
                throttle::take(tx, &account, PER_ACCOUNT)
            })
            .await
    }

    /// The one user the login names: by user name first, else by primary
    /// email when exactly one user has it.
    async fn candidate(&self, login_key: &str) -> Result<Option<Candidate>> {
        let key = login_key.to_owned();
        let rows: Vec<Candidate> = self
            .scope
            .read(move |tx| {
                Ok(users::table
                    .left_join(
                        user_profiles::table.on(user_profiles::tenant_id
                            .eq(users::tenant_id)
                            .and(user_profiles::user_id.eq(users::id))),
                    )
                    .filter(users::tenant_id.eq(tx.tenant))
                    .filter(users::user_name_key.eq(&key).or(users::email_key.eq(&key)))
                    // The user-name match first (false sorts before true),
                    // however many users share the email.
                    .order(users::user_name_key.ne(&key))
                    .select((
                        users::id,
                        users::user_name,
                        users::user_name_key,
                        users::kind,
                        users::active,
                        user_profiles::password_hash.nullable(),
                    ))
                    .limit(3)
                    .load(tx.conn)?)
            })
            .await?;
        let by_name = rows.iter().position(|r| r.2 == login_key);
        Ok(match (by_name, rows.len()) {
            (Some(i), _) => rows.into_iter().nth(i),
            (None, 1) => rows.into_iter().next(),
            _ => None,
        })
    }

    async fn succeed(
        &self,
        user: UserId,
        user_name: String,
        login_key: String,
        rehashed: Option<String>,
        client: &Client,
        lifetimes: Lifetimes,
    ) -> Result<OpenedSession> {
        let client = client.clone();
        self.scope
            .write(move |tx| {
                throttle::clear(tx, &throttle::account_key(&login_key))?;
                if let Some(phc) = rehashed {
                    diesel::update(user_profiles::table.find((tx.tenant, user)))
                        .set(user_profiles::password_hash.eq(Some(phc)))
                        .execute(tx.conn)?;
                }
                if has_second_factor(tx, user)? {
                    // The sign-in event comes with the second factor.
                    return sessions::open_awaiting_second_factor(tx, (user, user_name), &client);
                }
                let methods = [AuthMethod::Password];
                let opened = sessions::open(tx, (user, user_name), &methods, &client, lifetimes)?;
                tx.audit_by_user(
                    user,
                    "user.sign_in",
                    json!({
                        "session": opened.session.id.to_string(),
                        "amr": opened.session.amr,
                        "address": client.address.map(|a| a.to_string()),
                    }),
                )?;
                Ok(opened)
            })
            .await
    }

    async fn fail(&self, user: Option<UserId>, login_key: &str, reason: Refusal) -> Result<()> {
        let login: String = login_key.chars().take(256).collect();
        self.scope
            .write(move |tx| {
                tx.audit(
                    "user.sign_in_failed",
                    "user",
                    &user.map(|u| u.to_string()).unwrap_or_default(),
                    json!({ "reason": reason.as_str(), "login": login }),
                )
            })
            .await
    }
}

/// Whether the user has a confirmed second factor to prove.
fn has_second_factor(tx: &mut crate::store::TenantTx<'_>, user: UserId) -> Result<bool> {
    use crate::db::schema::user_factors;
    let found: Option<crate::ids::FactorId> = user_factors::table
        .filter(user_factors::tenant_id.eq(tx.tenant))
        .filter(user_factors::user_id.eq(user))
        .filter(user_factors::confirmed_at.is_not_null())
        .select(user_factors::id)
        .first(tx.conn)
        .optional()?;
    Ok(found.is_some())
}

/// [`password::verify`] on a blocking thread: a hash is deliberately slow.
async fn check_off_thread(password: &str, stored: Option<String>) -> Result<bool> {
    let given = password.to_owned();
    tokio::task::spawn_blocking(move || password::verify(&given, stored.as_deref()))
        .await
        .map_err(|e| Error::Internal(format!("password check task: {e}")))
}
