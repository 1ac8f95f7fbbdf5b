//! The orders list and the order page, with the order's status actions and shipping details.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::{DateTime, NaiveDate, Utc};

use super::form::Fields;
use super::page::{self, Nav, PageError, PageResult};
use super::{Signed, WebState};
use crate::documents::{money, order_total, unit_cost};
use crate::domain::ids::{PurchaseOrderId, SupplierId, WarehouseId};
use crate::domain::page::PageRequest;
use crate::domain::purchase_order::{
    Patch, PurchaseOrder, PurchaseOrderFilter, ShippingDetailsPatch,
};
use crate::domain::receipt::Receipt;
use crate::domain::status::Status;
use crate::domain::user::Role;
use crate::http::refusals;
use crate::store::StoreError;
use crate::store::names::ActorNames;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/app/orders", get(list))
        .route("/app/orders/{id}", get(show))
        .route("/app/orders/{id}/status", post(change_status))
        .route("/app/orders/{id}/shipping", post(shipping))
        .route("/app/orders/{id}/order_summary.pdf", get(order_summary))
        .route(
            "/app/orders/{id}/received_summary.pdf",
            get(received_summary),
        )
}

/// The statuses whose orders a role sees: a receiver only those it can receive or just
/// received.
pub fn visible(role: Role, status: Status) -> bool {
    role.buys() || matches!(status, Status::Open | Status::Receiving | Status::Received)
}

pub fn order_id(raw: &str) -> Result<PurchaseOrderId, PageError> {
    PurchaseOrderId::parse(raw).ok_or(PageError::NotFound)
}

/// The order of the user's account, if its role may see it; anything else is a 404.
pub async fn visible_order(
    state: &WebState,
    signed: &Signed,
    raw: &str,
) -> PageResult<PurchaseOrder> {
    let id = order_id(raw)?;
    let order = state
        .store()
        .get_purchase_order(signed.user.account, id)
        .await?
        .ok_or(PageError::NotFound)?;
    if visible(signed.user.role, order.status) {
        Ok(order)
    } else {
        Err(PageError::NotFound)
    }
}

#[derive(serde::Deserialize, Default)]
struct ListQuery {
    status: Option<String>,
    supplier: Option<String>,
    warehouse: Option<String>,
    q: Option<String>,
    after: Option<i64>,
    page: Option<u64>,
    total: Option<u64>,
}

struct Row {
    id: String,
    order_number: String,
    supplier: String,
    warehouse: String,
    status: &'static str,
    reference: String,
    expected: String,
    overdue: bool,
}

struct Count {
    status: &'static str,
    n: u64,
    current: bool,
}

struct Choice {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "orders.html")]
struct OrdersPage {
    nav: Option<Nav>,
    counts: Vec<Count>,
    statuses: Vec<Choice>,
    suppliers: Vec<Choice>,
    warehouses: Vec<Choice>,
    q: String,
    rows: Vec<Row>,
    total: u64,
    page: u64,
    pages: u64,
    next: Option<String>,
    may_create: bool,
}

fn choices<I: IntoIterator<Item = (String, String)>>(items: I, current: &str) -> Vec<Choice> {
    items
        .into_iter()
        .map(|(value, label)| Choice {
            selected: value == current,
            value,
            label,
        })
        .collect()
}

/// An order is overdue once its expected delivery has passed while units are still awaited.
pub fn overdue(status: Status, expected: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    matches!(status, Status::Open | Status::Receiving) && expected.is_some_and(|at| at < now)
}

pub fn day(at: Option<DateTime<Utc>>) -> String {
    at.map(|at| at.format("%Y-%m-%d").to_string())
        .unwrap_or_default()
}

