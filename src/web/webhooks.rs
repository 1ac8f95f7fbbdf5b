//! Webhooks, for admins: the account's subscriptions, a new one (its signing secret shown once,
//! as the API's `.../secret` shows it), removal, and each one's delivery log with a redeliver
//! button. The same rules as `/v2/environment/webhooks`, SSRF guard included.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};

use super::form::Fields;
use super::page::{self, Nav, PageError, PageResult};
use super::{Signed, WebState};
use crate::domain::ids::{DeliveryId, WebhookId};
use crate::domain::user::Role;
use crate::domain::webhook::{EVENTS, Webhook, WebhookInput, check_url, new_secret, parse_event};

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/app/webhooks", get(list).post(create))
        .route("/app/webhooks/{id}", get(deliveries))
        .route("/app/webhooks/{id}/delete", post(delete))
        .route(
            "/app/webhooks/{id}/deliveries/{delivery}/redeliver",
            post(redeliver),
        )
}

fn when(at: chrono::DateTime<chrono::Utc>) -> String {
    at.format("%Y-%m-%d %H:%M:%S").to_string()
}

struct Row {
    id: String,
    name: String,
    event: String,
    url: String,
    failing_since: String,
}

impl From<Webhook> for Row {
    fn from(w: Webhook) -> Self {
        Self {
            id: w.id.to_string(),
            name: w.name,
            event: w.event,
            url: w.url,
            failing_since: w.failing_since.map(when).unwrap_or_default(),
        }
    }
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
        .map(Row::from)
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

#[derive(serde::Deserialize, Default)]
struct LogQuery {
    after: Option<i64>,
    page: Option<u64>,
    total: Option<u64>,
}

struct DeliveryRow {
    id: String,
    order: String,
    order_number: String,
    state: String,
    attempts: i64,
    /// The last answer's status and first bytes, or why there was none.
    answer: String,
    /// When it was delivered, or when it is next tried.
    when: String,
}

#[derive(Template)]
#[template(path = "webhook.html")]
struct DeliveriesPage {
    nav: Option<Nav>,
    webhook: Row,
    rows: Vec<DeliveryRow>,
    total: u64,
    next: Option<String>,
}

/// A webhook and its delivery log, newest first, as `GET .../deliveries` pages it.
async fn deliveries(
    State(state): State<WebState>,
    signed: Signed,
    Path(id): Path<String>,
    Query(query): Query<LogQuery>,
) -> PageResult {
    signed.may(Role::administers)?;
    let account = signed.user.account;
    let id = WebhookId::parse(&id).ok_or(PageError::NotFound)?;
    let webhook = state
        .store()
        .get_webhook(account, id)
        .await?
        .ok_or(PageError::NotFound)?;
    let request = page::requested(query.after, query.page, query.total);
    let log = state.store().list_deliveries(account, id, request).await?;
    let next = log.next_after.map(|after| {
        format!(
            "/app/webhooks/{id}?after={after}&page={}&total={}",
            log.page + 1,
            log.total
        )
    });
    let rows = log
        .items
        .into_iter()
        .map(|d| DeliveryRow {
            id: d.id.to_string(),
            order: d.purchase_order_id.to_string(),
            order_number: d.order_number,
            when: match (d.state.as_str(), d.delivered_at) {
                ("delivered", Some(at)) => format!("delivered {}", when(at)),
                ("pending", _) => format!("next try {}", when(d.next_attempt_at)),
                _ => String::new(),
            },
            answer: match (d.last_status, d.last_response) {
                (Some(status), Some(body)) => format!("{status} {body}"),
                (Some(status), None) => status.to_string(),
                (None, body) => body.unwrap_or_default(),
            },
            state: d.state,
            attempts: d.attempts,
        })
        .collect();
    let page = DeliveriesPage {
        nav: Some(signed.nav(&state)),
        webhook: Row::from(webhook),
        rows,
        total: log.total,
        next,
    };
    Ok(page::render(StatusCode::OK, &page))
}

/// Sends a delivery again at once, as `POST .../redeliver` does.
async fn redeliver(
    State(state): State<WebState>,
    signed: Signed,
    Path((id, delivery)): Path<(String, String)>,
    fields: Fields,
) -> PageResult {
    signed.check(&state, &fields)?;
    signed.may(Role::administers)?;
    let id = WebhookId::parse(&id).ok_or(PageError::NotFound)?;
    let delivery = DeliveryId::parse(&delivery).ok_or(PageError::NotFound)?;
    match state.store().redeliver(signed.write(), id, delivery).await {
        Ok(()) => Ok(page::see(&format!("/app/webhooks/{id}"))),
        Err(crate::store::StoreError::NotFound) => Err(PageError::NotFound),
        Err(err) => Err(err.into()),
    }
}
