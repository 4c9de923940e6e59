//! The hosted sign-in pages of a tenant, under `/t/{tenant}/`: `login`,
//! `logout` and `account`. Server-rendered forms that work without
//! JavaScript; every post carries a CSRF token and must come from our own
//! origin. The rules live in `latchkey_tenants::signin`; these handlers
//! parse the form, call it and draw the answer.

mod guard;

use std::net::IpAddr;
use std::time::Duration;

use askama::Template;
use latchkey_tenants::error::AuthFailure;
use latchkey_tenants::page::PageRequest;
use latchkey_tenants::signin::{Client, Lifetimes, Session};
use latchkey_tenants::tenant::Tenant;
use latchkey_tenants::{Actor, Error, TenantScope};
use poem::http::StatusCode;
use poem::web::{Data, Form, Path, Query, Redirect};
use poem::{EndpointExt, IntoResponse, Request, Response, Route, get, handler, post};
use serde::Deserialize;

use crate::client_address::ProxyTrust;
use crate::pages::html;
use crate::request_id::current_request_id;
use crate::state::AppState;
use guard::{Transport, same_origin_path};

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
            "/t/:tenant/logout",
            post(logout).map(named("signOutPage")).data(pages.clone()),
        )
        .at(
            "/t/:tenant/account",
            get(account).map(named("accountPage")).data(pages.clone()),
        )
        .at(
            "/t/:tenant/account/sign-out-everywhere",
            post(sign_out_everywhere)
                .map(named("accountPage"))
                .data(pages),
        )
}

#[derive(Template)]
#[template(path = "signin_login.html")]
struct LoginPage<'a> {
    organization: &'a str,
    slug: &'a str,
    csrf: &'a str,
    return_to: &'a str,
    login: &'a str,
    error: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "signin_account.html")]
struct AccountPage<'a> {
    organization: &'a str,
    slug: &'a str,
    csrf: &'a str,
    user_name: &'a str,
    sessions: Vec<SessionLine>,
}

struct SessionLine {
    id: String,
    current: bool,
    user_agent: String,
    address: String,
    since: String,
}

#[derive(Template)]
#[template(path = "signin_message.html")]
struct MessagePage<'a> {
    organization: &'a str,
    title: &'a str,
    message: &'a str,
}

