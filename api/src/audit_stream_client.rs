//! The HTTPS client audit streaming posts with (reqwest on the system
//! OpenSSL): HTTPS only, no redirects, a timeout, and optionally an extra
//! trusted CA for webhooks behind a private one.
//!
//! A webhook URL is chosen by a tenant, and the request leaves from inside
//! the installation's network: unless the operator allows private targets,
//! only public addresses are reached. The check is made on the addresses the
//! connection actually uses (a resolver that drops the others), so a name
//! that resolves differently on a second lookup cannot slip past it.

use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::path::Path;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, Result};
use latchkey_tenants::audit_stream::{WebhookRequest, WebhookSender};
use reqwest::dns::{Addrs, Name, Resolve, Resolving};

const PRIVATE_REFUSED: &str = "the webhook's host is a private, loopback or link-local address; \
     the operator can allow such targets with LATCHKEY_AUDIT_WEBHOOK_ALLOW_PRIVATE=true";

/// The resolver's refusal, recognised again in the error reqwest wraps it in.
#[derive(Debug)]
struct PrivateTarget;

impl std::fmt::Display for PrivateTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(PRIVATE_REFUSED)
    }
}

impl std::error::Error for PrivateTarget {}

pub struct HttpsSender {
    client: reqwest::Client,
    allow_private: bool,
}

/// Whether `ip` is reachable on the public Internet: not loopback, private,
/// link-local (cloud metadata services live there), shared (CGNAT),
/// unspecified, multicast, broadcast or reserved, in IPv4 or IPv6.
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => is_public_v4(v4),
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(v6),
        },
    }
}

fn is_public_v4(ip: Ipv4Addr) -> bool {
    let [a, b, ..] = ip.octets();
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_private()
        || ip.is_link_local()
        || ip.is_multicast()
        || ip.is_broadcast()
        || ip.is_documentation()
        || a == 0
        || (a == 100 && (64..128).contains(&b))
        || a >= 240)
}

fn is_public_v6(ip: Ipv6Addr) -> bool {
    let first = ip.segments()[0];
    !(ip.is_unspecified()
        || ip.is_loopback()
        || ip.is_multicast()
        // fc00::/7 unique local, fe80::/10 link-local
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        // IPv4-compatible and NAT64 forms carry an IPv4 address of any kind
        || ip.segments()[..6].iter().all(|s| *s == 0)
        || (first == 0x64 && ip.segments()[1] == 0xff9b))
}

/// Resolves as the system does, then keeps only public addresses.
struct PublicOnly;

impl Resolve for PublicOnly {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> = all.into_iter().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                return Err(Box::new(PrivateTarget) as _);
            }
            Ok(Box::new(public.into_iter()) as Addrs)
        })
    }
}

impl HttpsSender {
    /// `allow_private`: also post to private and loopback addresses (an
    /// installation whose SIEM sits on its own network).
    pub fn new(extra_ca: Option<&Path>, allow_private: bool) -> Result<HttpsSender> {
        let mut builder = reqwest::Client::builder()
            .https_only(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(10));
        if !allow_private {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
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
            allow_private,
        })
    }

    /// A literal IP address in the URL is never resolved, so the resolver
    /// cannot see it: it is checked here.
    fn refuses_literal(&self, url: &str) -> bool {
        if self.allow_private {
            return false;
        }
        let Ok(url) = reqwest::Url::parse(url) else {
            return false;
        };
        let host = url.host_str().unwrap_or_default();
        host.trim_start_matches('[')
            .trim_end_matches(']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| !is_public(ip))
    }
}

impl WebhookSender for HttpsSender {
    fn send<'a>(
        &'a self,
        request: &'a WebhookRequest,
    ) -> Pin<Box<dyn Future<Output = std::result::Result<u16, String>> + Send + 'a>> {
        Box::pin(async move {
            if self.refuses_literal(&request.url) {
                return Err(PRIVATE_REFUSED.to_owned());
            }
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
                    } else if is_private_refusal(&e) {
                        PRIVATE_REFUSED.to_owned()
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

fn is_private_refusal(e: &reqwest::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<PrivateTarget>() {
            return true;
        }
        source = err.source();
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn public_addresses_are_public() {
        for ip in [
            "93.184.216.34",
            "8.8.8.8",
            "2606:4700:4700::1111",
            "::ffff:8.8.8.8",
        ] {
            assert!(is_public(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn internal_addresses_are_not() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "255.255.255.255",
            "224.0.0.1",
            "240.0.0.1",
            "::1",
            "::",
            "fd00::1",
            "fe80::1",
            "::ffff:127.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a9fe:a9fe",
            "ff02::1",
        ] {
            assert!(!is_public(ip.parse().unwrap()), "{ip}");
        }
    }
}
