//! Cross-node cache invalidation over PostgreSQL `LISTEN/NOTIFY`.
//!
//! A change that must reach every node at once (a revoked token, a suspended
//! or deleted tenant) sends a notification inside its own transaction, so it
//! is delivered exactly when the change commits. Every node listens on one
//! dedicated connection and drops the matching cache entries. The caches'
//! short lifetime remains the backstop when a notification is missed (a
//! listener reconnecting, say).

use std::sync::Weak;
use std::time::Duration;

use diesel::connection::SimpleConnection;
use diesel::sql_types::Text;
use diesel::{Connection, PgConnection, RunQueryDsl};

use crate::caches::Caches;
use crate::db::DbConnection;
use crate::error::Result;
use crate::ids::{TenantId, TokenId};

const CHANNEL: &str = "latchkey_cache";
/// How often the listener looks for notifications that arrived.
const POLL: Duration = Duration::from_millis(50);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Invalidation {
    /// A token, with the SHA-256 its cache entry is keyed by; a payload
    /// without it (from a node of an earlier version) names the id alone.
    Token(TokenId, Option<[u8; 32]>),
    Tenant(TenantId),
}

impl Invalidation {
    fn payload(&self) -> String {
        match self {
            Invalidation::Token(id, Some(hash)) => format!("token:{id}:{}", hex::encode(hash)),
            Invalidation::Token(id, None) => format!("token:{id}"),
            Invalidation::Tenant(id) => format!("tenant:{id}"),
        }
    }

    fn parse(payload: &str) -> Option<Self> {
        let (kind, rest) = payload.split_once(':')?;
        let (id, hash) = match rest.split_once(':') {
            Some((id, hash)) => {
                let mut bytes = [0u8; 32];
                hex::decode_to_slice(hash, &mut bytes).ok()?;
                (id, Some(bytes))
            }
            None => (rest, None),
        };
        let id = uuid::Uuid::parse_str(id).ok()?;
        match (kind, hash) {
            ("token", hash) => Some(Invalidation::Token(TokenId(id), hash)),
            ("tenant", None) => Some(Invalidation::Tenant(TenantId(id))),
            _ => None,
        }
    }

    /// Queues the notification in the current transaction (PostgreSQL only;
    /// an SQLite installation is one node).
    pub(crate) fn send(&self, conn: &mut DbConnection) -> Result<()> {
        if let DbConnection::Postgresql(pg) = conn {
            diesel::sql_query(format!("SELECT pg_notify('{CHANNEL}', $1)"))
                .bind::<Text, _>(self.payload())
                .execute(pg)?;
        }
        Ok(())
    }

    pub(crate) fn apply(&self, caches: &Caches) {
        match *self {
            Invalidation::Token(id, hash) => caches.forget_token(id, hash),
            Invalidation::Tenant(id) => caches.forget_tenant(None, id),
        }
    }
}

/// How often the listener checks that its connection is alive: a silently
/// dead connection would otherwise deliver nothing, forever.
const PING: Duration = Duration::from_secs(10);

/// Listens until the store is dropped, reconnecting after failures.
pub(crate) fn spawn_listener(url: String, caches: Weak<Caches>) {
    let spawned = std::thread::Builder::new().name("latchkey-listen".into()).spawn(move || {
        while caches.strong_count() > 0 {
            if let Err(e) = listen(&url, &caches) {
                tracing::warn!(error = %e, "cache invalidation listener lost its connection; reconnecting");
                // Notifications sent meanwhile are lost: forget everything cached.
                if let Some(caches) = caches.upgrade() {
                    caches.clear();
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        }
    });
    if let Err(e) = spawned {
        tracing::error!(error = %e, "cannot start the cache invalidation listener; caches expire on their own");
    }
}

fn listen(url: &str, caches: &Weak<Caches>) -> std::result::Result<(), String> {
    let mut conn = PgConnection::establish(url).map_err(|e| crate::db::redact(&e.to_string()))?;
    conn.batch_execute(&format!("LISTEN {CHANNEL}"))
        .map_err(|e| e.to_string())?;
    let mut pinged = std::time::Instant::now();
    loop {
        if pinged.elapsed() >= PING {
            conn.batch_execute("SELECT 1").map_err(|e| e.to_string())?;
            pinged = std::time::Instant::now();
        }
        for notification in conn.notifications_iter() {
            let notification = notification.map_err(|e| e.to_string())?;
            let Some(caches) = caches.upgrade() else {
                return Ok(());
            };
            if let Some(change) = Invalidation::parse(&notification.payload) {
                change.apply(&caches);
            }
        }
        if caches.strong_count() == 0 {
            return Ok(());
        }
        std::thread::sleep(POLL);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payload_round_trips() {
        for change in [
            Invalidation::Token(TokenId::new(), Some([7; 32])),
            Invalidation::Token(TokenId::new(), None),
            Invalidation::Tenant(TenantId::new()),
        ] {
            assert_eq!(Invalidation::parse(&change.payload()), Some(change));
        }
    }

    #[test]
    fn a_foreign_payload_is_ignored() {
        assert_eq!(Invalidation::parse("user:123"), None);
        assert_eq!(Invalidation::parse("garbage"), None);
        let id = TenantId::new();
        assert_eq!(Invalidation::parse(&format!("tenant:{id}:00")), None);
        assert_eq!(
            Invalidation::parse(&format!("token:{id}:0a")),
            None,
            "a short hash"
        );
    }
}
