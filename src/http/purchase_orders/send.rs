//! `POST /v2/purchase_orders/{id}/send`: the order summary PDF, emailed to the supplier.

use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use serde::Serialize;
use serde_json::Value;
use std::sync::Arc;
use utoipa::ToSchema;

use super::super::AppState;
use super::super::declared::declared;
use super::super::error::{ApiError, ApiResult, ErrorCode, ErrorResponse};
use super::super::extract::{Account, JsonBody};
use super::super::fields::{Fields, string};
use super::super::idempotency::{KeyedChange, Render, WriteHeaders, refused_at, success};
use super::super::path::Path;
use super::documents::{Rendered, order_summary_pdf};
use crate::domain::Invalid;
use crate::domain::ids::{AccountId, MailId, PurchaseOrderId};
use crate::domain::mail::{MAX_RECIPIENTS, MailSummary, NewMail, parse_message, parse_recipient};
use crate::mail::{Letter, compose};

#[derive(Debug, ToSchema)]
#[expect(
    dead_code,
    reason = "describes the body and declares its fields (`http::declared`); bodies are read field by field"
)]
pub struct SendRequest {
    /// Who the order goes to; the supplier's `supplier_email` when left out.
    #[schema(max_items = 10, example = json!(["orders@acme.example"]))]
    to: Option<Vec<String>>,
    /// Copied in.
    #[schema(max_items = 10, example = json!(["buyer@example.com"]))]
    cc: Option<Vec<String>>,
    /// A note above the order in the mail's text, up to 5000 characters.
    #[schema(max_length = 5000, example = "Please confirm the delivery date.")]
    message: Option<String>,
}

/// A send accepted: the mail is queued and will be delivered (and retried) in the background;
/// the order's history says when it went, or that it could not.
#[derive(Debug, Serialize, ToSchema)]
pub struct SendBody {
    #[schema(value_type = String, example = "se-12")]
    pub mail_id: MailId,
    #[schema(value_type = String, example = "se-234")]
    pub purchase_order_id: PurchaseOrderId,
    /// Always `queued`.
    #[schema(example = "queued")]
    pub status: &'static str,
    pub to: Vec<String>,
    pub cc: Vec<String>,
    pub subject: String,
}

declared!(SEND = SendRequest);

struct Parsed {
    to: Option<Vec<String>>,
    cc: Vec<String>,
    message: Option<String>,
}

fn parse(body: &Value) -> ApiResult<Parsed> {
    let mut f = Fields::default();
    let parsed = f.root(body).map(|o| {
        let recipient = |raw: &str| parse_recipient(raw).map(|e| e.to_string());
        let to = f.strings(&o, "to", MAX_RECIPIENTS, recipient);
        if to.as_ref().is_some_and(Vec::is_empty) {
            f.push(
                "to",
                None,
                &Invalid::value("must name at least one address, or be left out"),
            );
        }
        let cc = f
            .strings(&o, "cc", MAX_RECIPIENTS, recipient)
            .unwrap_or_default();
        let message = f.optional(&o, "message", |v| parse_message(string(v)?));
        f.deny_undeclared(&o, &SEND);
        Parsed { to, cc, message }
    });
    f.finish()?;
    Ok(parsed.unwrap_or(Parsed {
        to: None,
        cc: Vec::new(),
        message: None,
    }))
}

/// Emails the order summary PDF to the supplier (a Procura addition). Allowed in `open` and
/// `receiving`; needs an SMTP server (`--smtp-url`) and the account's `email` (`PUT
/// /v2/account`), which the mail is from. Answers 202 once the mail is queued durably.
#[utoipa::path(post, path = "/v2/purchase_orders/{purchase_order_id}/send",
    operation_id = "send_purchase_order", tag = "purchase_orders",
    params(("purchase_order_id" = String, Path, example = "se-234"), KeyedChange), request_body = SendRequest,
    responses((status = 202, body = SendBody, description = "Queued; delivered in the background"),
              (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse),
              (status = 422, body = ErrorResponse, description = "Idempotency-Key used before with another request"),
              (status = 503, description = "Every document renderer is busy; retry after `Retry-After` seconds", body = ErrorResponse)))]
pub async fn send(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<PurchaseOrderId>,
    write: WriteHeaders,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let parsed = parse(&body)?;
    let mail = mail_for(&state, account, id, parsed.to, parsed.cc, parsed.message).await?;
    let rid = write.request_id();
    let render: Render<MailSummary> = Arc::new(move |outcome| match outcome {
        Ok(summary) => success(
            StatusCode::ACCEPTED,
            &SendBody {
                mail_id: summary.id,
                purchase_order_id: id,
                status: "queued",
                to: summary.to.clone(),
                cc: summary.cc.clone(),
                subject: summary.subject.clone(),
            },
            None,
        ),
        Err(err) => refused_at(err, id, rid),
    });
    let written = write
        .run(account, &body, render, |w| {
            state.store.queue_mail(w, id, mail)
        })
        .await;
    if let Some(summary) = written.value {
        tracing::info!(po.id = %id, mail = %summary.id, "order queued to send");
    }
    Ok(written.response)
}

/// The mail that sends order `id` to `to` (the supplier's email when `None`) and `cc`, with
/// `message` above the standard text; refused, as the API answers, when the server has no SMTP
/// server, the order may not be sent, the account has no email or there is nobody to send to.
/// The web app's send goes through here too.
pub(crate) async fn mail_for(
    state: &AppState,
    account: AccountId,
    id: PurchaseOrderId,
    to: Option<Vec<String>>,
    cc: Vec<String>,
    message: Option<String>,
) -> ApiResult<NewMail> {
    if !state.smtp {
        return Err(ApiError::bad_request(
            ErrorCode::Unspecified,
            "this server sends no mail: start it with --smtp-url (PROCURA_SMTP_URL) to send orders",
        ));
    }
    // Renders only an order that may be sent: its status is checked first (400 invalid_status).
    let Rendered {
        filename,
        pdf,
        order,
        supplier,
        buyer,
    } = order_summary_pdf(state, account, id).await?;
    let Some(from) = buyer.email.as_deref() else {
        return Err(ApiError::bad_request(
            ErrorCode::FieldValueRequired,
            "the account has no email to send from: set `email` with PUT /v2/account",
        ));
    };
    let to = match to {
        Some(to) => to,
        None => match supplier
            .fields
            .supplier_email
            .as_deref()
            .map(parse_recipient)
        {
            Some(Ok(email)) => vec![email.to_string()],
            _ => {
                return Err(ApiError::field(
                    "to",
                    None,
                    &Invalid::value(format!(
                        "is required: supplier {} has no supplier_email",
                        order.supplier_id
                    )),
                ));
            }
        },
    };
    compose(Letter {
        from,
        company: buyer.company_name.as_deref(),
        phone: buyer.phone.as_deref(),
        to: &to,
        cc: &cc,
        order_number: &order.order_number,
        total: crate::documents::order_total(&order),
        expected: order
            .details
            .expected_delivery_date
            .map(|d| d.format("%Y-%m-%d").to_string()),
        message: message.as_deref(),
        filename: &filename,
        pdf,
    })
    .map_err(|reason| ApiError::field("to", None, &Invalid::value(reason)))
}
