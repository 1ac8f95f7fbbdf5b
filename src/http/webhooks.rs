//! `/v2/environment/webhooks`: ShipStation's webhook resource for purchase-order events, with
//! Procura's additions: the signing secret, its rotation, the delivery log and redelivery.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ApiResult, ErrorResponse};
use super::extract::{Account, JsonBody, QueryObject};
use super::fields::{Fields, Obj, integer, string};
use super::idempotency::{KeyedCreate, Render, WriteHeaders, done, refused, refused_at, success};
use super::json::Json;
use super::pagination::{Links, ListUrl, PAGE_PARAMS};
use super::path::{Found, OrNotFound, Path};
use super::timestamp::Timestamp;
use crate::domain::Invalid;
use crate::domain::ids::{DeliveryId, WebhookId};
use crate::domain::webhook::{
    Header, Webhook, WebhookInput, WebhookPatch, check_url, new_secret, parse_event,
};
use crate::store::Delivery;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2/environment/webhooks", get(list).post(create))
        .route(
            "/v2/environment/webhooks/{webhook_id}",
            get(show).put(update).delete(delete),
        )
        .route("/v2/environment/webhooks/{webhook_id}/secret", get(secret))
        .route(
            "/v2/environment/webhooks/{webhook_id}/secret/rotate",
            post(rotate_secret),
        )
        .route(
            "/v2/environment/webhooks/{webhook_id}/deliveries",
            get(deliveries),
        )
        .route(
            "/v2/environment/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
            post(redeliver),
        )
}

#[derive(Debug, Serialize, ToSchema)]
pub struct HeaderBody {
    #[schema(example = "custom-key")]
    pub key: String,
    #[schema(example = "custom-value")]
    pub value: String,
}

/// `POST /v2/environment/webhooks`: ShipStation's `create_webhook_request_body`, with the events
/// Procura sends.
#[derive(Debug, ToSchema)]
#[expect(
    dead_code,
    reason = "describes the body in the OpenAPI document; bodies are read field by field"
)]
pub struct WebhookRequest {
    #[schema(example = "Accounting")]
    name: String,
    /// `http` or `https`; loopback and private addresses only with `--webhook-allow-private`.
    #[schema(example = "https://example.com/webhook")]
    url: String,
    #[schema(example = "purchase_order_status_changed_v2")]
    event: WebhookEventName,
    headers: Option<Vec<HeaderBody>>,
    /// Accepted and ignored (ShipStation's store id).
    store_id: Option<i64>,
}

/// The purchase-order events Procura sends.
#[derive(Debug, ToSchema)]
#[schema(rename_all = "snake_case")]
#[expect(dead_code, reason = "describes the values in the OpenAPI document")]
pub enum WebhookEventName {
    PurchaseOrderCreatedV2,
    PurchaseOrderUpdatedV2,
    PurchaseOrderStatusChangedV2,
    PurchaseOrderProductsReceivedV2,
    PurchaseOrderSentV2,
}

/// `PUT /v2/environment/webhooks/{webhook_id}`: the fields given replace the stored ones.
#[derive(Debug, ToSchema)]
#[expect(
    dead_code,
    reason = "describes the body in the OpenAPI document; bodies are read field by field"
)]
pub struct WebhookUpdateRequest {
    name: Option<String>,
    url: Option<String>,
    headers: Option<Vec<HeaderBody>>,
    store_id: Option<i64>,
}

/// A webhook, in ShipStation's shape.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookBody {
    #[schema(value_type = String, example = "se-12")]
    pub webhook_id: WebhookId,
    #[schema(example = "Accounting")]
    pub name: String,
    #[schema(example = "https://example.com/webhook")]
    pub url: String,
    #[schema(example = "purchase_order_status_changed_v2")]
    pub event: String,
    pub headers: Vec<HeaderBody>,
    /// Since when a delivery has exhausted its retries; absent while deliveries succeed (a
    /// Procura addition).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime, value_type = Option<String>, nullable = false)]
    pub failing_since: Option<Timestamp>,
}

impl From<Webhook> for WebhookBody {
    fn from(w: Webhook) -> Self {
        Self {
            webhook_id: w.id,
            name: w.name,
            url: w.url,
            event: w.event,
            headers: w
                .headers
                .into_iter()
                .map(|h| HeaderBody {
                    key: h.key,
                    value: h.value,
                })
                .collect(),
            failing_since: w.failing_since.map(Timestamp),
        }
    }
}

