//! The steps of signing in: the password form, and the code of a second factor.

use askama::Template;
use latchkey_tenants::Error;
use latchkey_tenants::error::AuthFailure;
use latchkey_tenants::signin::Lifetimes;
use poem::http::StatusCode;
use poem::web::{Data, Form, Path, Query, Redirect};
use poem::{IntoResponse, Request, Response, handler};
use serde::Deserialize;

use super::guard::same_origin_path;
use super::{Pages, ReturnTo, page, too_many, with_retry_after};

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
#[template(path = "signin_code.html")]
struct CodePage<'a> {
    organization: &'a str,
    slug: &'a str,
    csrf: &'a str,
    return_to: &'a str,
    error: Option<&'a str>,
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
struct CodeForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    return_to: String,
}

#[handler]
pub(super) async fn login_page(
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
        return Redirect::see_other(Pages::landing(&slug, return_to)).into_response();
    }
    let csrf = pages.transport.csrf_token(req);
    page(
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
pub(super) async fn login(
    pages: Data<&Pages>,
    req: &Request,
    Path(slug): Path<String>,
    Form(form): Form<LoginForm>,
) -> Response {
    let scope = match pages.posted(&slug, req, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let organization = scope.tenant().display_name.clone();
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
        page(
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
            pages.set_session(req, &scope, &opened);
            if opened.second_factor_due {
                let query = if return_to.is_empty() {
                    String::new()
                } else {
                    format!("?return_to={}", query_value(return_to))
                };
                return Redirect::see_other(format!("/t/{slug}/login/code{query}")).into_response();
            }
            Redirect::see_other(Pages::landing(&slug, return_to)).into_response()
        }
        Err(Error::Unauthenticated(AuthFailure::Credentials)) => again(
            StatusCode::UNAUTHORIZED,
            "That user name or email and password do not match.",
        ),
        Err(Error::Throttled { retry_after }) => with_retry_after(
            again(StatusCode::TOO_MANY_REQUESTS, &too_many(retry_after)),
            retry_after,
        ),
        Err(e) => pages.failure(Some(scope.tenant()), e),
    }
}

/// A path as a query value: `return_to` holds only a path, but `?`, `&`
/// and `#` in it must not end the value.
fn query_value(path: &str) -> String {
    path.replace('%', "%25")
        .replace('&', "%26")
        .replace('#', "%23")
        .replace('?', "%3F")
        .replace('+', "%2B")
        .replace(' ', "%20")
}

/// The second step: a code from the user's authenticator app. Only a
/// session a password opened, waiting for its second factor, gets here.
#[handler]
pub(super) async fn code_page(
    pages: Data<&Pages>,
    req: &Request,
    Path(slug): Path<String>,
    Query(params): Query<ReturnTo>,
) -> Response {
    let scope = match pages.tenant(&slug, "anonymous").await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let waiting = match pages.transport.session(req, scope.tenant().id) {
        Some(secret) => scope
            .sessions()
            .awaiting_second_factor(&secret)
            .await
            .is_ok(),
        None => false,
    };
    if !waiting {
        return Pages::to_login(&slug);
    }
    let return_to = params
        .return_to
        .as_deref()
        .and_then(same_origin_path)
        .unwrap_or("");
    let csrf = pages.transport.csrf_token(req);
    page(
        StatusCode::OK,
        CodePage {
            organization: &scope.tenant().display_name,
            slug: &slug,
            csrf: &csrf,
            return_to,
            error: None,
        }
        .render(),
    )
}

#[handler]
pub(super) async fn code(
    pages: Data<&Pages>,
    req: &Request,
    Path(slug): Path<String>,
    Form(form): Form<CodeForm>,
) -> Response {
    let scope = match pages.posted(&slug, req, &form.csrf).await {
        Ok(s) => s,
        Err(r) => return r,
    };
    let organization = scope.tenant().display_name.clone();
    let Some(secret) = pages.transport.session(req, scope.tenant().id) else {
        return Pages::to_login(&slug);
    };
    let return_to = same_origin_path(&form.return_to).unwrap_or("");
    let again = |status: StatusCode, error: &str| {
        page(
            status,
            CodePage {
                organization: &organization,
                slug: &slug,
                csrf: &form.csrf,
                return_to,
                error: Some(error),
            }
            .render(),
        )
    };
    let proved = scope
        .sign_in()
        .with_totp(
            &secret,
            &form.code,
            &pages.client(req),
            Lifetimes::default(),
        )
        .await;
    match proved {
        Ok(opened) => {
            pages.set_session(req, &scope, &opened);
            Redirect::see_other(Pages::landing(&slug, return_to)).into_response()
        }
        Err(Error::Unauthenticated(AuthFailure::Code)) => again(
            StatusCode::UNAUTHORIZED,
            "That code is not right, or it was used already. Wait for the next one.",
        ),
        Err(Error::Unauthenticated(AuthFailure::Session)) => Pages::to_login(&slug),
        Err(Error::Throttled { retry_after }) => with_retry_after(
            again(StatusCode::TOO_MANY_REQUESTS, &too_many(retry_after)),
            retry_after,
        ),
        Err(e) => pages.failure(Some(scope.tenant()), e),
    }
}