fn message(status: StatusCode, organization: &str, title: &str, text: &str) -> Response {
    html(
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
struct ReturnTo {
    return_to: Option<String>,
}

#[derive(Deserialize)]
struct LoginForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    login: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    return_to: String,
}

#[derive(Deserialize)]
struct CsrfForm {
    #[serde(default)]
    csrf: String,
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
}

#[handler]
async fn login_page(
    pages: Data<&Pages>,
    req: &Request,
    Path(slug): Path<String>,
    Query(params): Query<ReturnTo>,
) -> Response {
    let scope = match pages.tenant(&slug, "anonymous").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let return_to = params
        .return_to
        .as_deref()
        .and_then(same_origin_path)
        .unwrap_or("");
    if pages.session(&scope, req).await.is_some() {
        let to = if return_to.is_empty() {
            Pages::account_path(&slug)
        } else {
            return_to.to_owned()
        };
        return Redirect::see_other(to).into_response();
    }
    let csrf = pages.transport.csrf_token(req);
    html(
        StatusCode::OK,
        LoginPage {
            organization: &scope.tenant().display_name,
            slug: &scope.tenant().slug,
            csrf: &csrf,
            return_to,
            login: "",
            error: None,
        }
        .render(),
    )
}

#[handler]
async fn login(
    pages: Data<&Pages>,
    req: &Request,
    Path(slug): Path<String>,
    Form(form): Form<LoginForm>,
) -> Response {
    let scope = match pages.tenant(&slug, "anonymous").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let organization = scope.tenant().display_name.clone();
    if !pages
        .transport
        .form_is_ours(req, &pages.state.public_url, &form.csrf)
    {
        return pages.forbidden(&organization);
    }
    let return_to = same_origin_path(&form.return_to).unwrap_or("");
    let attempt = scope
        .sign_in()
        .with_password(
            &form.login,
            &form.password,
            &pages.client(req),
            Lifetimes::default(),
        )
        .await;
    let again = |status: StatusCode, error: &str| {
        html(
            status,
            LoginPage {
                organization: &organization,
                slug: &slug,
                csrf: &form.csrf,
                return_to,
                login: &form.login,
                error: Some(error),
            }
            .render(),
        )
    };
    match attempt {
        Ok(opened) => {
            let max_age = (opened.session.expires_at - opened.session.auth_time)
                .try_into()
                .unwrap_or_default();
            req.cookie().add(pages.transport.cookie(
                pages.transport.session_name(scope.tenant().id),
                &opened.secret,
                max_age,
            ));
            let to = if return_to.is_empty() {
                Pages::account_path(&slug)
            } else {
                return_to.to_owned()
            };
            Redirect::see_other(to).into_response()
        }
        Err(Error::Unauthenticated(AuthFailure::Credentials)) => again(
            StatusCode::UNAUTHORIZED,
            "That user name or email and password do not match.",
        ),
        Err(Error::Throttled { retry_after }) => {
            let mut resp = again(
                StatusCode::TOO_MANY_REQUESTS,
                &format!(
                    "Too many attempts. Try again in {} minutes.",
                    retry_after.as_secs().div_ceil(60).max(1)
                ),
            );
            if let Ok(value) = retry_after.as_secs().max(1).to_string().parse() {
                resp.headers_mut().insert("retry-after", value);
            }
            resp
        }
        Err(e) => pages.failure(Some(scope.tenant()), e),
    }
}

#[handler]
async fn logout(
    pages: Data<&Pages>,
    req: &Request,
    Path(slug): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let scope = match pages.tenant(&slug, "anonymous").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !pages
        .transport
        .form_is_ours(req, &pages.state.public_url, &form.csrf)
    {
        return pages.forbidden(&scope.tenant().display_name);
    }
    if let Some(secret) = pages.transport.session(req, scope.tenant().id)
        && let Err(e) = scope.sessions().sign_out(&secret).await
    {
        return pages.failure(Some(scope.tenant()), e);
    }
    pages.clear_session(req, &scope);
    Redirect::see_other(format!("/t/{slug}/login")).into_response()
}

#[handler]
async fn account(pages: Data<&Pages>, req: &Request, Path(slug): Path<String>) -> Response {
    let scope = match pages.tenant(&slug, "anonymous").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some((_, session)) = pages.session(&scope, req).await else {
        let back = Pages::account_path(&slug);
        return Redirect::see_other(format!("/t/{slug}/login?return_to={back}")).into_response();
    };
    let listed = match scope
        .sessions()
        .list(session.user_id, PageRequest::first(50))
        .await
    {
        Ok(page) => page.items,
        Err(e) => return pages.failure(Some(scope.tenant()), e),
    };
    let sessions = listed
        .into_iter()
        .map(|s| SessionLine {
            id: s.id.to_string(),
            current: s.id == session.id,
            user_agent: s.user_agent.unwrap_or_else(|| "A browser".into()),
            address: s.address.unwrap_or_default(),
            since: s
                .auth_time
                .format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default(),
        })
        .collect();
    let csrf = pages.transport.csrf_token(req);
    html(
        StatusCode::OK,
        AccountPage {
            organization: &scope.tenant().display_name,
            slug: &scope.tenant().slug,
            csrf: &csrf,
            user_name: &session.user_name,
            sessions,
        }
        .render(),
    )
}

#[handler]
async fn sign_out_everywhere(
    pages: Data<&Pages>,
    req: &Request,
    Path(slug): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let scope = match pages.tenant(&slug, "anonymous").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if !pages
        .transport
        .form_is_ours(req, &pages.state.public_url, &form.csrf)
    {
        return pages.forbidden(&scope.tenant().display_name);
    }
    let Some((_, session)) = pages.session(&scope, req).await else {
        return Redirect::see_other(format!("/t/{slug}/login")).into_response();
    };
    // The user acts on their own sessions: the audit log names them.
    let actor = Actor {
        id: format!("user:{}", session.user_id),
        request_id: current_request_id().unwrap_or_default(),
    };
    let scope = pages.state.store.tenant(scope.tenant().clone(), actor);
    if let Err(e) = scope.sessions().end_all(session.user_id).await {
        return pages.failure(Some(scope.tenant()), e);
    }
    pages.clear_session(req, &scope);
    Redirect::see_other(format!("/t/{slug}/login")).into_response()
}
