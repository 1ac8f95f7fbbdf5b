//! The OpenAPI 3.1 document, generated from the handlers and served at `/openapi.json`.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::error::{ErrorCode, ErrorDetail, ErrorResponse, ErrorSource, ErrorType};
use super::pagination::{Link, Links};
use super::{health, inventory, purchase_orders, suppliers, warehouses};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Procura",
        description = "Purchase orders, suppliers and inventory warehouses, in the ShipStation API v2 dialect.",
    ),
    paths(
        purchase_orders::list,
        purchase_orders::create,
        purchase_orders::show,
        purchase_orders::update,
        purchase_orders::update_shipping_details,
        purchase_orders::update_status,
        purchase_orders::receives::receive,
        purchase_orders::receives::list,
        purchase_orders::documents::order_summary,
        purchase_orders::documents::received_summary,
        suppliers::list,
        suppliers::create,
        suppliers::show,
        suppliers::update,
        warehouses::list_warehouses,
        warehouses::create_warehouse,
        warehouses::show_warehouse,
        warehouses::update_warehouse,
        warehouses::delete_warehouse,
        warehouses::list_locations,
        warehouses::create_location,
        warehouses::show_location,
        warehouses::update_location,
        warehouses::delete_location,
        inventory::list,
        health::healthz,
        health::readyz,
    ),
    components(schemas(ErrorResponse, ErrorDetail, ErrorType, ErrorCode, ErrorSource, Link, Links)),
    modifiers(&ApiKeyAuth),
    security(("api_keys" = [])),
    tags(
        (name = "purchase_orders", description = "Purchase orders: draft, open, receive, close or cancel"),
        (name = "suppliers", description = "Who purchase orders buy from"),
        (name = "inventory", description = "Inventory warehouses and locations"),
        (name = "operations", description = "Health and readiness"),
    ),
)]
pub struct ApiDoc;

struct ApiKeyAuth;

impl Modify for ApiKeyAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "api_keys",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::new("API-Key"))),
        );
    }
}

/// The document as served, built once.
pub fn document() -> &'static str {
    static DOC: OnceLock<String> = OnceLock::new();
    DOC.get_or_init(|| {
        ApiDoc::openapi()
            .to_pretty_json()
            // utoipa 5.5 writes a response link's `operationId` in snake case, which OpenAPI
            // tools (schemathesis among them) do not read as a link. Renamed in the text, which
            // keeps the document's key order; inside a JSON string the quotes would be escaped,
            // so only keys match. Links carry no `requestBody` here, the other field affected.
            .map(|doc| doc.replace("\"operation_id\":", "\"operationId\":"))
            .unwrap_or_else(|e| format!("{{\"error\": \"{e}\"}}"))
    })
}

pub async fn serve() -> impl IntoResponse {
    ([(header::CONTENT_TYPE, "application/json")], document())
}
