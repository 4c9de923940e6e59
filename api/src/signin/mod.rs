//! The hosted sign-in pages of a tenant, under `/t/{tenant}/`: `login` and
//! its second step `login/code`, `logout`, `account` (with
//! `account/totp` and `account/sign-out-everywhere`). Server-rendered forms
//! that work without
//! JavaScript; every post carries a CSRF token and must come from our own
//! origin. The rules live in `latchkey_tenants::signin`; these handlers
//! parse the form, call it and draw the answer.

mod guard;
mod self_service;
mod steps;

use std::net::IpAddr;
use std::time::Duration;

use askama::Template;
use latchkey_tenants::signin::{Client, Lifetimes, OpenedSession, Session};
use latchkey_tenants::tenant::Tenant;
use latchkey_tenants::{Actor, Error, TenantScope};
use poem::http::StatusCode;
use poem::web::Redirect;
use poem::{EndpointExt, IntoResponse, Request, Response, Route, get, post};
use serde::Deserialize;

use crate::client_address::ProxyTrust;
use crate::request_id::current_request_id;
use crate::state::AppState;
use guard::Transport;
use self_service::{account, confirm_totp, logout, sign_out_everywhere, totp_page};
use steps::{code, code_page, login, login_page};

/// What the pages need beyond the app state.
#[derive(Clone)]
pub struct Pages {
    state: AppState,
    proxies: ProxyTrust,
    transport: Transport,
}

impl Pages {
    pub fn new(state: AppState, proxies: ProxyTrust) -> Self {
        let transport = Transport {
            https: state.public_url.starts_with("https://"),
        };
        Pages {
            state,
            proxies,
            transport,
        }
    }
}

/// Adds the pages' routes to the app's.
pub fn mount(route: Route, pages: Pages) -> Route {
    let named = crate::pages::named;
    route
        .at(
            "/t/:tenant/login",
            get(login_page)
                .post(login)
                .map(named("signInPage"))
                .data(pages.clone()),
        )
        .at(
            "/t/:tenant/login/code",
            get(code_page)
                .post(code)
                .map(named("secondFactorPage"))
                .data(pages.clone()),
        )
        .at(
            "/t/:tenant/logout",
            post(logout).map(named("signOutPage")).data(pages.clone()),
        )
        .at(
            "/t/:tenant/account",
            get(account).map(named("accountPage")).data(pages.clone()),
        )
        .at(
            "/t/:tenant/account/totp",
            get(totp_page)
                .post(confirm_totp)
                .map(named("totpEnrolmentPage"))
                .data(pages.clone()),
        )
        .at(
            "/t/:tenant/account/sign-out-everywhere",
            post(sign_out_everywhere)
                .map(named("accountPage"))
                .data(pages),
        )
}

#[derive(Template)]
#[template(path = "signin_message.html")]
struct MessagePage<'a> {
    organization: &'a str,
    title: &'a str,
    message: &'a str,
}

fn message(status: StatusCode, organization: &str, title: &str, text: &str) -> Response {
    page(
        status,
        MessagePage {
            organization,
            title,
            message: text,
        }
        .render(),
    )
}

#[derive(Deserialize)]
pub(super) struct ReturnTo {
    pub(super) return_to: Option<String>,
}

#[derive(Deserialize)]
pub(super) struct CsrfForm {
    #[serde(default)]
    pub(super) csrf: String,
}

impl Pages {
    /// The tenant of the path, bound to an actor for the audit log; a page
    /// saying why when there is none to sign in to.
    async fn tenant(&self, slug: &str, actor: &str) -> Result<TenantScope, Response> {
        let tenant = match self.state.store.tenants().get(slug).await {
            Ok(t) => t,
            Err(Error::NotFound(_)) => {
                return Err(message(
                    StatusCode::NOT_FOUND,
                    "Latchkey",
                    "No such organization",
                    "Check the address you were given.",
                ));
            }
            Err(e) => return Err(self.failure(None, e)),
        };
        if let Err(e) = tenant.ensure_usable() {
            return Err(self.failure(Some(&tenant), e));
        }
        let actor = Actor {
            id: actor.to_owned(),
            request_id: current_request_id().unwrap_or_default(),
        };
        Ok(self.state.store.tenant(tenant, actor))
    }

