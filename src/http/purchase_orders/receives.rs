//! `POST /v2/purchase_orders/{id}/receives` and the receipt ledger (`GET` of the same path).

use axum::extract::{Path, State};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::super::error::{ApiResult, ErrorResponse, current_request_id};
use super::super::extract::{Account, JsonBody, QueryObject};
use super::super::fields::{Fields, Obj, date_time, given, integer, string};
use super::super::json::Json;
use super::super::pagination::{Links, ListUrl, PAGE_PARAMS};
use super::super::{AppState, OrNotFound, timestamp};
use super::po_id;
use crate::domain::Invalid;
use crate::domain::ids::LocationId;
use crate::domain::purchase_order::Sku;
use crate::domain::receipt::{
    MAX_RECEIVE_LINES, Receipt, ReceiveLine, parse_lot, parse_receive_quantity,
};

#[derive(Debug, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the body; bodies are read field by field"
)]
pub struct ProductReceiveRequest {
    /// A SKU of the order's products; the same SKU may appear again (split across locations).
    #[schema(example = "WIDGET-001")]
    sku: String,
    /// Where the units are put away; must be in the order's warehouse.
    #[schema(example = "se-12345")]
    inventory_location_id: String,
    /// Units accepted into stock. At least one of the two quantities must be given and > 0.
    #[schema(minimum = 1, example = 95)]
    received_quantity: Option<i64>,
    /// Units refused (damaged, missing); they complete the line but add no stock.
    #[schema(minimum = 1, example = 5)]
    rejected_quantity: Option<i64>,
    #[schema(example = "LOT-2025-001")]
    lot: Option<String>,
    #[schema(format = DateTime, example = "2026-01-01T00:00:00Z")]
    expiration_date: Option<String>,
}

