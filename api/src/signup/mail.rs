//! Verification mail over SMTP (lettre).

use std::time::Duration;

use anyhow::{Result, anyhow, bail};
use askama::Template;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

/// Parses `LATCHKEY_MAIL_FROM`: `no-reply@example.com` or
/// `Latchkey <no-reply@example.com>`.
pub fn parse_from(from: &str) -> Result<Mailbox> {
    from.parse::<Mailbox>().map_err(|e| {
        anyhow!("LATCHKEY_MAIL_FROM (mail_from) must be an address like `Latchkey <no-reply@example.com>`: {e}")
    })
}

#[derive(Template)]
#[template(path = "verification_mail.html")]
struct VerificationMail<'a> {
    organization: &'a str,
    link: &'a str,
    hours: u64,
}

/// Sends mail through one SMTP server. Cloning shares the transport.
#[derive(Clone)]
pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    /// `smtp://host:port` (plaintext; `?tls=required` for STARTTLS) or
    /// `smtps://host:port` (TLS from the first byte).
    pub fn new(url: &str, from: &str) -> Result<Mailer> {
        if !(url.starts_with("smtp://") || url.starts_with("smtps://")) {
            bail!(
                "LATCHKEY_SMTP_URL (smtp_url) must be an smtp:// or smtps:// URL, e.g. smtps://user:pass@mail.example.com:465"
            );
        }
        // The URL may hold a password: the error names the setting, not the value.
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
            .map_err(|e| anyhow!("LATCHKEY_SMTP_URL (smtp_url) is not usable: {e}"))?
            .timeout(Some(Duration::from_secs(20)))
            .build();
        Ok(Mailer {
            transport,
            from: parse_from(from)?,
        })
    }

    /// The verification mail of a signup.
    pub fn verification(
        &self,
        to: &Mailbox,
        organization: &str,
        link: &str,
        hours: u64,
    ) -> Result<Message> {
        let text = format!(
            "Welcome to Latchkey!\n\n\
             Someone (hopefully you) signed up for the organization \"{organization}\" with this address.\n\
             Open this link within {hours} hours to verify your address and activate the organization:\n\n\
             {link}\n\n\
             If this was not you, ignore this mail: nothing is activated without the link.\n"
        );
        let html = VerificationMail {
            organization,
            link,
            hours,
        }
        .render()
        .map_err(|e| anyhow!("rendering the verification mail: {e}"))?;
        Message::builder()
            .from(self.from.clone())
            .to(to.clone())
            .subject(format!("Verify your email address for {organization}"))
            .multipart(MultiPart::alternative_plain_html(text, html))
            .map_err(|e| anyhow!("composing the verification mail: {e}"))
    }

    /// Sends `message`, retrying twice (after 2 and 4 seconds) when the
    /// server cannot be reached or refuses for now.
    pub async fn send(&self, message: Message) -> Result<()> {
        let mut last = None;
        for attempt in 0..3u32 {
            if attempt > 0 {
                tokio::time::sleep(Duration::from_secs(2u64.pow(attempt))).await;
            }
            match self.transport.send(message.clone()).await {
                Ok(_) => return Ok(()),
                Err(e) if e.is_permanent() => {
                    return Err(anyhow!("the mail server refused the mail: {e}"));
                }
                Err(e) => last = Some(e),
            }
        }
        Err(anyhow!(
            "the mail server could not be reached: {}",
            last.map(|e| e.to_string()).unwrap_or_default()
        ))
    }
}