    fn failure(&self, tenant: Option<&Tenant>, e: Error) -> Response {
        let organization = tenant.map_or("Latchkey", |t| t.display_name.as_str());
        match e {
            Error::TenantSuspended(_) | Error::TenantDeleting(_) | Error::TenantPending(_) => {
                message(
                    StatusCode::FORBIDDEN,
                    organization,
                    "Sign-in is not available",
                    "This organization cannot be signed in to right now.",
                )
            }
            e => {
                tracing::error!(error = %e, "sign-in page failed");
                message(
                    StatusCode::SERVICE_UNAVAILABLE,
                    organization,
                    "Something went wrong",
                    "Something went wrong on our side. Try again in a moment.",
                )
            }
        }
    }

    fn client(&self, req: &Request) -> Client {
        let peer: Option<IpAddr> = req.remote_addr().as_socket_addr().map(|a| a.ip());
        Client {
            address: self.proxies.client(peer, req.headers()),
            user_agent: req
                .headers()
                .get("user-agent")
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned),
        }
    }

    /// The signed-in session of the request at this tenant, if any.
    async fn session(&self, scope: &TenantScope, req: &Request) -> Option<(String, Session)> {
        let secret = self.transport.session(req, scope.tenant().id)?;
        let session = scope
            .sessions()
            .current(&secret, Lifetimes::default())
            .await
            .ok()?;
        Some((secret, session))
    }

    fn account_path(slug: &str) -> String {
        format!("/t/{slug}/account")
    }

    fn forbidden(&self, organization: &str) -> Response {
        message(
            StatusCode::FORBIDDEN,
            organization,
            "This form has expired",
            "Go back, reload the page and try again.",
        )
    }

    fn clear_session(&self, req: &Request, scope: &TenantScope) {
        req.cookie().add(self.transport.cookie(
            self.transport.session_name(scope.tenant().id),
            "",
            Duration::ZERO,
        ));
    }

    /// Puts a just-opened session's secret into the browser.
    fn set_session(&self, req: &Request, scope: &TenantScope, opened: &OpenedSession) {
        let max_age = (opened.session.expires_at - opened.session.auth_time)
            .try_into()
            .unwrap_or_default();
        req.cookie().add(self.transport.cookie(
            self.transport.session_name(scope.tenant().id),
            &opened.secret,
            max_age,
        ));
    }

    /// The tenant of a form post our own page made; a refusal otherwise.
    async fn posted(&self, slug: &str, req: &Request, csrf: &str) -> Result<TenantScope, Response> {
        let scope = self.tenant(slug, "anonymous").await?;
        if !self
            .transport
            .form_is_ours(req, &self.state.public_url, csrf)
        {
            return Err(self.forbidden(&scope.tenant().display_name));
        }
        Ok(scope)
    }

    /// A form post of a signed-in user's own page: the scope acts as the
    /// user (the audit log names them); without a session, to sign in.
    async fn user_post(
        &self,
        slug: &str,
        req: &Request,
        csrf: &str,
    ) -> Result<(TenantScope, Session), Response> {
        let scope = self.posted(slug, req, csrf).await?;
        let Some((_, session)) = self.session(&scope, req).await else {
            return Err(Self::to_login(slug));
        };
        Ok((self.as_user(&scope, &session), session))
    }

    fn to_login(slug: &str) -> Response {
        Redirect::see_other(format!("/t/{slug}/login")).into_response()
    }

    /// Where a finished sign-in goes: `return_to`, else the account page.
    fn landing(slug: &str, return_to: &str) -> String {
        if return_to.is_empty() {
            Self::account_path(slug)
        } else {
            return_to.to_owned()
        }
    }

    /// The same scope, acting as the signed-in user (for the audit log).
    fn as_user(&self, scope: &TenantScope, session: &Session) -> TenantScope {
        let actor = Actor {
            id: format!("user:{}", session.user_id),
            request_id: current_request_id().unwrap_or_default(),
        };
        self.state.store.tenant(scope.tenant().clone(), actor)
    }
}

/// A sign-in page: as every page, except that the browser keeps the
/// `Referer` within our origin: with none at all it would send `Origin: null`
/// on the forms' posts, which the origin check must refuse.
fn page(status: StatusCode, body: Result<String, askama::Error>) -> Response {
    let mut resp = crate::pages::html(status, body);
    resp.headers_mut().insert(
        "referrer-policy",
        poem::http::HeaderValue::from_static("same-origin"),
    );
    resp
}

/// `429` with `Retry-After`.
fn with_retry_after(mut resp: Response, retry_after: Duration) -> Response {
    if let Ok(value) = retry_after.as_secs().max(1).to_string().parse() {
        resp.headers_mut().insert("retry-after", value);
    }
    resp
}

/// What a throttled form says.
fn too_many(retry_after: Duration) -> String {
    let minutes = retry_after.as_secs().div_ceil(60).max(1);
    format!("Too many attempts. Try again in {minutes} minutes.")
}
