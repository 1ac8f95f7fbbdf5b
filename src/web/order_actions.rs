//! What a buyer does to an open or receiving order besides changing its status: email it to the
//! supplier, and reverse a receipt recorded in error. Both go through the same rules as the API.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::post;

use super::form::Fields;
use super::orders::{refused, visible_order, with_error};
use super::page::{self, PageError, PageResult};
use super::{Signed, WebState};
use crate::domain::ids::ReceiptId;
use crate::domain::mail::{parse_message, parse_recipient};
use crate::domain::user::Role;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/app/orders/{id}/send", post(send))
        .route("/app/orders/{id}/receipts/{receipt}/reverse", post(reverse))
}

/// Reverses a receipt recorded in error, as `POST .../receives/{receipt_id}/reversal` does.
async fn reverse(
    State(state): State<WebState>,
    signed: Signed,
    Path((id, receipt)): Path<(String, String)>,
    fields: Fields,
) -> PageResult {
    signed.check(&state, &fields)?;
    let order = visible_order(&state, &signed, &id).await?;
    signed.may(Role::buys)?;
    let receipt = ReceiptId::parse(&receipt).ok_or(PageError::NotFound)?;
    let reversed = state
        .store()
        .reverse_receipt(
            signed.write(),
            order.id,
            receipt,
            crate::http::RequestId::generate().to_string(),
        )
        .await;
    match reversed {
        Ok(_) => Ok(page::see(&format!("/app/orders/{}", order.id))),
        Err(err) => refused(&state, &signed, order.id, err).await,
    }
}

/// Emails the order to its supplier, as `POST /v2/purchase_orders/{id}/send` does: the `to`
/// and `cc` fields take addresses separated by commas or spaces (`to` empty: the supplier's).
async fn send(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<String>,
    fields: Fields,
) -> PageResult {
    signed.check(&state, &fields)?;
    let order = visible_order(&state, &signed, &id).await?;
    signed.may(Role::buys)?;
    let addresses = |name: &str| -> Result<Vec<String>, String> {
        fields
            .get(name)
            .split([',', ' ', ';'])
            .filter(|a| !a.is_empty())
            .map(|a| {
                parse_recipient(a)
                    .map(|e| e.to_string())
                    .map_err(|e| format!("{name}: {e}"))
            })
            .collect()
    };
    let composed = async {
        let to = addresses("to")?;
        let cc = addresses("cc")?;
        let message = parse_message(fields.get("message")).map_err(|e| format!("message {e}"))?;
        let to = (!to.is_empty()).then_some(to);
        crate::http::mail_for(
            &state.api,
            signed.user.account,
            order.id,
            to,
            cc,
            Some(message),
        )
        .await
        .map_err(|e| {
            e.errors
                .iter()
                .map(|d| d.message.clone())
                .collect::<Vec<_>>()
                .join(" ")
        })
    };
    let mail = match composed.await {
        Ok(mail) => mail,
        Err(message) => {
            let status = StatusCode::UNPROCESSABLE_ENTITY;
            return with_error(&state, &signed, order, message, status).await;
        }
    };
    match state
        .store()
        .queue_mail(signed.write(), order.id, mail)
        .await
    {
        Ok(_) => Ok(page::see(&format!("/app/orders/{}", order.id))),
        Err(err) => refused(&state, &signed, order.id, err).await,
    }
}
