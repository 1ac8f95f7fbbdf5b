use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use super::SqliteStore;
use super::events::append_event;
use super::order_counts::{count_status, total};
use super::rows::{all, one};
use super::{db, micros, page_bounds, parse_text};
use crate::domain::event::NewEvent;
use crate::domain::ids::{AccountId, PurchaseOrderId, SupplierId, WarehouseId};
use crate::domain::money::Money;
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
use crate::store::{StoreError, StoreResult, found};
use async_trait::async_trait;

pub fn create(
    conn: &Connection,
    origin: &Origin,
    input: &PurchaseOrderInput,
) -> StoreResult<PurchaseOrder> {
    let account = origin.account;
    let supplier = check_references(conn, account, input)?;
    let now = crate::store::now();
    let order_number = next_order_number(conn, account, now)?;
    let d = &input.details;
    conn.prepare_cached(
        "INSERT INTO purchase_orders (account_id, order_number, supplier_id, warehouse_id, status, order_date,
             expected_delivery_date, payment_terms, payment_status, currency_code, shipping_carrier,
             tracking_number, reference_number, note_to_supplier, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, 'draft', ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?14)",
    )
    .and_then(|mut s| {
        s.execute(params![
            account.0,
            order_number,
            input.supplier_id.0,
            input.warehouse_id.0,
            d.order_date.map(micros),
            d.expected_delivery_date.map(micros),
            d.payment_terms.as_str(),
            d.payment_status.as_str(),
            d.currency_code.as_str(),
            d.shipping_carrier,
            d.tracking_number,
            d.reference_number,
            d.note_to_supplier,
            micros(now),
        ])
    })
    .map_err(db)?;
    let id = PurchaseOrderId(conn.last_insert_rowid());
    insert_lines(conn, id, input)?;
    count_status(conn, account, None, Status::Draft)?;
    let order = PurchaseOrder::new_draft(id, order_number, supplier, input, now);
    append_event(conn, origin, &NewEvent::created(id, &order.order_number))?;
    Ok(order)
}

pub fn get(
    conn: &Connection,
    account: AccountId,
    id: PurchaseOrderId,
) -> StoreResult<PurchaseOrder> {
    let mut order = one(
        conn,
        statement!(
            "SELECT {}, {}
             FROM purchase_orders po JOIN suppliers s ON s.id = po.supplier_id
             WHERE po.account_id = ?1 AND po.id = ?2",
            rows::summary::SQL,
            rows::details::SQL
        ),
        params![account.0, id.0],
        |row| rows::order_header(row),
    )?;
    order.products = all(
        conn,
        statement!(
            "SELECT {} FROM purchase_order_lines l WHERE l.purchase_order_id = ?1 ORDER BY l.line_no",
            rows::line::SQL
        ),
        [id.0],
        |row| rows::order_line(row, 0),
    )?;
    Ok(order)
}

pub fn list(
    conn: &Connection,
    account: AccountId,
    filter: &PurchaseOrderFilter,
    page: &PageRequest,
) -> StoreResult<Page<PurchaseOrderSummary>> {
    // Only the filters present go into the SQL, so that SQLite can pick the matching index.
    let mut clauses = vec!["po.account_id = ?".to_owned()];
    let mut values: Vec<Value> = vec![Value::Integer(account.0)];
    let mut add = |clause: &str, value: Value| {
        clauses.push(clause.to_owned());
        values.push(value);
    };
    if let Some(number) = &filter.order_number {
        add("po.order_number = ?", Value::Text(number.clone()));
    }
    if let Some(status) = filter.status {
        add("po.status = ?", Value::Text(status.as_str().to_owned()));
    }
    if let Some(warehouse) = filter.warehouse_id {
        add("po.warehouse_id = ?", Value::Integer(warehouse.0));
    }
    if let Some(supplier) = filter.supplier_id {
        add("po.supplier_id = ?", Value::Integer(supplier.0));
    }
    if let Some(reference) = &filter.reference_number {
        add("po.reference_number = ?", Value::Text(reference.clone()));
    }
    if let Some(start) = filter.create_date_start {
        add("po.created_at >= ?", Value::Integer(micros(start)));
    }
    if let Some(end) = filter.create_date_end {
        add("po.created_at <= ?", Value::Integer(micros(end)));
    }
    if let Some(start) = filter.modify_date_start {
        add("po.updated_at >= ?", Value::Integer(micros(start)));
    }
    if let Some(sku) = &filter.sku {
        add(
            "po.id IN (SELECT purchase_order_id FROM purchase_order_lines WHERE sku = ?)",
            Value::Text(sku.clone()),
        );
    }
    let filter_sql = clauses.join(" AND ");

    let total = match page.known_total() {
        Some(total) => total,
        None => total(conn, account, filter, &filter_sql, &values)?,
    };

    let (after, limit, offset) = page_bounds(page);
    values.extend([
        Value::Integer(after),
        Value::Integer(limit),
        Value::Integer(offset),
    ]);
    let items = all(
        conn,
        &format!(
            "SELECT {}
             FROM purchase_orders po JOIN suppliers s ON s.id = po.supplier_id
             WHERE {filter_sql} AND po.id < ?
             ORDER BY po.id DESC LIMIT ? OFFSET ?",
            rows::summary::SQL
        ),
        params_from_iter(values.iter()),
        |row| rows::order_summary(row),
    )?;
    Ok(Page::from_rows(items, page, total, |po| po.id.0))
}

