//! Reading a whole purchase order in one statement, and writing an order's lines as arrays.

use sqlx::PgConnection;

use super::db;
use super::rows::col;
use crate::domain::ids::{AccountId, PurchaseOrderId};
use crate::domain::money::Money;
use crate::domain::purchase_order::{PurchaseOrder, PurchaseOrderInput};
use crate::store::rows::{self, statement};
use crate::store::{StoreError, StoreResult};

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
    macro_rules! select_order {
        ($lock:literal) => {
            statement!(
                "SELECT {}, {}, {}
                 FROM purchase_orders po JOIN suppliers s ON s.id = po.supplier_id
                      LEFT JOIN purchase_order_lines l ON l.purchase_order_id = po.id
                 WHERE po.account_id = $1 AND po.id = $2
                 ORDER BY l.line_no {}",
                rows::summary::SQL,
                rows::details::SQL,
                rows::line::SQL,
                $lock
            )
        };
    }
    let sql = if lock {
        select_order!("FOR UPDATE OF po")
    } else {
        select_order!("")
    };
    let rows = sqlx::query(sql)
        .bind(account.0)
        .bind(id.0)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    let header = rows.first().ok_or(StoreError::NotFound)?;
    let mut order = rows::order_header(header)?;
    // An order without lines comes back as one row whose line columns are all null.
    if col::<Option<&str>>(header, rows::LINE_AFTER_HEADER + rows::line::sku)?.is_some() {
        order.products = rows
            .iter()
            .map(|row| rows::order_line(row, rows::LINE_AFTER_HEADER))
            .collect::<StoreResult<_>>()?;
    }
    Ok(order)
}
