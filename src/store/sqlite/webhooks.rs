//! Webhooks and their deliveries. The outbox rows are written by `events::append_event` in the
//! change's own job; the delivery worker leases and settles them on the single writer, so two
//! workers never hold one delivery.

use rusqlite::{Connection, OptionalExtension, params};

use super::rows::{all, one};
use super::{SqliteStore, db, micros};
use crate::domain::ids::{AccountId, DeliveryId, WebhookId};
use crate::domain::page::{Page, PageRequest};
use crate::domain::webhook::{Webhook, WebhookInput, WebhookPatch};
use crate::store::delivery::{
    DELIVERY_COLUMNS, DUE_COLUMNS, WEBHOOK_COLUMNS, read_delivery, read_due, read_webhook,
};
use crate::store::rows::statement;
use crate::store::{
    Attempt, Delivery, DueDelivery, StoreError, StoreResult, Webhooks, Write, found,
};
use async_trait::async_trait;
use chrono::{DateTime, Utc};

fn headers_json(headers: &[crate::domain::webhook::Header]) -> String {
    serde_json::to_string(headers).unwrap_or_else(|_| "[]".to_owned())
}

fn get(conn: &Connection, account: AccountId, id: WebhookId) -> StoreResult<Webhook> {
    one(
        conn,
        statement!("SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE account_id = ?1 AND id = ?2"),
        params![account.0, id.0],
        |r| read_webhook(r),
    )
}

