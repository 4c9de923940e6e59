//! The request and response bodies of the signup API.

use latchkey_tenants::signup::ConsoleSession;
use poem_openapi::{Enum, Object};
use time::OffsetDateTime;

use super::Signup;
use crate::text::Text;

/// A new organization and its first admin.
#[derive(Clone, Object)]
#[oai(example)]
pub struct SignupRequest {
    /// The organization's name as people read it.
    pub organization_name: Text,
    /// The organization's slug: 3–63 lowercase letters, digits and hyphens,
    /// starting with a letter; it names the organization in every URL.
    pub slug: Text,
    /// The first admin's email address; a verification link goes there.
    pub email: Text,
    /// At least 12 characters; not a common password, and not containing
    /// the email address, the slug or the organization's name.
    #[oai(write_only)]
    pub password: Text,
}

impl std::fmt::Debug for SignupRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignupRequest")
            .field("organization_name", &self.organization_name)
            .field("slug", &self.slug)
            .finish_non_exhaustive()
    }
}

impl poem_openapi::types::Example for SignupRequest {
    fn example() -> Self {
        SignupRequest {
            organization_name: "Acme Corporation".into(),
            slug: "acme".into(),
            email: "ada@acme.example".into(),
            password: "violet-harbour-tangent-42".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, Enum)]
#[oai(rename_all = "lowercase")]
pub enum SignupStatus {
    /// The organization exists and waits for the email address to be verified.
    Pending,
}

/// The signup was accepted; the verification mail is on its way.
#[derive(Debug, Clone, Object)]
pub struct SignupAccepted {
    pub slug: String,
    pub status: SignupStatus,
    /// Until when the verification link works (and the slug is held).
    pub verification_expires_at: OffsetDateTime,
    pub message: String,
}

#[derive(Debug, Clone, Object)]
pub struct ResendRequest {
    pub slug: Text,
    /// The admin's email address, as signed up with.
    pub email: Text,
}

#[derive(Debug, Clone, Object)]
pub struct ResendAccepted {
    pub message: String,
}

#[derive(Debug, Clone, Object)]
pub struct SlugAvailability {
    pub slug: String,
    pub available: bool,
    /// Why it is not available: the broken rule, or that it is taken.
    #[oai(skip_serializing_if_is_none)]
    pub reason: Option<String>,
}

#[derive(Debug, Clone, Object)]
pub struct SlugSuggestion {
    /// A free, valid slug derived from the organization's name.
    pub slug: String,
}

#[derive(Debug, Clone, Object)]
pub struct VerifyRequest {
    /// The organization's slug (the link's `tenant` parameter).
    pub slug: Text,
    /// The link's `token` parameter.
    pub token: Text,
}

/// A verified, active organization.
#[derive(Debug, Clone, Object)]
pub struct VerifiedSignup {
    pub slug: String,
    pub organization_name: String,
    pub status: crate::models::TenantStatusDto,
    /// The base URL to configure in Entra ID, Okta or an HR tool.
    pub scim_base_url: String,
}

#[derive(Clone, Object)]
pub struct SignInRequest {
    pub slug: Text,
    pub email: Text,
    #[oai(write_only)]
    pub password: Text,
}

impl std::fmt::Debug for SignInRequest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInRequest")
            .field("slug", &self.slug)
            .finish_non_exhaustive()
    }
}

/// The signed-in console admin and their organization.
#[derive(Debug, Clone, Object)]
pub struct ConsoleSessionDto {
    pub slug: String,
    pub organization_name: String,
    pub email: String,
    pub scim_base_url: String,
    pub expires_at: OffsetDateTime,
}

impl ConsoleSessionDto {
    pub(super) fn new(signup: &Signup, s: &ConsoleSession) -> Self {
        ConsoleSessionDto {
            slug: s.tenant.slug.clone(),
            organization_name: s.tenant.display_name.clone(),
            email: s.email.clone(),
            scim_base_url: signup.scim_base_url(&s.tenant.slug),
            expires_at: s.expires_at,
        }
    }
}
