//! `/v2/inventory_warehouses` and `/v2/inventory_locations`: where purchase orders are received.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::AppState;
use super::account::{AddressBody, parse_address};
use super::conditions::{ConditionalRead, read_answer};
use super::declared::declared;
use super::error::{ApiError, ApiResult, ErrorResponse};
use super::extract::{Account, JsonBody, QueryObject};
use super::fields::given;
use super::fields::{Fields, Obj, string};
use super::idempotency::{
    KeyedChange, KeyedCreate, Render, WriteHeaders, no_content, refused, refused_at, success,
};
use super::json::Json;
use super::pagination::{Links, ListUrl, PAGE_PARAMS};
use super::path::{Found, OrNotFound, Path, PathId};
use super::timestamp::Timestamp;
use crate::domain::Invalid;
use crate::domain::ids::{LocationId, WarehouseId};
use crate::domain::version::Tag;
use crate::domain::warehouse::{
    self, Location, LocationChange, NewLocation, Warehouse, WarehouseInput,
};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/v2/inventory_warehouses",
            get(list_warehouses).post(create_warehouse),
        )
        .route(
            "/v2/inventory_warehouses/{inventory_warehouse_id}",
            get(show_warehouse)
                .put(update_warehouse)
                .delete(delete_warehouse),
        )
        .route(
            "/v2/inventory_locations",
            get(list_locations).post(create_location),
        )
        .route(
            "/v2/inventory_locations/{inventory_location_id}",
            get(show_location)
                .put(update_location)
                .delete(delete_location),
        )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WarehouseBody {
    #[schema(example = "se-123456")]
    #[schema(value_type = String)]
    pub inventory_warehouse_id: WarehouseId,
    pub name: String,
    #[schema(format = DateTime)]
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(format = DateTime)]
    #[schema(value_type = String)]
    pub updated_at: Timestamp,
    /// Where its orders are delivered (an addition to ShipStation's warehouse); omitted when
    /// none is set.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub address: Option<AddressBody>,
}

impl From<Warehouse> for WarehouseBody {
    fn from(w: Warehouse) -> Self {
        Self {
            inventory_warehouse_id: w.id,
            name: w.name,
            address: w.address.map(AddressBody::from),
            created_at: Timestamp(w.created_at),
            updated_at: Timestamp(w.updated_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LocationBody {
    #[schema(example = "se-12345")]
    #[schema(value_type = String)]
    pub inventory_location_id: LocationId,
    pub name: String,
    #[schema(value_type = String)]
    pub inventory_warehouse_id: WarehouseId,
    #[schema(format = DateTime)]
    #[schema(value_type = String)]
    pub created_at: Timestamp,
    #[schema(format = DateTime)]
    #[schema(value_type = String)]
    pub updated_at: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub barcode: Option<String>,
}

impl From<Location> for LocationBody {
    fn from(l: Location) -> Self {
        Self {
            inventory_location_id: l.id,
            name: l.name,
            inventory_warehouse_id: l.warehouse_id,
            created_at: Timestamp(l.created_at),
            updated_at: Timestamp(l.updated_at),
            barcode: l.barcode,
        }
    }
}

#[derive(Debug, ToSchema)]
#[expect(
    dead_code,
    reason = "describes the body and declares its fields (`http::declared`); bodies are read field by field"
)]
pub struct WarehouseRequest {
    /// 1 to 200 characters.
    name: String,
    /// The ship-to of its orders; a full replacement on update (omitted clears it).
    #[schema(nullable = false)]
    address: Option<AddressBody>,
}

#[derive(Debug, ToSchema)]
#[expect(
    dead_code,
    reason = "describes the body and declares its fields (`http::declared`); bodies are read field by field"
)]
pub struct CreateLocationRequest {
    /// 1 to 200 characters, e.g. `A - 01 - 02 - 03` (area, unit, shelf, bin).
    name: String,
    inventory_warehouse_id: String,
    #[schema(nullable = false)]
    barcode: Option<String>,
}

