//! The one API error type. Every refusal, including the framework's own (malformed JSON, unknown
//! route, wrong method, oversized body, timeout, panic), leaves as ShipStation's error envelope.

use std::time::Duration;

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use super::refusals::{Rule, problem};
use crate::domain::Invalid;
use crate::domain::refusal::Refusal;
use crate::store::StoreError;
use crate::telemetry::Throttle;

tokio::task_local! {
    /// The id of the request being served, for the envelope and the logs.
    pub static REQUEST_ID: Uuid;
}

/// `error_type`: the closed enum of ShipStation's document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorType {
    AccountStatus,
    BusinessRules,
    Validation,
    Security,
    System,
    Integrations,
}

/// `error_code`: the closed enum of ShipStation's document (Procura uses a few of them).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    AutoFundNotSupported,
    BatchCannotBeModified,
    CarrierConflict,
    CarrierDisconnected,
    CarrierNotConnected,
    CarrierNotSupported,
    ConfirmationNotSupported,
    DefaultWarehouseCannotBeDeleted,
    FieldConflict,
    FieldValueRequired,
    Forbidden,
    IdentifierConflict,
    IdentifiersMustMatch,
    InsufficientFunds,
    InvalidAddress,
    InvalidBillingPlan,
    InvalidFieldValue,
    InvalidIdentifier,
    InvalidStatus,
    InvalidStringLength,
    LabelImagesNotSupported,
    MeterFailure,
    OrderSourceNotActive,
    RateLimitExceeded,
    RefreshNotSupported,
    RequestBodyRequired,
    ReturnLabelNotSupported,
    SettingsNotSupported,
    SubscriptionInactive,
    TermsNotAccepted,
    TrackingNotSupported,
    TrialExpired,
    Unauthorized,
    Unknown,
    Unspecified,
    VerificationFailure,
    WarehouseConflict,
    WebhookEventTypeConflict,
    CustomsItemsRequired,
    IncompatiblePairedLabels,
    InvalidChargeEvent,
    InvalidObject,
    NoRatesReturned,
}

/// `error_source`: Procura only ever speaks for itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
pub enum ErrorSource {
    #[serde(rename = "carrier")]
    Carrier,
    #[serde(rename = "order_source")]
    OrderSource,
    ShipStation,
}

/// One entry of `errors[]`.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct ErrorDetail {
    pub error_source: ErrorSource,
    pub error_type: ErrorType,
    pub error_code: ErrorCode,
    pub message: String,
    /// The field that caused the error, as a path such as `products[2].quantity`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_name: Option<String>,
    /// The refused value, as text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field_value: Option<String>,
}

/// The envelope of every error answer.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[schema(as = error_response_body)]
pub struct ErrorResponse {
    /// The request's id, also in the `X-Request-Id` header and in the server's logs.
    pub request_id: Uuid,
    pub errors: Vec<ErrorDetail>,
}

/// Most problems one error answer lists in full.
pub const MAX_ERRORS: usize = 100;

