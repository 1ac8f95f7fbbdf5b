//! Reading purchase orders from their rows: the header row and its lines into a
//! `PurchaseOrder`, and a list row into a summary.

use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Postgres, Row};

use super::db;
use crate::domain::ids::{AccountId, PurchaseOrderId, SupplierId, WarehouseId};
use crate::domain::money::{CurrencyCode, Money};
use crate::domain::purchase_order::{
    Details, Line, PaymentStatus, PaymentTerms, PurchaseOrder, PurchaseOrderInput,
    PurchaseOrderSummary, Sku,
};
use crate::domain::status::Status;
use crate::store::{StoreError, StoreResult};

pub(super) fn parse_status(raw: &str) -> StoreResult<Status> {
    raw.parse().map_err(|()| {
        StoreError::Internal(format!("unknown status '{raw}' in the database").into())
    })
}

pub(super) fn corrupt(what: &str, raw: &str) -> StoreError {
    StoreError::Internal(format!("bad {what} '{raw}' in the database").into())
}

/// Column `i` of `row`, decoded.
pub(super) fn col<'r, T>(row: &'r PgRow, i: usize) -> StoreResult<T>
where
    T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
{
    row.try_get(i).map_err(db)
}

pub(super) fn summary(r: &PgRow) -> StoreResult<PurchaseOrderSummary> {
    Ok(PurchaseOrderSummary {
        id: PurchaseOrderId(col(r, 0)?),
        order_number: col(r, 1)?,
        supplier_id: SupplierId(col(r, 2)?),
        supplier_name: col(r, 3)?,
        warehouse_id: WarehouseId(col(r, 4)?),
        status: parse_status(col(r, 5)?)?,
        order_date: col(r, 6)?,
        expected_delivery_date: col(r, 7)?,
        reference_number: col(r, 8)?,
        create_date: col(r, 9)?,
        modify_date: col(r, 10)?,
    })
}

pub(super) fn into_order(h: &PgRow, lines: &[PgRow]) -> StoreResult<PurchaseOrder> {
    let terms: &str = col(h, 8)?;
    let payment: &str = col(h, 9)?;
    let currency: &str = col(h, 10)?;
    Ok(PurchaseOrder {
        id: PurchaseOrderId(col(h, 0)?),
        order_number: col(h, 1)?,
        supplier_id: SupplierId(col(h, 2)?),
        supplier_name: col(h, 3)?,
        warehouse_id: WarehouseId(col(h, 4)?),
        status: parse_status(col(h, 5)?)?,
        details: Details {
            order_date: col(h, 6)?,
            expected_delivery_date: col(h, 7)?,
            payment_terms: PaymentTerms::parse(terms)
                .map_err(|_| corrupt("payment_terms", terms))?,
            payment_status: PaymentStatus::parse(payment)
                .map_err(|_| corrupt("payment_status", payment))?,
            currency_code: CurrencyCode::parse(currency)
                .map_err(|_| corrupt("currency_code", currency))?,
            shipping_carrier: col(h, 11)?,
            tracking_number: col(h, 12)?,
            reference_number: col(h, 13)?,
            note_to_supplier: col(h, 14)?,
        },
        create_date: col(h, 15)?,
        modify_date: col(h, 16)?,
        products: lines.iter().map(line).collect::<StoreResult<_>>()?,
    })
}

/// The line in a row of [`get`].
pub(super) fn line(r: &PgRow) -> StoreResult<Line> {
    let at = LINE_COLUMNS;
    let sku: &str = col(r, at)?;
    Ok(Line {
        sku: Sku::parse(sku).map_err(|_| corrupt("sku", sku))?,
        supplier_sku: col(r, at + 1)?,
        quantity: col(r, at + 2)?,
        cost: col::<Option<i64>>(r, at + 3)?.map(Money::from_micros),
        received_quantity: col(r, at + 4)?,
        rejected_quantity: col(r, at + 5)?,
    })
}

/// An order's lines as one array per column, for `UNNEST`.
pub(super) struct LineColumns {
    pub(super) line_nos: Vec<i64>,
    pub(super) skus: Vec<String>,
    pub(super) supplier_skus: Vec<Option<String>>,
    pub(super) quantities: Vec<i64>,
    pub(super) costs: Vec<Option<i64>>,
}

impl LineColumns {
    pub(super) fn of(input: &PurchaseOrderInput) -> Self {
        let products = &input.products;
        Self {
            line_nos: (0..products.len() as i64).collect(),
            skus: products.iter().map(|p| p.sku.as_str().to_owned()).collect(),
            supplier_skus: products.iter().map(|p| p.supplier_sku.clone()).collect(),
            quantities: products.iter().map(|p| p.quantity.get()).collect(),
            costs: products.iter().map(|p| p.cost.map(Money::micros)).collect(),
        }
    }
}

/// The lines of a newly written order: as given, nothing received yet.
pub(super) fn new_lines(input: &PurchaseOrderInput) -> Vec<Line> {
    input
        .products
        .iter()
        .map(|product| Line {
            sku: product.sku.clone(),
            supplier_sku: product.supplier_sku.clone(),
            quantity: product.quantity.get(),
            cost: product.cost,
            received_quantity: 0,
            rejected_quantity: 0,
        })
        .collect()
}

/// Reads an order with its lines; with `lock`, holds the order row (`FOR UPDATE`) until the
/// transaction ends, so a check made on what was read still holds when the write lands.
pub(super) async fn get(
    conn: &mut PgConnection,
    account: AccountId,
    id: PurchaseOrderId,
    lock: bool,
) -> StoreResult<PurchaseOrder> {
    // One statement, so one round trip and one snapshot: the header on every row, one row per
    // line.
    let rows = sqlx::query(&format!(
        "SELECT {HEADER_COLUMNS}, l.sku, l.supplier_sku, l.quantity, l.cost_micros, l.received_quantity,
                l.rejected_quantity
         FROM purchase_orders po JOIN suppliers s ON s.id = po.supplier_id
              LEFT JOIN purchase_order_lines l ON l.purchase_order_id = po.id
         WHERE po.account_id = $1 AND po.id = $2
         ORDER BY l.line_no {}",
        if lock { "FOR UPDATE OF po" } else { "" }
    ))
    .bind(account.0)
    .bind(id.0)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let header = rows.first().ok_or(StoreError::NotFound)?;
    // An order without lines comes back as one row whose line columns are all null.
    let lines: &[PgRow] = if col::<Option<&str>>(header, LINE_COLUMNS)?.is_some() {
        &rows
    } else {
        &[]
    };
    into_order(header, lines)
}

pub(super) const HEADER_COLUMNS: &str = "po.id, po.order_number, po.supplier_id, s.name, po.warehouse_id, po.status, po.order_date,
    po.expected_delivery_date, po.payment_terms, po.payment_status, po.currency_code, po.shipping_carrier,
    po.tracking_number, po.reference_number, po.note_to_supplier, po.created_at, po.updated_at";

/// Where the line columns start in the rows of [`get`].
pub(super) const LINE_COLUMNS: usize = 17;
