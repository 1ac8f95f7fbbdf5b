use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Postgres, QueryBuilder};

use super::PgStore;
use super::events::{Append, append_ctes, append_event, bind_append};
use super::order_counts::{count_moves, count_shard};
use super::order_rows::{LineColumns, get};
use super::rows::{col, parse_status};
use super::{db, page_bounds, warehouses};
use crate::domain::event::NewEvent;
use crate::domain::ids::{AccountId, PurchaseOrderId, SupplierId, WarehouseId};
use crate::domain::page::{Page, PageRequest};
use crate::domain::purchase_order::{
    self, Details, PurchaseOrder, PurchaseOrderFilter, PurchaseOrderInput, PurchaseOrderSummary,
    ShippingDetailsPatch, format_order_number,
};
use crate::domain::refusal::{Action, Refusal, ensure_allowed};
use crate::domain::status::Status;
use crate::domain::version::{Precondition, Tag, Version};
use crate::store::rows::statement;
use crate::store::write::check;
use crate::store::{Origin, Tagged, Write};
use crate::store::{PurchaseOrders, rows};
use crate::store::{StoreError, StoreResult, found, now};
use async_trait::async_trait;

/// Creates an order, with the number allocated beforehand by [`allocate_order_number`], in one
/// statement and so one round trip. `conn` must not be in a transaction: the statement is a
/// transaction of its own, committed (and flushed to disk) before its answer comes back.
///
/// The statement key-share locks the supplier and the warehouse, so that a concurrent warehouse
/// delete waits for it and then sees the order, and writes the order, its lines and its count
/// only if both exist; otherwise it writes nothing and the answer says which one is missing.
pub async fn create(
    conn: &mut PgConnection,
    origin: &Origin,
    input: &PurchaseOrderInput,
    now: DateTime<Utc>,
    order_number: String,
) -> StoreResult<PurchaseOrder> {
    let account = origin.account;
    let d = &input.details;
    let lines = LineColumns::of(input);
    // The id is the statement's own (`po.id`), not the event's.
    let event = NewEvent::created(PurchaseOrderId(0), &order_number);
    let query = sqlx::query(statement!(
        "WITH supplier AS (SELECT name, version FROM suppliers WHERE account_id = $1 AND id = $3 FOR KEY SHARE),
              warehouse AS (SELECT FROM inventory_warehouses WHERE account_id = $1 AND id = $4 FOR KEY SHARE),
              po AS (
                  INSERT INTO purchase_orders (account_id, order_number, supplier_id, warehouse_id, status,
                      order_date, expected_delivery_date, payment_terms, payment_status, currency_code,
                      shipping_carrier, tracking_number, reference_number, note_to_supplier, created_at,
                      updated_at)
                  SELECT $1, $2, $3, $4, 'draft', $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $14
                  WHERE EXISTS (SELECT FROM supplier) AND EXISTS (SELECT FROM warehouse)
                  RETURNING id),
              new_lines AS (
                  INSERT INTO purchase_order_lines (purchase_order_id, line_no, sku, supplier_sku, quantity,
                      cost_micros)
                  SELECT po.id, l.* FROM po, UNNEST($15::bigint[], $16::text[], $17::text[], $18::bigint[],
                      $19::bigint[]) AS l),
              counted AS (
                  INSERT INTO purchase_order_counts (account_id, status, shard, n)
                  SELECT $1, 'draft', $20, 1 FROM po
                  ON CONFLICT (account_id, status, shard) DO UPDATE SET n = purchase_order_counts.n + 1),
              {}
         SELECT (SELECT name FROM supplier), EXISTS (SELECT FROM warehouse), (SELECT id FROM po),
                (SELECT version FROM supplier)",
        append_ctes("po", "po.id", 21)
    ))
    .bind(account.0)
    .bind(&order_number)
    .bind(input.supplier_id.0)
    .bind(input.warehouse_id.0)
    .bind(d.order_date)
    .bind(d.expected_delivery_date)
    .bind(d.payment_terms.as_str())
    .bind(d.payment_status.as_str())
    .bind(d.currency_code.as_str())
    .bind(&d.shipping_carrier)
    .bind(&d.tracking_number)
    .bind(&d.reference_number)
    .bind(&d.note_to_supplier)
    .bind(now)
    .bind(lines.line_nos)
    .bind(lines.skus)
    .bind(lines.supplier_skus)
    .bind(lines.quantities)
    .bind(lines.costs)
    .bind(count_shard());
    let row = bind_append!(query, Append::new(origin, &event, now))
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    let supplier = col::<Option<String>>(&row, 0)?.zip(col::<Option<i64>>(&row, 3)?.map(Version));
    let supplier = purchase_order::check_references(input, supplier, col(&row, 1)?)?;
    let id = PurchaseOrderId(col(&row, 2)?);
    Ok(PurchaseOrder::new_draft(
        id,
        order_number,
        supplier,
        input,
        now,
    ))
}

