//! Server-rendered pages: `/signup` (the form), `/signup/verify` (where the
//! mailed link lands) and `/signup/console` (sign in, SCIM URL, first
//! tokens). The pages call the JSON API of [`crate::signup`] with a little
//! vanilla JavaScript; there is no frontend build step.

use askama::Template;
use latchkey_tenants::Error;
use latchkey_tenants::error::LinkFailure;
use poem::http::StatusCode;
use poem::web::{Data, Query};
use poem::{EndpointExt, IntoEndpoint, Request, Response, Route, get, handler};
use serde::Deserialize;

use crate::signup::{Signup, session_cookie};
use crate::state::AppState;

const CSS: &str = include_str!("../assets/signup.css");
const JS: &str = include_str!("../assets/signup.js");

/// Scripts and styles come only from our own files; nothing may frame the
/// pages, and no `Referer` carries a verification link anywhere.
const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; \
connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

pub fn routes(state: AppState) -> impl IntoEndpoint {
    Route::new()
        .at("/", get(form).map(named("signupPage")))
        .at("/verify", get(verify).map(named("signupVerifyPage")))
        .at("/console", get(console).map(named("signupConsolePage")))
        .at("/assets/signup.css", get(css).map(named("signupAsset")))
        .at("/assets/signup.js", get(js).map(named("signupAsset")))
        .data(state)
}

/// Names the page in logs, traces and metrics as operations are named.
pub(crate) fn named(
    route: &'static str,
) -> impl Fn(Response) -> std::future::Ready<Response> + Clone + Send + Sync {
    move |mut resp: Response| {
        resp.set_data(poem_openapi::OperationId(route));
        std::future::ready(resp)
    }
}

#[derive(Template)]
#[template(path = "signup_form.html")]
struct FormPage;

#[derive(Template)]
#[template(path = "signup_console.html")]
struct ConsolePage<'a> {
    /// Just verified: show the welcome banner.
    verified: bool,
    slug: &'a str,
    organization_name: &'a str,
    scim_base_url: &'a str,
    /// Signed in as this address (else the sign-in form shows).
    signed_in_as: Option<&'a str>,
}

#[derive(Template)]
#[template(path = "signup_message.html")]
struct MessagePage<'a> {
    title: &'a str,
    message: &'a str,
}

/// A page: its status, body and the headers every page carries.
pub(crate) fn html(status: StatusCode, body: Result<String, askama::Error>) -> Response {
    match body {
        Ok(body) => Response::builder()
            .status(status)
            .content_type("text/html; charset=utf-8")
            .header("content-security-policy", CSP)
            .header("referrer-policy", "no-referrer")
            .header("x-content-type-options", "nosniff")
            .header("cache-control", "no-store")
            .body(body),
        Err(e) => {
            tracing::error!(error = %e, "page rendering failed");
            Response::builder()
                .status(StatusCode::INTERNAL_SERVER_ERROR)
                .body("an internal error occurred")
        }
    }
}

fn message(status: StatusCode, title: &str, text: &str) -> Response {
    html(
        status,
        MessagePage {
            title,
            message: text,
        }
        .render(),
    )
}

fn enabled(state: &AppState) -> Result<&Signup, Response> {
    state.signup.as_deref().ok_or_else(|| {
        message(
            StatusCode::NOT_FOUND,
            "Signup is not available",
            "This installation does not offer signup. Ask its operator for an organization.",
        )
    })
}

fn asset(content_type: &str, body: &'static str) -> Response {
    Response::builder()
        .content_type(content_type)
        .header("x-content-type-options", "nosniff")
        .header("cache-control", "public, max-age=300")
        .body(body)
}

#[handler]
fn css(state: Data<&AppState>) -> Response {
    match enabled(&state) {
        Ok(_) => asset("text/css; charset=utf-8", CSS),
        Err(r) => r,
    }
}

/// The stylesheet of every page (signup's and the tenants' sign-in pages),
/// served whether or not signup is on.
pub(crate) fn stylesheet() -> impl poem::Endpoint<Output = Response> {
    get(poem::endpoint::make_sync(|_| {
        asset("text/css; charset=utf-8", CSS)
    }))
    .map(named("stylesheet"))
}