/// Both fields optional: an omitted field is unchanged; `barcode: ""` clears it.
#[derive(Debug, ToSchema)]
#[expect(
    dead_code,
    reason = "describes the body and declares its fields (`http::declared`); bodies are read field by field"
)]
pub struct UpdateLocationRequest {
    #[schema(nullable = false)]
    name: Option<String>,
    #[schema(nullable = false)]
    barcode: Option<String>,
    /// Accepted when it is the location's own warehouse (so that GET, edit, PUT works);
    /// a location cannot move to another warehouse.
    #[schema(nullable = false)]
    inventory_warehouse_id: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WarehouseList {
    pub inventory_warehouses: Vec<WarehouseBody>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub links: Links,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LocationList {
    pub inventory_locations: Vec<LocationBody>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub links: Links,
}

declared!(
    WAREHOUSE = WarehouseRequest,
    WarehouseBody,
    WarehouseRequest
);
declared!(
    NEW_LOCATION = CreateLocationRequest,
    LocationBody,
    CreateLocationRequest
);
declared!(
    LOCATION_CHANGE = UpdateLocationRequest,
    LocationBody,
    UpdateLocationRequest
);

fn read_input(body: &Value) -> ApiResult<WarehouseInput> {
    let mut f = Fields::default();
    let input = f.root(body).map(|o| {
        let name = f.required(&o, "name", |v| warehouse::parse_name(string(v)?));
        let address = f
            .object(&o, "address")
            .map(|a| parse_address(&mut f, &a))
            .filter(|a| !a.is_empty());
        f.deny_undeclared(&o, &WAREHOUSE);
        WarehouseInput {
            name: name.unwrap_or_default(),
            address,
        }
    });
    f.finish()?;
    Ok(input.unwrap_or_default())
}

fn read_new_location(body: &Value) -> ApiResult<NewLocation> {
    let mut f = Fields::default();
    let input = f.root(body).and_then(|o| {
        let name = f.required(&o, "name", |v| warehouse::parse_name(string(v)?));
        let warehouse_id = f.required(&o, "inventory_warehouse_id", |v| {
            WarehouseId::parse_field(string(v)?)
        });
        let barcode = given(&mut f, &o, "barcode", |v| {
            warehouse::parse_barcode(string(v)?)
        })
        .flatten();
        f.deny_undeclared(&o, &NEW_LOCATION);
        Some(NewLocation {
            warehouse_id: warehouse_id?,
            name: name?,
            barcode,
        })
    });
    f.finish()?;
    Ok(input.expect("a clean body yields a location"))
}

/// The change, and the warehouse the body names (which must be the location's own).
fn read_location_change(body: &Value) -> ApiResult<(LocationChange, Option<WarehouseId>)> {
    let mut f = Fields::default();
    let mut moved_to = None;
    let change = f.root(body).map(|o| {
        let name = given(&mut f, &o, "name", |v| warehouse::parse_name(string(v)?));
        // An empty string clears the barcode; `null` is refused like any other string field.
        let barcode = given(&mut f, &o, "barcode", |v| {
            warehouse::parse_barcode(string(v)?)
        });
        // Accepted so that GET, edit, PUT works, but a location never changes warehouse.
        moved_to = given(&mut f, &o, "inventory_warehouse_id", |v| {
            WarehouseId::parse_field(string(v)?)
        });
        f.deny_undeclared(&o, &LOCATION_CHANGE);
        LocationChange { name, barcode }
    });
    f.finish()?;
    Ok((change.unwrap_or_default(), moved_to))
}

/// `remove_inventory`: `0` (the default) or `1`.
fn read_remove_inventory(query: &Value) -> ApiResult<bool> {
    let mut f = Fields::default();
    let q: Obj<'_> = f.root(query).expect("the query is always an object");
    let remove = f.optional(&q, "remove_inventory", |v| match string(v)? {
        "0" => Ok(false),
        "1" => Ok(true),
        _ => Err(Invalid::value("must be 0 or 1")),
    });
    f.deny_unknown(&q, &["remove_inventory"]);
    f.finish()?;
    Ok(remove.unwrap_or(false))
}

/// [getInventoryWarehouses](https://docs.shipstation.com/openapi/inventory)
#[utoipa::path(get, path = "/v2/inventory_warehouses", operation_id = "getInventoryWarehouses", tag = "inventory",
    params(
        ("page_size" = Option<u32>, Query, minimum = 1, maximum = 500),
        ("page" = Option<u32>, Query, minimum = 1),
        ("cursor" = Option<String>, Query, description = "From `links.next.href`"),
    ),
    responses((status = 200, body = WarehouseList), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse)))]
