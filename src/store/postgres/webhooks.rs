//! Webhooks and their deliveries. The outbox rows are written by `events::append_ctes` in the
//! change's own transaction. Several servers lease from the outbox at once: `FOR UPDATE SKIP
//! LOCKED` hands each due delivery to one of them, and the lease (`leased_until`) keeps it theirs
//! until they settle it or, if they die, until it runs out.

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::{PgStore, db, page_bounds};
use crate::domain::ids::{AccountId, DeliveryId, WebhookId};
use crate::domain::page::{Page, PageRequest};
use crate::domain::webhook::{Header, Webhook, WebhookInput, WebhookPatch};
use crate::store::delivery::{
    DELIVERY_COLUMNS, DUE_COLUMNS, WEBHOOK_COLUMNS, read_delivery, read_due, read_webhook,
};
use crate::store::rows::statement;
use crate::store::{
    Attempt, Delivery, DueDelivery, StoreError, StoreResult, Webhooks, Write, found,
};
use async_trait::async_trait;

fn headers_json(headers: &[Header]) -> String {
    serde_json::to_string(headers).unwrap_or_else(|_| "[]".to_owned())
}

async fn get(conn: &mut PgConnection, account: AccountId, id: WebhookId) -> StoreResult<Webhook> {
    let row = sqlx::query(statement!(
        "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE account_id = $1 AND id = $2"
    ))
    .bind(account.0)
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StoreError::NotFound)?;
    read_webhook(&row)
}

