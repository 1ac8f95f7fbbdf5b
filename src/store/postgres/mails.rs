//! The mail outbox on PostgreSQL. Servers lease mails with `FOR UPDATE SKIP LOCKED`, so each
//! attempt is made by one of them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row};

use super::events::append_event;
use super::rows::parse_status;
use super::{PgStore, db};
use crate::domain::event::NewEvent;
use crate::domain::ids::{AccountId, MailId, PurchaseOrderId};
use crate::domain::mail::{DueMail, MailAttempt, MailSummary, NewMail};
use crate::domain::refusal::{Action, ensure_allowed};
use crate::store::write::Origin;
use crate::store::{Mails, StoreError, StoreResult, Write};

async fn queue(
    conn: &mut PgConnection,
    origin: &Origin,
    order: PurchaseOrderId,
    mail: &NewMail,
) -> StoreResult<MailSummary> {
    // A share lock: a status change waits for the send to commit, or the send for the change.
    let status: String = sqlx::query_scalar(
        "SELECT status FROM purchase_orders WHERE account_id = $1 AND id = $2 FOR SHARE",
    )
    .bind(origin.account.0)
    .bind(order.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    ensure_allowed(order, parse_status(&status)?, Action::Send)?;
    let now = crate::store::now();
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO mails (account_id, purchase_order_id, actor, request_id, sender,
                            recipients_to, recipients_cc, subject, message, state,
                            next_attempt_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'pending', $10, $10)
         RETURNING id",
    )
    .bind(origin.account.0)
    .bind(order.0)
    .bind(origin.actor.as_text())
    .bind(&origin.request_id)
    .bind(&mail.sender)
    .bind(serde_json::to_string(&mail.to).unwrap_or_default())
    .bind(serde_json::to_string(&mail.cc).unwrap_or_default())
    .bind(&mail.subject)
    .bind(&mail.message)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    let summary = MailSummary {
        id: MailId(id),
        to: mail.to.clone(),
        cc: mail.cc.clone(),
        subject: mail.subject.clone(),
    };
    append_event(conn, origin, &NewEvent::send_requested(order, &summary)).await?;
    Ok(summary)
}

fn read_due(r: &PgRow) -> StoreResult<DueMail> {
    let list = |at: usize| -> StoreResult<Vec<String>> {
        let raw: String = r.try_get(at).map_err(db)?;
        serde_json::from_str(&raw).map_err(|e| {
            StoreError::Internal(format!("bad recipients '{raw}' in the database: {e}").into())
        })
    };
    Ok(DueMail {
        summary: MailSummary {
            id: MailId(r.try_get(0).map_err(db)?),
            to: list(4)?,
            cc: list(5)?,
            subject: r.try_get(6).map_err(db)?,
        },
        account: AccountId(r.try_get(1).map_err(db)?),
        order: PurchaseOrderId(r.try_get(2).map_err(db)?),
        sender: r.try_get(3).map_err(db)?,
        message: r.try_get(7).map_err(db)?,
        attempts: r.try_get(8).map_err(db)?,
    })
}

async fn settle(conn: &mut PgConnection, mail: &DueMail, attempt: &MailAttempt) -> StoreResult<()> {
    let state = attempt.state();
    let settled: Option<(String, Option<String>)> = sqlx::query_as(
        "UPDATE mails SET state = $2, attempts = attempts + 1, leased_until = NULL,
             next_attempt_at = COALESCE($3, next_attempt_at), last_error = $4,
             sent_at = CASE WHEN $5 THEN $6::timestamptz END
         WHERE id = $1 AND state = 'pending'
         RETURNING actor, request_id",
    )
    .bind(mail.summary.id.0)
    .bind(state)
    .bind(attempt.retry_at)
    .bind(&attempt.error)
    .bind(attempt.sent)
    .bind(attempt.at)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    let (Some((actor, request_id)), Some(event)) = (settled, attempt.outcome(mail)) else {
        return Ok(());
    };
    let origin = Origin::stored(mail.account, &actor, request_id);
    append_event(conn, &origin, &event).await
}

#[async_trait]
impl Mails for PgStore {
    #[tracing::instrument(name = "store.queue_mail", level = "debug", skip_all, fields(account = %w.account, order = %order))]
    async fn queue_mail(
        &self,
        w: Write<MailSummary>,
        order: PurchaseOrderId,
        mail: NewMail,
    ) -> StoreResult<MailSummary> {
        let origin = w.origin();
        let Write { account, once, .. } = w;
        write_once!(self, account, once, |tx| queue(
            &mut tx, &origin, order, &mail
        )
        .await)
    }

    async fn lease_mails(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<DueMail>> {
        read!(self, |conn| {
            let rows = sqlx::query(
                "UPDATE mails SET leased_until = $2
                 WHERE id IN (SELECT id FROM mails
                              WHERE state = 'pending' AND next_attempt_at <= $1
                                    AND (leased_until IS NULL OR leased_until <= $1)
                              ORDER BY id LIMIT $3
                              FOR UPDATE SKIP LOCKED)
                 RETURNING id, account_id, purchase_order_id, sender, recipients_to,
                           recipients_cc, subject, message, attempts",
            )
            .bind(now)
            .bind(until)
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?;
            rows.iter().map(read_due).collect()
        })
    }

    async fn settle_mail(&self, mail: &DueMail, attempt: MailAttempt) -> StoreResult<()> {
        write_tx!(self, |tx| settle(&mut tx, mail, &attempt).await)
    }
}
