//! The OpenAPI 3.1 document, generated from the handlers and served at `/openapi.json`.

use std::sync::OnceLock;

use axum::http::header;
use axum::response::IntoResponse;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::error::{ErrorCode, ErrorDetail, ErrorResponse, ErrorSource, ErrorType};
use super::pagination::{Link, Links};
use super::{account, events, health, inventory, purchase_orders, suppliers, warehouses, webhooks};

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
        purchase_orders::receives::reverse,
        purchase_orders::send::send,
        purchase_orders::documents::order_summary,
        purchase_orders::documents::received_summary,
        account::show,
        account::update,
        account::show_logo,
        account::update_logo,
        account::delete_logo,
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
        events::feed,
        events::history,
        webhooks::list,
        webhooks::create,
        webhooks::show,
        webhooks::update,
        webhooks::delete,
        webhooks::secret,
        webhooks::rotate_secret,
        webhooks::deliveries,
        webhooks::redeliver,
        health::healthz,
        health::readyz,
    ),
    components(schemas(ErrorResponse, ErrorDetail, ErrorType, ErrorCode, ErrorSource, Link, Links)),
    modifiers(&ApiKeyAuth, &Summaries),
    security(("api_keys" = [])),
    tags(
        (name = "purchase_orders", description = "Purchase orders: draft, open, receive, close or cancel"),
        (name = "account", description = "The buying company, as its documents name it"),
        (name = "suppliers", description = "Who purchase orders buy from"),
        (name = "inventory", description = "Inventory warehouses and locations"),
        (name = "events", description = "What happened to purchase orders: the feed and each order's history"),
        (name = "webhooks", description = "Signed purchase-order events sent to your endpoints"),
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

/// Handlers open their doc comment with a link to the ShipStation operation they implement
/// (`[list_suppliers](https://...). Newest first.`), which utoipa takes whole as the summary.
/// A reference page lists summaries in its menu: there the summary becomes the operation's name
/// in words ("List suppliers"), and the link and the rest move to the description.
struct Summaries;

impl Modify for Summaries {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        for item in openapi.paths.paths.values_mut() {
            let operations = [
                &mut item.get,
                &mut item.put,
                &mut item.post,
                &mut item.delete,
                &mut item.patch,
            ];
            for operation in operations.into_iter().flatten() {
                let Some(summary) = operation.summary.take() else {
                    continue;
                };
                let (title, rest) = split_summary(&summary);
                let description = match (rest.is_empty(), operation.description.take()) {
                    (true, None) => None,
                    (false, None) => Some(rest),
                    (true, Some(more)) => Some(more),
                    (false, Some(more)) => Some(format!("{rest}\n\n{more}")),
                };
                operation.summary = Some(title);
                operation.description = description;
            }
        }
    }
}

/// `("List suppliers", "ShipStation: [list_suppliers](url). Newest first.")` from
/// `[list_suppliers](url). Newest first.`; a summary without a leading link stays as it is.
fn split_summary(summary: &str) -> (String, String) {
    let Some((name, after)) = summary.strip_prefix('[').and_then(|s| s.split_once("](")) else {
        return (summary.to_owned(), String::new());
    };
    let Some((url, rest)) = after.split_once(')') else {
        return (summary.to_owned(), String::new());
    };
    // ShipStation names operations in snake case (`list_suppliers`) or camel case
    // (`GetInventoryLevels`).
    let mut words = String::new();
    for (i, c) in name.chars().enumerate() {
        match c {
            '_' => words.push(' '),
            c if c.is_ascii_uppercase() && i > 0 => {
                words.push(' ');
                words.push(c.to_ascii_lowercase());
            }
            c if i == 0 => words.push(c.to_ascii_uppercase()),
            c => words.push(c),
        }
    }
    let rest = rest.trim_start_matches('.').trim();
    let link = format!("ShipStation's [{name}]({url}).");
    let description = if rest.is_empty() {
        link
    } else {
        format!("{rest} {link}")
    };
    (words, description)
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

#[cfg(test)]
mod tests {
    use super::split_summary;

    #[test]
    fn a_leading_link_becomes_the_operation_name_in_words() {
        assert_eq!(
            split_summary("[list_suppliers](https://example.test/list). Newest first."),
            (
                "List suppliers".to_owned(),
                "Newest first. ShipStation's [list_suppliers](https://example.test/list)."
                    .to_owned()
            )
        );
        assert_eq!(
            split_summary("[get_purchase_order](https://example.test/get)"),
            (
                "Get purchase order".to_owned(),
                "ShipStation's [get_purchase_order](https://example.test/get).".to_owned()
            )
        );
        assert_eq!(
            split_summary("[GetInventoryLevels](https://example.test/inv)").0,
            "Get inventory levels"
        );
        assert_eq!(
            split_summary("The receipt ledger of an order"),
            ("The receipt ledger of an order".to_owned(), String::new())
        );
    }
}