async fn list(
    State(state): State<WebState>,
    signed: Signed,
    Query(query): Query<ListQuery>,
) -> PageResult {
    let account = signed.user.account;
    let role = signed.user.role;
    let shown: Vec<Status> = Status::ALL
        .into_iter()
        .filter(|s| visible(role, *s))
        .collect();
    let status = match query.status.as_deref().filter(|s| !s.is_empty()) {
        Some(raw) => Some(
            raw.parse::<Status>()
                .ok()
                .filter(|s| shown.contains(s))
                .ok_or_else(|| PageError::BadForm(format!("no status '{raw}' here")))?,
        ),
        // A receiver's list starts with what it can receive.
        None if !role.buys() => Some(Status::Open),
        None => None,
    };
    let supplier = query
        .supplier
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(SupplierId::parse);
    let warehouse = query
        .warehouse
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(WarehouseId::parse);
    let q = query.q.clone().unwrap_or_default().trim().to_owned();
    let request = page::requested(query.after, query.page, query.total);
    let filter = PurchaseOrderFilter {
        status,
        supplier_id: supplier,
        warehouse_id: warehouse,
        ..PurchaseOrderFilter::default()
    };
    let store = state.store();
    // The search box takes an order number, a reference or a SKU: each is tried in turn, and
    // the first that finds orders is the answer (an order number rarely looks like a SKU).
    let searches = if q.is_empty() {
        vec![filter]
    } else {
        vec![
            PurchaseOrderFilter {
                order_number: Some(q.clone()),
                ..filter.clone()
            },
            PurchaseOrderFilter {
                reference_number: Some(q.clone()),
                ..filter.clone()
            },
            PurchaseOrderFilter {
                sku: Some(q.clone()),
                ..filter
            },
        ]
    };
    let mut found = None;
    for search in searches {
        let page = store.list_purchase_orders(account, search, request).await?;
        let hit = !page.items.is_empty();
        found = Some(page);
        if hit {
            break;
        }
    }
    let found = found.expect("at least one search");
    let suppliers = store
        .list_suppliers(account, None, PageRequest::first(PageRequest::MAX_SIZE))
        .await?;
    let warehouses = store
        .list_warehouses(account, PageRequest::first(PageRequest::MAX_SIZE))
        .await?;
    let mut counts = Vec::with_capacity(shown.len());
    for s in &shown {
        let only = PurchaseOrderFilter {
            status: Some(*s),
            ..PurchaseOrderFilter::default()
        };
        let n = store
            .list_purchase_orders(account, only, PageRequest::first(1))
            .await?
            .total;
        counts.push(Count {
            status: s.as_str(),
            n,
            current: status == Some(*s),
        });
    }
    let warehouse_name = |id: WarehouseId| {
        warehouses
            .items
            .iter()
            .find(|w| w.id == id)
            .map_or_else(|| id.to_string(), |w| w.name.clone())
    };
    let now = Utc::now();
    let rows = found
        .items
        .iter()
        .map(|o| Row {
            id: o.id.to_string(),
            order_number: o.order_number.clone(),
            supplier: o.supplier_name.clone(),
            warehouse: warehouse_name(o.warehouse_id),
            status: o.status.as_str(),
            reference: o.reference_number.clone().unwrap_or_default(),
            expected: day(o.expected_delivery_date),
            overdue: overdue(o.status, o.expected_delivery_date, now),
        })
        .collect();
    let keep = |name: &str, value: Option<String>| {
        value
            .filter(|v| !v.is_empty())
            .map(|v| format!("&{name}={}", urlencode(&v)))
            .unwrap_or_default()
    };
    let next = found.next_after.map(|after| {
        format!(
            "/app/orders?after={after}&page={}&total={}{}{}{}{}",
            found.page + 1,
            found.total,
            keep("status", status.map(|s| s.as_str().to_owned())),
            keep("supplier", supplier.map(|s| s.to_string())),
            keep("warehouse", warehouse.map(|w| w.to_string())),
            keep("q", Some(q.clone())),
        )
    });
    let current_status = status.map_or("", Status::as_str);
    let page = OrdersPage {
        nav: Some(signed.nav(&state)),
        counts,
        statuses: choices(
            shown
                .iter()
                .map(|s| (s.as_str().to_owned(), s.as_str().to_owned())),
            current_status,
        ),
        suppliers: choices(
            suppliers
                .items
                .iter()
                .map(|s| (s.id.to_string(), s.fields.supplier_name.clone())),
            &supplier.map(|s| s.to_string()).unwrap_or_default(),
        ),
        warehouses: choices(
            warehouses
                .items
                .iter()
                .map(|w| (w.id.to_string(), w.name.clone())),
            &warehouse.map(|w| w.to_string()).unwrap_or_default(),
        ),
        q,
        rows,
        total: found.total,
        page: found.page,
        pages: found.pages(),
        next,
        may_create: role.buys(),
    };
    Ok(page::ok(&page))
}

pub fn urlencode(text: &str) -> String {
    serde_urlencoded::to_string([("", text)])
        .map(|pair| pair[1..].to_owned())
        .unwrap_or_default()
}

struct LineRow {
    sku: String,
    ordered: i64,
    received: i64,
    rejected: i64,
    outstanding: i64,
    cost: String,
    value: String,
}

struct LedgerRow {
    /// The receipt's first line carries its time, who recorded it and its action.
    first: bool,
    receipt_id: String,
    at: String,
    by: String,
    reversed: bool,
    sku: String,
    location: String,
    received: i64,
    rejected: i64,
    lot: String,
    expiry: String,
}

struct Transition {
    to: &'static str,
    label: &'static str,
    danger: bool,
}