pub async fn list_warehouses(
    State(state): State<AppState>,
    Account(account): Account,
    url: ListUrl,
    QueryObject(query): QueryObject,
) -> ApiResult<Json<WarehouseList>> {
    let mut f = Fields::default();
    let q: Obj<'_> = f.root(&query).expect("the query is always an object");
    let page = url.read_page(&mut f, &q);
    f.deny_unknown(&q, &PAGE_PARAMS);
    f.finish()?;
    let page = state.store.list_warehouses(account, page).await?;
    Ok(Json(WarehouseList {
        links: url.links(&page),
        total: page.total,
        page: page.page,
        pages: page.pages(),
        inventory_warehouses: page.items.into_iter().map(WarehouseBody::from).collect(),
    }))
}

/// [addNewInventoryWarehouse](https://docs.shipstation.com/openapi/inventory)
// The links let fuzzers (schemathesis) follow a created id into the operations that use it.
#[utoipa::path(post, path = "/v2/inventory_warehouses", operation_id = "addNewInventoryWarehouse", tag = "inventory", params(KeyedCreate),
    request_body = WarehouseRequest,
    responses((status = 200, body = WarehouseBody, links(
        ("getInventoryWarehouseById" = (operation_id = "getInventoryWarehouseById", parameters(("inventory_warehouse_id" = "$response.body#/inventory_warehouse_id")))),
        ("updateInventoryWarehouse" = (operation_id = "updateInventoryWarehouse", parameters(("inventory_warehouse_id" = "$response.body#/inventory_warehouse_id")))),
        ("deleteInventoryWarehouse" = (operation_id = "deleteInventoryWarehouse", parameters(("inventory_warehouse_id" = "$response.body#/inventory_warehouse_id"))))), headers(("ETag" = String, description = "The object's version, for If-Match and If-None-Match"))), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 422, body = ErrorResponse, description = "Idempotency-Key used before with another request")))]
pub async fn create_warehouse(
    State(state): State<AppState>,
    Account(account): Account,
    write: WriteHeaders,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let input = read_input(&body)?;
    let rid = write.request_id();
    let render: Render<Warehouse> = Arc::new(move |outcome| match outcome {
        Ok(warehouse) => success(
            StatusCode::OK,
            &WarehouseBody::from(warehouse.clone()),
            Some(warehouse.tag()),
        ),
        Err(err) => refused(err, rid),
    });
    let written = write
        .run(account, &body, render, |w| {
            state.store.create_warehouse(w, input)
        })
        .await;
    Ok(written.response)
}

/// [getInventoryWarehouseById](https://docs.shipstation.com/openapi/inventory)
#[utoipa::path(get, path = "/v2/inventory_warehouses/{inventory_warehouse_id}", operation_id = "getInventoryWarehouseById",
    tag = "inventory", params(("inventory_warehouse_id" = String, Path), ConditionalRead),
    responses((status = 200, body = WarehouseBody, headers(("ETag" = String, description = "The object's version, for If-Match and If-None-Match"))), (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 304, description = "If-None-Match names the current version", headers(("ETag" = String, description = "The object's version, for If-Match and If-None-Match")))))]
pub async fn show_warehouse(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<WarehouseId>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let warehouse = state.store.get_warehouse(account, id).await.found(id)?;
    let tag = warehouse.tag();
    Ok(read_answer(
        &headers,
        tag,
        Json(WarehouseBody::from(warehouse)),
    ))
}

/// [updateInventoryWarehouse](https://docs.shipstation.com/openapi/inventory)
#[utoipa::path(put, path = "/v2/inventory_warehouses/{inventory_warehouse_id}", operation_id = "updateInventoryWarehouse",
    tag = "inventory", params(("inventory_warehouse_id" = String, Path), KeyedChange), request_body = WarehouseRequest,
    responses((status = 204, description = "Renamed and readdressed", headers(("ETag" = String, description = "The object's version, for If-Match and If-None-Match"))), (status = 400, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 412, body = ErrorResponse, description = "If-Match names a version the object no longer is"), (status = 422, body = ErrorResponse, description = "Idempotency-Key used before with another request")))]
pub async fn update_warehouse(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<WarehouseId>,
    write: WriteHeaders,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let input = read_input(&body)?;
    let written = write
        .run(account, &body, tagged_render(id, write.request_id()), |w| {
            state.store.rename_warehouse(w, id, input)
        })
        .await;
    Ok(written.response)
}

