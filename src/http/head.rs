//! Procura's limits on a request head, checked before anything else reads it, so that an
//! oversized head is answered in the error envelope. hyper's own limits are set a little higher
//! (`serve::http_builder`): past those, and for bytes that are not HTTP, hyper's parser answers
//! with a bare status before any request exists, and the server swaps that answer for the
//! envelope of [`unparsed_refusal`] on its way out.

use axum::extract::Request;
use axum::http::StatusCode;

use uuid::Uuid;

use super::error::{ApiError, ErrorCode, ErrorResponse, ErrorType, detail};

/// Longest request target (path and query), in bytes.
pub const MAX_URI_BYTES: usize = 8 * 1024;
/// Most header fields in one request (hyper's own default).
pub const MAX_HEADERS: usize = 100;
/// Most bytes of header fields in one request, counting each as `name: value` and its line end.
pub const MAX_HEADER_BYTES: usize = 32 * 1024;

/// The refusal of a head over a limit, if it is over one.
pub fn check(req: &Request) -> Option<ApiError> {
    let uri = req.uri();
    let target = uri.path_and_query().map_or(0, |p| p.as_str().len())
        + uri.authority().map_or(0, |a| a.as_str().len());
    if target > MAX_URI_BYTES {
        return Some(ApiError::new(
            StatusCode::URI_TOO_LONG,
            ErrorType::Validation,
            ErrorCode::InvalidFieldValue,
            format!(
                "the request target is {target} bytes long; the limit is {MAX_URI_BYTES} bytes"
            ),
        ));
    }
    let headers = req.headers();
    if headers.len() > MAX_HEADERS {
        return Some(too_large(format!(
            "the request has {} header fields; the limit is {MAX_HEADERS}",
            headers.len()
        )));
    }
    let size = |(name, value): (&axum::http::HeaderName, &axum::http::HeaderValue)| {
        name.as_str().len() + value.len() + 4
    };
    let total: usize = headers.iter().map(size).sum();
    if total > MAX_HEADER_BYTES {
        let largest = headers.iter().max_by_key(|&h| size(h));
        let mut err = too_large(format!(
            "the request's header fields are {total} bytes; the limit is {MAX_HEADER_BYTES} bytes"
        ));
        if let Some((name, value)) = largest {
            err.errors[0].message +=
                &format!(" (the largest, {name}, is {} bytes)", size((name, value)));
            err.errors[0].field_name = Some(name.as_str().to_owned());
        }
        return Some(err);
    }
    None
}

fn too_large(message: String) -> ApiError {
    ApiError::new(
        StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
        ErrorType::Validation,
        ErrorCode::InvalidFieldValue,
        message,
    )
}

/// The envelope for a head that hyper's parser refused before Procura saw a request (bytes that
/// are not HTTP, or a head past hyper's own limits): its request id and JSON body, for a status
/// hyper answers that way.
pub fn unparsed_refusal(
    status: u16,
    hyper_max_headers: usize,
    hyper_max_head: usize,
) -> Option<(Uuid, Vec<u8>)> {
    let (code, message) = match status {
        400 => (
            ErrorCode::InvalidObject,
            "the request is not valid HTTP/1.1: its request line or a header field is malformed"
                .to_owned(),
        ),
        414 => (
            ErrorCode::InvalidFieldValue,
            format!(
                "the request target is over 65534 bytes long; the limit is {MAX_URI_BYTES} bytes"
            ),
        ),
        431 => (
            ErrorCode::InvalidFieldValue,
            format!(
                "the request head has over {hyper_max_headers} header fields or over \
                 {hyper_max_head} bytes; the limits are {MAX_HEADERS} header fields and \
                 {MAX_HEADER_BYTES} bytes of them"
            ),
        ),
        _ => return None,
    };
    let request_id = super::RequestId::generate();
    let body = ErrorResponse {
        request_id,
        errors: vec![detail(ErrorType::Validation, code, message, None, None)],
    };
    serde_json::to_vec(&body)
        .ok()
        .map(|body| (request_id, body))
}
