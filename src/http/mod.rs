//! The HTTP API: routes, extractors, wire types and the error envelope.

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::sensitive_headers::SetSensitiveRequestHeadersLayer;
use tower_http::timeout::TimeoutLayer;
use tower_http::trace::TraceLayer;
use uuid::Uuid;

use crate::store::Store;
use error::{ApiError, Enveloped, REQUEST_ID};

mod account;
mod conditions;
mod declared;
mod docs;
pub mod error;
mod events;
pub mod extract;
pub mod fields;
mod head;
mod health;
pub mod idempotency;
mod inventory;
pub mod json;
pub mod key_uses;
pub mod metrics;
pub mod openapi;
pub mod pagination;
mod path;
mod purchase_orders;
pub mod rate_limit;
pub mod refusals;
mod suppliers;
mod timestamp;
mod unique_keys;
mod warehouses;
mod webhooks;

pub(crate) use account::image as logo_image;
pub(crate) use account::parse as parse_account_profile;
pub use head::{MAX_HEADER_BYTES, MAX_HEADERS, MAX_URI_BYTES, unparsed_refusal};
pub(crate) use purchase_orders::documents::for_account as order_document;
pub(crate) use purchase_orders::send::mail_for;

/// Largest accepted request body (a 1000-line purchase order is about 150 KiB).
pub const BODY_LIMIT: usize = 1024 * 1024;
/// A request still running after this long is abandoned with 408.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub limiter: Option<Arc<rate_limit::RateLimiter>>,
    /// The origin clients reach the service at (for `links`); see `pagination::origin`.
    pub public_url: Option<String>,
    /// Signs and checks the cursors of `links.next.href`.
    pub cursor_key: pagination::CursorKey,
    /// How many PDF documents may render at once.
    pub renders: Arc<crate::documents::RenderSlots>,
    /// How long an `Idempotency-Key` and its answer are kept.
    pub idempotency_key_ttl: Duration,
    /// Whether webhooks may target loopback and private addresses.
    pub webhook_allow_private: bool,
    /// When each API key was last recorded as used.
    pub key_uses: Arc<key_uses::KeyUses>,
    /// Whether an SMTP server is configured, so that orders can be sent.
    pub smtp: bool,
}

/// The API, with `/metrics` beside it unless it has a listener of its own.
pub fn router(state: AppState, with_metrics: bool) -> Router {
    // Installed before the first request records anything.
    metrics::handle();
    let mut api = Router::new();
    if with_metrics {
        api = api.route("/metrics", get(metrics::serve));
    }
    let api = api
        .merge(account::routes())
        .merge(suppliers::routes())
        .merge(warehouses::routes())
        .merge(purchase_orders::routes())
        .merge(inventory::routes())
        .merge(events::routes())
        .merge(webhooks::routes())
        .merge(health::routes())
        .merge(docs::routes())
        .route("/openapi.json", get(openapi::serve))
        .fallback(unknown_route)
        .method_not_allowed_fallback(wrong_method)
        .with_state(state);

    // Listed innermost first: a request passes them bottom to top.
    api.layer(middleware::from_fn(metrics::track))
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(TimeoutLayer::with_status_code(
            StatusCode::REQUEST_TIMEOUT,
            REQUEST_TIMEOUT,
        ))
        .layer(CatchPanicLayer::custom(|_| {
            ApiError::internal("a handler panicked").into_response()
        }))
        .layer(
            TraceLayer::new_for_http()
                .make_span_with(|req: &Request| {
                    // Formatted only when the span is recorded: not at all under `RUST_LOG=warn`.
                    let id = req
                        .extensions()
                        .get::<RequestId>()
                        .map(|id| id.0)
                        .unwrap_or_default();
                    tracing::info_span!(
                        "request",
                        method = %req.method(),
                        path = %req.uri().path(),
                        request_id = %id,
                        account.id = tracing::field::Empty,
                    )
                })
                .on_request(())
                // A failed request is logged once, where it fails, with its cause.
                .on_failure(())
                // The access log: one line per request, inside the request's span (method,
                // path, request id, account id), at the default level.
                .on_response(|res: &Response, latency: Duration, _span: &tracing::Span| {
                    let route = res
                        .extensions()
                        .get::<metrics::Route>()
                        .map_or("", |r| &*r.0);
                    tracing::info!(
                        route = %route,
                        status = res.status().as_u16(),
                        duration_ms = format_args!("{:.3}", latency.as_secs_f64() * 1e3),
                        "answered"
                    );
                }),
        )
        .layer(SetSensitiveRequestHeadersLayer::new([
            HeaderName::from_static("api-key"),
        ]))
        .layer(middleware::from_fn(request_context))
}

/// `/metrics` alone, for `--metrics-listen`.
pub fn metrics_router(state: AppState) -> Router {
    metrics::handle();
    Router::new()
        .route("/metrics", get(metrics::serve))
        .fallback(unknown_route)
        .with_state(state)
        .layer(middleware::from_fn(request_context))
}

/// The request's id (a UUID): the client's `X-Request-Id` when it is a UUID, else a new one.
#[derive(Debug, Clone, Copy)]
pub struct RequestId(pub Uuid);

impl RequestId {
    /// A new random (version 4) UUID from the thread's random number generator, which draws on
    /// the operating system only to seed itself: `Uuid::new_v4` asks it on every call, a system
    /// call for every request. A request id names a request in logs; it guards nothing.
    pub fn generate() -> Uuid {
        uuid::Builder::from_random_bytes(rand::random()).into_uuid()
    }
}

/// Gives every request an id, echoes it in `X-Request-Id`, and makes sure that every error
/// answer, whoever produced it, is the ShipStation envelope.
async fn request_context(mut req: Request, next: Next) -> Response {
    let id = req
        .headers()
        .get("x-request-id")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| Uuid::parse_str(v).ok())
        .unwrap_or_else(RequestId::generate);
    req.extensions_mut().insert(RequestId(id));
    let mut response = match head::check(&req) {
        Some(refused) => REQUEST_ID.sync_scope(id, || refused.into_response()),
        None => REQUEST_ID.scope(id, next.run(req)).await,
    };
    let status = response.status();
    if (status.is_client_error() || status.is_server_error())
        && response.extensions().get::<Enveloped>().is_none()
    {
        let headers = response.headers().clone();
        response = REQUEST_ID.sync_scope(id, || ApiError::from_status(status).into_response());
        for (name, value) in &headers {
            if name != axum::http::header::CONTENT_TYPE
                && name != axum::http::header::CONTENT_LENGTH
            {
                response.headers_mut().insert(name.clone(), value.clone());
            }
        }
    }
    if let Ok(value) = id.to_string().parse() {
        response.headers_mut().insert("x-request-id", value);
    }
    response
}

async fn unknown_route(req: Request) -> ApiError {
    let mut err = ApiError::from_status(StatusCode::NOT_FOUND);
    err.errors[0].message = format!("no route for {} {}", req.method(), req.uri().path());
    err
}

async fn wrong_method(req: Request) -> ApiError {
    let mut err = ApiError::from_status(StatusCode::METHOD_NOT_ALLOWED);
    err.errors[0].message = format!("{} is not allowed on {}", req.method(), req.uri().path());
    err
}
