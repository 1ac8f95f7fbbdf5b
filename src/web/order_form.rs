//! A new order, or a draft edited: supplier and warehouse pickers, a lines editor (add, remove,
//! move up) and every error at its field. Errors are keyed by the API's field paths
//! (`supplier_id`, `products[2].quantity`), so that what the store refuses lands at its input.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::get;

use super::form::Fields;
use super::orders::{date_field, day, visible_order};
use super::page::{self, Nav, PageError, PageResult};
use super::{Signed, WebState};
use crate::domain::ids::{PurchaseOrderId, SupplierId, WarehouseId};
use crate::domain::money::{CurrencyCode, Money};
use crate::domain::page::PageRequest;
use crate::domain::purchase_order::{
    Details, LineInput, PurchaseOrder, PurchaseOrderInput, Quantity, Sku, check_lines,
};
use crate::domain::status::Status;
use crate::domain::user::Role;
use crate::http::refusals;
use crate::store::StoreError;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/app/orders/new", get(new).post(save_new))
        .route("/app/orders/{id}/edit", get(edit).post(save_edit))
}

#[derive(Clone, Default)]
struct LineRow {
    sku: String,
    quantity: String,
    cost: String,
}

struct Choice {
    value: String,
    label: String,
}

#[derive(Template)]
#[template(path = "order_form.html")]
struct OrderForm {
    nav: Option<Nav>,
    action: String,
    title: String,
    suppliers: Vec<Choice>,
    warehouses: Vec<Choice>,
    supplier: String,
    warehouse: String,
    reference: String,
    expected: String,
    currency: String,
    lines: Vec<LineRow>,
    errors: HashMap<String, String>,
}

impl OrderForm {
    fn err(&self, path: &str) -> Option<&str> {
        self.errors.get(path).map(String::as_str)
    }

    fn line_err(&self, index: &usize, field: &str) -> Option<&str> {
        self.err(&format!("products[{index}].{field}"))
    }
}

/// What the form holds, as typed.
struct Typed {
    supplier: String,
    warehouse: String,
    reference: String,
    expected: String,
    currency: String,
    lines: Vec<LineRow>,
}

impl Typed {
    fn of(fields: &Fields) -> Self {
        let column = |name| fields.all(name).map(str::to_owned).collect::<Vec<_>>();
        let (skus, quantities, costs) = (column("sku"), column("quantity"), column("cost"));
        let lines = skus
            .iter()
            .enumerate()
            .map(|(i, sku)| LineRow {
                sku: sku.clone(),
                quantity: quantities.get(i).cloned().unwrap_or_default(),
                cost: costs.get(i).cloned().unwrap_or_default(),
            })
            .collect();
        Self {
            supplier: fields.get("supplier_id").to_owned(),
            warehouse: fields.get("warehouse_id").to_owned(),
            reference: fields.get("reference_number").to_owned(),
            expected: fields.get("expected_delivery_date").to_owned(),
            currency: fields.get("currency_code").to_owned(),
            lines,
        }
    }

    fn of_order(order: &PurchaseOrder) -> Self {
        Self {
            supplier: order.supplier_id.to_string(),
            warehouse: order.warehouse_id.to_string(),
            reference: order.details.reference_number.clone().unwrap_or_default(),
            expected: day(order.details.expected_delivery_date),
            currency: order.details.currency_code.to_string(),
            lines: order
                .products
                .iter()
                .map(|l| LineRow {
                    sku: l.sku.as_str().to_owned(),
                    quantity: l.quantity.to_string(),
                    cost: l.cost.map(|c| c.to_string()).unwrap_or_default(),
                })
                .collect(),
        }
    }

    fn blank() -> Self {
        Self {
            supplier: String::new(),
            warehouse: String::new(),
            reference: String::new(),
            expected: String::new(),
            currency: "USD".to_owned(),
            lines: vec![LineRow::default()],
        }
    }

