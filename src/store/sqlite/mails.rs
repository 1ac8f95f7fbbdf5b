//! The mail outbox on SQLite.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, Row, params};

use super::events::append_event;
use super::rows::all;
use super::{SqliteStore, db, micros, parse_text};
use crate::domain::event::NewEvent;
use crate::domain::ids::{AccountId, MailId, PurchaseOrderId};
use crate::domain::mail::{DueMail, MailAttempt, MailSummary, NewMail};
use crate::domain::refusal::{Action, ensure_allowed};
use crate::domain::status::Status;
use crate::store::write::Origin;
use crate::store::{Mails, StoreError, StoreResult, Write};

fn queue(
    conn: &Connection,
    origin: &Origin,
    order: PurchaseOrderId,
    mail: &NewMail,
) -> StoreResult<MailSummary> {
    let status: Status = conn
        .prepare_cached("SELECT status FROM purchase_orders WHERE account_id = ?1 AND id = ?2")
        .and_then(|mut s| {
            s.query_row(params![origin.account.0, order.0], |r| {
                parse_text(r, 0, "status", str::parse)
            })
            .optional()
        })
        .map_err(db)?
        .ok_or(StoreError::NotFound)?;
    ensure_allowed(order, status, Action::Send)?;
    let now = micros(crate::store::now());
    let id: i64 = conn
        .prepare_cached(
            "INSERT INTO mails (account_id, purchase_order_id, actor, request_id, sender,
                                recipients_to, recipients_cc, subject, message, state,
                                next_attempt_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, 'pending', ?10, ?10)
             RETURNING id",
        )
        .and_then(|mut s| {
            s.query_row(
                params![
                    origin.account.0,
                    order.0,
                    origin.actor.as_text(),
                    origin.request_id,
                    mail.sender,
                    serde_json::to_string(&mail.to).unwrap_or_default(),
                    serde_json::to_string(&mail.cc).unwrap_or_default(),
                    mail.subject,
                    mail.message,
                    now,
                ],
                |r| r.get(0),
            )
        })
        .map_err(db)?;
    let summary = MailSummary {
        id: MailId(id),
        to: mail.to.clone(),
        cc: mail.cc.clone(),
        subject: mail.subject.clone(),
    };
    append_event(conn, origin, &NewEvent::send_requested(order, &summary))?;
    Ok(summary)
}

const DUE_COLUMNS: &str = "id, account_id, purchase_order_id, sender, recipients_to, \
                           recipients_cc, subject, message, attempts";

fn read_due(r: &Row<'_>) -> rusqlite::Result<DueMail> {
    let list = |at: usize| -> rusqlite::Result<Vec<String>> {
        parse_text(r, at, "recipients", |raw| {
            serde_json::from_str::<Vec<String>>(raw)
        })
    };
    Ok(DueMail {
        summary: MailSummary {
            id: MailId(r.get(0)?),
            to: list(4)?,
            cc: list(5)?,
            subject: r.get(6)?,
        },
        account: AccountId(r.get(1)?),
        order: PurchaseOrderId(r.get(2)?),
        sender: r.get(3)?,
        message: r.get(7)?,
        attempts: r.get(8)?,
    })
}

fn lease(
    conn: &Connection,
    now: DateTime<Utc>,
    until: DateTime<Utc>,
    limit: u32,
) -> StoreResult<Vec<DueMail>> {
    all(
        conn,
        &format!(
            "UPDATE mails SET leased_until = ?2
             WHERE id IN (SELECT id FROM mails
                          WHERE state = 'pending' AND next_attempt_at <= ?1
                                AND (leased_until IS NULL OR leased_until <= ?1)
                          ORDER BY id LIMIT ?3)
             RETURNING {DUE_COLUMNS}"
        ),
        params![micros(now), micros(until), limit],
        |r| read_due(r).map_err(db),
    )
}

fn settle(conn: &Connection, mail: &DueMail, attempt: &MailAttempt) -> StoreResult<()> {
    let state = attempt.state();
    let settled: Option<(String, Option<String>)> = conn
        .prepare_cached(
            "UPDATE mails SET state = ?2, attempts = attempts + 1, leased_until = NULL,
                 next_attempt_at = COALESCE(?3, next_attempt_at), last_error = ?4,
                 sent_at = CASE WHEN ?5 THEN ?6 END
             WHERE id = ?1 AND state = 'pending'
             RETURNING actor, request_id",
        )
        .and_then(|mut s| {
            s.query_row(
                params![
                    mail.summary.id.0,
                    state,
                    attempt.retry_at.map(micros),
                    attempt.error,
                    attempt.sent,
                    micros(attempt.at),
                ],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })
        .map_err(db)?;
    let (Some((actor, request_id)), Some(event)) = (settled, attempt.outcome(mail)) else {
        return Ok(());
    };
    let origin = Origin::stored(mail.account, &actor, request_id);
    append_event(conn, &origin, &event)
}

#[async_trait]
impl Mails for SqliteStore {
    #[tracing::instrument(name = "store.queue_mail", level = "debug", skip_all, fields(account = %w.account, order = %order))]
    async fn queue_mail(
        &self,
        w: Write<MailSummary>,
        order: PurchaseOrderId,
        mail: NewMail,
    ) -> StoreResult<MailSummary> {
        let origin = w.origin();
        let Write { account, once, .. } = w;
        self.write_once(account, once, move |c| queue(c, &origin, order, &mail))
            .await
    }

    async fn lease_mails(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<DueMail>> {
        // Most polls find nothing: a read answers them without a turn on the writer.
        let due: bool = self.engine.read_now(move |c| {
            c.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM mails WHERE state = 'pending' AND next_attempt_at <= ?1)",
            )
            .and_then(|mut s| s.query_row([micros(now)], |r| r.get(0)))
            .map_err(db)
        })?;
        if !due {
            return Ok(Vec::new());
        }
        self.engine
            .write(move |c| lease(c, now, until, limit))
            .await
    }

    async fn settle_mail(&self, mail: &DueMail, attempt: MailAttempt) -> StoreResult<()> {
        let mail = mail.clone();
        self.engine.write(move |c| settle(c, &mail, &attempt)).await
    }
}