pub async fn list(
    conn: &mut PgConnection,
    account: AccountId,
    filter: &PurchaseOrderFilter,
    page: &PageRequest,
) -> StoreResult<Page<PurchaseOrderSummary>> {
    let only_status = PurchaseOrderFilter {
        status: None,
        ..filter.clone()
    } == PurchaseOrderFilter::default();
    let total = match page.known_total() {
        Some(total) => total,
        // The per-status counts answer a filter of at most a status without scanning orders.
        None if only_status => sqlx::query_scalar::<_, i64>(
            "SELECT COALESCE(SUM(n), 0)::BIGINT FROM purchase_order_counts
             WHERE account_id = $1 AND ($2::TEXT IS NULL OR status = $2)",
        )
        .bind(account.0)
        .bind(filter.status.map(Status::as_str))
        .fetch_one(&mut *conn)
        .await
        .map_err(db)? as u64,
        None => {
            let mut count =
                QueryBuilder::<Postgres>::new("SELECT COUNT(*) FROM purchase_orders po");
            push_filter(&mut count, account, filter);
            count
                .build_query_scalar::<i64>()
                .fetch_one(&mut *conn)
                .await
                .map_err(db)? as u64
        }
    };
    let (after, limit, offset) = page_bounds(page);
    let mut select = QueryBuilder::<Postgres>::new(statement!(
        "SELECT {} FROM purchase_orders po JOIN suppliers s ON s.id = po.supplier_id",
        rows::summary::SQL
    ));
    push_filter(&mut select, account, filter);
    select.push(" AND po.id < ").push_bind(after);
    select
        .push(" ORDER BY po.id DESC LIMIT ")
        .push_bind(limit)
        .push(" OFFSET ")
        .push_bind(offset);
    let found = select.build().fetch_all(&mut *conn).await.map_err(db)?;
    let items = found
        .iter()
        .map(rows::order_summary)
        .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_rows(items, page, total, |po| po.id.0))
}

/// Only the filters present go into the SQL, so that PostgreSQL can pick the matching index.
fn push_filter(
    query: &mut QueryBuilder<'_, Postgres>,
    account: AccountId,
    filter: &PurchaseOrderFilter,
) {
    query.push(" WHERE po.account_id = ").push_bind(account.0);
    if let Some(number) = &filter.order_number {
        query
            .push(" AND po.order_number = ")
            .push_bind(number.clone());
    }
    if let Some(status) = filter.status {
        query.push(" AND po.status = ").push_bind(status.as_str());
    }
    if let Some(warehouse) = filter.warehouse_id {
        query.push(" AND po.warehouse_id = ").push_bind(warehouse.0);
    }
    if let Some(supplier) = filter.supplier_id {
        query.push(" AND po.supplier_id = ").push_bind(supplier.0);
    }
    if let Some(reference) = &filter.reference_number {
        query
            .push(" AND po.reference_number = ")
            .push_bind(reference.clone());
    }
    if let Some(start) = filter.create_date_start {
        query.push(" AND po.created_at >= ").push_bind(start);
    }
    if let Some(end) = filter.create_date_end {
        query.push(" AND po.created_at <= ").push_bind(end);
    }
    if let Some(start) = filter.modify_date_start {
        query.push(" AND po.updated_at >= ").push_bind(start);
    }
    if let Some(sku) = &filter.sku {
        query
            .push(" AND po.id IN (SELECT purchase_order_id FROM purchase_order_lines WHERE sku = ")
            .push_bind(sku.clone())
            .push(")");
    }
}

