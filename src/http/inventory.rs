//! `GET /v2/inventory`: stock levels, raised by receipts.

use axum::Router;
use axum::extract::State;
use axum::routing::get;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiResult, ErrorResponse};
use super::extract::{Account, QueryObject};
use super::fields::{Fields, Obj, string};
use super::json::Json;
use super::pagination::{Links, ListUrl, PAGE_PARAMS};
use crate::domain::Invalid;
use crate::domain::ids::{LocationId, WarehouseId};
use crate::domain::receipt::{GroupBy, InventoryFilter, InventoryLevel};

pub fn routes() -> Router<AppState> {
    Router::new().route("/v2/inventory", get(list))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AverageCost {
    #[serde(with = "rust_decimal::serde::arbitrary_precision")]
    #[schema(value_type = f64, example = 9.99)]
    pub amount: rust_decimal::Decimal,
    #[schema(example = "USD")]
    pub currency: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InventoryItem {
    pub sku: String,
    pub on_hand: i64,
    pub allocated: i64,
    pub available: i64,
    /// Average unit cost of the received units that had a cost; omitted when none had one or
    /// when they were bought in different currencies.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub average_cost: Option<AverageCost>,
    #[schema(value_type = String)]
    pub inventory_warehouse_id: WarehouseId,
    /// Omitted when grouped by warehouse.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    #[schema(value_type = Option<String>)]
    pub inventory_location_id: Option<LocationId>,
}

impl From<InventoryLevel> for InventoryItem {
    fn from(level: InventoryLevel) -> Self {
        Self {
            sku: level.sku.as_str().to_owned(),
            on_hand: level.on_hand,
            allocated: level.allocated,
            available: level.available(),
            average_cost: level.average_cost.map(|(amount, currency)| AverageCost {
                amount: amount.decimal(),
                currency: currency.as_str(),
            }),
            inventory_warehouse_id: level.warehouse_id,
            inventory_location_id: level.location_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InventoryList {
    pub inventory: Vec<InventoryItem>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub links: Links,
}

/// [getInventoryLevels](https://docs.shipstation.com/openapi/inventory)
#[utoipa::path(get, path = "/v2/inventory", operation_id = "getInventoryLevels", tag = "inventory",
    params(
        ("sku" = Option<String>, Query),
        ("inventory_warehouse_id" = Option<String>, Query),
        ("inventory_location_id" = Option<String>, Query),
        ("group_by" = Option<String>, Query, description = "`location` (default) or `warehouse`"),
        ("page_size" = Option<u32>, Query, minimum = 1, maximum = 500),
        ("page" = Option<u32>, Query, minimum = 1),
        ("cursor" = Option<String>, Query, description = "From `links.next.href`"),
    ),
    responses((status = 200, body = InventoryList), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse)))]
pub async fn list(
    State(state): State<AppState>,
    Account(account): Account,
    url: ListUrl,
    QueryObject(query): QueryObject,
) -> ApiResult<Json<InventoryList>> {
    let mut f = Fields::default();
    let q: Obj<'_> = f.root(&query).expect("the query is always an object");
    let filter = InventoryFilter {
        sku: f.optional(&q, "sku", |v| Ok(string(v)?.trim().to_owned())),
        warehouse_id: f.optional(&q, "inventory_warehouse_id", |v| {
            WarehouseId::parse_field(string(v)?)
        }),
        location_id: f.optional(&q, "inventory_location_id", |v| {
            LocationId::parse_field(string(v)?)
        }),
        group_by: f
            .optional(&q, "group_by", |v| match string(v)? {
                "location" => Ok(GroupBy::Location),
                "warehouse" => Ok(GroupBy::Warehouse),
                _ => Err(Invalid::value("must be one of: warehouse, location")),
            })
            .unwrap_or_default(),
    };
    let page = url.read_page(&mut f, &q);
    let known = [
        &[
            "sku",
            "inventory_warehouse_id",
            "inventory_location_id",
            "group_by",
        ][..],
        &PAGE_PARAMS[..],
    ]
    .concat();
    f.deny_unknown(&q, &known);
    f.finish()?;
    let page = state.store.list_inventory(account, filter, page).await?;
    Ok(Json(InventoryList {
        links: url.links(&page),
        total: page.total,
        page: page.page,
        pages: page.pages(),
        inventory: page.items.into_iter().map(InventoryItem::from).collect(),
    }))
}
