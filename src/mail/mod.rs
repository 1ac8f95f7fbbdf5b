//! Orders emailed to their suppliers: the message (a short text and the order summary PDF
//! attached), the SMTP transport `--smtp-url` names, and the mailer, which sends what the outbox
//! holds and records how it went, retrying on the webhooks' schedule. Every server runs one; on
//! PostgreSQL their leases hand each mail to one of them.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context, bail};
use lettre::address::Envelope;
use lettre::message::header::ContentType;
use lettre::message::{Attachment, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::authentication::Credentials;
use lettre::{Address, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::domain::mail::{DueMail, MailAttempt, NewMail};
use crate::domain::webhook::retry_delay;
use crate::store::Store;

/// How long one SMTP exchange may take.
const TIMEOUT: Duration = Duration::from_secs(30);
/// How long a leased mail stays with the server that leased it.
const LEASE: Duration = Duration::from_secs(120);
/// How often the outbox is looked at when it was found empty.
const POLL: Duration = Duration::from_millis(200);
/// Mails leased at once.
const BATCH: u32 = 16;

pub type Transport = AsyncSmtpTransport<Tokio1Executor>;

/// The transport an SMTP URL names:
/// - `smtp://user:password@host:587`: STARTTLS, required (port 587 unless given);
/// - `smtps://user:password@host:465`: TLS from the start (port 465 unless given);
/// - `smtp://host:25?tls=none`: no TLS at all, for a relay on the same machine or network.
///
/// The user and password are percent-decoded.
pub fn transport(url: &str) -> anyhow::Result<Transport> {
    let parsed = url::Url::parse(url).context("the SMTP URL is not a URL")?;
    let host = parsed
        .host_str()
        .filter(|h| !h.is_empty())
        .context("the SMTP URL names no host")?;
    let tls = parsed
        .query_pairs()
        .find(|(key, _)| key == "tls")
        .map(|(_, value)| value.into_owned());
    let mut builder = match (parsed.scheme(), tls.as_deref()) {
        ("smtps", None) => Transport::relay(host)?,
        ("smtp", None | Some("required")) => Transport::starttls_relay(host)?,
        ("smtp", Some("none")) => Transport::builder_dangerous(host),
        (scheme, tls) => bail!(
            "unsupported SMTP URL (scheme '{scheme}', tls {tls:?}): use smtp://HOST (STARTTLS), \
             smtps://HOST (TLS) or smtp://HOST?tls=none"
        ),
    };
    if let Some(port) = parsed.port() {
        builder = builder.port(port);
    }
    if !parsed.username().is_empty() {
        let decode = |raw: &str| {
            percent_encoding::percent_decode_str(raw)
                .decode_utf8()
                .map(|s| s.into_owned())
        };
        let user = decode(parsed.username()).context("the SMTP user is not UTF-8")?;
        let password = decode(parsed.password().unwrap_or_default())
            .context("the SMTP password is not UTF-8")?;
        builder = builder.credentials(Credentials::new(user, password));
    }
    Ok(builder.timeout(Some(TIMEOUT)).build())
}

/// What a mail says, besides its recipients.
pub struct Letter<'a> {
    /// The account's email, the sender.
    pub from: &'a str,
    pub company: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub to: &'a [String],
    pub cc: &'a [String],
    pub order_number: &'a str,
    /// The order's total as the documents write it, with its currency.
    pub total: String,
    pub expected: Option<String>,
    /// The sender's own words, above the standard text.
    pub message: Option<&'a str>,
    pub filename: &'a str,
    pub pdf: Vec<u8>,
}

/// Builds the message as it goes on the wire. Fails only on an address SMTP cannot carry.
pub fn compose(letter: Letter<'_>) -> Result<NewMail, String> {
    let address = |raw: &str| -> Result<Address, String> {
        raw.parse()
            .map_err(|e| format!("'{raw}' is not an address a mail can go to: {e}"))
    };
    let from = Mailbox::new(letter.company.map(str::to_owned), address(letter.from)?);
    let subject = match letter.company {
        Some(company) => format!("Purchase order {} from {company}", letter.order_number),
        None => format!("Purchase order {}", letter.order_number),
    };
    let mut builder = Message::builder()
        .from(from.clone())
        .reply_to(from)
        .subject(subject.clone())
        .message_id(Some(format!(
            "<{}.{}@procura>",
            letter.order_number,
            uuid::Uuid::new_v4().simple()
        )));
    for to in letter.to {
        builder = builder.to(Mailbox::new(None, address(to)?));
    }
    for cc in letter.cc {
        builder = builder.cc(Mailbox::new(None, address(cc)?));
    }
    let mut body = String::new();
    if let Some(message) = letter.message.filter(|m| !m.is_empty()) {
        body.push_str(message);
        body.push_str("\n\n");
    }
    body.push_str(&format!(
        "Please find attached our purchase order {}",
        letter.order_number
    ));
    if let Some(expected) = &letter.expected {
        body.push_str(&format!(", for delivery by {expected}"));
    }
    body.push_str(&format!(".\nTotal: {}\n\n", letter.total));
    body.push_str(letter.company.unwrap_or(letter.from));
    body.push('\n');
    body.push_str(letter.from);
    if let Some(phone) = letter.phone {
        body.push_str(&format!("\n{phone}"));
    }
    body.push('\n');
    let pdf = ContentType::parse("application/pdf").map_err(|e| e.to_string())?;
    let message = builder
        .multipart(
            MultiPart::mixed()
                .singlepart(SinglePart::plain(body))
                .singlepart(Attachment::new(letter.filename.to_owned()).body(letter.pdf, pdf)),
        )
        .map_err(|e| e.to_string())?;
    Ok(NewMail {
        sender: letter.from.to_owned(),
        to: letter.to.to_vec(),
        cc: letter.cc.to_vec(),
        subject,
        message: message.formatted(),
    })
}

pub struct Mailer {
    store: Arc<dyn Store>,
    transport: Transport,
}

impl Mailer {
    pub fn new(store: Arc<dyn Store>, transport: Transport) -> Self {
        Self { store, transport }
    }

    /// Sends until `stop`.
    pub async fn run(self, stop: impl Future<Output = ()>) {
        let this = Arc::new(self);
        let lease = |now, until| {
            let store = Arc::clone(&this.store);
            async move { store.lease_mails(now, until, BATCH).await }
        };
        let send = |mail: DueMail| {
            let this = Arc::clone(&this);
            async move {
                let attempt = this.attempt(&mail).await;
                (mail, attempt)
            }
        };
        // Mails are few; each outcome is its own write, with its history event.
        let settle = |attempts: Vec<(DueMail, MailAttempt)>| {
            let store = Arc::clone(&this.store);
            async move {
                for (mail, attempt) in attempts {
                    if let Err(err) = store.settle_mail(&mail, attempt).await {
                        // The lease runs out and the mail is sent again: at least once.
                        tracing::warn!(mail = %mail.summary.id, error = %err, "cannot record a mail attempt");
                    }
                }
            }
        };
        crate::store::outbox::work("mails", LEASE, POLL, lease, send, settle, stop).await;
    }

    async fn attempt(&self, mail: &DueMail) -> MailAttempt {
        let sent = self.send(mail).await;
        let at = crate::store::now();
        let failed_attempts = u32::try_from(mail.attempts + 1).unwrap_or(u32::MAX);
        let (sent, error, retry) = match sent {
            Ok(()) => (true, None, false),
            Err((reason, permanent)) => (false, Some(reason), !permanent),
        };
        let retry_at = retry
            .then(|| retry_delay(failed_attempts))
            .flatten()
            .map(|d| at + chrono::Duration::from_std(d).unwrap_or_default());
        tracing::info!(mail = %mail.summary.id, order = %mail.order, sent, error = ?error, "mail attempted");
        MailAttempt {
            at,
            sent,
            error,
            retry_at,
        }
    }

    /// One attempt; on failure, why, and whether the server refused for good (a 5xx answer).
    async fn send(&self, mail: &DueMail) -> Result<(), (String, bool)> {
        let parse = |raw: &str| {
            raw.parse::<Address>()
                .map_err(|e| (format!("'{raw}': {e}"), true))
        };
        let recipients = mail
            .summary
            .to
            .iter()
            .chain(&mail.summary.cc)
            .map(|r| parse(r))
            .collect::<Result<Vec<_>, _>>()?;
        let envelope = Envelope::new(Some(parse(&mail.sender)?), recipients)
            .map_err(|e| (e.to_string(), true))?;
        self.transport
            .send_raw(&envelope, &mail.message)
            .await
            .map(|_| ())
            .map_err(|e| (e.to_string(), e.is_permanent()))
    }
}
