//! Events: appended by every purchase-order write in its transaction, read by the feed and the
//! order's history.
//!
//! Ids from a sequence commit out of order: a reader that has seen id N may later find an id
//! below N that was still uncommitted. So the feed does not page by id but by `position`, taken
//! from the account's row of `event_positions` with `UPDATE ... RETURNING`. That row stays locked
//! until the transaction ends, so the next writer of the account gets its position only once the
//! previous one has committed (or rolled back, undoing its increment): positions are dense and
//! in commit order, and a reader at position N can never see N + 1 without N. The lock is taken
//! last in every write, after the order's own locks, so that it is held only for the commit and
//! cannot take part in a deadlock (docs/decisions.md).

use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::{PgStore, db};
use crate::domain::event::{Event, NewEvent};
use crate::domain::ids::{AccountId, PurchaseOrderId};
use crate::domain::page::{Page, PageRequest};
use crate::store::event_rows::{EVENT_COLUMNS, feed_page, read_event};
use crate::store::rows::statement;
use crate::store::write::Origin;
use crate::store::{Events, StoreError, StoreResult};
use async_trait::async_trait;

/// The common table expressions that append an event for the order `order_id` (an expression
/// over the statement's earlier CTEs, none of which may be named `pos`, `ev` or `outbox`) and
/// queue its deliveries. The account is `$1`; the event's values are `$p` to `$p + 5`, bound by
/// [`Append::bind`].
pub(super) fn append_ctes(from: &str, order_id: &str, p: usize) -> String {
    let (kind, now, request_id, actor, data, webhook_event) =
        (p, p + 1, p + 2, p + 3, p + 4, p + 5);
    format!(
        "pos AS (
             INSERT INTO event_positions AS ep (account_id, last_position) SELECT $1, 1 FROM {from}
             ON CONFLICT (account_id) DO UPDATE SET last_position = ep.last_position + 1
             RETURNING last_position),
         ev AS (
             INSERT INTO events (account_id, position, purchase_order_id, type, occurred_at,
                                 request_id, actor, data)
             SELECT $1, pos.last_position, {order_id}, ${kind}, ${now}, ${request_id}, ${actor}, ${data}
             FROM pos, {from}
             RETURNING id, purchase_order_id),
         outbox AS (
             INSERT INTO webhook_deliveries (webhook_id, event_id, purchase_order_id, state,
                                             next_attempt_at, created_at)
             SELECT w.id, ev.id, ev.purchase_order_id, 'pending', ${now}, ${now}
             FROM ev JOIN webhooks w ON w.account_id = $1 AND w.event = ${webhook_event})"
    )
}

/// The values of an event appended by [`append_ctes`], in the order they are bound.
pub(super) struct Append {
    pub kind: &'static str,
    pub now: DateTime<Utc>,
    pub request_id: Option<String>,
    pub actor: String,
    pub data: String,
    pub webhook_event: Option<&'static str>,
}

impl Append {
    pub(super) fn new(origin: &Origin, event: &NewEvent, now: DateTime<Utc>) -> Self {
        Self {
            kind: event.kind.as_str(),
            now,
            request_id: origin.request_id.clone(),
            actor: origin.actor.as_text(),
            data: event.data.to_string(),
            webhook_event: event.kind.webhook_event(),
        }
    }
}

/// Binds an [`Append`]'s values to a query or a scalar query, in [`append_ctes`]'s order.
macro_rules! bind_append {
    ($query:expr, $append:expr) => {{
        let append = $append;
        $query
            .bind(append.kind)
            .bind(append.now)
            .bind(append.request_id)
            .bind(append.actor)
            .bind(append.data)
            .bind(append.webhook_event)
    }};
}
pub(super) use bind_append;

/// Appends `event` inside the open transaction `conn`, after the change's own writes.
pub async fn append_event(
    conn: &mut PgConnection,
    origin: &Origin,
    event: &NewEvent,
) -> StoreResult<()> {
    let sql = statement!(
        "WITH target AS (SELECT $2::BIGINT AS id), {} SELECT (SELECT count(*) FROM ev)",
        append_ctes("target", "target.id", 3)
    );
    let query = sqlx::query_scalar::<_, i64>(sql)
        .bind(origin.account.0)
        .bind(event.order.0);
    let appended = bind_append!(query, Append::new(origin, event, crate::store::now()))
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    if appended == 1 {
        Ok(())
    } else {
        Err(StoreError::Internal(
            format!("the event of {} was not appended", event.order).into(),
        ))
    }
}

async fn list_events(
    conn: &mut PgConnection,
    account: AccountId,
    page: &PageRequest,
) -> StoreResult<Page<Event>> {
    let counted = match page.known_total() {
        Some(total) => total,
        // Positions are dense: the counter moves only in committed transactions.
        None => sqlx::query_scalar::<_, i64>(
            "SELECT COALESCE(MAX(last_position), 0) FROM event_positions WHERE account_id = $1",
        )
        .bind(account.0)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)? as u64,
    };
    let rows = sqlx::query(statement!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE account_id = $1 AND position > $2
         ORDER BY position LIMIT $3 OFFSET $4"
    ))
    .bind(account.0)
    .bind(page.after_id().unwrap_or(0))
    .bind(page.size as i64 + 1)
    .bind(page.offset() as i64)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .iter()
    .map(read_event)
    .collect::<StoreResult<Vec<_>>>()?;
    Ok(feed_page(rows, page, counted))
}

async fn order_history(
    conn: &mut PgConnection,
    account: AccountId,
    id: PurchaseOrderId,
    page: &PageRequest,
) -> StoreResult<Page<Event>> {
    super::ledger::order_exists(conn, account, id).await?;
    let total = match page.known_total() {
        Some(total) => total,
        None => {
            sqlx::query_scalar::<_, i64>("SELECT count(*) FROM events WHERE purchase_order_id = $1")
                .bind(id.0)
                .fetch_one(&mut *conn)
                .await
                .map_err(db)? as u64
        }
    };
    let rows = sqlx::query(statement!(
        "SELECT {EVENT_COLUMNS} FROM events WHERE purchase_order_id = $1 AND position > $2
         ORDER BY position LIMIT $3 OFFSET $4"
    ))
    .bind(id.0)
    .bind(page.after_id().unwrap_or(0))
    .bind(page.size as i64 + 1)
    .bind(page.offset() as i64)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .iter()
    .map(read_event)
    .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_rows(rows, page, total, |e| e.position))
}

#[async_trait]
impl Events for PgStore {
    #[tracing::instrument(name = "store.list_events", level = "debug", skip_all, fields(account = %account))]
    async fn list_events(&self, account: AccountId, page: PageRequest) -> StoreResult<Page<Event>> {
        read!(self, |conn| list_events(&mut conn, account, &page).await)
    }

    #[tracing::instrument(name = "store.order_history", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn order_history(
        &self,
        account: AccountId,
        id: PurchaseOrderId,
        page: PageRequest,
    ) -> StoreResult<Page<Event>> {
        read!(self, |conn| order_history(&mut conn, account, id, &page)
            .await)
    }
}