/// The answer of a write to `id` that answers 204 with the new `ETag`, or the refusal.
fn tagged_render(id: impl PathId + Sync + 'static, rid: uuid::Uuid) -> Render<Tag> {
    Arc::new(move |outcome| match outcome {
        Ok(tag) => no_content(*tag),
        Err(err) => refused_at(err, id, rid),
    })
}

/// [deleteInventoryWarehouse](https://docs.shipstation.com/openapi/inventory). Refused while a
/// purchase order refers to the warehouse; its (empty) locations go with it.
#[utoipa::path(delete, path = "/v2/inventory_warehouses/{inventory_warehouse_id}", operation_id = "deleteInventoryWarehouse",
    tag = "inventory",
    params(("inventory_warehouse_id" = String, Path),
           ("remove_inventory" = Option<String>, Query, description = "`1` to remove stock first; `0` (default) refuses when there is stock")),
    responses((status = 204, description = "Deleted"), (status = 400, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse)))]
pub async fn delete_warehouse(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<WarehouseId>,
    QueryObject(query): QueryObject,
) -> ApiResult<StatusCode> {
    let remove_inventory = read_remove_inventory(&query)?;
    let deleted = state
        .store
        .delete_warehouse(account, id, remove_inventory)
        .await;
    deleted.or_not_found(id)?;
    Ok(StatusCode::NO_CONTENT)
}

/// [listInventoryLocations](https://docs.shipstation.com/openapi/inventory)
#[utoipa::path(get, path = "/v2/inventory_locations", operation_id = "listInventoryLocations", tag = "inventory",
    params(
        ("inventory_warehouse_id" = Option<String>, Query, description = "Only the locations of this warehouse"),
        ("page_size" = Option<u32>, Query, minimum = 1, maximum = 500),
        ("page" = Option<u32>, Query, minimum = 1),
        ("cursor" = Option<String>, Query, description = "From `links.next.href`"),
    ),
    responses((status = 200, body = LocationList), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse)))]
pub async fn list_locations(
    State(state): State<AppState>,
    Account(account): Account,
    url: ListUrl,
    QueryObject(query): QueryObject,
) -> ApiResult<Json<LocationList>> {
    let mut f = Fields::default();
    let q: Obj<'_> = f.root(&query).expect("the query is always an object");
    let warehouse = f.optional(&q, "inventory_warehouse_id", |v| {
        WarehouseId::parse_field(string(v)?)
    });
    let page = url.read_page(&mut f, &q);
    f.deny_unknown(
        &q,
        &[&["inventory_warehouse_id"][..], &PAGE_PARAMS[..]].concat(),
    );
    f.finish()?;
    let page = state.store.list_locations(account, warehouse, page).await?;
    Ok(Json(LocationList {
        links: url.links(&page),
        total: page.total,
        page: page.page,
        pages: page.pages(),
        inventory_locations: page.items.into_iter().map(LocationBody::from).collect(),
    }))
}

/// [createInventoryLocation](https://docs.shipstation.com/openapi/inventory)
// The links let fuzzers (schemathesis) follow a created id into the operations that use it.
#[utoipa::path(post, path = "/v2/inventory_locations", operation_id = "createInventoryLocation", tag = "inventory", params(KeyedCreate),
    request_body = CreateLocationRequest,
    responses((status = 200, body = LocationBody, links(
        ("getInventoryLocationById" = (operation_id = "getInventoryLocationById", parameters(("inventory_location_id" = "$response.body#/inventory_location_id")))),
        ("updateInventoryLocation" = (operation_id = "updateInventoryLocation", parameters(("inventory_location_id" = "$response.body#/inventory_location_id")))),
        ("deleteInventoryLocationById" = (operation_id = "deleteInventoryLocationById", parameters(("inventory_location_id" = "$response.body#/inventory_location_id"))))), headers(("ETag" = String, description = "The object's version, for If-Match and If-None-Match"))), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 422, body = ErrorResponse, description = "Idempotency-Key used before with another request")))]