/// `headers` of `body`: none when it is missing or `null`.
fn headers(f: &mut Fields, obj: &Obj<'_>, body: &Value) -> Option<Vec<Header>> {
    if body.get("headers").is_none_or(Value::is_null) {
        return Some(Vec::new());
    }
    f.objects(obj, "headers", |f, h| {
        let key = f.required(&h, "key", |v| {
            let key = string(v)?;
            axum::http::HeaderName::try_from(key)
                .map_err(|_| Invalid::value("is not a valid header name"))?;
            Ok(key.to_owned())
        });
        let value = f.required(&h, "value", |v| {
            let value = string(v)?;
            axum::http::HeaderValue::try_from(value)
                .map_err(|_| Invalid::value("is not a valid header value"))?;
            Ok(value.to_owned())
        });
        f.deny_unknown(&h, &["key", "value"]);
        Some(Header {
            key: key?,
            value: value?,
        })
    })
}

fn name(v: &Value) -> Result<String, Invalid> {
    let name = string(v)?.trim();
    if name.is_empty() || name.chars().count() > 200 {
        return Err(Invalid::value("must be 1 to 200 characters"));
    }
    Ok(name.to_owned())
}

/// [list_webhooks](https://docs.shipstation.com/openapi/webhooks/list_webhooks)
#[utoipa::path(get, path = "/v2/environment/webhooks", operation_id = "list_webhooks", tag = "webhooks",
    responses((status = 200, body = Vec<WebhookBody>), (status = 401, body = ErrorResponse)))]
pub async fn list(
    State(state): State<AppState>,
    Account(account): Account,
) -> ApiResult<Json<Vec<WebhookBody>>> {
    let hooks = state.store.list_webhooks(account).await?;
    Ok(Json(hooks.into_iter().map(WebhookBody::from).collect()))
}

/// [create_webhook](https://docs.shipstation.com/openapi/webhooks/create_webhook).
/// `event` is one of the purchase-order events; the signing secret is read at `.../secret`.
/// With an `Idempotency-Key`, a retried create answers the webhook the first one made.
#[utoipa::path(post, path = "/v2/environment/webhooks", operation_id = "create_webhook", tag = "webhooks",
    params(KeyedCreate), request_body = WebhookRequest,
    responses((status = 200, body = WebhookBody), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse),
              (status = 422, body = ErrorResponse, description = "Idempotency-Key used before with another request")))]
pub async fn create(
    State(state): State<AppState>,
    Account(account): Account,
    write: WriteHeaders,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let mut f = Fields::default();
    let Some(obj) = f.root(&body) else {
        return Err(f
            .finish()
            .err()
            .unwrap_or_else(|| ApiError::internal("no body")));
    };
    let allow = state.webhook_allow_private;
    let name = f.required(&obj, "name", name);
    let url = f.required(&obj, "url", |v| check_url(string(v)?, allow));
    let event = f.required(&obj, "event", |v| parse_event(string(v)?));
    let headers = headers(&mut f, &obj, &body);
    // Accepted and ignored, but only as what the document declares: a 64-bit integer.
    f.optional(&obj, "store_id", |v| integer(v).map(drop));
    f.deny_unknown(&obj, &["name", "url", "event", "headers", "store_id"]);
    f.finish()?;
    let (Some(name), Some(url), Some(event), Some(headers)) = (name, url, event, headers) else {
        return Err(ApiError::internal("a field was read without an error"));
    };
    let input = WebhookInput {
        name,
        url,
        event,
        headers,
    };
    let rid = write.request_id();
    let render: Render<Webhook> = Arc::new(move |outcome| match outcome {
        Ok(hook) => success(StatusCode::OK, &WebhookBody::from(hook.clone()), None),
        Err(err) => refused(err, rid),
    });
    let written = write
        .run(account, &body, render, |w| {
            state.store.create_webhook(w, input, new_secret())
        })
        .await;
    if let Some(hook) = written.value {
        tracing::info!(webhook = %hook.id, event = %hook.event, "webhook created");
    }
    Ok(written.response)
}

/// [get_webhook_by_id](https://docs.shipstation.com/openapi/webhooks/get_webhook_by_id)
#[utoipa::path(get, path = "/v2/environment/webhooks/{webhook_id}", operation_id = "get_webhook_by_id", tag = "webhooks",
    params(("webhook_id" = String, Path, example = "se-12")),
    responses((status = 200, body = WebhookBody), (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse)))]
