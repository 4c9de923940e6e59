//! Hosted signup (`/api/v1/signup…`): a new organization and its first
//! admin, email verification, and the console session that lets the admin
//! create the first tokens. Off unless `LATCHKEY_SIGNUP_ENABLED`; then every
//! endpoint here answers `404 signup-disabled`.

pub mod mail;
pub mod service;

mod dto;
pub use dto::{
    ConsoleSessionDto, ResendAccepted, ResendRequest, SignInRequest, SignupAccepted, SignupRequest,
    SignupStatus, SlugAvailability, SlugSuggestion, VerifiedSignup, VerifyRequest,
};
pub use service::{SESSION_COOKIE, Signup, session_cookie};

use latchkey_tenants::Actor;
use latchkey_tenants::page::PageRequest;
use latchkey_tenants::signup::{ConsoleSession, NewSignup, PendingSignup};
use lettre::message::Mailbox;
use poem::Request;
use poem::http::StatusCode;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi};

use crate::error::{ApiError, ApiResult, Problem};
use crate::models::{CreateToken, CreatedToken, TokenList};
use crate::ratelimit::RateLimiter;
use crate::request_id::current_request_id;
use crate::state::AppState;
use crate::tags::ApiTags;

fn actor(id: &str) -> Actor {
    Actor {
        id: id.to_owned(),
        request_id: current_request_id().unwrap_or_default(),
    }
}

impl AppState {
    /// The signup service, or `404 signup-disabled`.
    pub fn signup(&self) -> ApiResult<&Signup> {
        self.signup.as_deref().ok_or_else(|| {
            ApiError::from_problem(Problem::new(
                StatusCode::NOT_FOUND,
                "signup-disabled",
                "signup is not enabled on this installation",
            ))
        })
    }

    /// Counts a costly signup request against the client's address.
    pub fn signup_rate(&self, signup: &Signup, req: &Request) -> ApiResult<()> {
        limit(&signup.limiter, req, "signup requests")
    }

    /// Counts a slug lookup against the client's address.
    pub fn slug_lookup_rate(&self, signup: &Signup, req: &Request) -> ApiResult<()> {
        limit(&signup.slug_lookups, req, "slug lookups")
    }

    /// The console session of a request. Changes also pass
    /// [`same_origin`]; the cookie is `SameSite=Strict` besides.
    pub async fn console(&self, req: &Request) -> ApiResult<(ConsoleSession, Actor)> {
        self.signup()?;
        let secret = session_cookie(req).ok_or(latchkey_tenants::Error::Unauthenticated(
            latchkey_tenants::error::AuthFailure::Session,
        ))?;
        let session = self.store.signups().session(&secret).await?;
        let actor = actor(&format!("admin:{}", session.admin_id));
        Ok((session, actor))
    }
}

/// Takes one request from the client address's bucket of `limiter`.
fn limit(limiter: &RateLimiter, req: &Request, what: &str) -> ApiResult<()> {
    let address = limiter.client_address(
        req.remote_addr().as_socket_addr().map(|a| a.ip()),
        req.headers(),
    );
    limiter.check(address, None).map_err(|retry| {
        ApiError::from_problem(Problem::new(
            StatusCode::TOO_MANY_REQUESTS,
            "rate-limited",
            format!(
                "too many {what} from this address; retry in {} s",
                retry.as_secs()
            ),
        ))
    })
}

/// Refuses a request a browser marks as coming from another site: a change
/// made with the console cookie must come from our own pages.
pub fn same_origin(signup: &Signup, req: &Request) -> ApiResult<()> {
    let header = |name: &str| req.headers().get(name).and_then(|v| v.to_str().ok());
    let cross_site = header("sec-fetch-site").is_some_and(|v| v == "cross-site")
        || header("origin").is_some_and(|o| o != signup.origin());
    if cross_site {
        return Err(ApiError::from_problem(Problem::new(
            StatusCode::FORBIDDEN,
            "cross-site-request",
            "this request must come from the console page itself",
        )));
    }
    Ok(())
}

/// Mails the verification link of `pending` to `to`, apart from the answer:
/// the reply never waits on (or tells anything about) the mail server or the
/// address.
fn send_verification(signup: &Signup, to: &Mailbox, pending: &PendingSignup) -> ApiResult<()> {
    let link = signup.verification_link(&pending.tenant.slug, &pending.verification_token);
    let hours = signup.link_ttl.as_secs() / 3600;
    let message = signup
        .mailer
        .verification(to, &pending.tenant.display_name, &link, hours)
        .map_err(|e| latchkey_tenants::Error::Internal(e.to_string()))?;
    let mailer = signup.mailer.clone();
    let slug = pending.tenant.slug.clone();
    tokio::spawn(async move {
        match mailer.send(message).await {
            Ok(()) => tracing::info!(tenant = %slug, "verification mail sent"),
            Err(e) => tracing::warn!(tenant = %slug, error = %e, "verification mail not sent"),
        }
    });
    Ok(())
}

