//! Extractors that refuse bad input with the error envelope: the JSON body, the query string,
//! and the caller's account (the `API-Key` header).

use std::net::SocketAddr;
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRef, FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use serde_json::{Map, Value};

use super::AppState;
use super::error::{ApiError, ErrorCode};
use super::unique_keys::Unreadable;
use crate::domain::account::hash_key;
use crate::domain::event::Actor;
use crate::domain::ids::{AccountId, ApiKeyId};
use crate::telemetry::Throttle;

/// A request body that is well-formed JSON sent as `application/json`.
pub struct JsonBody(pub Value);

impl<S: Send + Sync> FromRequest<S> for JsonBody {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, ApiError> {
        let content_type = req
            .headers()
            .get(header::CONTENT_TYPE)
            .map(|v| v.to_str().unwrap_or("").to_owned());
        let bytes = Bytes::from_request(req, state).await.map_err(|rejection| {
            if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
                ApiError::from_status(StatusCode::PAYLOAD_TOO_LARGE)
            } else {
                ApiError::bad_request(
                    ErrorCode::InvalidObject,
                    format!("cannot read the request body: {rejection}"),
                )
            }
        })?;
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Err(ApiError::bad_request(
                ErrorCode::RequestBodyRequired,
                "request body is empty; this operation needs a JSON object",
            ));
        }
        match content_type.as_deref() {
            Some(ct) if is_json(ct) => {}
            Some(ct) => {
                return Err(ApiError::bad_request(
                    ErrorCode::InvalidFieldValue,
                    format!("Content-Type must be application/json, not '{ct}'"),
                ));
            }
            None => {
                return Err(ApiError::bad_request(
                    ErrorCode::InvalidFieldValue,
                    "Content-Type header is missing; send the body as application/json",
                ));
            }
        }
        let body = super::unique_keys::from_slice(&bytes).map_err(|err| match err {
            Unreadable::Invalid(err) => ApiError::bad_request(
                ErrorCode::InvalidObject,
                format!("request body is not valid JSON: {err}"),
            ),
            Unreadable::Repeated(path) => {
                let mut err = ApiError::bad_request(
                    ErrorCode::InvalidFieldValue,
                    format!("{path} is given more than once; send each field once"),
                );
                err.errors[0].field_name = Some(path);
                err
            }
        })?;
        Ok(JsonBody(body))
    }
}

fn is_json(content_type: &str) -> bool {
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

/// The query string as a JSON object of strings, so that it is read with the same
/// [`super::fields::Fields`] as a body: every problem at once, unknown parameters refused.
pub struct QueryObject(pub Value);

impl<S: Send + Sync> FromRequestParts<S> for QueryObject {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, ApiError> {
        let raw = parts.uri.query().unwrap_or("");
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(raw).map_err(|err| {
            ApiError::bad_request(
                ErrorCode::InvalidFieldValue,
                format!("query string cannot be read: {err}"),
            )
        })?;
        let mut map = Map::new();
        for (key, value) in pairs {
            if map.insert(key.clone(), Value::String(value)).is_some() {
                let mut err = ApiError::bad_request(
                    ErrorCode::InvalidFieldValue,
                    format!("query parameter {key} is given more than once"),
                );
                err.errors[0].field_name = Some(key);
                return Err(err);
            }
        }
        Ok(QueryObject(Value::Object(map)))
    }
}

/// The account of the presented `API-Key`.
#[derive(Debug, Clone, Copy)]
pub struct Account(pub AccountId);

/// Who presented the `API-Key`, left in the request's extensions by [`Account`] for the writes
/// that follow (their events name it).
#[derive(Debug, Clone, Copy)]
pub struct Caller(pub Actor);

impl<S> FromRequestParts<S> for Account
where
    S: Send + Sync,
    AppState: FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = AppState::from_ref(state);
        let account = authenticate(parts, &state).await;
        match &account {
            // For the extractors that follow (a list's cursors are bound to the account).
            Ok((found, key)) => {
                parts.extensions.insert(*found);
                parts.extensions.insert(Caller(Actor::ApiKey(*key)));
            }
            Err(refusal) if refusal.status == StatusCode::UNAUTHORIZED => {
                log_refused(parts, refusal);
            }
            Err(_) => {}
        }
        account.map(|(account, _)| account)
    }
}

/// A refused key, with where it came from: someone probing keys shows up in the log, but at
/// most one line a second, so that the probing cannot flood it.
fn log_refused(parts: &Parts, refusal: &ApiError) {
    static LOG: Throttle = Throttle::new(Duration::from_secs(1));
    if let Some(held_back) = LOG.admit() {
        let client = parts
            .extensions
            .get::<ConnectInfo<SocketAddr>>()
            .map(|ConnectInfo(addr)| addr.to_string())
            .unwrap_or_default();
        let reason = refusal.errors.first().map_or("", |e| e.message.as_str());
        tracing::warn!(client = %client, reason = %reason, held_back, "request refused: no valid API key");
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<(Account, ApiKeyId), ApiError> {
    let mut keys = parts.headers.get_all("api-key").iter();
    let Some(key) = keys.next() else {
        return Err(ApiError::unauthorized("the API-Key header is missing"));
    };
    // Two keys could name two accounts: which one a proxy or a server picks is not the
    // client's to guess.
    if keys.next().is_some() {
        return Err(ApiError::unauthorized(
            "the API-Key header is given more than once; send exactly one",
        ));
    }
    let key = key
        .to_str()
        .map_err(|_| ApiError::unauthorized("the API key is not valid"))?;
    let (account, key) = state
        .store
        .account_for_key(hash_key(key.trim()))
        .await?
        .ok_or_else(|| ApiError::unauthorized("the API key is not valid or has been revoked"))?;
    if let Some(limiter) = &state.limiter {
        limiter.check(account)?;
    }
    state.key_uses.note(&state.store, key);
    tracing::Span::current().record("account.id", account.0);
    Ok((Account(account), key))
}