pub async fn show(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<WebhookId>,
) -> ApiResult<Json<WebhookBody>> {
    let hook = state.store.get_webhook(account, id).await.found(id)?;
    Ok(Json(WebhookBody::from(hook)))
}

/// [update_webhook](https://docs.shipstation.com/openapi/webhooks/update_webhook):
/// `name`, `url` and `headers`, each when given.
#[utoipa::path(put, path = "/v2/environment/webhooks/{webhook_id}", operation_id = "update_webhook", tag = "webhooks",
    params(("webhook_id" = String, Path, example = "se-12")), request_body = WebhookUpdateRequest,
    responses((status = 204), (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse)))]
pub async fn update(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<WebhookId>,
    JsonBody(body): JsonBody,
) -> ApiResult<StatusCode> {
    let mut f = Fields::default();
    let Some(obj) = f.root(&body) else {
        return Err(f
            .finish()
            .err()
            .unwrap_or_else(|| ApiError::internal("no body")));
    };
    let allow = state.webhook_allow_private;
    let patch = WebhookPatch {
        name: f.optional(&obj, "name", name),
        url: f.optional(&obj, "url", |v| check_url(string(v)?, allow)),
        headers: if body.get("headers").is_some() {
            headers(&mut f, &obj, &body)
        } else {
            None
        },
    };
    f.optional(&obj, "store_id", |v| integer(v).map(drop));
    f.deny_unknown(&obj, &["name", "url", "headers", "store_id"]);
    f.finish()?;
    state
        .store
        .update_webhook(account, id, patch)
        .await
        .or_not_found(id)?;
    Ok(StatusCode::NO_CONTENT)
}

/// [delete_webhook](https://docs.shipstation.com/openapi/webhooks/delete_webhook): the webhook
/// and its delivery log.
#[utoipa::path(delete, path = "/v2/environment/webhooks/{webhook_id}", operation_id = "delete_webhook", tag = "webhooks",
    params(("webhook_id" = String, Path, example = "se-12")),
    responses((status = 204), (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse)))]
pub async fn delete(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<WebhookId>,
) -> ApiResult<StatusCode> {
    state
        .store
        .delete_webhook(account, id)
        .await
        .or_not_found(id)?;
    Ok(StatusCode::NO_CONTENT)
}

/// The key deliveries are signed with, per Standard Webhooks 1.0.
#[derive(Debug, Serialize, ToSchema)]
pub struct SecretBody {
    #[schema(example = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")]
    pub secret: String,
}

/// The webhook's signing secret (a Procura addition: ShipStation's create answer has no room for
/// it).
#[utoipa::path(get, path = "/v2/environment/webhooks/{webhook_id}/secret", operation_id = "get_webhook_secret", tag = "webhooks",
    params(("webhook_id" = String, Path, example = "se-12")),
    responses((status = 200, body = SecretBody), (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse)))]
pub async fn secret(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<WebhookId>,
) -> ApiResult<Json<SecretBody>> {
    let secret = state
        .store
        .webhook_secret(account, id)
        .await
        .or_not_found(id)?;
    Ok(Json(SecretBody { secret }))
}

/// Replaces the signing secret with a new one, which signs every delivery from now on. With an
/// `Idempotency-Key`, a retry answers the secret the first request made, and makes no other.
#[utoipa::path(post, path = "/v2/environment/webhooks/{webhook_id}/secret/rotate", operation_id = "rotate_webhook_secret", tag = "webhooks",
    params(("webhook_id" = String, Path, example = "se-12"), KeyedCreate),
    responses((status = 200, body = SecretBody), (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse),
              (status = 422, body = ErrorResponse, description = "Idempotency-Key used before with another request")))]
pub async fn rotate_secret(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<WebhookId>,
    write: WriteHeaders,
) -> ApiResult<Response> {
    let rid = write.request_id();
    let render: Render<String> = Arc::new(move |outcome| match outcome {
        Ok(secret) => success(
            StatusCode::OK,
            &SecretBody {
                secret: secret.clone(),
            },
            None,
        ),
        Err(err) => refused_at(err, id, rid),
    });
    let written = write
        .run(account, &Value::Null, render, |w| {
            state.store.rotate_webhook_secret(w, id, new_secret())
        })
        .await;
    if written.value.is_some() {
        tracing::info!(webhook = %id, "webhook secret rotated");
    }
    Ok(written.response)
}

