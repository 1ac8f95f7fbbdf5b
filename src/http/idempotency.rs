//! Safe retries (`Idempotency-Key`, after the IETF httpapi draft and Stripe) and the answers of
//! writes.
//!
//! A write handler renders its store outcome into an [`Answer`] with one function, used both for
//! the answer it sends and, under an `Idempotency-Key`, for the answer the store keeps in the
//! write's own transaction. A retry with the same key and the same request gets the kept answer
//! with `Idempotent-Replayed: true` and changes nothing; the same key with another request is
//! refused with 422. A retry that arrives while the first request is still being written waits
//! for it and then gets its answer. A request refused before it reaches the store (a malformed
//! body, say) keeps nothing: the same request is refused the same way again, and a corrected one
//! may reuse the key.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::header::{CONTENT_TYPE, ETAG, RETRY_AFTER};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};
use uuid::Uuid;

use super::conditions;
use super::error::{ApiError, ErrorCode, ErrorResponse, ErrorType, current_request_id};
use super::extract::Caller;
use super::path::{PathId, not_found};
use crate::domain::event::Actor;
use crate::domain::ids::AccountId;
use crate::domain::version::{Precondition, Tag};
use crate::store::{Claim, KeptAnswer, Once, StoreError, StoreResult, Write};

pub const IDEMPOTENCY_KEY: HeaderName = HeaderName::from_static("idempotency-key");
pub const IDEMPOTENT_REPLAYED: HeaderName = HeaderName::from_static("idempotent-replayed");

/// Longest accepted key, in characters (the draft leaves it to the server; Stripe's is 255).
pub const MAX_KEY_LENGTH: usize = 255;

/// How long a key and its answer are kept by default (`--idempotency-key-ttl`).
pub const DEFAULT_KEY_TTL: Duration = Duration::from_secs(24 * 60 * 60);

/// The OpenAPI document's word on a create's headers.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(
    dead_code,
    reason = "describes the headers in the OpenAPI document; read by WriteHeaders"
)]
pub struct KeyedCreate {
    /// Makes a retry safe: the first request with a key is written and its answer kept for 24
    /// hours; a retry with the same key and request gets that answer again with
    /// `Idempotent-Replayed: true` and changes nothing; the same key with another request is
    /// refused with 422. Keys are per account; a UUID makes a good one.
    #[param(
        rename = "Idempotency-Key",
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = "^[!-~]+$"
    )]
    idempotency_key: Option<String>,
}

/// The OpenAPI document's word on the headers of a change to an existing object.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(
    dead_code,
    reason = "describes the headers in the OpenAPI document; read by WriteHeaders"
)]
pub struct KeyedChange {
    /// Makes a retry safe: the first request with a key is written and its answer kept for 24
    /// hours; a retry with the same key and request gets that answer again with
    /// `Idempotent-Replayed: true` and changes nothing; the same key with another request is
    /// refused with 422. Keys are per account; a UUID makes a good one.
    #[param(
        rename = "Idempotency-Key",
        nullable = false,
        min_length = 1,
        max_length = 255,
        pattern = "^[!-~]+$"
    )]
    idempotency_key: Option<String>,
    /// The `ETag` of the version the change is made from (or several, comma-separated): the
    /// change is refused with 412, and nothing changes, when the object is no longer that
    /// version. `*` makes no condition.
    #[param(rename = "If-Match", nullable = false)]
    if_match: Option<String>,
}

/// What a write takes from its request's headers: `If-Match` and `Idempotency-Key`.
pub struct WriteHeaders {
    precondition: Option<Precondition>,
    /// The key, with the method and path its fingerprint covers.
    key: Option<(String, Method, String)>,
    request_id: Uuid,
    ttl: Duration,
    /// Left by [`super::extract::Account`], which every write handler extracts first.
    actor: Actor,
}

impl<S> FromRequestParts<S> for WriteHeaders
where
    S: Send + Sync,
    super::AppState: axum::extract::FromRef<S>,
{
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let state = <super::AppState as axum::extract::FromRef<S>>::from_ref(state);
        let precondition = conditions::precondition(parts)?;
        let key = match parts.headers.get(IDEMPOTENCY_KEY) {
            None => None,
            Some(value) => Some((
                read_key(value)?,
                parts.method.clone(),
                parts.uri.path().to_owned(),
            )),
        };
        Ok(Self {
            precondition,
            key,
            request_id: current_request_id(),
            ttl: state.idempotency_key_ttl,
            actor: parts
                .extensions
                .get::<Caller>()
                .map_or(Actor::System, |Caller(actor)| *actor),
        })
    }
}

