//! The tags that group the OpenAPI document's operations.

use poem_openapi::Tags;

#[derive(Tags)]
pub enum ApiTags {
    /// Operator API: tenants and platform tokens (platform token required).
    Tenants,
    /// The tenant's users.
    Users,
    /// The tenant's groups and their members.
    Groups,
    /// The tenant's API and SCIM tokens.
    Tokens,
    /// The tenant's signing keys and public JWKS.
    Keys,
    /// The tenant's audit log.
    Audit,
    /// Licences (operator API), plans and a tenant's entitlements.
    License,
    /// SCIM 2.0 (RFC 7643/7644) per tenant, for Entra ID, Okta and HR tools:
    /// `application/scim+json`, a SCIM token (`lks_…`), SCIM error bodies.
    Scim,
    /// Hosted signup: new organizations, email verification, and the console
    /// session of their first admin (off unless `LATCHKEY_SIGNUP_ENABLED`).
    Signup,
    /// Paid plans through Stripe: upgrade (Checkout) and billing status
    /// (off unless `LATCHKEY_STRIPE_SECRET_KEY`).
    Billing,
    /// Health, readiness and metrics.
    Operations,
}
