//! Events: appended by every purchase-order write in its own job, read by the feed and the
//! order's history. The single writer commits jobs one group at a time, so positions taken from
//! the account's counter are already in commit order.

use rusqlite::{Connection, params};

use super::rows::{all, one};
use super::{SqliteStore, db, micros};
use crate::domain::event::{Event, NewEvent};
use crate::domain::ids::{AccountId, PurchaseOrderId};
use crate::domain::page::{Page, PageRequest};
use crate::store::event_rows::{EVENT_COLUMNS, feed_page, read_event};
use crate::store::rows::statement;
use crate::store::write::Origin;
use crate::store::{Events, StoreResult};
use async_trait::async_trait;

/// Appends `event` to its order's history and its account's feed, and queues a delivery for
/// each of the account's webhooks that listens to it. Call inside the change's job.
pub fn append_event(conn: &Connection, origin: &Origin, event: &NewEvent) -> StoreResult<()> {
    let now = micros(crate::store::now());
    let position: i64 = conn
        .prepare_cached(
            "INSERT INTO event_positions (account_id, last_position) VALUES (?1, 1)
             ON CONFLICT (account_id) DO UPDATE SET last_position = last_position + 1
             RETURNING last_position",
        )
        .and_then(|mut s| s.query_row([origin.account.0], |r| r.get(0)))
        .map_err(db)?;
    conn.prepare_cached(
        "INSERT INTO events (account_id, position, purchase_order_id, type, occurred_at, request_id,
                             actor, data)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )
    .and_then(|mut s| {
        s.execute(params![
            origin.account.0,
            position,
            event.order.0,
            event.kind.as_str(),
            now,
            origin.request_id,
            origin.actor.as_text(),
            event.data.to_string(),
        ])
    })
    .map_err(db)?;
    let event_id = conn.last_insert_rowid();
    // The subscribers first, then a row each: an INSERT ... SELECT may insert several rows, and
    // SQLite journals the pages of every such statement in case it fails halfway.
    let webhooks: Vec<i64> = conn
        .prepare_cached("SELECT id FROM webhooks WHERE account_id = ?1 AND event = ?2")
        .and_then(|mut s| {
            s.query_map(params![origin.account.0, event.kind.webhook_event()], |r| {
                r.get(0)
            })?
            .collect()
        })
        .map_err(db)?;
    // Queued behind the order's head delivery to the webhook when it has one (0012).
    for webhook in webhooks {
        conn.prepare_cached(
            "INSERT INTO webhook_deliveries (webhook_id, event_id, purchase_order_id, state,
                                             next_attempt_at, created_at, queued)
             VALUES (?1, ?2, ?3, 'pending', ?4, ?4,
                     EXISTS (SELECT 1 FROM webhook_deliveries
                             WHERE webhook_id = ?1 AND purchase_order_id = ?3
                                   AND state = 'pending' AND queued = 0))",
        )
        .and_then(|mut s| s.execute(params![webhook, event_id, event.order.0, now]))
        .map_err(db)?;
    }
    Ok(())
}

fn list_events(
    conn: &Connection,
    account: AccountId,
    page: &PageRequest,
) -> StoreResult<Page<Event>> {
    let counted = match page.known_total() {
        Some(total) => total,
        None => conn
            // Positions are dense: the counter moves only in committed jobs.
            .prepare_cached(
                "SELECT COALESCE(MAX(last_position), 0) FROM event_positions WHERE account_id = ?1",
            )
            .and_then(|mut s| s.query_row([account.0], |r| r.get::<_, i64>(0)))
            .map_err(db)? as u64,
    };
    let rows = all(
        conn,
        statement!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE account_id = ?1 AND position > ?2
             ORDER BY position LIMIT ?3 OFFSET ?4"
        ),
        params![
            account.0,
            page.after_id().unwrap_or(0),
            page.size as i64 + 1,
            page.offset() as i64
        ],
        |row| read_event(row),
    )?;
    Ok(feed_page(rows, page, counted))
}

fn order_history(
    conn: &Connection,
    account: AccountId,
    id: PurchaseOrderId,
    page: &PageRequest,
) -> StoreResult<Page<Event>> {
    one(
        conn,
        "SELECT 1 FROM purchase_orders WHERE account_id = ?1 AND id = ?2",
        params![account.0, id.0],
        |_| Ok(()),
    )?;
    let total = match page.known_total() {
        Some(total) => total,
        None => conn
            .prepare_cached("SELECT COUNT(*) FROM events WHERE purchase_order_id = ?1")
            .and_then(|mut s| s.query_row([id.0], |r| r.get::<_, i64>(0)))
            .map_err(db)? as u64,
    };
    let rows = all(
        conn,
        statement!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE purchase_order_id = ?1 AND position > ?2
             ORDER BY position LIMIT ?3 OFFSET ?4"
        ),
        params![
            id.0,
            page.after_id().unwrap_or(0),
            page.size as i64 + 1,
            page.offset() as i64
        ],
        |row| read_event(row),
    )?;
    Ok(Page::from_rows(rows, page, total, |e| e.position))
}

#[async_trait]
impl Events for SqliteStore {
    #[tracing::instrument(name = "store.list_events", level = "debug", skip_all, fields(account = %account))]
    async fn list_events(&self, account: AccountId, page: PageRequest) -> StoreResult<Page<Event>> {
        self.engine
            .read(move |c| list_events(c, account, &page))
            .await
    }

    #[tracing::instrument(name = "store.order_history", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn order_history(
        &self,
        account: AccountId,
        id: PurchaseOrderId,
        page: PageRequest,
    ) -> StoreResult<Page<Event>> {
        self.engine
            .read(move |c| order_history(c, account, id, &page))
            .await
    }
}