#[derive(Debug, ToSchema)]
#[expect(
    dead_code,
    reason = "documents the body; bodies are read field by field"
)]
pub struct ReceiveRequest {
    /// 1 to 1000 entries, applied all together or not at all.
    #[schema(min_items = 1, max_items = 1000)]
    product_receives: Vec<ProductReceiveRequest>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiveBody {
    #[schema(example = "se-234")]
    pub purchase_order_id: String,
    /// `receiving` while units remain outstanding, `received` once every unit is accounted for.
    #[schema(example = "receiving")]
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptLineBody {
    pub sku: String,
    pub inventory_location_id: String,
    pub received_quantity: i64,
    pub rejected_quantity: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lot: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    pub expiration_date: Option<String>,
}

/// One accepted receive request; receipts are never changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptBody {
    pub receipt_id: String,
    pub purchase_order_id: String,
    /// The `X-Request-Id` of the request that recorded it.
    pub request_id: String,
    #[schema(format = DateTime)]
    pub received_at: String,
    pub product_receives: Vec<ReceiptLineBody>,
}

impl From<Receipt> for ReceiptBody {
    fn from(r: Receipt) -> Self {
        Self {
            receipt_id: r.id.to_string(),
            purchase_order_id: r.purchase_order_id.to_string(),
            request_id: r.request_id,
            received_at: timestamp(r.received_at),
            product_receives: r
                .lines
                .into_iter()
                .map(|l| ReceiptLineBody {
                    sku: l.sku.as_str().to_owned(),
                    inventory_location_id: l.location_id.to_string(),
                    received_quantity: l.received_quantity,
                    rejected_quantity: l.rejected_quantity,
                    lot: l.lot,
                    expiration_date: l.expiration_date.map(timestamp),
                })
                .collect(),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptList {
    pub receives: Vec<ReceiptBody>,
    /// Receipts in the whole ledger.
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub links: Links,
}

fn parse(body: &Value) -> ApiResult<Vec<ReceiveLine>> {
    let mut f = Fields::default();
    let lines = f.root(body).and_then(|o| {
        let lines = f.objects(&o, "product_receives", entry);
        if let Some(lines) = &lines {
            if lines.is_empty() || lines.len() > MAX_RECEIVE_LINES {
                f.push(
                    "product_receives",
                    None,
                    &Invalid::value(format!("must contain 1 to {MAX_RECEIVE_LINES} entries")),
                );
            }
        }
        f.deny_unknown(&o, &["product_receives"], &[]);
        lines
    });
    f.finish()?;
    Ok(lines.unwrap_or_default())
}

fn entry(f: &mut Fields, o: Obj<'_>) -> Option<ReceiveLine> {
    let sku = f.required(&o, "sku", |v| Sku::parse(string(v)?));
    let location_id = f.required(&o, "inventory_location_id", |v| {
        LocationId::parse_field(string(v)?)
    });
    // ShipStation's document types these as plain values, never nullable: omit, never null.
    let received = given(f, &o, "received_quantity", |v| {
        parse_receive_quantity(integer(v)?)
    });
    let rejected = given(f, &o, "rejected_quantity", |v| {
        parse_receive_quantity(integer(v)?)
    });
    let lot = given(f, &o, "lot", |v| parse_lot(string(v)?)).flatten();
    let expiration_date = given(f, &o, "expiration_date", date_time);
    let known = [
        "sku",
        "inventory_location_id",
        "received_quantity",
        "rejected_quantity",
        "lot",
        "expiration_date",
    ];
    f.deny_unknown(&o, &known, &[]);
    if received.is_none() && rejected.is_none() && f.is_clean() {
        f.push(
            &format!("{}.received_quantity", o.path()),
            None,
            &Invalid::value("or rejected_quantity must be given and greater than 0"),
        );
        return None;
    }
    Some(ReceiveLine {
        sku: sku?,
        location_id: location_id?,
        received_quantity: received.unwrap_or(0),
        rejected_quantity: rejected.unwrap_or(0),
        lot,
        expiration_date,
    })
}

/// [receives_purchase_order_products](https://docs.shipstation.com/openapi/purchase_orders/receives_purchase_order_products).
/// Allowed in `open` and `receiving`; all entries apply together or none does.
#[utoipa::path(post, path = "/v2/purchase_orders/{purchase_order_id}/receives",
    operation_id = "receives_purchase_order_products", tag = "purchase_orders",
    params(("purchase_order_id" = String, Path, example = "se-234")), request_body = ReceiveRequest,
    responses((status = 200, body = ReceiveBody), (status = 400, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse)))]
pub async fn receive(
    State(state): State<AppState>,
    Account(account): Account,
    Path(raw): Path<String>,
    JsonBody(body): JsonBody,
) -> ApiResult<Json<ReceiveBody>> {
    let id = po_id(&raw)?;
    let lines = parse(&body)?;
    let request_id = current_request_id().to_string();
    let received = state.store.receive(account, id, lines, request_id).await;
    let status = received.or_not_found("purchase order", "purchase_order_id", &raw)?;
    tracing::info!(po.id = %id, status = %status, "products received");
    Ok(Json(ReceiveBody {
        purchase_order_id: id.to_string(),
        status: status.as_str(),
    }))
}

/// Receipts on one page of the ledger at most: each holds up to [`MAX_RECEIVE_LINES`] lines, so a
/// page is at most 100,000 lines however large the order.
pub const MAX_RECEIPTS_PER_PAGE: u64 = 100;

/// The receipt ledger of an order, oldest first, paged like every list (a Procura addition to
/// ShipStation's API).
#[utoipa::path(get, path = "/v2/purchase_orders/{purchase_order_id}/receives",
    operation_id = "list_purchase_order_receives", tag = "purchase_orders",
    params(
        ("purchase_order_id" = String, Path, example = "se-234"),
        ("page_size" = Option<u32>, Query, minimum = 1, maximum = 100, description = "Receipts per page; default 50"),
        ("page" = Option<u32>, Query, minimum = 1, description = "Page number, from 1"),
        ("cursor" = Option<String>, Query, description = "Opaque position, from `links.next.href`"),
    ),
    responses((status = 200, body = ReceiptList), (status = 400, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse)))]
pub async fn list(
    State(state): State<AppState>,
    Account(account): Account,
    Path(raw): Path<String>,
    url: ListUrl,
    QueryObject(query): QueryObject,
) -> ApiResult<Json<ReceiptList>> {
    let id = po_id(&raw)?;
    let mut f = Fields::default();
    let q: Obj<'_> = f.root(&query).expect("the query is always an object");
    let page = url.read_page_up_to(&mut f, &q, MAX_RECEIPTS_PER_PAGE);
    f.deny_unknown(&q, &PAGE_PARAMS, &[]);
    f.finish()?;
    let page = state
        .store
        .list_receipts(account, id, page)
        .await
        .or_not_found("purchase order", "purchase_order_id", &raw)?;
    Ok(Json(ReceiptList {
        links: url.links(&page),
        total: page.total,
        page: page.page,
        pages: page.pages(),
        receives: page.items.into_iter().map(ReceiptBody::from).collect(),
    }))
}