    /// The order these fields describe, over `base` (the draft's other details), or every error
    /// at its field path.
    fn input(&self, base: Details) -> Result<PurchaseOrderInput, HashMap<String, String>> {
        let mut errors = HashMap::new();
        let supplier_id = SupplierId::parse(&self.supplier);
        if supplier_id.is_none() {
            errors.insert("supplier_id".into(), "Choose a supplier.".into());
        }
        let warehouse_id = WarehouseId::parse(&self.warehouse);
        if warehouse_id.is_none() {
            errors.insert("warehouse_id".into(), "Choose a warehouse.".into());
        }
        let mut details = base;
        details.reference_number = Some(self.reference.clone()).filter(|r| !r.is_empty());
        match date_field(&self.expected) {
            Ok(at) => details.expected_delivery_date = at,
            Err(message) => {
                errors.insert("expected_delivery_date".into(), message);
            }
        }
        match CurrencyCode::parse(&self.currency) {
            Ok(code) => details.currency_code = code,
            Err(e) => {
                errors.insert("currency_code".into(), format!("The currency {e}."));
            }
        }
        let mut products = Vec::new();
        for (i, line) in self.lines.iter().enumerate() {
            let at = |field: &str| format!("products[{i}].{field}");
            let sku = Sku::parse(&line.sku).map_err(|e| (at("sku"), format!("The SKU {e}.")));
            let quantity = line
                .quantity
                .parse::<i64>()
                .map_err(|_| Quantity::parse(0).err())
                .and_then(|n| Quantity::parse(n).map_err(Some))
                .map_err(|e| {
                    let why = e.map_or("must be a whole number".to_owned(), |e| e.to_string());
                    (at("quantity"), format!("The quantity {why}."))
                });
            let cost = if line.cost.is_empty() {
                Ok(None)
            } else {
                Money::parse_cost(&line.cost)
                    .map(Some)
                    .map_err(|e| (at("cost"), format!("The cost {e}.")))
            };
            match (sku, quantity, cost) {
                (Ok(sku), Ok(quantity), Ok(cost)) => products.push(LineInput {
                    sku,
                    supplier_sku: None,
                    quantity,
                    cost,
                }),
                (sku, quantity, cost) => {
                    for (path, message) in [sku.err(), quantity.err(), cost.err()]
                        .into_iter()
                        .flatten()
                    {
                        errors.insert(path, message);
                    }
                }
            }
        }
        if errors.is_empty() {
            for (index, problem) in check_lines(&products) {
                let path = index.map_or("products".to_owned(), |i| format!("products[{i}].sku"));
                errors.insert(path, problem.to_string());
            }
        }
        match (supplier_id, warehouse_id) {
            (Some(supplier_id), Some(warehouse_id)) if errors.is_empty() => {
                Ok(PurchaseOrderInput {
                    supplier_id,
                    warehouse_id,
                    details,
                    products,
                })
            }
            _ => Err(errors),
        }
    }
}

async fn render(
    state: &WebState,
    signed: &Signed,
    editing: Option<PurchaseOrderId>,
    typed: Typed,
    errors: HashMap<String, String>,
) -> PageResult {
    let account = signed.user.account;
    let all = PageRequest::first(PageRequest::MAX_SIZE);
    let suppliers = state.store().list_suppliers(account, None, all).await?;
    let warehouses = state.store().list_warehouses(account, all).await?;
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let form = OrderForm {
        nav: Some(signed.nav(state)),
        action: editing.map_or("/app/orders/new".to_owned(), |id| {
            format!("/app/orders/{id}/edit")
        }),
        title: editing.map_or("New purchase order".to_owned(), |id| {
            format!("Edit draft {id}")
        }),
        suppliers: suppliers
            .items
            .into_iter()
            .map(|s| Choice {
                value: s.id.to_string(),
                label: s.fields.supplier_name,
            })
            .collect(),
        warehouses: warehouses
            .items
            .into_iter()
            .map(|w| Choice {
                value: w.id.to_string(),
                label: w.name,
            })
            .collect(),
        supplier: typed.supplier,
        warehouse: typed.warehouse,
        reference: typed.reference,
        expected: typed.expected,
        currency: typed.currency,
        lines: typed.lines,
        errors,
    };
    Ok(page::render(status, &form))
}