#[derive(Template)]
#[template(path = "order.html")]
struct OrderPage {
    nav: Option<Nav>,
    id: String,
    order_number: String,
    status: &'static str,
    supplier: String,
    warehouse: String,
    order_date: String,
    expected: String,
    overdue: bool,
    reference: String,
    carrier: String,
    tracking: String,
    total: String,
    lines: Vec<LineRow>,
    ledger: Vec<LedgerRow>,
    history: Vec<super::history::HistoryRow>,
    transitions: Vec<Transition>,
    may_edit: bool,
    may_receive: bool,
    /// A buyer may reverse the receipts while the order is receiving or received.
    may_reverse: bool,
    /// The send form: a buyer, an order that may go, a server that sends mail.
    may_send: bool,
    /// The supplier's email, the send form's default recipient.
    supplier_email: String,
    shipping_form: bool,
    order_pdf: bool,
    received_pdf: bool,
    error: Option<String>,
}

/// The status changes a user may ask for by hand: receipts move an order to `receiving` and
/// `received` themselves.
fn transitions(role: Role, status: Status) -> Vec<Transition> {
    if !role.buys() {
        return Vec::new();
    }
    status
        .allowed_next()
        .iter()
        .filter_map(|to| match to {
            Status::Open => Some(("open", "Open the order", false)),
            Status::Cancelled => Some(("cancelled", "Cancel the order", true)),
            Status::Closed => Some(("closed", "Close the order", false)),
            _ => None,
        })
        .map(|(to, label, danger)| Transition { to, label, danger })
        .collect()
}

async fn order_page(
    state: &WebState,
    signed: &Signed,
    order: PurchaseOrder,
    error: Option<String>,
) -> PageResult<OrderPage> {
    let account = signed.user.account;
    let role = signed.user.role;
    let warehouse = state
        .store()
        .get_warehouse(account, order.warehouse_id)
        .await?
        .map_or_else(|| order.warehouse_id.to_string(), |w| w.name);
    let receipts = state
        .store()
        .list_receipts(account, order.id, PageRequest::first(PageRequest::MAX_SIZE))
        .await?;
    let actors = receipts
        .items
        .iter()
        .filter_map(|r| r.recorded_by.as_deref());
    let names = ActorNames::for_actors(state.store(), account, actors).await?;
    let ledger = receipts
        .items
        .iter()
        .flat_map(|r| ledger_rows(r, &names))
        .collect();
    let history = super::history::rows(state, signed, order.id).await?;
    let may_send =
        role.buys() && state.api.smtp && matches!(order.status, Status::Open | Status::Receiving);
    // The send form's default recipient: read only when the form is shown.
    let supplier_email = if may_send {
        state
            .store()
            .get_supplier(account, order.supplier_id)
            .await?
            .and_then(|s| s.fields.supplier_email)
            .unwrap_or_default()
    } else {
        String::new()
    };
    let status = order.status;
    let d = &order.details;
    Ok(OrderPage {
        nav: Some(signed.nav(state)),
        id: order.id.to_string(),
        order_number: order.order_number.clone(),
        status: status.as_str(),
        supplier: order.supplier_name.clone(),
        warehouse,
        order_date: day(d.order_date),
        expected: day(d.expected_delivery_date),
        overdue: overdue(status, d.expected_delivery_date, Utc::now()),
        reference: d.reference_number.clone().unwrap_or_default(),
        carrier: d.shipping_carrier.clone().unwrap_or_default(),
        tracking: d.tracking_number.clone().unwrap_or_default(),
        total: order_total(&order),
        lines: order
            .products
            .iter()
            .map(|l| LineRow {
                sku: l.sku.as_str().to_owned(),
                ordered: l.quantity,
                received: l.received_quantity,
                rejected: l.rejected_quantity,
                outstanding: l.outstanding(),
                cost: l
                    .cost
                    .map(|c| unit_cost(c.decimal(), d.currency_code))
                    .unwrap_or_default(),
                value: l
                    .total()
                    .map(|t| money(t, d.currency_code))
                    .unwrap_or_default(),
            })
            .collect(),
        ledger,
        history,
        transitions: transitions(role, status),
        may_edit: role.buys() && status == Status::Draft,
        may_receive: role.receives() && matches!(status, Status::Open | Status::Receiving),
        may_reverse: role.buys() && matches!(status, Status::Receiving | Status::Received),
        may_send,
        supplier_email,
        shipping_form: role.buys() && status == Status::Open,
        order_pdf: role.buys() && !matches!(status, Status::Draft | Status::Cancelled),
        received_pdf: role.buys()
            && matches!(
                status,
                Status::Receiving | Status::Received | Status::Closed
            ),
        error,
    })
}

