//! The HTTPS client audit streaming posts with (reqwest on the system
//! OpenSSL): HTTPS only, no redirects, a timeout, and optionally an extra
//! trusted CA for webhooks behind a private one.

use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::time::Duration;

use anyhow::{Context, Result};
use latchkey_tenants::audit_stream::{WebhookRequest, WebhookSender};

pub struct HttpsSender {
    client: reqwest::Client,
}

impl HttpsSender {
    pub fn new(extra_ca: Option<&Path>) -> Result<HttpsSender> {
        let mut builder = reqwest::Client::builder()
            .https_only(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10));
        if let Some(path) = extra_ca {
            let pem = std::fs::read(path)
                .with_context(|| format!("cannot read the webhook CA file {}", path.display()))?;
            let cert = reqwest::Certificate::from_pem(&pem)
                .with_context(|| format!("{} is not a PEM certificate", path.display()))?;
            builder = builder.add_root_certificate(cert);
        }
        Ok(HttpsSender {
            client: builder
                .build()
                .context("cannot build the webhook HTTP client")?,
        })
    }
}

impl WebhookSender for HttpsSender {
    fn send<'a>(
        &'a self,
        request: &'a WebhookRequest,
    ) -> Pin<Box<dyn Future<Output = std::result::Result<u16, String>> + Send + 'a>> {
        Box::pin(async move {
            let resp = self
                .client
                .post(&request.url)
                .header("content-type", "application/json")
                .header(
                    "user-agent",
                    concat!("latchkey/", env!("CARGO_PKG_VERSION")),
                )
                .header("latchkey-signature", &request.signature)
                .body(request.body.clone())
                .send()
                .await
                // Only the kind of failure: the URL is the tenant's, not a secret, but
                // error chains can be long and carry nothing useful to them.
                .map_err(|e| {
                    if e.is_timeout() {
                        "the webhook did not answer within 10 seconds".to_owned()
                    } else if e.is_connect() {
                        "cannot connect to the webhook (DNS, TCP or TLS)".to_owned()
                    } else {
                        format!("the webhook request failed: {e}")
                    }
                })?;
            Ok(resp.status().as_u16())
        })
    }
}