#[handler]
fn js(state: Data<&AppState>) -> Response {
    match enabled(&state) {
        Ok(_) => asset("text/javascript; charset=utf-8", JS),
        Err(r) => r,
    }
}

#[handler]
fn form(state: Data<&AppState>) -> Response {
    match enabled(&state) {
        Ok(_) => html(StatusCode::OK, FormPage.render()),
        Err(r) => r,
    }
}

#[derive(Deserialize)]
struct VerifyParams {
    tenant: Option<String>,
    token: Option<String>,
}

/// Where the mailed link lands: verifies on the server and shows the
/// organization's SCIM URL and the sign-in form.
#[handler]
async fn verify(state: Data<&AppState>, req: &Request, params: Query<VerifyParams>) -> Response {
    let signup = match enabled(&state) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if state.signup_rate(signup, req).is_err() {
        return message(
            StatusCode::TOO_MANY_REQUESTS,
            "Too many attempts",
            "Too many requests came from your address. Wait a minute, then open the link again.",
        );
    }
    let (Some(slug), Some(token)) = (&params.tenant, &params.token) else {
        return link_error(LinkFailure::Invalid);
    };
    let actor = latchkey_tenants::Actor {
        id: "signup".into(),
        request_id: crate::request_id::current_request_id().unwrap_or_default(),
    };
    match state.store.signups().verify(slug, token, &actor).await {
        Ok(tenant) => html(
            StatusCode::OK,
            ConsolePage {
                verified: true,
                slug: &tenant.slug,
                organization_name: &tenant.display_name,
                scim_base_url: &signup.scim_base_url(&tenant.slug),
                signed_in_as: None,
            }
            .render(),
        ),
        Err(Error::LinkRefused(f)) => link_error(f),
        Err(e) => failure(e),
    }
}

fn link_error(f: LinkFailure) -> Response {
    let title = match f {
        LinkFailure::Expired => "This link has expired",
        LinkFailure::Invalid => "This link does not work",
    };
    message(StatusCode::BAD_REQUEST, title, &f.to_string())
}

fn failure(e: Error) -> Response {
    let status = match &e {
        Error::TenantSuspended(_) | Error::TenantDeleting(_) | Error::TenantPending(_) => {
            StatusCode::FORBIDDEN
        }
        Error::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::INTERNAL_SERVER_ERROR,
    };
    let text = if status == StatusCode::INTERNAL_SERVER_ERROR
        || status == StatusCode::SERVICE_UNAVAILABLE
    {
        tracing::error!(error = %e, "signup page failed");
        "Something went wrong on our side. Try again in a moment.".to_owned()
    } else {
        e.to_string()
    };
    message(status, "We could not open this page", &text)
}

#[derive(Deserialize)]
struct ConsoleParams {
    tenant: Option<String>,
}

/// The console: signed in, the SCIM URL and token creation; otherwise the
/// sign-in form (for `?tenant=slug`, or with a slug field).
#[handler]
async fn console(state: Data<&AppState>, req: &Request, params: Query<ConsoleParams>) -> Response {
    let signup = match enabled(&state) {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Some(secret) = session_cookie(req)
        && let Ok(session) = state.store.signups().session(&secret).await
    {
        return html(
            StatusCode::OK,
            ConsolePage {
                verified: false,
                slug: &session.tenant.slug,
                organization_name: &session.tenant.display_name,
                scim_base_url: &signup.scim_base_url(&session.tenant.slug),
                signed_in_as: Some(&session.email),
            }
            .render(),
        );
    }
    let slug = params
        .tenant
        .as_deref()
        .filter(|s| latchkey_tenants::tenant::validate_slug(s).is_ok())
        .unwrap_or("");
    html(
        StatusCode::OK,
        ConsolePage {
            verified: false,
            slug,
            organization_name: "",
            scim_base_url: "",
            signed_in_as: None,
        }
        .render(),
    )
}
