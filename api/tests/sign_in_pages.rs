//! The hosted sign-in pages of a tenant (`/t/{tenant}/login`, `account`,
//! `logout`), driven as a browser without JavaScript drives them: forms,
//! cookies and redirects.

mod common;
use common::*;

use std::collections::BTreeMap;

use poem::http::StatusCode;
use serde_json::json;
use testing::TestDb;

const PASSWORD: &str = "violet-harbour-tangent-42";
const ORIGIN: &str = "http://localhost";

/// A browser: its cookies, and what it last saw.
struct Browser<'a> {
    app: &'a TestApp,
    cookies: BTreeMap<String, String>,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    retry_after: Option<String>,
    body: String,
}

impl<'a> Browser<'a> {
    fn new(app: &'a TestApp) -> Self {
        Browser {
            app,
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn open(&mut self, req: poem::test::TestRequestBuilder<'_, impl poem::Endpoint>) -> Page {
        let req = if self.cookies.is_empty() {
            req
        } else {
            req.header("Cookie", self.cookie_header())
        };
        let resp = req.send().await.0;
        for set in resp.headers().get_all("set-cookie") {
            let set = set.to_str().unwrap();
            let (pair, attrs) = set.split_once(';').unwrap_or((set, ""));
            let (name, value) = pair.split_once('=').unwrap();
            if value.is_empty() || attrs.contains("Max-Age=0") {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .map(|v| v.to_str().unwrap().to_owned())
        };
        Page {
            status: resp.status(),
            location: header("location"),
            retry_after: header("retry-after"),
            body: String::from_utf8(resp.into_body().into_vec().await.unwrap()).unwrap(),
        }
    }

    async fn get(&mut self, path: &str) -> Page {
        let req = self.app.client.get(path);
        self.open(req).await
    }

    /// Posts a form as a page of this origin does.
    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        self.post_from(path, fields, Some(ORIGIN)).await
    }

    async fn post_from(
        &mut self,
        path: &str,
        fields: &[(&str, &str)],
        origin: Option<&str>,
    ) -> Page {
        let body: String = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", form_encode(v)))
            .collect::<Vec<_>>()
            .join("&");
        let mut req = self
            .app
            .client
            .post(path)
            .content_type("application/x-www-form-urlencoded")
            .body(body);
        if let Some(origin) = origin {
            req = req.header("Origin", origin);
        }
        self.open(req).await
    }

    /// The CSRF token of the last form the browser was given.
    fn csrf(page: &Page) -> String {
        let at = page
            .body
            .find("name=\"csrf\" value=\"")
            .expect("a form with a CSRF token")
            + 19;
        page.body[at..at + 43].to_owned()
    }

    async fn sign_in(&mut self, slug: &str, login: &str, password: &str) -> Page {
        let form = self.get(&format!("/t/{slug}/login")).await;
        let csrf = Self::csrf(&form);
        self.post(
            &format!("/t/{slug}/login"),
            &[("csrf", &csrf), ("login", login), ("password", password)],
        )
        .await
    }
}

fn form_encode(v: &str) -> String {
    v.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Tenant `slug` with user `ada` (SCIM-provisioned with a password).
async fn tenant_with_ada(app: &TestApp, slug: &str) {
    let slug = app.tenant(slug).await;
    let scim = app.scim_token(&slug).await;
    app.scim(
        "POST",
        &slug,
        "/Users",
        &scim,
        Some(json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "ada",
            "emails": [{ "value": "ada@example.com", "primary": true }],
            "password": PASSWORD,
        })),
    )
    .await
    .expect(StatusCode::CREATED);
}

async fn setup(db: TestDb) -> TestApp {
    let app = TestApp::start(db).await;
    tenant_with_ada(&app, "acme").await;
    app
}

latchkey_tenants::both_backends! {
    async fn the_login_form_carries_the_autocomplete_tokens_password_managers_use(db: TestDb) {
        let app = setup(db).await;
        let page = Browser::new(&app).get("/t/acme/login").await;
        assert_eq!(page.status, StatusCode::OK);
        for token in ["autocomplete=\"username\"", "autocomplete=\"current-password\""] {
            assert!(page.body.contains(token), "{token}");
        }
    }

    async fn a_user_signs_in_and_lands_on_the_account_page(db: TestDb) {
        let app = setup(db).await;
        let mut browser = Browser::new(&app);
        let signed_in = browser.sign_in("acme", "ADA@example.com", PASSWORD).await;
        assert_eq!(signed_in.status, StatusCode::SEE_OTHER);
        assert_eq!(signed_in.location.as_deref(), Some("/t/acme/account"));
        let account = browser.get("/t/acme/account").await;
        assert_eq!(account.status, StatusCode::OK);
        assert!(account.body.contains("id=\"account-user\">ada<"), "{}", account.body);
        assert!(account.body.contains("This browser"));
    }

    async fn the_pages_refuse_to_be_framed(db: TestDb) {
        let app = setup(db).await;
        let page = app.client.get("/t/acme/login").send().await.0;
        let csp = page.headers().get("content-security-policy").unwrap().to_str().unwrap().to_owned();
        assert!(csp.contains("frame-ancestors 'none'"), "{csp}");
        // Not `no-referrer`: a browser would then post the forms with
        // `Origin: null`, which the origin check refuses.
        assert_eq!(page.headers().get("referrer-policy").unwrap(), "same-origin");
    }

    async fn a_wrong_password_redraws_the_form_with_the_same_answer_as_an_unknown_user(db: TestDb) {
        let app = setup(db).await;
        let wrong = Browser::new(&app).sign_in("acme", "ada", "not-the-password").await;
        let unknown = Browser::new(&app).sign_in("acme", "nobody", PASSWORD).await;
        assert_eq!((wrong.status, unknown.status), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
        let alert = |p: &Page| p.body[p.body.find("role=\"alert\"").unwrap()..].lines().next().unwrap().to_owned();
        assert_eq!(alert(&wrong), alert(&unknown));
    }

    async fn the_account_page_without_a_session_sends_the_browser_to_sign_in_and_back(db: TestDb) {
        let app = setup(db).await;
        let page = Browser::new(&app).get("/t/acme/account").await;
        assert_eq!(page.status, StatusCode::SEE_OTHER);
        assert_eq!(page.location.as_deref(), Some("/t/acme/login?return_to=/t/acme/account"));
    }

    async fn a_same_origin_return_to_is_followed_and_any_other_ignored(db: TestDb) {
        let app = setup(db).await;
        for (given, landing) in [
            ("/t/acme/apps", "/t/acme/apps"),
            ("https://evil.example/", "/t/acme/account"),
            ("//evil.example/", "/t/acme/account"),
            ("/\\evil.example", "/t/acme/account"),
        ] {
            let mut browser = Browser::new(&app);
            let form = browser.get(&format!("/t/acme/login?return_to={}", form_encode(given))).await;
            let csrf = Browser::csrf(&form);
            let done = browser
                .post("/t/acme/login", &[("csrf", &csrf), ("login", "ada"), ("password", PASSWORD), ("return_to", given)])
                .await;
            assert_eq!(done.location.as_deref(), Some(landing), "{given}");
        }
    }

    async fn a_post_without_the_forms_csrf_token_or_from_another_origin_is_refused(db: TestDb) {
        let app = setup(db).await;
        let mut browser = Browser::new(&app);
        let form = browser.get("/t/acme/login").await;
        let csrf = Browser::csrf(&form);
        let fields = |csrf: &'static str| [("csrf", csrf), ("login", "ada"), ("password", PASSWORD)];
        let forged = browser.post("/t/acme/login", &fields("")).await;
        assert_eq!(forged.status, StatusCode::FORBIDDEN);
        let csrf: &'static str = Box::leak(csrf.into_boxed_str());
        let cross = browser.post_from("/t/acme/login", &fields(csrf), Some("https://evil.example")).await;
        assert_eq!(cross.status, StatusCode::FORBIDDEN);
        assert!(!browser.cookies.keys().any(|k| k.starts_with("latchkey_session_")));
        let fresh = Browser::new(&app).post("/t/acme/login", &fields(csrf)).await;
        assert_eq!(fresh.status, StatusCode::FORBIDDEN, "a token without its cookie");
        let ours = browser.post("/t/acme/login", &fields(csrf)).await;
        assert_eq!(ours.status, StatusCode::SEE_OTHER);
    }

    async fn a_new_session_id_is_set_at_every_sign_in(db: TestDb) {
        let app = setup(db).await;
        let acme = app.store.tenants().get("acme").await.unwrap();
        let name = format!("latchkey_session_{}", acme.id.as_uuid().simple());
        let mut browser = Browser::new(&app);
        // A session id an attacker planted in the browser...
        browser.cookies.insert(name.clone(), "lku_planted".into());
        let form = browser.get("/t/acme/login").await;
        let csrf = Browser::csrf(&form);
        let fields = [("csrf", csrf.as_str()), ("login", "ada"), ("password", PASSWORD)];
        browser.post("/t/acme/login", &fields).await;
        let first = browser.cookies[&name].clone();
        assert_ne!(first, "lku_planted", "...is replaced at sign-in");
        browser.post("/t/acme/login", &fields).await;
        assert_ne!(browser.cookies[&name], first, "and so is any earlier session's");
    }

    async fn too_many_attempts_are_answered_429_with_retry_after(db: TestDb) {
        let app = setup(db).await;
        let mut browser = Browser::new(&app);
        for _ in 0..10 {
            assert_eq!(browser.sign_in("acme", "ada", "guess-guess-guess").await.status, StatusCode::UNAUTHORIZED);
        }
        let throttled = browser.sign_in("acme", "ada", PASSWORD).await;
        assert_eq!(throttled.status, StatusCode::TOO_MANY_REQUESTS);
        let retry: u64 = throttled.retry_after.unwrap().parse().unwrap();
        assert!((1..=300).contains(&retry));
    }

    async fn signing_out_ends_the_session(db: TestDb) {
        let app = setup(db).await;
        let mut browser = Browser::new(&app);
        browser.sign_in("acme", "ada", PASSWORD).await;
        let stolen = browser.cookies.clone();
        let account = browser.get("/t/acme/account").await;
        let out = browser.post("/t/acme/logout", &[("csrf", &Browser::csrf(&account))]).await;
        assert_eq!(out.location.as_deref(), Some("/t/acme/login"));
        let mut replay = Browser { app: &app, cookies: stolen };
        assert_eq!(replay.get("/t/acme/account").await.status, StatusCode::SEE_OTHER);
    }

    async fn sign_out_everywhere_ends_every_session_of_the_user(db: TestDb) {
        let app = setup(db).await;
        let mut laptop = Browser::new(&app);
        let mut phone = Browser::new(&app);
        laptop.sign_in("acme", "ada", PASSWORD).await;
        phone.sign_in("acme", "ada", PASSWORD).await;
        let account = laptop.get("/t/acme/account").await;
        laptop.post("/t/acme/account/sign-out-everywhere", &[("csrf", &Browser::csrf(&account))]).await;
        assert_eq!(phone.get("/t/acme/account").await.status, StatusCode::SEE_OTHER);
        assert_eq!(laptop.get("/t/acme/account").await.status, StatusCode::SEE_OTHER);
    }

    async fn a_session_of_one_tenant_opens_nothing_at_another(db: TestDb) {
        let app = setup(db).await;
        tenant_with_ada(&app, "globex").await;
        let mut browser = Browser::new(&app);
        browser.sign_in("acme", "ada", PASSWORD).await;
        // Even under the other tenant's cookie name, the secret names acme.
        let (_, secret) = browser.cookies.iter().find(|(k, _)| k.starts_with("latchkey_session_")).unwrap();
        let globex = app.store.tenants().get("globex").await.unwrap();
        let name = format!("latchkey_session_{}", globex.id.as_uuid().simple());
        let mut thief = Browser { app: &app, cookies: BTreeMap::from([(name, secret.clone())]) };
        assert_eq!(thief.get("/t/globex/account").await.status, StatusCode::SEE_OTHER);
        assert_eq!(browser.get("/t/globex/account").await.status, StatusCode::SEE_OTHER);
        assert_eq!(browser.get("/t/acme/account").await.status, StatusCode::OK);
    }

    async fn an_unknown_tenant_has_no_sign_in_page(db: TestDb) {
        let app = setup(db).await;
        assert_eq!(Browser::new(&app).get("/t/nowhere/login").await.status, StatusCode::NOT_FOUND);
    }
}

/// The code an authenticator app set up with `secret` (base32) shows now.
fn app_code(secret: &str) -> String {
    app_code_at(secret, 0)
}

/// The code it shows `seconds` from now.
fn app_code_at(secret: &str, seconds: u64) -> String {
    let bytes = totp_rs::Secret::Encoded(secret.to_owned())
        .to_bytes()
        .unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    totp_rs::TOTP::new_unchecked(
        totp_rs::Algorithm::SHA1,
        6,
        1,
        30,
        bytes,
        None,
        String::new(),
    )
    .generate(now + seconds)
}

/// Sets up an authenticator app from the account page; returns its secret.
async fn set_up_app(browser: &mut Browser<'_>) -> String {
    let page = browser.get("/t/acme/account/totp").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("<svg"), "a QR code");
    assert!(page.body.contains("href=\"otpauth://totp/"));
    let at = page.body.find("id=\"totp-secret\">").unwrap() + 17;
    let secret = page.body[at..at + 32].to_owned();
    let at = page.body.find("name=\"factor\" value=\"").unwrap() + 21;
    let factor = page.body[at..at + 36].to_owned();
    let done = browser
        .post(
            "/t/acme/account/totp",
            &[
                ("csrf", &Browser::csrf(&page)),
                ("factor", &factor),
                ("code", &app_code(&secret)),
            ],
        )
        .await;
    assert_eq!(done.location.as_deref(), Some("/t/acme/account"));
    secret
}

latchkey_tenants::both_backends! {
    async fn a_user_sets_up_an_authenticator_app_from_the_account_page(db: TestDb) {
        let app = setup(db).await;
        let mut browser = Browser::new(&app);
        browser.sign_in("acme", "ada", PASSWORD).await;
        set_up_app(&mut browser).await;
        let account = browser.get("/t/acme/account").await;
        assert!(account.body.contains("Authenticator app"), "{}", account.body);
        assert!(!account.body.contains("id=\"set-up-totp\""));
    }

    async fn with_an_app_the_password_leads_to_the_code_and_the_code_signs_in(db: TestDb) {
        let app = setup(db).await;
        let mut browser = Browser::new(&app);
        browser.sign_in("acme", "ada", PASSWORD).await;
        let secret = set_up_app(&mut browser).await;

        let mut later = Browser::new(&app);
        let half = later.sign_in("acme", "ada", PASSWORD).await;
        assert_eq!(half.location.as_deref(), Some("/t/acme/login/code"));
        // The password alone opens no page.
        assert_eq!(later.get("/t/acme/account").await.status, StatusCode::SEE_OTHER);
        let form = later.get("/t/acme/login/code").await;
        assert!(form.body.contains("autocomplete=\"one-time-code\""));
        let wrong = later.post("/t/acme/login/code", &[("csrf", &Browser::csrf(&form)), ("code", "000000")]).await;
        assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
        // The code that confirmed the app is used up: the app's next one
        // (accepted one step early) signs in.
        let code = app_code_at(&secret, 30);
        let done = later.post("/t/acme/login/code", &[("csrf", &Browser::csrf(&form)), ("code", &code)]).await;
        assert_eq!(done.location.as_deref(), Some("/t/acme/account"));
        assert_eq!(later.get("/t/acme/account").await.status, StatusCode::OK);
        // The same code again, in another browser: refused.
        let mut replay = Browser::new(&app);
        replay.sign_in("acme", "ada", PASSWORD).await;
        let form = replay.get("/t/acme/login/code").await;
        let again = replay.post("/t/acme/login/code", &[("csrf", &Browser::csrf(&form)), ("code", &code)]).await;
        assert_eq!(again.status, StatusCode::UNAUTHORIZED);
    }

    async fn the_code_page_without_a_password_first_sends_the_browser_to_sign_in(db: TestDb) {
        let app = setup(db).await;
        let mut browser = Browser::new(&app);
        let page = browser.get("/t/acme/login/code").await;
        assert_eq!(page.location.as_deref(), Some("/t/acme/login"));
        let form = browser.get("/t/acme/login").await;
        let post = browser.post("/t/acme/login/code", &[("csrf", &Browser::csrf(&form)), ("code", "123456")]).await;
        assert_eq!(post.location.as_deref(), Some("/t/acme/login"));
        // A full session is no half session either.
        browser.sign_in("acme", "ada", PASSWORD).await;
        assert_eq!(browser.get("/t/acme/login/code").await.location.as_deref(), Some("/t/acme/login"));
    }
}
