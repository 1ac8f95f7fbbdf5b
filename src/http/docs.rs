//! `GET /docs`: an interactive reference of the API (RapiDoc over `/openapi.json`), with its
//! script built into the binary so that it works where the service runs offline.

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;

use super::AppState;

/// RapiDoc 9.3.8, `assets/rapidoc/README.md` says where it comes from.
const RAPIDOC: &[u8] = include_bytes!("../../assets/rapidoc/rapidoc-min.js");

const PAGE: &str = r#"<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>Procura API reference</title>
  <script type="module" src="/docs/rapidoc-min.js"></script>
</head>
<body>
  <rapi-doc spec-url="/openapi.json" render-style="read" show-header="false"
            allow-server-selection="false" allow-authentication="true"
            persist-auth="false" schema-style="table" default-schema-tab="schema">
  </rapi-doc>
</body>
</html>
"#;

/// The page runs only its own script; RapiDoc sets styles on its elements itself.
const POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
                      img-src 'self' data:; font-src 'self' data:; object-src 'none'; \
                      base-uri 'none'; frame-ancestors 'none'";

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/docs", get(page))
        .route("/docs/rapidoc-min.js", get(script))
}

async fn page() -> Response {
    let mut response = Html(PAGE).into_response();
    response.headers_mut().insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(POLICY),
    );
    response
}

async fn script() -> Response {
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/javascript; charset=utf-8"),
            ),
            // The file changes only with the binary: a day keeps reloads cheap and upgrades seen.
            (
                header::CACHE_CONTROL,
                HeaderValue::from_static("public, max-age=86400"),
            ),
        ],
        RAPIDOC,
    )
        .into_response()
}
