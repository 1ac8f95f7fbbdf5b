//! The two PDF documents of a purchase order.

use crate::domain::refusal::{Action, ensure_allowed};
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};

use super::super::AppState;
use super::super::error::{ApiError, ApiResult, ErrorCode, ErrorResponse, ErrorType};
use super::super::extract::Account;
use super::super::path::{Found, OrNotFound, Path};
use crate::documents::{
    self, Cancel, DocumentError, OrderDocument, RECEIPT_LINES_SHOWN, RenderSlot,
};
use std::sync::Arc;

use crate::domain::address::AccountProfile;
use crate::domain::ids::PurchaseOrderId;
use crate::domain::purchase_order::PurchaseOrder;
use crate::domain::status::Status;
use crate::domain::supplier::Supplier;
use crate::store::names::ActorNames;
use crate::store::{LatestReceipts, StoreError};

/// A PDF, for the OpenAPI document: binary, not the array of numbers `Vec<u8>` would describe.
#[derive(utoipa::ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Pdf(#[expect(dead_code, reason = "a schema only")] Vec<u8>);

/// Cancels the render when the handler's future is dropped: the client went away or the request
/// timed out, and the blocking render would otherwise run to its end for nobody.
struct CancelOnDrop(Cancel);

impl Drop for CancelOnDrop {
    fn drop(&mut self) {
        self.0.cancel();
    }
}

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

/// A rendered document and what it was rendered from.
pub(crate) struct Rendered {
    pub filename: String,
    pub pdf: Vec<u8>,
    pub order: PurchaseOrder,
    pub supplier: Supplier,
    pub buyer: AccountProfile,
}

async fn render(
    state: AppState,
    account: crate::domain::ids::AccountId,
    id: PurchaseOrderId,
    kind: Kind,
) -> ApiResult<Response> {
    let Rendered { filename, pdf, .. } = render_pdf(&state, account, id, kind, None).await?;
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

/// The order summary for a mail to the supplier, refused (400 `invalid_status`) unless the order
/// may be sent.
pub(crate) async fn order_summary_pdf(
    state: &AppState,
    account: crate::domain::ids::AccountId,
    id: PurchaseOrderId,
) -> ApiResult<Rendered> {
    render_pdf(state, account, id, Kind::OrderSummary, Some(Action::Send)).await
}

/// Renders `kind`, once the order's status allows `action` (by default, the document itself).
async fn render_pdf(
    state: &AppState,
    account: crate::domain::ids::AccountId,
    id: PurchaseOrderId,
    kind: Kind,
    action: Option<Action>,
) -> ApiResult<Rendered> {
    let cancel = CancelOnDrop(Cancel::default());
    let order = state
        .store
        .get_purchase_order(account, id)
        .await
        .found(id)?;
    let action = action.unwrap_or(Action::Document {
        name: kind.name(),
        allowed: kind.allowed(),
    });
    ensure_allowed(id, order.status, action).map_err(StoreError::from)?;
    // Taken before the ledger is read, so that a refused request has not read it for nothing.
    let slot = state.renders.start().await.ok_or_else(|| {
        ApiError::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorType::System,
            ErrorCode::Unspecified,
            "every document renderer is busy with other documents; retry shortly",
        )
        .with_retry_after(state.renders.retry_after())
    })?;
    // An order's supplier and warehouse cannot be deleted while it refers to them.
    let supplier = state
        .store
        .get_supplier(account, order.supplier_id)
        .await?
        .ok_or_else(|| ApiError::internal(&format!("the supplier of {id} is gone")))?;
    let warehouse = state
        .store
        .get_warehouse(account, order.warehouse_id)
        .await?
        .ok_or_else(|| ApiError::internal(&format!("the warehouse of {id} is gone")))?;
    let buyer = state.store.account_profile(account).await?;
    let logo = state.store.account_logo(account).await?;
    let mut ledger = match kind {
        Kind::OrderSummary => LatestReceipts::default(),
        Kind::ReceivedSummary => state
            .store
            .latest_receipts(account, id, RECEIPT_LINES_SHOWN, cancel.0.flag())
            .await
            .or_not_found(id)?,
    };
    // Who recorded each receipt, as a person reads it: an email, a key's label.
    let actors = ledger
        .receipts
        .iter()
        .filter_map(|r| r.recorded_by.as_deref());
    let names = ActorNames::for_actors(state.store.as_ref(), account, actors).await?;
    for receipt in &mut ledger.receipts {
        receipt.recorded_by = receipt.recorded_by.as_deref().map(|a| names.name(a));
    }
    let filename = format!("{}-{}.pdf", order.order_number, kind.name());
    let (order, supplier, buyer) = (Arc::new(order), Arc::new(supplier), Arc::new(buyer));
    let (o, s, b) = (
        Arc::clone(&order),
        Arc::clone(&supplier),
        Arc::clone(&buyer),
    );
    let pdf = off_the_workers(slot, &cancel.0, move |cancel| {
        let (order, supplier, buyer) = (&*o, &*s, &*b);
        let doc = OrderDocument {
            buyer,
            logo: logo.as_ref(),
            order,
            supplier,
            warehouse: &warehouse,
            ship_to: warehouse.address.as_ref(),
            receipts: &ledger.receipts,
            earlier_receipts: ledger.earlier_receipts,
            earlier_lines: ledger.earlier_lines,
        };
        match kind {
            Kind::OrderSummary => documents::order_summary(&doc, cancel),
            Kind::ReceivedSummary => documents::received_summary(&doc, cancel),
        }
    })
    .await?
    .map_err(|e: DocumentError| ApiError::internal(&format!("rendering {}: {e}", kind.name())))?;
    Ok(Rendered {
        filename,
        pdf,
        order: owned(order),
        supplier: owned(supplier),
        buyer: owned(buyer),
    })
}