fn mailbox(email: &str) -> ApiResult<Mailbox> {
    email
        .trim()
        .parse::<lettre::Address>()
        .map(|a| Mailbox::new(None, a))
        .map_err(|_| ApiError::invalid("email", "is not a valid email address"))
}

#[derive(ApiResponse)]
enum Accepted {
    /// The organization is created, pending; the verification mail is sent.
    #[oai(status = 202)]
    Accepted(Json<SignupAccepted>),
}

#[derive(ApiResponse)]
enum ResendAnswer {
    /// Accepted; a link is mailed if the organization waits for this address.
    #[oai(status = 202)]
    Accepted(Json<ResendAccepted>),
}

#[derive(ApiResponse)]
enum SessionOpened {
    /// Signed in; the session is in the `latchkey_session` cookie
    /// (HttpOnly, SameSite=Strict).
    #[oai(status = 201)]
    Created(
        Json<ConsoleSessionDto>,
        #[oai(header = "Set-Cookie")] String,
    ),
}

#[derive(ApiResponse)]
enum SessionClosed {
    /// Signed out; the cookie is cleared.
    #[oai(status = 204)]
    Closed(#[oai(header = "Set-Cookie")] String),
}

#[derive(ApiResponse)]
enum TokenCreated {
    /// The token; `token` is the secret, shown this once.
    #[oai(status = 201)]
    Created(Json<CreatedToken>),
}

pub struct SignupApi {
    pub state: AppState,
}

#[OpenApi(tag = "ApiTags::Signup")]
impl SignupApi {
    /// Sign up a new organization
    ///
    /// Creates the organization (status `pending`, plan `free`) and its first
    /// admin, and mails a signed verification link to `email`; the
    /// organization is usable once the link is followed. The answer is the
    /// same for every email address. Limited per client address.
    #[oai(path = "/api/v1/signup", method = "post", operation_id = "signUp")]
    async fn sign_up(&self, req: &Request, body: Json<SignupRequest>) -> ApiResult<Accepted> {
        let signup = self.state.signup()?;
        self.state.signup_rate(signup, req)?;
        let b = body.0;
        let email = b.email.trim().to_owned();
        let to = mailbox(&email)?;
        let pending = self
            .state
            .store
            .signups()
            .start(
                NewSignup {
                    organization_name: b.organization_name.0,
                    slug: b.slug.0,
                    email,
                    password: b.password.0,
                },
                signup.link_ttl,
                &actor("signup"),
            )
            .await?;
        let hours = signup.link_ttl.as_secs() / 3600;
        send_verification(signup, &to, &pending)?;
        Ok(Accepted::Accepted(Json(SignupAccepted {
            slug: pending.tenant.slug,
            status: SignupStatus::Pending,
            verification_expires_at: pending.expires_at,
            message: format!(
                "We sent a verification link to the email address. Open it within {hours} hours to activate the organization."
            ),
        })))
    }