fn changed(rows: usize) -> StoreResult<()> {
    if rows == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

/// What is due to be sent, oldest first: for each webhook and order only its head, the oldest
/// delivery still pending (the others are queued behind it), with its event and the webhook's
/// target and secret.
fn due(conn: &Connection, now: DateTime<Utc>, limit: u32) -> StoreResult<Vec<DueDelivery>> {
    conn.prepare_cached(statement!(
        "SELECT {DUE_COLUMNS} FROM webhook_deliveries d
         JOIN webhooks w ON w.id = d.webhook_id JOIN events e ON e.id = d.event_id
         WHERE d.state = 'pending' AND d.queued = 0 AND d.next_attempt_at <= ?1
         ORDER BY d.next_attempt_at, d.id LIMIT ?2"
    ))
    .and_then(|mut s| {
        s.query_map(params![micros(now), limit], |r| Ok(read_due(r)))?
            .collect::<Result<Vec<_>, _>>()
    })
    .map_err(db)?
    .into_iter()
    .collect()
}

fn secret(conn: &Connection, account: AccountId, id: WebhookId) -> StoreResult<String> {
    one(
        conn,
        "SELECT secret FROM webhooks WHERE account_id = ?1 AND id = ?2",
        params![account.0, id.0],
        |r| r.get(0).map_err(db),
    )
}

/// The pending deliveries to webhook `?1` of order `?2`'s events after event `?3`, in the order's
/// order: queued deliveries are in no index of their own, so they are found through the order's
/// events.
macro_rules! later_deliveries {
    () => {
        "SELECT d.id FROM events e
         JOIN webhook_deliveries d ON d.webhook_id = ?1 AND d.event_id = e.id
         WHERE e.purchase_order_id = ?2
               AND e.position > (SELECT position FROM events WHERE id = ?3)
               AND d.state = 'pending'"
    };
}

/// Makes `delivery` due at once. One that was done becomes a head, sent beside the order's head
/// if it has one: it is an old event sent again, and holds up none of the order's later ones. A
/// pending one keeps its place.
fn redeliver(
    conn: &Connection,
    webhook: WebhookId,
    delivery: DeliveryId,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    conn.execute(
        "UPDATE webhook_deliveries SET state = 'pending', attempts = 0, leased_until = NULL,
             next_attempt_at = ?3, queued = CASE WHEN state = 'pending' THEN queued ELSE 0 END
         WHERE webhook_id = ?1 AND id = ?2",
        params![webhook.0, delivery.0, micros(now)],
    )
    .map_err(db)
    .and_then(changed)
}

/// Records an attempt at a head delivery. A head that is done makes way for the next queued
/// delivery of its order, unless the order has another head (a redelivery of an older event).
///
/// Every queued delivery is younger than every head: it was queued behind a head, a head is
/// written only when there is none, a promotion takes the oldest queued, and a redelivered
/// delivery was done before any queued one was written. So the next one is after the last head.
fn settle(conn: &Connection, id: DeliveryId, attempt: &Attempt) -> StoreResult<()> {
    let state = match (attempt.delivered, attempt.retry_at) {
        (true, _) => "delivered",
        (false, Some(_)) => "pending",
        (false, None) => "failed",
    };
    let settled: Option<(i64, i64, i64, bool)> = conn
        .prepare_cached(
            "UPDATE webhook_deliveries SET state = ?2, attempts = attempts + 1, leased_until = NULL,
                 next_attempt_at = COALESCE(?3, next_attempt_at), last_status = ?4, last_response = ?5,
                 delivered_at = CASE WHEN ?6 THEN ?7 END
             WHERE id = ?1 AND state = 'pending'
             RETURNING webhook_id, purchase_order_id, event_id, queued",
        )
        .and_then(|mut s| {
            s.query_row(
                params![
                    id.0,
                    state,
                    attempt.retry_at.map(micros),
                    attempt.status,
                    attempt.response,
                    attempt.delivered,
                    micros(attempt.at),
                ],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
            )
            .optional()
        })
        .map_err(db)?;
    let Some((webhook, order, event, queued)) = settled else {
        return Ok(());
    };
    if let Some(retry_at) = attempt.retry_at.filter(|_| !attempt.delivered) {
        // The order's queued deliveries wait for this one; the log shows when they can go at
        // the earliest. (A later head, beside a redelivery, goes when it is due.)
        return conn
            .prepare_cached(concat!(
                "UPDATE webhook_deliveries SET next_attempt_at = ?4
                 WHERE next_attempt_at < ?4 AND id IN (",
                later_deliveries!(),
                " AND d.queued = 1)"
            ))
            .and_then(|mut s| s.execute(params![webhook, order, event, micros(retry_at)]))
            .map(drop)
            .map_err(db);
    }
    if !queued {
        conn.prepare_cached(concat!(
            "UPDATE webhook_deliveries SET queued = 0
             WHERE NOT EXISTS (SELECT 1 FROM webhook_deliveries
                               WHERE webhook_id = ?1 AND purchase_order_id = ?2
                                     AND state = 'pending' AND queued = 0)
                   AND id = (",
            later_deliveries!(),
            " AND d.queued = 1 ORDER BY e.position LIMIT 1)"
        ))
        .and_then(|mut s| s.execute(params![webhook, order, event]))
        .map_err(db)?;
    }
    // Only when the webhook's state changes: most deliveries leave its row as it is.
    conn.prepare_cached(
        "UPDATE webhooks SET failing_since = CASE WHEN ?3 THEN NULL ELSE ?2 END
         WHERE id = ?1 AND (failing_since IS NULL) = (NOT ?3)",
    )
    .and_then(|mut s| s.execute(params![webhook, micros(attempt.at), attempt.delivered]))
    .map_err(db)?;
    Ok(())
}

#[async_trait]
impl Webhooks for SqliteStore {
    #[tracing::instrument(name = "store.create_webhook", level = "debug", skip_all, fields(account = %w.account))]
    async fn create_webhook(
        &self,
        w: Write<Webhook>,
        input: WebhookInput,
        secret: String,
    ) -> StoreResult<Webhook> {
        let Write { account, once, .. } = w;
        self.write_once(account, once, move |c| {
            c.prepare_cached(
                "INSERT INTO webhooks (account_id, name, url, event, headers, secret, created_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            )
            .and_then(|mut s| {
                s.execute(params![
                    account.0,
                    input.name,
                    input.url,
                    input.event,
                    headers_json(&input.headers),
                    secret,
                    micros(crate::store::now()),
                ])
            })
            .map_err(db)?;
            get(c, account, WebhookId(c.last_insert_rowid()))
        })
        .await
    }

    #[tracing::instrument(name = "store.get_webhook", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn get_webhook(&self, account: AccountId, id: WebhookId) -> StoreResult<Option<Webhook>> {
        found(self.engine.read_now(move |c| get(c, account, id)))
    }

    #[tracing::instrument(name = "store.list_webhooks", level = "debug", skip_all, fields(account = %account))]
    async fn list_webhooks(&self, account: AccountId) -> StoreResult<Vec<Webhook>> {
        self.engine
            .read(move |c| {
                all(
                    c,
                    statement!(
                        "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE account_id = ?1 ORDER BY id"
                    ),
                    [account.0],
                    |r| read_webhook(r),
                )
            })
            .await
    }

    #[tracing::instrument(name = "store.update_webhook", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn update_webhook(
        &self,
        account: AccountId,
        id: WebhookId,
        patch: WebhookPatch,
    ) -> StoreResult<()> {
        self.engine
            .write(move |c| {
                let rows = c
                    .prepare_cached(
                        "UPDATE webhooks SET name = COALESCE(?3, name), url = COALESCE(?4, url),
                             headers = COALESCE(?5, headers)
                         WHERE account_id = ?1 AND id = ?2",
                    )
                    .and_then(|mut s| {
                        s.execute(params![
                            account.0,
                            id.0,
                            patch.name,
                            patch.url,
                            patch.headers.as_deref().map(headers_json),
                        ])
                    })
                    .map_err(db)?;
                changed(rows)
            })
            .await
    }

    #[tracing::instrument(name = "store.delete_webhook", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn delete_webhook(&self, account: AccountId, id: WebhookId) -> StoreResult<()> {
        self.engine
            .write(move |c| {
                get(c, account, id)?;
                c.execute(
                    "DELETE FROM webhook_deliveries WHERE webhook_id = ?1",
                    [id.0],
                )
                .map_err(db)?;
                c.execute("DELETE FROM webhooks WHERE id = ?1", [id.0])
                    .map_err(db)
                    .and_then(changed)
            })
            .await
    }

    #[tracing::instrument(name = "store.webhook_secret", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn webhook_secret(&self, account: AccountId, id: WebhookId) -> StoreResult<String> {
        self.engine.read_now(move |c| secret(c, account, id))
    }

    #[tracing::instrument(name = "store.rotate_webhook_secret", level = "debug", skip_all, fields(account = %w.account, id = %id))]
    async fn rotate_webhook_secret(
        &self,
        w: Write<String>,
        id: WebhookId,
        new: String,
    ) -> StoreResult<String> {
        let Write { account, once, .. } = w;
        self.write_once(account, once, move |c| {
            c.prepare_cached("UPDATE webhooks SET secret = ?3 WHERE account_id = ?1 AND id = ?2")
                .and_then(|mut s| s.execute(params![account.0, id.0, new]))
                .map_err(db)
                .and_then(changed)?;
            secret(c, account, id)
        })
        .await
    }

    #[tracing::instrument(name = "store.list_deliveries", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn list_deliveries(
        &self,
        account: AccountId,
        id: WebhookId,
        page: PageRequest,
    ) -> StoreResult<Page<Delivery>> {
        self.engine
            .read(move |c| {
                get(c, account, id)?;
                let total = match page.known_total() {
                    Some(total) => total,
                    None => one(
                        c,
                        "SELECT COUNT(*) FROM webhook_deliveries WHERE webhook_id = ?1",
                        [id.0],
                        |r| r.get::<_, i64>(0).map_err(db),
                    )? as u64,
                };
                let (after, limit, offset) = super::page_bounds(&page);
                // Newest first by event, which is newest first by id (0012); the cursor is the
                // last delivery's id.
                let rows = all(
                    c,
                    statement!(
                        "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d
                         JOIN purchase_orders o ON o.id = d.purchase_order_id
                         WHERE d.webhook_id = ?1
                               AND d.event_id < COALESCE((SELECT event_id FROM webhook_deliveries
                                                          WHERE webhook_id = ?1 AND id = ?2), ?2)
                         ORDER BY d.event_id DESC LIMIT ?3 OFFSET ?4"
                    ),
                    params![id.0, after, limit, offset],
                    |r| read_delivery(r),
                )?;
                Ok(Page::from_rows(rows, &page, total, |d| d.id.0))
            })
            .await
    }

    #[tracing::instrument(name = "store.redeliver", level = "debug", skip_all, fields(account = %w.account, id = %id))]
    async fn redeliver(
        &self,
        w: Write<()>,
        id: WebhookId,
        delivery: DeliveryId,
    ) -> StoreResult<()> {
        let Write { account, once, .. } = w;
        self.write_once(account, once, move |c| {
            get(c, account, id)?;
            redeliver(c, id, delivery, crate::store::now())
        })
        .await
    }

    /// One server works a SQLite database (`server_lock.rs`), and its worker looks for more only
    /// once it has recorded how the last batch went: what is due is read, and no lease is
    /// written. A server that dies while sending leaves them pending, and sends them again
    /// when it starts, as a lease running out would.
    async fn lease_deliveries(
        &self,
        now: DateTime<Utc>,
        _until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<DueDelivery>> {
        // Most polls find nothing: answered on this thread, by one probe of the index.
        let any: bool = self.engine.read_now(move |c| {
            one(
                c,
                "SELECT EXISTS (SELECT 1 FROM webhook_deliveries
                                WHERE state = 'pending' AND queued = 0 AND next_attempt_at <= ?1)",
                [micros(now)],
                |r| r.get(0).map_err(db),
            )
        })?;
        if !any {
            return Ok(Vec::new());
        }
        self.engine.read(move |c| due(c, now, limit)).await
    }

    async fn settle_deliveries(&self, attempts: Vec<(DeliveryId, Attempt)>) -> StoreResult<()> {
        self.engine
            .write(move |c| {
                for (id, attempt) in &attempts {
                    settle(c, *id, attempt)?;
                }
                Ok(())
            })
            .await
    }
}

#[cfg(test)]
#[path = "delivery_queue_tests.rs"]
mod tests;
