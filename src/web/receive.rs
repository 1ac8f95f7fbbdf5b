//! The receive page, built for a scanner at a dock: the SKU field has the focus, Enter with a
//! known SKU adds a row or one unit to it, and one submit records every row through the same
//! `receive` as the API, atomically. It is a plain form: each scan is a round trip that returns
//! the rows so far, so it works with JavaScript off.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;

use super::form::Fields;
use super::orders::{date_field, visible_order};
use super::page::{self, Nav, PageError, PageResult};
use super::{Signed, WebState};
use crate::domain::ids::LocationId;
use crate::domain::page::PageRequest;
use crate::domain::purchase_order::{PurchaseOrder, Sku};
use crate::domain::receipt::{ReceiveLine, parse_lot, parse_receive_quantity};
use crate::domain::status::Status;
use crate::domain::user::Role;
use crate::http::RequestId;
use crate::http::refusals;
use crate::store::StoreError;

pub fn routes() -> Router<WebState> {
    Router::new().route("/app/orders/{id}/receive", get(page).post(submit))
}

/// One row of the form, as typed.
#[derive(Clone, Default)]
struct Row {
    sku: String,
    outstanding: i64,
    quantity: String,
    location: String,
    lot: String,
    expiry: String,
    rejected: String,
    error: Option<String>,
    /// Whether this row's quantity takes the focus: the first row refused does. Otherwise the
    /// SKU field has it, ready for the next scan.
    focus: bool,
}

struct Place {
    id: String,
    name: String,
}

#[derive(Template)]
#[template(path = "receive.html")]
struct ReceivePage {
    nav: Option<Nav>,
    id: String,
    order_number: String,
    status: &'static str,
    rows: Vec<Row>,
    locations: Vec<Place>,
    scan_error: Option<String>,
    error: Option<String>,
    skus: Vec<(String, i64)>,
    /// Whether the SKU field takes the focus: unless a row was refused.
    scan_focus: bool,
}

async fn receivable(state: &WebState, signed: &Signed, id: &str) -> PageResult<PurchaseOrder> {
    let order = visible_order(state, signed, id).await?;
    signed.may(Role::receives)?;
    if matches!(order.status, Status::Open | Status::Receiving) {
        Ok(order)
    } else {
        Err(PageError::Forbidden)
    }
}

async fn render(
    state: &WebState,
    signed: &Signed,
    order: &PurchaseOrder,
    mut rows: Vec<Row>,
    scan_error: Option<String>,
    error: Option<String>,
) -> PageResult {
    let locations = state
        .store()
        .list_locations(
            signed.user.account,
            Some(order.warehouse_id),
            PageRequest::first(PageRequest::MAX_SIZE),
        )
        .await?
        .items
        .into_iter()
        .map(|l| Place {
            id: l.id.to_string(),
            name: l.name,
        })
        .collect();
    let refused = rows.iter_mut().find(|r| r.error.is_some());
    let failed = scan_error.is_some() || error.is_some() || refused.is_some();
    let scan_focus = refused.is_none();
    if let Some(row) = refused {
        row.focus = true;
    }
    let page = ReceivePage {
        nav: Some(signed.nav(state)),
        id: order.id.to_string(),
        order_number: order.order_number.clone(),
        status: order.status.as_str(),
        rows,
        locations,
        scan_error,
        error,
        skus: order
            .products
            .iter()
            .map(|l| (l.sku.as_str().to_owned(), l.outstanding()))
            .collect(),
        scan_focus,
    };
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(page::render(status, &page))
}

async fn page(State(state): State<WebState>, signed: Signed, Path(id): Path<String>) -> PageResult {
    let order = receivable(&state, &signed, &id).await?;
    render(&state, &signed, &order, Vec::new(), None, None).await
}

/// The rows the form sent, in order.
fn rows_of(fields: &Fields, order: &PurchaseOrder) -> Vec<Row> {
    let column = |name| fields.all(name).map(str::to_owned).collect::<Vec<_>>();
    let (skus, quantities, locations) = (column("sku"), column("quantity"), column("location"));
    let (lots, expiries, rejected) = (column("lot"), column("expiry"), column("rejected"));
    let at = |v: &Vec<String>, i: usize| v.get(i).cloned().unwrap_or_default();
    skus.iter()
        .enumerate()
        .map(|(i, sku)| Row {
            sku: sku.clone(),
            outstanding: outstanding(order, sku),
            quantity: at(&quantities, i),
            location: at(&locations, i),
            lot: at(&lots, i),
            expiry: at(&expiries, i),
            rejected: at(&rejected, i),
            error: None,
            focus: false,
        })
        .collect()
}

