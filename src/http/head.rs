//! Procura's limits on a request head, checked before anything else reads it, so that an
//! oversized head is answered in the error envelope. hyper's own limits are set a little higher
//! (`serve::http_builder`): past those, hyper answers with a bare status and no body.

use axum::extract::Request;
use axum::http::StatusCode;

use super::error::{ApiError, ErrorCode, ErrorType};

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
