//! The signed-in user's own pages: the account (sessions, factors), signing
//! out, and setting up an authenticator app.

use askama::Template;
use latchkey_tenants::Error;
use latchkey_tenants::error::AuthFailure;
use latchkey_tenants::page::PageRequest;
use poem::http::StatusCode;
use poem::web::{Data, Form, Path, Redirect};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

use super::{CsrfForm, Pages, page, too_many, with_retry_after};

#[derive(Template)]
#[template(path = "signin_account.html")]
struct AccountPage<'a> {
    organization: &'a str,
    slug: &'a str,
    csrf: &'a str,
    user_name: &'a str,
    /// The names of the user's factors.
    factors: Vec<String>,
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
#[template(path = "signin_totp.html")]
struct TotpPage<'a> {
    organization: &'a str,
    slug: &'a str,
    csrf: &'a str,
    factor: &'a str,
    secret: &'a str,
    uri: &'a str,
    /// The QR code of `uri`, as SVG markup we drew (no user input in it
    /// but the escaped URI's modules).
    qr_svg: &'a str,
    error: Option<&'a str>,
}

#[derive(Deserialize)]
pub(super) struct TotpForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    factor: String,
    #[serde(default)]
    code: String,
}

#[handler]
pub(super) async fn logout(
    pages: Data<&Pages>,
    req: &Request,
    Path(slug): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let scope = match pages.posted(&slug, req, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    if let Some(secret) = pages.transport.session(req, scope.tenant().id)
        && let Err(e) = scope.sessions().sign_out(&secret).await
    {
        return pages.failure(Some(scope.tenant()), e);
    }
    pages.clear_session(req, &scope);
    Pages::to_login(&slug)
}

#[handler]
pub(super) async fn account(
    pages: Data<&Pages>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
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
    let factors = match scope.factors().list(session.user_id).await {
        Ok(factors) => factors.into_iter().map(|f| f.name).collect(),
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
    page(
        StatusCode::OK,
        AccountPage {
            organization: &scope.tenant().display_name,
            slug: &scope.tenant().slug,
            csrf: &csrf,
            user_name: &session.user_name,
            factors,
            sessions,
        }
        .render(),
    )
}

#[handler]
pub(super) async fn sign_out_everywhere(
    pages: Data<&Pages>,
    req: &Request,
    Path(slug): Path<String>,
    Form(form): Form<CsrfForm>,
) -> Response {
    let (scope, session) = match pages.user_post(&slug, req, &form.csrf).await {
        Ok(signed_in) => signed_in,
        Err(r) => return r,
    };
    if let Err(e) = scope.sessions().end_all(session.user_id).await {
        return pages.failure(Some(scope.tenant()), e);
    }
    pages.clear_session(req, &scope);
    Pages::to_login(&slug)
}

/// Starts setting up an authenticator app: a new secret each time the page
/// opens (an unconfirmed one before it is replaced).
#[handler]
pub(super) async fn totp_page(
    pages: Data<&Pages>,
    req: &Request,
    Path(slug): Path<String>,
) -> Response {
    let scope = match pages.tenant(&slug, "anonymous").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let Some((_, session)) = pages.session(&scope, req).await else {
        let back = format!("/t/{slug}/account/totp");
        return Redirect::see_other(format!("/t/{slug}/login?return_to={back}")).into_response();
    };
    let scope = pages.as_user(&scope, &session);
    let enrolment = match scope
        .factors()
        .begin_totp(session.user_id, "Authenticator app")
        .await
    {
        Ok(e) => e,
        Err(e) => return pages.failure(Some(scope.tenant()), e),
    };
    let qr = match qr_svg(&enrolment.uri) {
        Some(svg) => svg,
        None => return pages.failure(Some(scope.tenant()), Error::Internal("QR code".into())),
    };
    let csrf = pages.transport.csrf_token(req);
    page(
        StatusCode::OK,
        TotpPage {
            organization: &scope.tenant().display_name,
            slug: &slug,
            csrf: &csrf,
            factor: &enrolment.factor_id.to_string(),
            secret: &enrolment.secret,
            uri: &enrolment.uri,
            qr_svg: &qr,
            error: None,
        }
        .render(),
    )
}

/// Turns the app on with its first code.
#[handler]
pub(super) async fn confirm_totp(
    pages: Data<&Pages>,
    req: &Request,
    Path(slug): Path<String>,
    Form(form): Form<TotpForm>,
) -> Response {
    let (scope, session) = match pages.user_post(&slug, req, &form.csrf).await {
        Ok(signed_in) => signed_in,
        Err(r) => return r,
    };
    let Ok(factor) = form.factor.parse::<uuid::Uuid>() else {
        return pages.forbidden(&scope.tenant().display_name);
    };
    let retry = |status: StatusCode, text: &str| {
        super::message(
            status,
            &scope.tenant().display_name,
            "The app is not on yet",
            text,
        )
    };
    match scope
        .factors()
        .confirm_totp(session.user_id, factor.into(), &form.code)
        .await
    {
        Ok(()) => Redirect::see_other(Pages::account_path(&slug)).into_response(),
        Err(Error::Unauthenticated(AuthFailure::Code)) | Err(Error::NotFound(_)) => retry(
            StatusCode::UNAUTHORIZED,
            "That code is not right. Set up the app again and enter the code it shows.",
        ),
        Err(Error::Throttled { retry_after }) => with_retry_after(
            retry(StatusCode::TOO_MANY_REQUESTS, &too_many(retry_after)),
            retry_after,
        ),
        Err(e) => pages.failure(Some(scope.tenant()), e),
    }
}

/// `uri` as a QR code, in SVG.
fn qr_svg(uri: &str) -> Option<String> {
    let code = qrcode::QrCode::new(uri.as_bytes()).ok()?;
    Some(
        code.render::<qrcode::render::svg::Color<'_>>()
            .min_dimensions(200, 200)
            .quiet_zone(true)
            .build(),
    )
}
