//! Suppliers, warehouses with their locations, and stock.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};

use super::form::Fields;
use super::page::{self, Nav, PageError, PageResult};
use super::{Signed, WebState};
use crate::domain::ids::WarehouseId;
use crate::domain::page::PageRequest;
use crate::domain::receipt::InventoryFilter;
use crate::domain::supplier::{self, SupplierInput};
use crate::domain::user::Role;
use crate::domain::warehouse::{self, NewLocation, WarehouseInput};
use crate::http::refusals;
use crate::store::StoreError;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/app/suppliers", get(suppliers).post(create_supplier))
        .route("/app/warehouses", get(warehouses).post(create_warehouse))
        .route("/app/warehouses/{id}/locations", post(create_location))
        .route("/app/stock", get(stock))
}

/// The one error a small form shows, at the field it names.
struct FieldError {
    field: &'static str,
    message: String,
}

/// What the store refused, worded as the API words it; anything else fails the page.
fn refusal_message(err: StoreError) -> PageResult<String> {
    match err {
        StoreError::Rejected(refusals) => Ok(refusals
            .iter()
            .map(|r| refusals::problem(r).message)
            .collect::<Vec<_>>()
            .join(" ")),
        other => Err(other.into()),
    }
}

struct SupplierRow {
    name: String,
    email: String,
    contact: String,
}

#[derive(Template)]
#[template(path = "suppliers.html")]
struct SuppliersPage {
    nav: Option<Nav>,
    rows: Vec<SupplierRow>,
    name: String,
    email: String,
    error: Option<FieldError>,
}