/// One event sent (or to be sent) to a webhook.
#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryBody {
    #[schema(value_type = String, example = "se-88")]
    pub delivery_id: DeliveryId,
    #[schema(example = "ev-41")]
    pub event_id: String,
    #[schema(value_type = String, example = "se-234")]
    pub purchase_order_id: crate::domain::ids::PurchaseOrderId,
    /// `pending`, `delivered`, or `failed` once every retry failed.
    #[schema(example = "delivered")]
    pub state: String,
    pub attempts: i64,
    #[schema(format = DateTime, value_type = String)]
    pub next_attempt_at: Timestamp,
    /// The status of the last answer.
    pub last_status: Option<i64>,
    /// The first 256 bytes of the last answer, or why there was none.
    pub last_response: Option<String>,
    #[schema(format = DateTime, value_type = Option<String>)]
    pub delivered_at: Option<Timestamp>,
    #[schema(format = DateTime, value_type = String)]
    pub created_at: Timestamp,
}

impl From<Delivery> for DeliveryBody {
    fn from(d: Delivery) -> Self {
        Self {
            delivery_id: d.id,
            event_id: format!("ev-{}", d.event_id),
            purchase_order_id: d.purchase_order_id,
            state: d.state,
            attempts: d.attempts,
            next_attempt_at: Timestamp(d.next_attempt_at),
            last_status: d.last_status,
            last_response: d.last_response,
            delivered_at: d.delivered_at.map(Timestamp),
            created_at: Timestamp(d.created_at),
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct DeliveryList {
    pub deliveries: Vec<DeliveryBody>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub links: Links,
}

/// The webhook's deliveries, newest first.
#[utoipa::path(get, path = "/v2/environment/webhooks/{webhook_id}/deliveries", operation_id = "list_webhook_deliveries", tag = "webhooks",
    params(
        ("webhook_id" = String, Path, example = "se-12"),
        ("page_size" = Option<u32>, Query, minimum = 1, maximum = 500, description = "Deliveries per page; default 50"),
        ("page" = Option<u32>, Query, minimum = 1, description = "Page number, from 1"),
        ("cursor" = Option<String>, Query, description = "Opaque position, from `links.next.href`"),
    ),
    responses((status = 200, body = DeliveryList), (status = 400, body = ErrorResponse), (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse)))]
pub async fn deliveries(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<WebhookId>,
    url: ListUrl,
    QueryObject(query): QueryObject,
) -> ApiResult<Json<DeliveryList>> {
    let mut f = Fields::default();
    let q: Obj<'_> = f.root(&query).expect("the query is always an object");
    let page = url.read_page(&mut f, &q);
    f.deny_unknown(&q, &PAGE_PARAMS);
    f.finish()?;
    let page = state
        .store
        .list_deliveries(account, id, page)
        .await
        .or_not_found(id)?;
    Ok(Json(DeliveryList {
        links: url.links(&page),
        total: page.total,
        page: page.page,
        pages: page.pages(),
        deliveries: page.items.into_iter().map(DeliveryBody::from).collect(),
    }))
}

/// Sends a delivery again at once, with a fresh set of retries.
#[utoipa::path(post, path = "/v2/environment/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver",
    operation_id = "redeliver_webhook_delivery", tag = "webhooks",
    params(("webhook_id" = String, Path, example = "se-12"), ("delivery_id" = String, Path, example = "se-88"), KeyedCreate),
    responses((status = 204), (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse),
              (status = 422, body = ErrorResponse, description = "Idempotency-Key used before with another request")))]
pub async fn redeliver(
    State(state): State<AppState>,
    Account(account): Account,
    axum::extract::Path((webhook, delivery)): axum::extract::Path<(String, String)>,
    write: WriteHeaders,
) -> ApiResult<Response> {
    let id = WebhookId::parse(&webhook)
        .ok_or_else(|| ApiError::not_found("webhook", "webhook_id", &webhook))?;
    let delivery_id = DeliveryId::parse(&delivery)
        .ok_or_else(|| ApiError::not_found("webhook delivery", "delivery_id", &delivery))?;
    let rid = write.request_id();
    let render: Render<()> = Arc::new(move |outcome| match outcome {
        Ok(()) => done(),
        Err(err) => refused_at(err, delivery_id, rid),
    });
    let written = write
        .run(account, &Value::Null, render, |w| {
            state.store.redeliver(w, id, delivery_id)
        })
        .await;
    Ok(written.response)
}