fn outstanding(order: &PurchaseOrder, sku: &str) -> i64 {
    order
        .products
        .iter()
        .find(|l| l.sku.as_str() == sku)
        .map_or(0, |l| l.outstanding())
}

async fn submit(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<String>,
    fields: Fields,
) -> PageResult {
    signed.check(&state, &fields)?;
    let order = receivable(&state, &signed, &id).await?;
    let mut rows = rows_of(&fields, &order);
    if fields.get("action") != "record" {
        let scanned = fields.get("scan");
        let error = scan(&order, &mut rows, scanned, fields.get("last_location"));
        return render(&state, &signed, &order, rows, error, None).await;
    }
    if rows.is_empty() {
        let error = Some("Scan at least one SKU before recording.".to_owned());
        return render(&state, &signed, &order, rows, None, error).await;
    }
    let mut lines = Vec::with_capacity(rows.len());
    for row in &mut rows {
        match line_of(row) {
            Ok(line) => lines.push(line),
            Err(message) => row.error = Some(message),
        }
    }
    if lines.len() < rows.len() {
        return render(&state, &signed, &order, rows, None, None).await;
    }
    let received = state
        .store()
        .receive(
            signed.write(),
            order.id,
            lines,
            RequestId::generate().to_string(),
        )
        .await;
    match received {
        Ok(_) => Ok(page::see(&format!("/app/orders/{}", order.id))),
        Err(StoreError::Rejected(refusals)) => {
            let mut general = Vec::new();
            for refusal in &refusals {
                let problem = refusals::problem(refusal);
                match row_of(problem.field.as_deref()).and_then(|i| rows.get_mut(i)) {
                    Some(row) => row.error = Some(problem.message),
                    None => general.push(problem.message),
                }
            }
            let error = (!general.is_empty()).then(|| general.join(" "));
            render(&state, &signed, &order, rows, None, error).await
        }
        Err(err) => Err(err.into()),
    }
}

/// The row an API field path names: `product_receives[2].received_quantity` is row 2.
fn row_of(field: Option<&str>) -> Option<usize> {
    field?
        .strip_prefix("product_receives[")?
        .split(']')
        .next()?
        .parse()
        .ok()
}

/// Adds the scanned SKU: one more unit on its last row, or a new row of one unit at the last
/// location used. Returns the error to show at the scan field.
fn scan(
    order: &PurchaseOrder,
    rows: &mut Vec<Row>,
    scanned: &str,
    last_location: &str,
) -> Option<String> {
    if scanned.is_empty() {
        return None;
    }
    let Some(line) = order.products.iter().find(|l| l.sku.as_str() == scanned) else {
        return Some(format!("SKU '{scanned}' is not on this order."));
    };
    if let Some(row) = rows.iter_mut().rev().find(|r| r.sku == scanned) {
        let units: i64 = row.quantity.parse().unwrap_or(0);
        row.quantity = (units + 1).to_string();
        return None;
    }
    let location = rows
        .last()
        .map(|r| r.location.clone())
        .unwrap_or_else(|| last_location.to_owned());
    rows.push(Row {
        sku: line.sku.as_str().to_owned(),
        outstanding: line.outstanding(),
        quantity: "1".to_owned(),
        location,
        ..Row::default()
    });
    None
}

fn line_of(row: &Row) -> Result<ReceiveLine, String> {
    let sku = Sku::parse(&row.sku).map_err(|e| e.to_string())?;
    let count = |raw: &str, what: &str| -> Result<i64, String> {
        if raw.is_empty() {
            return Ok(0);
        }
        let n: i64 = raw
            .parse()
            .map_err(|_| format!("The {what} must be a whole number."))?;
        if n == 0 {
            return Ok(0);
        }
        parse_receive_quantity(n).map_err(|e| format!("The {what} {e}."))
    };
    let received_quantity = count(&row.quantity, "quantity")?;
    let rejected_quantity = count(&row.rejected, "rejected quantity")?;
    if received_quantity == 0 && rejected_quantity == 0 {
        return Err("Give a quantity received or rejected.".to_owned());
    }
    let location_id = LocationId::parse(&row.location).ok_or("Choose a location.")?;
    let lot = parse_lot(&row.lot).map_err(|e| format!("The lot {e}."))?;
    let expiration_date = date_field(&row.expiry)?;
    Ok(ReceiveLine {
        sku,
        location_id,
        received_quantity,
        rejected_quantity,
        lot,
        expiration_date,
    })
}