    /// Send the verification link again
    ///
    /// When the organization `slug` waits for verification of `email`, the
    /// link is mailed again (it expires when the first one does). The answer
    /// is the same in every case. Limited per client address.
    #[oai(
        path = "/api/v1/signup/resend",
        method = "post",
        operation_id = "resendVerification"
    )]
    async fn resend(&self, req: &Request, body: Json<ResendRequest>) -> ApiResult<ResendAnswer> {
        let signup = self.state.signup()?;
        self.state.signup_rate(signup, req)?;
        let to = mailbox(&body.0.email)?;
        if let Some(pending) = self
            .state
            .store
            .signups()
            .resend(
                &body.0.slug,
                &body.0.email,
                signup.link_ttl,
                &actor("signup"),
            )
            .await?
        {
            send_verification(signup, &to, &pending)?;
        }
        Ok(ResendAnswer::Accepted(Json(ResendAccepted {
            message: "If this organization is waiting for this address to be verified, the link is on its way again."
                .into(),
        })))
    }

    /// Check whether a slug is free
    ///
    /// For checking as the user types: says whether `slug` is valid and free,
    /// and if not, why.
    #[oai(
        path = "/api/v1/signup/slug-availability",
        method = "get",
        operation_id = "getSlugAvailability"
    )]
    async fn slug_availability(
        &self,
        req: &Request,
        slug: Query<String>,
    ) -> ApiResult<Json<SlugAvailability>> {
        let signup = self.state.signup()?;
        self.state.slug_lookup_rate(signup, req)?;
        let a = self
            .state
            .store
            .signups()
            .slug_availability(&slug.0, signup.link_ttl)
            .await?;
        Ok(Json(SlugAvailability {
            slug: a.slug,
            available: a.available,
            reason: a.reason,
        }))
    }

    /// Suggest a slug for an organization name
    #[oai(
        path = "/api/v1/signup/slug-suggestion",
        method = "get",
        operation_id = "getSlugSuggestion"
    )]
    async fn slug_suggestion(
        &self,
        req: &Request,
        #[oai(validator(max_length = 200))] organization_name: Query<String>,
    ) -> ApiResult<Json<SlugSuggestion>> {
        let signup = self.state.signup()?;
        self.state.slug_lookup_rate(signup, req)?;
        let slug = self
            .state
            .store
            .signups()
            .suggest_slug(&organization_name.0, signup.link_ttl)
            .await?;
        Ok(Json(SlugSuggestion { slug }))
    }

    /// Verify an email address
    ///
    /// What following the mailed link does: activates the organization.
    /// Verifying again answers the active organization.
    #[oai(
        path = "/api/v1/signup/verify",
        method = "post",
        operation_id = "verifySignup"
    )]
    async fn verify(
        &self,
        req: &Request,
        body: Json<VerifyRequest>,
    ) -> ApiResult<Json<VerifiedSignup>> {
        let signup = self.state.signup()?;
        self.state.signup_rate(signup, req)?;
        let tenant = self
            .state
            .store
            .signups()
            .verify(&body.0.slug, &body.0.token, &actor("signup"))
            .await?;
        Ok(Json(VerifiedSignup {
            scim_base_url: signup.scim_base_url(&tenant.slug),
            slug: tenant.slug.clone(),
            organization_name: tenant.display_name.clone(),
            status: crate::models::TenantDto::from(tenant).status,
        }))
    }

    /// Sign in to the console
    ///
    /// With the organization's slug and the admin's email and password; sets
    /// the session cookie. A wrong slug, email or password get the same
    /// `401 credentials-invalid`. Limited per client address.
    #[oai(
        path = "/api/v1/signup/session",
        method = "post",
        operation_id = "signIn"
    )]
    async fn sign_in(&self, req: &Request, body: Json<SignInRequest>) -> ApiResult<SessionOpened> {
        let signup = self.state.signup()?;
        same_origin(signup, req)?;
        self.state.signup_rate(signup, req)?;
        let b = body.0;
        let opened = self
            .state
            .store
            .signups()
            .sign_in(
                &b.slug,
                &b.email,
                &b.password,
                signup.session_ttl,
                &actor("console"),
            )
            .await?;
        Ok(SessionOpened::Created(
            Json(ConsoleSessionDto::new(signup, &opened.session)),
            signup.session_cookie(&opened.secret),
        ))
    }

    /// The console session
    ///
    /// Who is signed in (from the `latchkey_session` cookie).
    #[oai(
        path = "/api/v1/signup/session",
        method = "get",
        operation_id = "getConsoleSession"
    )]
    async fn session(&self, req: &Request) -> ApiResult<Json<ConsoleSessionDto>> {
        let (session, _) = self.state.console(req).await?;
        Ok(Json(ConsoleSessionDto::new(self.state.signup()?, &session)))
    }

    /// Sign out of the console
    #[oai(
        path = "/api/v1/signup/session",
        method = "delete",
        operation_id = "signOut"
    )]
    async fn sign_out(&self, req: &Request) -> ApiResult<SessionClosed> {
        let signup = self.state.signup()?;
        same_origin(signup, req)?;
        if let Some(secret) = session_cookie(req) {
            self.state.store.signups().sign_out(&secret).await?;
        }
        Ok(SessionClosed::Closed(signup.clear_cookie()))
    }

    /// Create a token from the console
    ///
    /// As `createToken`, for the signed-in admin's organization: `scim` for
    /// an identity system, `admin` or `read` for automation. The secret is
    /// returned once.
    #[oai(
        path = "/api/v1/signup/session/tokens",
        method = "post",
        operation_id = "createConsoleToken"
    )]
    async fn create_token(
        &self,
        req: &Request,
        body: Json<CreateToken>,
    ) -> ApiResult<TokenCreated> {
        same_origin(self.state.signup()?, req)?;
        let (session, actor) = self.state.console(req).await?;
        let scope = self.state.store.tenant(session.tenant, actor);
        let created = crate::admin::issue_token(&scope, body.0).await?;
        Ok(TokenCreated::Created(Json(created)))
    }

    /// List the organization's tokens from the console
    ///
    /// Never shows secrets.
    #[oai(
        path = "/api/v1/signup/session/tokens",
        method = "get",
        operation_id = "listConsoleTokens"
    )]
    async fn list_tokens(
        &self,
        req: &Request,
        #[oai(validator(minimum(value = "1"), maximum(value = "200")))] limit: Query<Option<u32>>,
        cursor: Query<Option<String>>,
    ) -> ApiResult<Json<TokenList>> {
        let (session, actor) = self.state.console(req).await?;
        let scope = self.state.store.tenant(session.tenant, actor);
        let page = PageRequest::parse(limit.0, cursor.0.as_deref())?;
        Ok(Json(scope.tokens().list(page).await?.into()))
    }
}