/// A key is 1 to 255 visible ASCII characters (no spaces, no control characters).
fn read_key(value: &HeaderValue) -> Result<String, ApiError> {
    let text = value.to_str().ok().filter(|text| {
        !text.is_empty()
            && text.len() <= MAX_KEY_LENGTH
            && text.bytes().all(|b| b.is_ascii_graphic())
    });
    text.map(str::to_owned).ok_or_else(|| {
        let mut err = ApiError::bad_request(
            ErrorCode::InvalidFieldValue,
            format!(
                "Idempotency-Key must be 1 to {MAX_KEY_LENGTH} visible ASCII characters, such as a UUID"
            ),
        );
        err.errors[0].field_name = Some("Idempotency-Key".to_owned());
        err
    })
}

/// Renders a write's outcome into its answer; also run by the store, inside the write, to keep
/// the answer of a keyed request.
pub type Render<T> = Arc<dyn Fn(&StoreResult<T>) -> KeptAnswer + Send + Sync>;

impl WriteHeaders {
    /// The request id the answers carry.
    pub fn request_id(&self) -> Uuid {
        self.request_id
    }

    /// The write's context for the store: the account, the precondition and, with a key, the
    /// claim on it (fingerprinted from the method, the path and the body as parsed, so that a
    /// retry that only spaces its JSON differently is the same request).
    /// The answer a keyed write keeps is also left in `sent`, so that the handler sends it
    /// without rendering the same outcome twice.
    fn write<T: 'static>(
        &self,
        account: AccountId,
        body: &Value,
        render: &Render<T>,
        sent: &Arc<Mutex<Option<KeptAnswer>>>,
    ) -> Write<T> {
        let once = self.key.as_ref().map(|(key, method, path)| {
            let mut digest = Sha256::new();
            digest.update(method.as_str());
            digest.update(b" ");
            digest.update(path.as_bytes());
            digest.update(b"\n");
            // Written straight into the digest; a `Value` always serializes.
            let _ = serde_json::to_writer(&mut digest, body);
            let (render, sent) = (Arc::clone(render), Arc::clone(sent));
            Once {
                claim: Claim {
                    key: key.clone(),
                    fingerprint: digest.finalize().into(),
                    expires_at: chrono::Duration::from_std(self.ttl)
                        .ok()
                        .and_then(|ttl| crate::store::now().checked_add_signed(ttl))
                        .unwrap_or(chrono::DateTime::<chrono::Utc>::MAX_UTC),
                },
                keep: Arc::new(move |outcome| {
                    let answer = render(outcome);
                    if let Ok(mut sent) = sent.lock() {
                        *sent = Some(answer.clone());
                    }
                    Some(answer)
                }),
            }
        });
        Write {
            account,
            precondition: self.precondition.clone(),
            once,
            actor: self.actor,
            request_id: Some(self.request_id.to_string()),
        }
    }

    /// Runs a write and answers it: the rendered outcome, a replayed answer, or the refusal of
    /// a key reused with another request.
    pub async fn run<T: 'static, F>(
        &self,
        account: AccountId,
        body: &Value,
        render: Render<T>,
        write: impl FnOnce(Write<T>) -> F,
    ) -> Written<T>
    where
        F: Future<Output = StoreResult<T>>,
    {
        let sent = Arc::default();
        let outcome = write(self.write(account, body, &render, &sent)).await;
        match outcome {
            Err(StoreError::Replayed(answer)) => {
                let mut response = response_of(KeptAnswer::clone(&answer));
                response
                    .headers_mut()
                    .insert(IDEMPOTENT_REPLAYED, HeaderValue::from_static("true"));
                Written {
                    value: None,
                    response,
                }
            }
            Err(StoreError::KeyReused) => Written {
                value: None,
                response: key_reused().into_response(),
            },
            outcome => {
                // A write that succeeded kept the answer of its last run, the one that was
                // committed; any failure (a commit that failed after the answer was kept, say) is
                // rendered afresh.
                let kept = match &outcome {
                    Ok(_) => sent.lock().ok().and_then(|mut sent| sent.take()),
                    Err(_) => None,
                };
                Written {
                    response: response_of(kept.unwrap_or_else(|| render(&outcome))),
                    value: outcome.ok(),
                }
            }
        }
    }
}

/// A write's answer, and what it wrote when it wrote something now (not for a replay or a
/// refusal), for the handler's log line.
pub struct Written<T> {
    pub value: Option<T>,
    pub response: Response,
}

