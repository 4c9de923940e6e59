//! Upgrading a tenant: its Stripe customer (created on the first upgrade,
//! stored once) and a Checkout Session for a paid plan; and the tenant's
//! billing status.

use diesel::prelude::*;
use serde_json::json;
use time::OffsetDateTime;

use super::state::{TenantBilling, effective, grace_until};
use super::{BillingGateway, BillingPrices, CheckoutLink, CheckoutRequest, CustomerRequest};
use crate::db::schema::tenants;
use crate::error::{Error, Result};
use crate::licensing::entitlements::tenant_seats;
use crate::store::TenantScope;

/// A tenant's billing, as its admins see it (no Stripe secrets).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BillingStatus {
    /// The plan in effect now.
    pub plan: String,
    pub lapsed_from: Option<String>,
    pub warning: Option<String>,
    pub billing: TenantBilling,
    pub grace_until: Option<OffsetDateTime>,
    /// Active internal users now (what the subscription's quantity follows).
    pub seats_in_use: u64,
}

pub struct Billing<'a> {
    scope: &'a TenantScope,
}

impl TenantScope {
    pub fn billing(&self) -> Billing<'_> {
        Billing { scope: self }
    }
}

/// A URL Stripe may send the customer's browser back to.
fn check_return_url(field: &str, url: &str) -> Result<()> {
    let rest = url
        .strip_prefix("https://")
        .or_else(|| url.strip_prefix("http://"));
    let host = rest.and_then(|r| r.split(['/', '?', '#']).next());
    match host {
        _ if url.len() > 2048 => Err(Error::invalid(field, "is longer than 2048 characters")),
        _ if url.chars().any(|c| c.is_whitespace() || c.is_control()) => Err(Error::invalid(
            field,
            "must not contain spaces or control characters",
        )),
        Some(h) if !h.is_empty() && !h.contains('@') => Ok(()),
        _ => Err(Error::invalid(
            field,
            "must be an http:// or https:// URL with a host",
        )),
    }
}

fn stripe_failed(what: &str, why: String) -> Error {
    Error::Upstream(format!("Stripe refused or did not answer {what}: {why}"))
}

impl Billing<'_> {
    /// The tenant's billing state, read now (not from the cache).
    pub async fn status(&self) -> Result<BillingStatus> {
        let tenant = self
            .scope
            .store
            .tenants()
            .by_id(self.scope.tenant.id)
            .await?;
        let seats_in_use = self.scope.seats_in_use().await?;
        let now = self.scope.store.now();
        let grace = self.scope.store.shared.licensing.billing_grace;
        let e = effective(&tenant.plan, &tenant.billing, now, grace);
        Ok(BillingStatus {
            plan: e.plan,
            lapsed_from: e.lapsed_from,
            warning: e.warning,
            grace_until: grace_until(&tenant.billing, grace),
            billing: std::sync::Arc::unwrap_or_clone(tenant.billing),
            seats_in_use,
        })
    }

    /// A Checkout Session upgrading the tenant to `plan` (`team` or
    /// `enterprise`), for as many seats as it has active internal users
    /// (at least one). Creates the tenant's Stripe customer on the first
    /// upgrade.
    pub async fn checkout(
        &self,
        gateway: &dyn BillingGateway,
        prices: &BillingPrices,
        plan: &str,
        success_url: &str,
        cancel_url: &str,
    ) -> Result<CheckoutLink> {
        let price = prices
            .price_of(plan)
            .ok_or_else(|| {
                Error::invalid(
                    "plan",
                    match plan {
                        "team" | "enterprise" => "has no Stripe price configured",
                        _ => "must be team or enterprise",
                    },
                )
            })?
            .to_owned();
        check_return_url("success_url", success_url)?;
        check_return_url("cancel_url", cancel_url)?;
        self.scope.tenant.ensure_usable()?;
        let customer = self.customer(gateway).await?;
        let quantity = self.scope.read(tenant_seats).await?.max(1);
        let tenant = &self.scope.tenant;
        let request = CheckoutRequest {
            customer,
            price,
            quantity,
            success_url: success_url.to_owned(),
            cancel_url: cancel_url.to_owned(),
            client_reference_id: tenant.id.to_string(),
            metadata: vec![
                ("tenant_id".into(), tenant.id.to_string()),
                ("tenant_slug".into(), tenant.slug.clone()),
                ("plan".into(), plan.to_owned()),
            ],
        };
        gateway
            .create_checkout(&request)
            .await
            .map_err(|e| stripe_failed("the checkout session", e))
    }

    /// The tenant's Stripe customer: the stored one, else a new one stored
    /// now. Stripe's idempotency key makes racing first upgrades create one
    /// customer; the store never replaces a stored one.
    async fn customer(&self, gateway: &dyn BillingGateway) -> Result<String> {
        let id = self.scope.tenant.id;
        let stored = move |conn: &mut crate::db::DbConnection| -> Result<Option<String>> {
            Ok(tenants::table
                .find(id)
                .select(tenants::billing_customer_id)
                .first::<Option<String>>(conn)?)
        };
        if let Some(c) = self.scope.store.pool().run(stored).await? {
            return Ok(c);
        }
        let tenant = &self.scope.tenant;
        let created = gateway
            .create_customer(&CustomerRequest {
                name: tenant.display_name.clone(),
                metadata: vec![
                    ("tenant_id".into(), tenant.id.to_string()),
                    ("tenant_slug".into(), tenant.slug.clone()),
                ],
                idempotency_key: format!("customer-{id}"),
            })
            .await
            .map_err(|e| stripe_failed("the customer", e))?;
        let customer = self
            .scope
            .write(move |tx| {
                let written = diesel::update(
                    tenants::table
                        .find(tx.tenant)
                        .filter(tenants::billing_customer_id.is_null()),
                )
                .set(tenants::billing_customer_id.eq(Some(&created)))
                .execute(tx.conn)?;
                if written == 1 {
                    tx.audit(
                        "billing.customer",
                        "tenant",
                        &tx.tenant.to_string(),
                        json!({ "customer": created }),
                    )?;
                }
                stored(tx.conn)?.ok_or_else(|| Error::Internal("customer not stored".into()))
            })
            .await?;
        self.scope.store.forget_tenant_id(id);
        Ok(customer)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn return_urls_must_be_http_or_https_with_a_host() {
        for good in [
            "https://app.example.com/billing?ok=1",
            "http://localhost:3000/",
        ] {
            assert!(check_return_url("success_url", good).is_ok(), "{good}");
        }
        for bad in [
            "javascript:alert(1)",
            "ftp://x/",
            "https://",
            "https://u:p@h/",
            "https://a b/",
            "/relative",
        ] {
            assert!(check_return_url("success_url", bad).is_err(), "{bad}");
        }
    }
}
