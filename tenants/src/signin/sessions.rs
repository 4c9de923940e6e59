//! Users' browser sessions: opened by a sign-in, named by an opaque cookie
//! whose SHA-256 alone is stored, ended by the user, by an admin, by the
//! user's deactivation or deletion, or by time (idle and maximum lifetimes).

use diesel::prelude::*;
use serde_json::json;
use time::OffsetDateTime;

use super::{AuthMethod, Client, Lifetimes, Sessions};
use crate::clock::{from_db, to_db};
use crate::db::schema::{user_sessions, users};
use crate::error::{AuthFailure, Error, Resource, Result};
use crate::ids::{SessionId, UserId};
use crate::page::{Page, PageRequest};
use crate::session_secret;
use crate::store::TenantTx;

/// The prefix of a user session's cookie value.
const PREFIX: &str = "lku_";

/// How long a password sign-in waits for its second factor.
pub(super) const SECOND_FACTOR_WITHIN: std::time::Duration = std::time::Duration::from_secs(300);

/// A session's use is written back at most this often: checking a session
/// must not cost a write per request.
const TOUCH_EVERY: time::Duration = time::Duration::MINUTE;

/// A current session, as a request presents it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub id: SessionId,
    pub user_id: UserId,
    pub user_name: String,
    /// How the user authenticated (RFC 8176 values), in the order used.
    pub amr: Vec<String>,
    /// When the user authenticated (OpenID Connect's `auth_time`).
    pub auth_time: OffsetDateTime,
    /// When the session ends unless it is used again first.
    pub idle_expires_at: OffsetDateTime,
    /// When the session ends however it is used.
    pub expires_at: OffsetDateTime,
}

/// A session just opened: the secret goes into the cookie and is never
/// seen again.
pub struct OpenedSession {
    pub secret: String,
    /// The user has a second factor to prove: the session opens no page
    /// until [`super::SignIn::with_totp`] replaces it.
    pub second_factor_due: bool,
    pub session: Session,
}

/// Never the secret: a session printed in a log or a failed test names it
/// by its id.
impl std::fmt::Debug for OpenedSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OpenedSession")
            .field("secret", &"[redacted]")
            .field("second_factor_due", &self.second_factor_due)
            .field("session", &self.session)
            .finish()
    }
}

/// A session in a list (the account page, the admin API).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionSummary {
    pub id: SessionId,
    pub amr: Vec<String>,
    pub auth_time: OffsetDateTime,
    pub last_seen_at: OffsetDateTime,
    pub expires_at: OffsetDateTime,
    pub user_agent: Option<String>,
    pub address: Option<String>,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = user_sessions)]
struct SessionRow {
    id: SessionId,
    amr: String,
    auth_time: time::PrimitiveDateTime,
    last_seen_at: time::PrimitiveDateTime,
    expires_at: time::PrimitiveDateTime,
    user_agent: Option<String>,
    address: Option<String>,
}

impl SessionRow {
    fn summary(self) -> SessionSummary {
        SessionSummary {
            id: self.id,
            amr: split_amr(&self.amr),
            auth_time: from_db(self.auth_time),
            last_seen_at: from_db(self.last_seen_at),
            expires_at: from_db(self.expires_at),
            user_agent: self.user_agent,
            address: self.address,
        }
    }
}

fn split_amr(amr: &str) -> Vec<String> {
    amr.split(',')
        .filter(|m| !m.is_empty())
        .map(str::to_owned)
        .collect()
}

/// Opens a session for `user` inside the sign-in's transaction (a new
/// secret at every sign-in: a session id planted before cannot be fixed).
pub(super) fn open(
    tx: &mut TenantTx<'_>,
    user: (UserId, String),
    methods: &[AuthMethod],
    client: &Client,
    lifetimes: Lifetimes,
) -> Result<OpenedSession> {
    open_as(tx, user, methods, client, lifetimes, false)
}

/// Opens the session a password opens for a user with a second factor: it
/// lasts [`SECOND_FACTOR_WITHIN`] and opens no page.
pub(super) fn open_awaiting_second_factor(
    tx: &mut TenantTx<'_>,
    user: (UserId, String),
    client: &Client,
) -> Result<OpenedSession> {
    let lifetimes = Lifetimes {
        idle: SECOND_FACTOR_WITHIN,
        max: SECOND_FACTOR_WITHIN,
    };
    open_as(tx, user, &[AuthMethod::Password], client, lifetimes, true)
}

