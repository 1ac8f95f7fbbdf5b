//! The web app: server-rendered pages for buyers, receiving clerks and admins, served beside the
//! API by the same binary. Pages call the domain and the store directly, as the API's handlers do,
//! and work as plain forms with JavaScript off; htmx only spares whole-page reloads.

use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderValue, header};
use axum::middleware::{self, Next};
use axum::response::{Redirect, Response};
use axum::routing::get;
use chrono::Utc;

use crate::domain::ids::{AccountId, UserId};
use crate::domain::user::{self, Email, Role, SessionLimits};
use crate::http::AppState;
use crate::store::{Store, StoreResult};

mod assets;
pub mod cookies;
pub mod csrf;
mod form;
mod history;
mod login;
mod order_actions;
mod order_form;
mod orders;
mod page;
mod people;
mod places;
mod receive;
mod session;
mod settings;
mod webhooks;

pub use page::PageError;
pub use session::Signed;

/// What every page handler gets.
#[derive(Clone)]
pub struct WebState {
    pub api: AppState,
    pub csrf: csrf::CsrfKey,
    pub sessions: SessionLimits,
    /// Cookies carry `Secure` when the public URL is https.
    pub secure_cookies: bool,
}

impl WebState {
    pub fn store(&self) -> &dyn Store {
        self.api.store.as_ref()
    }
}

/// The name of the secret, shared by every server on the database, that signs CSRF tokens.
pub const CSRF_KEY: &str = "web_csrf_hmac";

/// Every page, under `/app`, with the headers every page carries.
pub fn router(state: WebState) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/app/orders") }))
        .route("/app", get(|| async { Redirect::to("/app/orders") }))
        .merge(assets::routes())
        .merge(login::routes())
        .merge(order_form::routes())
        .merge(orders::routes())
        .merge(order_actions::routes())
        .merge(receive::routes())
        .merge(places::routes())
        .merge(people::routes())
        .merge(settings::routes())
        .merge(webhooks::routes())
        .with_state(state)
        .layer(middleware::from_fn(security_headers))
}

/// No inline script or style anywhere, nothing from another origin, no framing.
const CONTENT_SECURITY_POLICY: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
     img-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; \
     base-uri 'none'";

async fn security_headers(req: Request, next: Next) -> Response {
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    let fixed = [
        (header::CONTENT_SECURITY_POLICY, CONTENT_SECURITY_POLICY),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// Creates a user and returns its id and the one-time link (under `base`, the address users
/// reach the app at) where it sets its password; `None` when the email is taken.
pub async fn create_user(
    store: &dyn Store,
    account: AccountId,
    email: &Email,
    role: Role,
    base: &str,
) -> StoreResult<Option<(UserId, String)>> {
    let link = user::Secret::generate();
    let created = store
        .create_user(
            account,
            email.clone(),
            role,
            link.hash,
            Utc::now() + user::LINK_LIFETIME,
        )
        .await?;
    Ok(created.map(|id| (id, password_link(base, &link.text))))
}

pub fn password_link(base: &str, token: &str) -> String {
    format!("{}/app/password/{token}", base.trim_end_matches('/'))
}