pub async fn create_location(
    State(state): State<AppState>,
    Account(account): Account,
    write: WriteHeaders,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let input = read_new_location(&body)?;
    let rid = write.request_id();
    let render: Render<Location> = Arc::new(move |outcome| match outcome {
        Ok(location) => success(
            StatusCode::OK,
            &LocationBody::from(location.clone()),
            Some(location.tag()),
        ),
        Err(err) => refused(err, rid),
    });
    let written = write
        .run(account, &body, render, |w| {
            state.store.create_location(w, input)
        })
        .await;
    Ok(written.response)
}

/// [getInventoryLocationById](https://docs.shipstation.com/openapi/inventory)
#[utoipa::path(get, path = "/v2/inventory_locations/{inventory_location_id}", operation_id = "getInventoryLocationById",
    tag = "inventory", params(("inventory_location_id" = String, Path), ConditionalRead),
    responses((status = 200, body = LocationBody, headers(("ETag" = String, description = "The object's version, for If-Match and If-None-Match"))), (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 304, description = "If-None-Match names the current version", headers(("ETag" = String, description = "The object's version, for If-Match and If-None-Match")))))]
pub async fn show_location(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<LocationId>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let location = state.store.get_location(account, id).await.found(id)?;
    let tag = location.tag();
    Ok(read_answer(
        &headers,
        tag,
        Json(LocationBody::from(location)),
    ))
}

/// [updateInventoryLocation](https://docs.shipstation.com/openapi/inventory)
#[utoipa::path(put, path = "/v2/inventory_locations/{inventory_location_id}", operation_id = "updateInventoryLocation",
    tag = "inventory", params(("inventory_location_id" = String, Path), KeyedChange), request_body = UpdateLocationRequest,
    responses((status = 204, description = "Updated", headers(("ETag" = String, description = "The object's version, for If-Match and If-None-Match"))), (status = 400, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 412, body = ErrorResponse, description = "If-Match names a version the object no longer is"), (status = 422, body = ErrorResponse, description = "Idempotency-Key used before with another request")))]
pub async fn update_location(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<LocationId>,
    write: WriteHeaders,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let (change, moved_to) = read_location_change(&body)?;
    if let Some(warehouse) = moved_to {
        let current = state.store.get_location(account, id).await;
        let current = current.found(id)?;
        if current.warehouse_id != warehouse {
            return Err(ApiError::field(
                "inventory_warehouse_id",
                Some(warehouse.to_string()),
                &Invalid::value(format!(
                    "cannot change: location {id} belongs to warehouse {}; create a location in the other warehouse instead",
                    current.warehouse_id
                )),
            ));
        }
    }
    let written = write
        .run(account, &body, tagged_render(id, write.request_id()), |w| {
            state.store.update_location(w, id, change)
        })
        .await;
    Ok(written.response)
}

/// [deleteInventoryLocationById](https://docs.shipstation.com/openapi/inventory)
#[utoipa::path(delete, path = "/v2/inventory_locations/{inventory_location_id}", operation_id = "deleteInventoryLocationById",
    tag = "inventory",
    params(("inventory_location_id" = String, Path),
           ("remove_inventory" = Option<String>, Query, description = "`1` to remove stock first; `0` (default) refuses when there is stock")),
    responses((status = 204, description = "Deleted"), (status = 400, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse)))]
pub async fn delete_location(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<LocationId>,
    QueryObject(query): QueryObject,
) -> ApiResult<StatusCode> {
    let remove_inventory = read_remove_inventory(&query)?;
    let deleted = state
        .store
        .delete_location(account, id, remove_inventory)
        .await;
    deleted.or_not_found(id)?;
    Ok(StatusCode::NO_CONTENT)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::declared::tests::{every_field_wrong, named, sorted};

    #[test]
    fn every_field_the_document_declares_is_read() {
        let refused = read_input(&every_field_wrong(&WAREHOUSE)).expect_err("all wrong");
        // `address` is an object, so the wrong value is refused inside it.
        let fields: Vec<String> = named(refused, "")
            .into_iter()
            .map(|name| name.replace("address.wrong", "address"))
            .collect();
        assert_eq!(fields, sorted(&WAREHOUSE));
        let refused = read_new_location(&every_field_wrong(&NEW_LOCATION)).expect_err("all wrong");
        assert_eq!(named(refused, ""), sorted(&NEW_LOCATION));
        let body = every_field_wrong(&LOCATION_CHANGE);
        let refused = read_location_change(&body).expect_err("all wrong");
        assert_eq!(named(refused, ""), sorted(&LOCATION_CHANGE));
    }
}
