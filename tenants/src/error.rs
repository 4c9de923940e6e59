use std::fmt;

use diesel::result::DatabaseErrorKind;

/// What went wrong, in terms a caller can act on. The HTTP layer maps each
/// variant to one status and one stable problem code, in one place.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// Input that breaks a rule; `field` names the offending field.
    #[error("{field}: {message}")]
    Invalid { field: String, message: String },

    /// The resource does not exist *for this caller*. Resources of other
    /// tenants are reported exactly like missing ones.
    #[error("{0} not found")]
    NotFound(Resource),

    /// The change collides with stored state (a taken slug or name).
    #[error("{message}")]
    Conflict { code: &'static str, message: String },

    /// `If-Match` named a version that is no longer current.
    #[error("version mismatch: the resource is at version {current}")]
    VersionMismatch { current: i64 },

    #[error("{0}")]
    Unauthenticated(AuthFailure),

    /// Too many sign-in attempts for an account or from an address; the
    /// attempt was not checked. Throttling slows guessing and ends by itself.
    #[error("too many sign-in attempts; retry in {} s", retry_after.as_secs().max(1))]
    Throttled { retry_after: std::time::Duration },

    #[error("this token lacks the `{0}` scope")]
    InsufficientScope(&'static str),

    #[error("tenant `{0}` is suspended")]
    TenantSuspended(String),

    #[error("tenant `{0}` is being deleted")]
    TenantDeleting(String),

    /// Signed up, but its email address is not verified yet.
    #[error("tenant `{0}` is waiting for its email address to be verified")]
    TenantPending(String),

    /// A signed link (email verification) that is forged, malformed or expired.
    #[error("{0}")]
    LinkRefused(LinkFailure),

    /// A SCIM protocol error (RFC 7644 §3.12), by kind; the HTTP layer
    /// gives each kind its status.
    #[error("{detail}")]
    Scim { kind: ScimError, detail: String },

    /// A gated feature the tenant's plan and the installation's licence do
    /// not include (or include read-only); `message` says what includes it.
    #[error("{message}")]
    NotEntitled {
        feature: &'static str,
        message: String,
    },

    /// A new active internal user is refused: the plan's limit is reached, or
    /// the installation's licence is past its grace period.
    #[error("{0}")]
    SeatsExhausted(String),

    #[error("{0}")]
    Unavailable(String),

    /// A service we call (Stripe) refused or did not answer; the message
    /// is safe to show (it never carries a key).
    #[error("{0}")]
    Upstream(String),

    #[error("configuration: {0}")]
    Config(String),

    /// A bug or a broken invariant. The message is for logs, never for clients.
    #[error("internal error: {0}")]
    Internal(String),
}

/// The kinds of SCIM protocol error (RFC 7644 §3.12).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScimError {
    /// The filter is malformed, too deep, or names what cannot be filtered.
    InvalidFilter,
    /// The message does not have the shape its schema requires.
    InvalidSyntax,
    /// A PATCH path (or a Bulk operation's path) is malformed or names nothing.
    InvalidPath,
    /// A PATCH path with a value filter selected no value.
    NoTarget,
    /// A value is of the wrong type, or breaks a rule of its attribute.
    InvalidValue,
    /// A change to an attribute that cannot be changed.
    Mutability,
    /// The name is taken.
    Uniqueness,
    /// A Bulk request carries more operations than the server takes.
    TooManyOperations,
    /// A `bulkId:` reference names nothing created earlier in the request.
    UnresolvedBulkId,
    /// No resource at this path.
    NoSuchResource,
    /// The endpoint does not take this method.
    MethodNotAllowed,
    /// `If-Match` names a version this server never issued.
    UnknownVersion,
}

impl ScimError {
    /// The `scimType` of RFC 7644 §3.12 the error carries, if any.
    pub fn scim_type(self) -> Option<&'static str> {
        Some(match self {
            ScimError::InvalidFilter => "invalidFilter",
            ScimError::InvalidSyntax => "invalidSyntax",
            ScimError::InvalidPath => "invalidPath",
            ScimError::NoTarget => "noTarget",
            ScimError::InvalidValue | ScimError::UnresolvedBulkId => "invalidValue",
            ScimError::Mutability => "mutability",
            ScimError::Uniqueness => "uniqueness",
            ScimError::TooManyOperations => "tooMany",
            ScimError::NoSuchResource | ScimError::MethodNotAllowed | ScimError::UnknownVersion => {
                return None;
            }
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resource {
    Tenant,
    User,
    Group,
    Member,
    Token,
    SigningKey,
    License,
    Session,
    Factor,
}

impl fmt::Display for Resource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Resource::Tenant => "tenant",
            Resource::User => "user",
            Resource::Group => "group",
            Resource::Member => "group member",
            Resource::Token => "token",
            Resource::SigningKey => "signing key",
            Resource::License => "licence",
            Resource::Session => "session",
            Resource::Factor => "factor",
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthFailure {
    Missing,
    Malformed,
    Unknown,
    Expired,
    Revoked,
    /// Sign-in with an email and password that do not match an account; the
    /// same answer whether or not the email is known.
    Credentials,
    /// No console session, or one that has expired or was signed out.
    Session,
    /// A second factor's code that is wrong, or was used already.
    Code,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LinkFailure {
    Invalid,
    Expired,
}

impl fmt::Display for LinkFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            LinkFailure::Invalid => {
                "the verification link is not valid; use the latest link we emailed you"
            }
            LinkFailure::Expired => {
                "the verification link has expired; sign up again to get a new one"
            }
        })
    }
}

impl fmt::Display for AuthFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            AuthFailure::Missing => "no bearer token was given",
            AuthFailure::Malformed => "the bearer token is not a Latchkey token",
            AuthFailure::Unknown => "the bearer token is not valid",
            AuthFailure::Expired => "the bearer token has expired",
            AuthFailure::Revoked => "the bearer token has been revoked",
            AuthFailure::Credentials => "the email address or password is not right",
            AuthFailure::Session => {
                "you are not signed in, or your session has ended; sign in again"
            }
            AuthFailure::Code => "the code is not right, or it was used already",
        })
    }
}

impl Error {
    /// A SCIM protocol error of this kind.
    pub fn scim(kind: ScimError, detail: impl Into<String>) -> Self {
        Error::Scim {
            kind,
            detail: detail.into(),
        }
    }

    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        Error::Invalid {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl From<diesel::result::Error> for Error {
    fn from(err: diesel::result::Error) -> Self {
        match err {
            diesel::result::Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => {
                Error::Conflict {
                    code: "conflict",
                    message: "the change collides with an existing resource".into(),
                }
            }
            // Only reachable when a concurrent change removed what a write
            // refers to (a tenant deleted mid-request, say).
            diesel::result::Error::DatabaseError(DatabaseErrorKind::ForeignKeyViolation, _) => {
                Error::Conflict {
                    code: "conflict",
                    message: "the change refers to something that was removed meanwhile".into(),
                }
            }
            diesel::result::Error::DatabaseError(DatabaseErrorKind::ClosedConnection, _) => {
                Error::Unavailable("the database connection was lost".into())
            }
            diesel::result::Error::DatabaseError(DatabaseErrorKind::SerializationFailure, _) => {
                Error::Unavailable(
                    "the database could not serialise a concurrent change; retry".into(),
                )
            }
            // SQLite gave up waiting for the write lock (busy_timeout).
            diesel::result::Error::DatabaseError(_, info)
                if info.message().contains("database is locked") =>
            {
                Error::Unavailable("the database is busy; retry".into())
            }
            other => Error::Internal(format!("database: {other}")),
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
