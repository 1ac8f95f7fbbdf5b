//! `POST /v2/purchase_orders/{id}/receives` and the receipt ledger (`GET` of the same path).

use axum::extract::State;
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::super::AppState;
use super::super::declared::declared;
use super::super::error::{ApiResult, ErrorResponse};
use super::super::extract::{Account, JsonBody, QueryObject};
use super::super::fields::{Fields, Obj, date_time, given, integer, string};
use super::super::idempotency::{KeyedChange, WriteHeaders};
use super::super::json::Json;
use super::super::pagination::{Links, ListUrl, PAGE_PARAMS};
use super::super::path::{OrNotFound, Path, not_found_raw};
use super::super::timestamp::Timestamp;
use crate::domain::Invalid;
use crate::domain::ids::{LocationId, PurchaseOrderId, ReceiptId};
use crate::domain::purchase_order::Sku;
use crate::domain::receipt::{
    MAX_RECEIVE_LINES, Receipt, ReceiveLine, parse_lot, parse_receive_quantity,
};

#[derive(Debug, ToSchema)]
#[expect(
    dead_code,
    reason = "describes the body and declares its fields (`http::declared`); bodies are read field by field"
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
    reason = "describes the body and declares its fields (`http::declared`); bodies are read field by field"
)]
pub struct ReceiveRequest {
    /// 1 to 1000 entries, applied all together or not at all.
    #[schema(min_items = 1, max_items = 1000)]
    product_receives: Vec<ProductReceiveRequest>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiveBody {
    #[schema(example = "se-234")]
    #[schema(value_type = String)]
    pub purchase_order_id: PurchaseOrderId,
    /// `receiving` while units remain outstanding, `received` once every unit is accounted for.
    #[schema(example = "receiving")]
    pub status: &'static str,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptLineBody {
    pub sku: String,
    #[schema(value_type = String)]
    pub inventory_location_id: LocationId,
    pub received_quantity: i64,
    pub rejected_quantity: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lot: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    #[schema(value_type = Option<String>)]
    pub expiration_date: Option<Timestamp>,
}

/// One accepted receive request; receipts are never changed.
#[derive(Debug, Serialize, ToSchema)]
pub struct ReceiptBody {
    #[schema(value_type = String)]
    pub receipt_id: ReceiptId,
    #[schema(value_type = String)]
    pub purchase_order_id: PurchaseOrderId,
    /// The `X-Request-Id` of the request that recorded it.
    pub request_id: String,
    #[schema(format = DateTime)]
    #[schema(value_type = String)]
    pub received_at: Timestamp,
    /// When the receipt was reversed (`POST .../reversal`); absent while it counts.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    #[schema(value_type = Option<String>)]
    pub reversed_at: Option<Timestamp>,
    /// Who recorded it: `api_key:<id>` or `user:<id>`, as the history names actors; absent for
    /// receipts recorded before this was kept.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "api_key:se-3")]
    pub recorded_by: Option<String>,
    pub product_receives: Vec<ReceiptLineBody>,
}

impl From<Receipt> for ReceiptBody {
    fn from(r: Receipt) -> Self {
        Self {
            receipt_id: r.id,
            purchase_order_id: r.purchase_order_id,
            request_id: r.request_id,
            received_at: Timestamp(r.received_at),
            reversed_at: r.reversed_at.map(Timestamp),
            recorded_by: r.recorded_by,
            product_receives: r
                .lines
                .into_iter()
                .map(|l| ReceiptLineBody {
                    sku: l.sku.as_str().to_owned(),
                    inventory_location_id: l.location_id,
                    received_quantity: l.received_quantity,
                    rejected_quantity: l.rejected_quantity,
                    lot: l.lot,
                    expiration_date: l.expiration_date.map(Timestamp),
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

declared!(RECEIVE = ReceiveRequest);
declared!(PRODUCT_RECEIVE = ProductReceiveRequest);

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
        f.deny_undeclared(&o, &RECEIVE);
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
    f.deny_undeclared(&o, &PRODUCT_RECEIVE);
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
    params(("purchase_order_id" = String, Path, example = "se-234"), KeyedChange), request_body = ReceiveRequest,
    responses((status = 200, body = ReceiveBody, headers(("ETag" = String, description = "The object's version, for If-Match and If-None-Match"))), (status = 400, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 412, body = ErrorResponse, description = "If-Match names a version the object no longer is"), (status = 422, body = ErrorResponse, description = "Idempotency-Key used before with another request")))]
pub async fn receive(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<PurchaseOrderId>,
    write: WriteHeaders,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let lines = parse(&body)?;
    let rid = write.request_id();
    let render = super::status_render(id, rid, |purchase_order_id, status| ReceiveBody {
        purchase_order_id,
        status: status.as_str(),
    });
    let written = write
        .run(account, &body, render, |w| {
            state.store.receive(w, id, lines, rid.to_string())
        })
        .await;
    if let Some(status) = written.value {
        tracing::info!(po.id = %id, status = %status.value, "products received");
    }
    Ok(written.response)
}

/// Reverses a receipt recorded in error (a Procura addition): its units are taken back from the
/// order's lines and from the stock it raised, and the receipt stays in the ledger marked
/// `reversed_at`. The order goes back to `receiving`, or to `open` when nothing received is
/// left. Allowed while `receiving` or `received`, once per receipt; takes `Idempotency-Key` and
/// `If-Match` like every change.
#[utoipa::path(post, path = "/v2/purchase_orders/{purchase_order_id}/receives/{receipt_id}/reversal",
    operation_id = "reverse_purchase_order_receipt", tag = "purchase_orders",
    params(("purchase_order_id" = String, Path, example = "se-234"), ("receipt_id" = String, Path, example = "se-17"), KeyedChange),
    responses((status = 200, body = ReceiveBody, headers(("ETag" = String, description = "The object's version, for If-Match and If-None-Match"))), (status = 400, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 412, body = ErrorResponse, description = "If-Match names a version the object no longer is"), (status = 422, body = ErrorResponse, description = "Idempotency-Key used before with another request")))]
pub async fn reverse(
    State(state): State<AppState>,
    Account(account): Account,
    axum::extract::Path((order, receipt)): axum::extract::Path<(String, String)>,
    write: WriteHeaders,
) -> ApiResult<Response> {
    let id =
        PurchaseOrderId::parse(&order).ok_or_else(|| not_found_raw::<PurchaseOrderId>(&order))?;
    let receipt = ReceiptId::parse(&receipt).ok_or_else(|| not_found_raw::<ReceiptId>(&receipt))?;
    let rid = write.request_id();
    let render = super::status_render(id, rid, |purchase_order_id, status| ReceiveBody {
        purchase_order_id,
        status: status.as_str(),
    });
    let written = write
        .run(account, &Value::Null, render, |w| {
            state.store.reverse_receipt(w, id, receipt, rid.to_string())
        })
        .await;
    if let Some(status) = written.value {
        tracing::info!(po.id = %id, receipt = %receipt, status = %status.value, "receipt reversed");
    }
    Ok(written.response)
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
    Path(id): Path<PurchaseOrderId>,
    url: ListUrl,
    QueryObject(query): QueryObject,
) -> ApiResult<Json<ReceiptList>> {
    let mut f = Fields::default();
    let q: Obj<'_> = f.root(&query).expect("the query is always an object");
    let page = url.read_page_up_to(&mut f, &q, MAX_RECEIPTS_PER_PAGE);
    f.deny_unknown(&q, &PAGE_PARAMS);
    f.finish()?;
    let page = state
        .store
        .list_receipts(account, id, page)
        .await
        .or_not_found(id)?;
    Ok(Json(ReceiptList {
        links: url.links(&page),
        total: page.total,
        page: page.page,
        pages: page.pages(),
        receives: page.items.into_iter().map(ReceiptBody::from).collect(),
    }))
}

#[cfg(test)]
mod declared_tests {
    use serde_json::json;

    use super::*;
    use crate::http::declared::tests::{every_field_wrong, named, sorted};

    #[test]
    fn every_field_the_document_declares_is_read() {
        let refused = parse(&every_field_wrong(&RECEIVE)).expect_err("every field is wrong");
        assert_eq!(named(refused, ""), sorted(&RECEIVE));
        let body = json!({"product_receives": [every_field_wrong(&PRODUCT_RECEIVE)]});
        let refused = parse(&body).expect_err("every field is wrong");
        assert_eq!(
            named(refused, "product_receives[0]."),
            sorted(&PRODUCT_RECEIVE)
        );
    }
}