/// The value out of its `Arc` once the render has let go of it (a clone if it has not).
fn owned<T: Clone>(shared: Arc<T>) -> T {
    Arc::try_unwrap(shared).unwrap_or_else(|still| (*still).clone())
}

/// Runs `render` on a blocking thread: laying out a long order is CPU work, kept off the async
/// workers. The slot goes with it, so that it is free only once the render has really ended,
/// finished or stopped by `cancel`.
async fn off_the_workers<T: Send + 'static>(
    slot: RenderSlot,
    cancel: &Cancel,
    render: impl FnOnce(&Cancel) -> T + Send + 'static,
) -> ApiResult<T> {
    let cancel = cancel.clone();
    tokio::task::spawn_blocking(move || {
        let _slot = slot;
        render(&cancel)
    })
    .await
    .map_err(|e| ApiError::internal(&format!("rendering task failed: {e}")))
}

/// [get_purchase_order_summary_pdf](https://docs.shipstation.com/apis/openapi/purchase_orders/get_purchase_order_summary_pdf).
/// Available when `open`, `receiving`, `received` or `closed`.
#[utoipa::path(get, path = "/v2/purchase_orders/{purchase_order_id}/documents/order_summary",
    operation_id = "get_purchase_order_summary_pdf", tag = "purchase_orders",
    params(("purchase_order_id" = String, Path, example = "se-234")),
    responses((status = 200, description = "The PDF", content_type = "application/pdf", body = Pdf),
              (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse),
              (status = 503, description = "Every document renderer is busy; retry after `Retry-After` seconds", body = ErrorResponse)))]
pub async fn order_summary(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<PurchaseOrderId>,
) -> ApiResult<Response> {
    render(state, account, id, Kind::OrderSummary).await
}

/// [get_purchase_order_received_summary_pdf](https://docs.shipstation.com/openapi/purchase_orders).
/// Available when `receiving`, `received` or `closed`.
#[utoipa::path(get, path = "/v2/purchase_orders/{purchase_order_id}/documents/received_summary",
    operation_id = "get_purchase_order_received_summary_pdf", tag = "purchase_orders",
    params(("purchase_order_id" = String, Path, example = "se-234")),
    responses((status = 200, description = "The PDF", content_type = "application/pdf", body = Pdf),
              (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse),
              (status = 503, description = "Every document renderer is busy; retry after `Retry-After` seconds", body = ErrorResponse)))]
pub async fn received_summary(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<PurchaseOrderId>,
) -> ApiResult<Response> {
    render(state, account, id, Kind::ReceivedSummary).await
}

/// A document for the web app, whose pages name the account from the session: the order summary,
/// or the received summary when `received`.
pub(crate) async fn for_account(
    state: AppState,
    account: crate::domain::ids::AccountId,
    id: PurchaseOrderId,
    received: bool,
) -> ApiResult<Response> {
    let kind = if received {
        Kind::ReceivedSummary
    } else {
        Kind::OrderSummary
    };
    render(state, account, id, kind).await
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::documents::RenderSlots;

    /// A render that only ends when cancelled, holding the one slot; the task running it (the
    /// handler's future, as far as this goes) is aborted like a request whose client left.
    #[tokio::test]
    async fn dropping_the_request_stops_its_render_and_frees_the_slot() {
        let slots = std::sync::Arc::new(RenderSlots::new(1, Duration::from_secs(10)));
        let request = {
            let slots = std::sync::Arc::clone(&slots);
            tokio::spawn(async move {
                let cancel = CancelOnDrop(Cancel::default());
                let slot = slots.start().await.unwrap();
                off_the_workers(slot, &cancel.0, |cancel| {
                    while !cancel.is_cancelled() {
                        std::thread::sleep(Duration::from_millis(1));
                    }
                })
                .await
            })
        };
        while slots.available() > 0 {
            tokio::time::sleep(Duration::from_millis(1)).await;
        }
        request.abort();
        assert!(request.await.unwrap_err().is_cancelled());
        assert!(
            slots.start().await.is_some(),
            "the abandoned render still holds its slot"
        );
    }

    #[tokio::test]
    async fn a_render_that_cannot_start_within_the_wait_is_refused() {
        let slots = RenderSlots::new(1, Duration::from_millis(20));
        let held = slots.start().await.unwrap();
        assert!(slots.start().await.is_none());
        drop(held);
        assert!(slots.start().await.is_some());
    }
}