pub async fn replace(
    conn: &mut PgConnection,
    origin: &Origin,
    id: PurchaseOrderId,
    input: &PurchaseOrderInput,
    precondition: Option<&Precondition>,
) -> StoreResult<PurchaseOrder> {
    let account = origin.account;
    let before = get(conn, account, id, true).await?;
    check(precondition, before.tag())?;
    ensure_allowed(id, before.status, Action::Replace)?;
    check_references(conn, account, input).await?;
    write_details(
        conn,
        id,
        &input.details,
        Some((input.supplier_id, input.warehouse_id)),
    )
    .await?;
    sqlx::query("DELETE FROM purchase_order_lines WHERE purchase_order_id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    insert_lines(conn, id, input).await?;
    let after = get(conn, account, id, false).await?;
    append_event(conn, origin, &NewEvent::replaced(&before, &after)).await?;
    Ok(after)
}

pub async fn update_shipping_details(
    conn: &mut PgConnection,
    origin: &Origin,
    id: PurchaseOrderId,
    patch: ShippingDetailsPatch,
    precondition: Option<&Precondition>,
) -> StoreResult<PurchaseOrder> {
    let mut order = get(conn, origin.account, id, true).await?;
    check(precondition, order.tag())?;
    ensure_allowed(id, order.status, Action::ChangeShippingDetails)?;
    let before = order.details.clone();
    patch.apply_to(&mut order.details);
    order.modify_date = write_details(conn, id, &order.details, None).await?;
    order.version = order.version.next();
    let event = NewEvent::shipping_details_changed(id, &before, &order.details);
    append_event(conn, origin, &event).await?;
    Ok(order)
}

/// Changes an order's status by compare-and-set, outside any transaction: read the status,
/// check the move, then one statement that changes the order only if its status is still the
/// one read, and moves it between the per-status counts. When another request changed the
/// status in between, that statement changes nothing and the move is checked again against the
/// new status. Statuses move forward but for one step back (`received` to `receiving`), so that
/// can happen only a few times. With a precondition the statement also requires the version read, so that
/// any change in between fails the precondition on the next round.
pub async fn change_status(
    conn: &mut PgConnection,
    origin: &Origin,
    id: PurchaseOrderId,
    to: Status,
    precondition: Option<&Precondition>,
) -> StoreResult<Tagged<Status>> {
    let account = origin.account;
    for _ in 0..=Status::ALL.len() {
        let (from, tag) = order_state(conn, account, id, false).await?;
        check(precondition, tag)?;
        let to = from.transition(to).map_err(Refusal::from)?;
        if to == from {
            return Ok(Tagged { value: to, tag });
        }
        let (statuses, shards, deltas) = count_moves(from, to);
        let now = now();
        let query = sqlx::query_scalar(statement!(
            "WITH moved AS (
                 UPDATE purchase_orders SET status = $4, updated_at = $5, version = version + 1
                 WHERE account_id = $1 AND id = $2 AND status = $3
                       AND ($9::BIGINT IS NULL OR version = $9)
                 RETURNING version),
             counted AS (
                 INSERT INTO purchase_order_counts AS c (account_id, status, shard, n)
                 SELECT $1, d.status, d.shard, d.n
                 FROM moved, UNNEST($6::text[], $7::smallint[], $8::bigint[]) AS d (status, shard, n)
                 ORDER BY d.status, d.shard
                 ON CONFLICT (account_id, status, shard) DO UPDATE SET n = c.n + excluded.n),
             {}
             SELECT (SELECT version FROM moved)",
            append_ctes("moved", "$2", 10)
        ))
        .bind(account.0)
        .bind(id.0)
        .bind(from.as_str())
        .bind(to.as_str())
        .bind(now)
        .bind(statuses)
        .bind(shards)
        .bind(deltas)
        .bind(precondition.map(|_| tag.version().0));
        let event = NewEvent::status_changed(id, from, to);
        let moved = bind_append!(query, Append::new(origin, &event, now))
            .fetch_one(&mut *conn)
            .await
            .map_err(db);
        // The statement locks count rows and the account's event position in an order of
        // PostgreSQL's choosing, so two of them can deadlock; the one aborted changed nothing and
        // is judged again from the status it reads next.
        let moved: Option<i64> = match moved {
            Err(err) if super::errors::is_aborted_to_retry(&err) => continue,
            moved => moved?,
        };
        if let Some(version) = moved {
            return Ok(Tagged {
                value: to,
                tag: tag.with_version(Version(version)),
            });
        }
    }
    Err(StoreError::Internal(
        format!("the status of purchase order {id} kept changing").into(),
    ))
}