fn ledger_rows(receipt: &Receipt, names: &ActorNames) -> Vec<LedgerRow> {
    let by = receipt
        .recorded_by
        .as_deref()
        .map(|a| names.name(a))
        .unwrap_or_default();
    receipt
        .lines
        .iter()
        .enumerate()
        .map(|(i, l)| LedgerRow {
            first: i == 0,
            receipt_id: receipt.id.to_string(),
            at: receipt.received_at.format("%Y-%m-%d %H:%M").to_string(),
            by: by.clone(),
            reversed: receipt.reversed_at.is_some(),
            sku: l.sku.as_str().to_owned(),
            location: l.location_name.clone(),
            received: l.received_quantity,
            rejected: l.rejected_quantity,
            lot: l.lot.clone().unwrap_or_default(),
            expiry: day(l.expiration_date),
        })
        .collect()
}

async fn show(State(state): State<WebState>, signed: Signed, Path(id): Path<String>) -> PageResult {
    let order = visible_order(&state, &signed, &id).await?;
    let page = order_page(&state, &signed, order, None).await?;
    Ok(page::ok(&page))
}

/// The order page again, with what the store refused above its actions.
pub(super) async fn refused(
    state: &WebState,
    signed: &Signed,
    id: PurchaseOrderId,
    err: StoreError,
) -> PageResult {
    let StoreError::Rejected(refusals) = err else {
        return Err(err.into());
    };
    let message = refusals
        .iter()
        .map(|r| refusals::problem(r).message)
        .collect::<Vec<_>>()
        .join(" ");
    let order = visible_order(state, signed, &id.to_string()).await?;
    with_error(state, signed, order, message, StatusCode::CONFLICT).await
}

/// The order's page with `message` above it, answered with `status`.
pub(super) async fn with_error(
    state: &WebState,
    signed: &Signed,
    order: PurchaseOrder,
    message: String,
    status: StatusCode,
) -> PageResult {
    let page = order_page(state, signed, order, Some(message)).await?;
    Ok(page::render(status, &page))
}

async fn change_status(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<String>,
    fields: Fields,
) -> PageResult {
    signed.check(&state, &fields)?;
    let order = visible_order(&state, &signed, &id).await?;
    signed.may(Role::buys)?;
    let to: Status = fields
        .get("to")
        .parse()
        .map_err(|_| PageError::BadForm("no such status".into()))?;
    match state
        .store()
        .change_status(signed.write(), order.id, to)
        .await
    {
        Ok(_) => Ok(page::see(&format!("/app/orders/{}", order.id))),
        Err(err) => refused(&state, &signed, order.id, err).await,
    }
}

/// A `YYYY-MM-DD` date field as midnight UTC; empty is `None`.
pub fn date_field(raw: &str) -> Result<Option<DateTime<Utc>>, String> {
    if raw.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .ok()
        .and_then(|d| d.and_hms_opt(0, 0, 0))
        .map(|t| Some(t.and_utc()))
        .ok_or_else(|| format!("'{raw}' is not a date (YYYY-MM-DD)"))
}

async fn shipping(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<String>,
    fields: Fields,
) -> PageResult {
    signed.check(&state, &fields)?;
    let order = visible_order(&state, &signed, &id).await?;
    signed.may(Role::buys)?;
    let text = |name: &str| Patch::Set(fields.opt(name).map(str::to_owned));
    let expected = match date_field(fields.get("expected_delivery_date")) {
        Ok(at) => at,
        Err(message) => {
            let page = order_page(&state, &signed, order, Some(message)).await?;
            return Ok(page::render(StatusCode::UNPROCESSABLE_ENTITY, &page));
        }
    };
    let patch = ShippingDetailsPatch {
        shipping_carrier: text("shipping_carrier"),
        tracking_number: text("tracking_number"),
        expected_delivery_date: Patch::Set(expected),
        ..ShippingDetailsPatch::default()
    };
    match state
        .store()
        .update_shipping_details(signed.write(), order.id, patch)
        .await
    {
        Ok(_) => Ok(page::see(&format!("/app/orders/{}", order.id))),
        Err(err) => refused(&state, &signed, order.id, err).await,
    }
}

async fn document(state: WebState, signed: Signed, id: &str, received: bool) -> PageResult {
    signed.may(Role::buys)?;
    let order = visible_order(&state, &signed, id).await?;
    Ok(
        crate::http::order_document(state.api.clone(), signed.user.account, order.id, received)
            .await
            .into_response(),
    )
}

async fn order_summary(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<String>,
) -> PageResult<Response> {
    document(state, signed, &id, false).await
}

async fn received_summary(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<String>,
) -> PageResult<Response> {
    document(state, signed, &id, true).await
}