/// Marks a response whose body is already the envelope.
#[derive(Clone, Copy)]
pub struct Enveloped;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    pub errors: Vec<ErrorDetail>,
    retry_after: Option<u64>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    pub fn new(
        status: StatusCode,
        error_type: ErrorType,
        error_code: ErrorCode,
        message: impl Into<String>,
    ) -> Self {
        Self {
            status,
            errors: vec![detail(error_type, error_code, message.into(), None, None)],
            retry_after: None,
        }
    }

    /// A 400 listing the problems found in a request (at most [`MAX_ERRORS`]).
    pub fn validation(errors: Vec<ErrorDetail>) -> Self {
        Self::validation_with_more(errors, 0)
    }

    /// A 400 listing at most [`MAX_ERRORS`] problems, then one entry that counts those not
    /// listed: `more` found but not kept, and any past the limit in `errors`. A body of a
    /// megabyte of mistakes must not become an answer fifty times its size.
    pub fn validation_with_more(mut errors: Vec<ErrorDetail>, more: usize) -> Self {
        let more = more + errors.len().saturating_sub(MAX_ERRORS);
        errors.truncate(MAX_ERRORS);
        if more > 0 {
            errors.push(detail(
                ErrorType::Validation,
                ErrorCode::InvalidObject,
                format!(
                    "{more} more problem(s) in this request are not listed; fix the ones above and \
                     send it again"
                ),
                None,
                None,
            ));
        }
        Self {
            status: StatusCode::BAD_REQUEST,
            errors,
            retry_after: None,
        }
    }

    /// A 400 for one field of the request.
    pub fn field(field: &str, value: Option<String>, invalid: &Invalid) -> Self {
        Self::validation(vec![field_detail(field, value, invalid)])
    }

    pub fn bad_request(error_code: ErrorCode, message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            ErrorType::Validation,
            error_code,
            message,
        )
    }

    /// 404 for an id that names nothing in the caller's account (or nothing at all).
    pub fn not_found(kind: &str, field: &str, id: &str) -> Self {
        let mut err = Self::new(
            StatusCode::NOT_FOUND,
            ErrorType::Validation,
            ErrorCode::InvalidIdentifier,
            format!("{kind} {id} was not found"),
        );
        err.errors[0].field_name = Some(field.to_owned());
        err.errors[0].field_value = Some(id.to_owned());
        err
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            ErrorType::Security,
            ErrorCode::Unauthorized,
            message,
        )
    }

    pub fn rate_limited(retry_after_secs: u64) -> Self {
        let mut err = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            ErrorType::System,
            ErrorCode::RateLimitExceeded,
            format!("rate limit exceeded; retry after {retry_after_secs} second(s)"),
        );
        err.retry_after = Some(retry_after_secs);
        err
    }

    /// A 500. `detail` goes to the log with the request id, never to the client.
    pub fn internal(detail: &str) -> Self {
        tracing::error!(error = detail, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorType::System,
            ErrorCode::Unknown,
            "an internal error occurred; quote the request_id when reporting it",
        )
    }

    /// A 503: the database is out of reach; the client may retry.
    pub fn unavailable(detail: &str) -> Self {
        static LOG: Throttle = Throttle::new(Duration::from_secs(10));
        if let Some(held_back) = LOG.admit() {
            tracing::error!(
                error = detail,
                held_back,
                "database unavailable; like lines are held back for 10 s and counted in held_back"
            );
        }
        let mut err = Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorType::System,
            ErrorCode::Unspecified,
            "the service is temporarily unavailable; retry shortly",
        );
        err.retry_after = Some(1);
        err
    }

    /// The `Retry-After` the answer carries, in seconds.
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// Asks the client to come back after `secs` seconds (`Retry-After`).
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after = Some(secs);
        self
    }

    /// The envelope for a bare status produced below the handlers (routing, limits, timeouts).
    pub fn from_status(status: StatusCode) -> Self {
        let (error_type, code, message) = match status {
            StatusCode::NOT_FOUND => (
                ErrorType::Validation,
                ErrorCode::Unspecified,
                "no such route".to_owned(),
            ),
            StatusCode::METHOD_NOT_ALLOWED => (
                ErrorType::Validation,
                ErrorCode::Unspecified,
                "method not allowed on this route".to_owned(),
            ),
            StatusCode::PAYLOAD_TOO_LARGE => (
                ErrorType::Validation,
                ErrorCode::InvalidObject,
                format!(
                    "request body is larger than the limit of {} bytes",
                    super::BODY_LIMIT
                ),
            ),
            StatusCode::REQUEST_TIMEOUT => (
                ErrorType::System,
                ErrorCode::Unspecified,
                "the request took too long and was abandoned".to_owned(),
            ),
            s if s.is_server_error() => (
                ErrorType::System,
                ErrorCode::Unknown,
                "an internal error occurred; quote the request_id when reporting it".to_owned(),
            ),
            s => (
                ErrorType::Validation,
                ErrorCode::Unspecified,
                s.canonical_reason().unwrap_or("error").to_lowercase(),
            ),
        };
        Self::new(status, error_type, code, message)
    }
}

