//! Putting a tenant on a plan: the operator's command today, billing's
//! webhook later. One write, audited, seen by every node at once.

use diesel::prelude::*;
use serde_json::json;

use super::plans::PLAN_NAMES;
use crate::audit::AuditEvent;
use crate::clock::to_db;
use crate::db::TxMode;
use crate::db::schema::{audit_events, tenants};
use crate::error::{Error, Result};
use crate::invalidation::Invalidation;
use crate::store::{Actor, Store};
use crate::tenant::Tenant;

impl Store {
    /// Sets the plan (`free`, `team` or `enterprise`) of the tenant `slug`.
    pub async fn set_tenant_plan(&self, slug: &str, plan: &str, actor: &Actor) -> Result<Tenant> {
        if !PLAN_NAMES.contains(&plan) {
            return Err(Error::invalid("plan", "must be free, team or enterprise"));
        }
        let tenant = self.tenants().get(slug).await?;
        let (id, now, actor, plan_name) = (tenant.id, self.now(), actor.clone(), plan.to_owned());
        let before = tenant.plan.clone();
        self.pool()
            .run_in(Some(id), TxMode::Write, move |conn| {
                diesel::update(tenants::table.find(id))
                    .set((
                        tenants::plan.eq(&plan_name),
                        tenants::version.eq(tenants::version + 1),
                        tenants::updated_at.eq(to_db(now)),
                    ))
                    .execute(conn)?;
                let detail = json!({ "plan": plan_name, "previous": before });
                let event = AuditEvent::row(
                    id,
                    now,
                    &actor,
                    "tenant.plan",
                    "tenant",
                    &id.to_string(),
                    &detail,
                );
                diesel::insert_into(audit_events::table)
                    .values(&event)
                    .execute(conn)?;
                Invalidation::Tenant(id).send(conn)
            })
            .await?;
        self.forget_tenant(slug, id);
        self.tenants().get(slug).await
    }
}
