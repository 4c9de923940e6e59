//! The Stripe settings: all or none, and the billing service they make.

use anyhow::{Result, bail};

use super::Settings;

/// Ten years, far past any redelivery; bounded so that the pruning cutoff
/// stays an ordinary date.
pub(super) const MAX_STRIPE_EVENT_RETENTION_DAYS: u64 = 3650;

impl Settings {
    /// Billing is all or nothing: with the secret key, the webhook secret
    /// and both prices; without it, none of the others (a half-configured
    /// billing would take money and never change a plan).
    pub(super) fn check_billing(&self) -> Result<()> {
        let others = [
            (
                "LATCHKEY_STRIPE_WEBHOOK_SECRET",
                &self.stripe_webhook_secret,
            ),
            ("LATCHKEY_STRIPE_PRICE_TEAM", &self.stripe_price_team),
            (
                "LATCHKEY_STRIPE_PRICE_ENTERPRISE",
                &self.stripe_price_enterprise,
            ),
            ("LATCHKEY_STRIPE_API_BASE", &self.stripe_api_base),
        ];
        if self.stripe_secret_key.is_none() {
            if let Some((name, _)) = others.iter().find(|(_, v)| v.is_some()) {
                bail!(
                    "{name} is set but LATCHKEY_STRIPE_SECRET_KEY is missing (billing is off without it)"
                );
            }
            return Ok(());
        }
        let missing: Vec<&str> = others[..3]
            .iter()
            .filter(|(_, v)| v.as_deref().is_none_or(str::is_empty))
            .map(|(name, _)| *name)
            .collect();
        if !missing.is_empty() {
            bail!(
                "LATCHKEY_STRIPE_SECRET_KEY is set, so billing also needs {}",
                missing.join(", ")
            );
        }
        if self.stripe_price_team == self.stripe_price_enterprise {
            bail!(
                "LATCHKEY_STRIPE_PRICE_TEAM and LATCHKEY_STRIPE_PRICE_ENTERPRISE must be different prices"
            );
        }
        if let Some(url) = &self.stripe_api_base
            && !(url.starts_with("http://") || url.starts_with("https://"))
        {
            bail!("LATCHKEY_STRIPE_API_BASE (stripe_api_base) must be an http:// or https:// URL");
        }
        if self.billing_sync_secs == 0 {
            bail!("LATCHKEY_BILLING_SYNC_SECS (billing_sync_secs) must be at least 1");
        }
        if self.billing_grace_days > 365 {
            bail!("LATCHKEY_BILLING_GRACE_DAYS (billing_grace_days) must be 0 to 365");
        }
        Ok(())
    }

    /// Billing, when `stripe_secret_key` is set.
    pub fn billing(&self) -> Result<Option<crate::billing::Billing>> {
        let Some(key) = &self.stripe_secret_key else {
            return Ok(None);
        };
        let (Some(secret), Some(team), Some(enterprise)) = (
            &self.stripe_webhook_secret,
            &self.stripe_price_team,
            &self.stripe_price_enterprise,
        ) else {
            bail!(
                "LATCHKEY_STRIPE_SECRET_KEY needs LATCHKEY_STRIPE_WEBHOOK_SECRET, LATCHKEY_STRIPE_PRICE_TEAM and LATCHKEY_STRIPE_PRICE_ENTERPRISE"
            );
        };
        let settings = latchkey_stripe::StripeSettings {
            secret_key: key.clone(),
            api_base: self.stripe_api_base.clone(),
        };
        let prices = latchkey_tenants::billing::BillingPrices {
            prices: vec![
                ("team".into(), team.clone()),
                ("enterprise".into(), enterprise.clone()),
            ],
        };
        Ok(Some(crate::billing::Billing::new(
            &settings, secret, prices,
        )?))
    }

    pub fn billing_grace(&self) -> time::Duration {
        time::Duration::days(i64::try_from(self.billing_grace_days).unwrap_or(365))
    }

    pub fn stripe_event_retention(&self) -> time::Duration {
        // Within the bound, the cast is exact.
        let days = self
            .stripe_event_retention_days
            .min(MAX_STRIPE_EVENT_RETENTION_DAYS);
        time::Duration::days(days as i64)
    }
}
