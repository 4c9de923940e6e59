//! The tenant's audit log: every change, who made it, and in which request.

use diesel::prelude::*;
use time::OffsetDateTime;

use crate::clock::{from_db, to_db};
use crate::db::Id;
use crate::db::schema::audit_events;
use crate::error::Result;
use crate::ids::TenantId;
use crate::page::{Page, PageRequest};
use crate::store::{Actor, TenantScope, TenantTx};

#[derive(Debug, Clone, Queryable, Selectable, Insertable)]
#[diesel(table_name = audit_events)]
pub(crate) struct AuditRow {
    tenant_id: TenantId,
    id: Id,
    occurred_at: time::PrimitiveDateTime,
    actor: String,
    action: String,
    target_type: String,
    target_id: String,
    request_id: String,
    detail: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct AuditEvent {
    pub id: Id,
    pub occurred_at: OffsetDateTime,
    pub actor: String,
    pub action: String,
    pub target_type: String,
    pub target_id: String,
    pub request_id: String,
    pub detail: serde_json::Value,
}

impl AuditEvent {
    pub(crate) fn row(
        tenant: TenantId,
        now: OffsetDateTime,
        actor: &Actor,
        action: &str,
        target_type: &str,
        target_id: &str,
        detail: &serde_json::Value,
    ) -> AuditRow {
        AuditRow {
            tenant_id: tenant,
            id: Id::new(),
            occurred_at: to_db(now),
            actor: actor.id.clone(),
            action: action.to_owned(),
            target_type: target_type.to_owned(),
            target_id: target_id.to_owned(),
            request_id: actor.request_id.clone(),
            detail: detail.to_string(),
        }
    }
}

impl AuditRow {
    pub(crate) fn occurred_at(&self) -> time::PrimitiveDateTime {
        self.occurred_at
    }

    pub(crate) fn id(&self) -> Id {
        self.id
    }
}

impl From<AuditRow> for AuditEvent {
    fn from(row: AuditRow) -> Self {
        AuditEvent {
            id: row.id,
            occurred_at: from_db(row.occurred_at),
            actor: row.actor,
            action: row.action,
            target_type: row.target_type,
            target_id: row.target_id,
            request_id: row.request_id,
            detail: serde_json::from_str(&row.detail).unwrap_or(serde_json::Value::Null),
        }
    }
}

#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    pub action: Option<String>,
    pub actor: Option<String>,
}

pub struct AuditLog<'a> {
    scope: &'a TenantScope,
}

impl TenantTx<'_> {
    /// The audit event [`Self::audit`] would write, for a caller that writes
    /// it itself (in a [`crate::db::PgChain`]).
    pub(crate) fn audit_row(
        &self,
        action: &str,
        target_type: &str,
        target_id: &str,
        detail: serde_json::Value,
    ) -> AuditRow {
        AuditEvent::row(
            self.tenant,
            self.now,
            self.actor,
            action,
            target_type,
            target_id,
            &detail,
        )
    }

    /// Records a change in the tenant's audit log, inside the same transaction.
    pub(crate) fn audit(
        &mut self,
        action: &str,
        target_type: &str,
        target_id: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        let event = self.audit_row(action, target_type, target_id, detail);
        diesel::insert_into(audit_events::table)
            .values(&event)
            .execute(self.conn)?;
        Ok(())
    }

    /// [`Self::audit`] for what a signed-in user did themselves (`user:<id>`),
    /// whoever the scope's actor is (a sign-in page acts anonymously until
    /// it knows the user).
    pub(crate) fn audit_by_user(
        &mut self,
        user: crate::ids::UserId,
        action: &str,
        detail: serde_json::Value,
    ) -> Result<()> {
        let actor = Actor {
            id: format!("user:{user}"),
            request_id: self.actor.request_id.clone(),
        };
        let event = AuditEvent::row(
            self.tenant,
            self.now,
            &actor,
            action,
            "user",
            &user.to_string(),
            &detail,
        );
        diesel::insert_into(audit_events::table)
            .values(&event)
            .execute(self.conn)?;
        Ok(())
    }
}

