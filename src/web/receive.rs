use axum::Router;

use super::WebState;

pub fn routes() -> Router<WebState> {
    Router::new()
}