/// The order's status and tag; with `lock`, holds the order row (`FOR UPDATE`) until the
/// transaction ends.
async fn order_state(
    conn: &mut PgConnection,
    account: AccountId,
    id: PurchaseOrderId,
    lock: bool,
) -> StoreResult<(Status, Tag)> {
    let sql = if lock {
        ORDER_STATE_LOCKED
    } else {
        ORDER_STATE
    };
    let (status, version, supplier_version): (String, i64, i64) = sqlx::query_as(sql)
        .bind(account.0)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound)?;
    Ok((
        parse_status(&status)?,
        Tag::of_order(Version(version), Version(supplier_version)),
    ))
}

const ORDER_STATE: &str = "SELECT po.status, po.version, s.version
     FROM purchase_orders po JOIN suppliers s ON s.id = po.supplier_id
     WHERE po.account_id = $1 AND po.id = $2";
const ORDER_STATE_LOCKED: &str = "SELECT po.status, po.version, s.version
     FROM purchase_orders po JOIN suppliers s ON s.id = po.supplier_id
     WHERE po.account_id = $1 AND po.id = $2
     FOR UPDATE OF po";

/// Checks that the supplier and warehouse exist in the account; returns the supplier's name.
/// Both rows stay key-share locked until commit, so a concurrent warehouse delete waits and then
/// sees this order.
async fn check_references(
    conn: &mut PgConnection,
    account: AccountId,
    input: &PurchaseOrderInput,
) -> StoreResult<String> {
    let supplier: Option<String> = sqlx::query_scalar(
        "SELECT name FROM suppliers WHERE account_id = $1 AND id = $2 FOR KEY SHARE",
    )
    .bind(account.0)
    .bind(input.supplier_id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    let warehouse = warehouses::exists_locked(conn, account, input.warehouse_id).await?;
    Ok(purchase_order::check_references(
        input, supplier, warehouse,
    )?)
}

/// Allocates the account's next `MMDDYYYY-NN` order number for the UTC day of `now`, after
/// checking that the supplier and the warehouse exist (so that a refused request skips no
/// number), in one statement. `conn` must not be in a transaction.
///
/// The statement is a transaction of its own, apart from the create's: inside the create's, the
/// sequence row's lock would be held until that transaction's commit and its fsync, so all the
/// creates of an account would commit one at a time; here it is held for microseconds. It also
/// commits without waiting for its fsync (`set_config(..., true)` lasts until that commit): the
/// create that uses the number commits synchronously later, which makes this earlier change
/// durable too; if the server dies before that, no stored order carries the number, so handing
/// it out again is harmless. A number whose create then fails is skipped: order numbers are
/// unique and never reused, not gapless.
pub async fn allocate_order_number(
    conn: &mut PgConnection,
    account: AccountId,
    input: &PurchaseOrderInput,
    now: DateTime<Utc>,
) -> StoreResult<String> {
    let day = now.date_naive();
    let row = sqlx::query(
        "WITH commit_without_fsync AS MATERIALIZED (SELECT set_config('synchronous_commit', 'off', true)),
              supplier AS (SELECT name FROM suppliers WHERE account_id = $1 AND id = $2),
              warehouse AS (SELECT FROM inventory_warehouses WHERE account_id = $1 AND id = $3),
              number AS (
                  INSERT INTO order_number_sequences (account_id, day, last_value)
                  SELECT $1, $4, 1 FROM commit_without_fsync
                  WHERE EXISTS (SELECT FROM supplier) AND EXISTS (SELECT FROM warehouse)
                  ON CONFLICT (account_id, day)
                  DO UPDATE SET last_value = order_number_sequences.last_value + 1
                  RETURNING last_value)
         SELECT (SELECT name FROM supplier), EXISTS (SELECT FROM warehouse), (SELECT last_value FROM number)",
    )
    .bind(account.0)
    .bind(input.supplier_id.0)
    .bind(input.warehouse_id.0)
    .bind(day)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    purchase_order::check_references(input, col::<Option<String>>(&row, 0)?, col(&row, 1)?)?;
    Ok(format_order_number(day, col(&row, 2)?))
}

/// Inserts every line in one statement (`UNNEST` of one array per column).
async fn insert_lines(
    conn: &mut PgConnection,
    id: PurchaseOrderId,
    input: &PurchaseOrderInput,
) -> StoreResult<()> {
    let lines = LineColumns::of(input);
    sqlx::query(
        "INSERT INTO purchase_order_lines (purchase_order_id, line_no, sku, supplier_sku, quantity, cost_micros)
         SELECT $1, * FROM UNNEST($2::bigint[], $3::text[], $4::text[], $5::bigint[], $6::bigint[])",
    )
    .bind(id.0)
    .bind(lines.line_nos)
    .bind(lines.skus)
    .bind(lines.supplier_skus)
    .bind(lines.quantities)
    .bind(lines.costs)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// Writes the detail columns (and, for a full replacement, supplier and warehouse); returns the
/// new modification time.
async fn write_details(
    conn: &mut PgConnection,
    id: PurchaseOrderId,
    d: &Details,
    parties: Option<(SupplierId, WarehouseId)>,
) -> StoreResult<DateTime<Utc>> {
    let now = now();
    let (supplier, warehouse) = parties.map_or((None, None), |(s, w)| (Some(s.0), Some(w.0)));
    sqlx::query(
        "UPDATE purchase_orders SET order_date = $2, expected_delivery_date = $3, payment_terms = $4,
                payment_status = $5, currency_code = $6, shipping_carrier = $7, tracking_number = $8,
                reference_number = $9, note_to_supplier = $10, updated_at = $11, version = version + 1,
                supplier_id = COALESCE($12, supplier_id), warehouse_id = COALESCE($13, warehouse_id)
         WHERE id = $1",
    )
    .bind(id.0)
    .bind(d.order_date)
    .bind(d.expected_delivery_date)
    .bind(d.payment_terms.as_str())
    .bind(d.payment_status.as_str())
    .bind(d.currency_code.as_str())
    .bind(&d.shipping_carrier)
    .bind(&d.tracking_number)
    .bind(&d.reference_number)
    .bind(&d.note_to_supplier)
    .bind(now)
    .bind(supplier)
    .bind(warehouse)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(now)
}

#[async_trait]
impl PurchaseOrders for PgStore {
    #[tracing::instrument(name = "store.create_purchase_order", level = "debug", skip_all, fields(account = %w.account))]
    async fn create_purchase_order(
        &self,
        w: Write<PurchaseOrder>,
        input: PurchaseOrderInput,
    ) -> StoreResult<PurchaseOrder> {
        let origin = w.origin();
        let account = origin.account;
        let mut conn = self.pool.acquire().await.map_err(db)?;
        let now = crate::store::now();
        let Some(once) = w.once else {
            // Two statements, each a transaction of its own: see `allocate_order_number`.
            let number = allocate_order_number(&mut conn, account, &input, now).await?;
            // One statement that can deadlock with another order write (see `change_status`);
            // aborted, it wrote nothing, and runs again with the same number.
            let mut attempt = 1;
            loop {
                match create(&mut conn, &origin, &input, now, number.clone()).await {
                    Err(err)
                        if attempt < super::ATTEMPTS
                            && super::errors::is_aborted_to_retry(&err) =>
                    {
                        attempt += 1;
                    }
                    done => return done,
                }
            }
        };
        // A sequential retry is answered before a number is allocated, so it skips none.
        if let Some(verdict) = super::once::replayed(&mut conn, account, &once.claim).await? {
            return Err(verdict);
        }
        let number = allocate_order_number(&mut conn, account, &input, now).await;
        keyed!(&mut *conn, account, once, |tx| match number {
            Ok(number) => create(&mut tx, &origin, &input, now, number).await,
            Err(refused) => Err(refused),
        })
    }

    #[tracing::instrument(name = "store.get_purchase_order", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn get_purchase_order(
        &self,
        account: AccountId,
        id: PurchaseOrderId,
    ) -> StoreResult<Option<PurchaseOrder>> {
        found(read!(self, |conn| get(&mut conn, account, id, false).await))
    }

    #[tracing::instrument(name = "store.list_purchase_orders", level = "debug", skip_all, fields(account = %account))]
    async fn list_purchase_orders(
        &self,
        account: AccountId,
        filter: PurchaseOrderFilter,
        page: PageRequest,
    ) -> StoreResult<Page<PurchaseOrderSummary>> {
        read!(self, |conn| list(&mut conn, account, &filter, &page).await)
    }

    #[tracing::instrument(name = "store.replace_purchase_order", level = "debug", skip_all, fields(account = %w.account, id = %id))]
    async fn replace_purchase_order(
        &self,
        w: Write<PurchaseOrder>,
        id: PurchaseOrderId,
        input: PurchaseOrderInput,
    ) -> StoreResult<PurchaseOrder> {
        let origin = w.origin();
        let Write {
            account,
            precondition,
            once,
            ..
        } = w;
        write_once!(self, account, once, |tx| replace(
            &mut tx,
            &origin,
            id,
            &input,
            precondition.as_ref()
        )
        .await)
    }

    #[tracing::instrument(name = "store.update_shipping_details", level = "debug", skip_all, fields(account = %w.account, id = %id))]
    async fn update_shipping_details(
        &self,
        w: Write<PurchaseOrder>,
        id: PurchaseOrderId,
        patch: ShippingDetailsPatch,
    ) -> StoreResult<PurchaseOrder> {
        let origin = w.origin();
        let Write {
            account,
            precondition,
            once,
            ..
        } = w;
        write_once!(self, account, once, |tx| update_shipping_details(
            &mut tx,
            &origin,
            id,
            patch.clone(),
            precondition.as_ref()
        )
        .await)
    }

    #[tracing::instrument(name = "store.change_status", level = "debug", skip_all, fields(account = %w.account, id = %id))]
    async fn change_status(
        &self,
        w: Write<Tagged<Status>>,
        id: PurchaseOrderId,
        to: Status,
    ) -> StoreResult<Tagged<Status>> {
        let origin = w.origin();
        let Write {
            account,
            precondition,
            once,
            ..
        } = w;
        let mut conn = self.pool.acquire().await.map_err(db)?;
        match once {
            // Compare-and-set statements, each a transaction of its own: see `change_status`.
            None => change_status(&mut conn, &origin, id, to, precondition.as_ref()).await,
            Some(once) => keyed!(&mut *conn, account, once, |tx| change_status(
                &mut tx,
                &origin,
                id,
                to,
                precondition.as_ref()
            )
            .await),
        }
    }
}