/// The answer of a write the store refused: the 404 of the object the path names, or the
/// refusal.
pub(crate) fn refused_at(err: &StoreError, id: impl PathId, request_id: Uuid) -> KeptAnswer {
    let err = match err {
        StoreError::NotFound => not_found(id),
        other => ApiError::from(other),
    };
    refusal(err, request_id)
}

/// The answer of a write the store refused, for a write that names no object in its path.
pub fn refused(err: &StoreError, request_id: Uuid) -> KeptAnswer {
    refusal(ApiError::from(err), request_id)
}

/// The answer of a success: `body` as JSON, with the object's new `ETag`.
pub fn success(status: StatusCode, body: &impl Serialize, tag: Option<Tag>) -> KeptAnswer {
    let mut headers = vec![(CONTENT_TYPE.to_string(), "application/json".to_owned())];
    if let Some(tag) = tag {
        headers.push((ETAG.to_string(), format!("\"{tag}\"")));
    }
    match serde_json::to_vec(body) {
        Ok(body) => KeptAnswer {
            status: status.as_u16(),
            headers,
            body,
        },
        Err(err) => refusal(
            ApiError::internal(&format!("cannot serialize the answer: {err}")),
            current_request_id(),
        ),
    }
}

/// The answer of a success without a body (204), with the object's new `ETag`.
pub fn no_content(tag: Tag) -> KeptAnswer {
    let mut answer = done();
    answer
        .headers
        .push((ETAG.to_string(), format!("\"{tag}\"")));
    answer
}

/// The answer of a success without a body (204) on something that has no version.
pub fn done() -> KeptAnswer {
    KeptAnswer {
        status: StatusCode::NO_CONTENT.as_u16(),
        headers: Vec::new(),
        body: Vec::new(),
    }
}

/// The envelope of `err` as an answer, with the request id given (the store may render it on
/// another thread, outside the request's task).
pub fn refusal(err: ApiError, request_id: Uuid) -> KeptAnswer {
    let mut headers = vec![(CONTENT_TYPE.to_string(), "application/json".to_owned())];
    if let Some(secs) = err.retry_after() {
        headers.push((RETRY_AFTER.to_string(), secs.to_string()));
    }
    let body = ErrorResponse {
        request_id,
        errors: err.errors,
    };
    KeptAnswer {
        status: err.status.as_u16(),
        headers,
        // An envelope of strings always serializes.
        body: serde_json::to_vec(&body).unwrap_or_default(),
    }
}

fn response_of(answer: KeptAnswer) -> Response {
    let status = StatusCode::from_u16(answer.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut response = (status, answer.body).into_response();
    for (name, value) in &answer.headers {
        if let (Ok(name), Ok(value)) = (
            HeaderName::try_from(name.as_str()),
            HeaderValue::try_from(value.as_str()),
        ) {
            response.headers_mut().insert(name, value);
        }
    }
    if status.is_client_error() || status.is_server_error() {
        response.extensions_mut().insert(super::error::Enveloped);
    }
    response
}

/// 422: the key was used before with another request.
fn key_reused() -> ApiError {
    let mut err = ApiError::new(
        StatusCode::UNPROCESSABLE_ENTITY,
        ErrorType::Validation,
        ErrorCode::InvalidFieldValue,
        "this Idempotency-Key was already used with another request (another method, path or \
         body); use a new key for a new request",
    );
    err.errors[0].field_name = Some("Idempotency-Key".to_owned());
    err
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_is_one_to_255_visible_ascii_characters() {
        for good in ["a", "9f8e-11", &"k".repeat(255)] {
            assert_eq!(
                read_key(&HeaderValue::from_str(good).expect("header")).expect(good),
                good
            );
        }
        for bad in ["", "two words", &"k".repeat(256)] {
            let err = read_key(&HeaderValue::from_str(bad).expect("header")).expect_err(bad);
            assert_eq!(err.errors[0].field_name.as_deref(), Some("Idempotency-Key"));
        }
    }

    #[test]
    fn a_kept_refusal_carries_the_request_id_it_was_given() {
        let id = Uuid::new_v4();
        let kept = refusal(ApiError::bad_request(ErrorCode::InvalidStatus, "no"), id);
        assert_eq!(kept.status, 400);
        let body: Value = serde_json::from_slice(&kept.body).expect("json");
        assert_eq!(body["request_id"], id.to_string());
        assert_eq!(body["errors"][0]["message"], "no");
    }
}