fn open_as(
    tx: &mut TenantTx<'_>,
    user: (UserId, String),
    methods: &[AuthMethod],
    client: &Client,
    lifetimes: Lifetimes,
    second_factor_due: bool,
) -> Result<OpenedSession> {
    let (user_id, user_name) = user;
    let now = tx.now;
    let expires_at = now + lifetimes.max;
    let secret = session_secret::mint(PREFIX, tx.tenant);
    let id = SessionId::new();
    let amr: Vec<String> = methods.iter().map(|m| m.amr().to_owned()).collect();
    let user_agent = client
        .user_agent
        .as_deref()
        .map(|ua| ua.chars().take(256).collect::<String>());
    // A user's ended sessions go as a new one starts.
    diesel::delete(
        user_sessions::table
            .filter(user_sessions::tenant_id.eq(tx.tenant))
            .filter(user_sessions::user_id.eq(user_id))
            .filter(user_sessions::expires_at.le(to_db(now))),
    )
    .execute(tx.conn)?;
    diesel::insert_into(user_sessions::table)
        .values((
            user_sessions::tenant_id.eq(tx.tenant),
            user_sessions::id.eq(id),
            user_sessions::user_id.eq(user_id),
            user_sessions::token_hash.eq(session_secret::hash(&secret).to_vec()),
            user_sessions::amr.eq(amr.join(",")),
            user_sessions::auth_time.eq(to_db(now)),
            user_sessions::created_at.eq(to_db(now)),
            user_sessions::last_seen_at.eq(to_db(now)),
            user_sessions::expires_at.eq(to_db(expires_at)),
            user_sessions::user_agent.eq(user_agent),
            user_sessions::address.eq(client.address.map(|a| a.to_string())),
            user_sessions::second_factor_due.eq(second_factor_due),
        ))
        .execute(tx.conn)?;
    Ok(OpenedSession {
        secret,
        second_factor_due,
        session: Session {
            id,
            user_id,
            user_name,
            amr,
            auth_time: now,
            idle_expires_at: now + lifetimes.idle,
            expires_at,
        },
    })
}