async fn suppliers_page(
    state: &WebState,
    signed: &Signed,
    fields: Option<&Fields>,
    error: Option<FieldError>,
) -> PageResult {
    let list = state
        .store()
        .list_suppliers(
            signed.user.account,
            None,
            PageRequest::first(PageRequest::MAX_SIZE),
        )
        .await?;
    let failed = error.is_some();
    let page = SuppliersPage {
        nav: Some(signed.nav(state)),
        rows: list
            .items
            .into_iter()
            .map(|s| SupplierRow {
                name: s.fields.supplier_name,
                email: s.fields.supplier_email.unwrap_or_default(),
                contact: s.fields.contact_name.unwrap_or_default(),
            })
            .collect(),
        name: fields
            .map(|f| f.get("supplier_name").to_owned())
            .unwrap_or_default(),
        email: fields
            .map(|f| f.get("supplier_email").to_owned())
            .unwrap_or_default(),
        error,
    };
    let status = if failed {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok(page::render(status, &page))
}

async fn suppliers(State(state): State<WebState>, signed: Signed) -> PageResult {
    signed.may(Role::buys)?;
    suppliers_page(&state, &signed, None, None).await
}

async fn create_supplier(
    State(state): State<WebState>,
    signed: Signed,
    fields: Fields,
) -> PageResult {
    signed.check(&state, &fields)?;
    signed.may(Role::buys)?;
    let fail = |field, message: String| Some(FieldError { field, message });
    let name = match supplier::parse_name(fields.get("supplier_name")) {
        Ok(name) => name,
        Err(e) => {
            let error = fail("supplier_name", format!("The name {e}."));
            return suppliers_page(&state, &signed, Some(&fields), error).await;
        }
    };
    let email = match supplier::parse_email(fields.get("supplier_email")) {
        Ok(email) => email,
        Err(e) => {
            let error = fail("supplier_email", format!("The email {e}."));
            return suppliers_page(&state, &signed, Some(&fields), error).await;
        }
    };
    let input = SupplierInput {
        supplier_name: name,
        supplier_email: email,
        ..SupplierInput::default()
    };
    match state.store().create_supplier(signed.write(), input).await {
        Ok(_) => Ok(page::see("/app/suppliers")),
        Err(err) => {
            let error = fail("supplier_name", refusal_message(err)?);
            suppliers_page(&state, &signed, Some(&fields), error).await
        }
    }
}

struct WarehouseRow {
    id: String,
    name: String,
    locations: Vec<String>,
}

#[derive(Template)]
#[template(path = "warehouses.html")]
struct WarehousesPage {
    nav: Option<Nav>,
    rows: Vec<WarehouseRow>,
    error: Option<String>,
}

async fn warehouses_page(state: &WebState, signed: &Signed, error: Option<String>) -> PageResult {
    let account = signed.user.account;
    let all = PageRequest::first(PageRequest::MAX_SIZE);
    let list = state.store().list_warehouses(account, all).await?;
    let locations = state.store().list_locations(account, None, all).await?;
    let rows = list
        .items
        .into_iter()
        .map(|w| WarehouseRow {
            id: w.id.to_string(),
            locations: locations
                .items
                .iter()
                .filter(|l| l.warehouse_id == w.id)
                .map(|l| l.name.clone())
                .collect(),
            name: w.name,
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = WarehousesPage {
        nav: Some(signed.nav(state)),
        rows,
        error,
    };
    Ok(page::render(status, &page))
}

async fn warehouses(State(state): State<WebState>, signed: Signed) -> PageResult {
    signed.may(Role::buys)?;
    warehouses_page(&state, &signed, None).await
}

async fn create_warehouse(
    State(state): State<WebState>,
    signed: Signed,
    fields: Fields,
) -> PageResult {
    signed.check(&state, &fields)?;
    signed.may(Role::buys)?;
    let name = match warehouse::parse_name(fields.get("name")) {
        Ok(name) => name,
        Err(e) => return warehouses_page(&state, &signed, Some(format!("The name {e}."))).await,
    };
    match state
        .store()
        .create_warehouse(
            signed.write(),
            WarehouseInput {
                name,
                address: None,
            },
        )
        .await
    {
        Ok(_) => Ok(page::see("/app/warehouses")),
        Err(err) => warehouses_page(&state, &signed, Some(refusal_message(err)?)).await,
    }
}

async fn create_location(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<String>,
    fields: Fields,
) -> PageResult {
    signed.check(&state, &fields)?;
    signed.may(Role::buys)?;
    let warehouse_id = WarehouseId::parse(&id).ok_or(PageError::NotFound)?;
    let name = match warehouse::parse_name(fields.get("name")) {
        Ok(name) => name,
        Err(e) => {
            let message = format!("The location's name {e}.");
            return warehouses_page(&state, &signed, Some(message)).await;
        }
    };
    let location = NewLocation {
        warehouse_id,
        name,
        barcode: None,
    };
    match state
        .store()
        .create_location(signed.write(), location)
        .await
    {
        Ok(_) => Ok(page::see("/app/warehouses")),
        // Another account's warehouse is unknown here, as in the API.
        Err(StoreError::Rejected(_)) | Err(StoreError::NotFound) => Err(PageError::NotFound),
        Err(err) => Err(err.into()),
    }
}

struct StockRow {
    sku: String,
    warehouse: String,
    location: String,
    on_hand: i64,
    value: String,
}

#[derive(Template)]
#[template(path = "stock.html")]
struct StockPage {
    nav: Option<Nav>,
    rows: Vec<StockRow>,
}

async fn stock(State(state): State<WebState>, signed: Signed) -> PageResult {
    let account = signed.user.account;
    let all = PageRequest::first(PageRequest::MAX_SIZE);
    let levels = state
        .store()
        .list_inventory(account, InventoryFilter::default(), all)
        .await?;
    let warehouses = state.store().list_warehouses(account, all).await?;
    let locations = state.store().list_locations(account, None, all).await?;
    let rows = levels
        .items
        .into_iter()
        .map(|level| StockRow {
            sku: level.sku.as_str().to_owned(),
            warehouse: warehouses
                .items
                .iter()
                .find(|w| w.id == level.warehouse_id)
                .map_or_else(|| level.warehouse_id.to_string(), |w| w.name.clone()),
            location: level
                .location_id
                .and_then(|id| locations.items.iter().find(|l| l.id == id))
                .map(|l| l.name.clone())
                .unwrap_or_default(),
            on_hand: level.on_hand,
            value: level
                .average_cost
                .map(|(cost, currency)| {
                    let value = crate::documents::money(cost.times(level.on_hand), currency);
                    format!("{currency} {value}")
                })
                .unwrap_or_default(),
        })
        .collect();
    let page = StockPage {
        nav: Some(signed.nav(&state)),
        rows,
    };
    Ok(page::ok(&page))
}