async fn new(State(state): State<WebState>, signed: Signed) -> PageResult {
    signed.may(Role::buys)?;
    render(&state, &signed, None, Typed::blank(), HashMap::new()).await
}

async fn draft(state: &WebState, signed: &Signed, id: &str) -> PageResult<PurchaseOrder> {
    signed.may(Role::buys)?;
    let order = visible_order(state, signed, id).await?;
    if order.status == Status::Draft {
        Ok(order)
    } else {
        Err(PageError::Forbidden)
    }
}

async fn edit(State(state): State<WebState>, signed: Signed, Path(id): Path<String>) -> PageResult {
    let order = draft(&state, &signed, &id).await?;
    let typed = Typed::of_order(&order);
    render(&state, &signed, Some(order.id), typed, HashMap::new()).await
}

/// Applies a lines-editor button (`add`, `remove:2`, `up:2`); `false` for the save button.
fn edit_lines(lines: &mut Vec<LineRow>, action: &str) -> bool {
    let index = |rest: &str| rest.parse::<usize>().ok();
    if action == "add" {
        lines.push(LineRow::default());
    } else if let Some(i) = action.strip_prefix("remove:").and_then(index) {
        if i < lines.len() {
            lines.remove(i);
        }
    } else if let Some(i) = action.strip_prefix("up:").and_then(index) {
        if i > 0 && i < lines.len() {
            lines.swap(i - 1, i);
        }
    } else {
        return false;
    }
    true
}

/// The store's refusals at the fields their API paths name.
fn refused_at(err: StoreError) -> PageResult<HashMap<String, String>> {
    let StoreError::Rejected(refusals) = err else {
        return Err(err.into());
    };
    Ok(refusals
        .iter()
        .map(|r| {
            let problem = refusals::problem(r);
            (
                problem.field.unwrap_or_else(|| "form".into()),
                problem.message,
            )
        })
        .collect())
}

async fn save_new(State(state): State<WebState>, signed: Signed, fields: Fields) -> PageResult {
    signed.check(&state, &fields)?;
    signed.may(Role::buys)?;
    let mut typed = Typed::of(&fields);
    if edit_lines(&mut typed.lines, fields.get("action")) {
        return render(&state, &signed, None, typed, HashMap::new()).await;
    }
    let input = match typed.input(Details::default()) {
        Ok(input) => input,
        Err(errors) => return render(&state, &signed, None, typed, errors).await,
    };
    match state
        .store()
        .create_purchase_order(signed.write(), input)
        .await
    {
        Ok(order) => Ok(page::see(&format!("/app/orders/{}", order.id))),
        Err(err) => render(&state, &signed, None, typed, refused_at(err)?).await,
    }
}

async fn save_edit(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<String>,
    fields: Fields,
) -> PageResult {
    signed.check(&state, &fields)?;
    let order = draft(&state, &signed, &id).await?;
    let mut typed = Typed::of(&fields);
    if edit_lines(&mut typed.lines, fields.get("action")) {
        return render(&state, &signed, Some(order.id), typed, HashMap::new()).await;
    }
    let input = match typed.input(order.details.clone()) {
        Ok(input) => input,
        Err(errors) => return render(&state, &signed, Some(order.id), typed, errors).await,
    };
    match state
        .store()
        .replace_purchase_order(signed.write(), order.id, input)
        .await
    {
        Ok(_) => Ok(page::see(&format!("/app/orders/{}", order.id))),
        Err(err) => render(&state, &signed, Some(order.id), typed, refused_at(err)?).await,
    }
}
