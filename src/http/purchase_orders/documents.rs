//! The two PDF documents of a purchase order.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::super::error::{ApiError, ApiResult, ErrorResponse};
use super::super::extract::Account;
use super::super::{AppState, OrNotFound};
use super::po_id;
use crate::documents::{self, OrderDocument};
use crate::domain::status::Status;
use crate::store::StoreError;

#[derive(Clone, Copy)]
enum Kind {
    OrderSummary,
    ReceivedSummary,
}

impl Kind {
    fn allowed(self) -> &'static [Status] {
        match self {
            Kind::OrderSummary => &[
                Status::Open,
                Status::Receiving,
                Status::Received,
                Status::Closed,
            ],
            Kind::ReceivedSummary => &[Status::Receiving, Status::Received, Status::Closed],
        }
    }

    fn name(self) -> &'static str {
        match self {
            Kind::OrderSummary => "order_summary",
            Kind::ReceivedSummary => "received_summary",
        }
    }
}

async fn render(
    state: AppState,
    account: crate::domain::ids::AccountId,
    raw: String,
    kind: Kind,
) -> ApiResult<Response> {
    let id = po_id(&raw)?;
    let order = state
        .store
        .get_purchase_order(account, id)
        .await
        .or_not_found("purchase order", "purchase_order_id", &raw)?;
    if !kind.allowed().contains(&order.status) {
        let allowed: Vec<String> = kind.allowed().iter().map(|s| format!("'{s}'")).collect();
        return Err(ApiError::from(StoreError::rejected(
            crate::store::Rule::InvalidStatus,
            None,
            None,
            format!(
                "purchase order {id} is '{}'; the {} document is available only when {}",
                order.status,
                kind.name(),
                allowed.join(", ")
            ),
        )));
    }
    let supplier = state.store.get_supplier(account, order.supplier_id).await?;
    let warehouse = state
        .store
        .get_warehouse(account, order.warehouse_id)
        .await?;
    let receipts = match kind {
        Kind::OrderSummary => Vec::new(),
        Kind::ReceivedSummary => state.store.list_receipts(account, id).await?,
    };
    let filename = format!("{}-{}.pdf", order.order_number, kind.name());
    // Laying out a long order takes milliseconds: keep it off the async workers.
    let pdf = tokio::task::spawn_blocking(move || {
        let doc = OrderDocument {
            order: &order,
            supplier: &supplier,
            warehouse: &warehouse,
            receipts: &receipts,
        };
        match kind {
            Kind::OrderSummary => documents::order_summary(&doc),
            Kind::ReceivedSummary => documents::received_summary(&doc),
        }
    })
    .await
    .map_err(|e| ApiError::internal(&format!("rendering task failed: {e}")))?
    .map_err(|e| ApiError::internal(&format!("rendering {}: {e}", kind.name())))?;
    Ok((
        [
            (header::CONTENT_TYPE, "application/pdf".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"{filename}\""),
            ),
        ],
        pdf,
    )
        .into_response())
}

/// [get_purchase_order_summary_pdf](https://docs.shipstation.com/apis/openapi/purchase_orders/get_purchase_order_summary_pdf).
/// Available when `open`, `receiving`, `received` or `closed`.
#[utoipa::path(get, path = "/v2/purchase_orders/{purchase_order_id}/documents/order_summary",
    operation_id = "get_purchase_order_summary_pdf", tag = "purchase_orders",
    params(("purchase_order_id" = String, Path, example = "se-234")),
    responses((status = 200, description = "The PDF", content_type = "application/pdf", body = Vec<u8>),
              (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse)))]
pub async fn order_summary(
    State(state): State<AppState>,
    Account(account): Account,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    render(state, account, raw, Kind::OrderSummary).await
}

/// [get_purchase_order_received_summary_pdf](https://docs.shipstation.com/openapi/purchase_orders).
/// Available when `receiving`, `received` or `closed`.
#[utoipa::path(get, path = "/v2/purchase_orders/{purchase_order_id}/documents/received_summary",
    operation_id = "get_purchase_order_received_summary_pdf", tag = "purchase_orders",
    params(("purchase_order_id" = String, Path, example = "se-234")),
    responses((status = 200, description = "The PDF", content_type = "application/pdf", body = Vec<u8>),
              (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse)))]
pub async fn received_summary(
    State(state): State<AppState>,
    Account(account): Account,
    Path(raw): Path<String>,
) -> ApiResult<Response> {
    render(state, account, raw, Kind::ReceivedSummary).await
}