pub fn replace(
    conn: &Connection,
    origin: &Origin,
    id: PurchaseOrderId,
    input: &PurchaseOrderInput,
    precondition: Option<&Precondition>,
) -> StoreResult<PurchaseOrder> {
    let account = origin.account;
    let before = get(conn, account, id)?;
    check(precondition, before.tag())?;
    ensure_allowed(id, before.status, Action::Replace)?;
    check_references(conn, account, input)?;
    write_details(
        conn,
        id,
        &input.details,
        Some((input.supplier_id, input.warehouse_id)),
    )?;
    conn.prepare_cached("DELETE FROM purchase_order_lines WHERE purchase_order_id = ?1")
        .and_then(|mut s| s.execute([id.0]))
        .map_err(db)?;
    insert_lines(conn, id, input)?;
    let after = get(conn, account, id)?;
    append_event(conn, origin, &NewEvent::replaced(&before, &after))?;
    Ok(after)
}

pub fn update_shipping_details(
    conn: &Connection,
    origin: &Origin,
    id: PurchaseOrderId,
    patch: ShippingDetailsPatch,
    precondition: Option<&Precondition>,
) -> StoreResult<PurchaseOrder> {
    let mut order = get(conn, origin.account, id)?;
    check(precondition, order.tag())?;
    ensure_allowed(id, order.status, Action::ChangeShippingDetails)?;
    let before = order.details.clone();
    patch.apply_to(&mut order.details);
    order.modify_date = write_details(conn, id, &order.details, None)?;
    order.version = order.version.next();
    append_event(
        conn,
        origin,
        &NewEvent::shipping_details_changed(id, &before, &order.details),
    )?;
    Ok(order)
}

pub fn change_status(
    conn: &Connection,
    origin: &Origin,
    id: PurchaseOrderId,
    to: Status,
    precondition: Option<&Precondition>,
) -> StoreResult<Tagged<Status>> {
    let account = origin.account;
    let (from, tag) = current_state(conn, account, id)?;
    check(precondition, tag)?;
    let to = from.transition(to).map_err(Refusal::from)?;
    if to == from {
        return Ok(Tagged { value: to, tag });
    }
    {
        // Conditional on the status just read, so the change applies to exactly that state.
        let changed = conn
            .prepare_cached(
                "UPDATE purchase_orders SET status = ?3, updated_at = ?4, version = version + 1
                 WHERE id = ?1 AND status = ?2
                 RETURNING version",
            )
            .and_then(|mut s| {
                s.query_row(
                    params![
                        id.0,
                        from.as_str(),
                        to.as_str(),
                        micros(crate::store::now())
                    ],
                    |r| r.get(0),
                )
                .optional()
            })
            .map_err(db)?;
        let Some(version) = changed else {
            return Err(StoreError::Internal(
                format!("status of {id} changed under a write transaction").into(),
            ));
        };
        count_status(conn, account, Some(from), to)?;
        append_event(conn, origin, &NewEvent::status_changed(id, from, to))?;
        Ok(Tagged {
            value: to,
            tag: tag.with_version(Version(version)),
        })
    }
}

/// The order's status and tag.
pub(super) fn current_state(
    conn: &Connection,
    account: AccountId,
    id: PurchaseOrderId,
) -> StoreResult<(Status, Tag)> {
    conn.prepare_cached(
        "SELECT po.status, po.version, s.version
         FROM purchase_orders po JOIN suppliers s ON s.id = po.supplier_id
         WHERE po.account_id = ?1 AND po.id = ?2",
    )
    .and_then(|mut s| {
        s.query_row(params![account.0, id.0], |r| {
            Ok((
                parse_text(r, 0, "status", str::parse::<Status>)?,
                Tag::of_order(Version(r.get(1)?), Version(r.get(2)?)),
            ))
        })
        .optional()
    })
    .map_err(db)?
    .ok_or(StoreError::NotFound)
}

/// Checks that the supplier and warehouse exist in the account; returns the supplier's name and
/// version.
fn check_references(
    conn: &Connection,
    account: AccountId,
    input: &PurchaseOrderInput,
) -> StoreResult<(String, Version)> {
    let supplier: Option<(String, Version)> = conn
        .prepare_cached("SELECT name, version FROM suppliers WHERE account_id = ?1 AND id = ?2")
        .and_then(|mut s| {
            s.query_row(params![account.0, input.supplier_id.0], |r| {
                Ok((r.get(0)?, Version(r.get(1)?)))
            })
            .optional()
        })
        .map_err(db)?;
    let warehouse: bool = conn
        .prepare_cached(
            "SELECT EXISTS (SELECT 1 FROM inventory_warehouses WHERE account_id = ?1 AND id = ?2)",
        )
        .and_then(|mut s| s.query_row(params![account.0, input.warehouse_id.0], |r| r.get(0)))
        .map_err(db)?;
    Ok(purchase_order::check_references(
        input, supplier, warehouse,
    )?)
}

