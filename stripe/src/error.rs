//! The crate's one error type.

/// What went wrong talking to Stripe. Never carries the secret key (the
/// client scrubs it from anything Stripe or the transport reports), so every
/// message is safe to log.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BillingError {
    /// Stripe answered with an error status and its error body.
    #[error("Stripe answered {status}{}: {message}", code.as_deref().map(|c| format!(" ({c})")).unwrap_or_default())]
    Api {
        status: u16,
        /// Stripe's `error.code` (e.g. `resource_missing`), when it gave one.
        code: Option<String>,
        message: String,
    },
    /// Stripe could not be reached, timed out, or answered something that is
    /// not Stripe's JSON.
    #[error("cannot talk to Stripe: {0}")]
    Transport(String),
    /// A request we refuse to send (bad settings, empty idempotency key, zero
    /// quantity) or an answer that lacks what we need (e.g. no item on a
    /// subscription).
    #[error("invalid billing request or answer: {0}")]
    Invalid(String),
}