impl Sessions<'_> {
    /// The session a cookie names, if it is this tenant's, current, and its
    /// user still an active user of the directory; its use is recorded.
    pub async fn current(&self, secret: &str, lifetimes: Lifetimes) -> Result<Session> {
        self.find(secret, false, lifetimes).await
    }

    /// The session a password opened that waits for its second factor (see
    /// [`super::SignIn::with_totp`]); it opens no page.
    pub async fn awaiting_second_factor(&self, secret: &str) -> Result<Session> {
        let lifetimes = Lifetimes {
            idle: SECOND_FACTOR_WITHIN,
            max: SECOND_FACTOR_WITHIN,
        };
        self.find(secret, true, lifetimes).await
    }

    async fn find(&self, secret: &str, due: bool, lifetimes: Lifetimes) -> Result<Session> {
        let refused = || Error::Unauthenticated(AuthFailure::Session);
        if session_secret::tenant_of(PREFIX, secret) != Some(self.scope.tenant.id) {
            return Err(refused());
        }
        let digest = session_secret::hash(secret).to_vec();
        let idle = time::Duration::try_from(lifetimes.idle)
            .map_err(|e| Error::Internal(format!("session idle lifetime: {e}")))?;
        let found = self
            .scope
            .read(move |tx| {
                Ok(user_sessions::table
                    .inner_join(
                        users::table.on(users::tenant_id
                            .eq(user_sessions::tenant_id)
                            .and(users::id.eq(user_sessions::user_id))),
                    )
                    .filter(user_sessions::tenant_id.eq(tx.tenant))
                    .filter(user_sessions::token_hash.eq(&digest))
                    .filter(user_sessions::second_factor_due.eq(due))
                    .filter(users::active.eq(true))
                    .select((SessionRow::as_select(), users::id, users::user_name))
                    .first::<(SessionRow, UserId, String)>(tx.conn)
                    .optional()?)
            })
            .await?;
        let (row, user_id, user_name) = found.ok_or_else(refused)?;
        let now = self.scope.store.now();
        let (last_seen, expires_at) = (from_db(row.last_seen_at), from_db(row.expires_at));
        if expires_at <= now || last_seen + idle <= now {
            return Err(refused());
        }
        let seen = if now - last_seen >= TOUCH_EVERY {
            let id = row.id;
            self.scope
                .write(move |tx| {
                    diesel::update(user_sessions::table.find((tx.tenant, id)))
                        .set(user_sessions::last_seen_at.eq(tx.now_db()))
                        .execute(tx.conn)?;
                    Ok(())
                })
                .await?;
            now
        } else {
            last_seen
        };
        Ok(Session {
            id: row.id,
            user_id,
            user_name,
            amr: split_amr(&row.amr),
            auth_time: from_db(row.auth_time),
            idle_expires_at: (seen + idle).min(expires_at),
            expires_at,
        })
    }

    /// Ends the session a cookie names (nothing happens for an unknown one).
    pub async fn sign_out(&self, secret: &str) -> Result<()> {
        if session_secret::tenant_of(PREFIX, secret) != Some(self.scope.tenant.id) {
            return Ok(());
        }
        let digest = session_secret::hash(secret).to_vec();
        self.scope
            .write(move |tx| {
                let ended: Option<(SessionId, UserId)> = diesel::delete(
                    user_sessions::table
                        .filter(user_sessions::tenant_id.eq(tx.tenant))
                        .filter(user_sessions::token_hash.eq(digest)),
                )
                .returning((user_sessions::id, user_sessions::user_id))
                .get_result(tx.conn)
                .optional()?;
                if let Some((id, user)) = ended {
                    tx.audit_by_user(user, "user.sign_out", json!({ "session": id.to_string() }))?;
                }
                Ok(())
            })
            .await
    }

    /// A user's current sessions, oldest first.
    pub async fn list(&self, user: UserId, page: PageRequest) -> Result<Page<SessionSummary>> {
        let rows = self
            .scope
            .read(move |tx| {
                ensure_user(tx, user)?;
                let mut q = user_sessions::table
                    .filter(user_sessions::tenant_id.eq(tx.tenant))
                    .filter(user_sessions::user_id.eq(user))
                    .filter(user_sessions::second_factor_due.eq(false))
                    .filter(user_sessions::expires_at.gt(tx.now_db()))
                    .select(SessionRow::as_select())
                    .order(user_sessions::id)
                    .limit(page.fetch())
                    .into_boxed();
                if let Some(after) = page.after {
                    q = q.filter(user_sessions::id.gt(after));
                }
                Ok(q.load(tx.conn)?)
            })
            .await?;
        let page = page.finish(rows, |r| r.id.into());
        Ok(Page {
            items: page.items.into_iter().map(SessionRow::summary).collect(),
            next_cursor: page.next_cursor,
        })
    }

    /// Ends one session of a user.
    pub async fn end(&self, user: UserId, session: SessionId) -> Result<()> {
        self.scope
            .write(move |tx| {
                ensure_user(tx, user)?;
                let ended = diesel::delete(
                    user_sessions::table
                        .filter(user_sessions::tenant_id.eq(tx.tenant))
                        .filter(user_sessions::user_id.eq(user))
                        .filter(user_sessions::id.eq(session)),
                )
                .execute(tx.conn)?;
                if ended == 0 {
                    return Err(Error::NotFound(Resource::Session));
                }
                tx.audit(
                    "user.session_end",
                    "user",
                    &user.to_string(),
                    json!({ "session": session.to_string() }),
                )
            })
            .await
    }

    /// Ends every session of a user ("sign out everywhere"); how many ended.
    pub async fn end_all(&self, user: UserId) -> Result<usize> {
        self.scope
            .write(move |tx| {
                ensure_user(tx, user)?;
                let ended = diesel::delete(
                    user_sessions::table
                        .filter(user_sessions::tenant_id.eq(tx.tenant))
                        .filter(user_sessions::user_id.eq(user)),
                )
                .execute(tx.conn)?;
                tx.audit(
                    "user.sessions_end",
                    "user",
                    &user.to_string(),
                    json!({ "ended": ended }),
                )?;
                Ok(ended)
            })
            .await
    }
}

/// The user name of a user of this tenant, or `user-not-found`.
pub(super) async fn user_name(scope: &crate::store::TenantScope, user: UserId) -> Result<String> {
    scope
        .read(move |tx| {
            users::table
                .filter(users::tenant_id.eq(tx.tenant))
                .filter(users::id.eq(user))
                .select(users::user_name)
                .first(tx.conn)
                .optional()?
                .ok_or(Error::NotFound(Resource::User))
        })
        .await
}

/// A user of this tenant, or `user-not-found` (another tenant's users
/// included).
pub(super) fn ensure_user(tx: &mut TenantTx<'_>, user: UserId) -> Result<()> {
    let found: Option<UserId> = users::table
        .filter(users::tenant_id.eq(tx.tenant))
        .filter(users::id.eq(user))
        .select(users::id)
        .first(tx.conn)
        .optional()?;
    found.map(|_| ()).ok_or(Error::NotFound(Resource::User))
}