/// Allocates the next `MMDDYYYY-NN` of the account for the UTC day of `now`.
fn next_order_number(
    conn: &Connection,
    account: AccountId,
    now: DateTime<Utc>,
) -> StoreResult<String> {
    let day = now.date_naive();
    let sequence: i64 = conn
        .prepare_cached(
            "INSERT INTO order_number_sequences (account_id, day, last_value) VALUES (?1, ?2, 1)
             ON CONFLICT (account_id, day) DO UPDATE SET last_value = last_value + 1
             RETURNING last_value",
        )
        .and_then(|mut s| s.query_row(params![account.0, day.to_string()], |r| r.get(0)))
        .map_err(db)?;
    Ok(format_order_number(day, sequence))
}

fn insert_lines(
    conn: &Connection,
    id: PurchaseOrderId,
    input: &PurchaseOrderInput,
) -> StoreResult<()> {
    let mut stmt = conn
        .prepare_cached(
            "INSERT INTO purchase_order_lines (purchase_order_id, line_no, sku, supplier_sku, quantity, cost_micros)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .map_err(db)?;
    for (line_no, product) in input.products.iter().enumerate() {
        stmt.execute(params![
            id.0,
            line_no as i64,
            product.sku.as_str(),
            product.supplier_sku,
            product.quantity.get(),
            product.cost.map(Money::micros),
        ])
        .map_err(db)?;
    }
    Ok(())
}

/// Writes the detail columns (and, for a full replacement, supplier and warehouse); returns the
/// new modification time.
fn write_details(
    conn: &Connection,
    id: PurchaseOrderId,
    d: &Details,
    parties: Option<(SupplierId, WarehouseId)>,
) -> StoreResult<DateTime<Utc>> {
    let now = crate::store::now();
    let (supplier, warehouse) = parties.map_or((None, None), |(s, w)| (Some(s.0), Some(w.0)));
    conn.prepare_cached(
        "UPDATE purchase_orders SET order_date = ?2, expected_delivery_date = ?3, payment_terms = ?4,
                payment_status = ?5, currency_code = ?6, shipping_carrier = ?7, tracking_number = ?8,
                reference_number = ?9, note_to_supplier = ?10, updated_at = ?11, version = version + 1,
                supplier_id = COALESCE(?12, supplier_id), warehouse_id = COALESCE(?13, warehouse_id)
         WHERE id = ?1",
    )
    .and_then(|mut s| {
        s.execute(params![
            id.0,
            d.order_date.map(micros),
            d.expected_delivery_date.map(micros),
            d.payment_terms.as_str(),
            d.payment_status.as_str(),
            d.currency_code.as_str(),
            d.shipping_carrier,
            d.tracking_number,
            d.reference_number,
            d.note_to_supplier,
            micros(now),
            supplier,
            warehouse,
        ])
    })
    .map_err(db)?;
    Ok(now)
}

#[async_trait]
impl PurchaseOrders for SqliteStore {
    #[tracing::instrument(name = "store.create_purchase_order", level = "debug", skip_all, fields(account = %w.account))]
    async fn create_purchase_order(
        &self,
        w: Write<PurchaseOrder>,
        input: PurchaseOrderInput,
    ) -> StoreResult<PurchaseOrder> {
        let origin = w.origin();
        self.write_once(origin.account, w.once, move |c| create(c, &origin, &input))
            .await
    }

    #[tracing::instrument(name = "store.get_purchase_order", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn get_purchase_order(
        &self,
        account: AccountId,
        id: PurchaseOrderId,
    ) -> StoreResult<Option<PurchaseOrder>> {
        found(self.engine.read_now(move |c| get(c, account, id)))
    }

    #[tracing::instrument(name = "store.list_purchase_orders", level = "debug", skip_all, fields(account = %account))]
    async fn list_purchase_orders(
        &self,
        account: AccountId,
        filter: PurchaseOrderFilter,
        page: PageRequest,
    ) -> StoreResult<Page<PurchaseOrderSummary>> {
        self.engine
            .read(move |c| list(c, account, &filter, &page))
            .await
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
        self.write_once(account, once, move |c| {
            replace(c, &origin, id, &input, precondition.as_ref())
        })
        .await
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
        self.write_once(account, once, move |c| {
            update_shipping_details(c, &origin, id, patch.clone(), precondition.as_ref())
        })
        .await
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
        self.write_once(account, once, move |c| {
            change_status(c, &origin, id, to, precondition.as_ref())
        })
        .await
    }
}
