//! Emailing an order to its supplier: what a send asks for, what the outbox keeps, and how an
//! attempt ended. The message itself (headers, body, the PDF attached) is built by `crate::mail`.

use chrono::{DateTime, Utc};
use serde_json::{Value, json};

use super::Invalid;
use super::event::NewEvent;
use super::ids::{AccountId, MailId, PurchaseOrderId};
use super::user::Email;

/// Addresses in `to`, and in `cc`, at most.
pub const MAX_RECIPIENTS: usize = 10;
/// The longest `message`, in characters.
pub const MAX_MESSAGE: usize = 5000;

/// An address to send to: [`Email`]'s rules (trimmed, lower-cased, one `@`).
pub fn parse_recipient(raw: &str) -> Result<Email, Invalid> {
    Email::parse(raw).ok_or_else(|| Invalid::value(format!("'{raw}' is not an email address")))
}

/// The note above the order in the mail's body: at most [`MAX_MESSAGE`] characters, no control
/// characters but line breaks and tabs.
pub fn parse_message(raw: &str) -> Result<String, Invalid> {
    if raw.chars().count() > MAX_MESSAGE {
        return Err(Invalid::value(format!(
            "must be at most {MAX_MESSAGE} characters"
        )));
    }
    if raw
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(Invalid::value("must not contain control characters"));
    }
    Ok(raw.trim().to_owned())
}

/// Who a mail goes to and what it is called: what the history records of a send.
#[derive(Debug, Clone, PartialEq)]
pub struct MailSummary {
    pub id: MailId,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
}

impl MailSummary {
    pub fn to_json(&self) -> Value {
        json!({
            "mail_id": self.id.to_string(),
            "to": self.to,
            "cc": self.cc,
            "subject": self.subject,
        })
    }
}

/// A mail for the outbox: the envelope, and the whole message as it goes on the wire.
#[derive(Debug, Clone)]
pub struct NewMail {
    pub sender: String,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
    /// The RFC 5322 message, attachment included.
    pub message: Vec<u8>,
}

/// A mail leased from the outbox for an attempt.
#[derive(Debug, Clone)]
pub struct DueMail {
    pub account: AccountId,
    pub order: PurchaseOrderId,
    pub summary: MailSummary,
    pub sender: String,
    pub message: Vec<u8>,
    /// Attempts made before this one.
    pub attempts: i64,
}

/// How an attempt ended.
#[derive(Debug, Clone, PartialEq)]
pub struct MailAttempt {
    pub at: DateTime<Utc>,
    pub sent: bool,
    /// Why it was not sent.
    pub error: Option<String>,
    /// When to try again; `None` once the mail is sent or given up.
    pub retry_at: Option<DateTime<Utc>>,
}

impl MailAttempt {
    /// The mail's state afterwards: `sent`, `pending` (to be tried again) or `failed`.
    pub fn state(&self) -> &'static str {
        match (self.sent, self.retry_at) {
            (true, _) => "sent",
            (false, Some(_)) => "pending",
            (false, None) => "failed",
        }
    }

    /// What the order's history records of this attempt: nothing while the mail is still
    /// pending, else that it went or that it was given up, and why.
    pub fn outcome(&self, mail: &DueMail) -> Option<NewEvent> {
        match self.state() {
            "sent" => Some(NewEvent::sent(mail.order, &mail.summary)),
            "failed" => {
                let reason = self.error.as_deref().unwrap_or("not delivered");
                Some(NewEvent::send_failed(mail.order, &mail.summary, reason))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recipients_and_messages_are_checked() {
        assert_eq!(
            parse_recipient(" Sales@Acme.example ").map(|e| e.to_string()),
            Ok("sales@acme.example".to_owned())
        );
        assert!(parse_recipient("acme.example").is_err());
        assert_eq!(
            parse_message("  Please confirm.\n"),
            Ok("Please confirm.".to_owned())
        );
        assert!(parse_message(&"x".repeat(MAX_MESSAGE + 1)).is_err());
        assert!(parse_message("bell\u{7}").is_err());
    }
}
