//! Webhooks, for admins: the account's subscriptions, a new one (its signing secret shown once,
//! as the API's `.../secret` shows it), and removal. The same rules as
//! `/v2/environment/webhooks`, SSRF guard included.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};

use super::form::Fields;
use super::page::{self, Nav, PageError, PageResult};
use super::{Signed, WebState};
use crate::domain::ids::WebhookId;
use crate::domain::user::Role;
use crate::domain::webhook::{EVENTS, WebhookInput, check_url, new_secret, parse_event};

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/app/webhooks", get(list).post(create))
        .route("/app/webhooks/{id}/delete", post(delete))
}

struct Row {
    id: String,
    name: String,
    event: String,
    url: String,
    failing_since: String,
}

#[derive(Template)]
#[template(path = "webhooks.html")]
struct WebhooksPage {
    nav: Option<Nav>,
    rows: Vec<Row>,
    events: [&'static str; 5],
    /// The new webhook's name and signing secret, shown once.
    created: Option<(String, String)>,
    /// What was typed, and the error at its field.
    name: String,
    url: String,
    event: String,
    error: Option<(&'static str, String)>,
}

async fn page(
    state: &WebState,
    signed: &Signed,
    created: Option<(String, String)>,
    typed: (String, String, String),
    error: Option<(&'static str, String)>,
) -> PageResult {
    let rows = state
        .store()
        .list_webhooks(signed.user.account)
        .await?
        .into_iter()
        .map(|w| Row {
            id: w.id.to_string(),
            name: w.name,
            event: w.event,
            url: w.url,
            failing_since: w
                .failing_since
                .map(|t| t.format("%Y-%m-%d %H:%M").to_string())
                .unwrap_or_default(),
        })
        .collect();
    let status = if error.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    let (name, url, event) = typed;
    let page = WebhooksPage {
        nav: Some(signed.nav(state)),
        rows,
        events: EVENTS,
        created,
        name,
        url,
        event,
        error,
    };
    Ok(page::render(status, &page))
}

async fn list(State(state): State<WebState>, signed: Signed) -> PageResult {
    signed.may(Role::administers)?;
    page(&state, &signed, None, Default::default(), None).await
}

async fn create(State(state): State<WebState>, signed: Signed, fields: Fields) -> PageResult {
    signed.check(&state, &fields)?;
    signed.may(Role::administers)?;
    let typed = (
        fields.get("name").trim().to_owned(),
        fields.get("url").trim().to_owned(),
        fields.get("event").to_owned(),
    );
    let checked = (|| {
        let name = &typed.0;
        if name.is_empty() || name.chars().count() > 200 {
            return Err(("name", "The name must be 1 to 200 characters.".to_owned()));
        }
        let url = check_url(&typed.1, state.api.webhook_allow_private)
            .map_err(|e| ("url", format!("The URL {e}.")))?;
        let event = parse_event(&typed.2).map_err(|e| ("event", format!("The event {e}.")))?;
        Ok(WebhookInput {
            name: name.clone(),
            url,
            event,
            headers: Vec::new(),
        })
    })();
    let input = match checked {
        Ok(input) => input,
        Err(error) => return page(&state, &signed, None, typed, Some(error)).await,
    };
    let secret = new_secret();
    let hook = state
        .store()
        .create_webhook(signed.write(), input, secret.clone())
        .await?;
    page(
        &state,
        &signed,
        Some((hook.name, secret)),
        Default::default(),
        None,
    )
    .await
}

async fn delete(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<String>,
    fields: Fields,
) -> PageResult {
    signed.check(&state, &fields)?;
    signed.may(Role::administers)?;
    let id = WebhookId::parse(&id).ok_or(PageError::NotFound)?;
    match state.store().delete_webhook(signed.user.account, id).await {
        Ok(()) => Ok(page::see("/app/webhooks")),
        Err(crate::store::StoreError::NotFound) => Err(PageError::NotFound),
        Err(err) => Err(err.into()),
    }
}