pub fn detail(
    error_type: ErrorType,
    error_code: ErrorCode,
    message: String,
    field_name: Option<String>,
    field_value: Option<String>,
) -> ErrorDetail {
    ErrorDetail {
        error_source: ErrorSource::ShipStation,
        error_type,
        error_code,
        message,
        field_name,
        field_value,
    }
}

/// One refused field: the path names the field, the message says what was wrong with it.
pub fn field_detail(field: &str, value: Option<String>, invalid: &Invalid) -> ErrorDetail {
    let code = match invalid {
        Invalid::Required => ErrorCode::FieldValueRequired,
        Invalid::Length { .. } => ErrorCode::InvalidStringLength,
        Invalid::Identifier(_) => ErrorCode::InvalidIdentifier,
        Invalid::Value(_) => ErrorCode::InvalidFieldValue,
    };
    detail(
        ErrorType::Validation,
        code,
        format!("{field} {invalid}"),
        Some(field.to_owned()),
        value,
    )
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        Self::from(&err)
    }
}

impl From<&StoreError> for ApiError {
    fn from(err: &StoreError) -> Self {
        match err {
            // Handlers turn NotFound into a precise 404 themselves; reaching here is a bug.
            StoreError::NotFound => ApiError::internal("unmapped NotFound from the store"),
            StoreError::Rejected(refusals) => rejected(refusals),
            StoreError::Unavailable(fault) => ApiError::unavailable(&fault.chain()),
            StoreError::Internal(fault) => ApiError::internal(&fault.chain()),
            StoreError::Stale(current) => super::conditions::stale(*current),
            // Keyed writes are answered by `idempotency::WriteHeaders::run`; reaching here is a bug.
            StoreError::Replayed(_) | StoreError::KeyReused => {
                ApiError::internal("a keyed write's answer was not handled")
            }
        }
    }
}

fn rejected(refusals: &[Refusal]) -> ApiError {
    let missing = refusals.iter().any(|r| problem(r).rule == Rule::Missing);
    let errors = refusals
        .iter()
        .map(|refusal| {
            let p = problem(refusal);
            let (error_type, code) = match p.rule {
                Rule::UnknownReference => (ErrorType::Validation, ErrorCode::InvalidIdentifier),
                Rule::InvalidStatus => (ErrorType::BusinessRules, ErrorCode::InvalidStatus),
                Rule::Duplicate => (ErrorType::Validation, ErrorCode::FieldConflict),
                Rule::InUse => (ErrorType::BusinessRules, ErrorCode::IdentifierConflict),
                Rule::WarehouseMismatch => (ErrorType::BusinessRules, ErrorCode::WarehouseConflict),
                Rule::InvalidValue => (ErrorType::BusinessRules, ErrorCode::InvalidFieldValue),
                Rule::Missing => (ErrorType::Validation, ErrorCode::InvalidIdentifier),
            };
            detail(error_type, code, p.message, p.field, p.value)
        })
        .collect();
    let mut err = ApiError::validation(errors);
    if missing {
        err.status = StatusCode::NOT_FOUND;
    }
    err
}

/// The request id of the task serving the current request; a fresh one outside of a request.
pub fn current_request_id() -> Uuid {
    REQUEST_ID
        .try_with(|id| *id)
        .unwrap_or_else(|_| super::RequestId::generate())
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorResponse {
            request_id: current_request_id(),
            errors: self.errors,
        };
        let mut response = (self.status, super::json::Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response.extensions_mut().insert(Enveloped);
        response
    }
}