impl TenantScope {
    pub fn audit(&self) -> AuditLog<'_> {
        AuditLog { scope: self }
    }
}

impl AuditLog<'_> {
    /// Newest first. The cursor is the id of the last event seen; ids are
    /// time-ordered, so the page boundary is an index seek.
    pub async fn list(&self, query: AuditQuery, page: PageRequest) -> Result<Page<AuditEvent>> {
        if let Some(action) = &query.action {
            crate::validate::text("action", action, 200)?;
        }
        if let Some(actor) = &query.actor {
            crate::validate::text("actor", actor, 200)?;
        }
        let rows = self
            .scope
            .read(move |tx| {
                let mut q = audit_events::table
                    .filter(audit_events::tenant_id.eq(tx.tenant))
                    .select(AuditRow::as_select())
                    .order(audit_events::id.desc())
                    .limit(page.fetch())
                    .into_boxed();
                if let Some(action) = query.action {
                    q = q.filter(audit_events::action.eq(action));
                }
                if let Some(actor) = query.actor {
                    q = q.filter(audit_events::actor.eq(actor));
                }
                if let Some(after) = page.after {
                    q = q.filter(audit_events::id.lt(after));
                }
                Ok(q.load(tx.conn)?)
            })
            .await?;
        Ok(page.finish(rows, |r| r.id).map(AuditEvent::from))
    }
}

/// Events per batch of an export.
const EXPORT_BATCH: i64 = 500;

/// An audit export over `[from, to)`, oldest first, read in batches so a
/// long range streams instead of loading at once (a gated feature:
/// `audit_export`).
pub struct AuditExport {
    scope: TenantScope,
    from: time::PrimitiveDateTime,
    to: time::PrimitiveDateTime,
    after: Option<(time::PrimitiveDateTime, Id)>,
    done: bool,
}

impl AuditLog<'_> {
    /// Starts an export; refused with `feature-not-entitled` unless the
    /// tenant's plan or the installation's licence includes `audit_export`
    /// (reading is all it does, so a licence past its grace period still allows it).
    pub async fn export(&self, from: OffsetDateTime, to: OffsetDateTime) -> Result<AuditExport> {
        self.scope
            .require(
                crate::licensing::Feature::AuditExport,
                crate::licensing::Access::Read,
            )
            .await?;
        if !crate::clock::representable(from) || !crate::clock::representable(to) {
            return Err(crate::error::Error::invalid("from", "is out of range"));
        }
        if to <= from {
            return Err(crate::error::Error::invalid("to", "must be after `from`"));
        }
        Ok(AuditExport {
            scope: self.scope.clone(),
            from: to_db(from),
            to: to_db(to),
            after: None,
            done: false,
        })
    }
}

impl AuditExport {
    /// The next events (empty once the range is exhausted).
    pub async fn next_batch(&mut self) -> Result<Vec<AuditEvent>> {
        if self.done {
            return Ok(vec![]);
        }
        let (from, to, after) = (self.from, self.to, self.after);
        let rows: Vec<AuditRow> = self
            .scope
            .read(move |tx| {
                let mut q = audit_events::table
                    .filter(audit_events::tenant_id.eq(tx.tenant))
                    .filter(audit_events::occurred_at.lt(to))
                    .select(AuditRow::as_select())
                    .order((audit_events::occurred_at, audit_events::id))
                    .limit(EXPORT_BATCH)
                    .into_boxed();
                q = match after {
                    None => q.filter(audit_events::occurred_at.ge(from)),
                    Some((at, id)) => q.filter(
                        audit_events::occurred_at
                            .gt(at)
                            .or(audit_events::occurred_at
                                .eq(at)
                                .and(audit_events::id.gt(id))),
                    ),
                };
                Ok(q.load(tx.conn)?)
            })
            .await?;
        if (rows.len() as i64) < EXPORT_BATCH {
            self.done = true;
        }
        if let Some(last) = rows.last() {
            self.after = Some((last.occurred_at, last.id));
        }
        Ok(rows.into_iter().map(AuditEvent::from).collect())
    }
}
