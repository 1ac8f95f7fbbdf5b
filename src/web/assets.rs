//! The stylesheet and htmx, built into the binary: nothing is fetched from elsewhere.

use axum::Router;
use axum::http::header;
use axum::response::IntoResponse;
use axum::routing::get;

use super::WebState;

const STYLESHEET: &[u8] = include_bytes!("../../assets/web/app.css");
/// htmx 2.0.11, `dist/htmx.min.js` of the npm package `htmx.org`.
const HTMX: &[u8] = include_bytes!("../../assets/web/htmx.min.js");

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/app/assets/app.css", get(|| serve("text/css", STYLESHEET)))
        .route(
            "/app/assets/htmx.min.js",
            get(|| serve("text/javascript", HTMX)),
        )
}

async fn serve(content_type: &'static str, body: &'static [u8]) -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        body,
    )
}