fn changed(rows: u64) -> StoreResult<()> {
    if rows == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

async fn settle(conn: &mut PgConnection, id: DeliveryId, attempt: &Attempt) -> StoreResult<()> {
    let state = match (attempt.delivered, attempt.retry_at) {
        (true, _) => "delivered",
        (false, Some(_)) => "pending",
        (false, None) => "failed",
    };
    sqlx::query(
        "WITH settled AS (
             UPDATE webhook_deliveries SET state = $2, attempts = attempts + 1, leased_until = NULL,
                 next_attempt_at = COALESCE($3, next_attempt_at), last_status = $4, last_response = $5,
                 delivered_at = CASE WHEN $6 THEN $7::timestamptz END
             WHERE id = $1 AND state = 'pending'
             RETURNING webhook_id, purchase_order_id),
         -- The order's later deliveries to this webhook wait for this one: none is due before it,
         -- so that the workers do not look at them again and again until then.
         waiting AS (
             UPDATE webhook_deliveries w SET next_attempt_at = $3
             FROM settled
             WHERE $2 = 'pending' AND w.webhook_id = settled.webhook_id
                   AND w.purchase_order_id = settled.purchase_order_id AND w.state = 'pending'
                   AND w.id > $1 AND w.next_attempt_at < $3)
         -- Only when the webhook's state changes: most deliveries leave its row as it is.
         UPDATE webhooks SET failing_since = CASE WHEN $2 = 'delivered' THEN NULL ELSE $7 END
         FROM settled WHERE webhooks.id = settled.webhook_id AND $2 <> 'pending'
                            AND (webhooks.failing_since IS NULL) = ($2 <> 'delivered')",
    )
    .bind(id.0)
    .bind(state)
    .bind(attempt.retry_at)
    .bind(attempt.status)
    .bind(&attempt.response)
    .bind(attempt.delivered)
    .bind(attempt.at)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

#[async_trait]
impl Webhooks for PgStore {
    #[tracing::instrument(name = "store.create_webhook", level = "debug", skip_all, fields(account = %w.account))]
    async fn create_webhook(
        &self,
        w: Write<Webhook>,
        input: WebhookInput,
        secret: String,
    ) -> StoreResult<Webhook> {
        let Write { account, once, .. } = w;
        write_once!(self, account, once, |conn| {
            let id: i64 = sqlx::query_scalar(
                "INSERT INTO webhooks (account_id, name, url, event, headers, secret, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            )
            .bind(account.0)
            .bind(&input.name)
            .bind(&input.url)
            .bind(input.event)
            .bind(headers_json(&input.headers))
            .bind(&secret)
            .bind(crate::store::now())
            .fetch_one(&mut *conn)
            .await
            .map_err(db)?;
            get(&mut conn, account, WebhookId(id)).await
        })
    }

    #[tracing::instrument(name = "store.get_webhook", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn get_webhook(&self, account: AccountId, id: WebhookId) -> StoreResult<Option<Webhook>> {
        found(read!(self, |conn| get(&mut conn, account, id).await))
    }

    #[tracing::instrument(name = "store.list_webhooks", level = "debug", skip_all, fields(account = %account))]
    async fn list_webhooks(&self, account: AccountId) -> StoreResult<Vec<Webhook>> {
        read!(self, |conn| {
            sqlx::query(statement!(
                "SELECT {WEBHOOK_COLUMNS} FROM webhooks WHERE account_id = $1 ORDER BY id"
            ))
            .bind(account.0)
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?
            .iter()
            .map(read_webhook)
            .collect()
        })
    }

    #[tracing::instrument(name = "store.update_webhook", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn update_webhook(
        &self,
        account: AccountId,
        id: WebhookId,
        patch: WebhookPatch,
    ) -> StoreResult<()> {
        read!(self, |conn| {
            let rows = sqlx::query(
                "UPDATE webhooks SET name = COALESCE($3, name), url = COALESCE($4, url),
                     headers = COALESCE($5, headers)
                 WHERE account_id = $1 AND id = $2",
            )
            .bind(account.0)
            .bind(id.0)
            .bind(&patch.name)
            .bind(&patch.url)
            .bind(patch.headers.as_deref().map(headers_json))
            .execute(&mut *conn)
            .await
            .map_err(db)?
            .rows_affected();
            changed(rows)
        })
    }

    #[tracing::instrument(name = "store.delete_webhook", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn delete_webhook(&self, account: AccountId, id: WebhookId) -> StoreResult<()> {
        read!(self, |conn| {
            // The deliveries go with it (ON DELETE CASCADE).
            let rows = sqlx::query("DELETE FROM webhooks WHERE account_id = $1 AND id = $2")
                .bind(account.0)
                .bind(id.0)
                .execute(&mut *conn)
                .await
                .map_err(db)?
                .rows_affected();
            changed(rows)
        })
    }

    #[tracing::instrument(name = "store.webhook_secret", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn webhook_secret(&self, account: AccountId, id: WebhookId) -> StoreResult<String> {
        read!(self, |conn| {
            sqlx::query_scalar::<_, String>(
                "SELECT secret FROM webhooks WHERE account_id = $1 AND id = $2",
            )
            .bind(account.0)
            .bind(id.0)
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound)
        })
    }

    #[tracing::instrument(name = "store.rotate_webhook_secret", level = "debug", skip_all, fields(account = %w.account, id = %id))]
    async fn rotate_webhook_secret(
        &self,
        w: Write<String>,
        id: WebhookId,
        secret: String,
    ) -> StoreResult<String> {
        let Write { account, once, .. } = w;
        write_once!(self, account, once, |tx| {
            sqlx::query_scalar::<_, String>(
                "UPDATE webhooks SET secret = $3 WHERE account_id = $1 AND id = $2 RETURNING secret",
            )
            .bind(account.0)
            .bind(id.0)
            .bind(&secret)
            .fetch_optional(&mut *tx)
            .await
            .map_err(db)?
            .ok_or(StoreError::NotFound)
        })
    }

    #[tracing::instrument(name = "store.list_deliveries", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn list_deliveries(
        &self,
        account: AccountId,
        id: WebhookId,
        page: PageRequest,
    ) -> StoreResult<Page<Delivery>> {
        read!(self, |conn| {
            get(&mut conn, account, id).await?;
            let total = match page.known_total() {
                Some(total) => total,
                None => sqlx::query_scalar::<_, i64>(
                    "SELECT count(*) FROM webhook_deliveries WHERE webhook_id = $1",
                )
                .bind(id.0)
                .fetch_one(&mut *conn)
                .await
                .map_err(db)? as u64,
            };
            let (after, limit, offset) = page_bounds(&page);
            let rows = sqlx::query(statement!(
                "SELECT {DELIVERY_COLUMNS} FROM webhook_deliveries d
                 JOIN purchase_orders o ON o.id = d.purchase_order_id
                 WHERE d.webhook_id = $1 AND d.id < $2 ORDER BY d.id DESC LIMIT $3 OFFSET $4"
            ))
            .bind(id.0)
            .bind(after)
            .bind(limit)
            .bind(offset)
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?
            .iter()
            .map(read_delivery)
            .collect::<StoreResult<Vec<_>>>()?;
            Ok(Page::from_rows(rows, &page, total, |d| d.id.0))
        })
    }

    #[tracing::instrument(name = "store.redeliver", level = "debug", skip_all, fields(account = %w.account, id = %id))]
    async fn redeliver(
        &self,
        w: Write<()>,
        id: WebhookId,
        delivery: DeliveryId,
    ) -> StoreResult<()> {
        let Write { account, once, .. } = w;
        write_once!(self, account, once, |conn| {
            let rows = sqlx::query(
                "UPDATE webhook_deliveries d SET state = 'pending', attempts = 0, leased_until = NULL,
                     next_attempt_at = $4
                 FROM webhooks w
                 WHERE w.id = d.webhook_id AND w.account_id = $1 AND d.webhook_id = $2 AND d.id = $3",
            )
            .bind(account.0)
            .bind(id.0)
            .bind(delivery.0)
            .bind(crate::store::now())
            .execute(&mut *conn)
            .await
            .map_err(db)?
            .rows_affected();
            changed(rows)
        })
    }

    async fn lease_deliveries(
        &self,
        now: DateTime<Utc>,
        until: DateTime<Utc>,
        limit: u32,
    ) -> StoreResult<Vec<DueDelivery>> {
        read!(self, |conn| {
            let mut due = sqlx::query(statement!(
                "WITH leased AS (
                     UPDATE webhook_deliveries SET leased_until = $2
                     WHERE id IN (
                         SELECT d.id FROM webhook_deliveries d
                         WHERE d.state = 'pending' AND d.next_attempt_at <= $1
                               AND (d.leased_until IS NULL OR d.leased_until <= $1)
                               AND NOT EXISTS (
                                   SELECT 1 FROM webhook_deliveries e
                                   WHERE e.webhook_id = d.webhook_id
                                         AND e.purchase_order_id = d.purchase_order_id
                                         AND e.state = 'pending' AND e.id < d.id)
                         ORDER BY d.next_attempt_at, d.id LIMIT $3
                         FOR UPDATE SKIP LOCKED)
                     RETURNING id, webhook_id, event_id, attempts)
                 SELECT {DUE_COLUMNS} FROM leased d
                 JOIN webhooks w ON w.id = d.webhook_id JOIN events e ON e.id = d.event_id"
            ))
            .bind(now)
            .bind(until)
            .bind(i64::from(limit))
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?
            .iter()
            .map(read_due)
            .collect::<StoreResult<Vec<_>>>()?;
            due.sort_by_key(|d| d.id);
            Ok(due)
        })
    }

    async fn settle_deliveries(&self, attempts: Vec<(DeliveryId, Attempt)>) -> StoreResult<()> {
        // One transaction, one commit, for the batch (leased in id order, settled in it too).
        write_tx!(self, |tx| {
            let mut settled = Ok(());
            for (id, attempt) in &attempts {
                settled = settle(&mut tx, *id, attempt).await;
                if settled.is_err() {
                    break;
                }
            }
            settled
        })
    }
}
