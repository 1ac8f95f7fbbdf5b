//! `GET /metrics` in the Prometheus text format, and the request metrics behind it.
//!
//! The `metrics` facade records; `metrics-exporter-prometheus` keeps the values and writes the
//! text format. Names:
//! - `procura_http_requests_total{method, route, status}` and
//!   `procura_http_request_duration_seconds{method, route, status}` (a histogram), by the route's
//!   pattern (`/v2/purchase_orders/{purchase_order_id}`), never the raw path, so that ids do not
//!   become label values;
//! - `procura_http_requests_in_flight`;
//! - `procura_rate_limited_total`;
//! - the store's own: `procura_sqlite_writer_queue`, `procura_sqlite_commit_seconds`,
//!   `procura_sqlite_group_jobs` on SQLite; `procura_db_pool_connections{state}` on PostgreSQL.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics::{Label, SharedString};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use super::AppState;

/// Bucket bounds in seconds for every `_seconds` histogram: from a cached read to a request
/// cut off by the 30 s timeout.
const SECONDS_BUCKETS: &[f64] = &[
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0,
];
/// Bucket bounds for the number of jobs in one SQLite commit (the group commit's batch size).
const GROUP_BUCKETS: &[f64] = &[1.0, 2.0, 4.0, 8.0, 16.0, 32.0, 64.0, 128.0, 256.0];

/// The process's recorder, installed on first use. One per process: every server a test
/// process starts shares it.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("_seconds".into()), SECONDS_BUCKETS)
            .and_then(|b| {
                b.set_buckets_for_metric(
                    Matcher::Full("procura_sqlite_group_jobs".into()),
                    GROUP_BUCKETS,
                )
            });
        match builder.and_then(|b| b.install_recorder()) {
            Ok(handle) => {
                keep_up(handle.clone());
                handle
            }
            Err(err) => {
                // Another recorder is installed (an embedding program's): render an empty page.
                tracing::warn!(error = %err, "metrics recorder not installed");
                PrometheusBuilder::new().build_recorder().handle()
            }
        }
    })
}

/// How often recorded histogram samples are folded into their buckets.
const UPKEEP_EVERY: Duration = Duration::from_secs(5);

/// The recorder keeps each histogram sample in a queue until it is folded into the buckets, which
/// happens on a scrape or on upkeep. Nothing else does it for a recorder installed this way, so
/// without this a server that nobody scrapes would hold every request's duration for good.
fn keep_up(handle: PrometheusHandle) {
    let spawned = std::thread::Builder::new()
        .name("metrics-upkeep".into())
        .spawn(move || {
            loop {
                std::thread::sleep(UPKEEP_EVERY);
                handle.run_upkeep();
            }
        });
    if let Err(err) = spawned {
        tracing::warn!(error = %err, "metrics upkeep thread not started");
    }
}

/// Counts and times every request by route and status, and how many are in flight.
pub async fn track(req: Request, next: Next) -> Response {
    let started = Instant::now();
    let method = method_label(req.method());
    // One allocation for the route, shared by the labels and the access log.
    let route: Arc<str> = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| Arc::from("unmatched"), |p| Arc::from(p.as_str()));
    let in_flight = metrics::gauge!("procura_http_requests_in_flight");
    in_flight.increment(1.0);
    let mut response = next.run(req).await;
    in_flight.decrement(1.0);
    let status = SharedString::from_shared(Arc::<str>::from(response.status().as_str()));
    let labels = [
        Label::from_static_parts("method", method),
        Label::new("route", SharedString::from_shared(route.clone())),
        Label::new("status", status),
    ];
    response.extensions_mut().insert(Route(route));
    metrics::counter!("procura_http_requests_total", labels.iter()).increment(1);
    metrics::histogram!("procura_http_request_duration_seconds", labels.iter())
        .record(started.elapsed().as_secs_f64());
    response
}

/// The method as a label without allocating, for the methods the API serves.
fn method_label(method: &Method) -> &'static str {
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        Method::PATCH => "PATCH",
        _ => "other",
    }
}

/// The route pattern that served a response, for the access log.
#[derive(Debug, Clone)]
pub struct Route(pub Arc<str>);

/// The Prometheus text exposition of every metric of this process.
pub async fn serve(State(state): State<AppState>) -> Response {
    state.store.record_gauges();
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        handle().render(),
    )
        .into_response()
}
