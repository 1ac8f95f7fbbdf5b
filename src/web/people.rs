//! Users and API keys of the account, for its admins.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};

use super::form::Fields;
use super::page::{self, Nav, PageError, PageResult};
use super::{Signed, WebState};
use crate::domain::account::{NewApiKey, parse_key_label};
use crate::domain::ids::{ApiKeyId, UserId};
use crate::domain::user::{Email, Role};

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/app/users", get(users).post(create_user))
        .route("/app/users/{id}/disable", post(disable_user))
        .route("/app/keys", get(keys).post(create_key))
        .route("/app/keys/{id}/revoke", post(revoke_key))
}

struct UserRow {
    id: String,
    email: String,
    role: &'static str,
    state: &'static str,
    active: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    nav: Option<Nav>,
    rows: Vec<UserRow>,
    roles: [&'static str; 3],
    email: String,
    created: Option<(String, String)>,
    error: Option<String>,
}

async fn users_page(
    state: &WebState,
    signed: &Signed,
    email: String,
    created: Option<(String, String)>,
    error: Option<String>,
) -> PageResult {
    let list = state.store().list_users(Some(signed.user.account)).await?;
    let rows = list
        .into_iter()
        .map(|u| UserRow {
            id: u.id.to_string(),
            email: u.email.to_string(),
            role: u.role.as_str(),
            state: match (u.disabled_at.is_some(), u.has_password) {
                (true, _) => "disabled",
                (false, true) => "active",
                (false, false) => "invited",
            },
            active: u.disabled_at.is_none() && u.id != signed.user.user,
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = UsersPage {
        nav: Some(signed.nav(state)),
        rows,
        roles: Role::ALL.map(Role::as_str),
        email,
        created,
        error,
    };
    Ok(page::render(status, &page))
}

async fn users(State(state): State<WebState>, signed: Signed) -> PageResult {
    signed.may(Role::administers)?;
    users_page(&state, &signed, String::new(), None, None).await
}

/// The address the app is reached at, for set-password links: the public URL, else the
/// request's own origin.
fn base(state: &WebState, headers: &axum::http::HeaderMap) -> String {
    state.api.public_url.clone().unwrap_or_else(|| {
        let host = headers
            .get(axum::http::header::HOST)
            .and_then(|h| h.to_str().ok())
            .unwrap_or("localhost");
        format!("http://{host}")
    })
}

async fn create_user(
    State(state): State<WebState>,
    signed: Signed,
    headers: axum::http::HeaderMap,
    fields: Fields,
) -> PageResult {
    signed.check(&state, &fields)?;
    signed.may(Role::administers)?;
    let typed = fields.get("email").to_owned();
    let (Some(email), Some(role)) = (Email::parse(&typed), Role::parse(fields.get("role"))) else {
        let error = Some(format!("'{typed}' is not an email address."));
        return users_page(&state, &signed, typed, None, error).await;
    };
    let created = super::create_user(
        state.store(),
        signed.user.account,
        &email,
        role,
        &base(&state, &headers),
    )
    .await?;
    match created {
        Some((_, link)) => {
            let created = Some((email.to_string(), link));
            users_page(&state, &signed, String::new(), created, None).await
        }
        None => {
            let error = Some(format!("{email} already has a user."));
            users_page(&state, &signed, typed, None, error).await
        }
    }
}

async fn disable_user(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<String>,
    fields: Fields,
) -> PageResult {
    signed.check(&state, &fields)?;
    signed.may(Role::administers)?;
    let id = UserId::parse(&id).ok_or(PageError::NotFound)?;
    state
        .store()
        .disable_user(Some(signed.user.account), id)
        .await?;
    Ok(page::see("/app/users"))
}

struct KeyRow {
    id: String,
    hint: String,
    label: String,
    created: String,
    last_used: String,
    revoked: String,
}

#[derive(Template)]
#[template(path = "keys.html")]
struct KeysPage {
    nav: Option<Nav>,
    rows: Vec<KeyRow>,
    created: Option<String>,
    /// The label as typed, and what is wrong with it.
    label: String,
    label_error: Option<String>,
}

async fn keys_page(
    state: &WebState,
    signed: &Signed,
    created: Option<String>,
    label: (String, Option<String>),
) -> PageResult {
    let minute = |t: chrono::DateTime<chrono::Utc>| t.format("%Y-%m-%d %H:%M").to_string();
    let keys = state.store().list_keys(Some(signed.user.account)).await?;
    let rows = keys
        .into_iter()
        .map(|k| KeyRow {
            id: k.id.to_string(),
            hint: format!("{}…", k.hint),
            label: k.label,
            created: minute(k.created_at),
            last_used: k.last_used_at.map(minute).unwrap_or_default(),
            revoked: k.revoked_at.map(minute).unwrap_or_default(),
        })
        .collect();
    let (label, label_error) = label;
    let status = if label_error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let page = KeysPage {
        nav: Some(signed.nav(state)),
        rows,
        created,
        label,
        label_error,
    };
    Ok(page::render(status, &page))
}

async fn keys(State(state): State<WebState>, signed: Signed) -> PageResult {
    signed.may(Role::administers)?;
    keys_page(&state, &signed, None, (String::new(), None)).await
}

async fn create_key(State(state): State<WebState>, signed: Signed, fields: Fields) -> PageResult {
    signed.check(&state, &fields)?;
    signed.may(Role::administers)?;
    let typed = fields.get("label").to_owned();
    let label = match parse_key_label(&typed) {
        Ok(label) if label.is_empty() => Err("Give the key a label: what is it for?".to_owned()),
        Ok(label) => Ok(label),
        Err(e) => Err(format!("The label {e}.")),
    };
    let label = match label {
        Ok(label) => label,
        Err(message) => return keys_page(&state, &signed, None, (typed, Some(message))).await,
    };
    let key = NewApiKey::generate().labelled(label);
    let secret = key.secret.clone();
    state.store().create_key(signed.user.account, key).await?;
    keys_page(&state, &signed, Some(secret), (String::new(), None)).await
}

async fn revoke_key(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<String>,
    fields: Fields,
) -> PageResult {
    signed.check(&state, &fields)?;
    signed.may(Role::administers)?;
    let id = ApiKeyId::parse(&id).ok_or(PageError::NotFound)?;
    // Keys are revoked by id alone: first make sure this one is the account's.
    let keys = state.store().list_keys(Some(signed.user.account)).await?;
    if !keys.iter().any(|k| k.id == id) {
        return Err(PageError::NotFound);
    }
    state.store().revoke_key(id).await?;
    Ok(page::see("/app/keys"))
}
