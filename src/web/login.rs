//! Signing in and out, and setting a password through a one-time link.

use std::sync::LazyLock;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::Utc;

use super::form::Fields;
use super::page::{self, PageError, PageResult};
use super::{Signed, WebState, cookies, csrf};
use crate::domain::user::{self, Email, Secret, hash_secret};

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/app/sign-in", get(sign_in_page).post(sign_in))
        .route("/app/sign-out", axum::routing::post(sign_out))
        .route(
            "/app/password/{token}",
            get(password_page).post(set_password),
        )
}

#[derive(Template)]
#[template(path = "sign_in.html")]
struct SignInPage {
    nav: Option<page::Nav>,
    csrf: String,
    email: String,
    notice: Option<&'static str>,
    error: Option<String>,
}

#[derive(serde::Deserialize)]
struct SignInQuery {
    expired: Option<String>,
    password_set: Option<String>,
}

/// The seed of the sign-in forms' CSRF token: the browser's pre-session cookie, or a new one
/// together with the header that sets it.
fn pre_session(state: &WebState, headers: &HeaderMap) -> (String, Option<axum::http::HeaderValue>) {
    match cookies::read(headers, cookies::PRE_SESSION) {
        Some(seed) => (seed.to_owned(), None),
        None => {
            let seed = Secret::generate().text;
            let cookie = cookies::set(cookies::PRE_SESSION, &seed, state.secure_cookies, None);
            (seed, Some(cookie))
        }
    }
}

fn with_cookie(mut response: Response, cookie: Option<axum::http::HeaderValue>) -> Response {
    if let Some(cookie) = cookie {
        response.headers_mut().append(header::SET_COOKIE, cookie);
    }
    response
}

async fn sign_in_page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Query(query): Query<SignInQuery>,
) -> Response {
    let (seed, cookie) = pre_session(&state, &headers);
    let notice = if query.expired.is_some() {
        Some("Your session has ended. Sign in again.")
    } else if query.password_set.is_some() {
        Some("Your password is set. Sign in with it.")
    } else {
        None
    };
    let page = SignInPage {
        nav: None,
        csrf: state.csrf.token(&seed),
        email: String::new(),
        notice,
        error: None,
    };
    with_cookie(page::ok(&page), cookie)
}

/// Checked against when the email is unknown, so that a wrong email takes as long as a wrong
/// password and does not tell which users exist.
static DECOY_HASH: LazyLock<String> =
    LazyLock::new(|| user::hash_password("decoy password").unwrap_or_default());

async fn sign_in(State(state): State<WebState>, headers: HeaderMap, fields: Fields) -> PageResult {
    let (seed, cookie) = pre_session(&state, &headers);
    if cookie.is_some() || !state.csrf.check(&seed, fields.get(csrf::FIELD)) {
        return Err(PageError::Csrf);
    }
    let refuse = |status: StatusCode, error: String| {
        let page = SignInPage {
            nav: None,
            csrf: state.csrf.token(&seed),
            email: fields.get("email").to_owned(),
            notice: None,
            error: Some(error),
        };
        Ok(page::render(status, &page))
    };
    let wrong = || "The email or the password is wrong.".to_owned();
    let password = fields.get("password").to_owned();
    let credentials = match Email::parse(fields.get("email")) {
        Some(email) => state.store().credentials(email).await?,
        None => None,
    };
    let now = Utc::now();
    if let Some(until) = credentials.as_ref().and_then(|c| c.throttled_until) {
        if until > now {
            let seconds = (until - now).num_seconds().max(1);
            return refuse(
                StatusCode::TOO_MANY_REQUESTS,
                format!("Too many failed sign-ins. Try again in {seconds} seconds."),
            );
        }
    }
    let stored = credentials
        .as_ref()
        .and_then(|c| c.password_hash.clone())
        .unwrap_or_else(|| DECOY_HASH.clone());
    let matches = tokio::task::spawn_blocking(move || user::verify_password(&password, &stored))
        .await
        .map_err(|_| PageError::Internal)?;
    let Some(credentials) = credentials else {
        return refuse(StatusCode::UNAUTHORIZED, wrong());
    };
    let signed_in = matches && credentials.password_hash.is_some() && !credentials.disabled;
    state
        .store()
        .record_sign_in(credentials.user, signed_in, now)
        .await?;
    if !signed_in {
        return refuse(StatusCode::UNAUTHORIZED, wrong());
    }
    let session = Secret::generate();
    state
        .store()
        .create_session(credentials.user, session.hash, crate::store::now())
        .await?;
    let mut response = page::see("/app/orders");
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        cookies::set(cookies::SESSION, &session.text, state.secure_cookies, None),
    );
    headers.append(
        header::SET_COOKIE,
        cookies::clear(cookies::PRE_SESSION, state.secure_cookies),
    );
    Ok(response)
}

async fn sign_out(State(state): State<WebState>, signed: Signed, fields: Fields) -> PageResult {
    signed.check(&state, &fields)?;
    state.store().end_session(signed.token_hash()).await?;
    let mut response = page::see("/app/sign-in");
    response.headers_mut().append(
        header::SET_COOKIE,
        cookies::clear(cookies::SESSION, state.secure_cookies),
    );
    Ok(response)
}

#[derive(Template)]
#[template(path = "password.html")]
struct PasswordPage {
    nav: Option<page::Nav>,
    csrf: String,
    email: String,
    token: String,
    error: Option<String>,
}

async fn password_page(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(token): Path<String>,
) -> PageResult {
    let email = state
        .store()
        .link_email(hash_secret(&token), Utc::now())
        .await?
        .ok_or(PageError::NotFound)?;
    let (seed, cookie) = pre_session(&state, &headers);
    let page = PasswordPage {
        nav: None,
        csrf: state.csrf.token(&seed),
        email: email.to_string(),
        token,
        error: None,
    };
    Ok(with_cookie(page::ok(&page), cookie))
}

async fn set_password(
    State(state): State<WebState>,
    headers: HeaderMap,
    Path(token): Path<String>,
    fields: Fields,
) -> PageResult {
    let (seed, cookie) = pre_session(&state, &headers);
    if cookie.is_some() || !state.csrf.check(&seed, fields.get(csrf::FIELD)) {
        return Err(PageError::Csrf);
    }
    let link = hash_secret(&token);
    let email = state
        .store()
        .link_email(link, Utc::now())
        .await?
        .ok_or(PageError::NotFound)?;
    let password = fields.get("password").to_owned();
    let error = if password.chars().count() < user::MIN_PASSWORD_CHARS {
        Some(format!(
            "The password needs at least {} characters.",
            user::MIN_PASSWORD_CHARS
        ))
    } else if password != fields.get("confirm") {
        Some("The two passwords differ.".to_owned())
    } else {
        None
    };
    if let Some(error) = error {
        let page = PasswordPage {
            nav: None,
            csrf: state.csrf.token(&seed),
            email: email.to_string(),
            token,
            error: Some(error),
        };
        return Ok(page::render(StatusCode::UNPROCESSABLE_ENTITY, &page));
    }
    let hash = tokio::task::spawn_blocking(move || user::hash_password(&password))
        .await
        .map_err(|_| PageError::Internal)?
        .map_err(|_| PageError::Internal)?;
    state
        .store()
        .set_password(link, hash, Utc::now())
        .await?
        .ok_or(PageError::NotFound)?;
    Ok(page::see("/app/sign-in?password_set=1").into_response())
}
