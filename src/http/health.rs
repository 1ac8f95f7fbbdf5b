use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use serde_json::{Value, json};

use super::AppState;
use super::error::{ApiError, ApiResult};
use super::json::Json;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/healthz", get(healthz))
        .route("/readyz", get(readyz))
}

/// Liveness: the process answers. Needs no key and touches no database.
#[utoipa::path(get, path = "/healthz", tag = "operations", security(()),
    responses((status = 200, description = "The process is up")))]
pub async fn healthz() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Readiness: the database answers and takes writes; 503 in the error envelope when not.
#[utoipa::path(get, path = "/readyz", tag = "operations", security(()),
    responses((status = 200, description = "Ready to serve"),
              (status = 503, description = "The database is unreachable or cannot take writes (a full disk, a read-only file or standby)", body = super::error::ErrorResponse)))]
pub async fn readyz(State(state): State<AppState>) -> ApiResult<Json<Value>> {
    state.store.ping().await.map_err(|err| {
        let mut refusal = ApiError::from(err);
        if refusal.status == StatusCode::SERVICE_UNAVAILABLE {
            refusal.errors[0].message =
                "not ready: the database cannot be reached or cannot take writes; the server's \
                 log says why"
                    .into();
        }
        refusal
    })?;
    Ok(Json(json!({ "status": "ready" })))
}
