//! Entity tags and conditional requests (RFC 9110 section 13): `ETag` on every read and write of
//! a purchase order, supplier, warehouse or location; `If-None-Match` on reads (304 when the
//! client's copy is current); `If-Match` on writes (412 when it is stale, checked by the store in
//! the same step as the write).

use axum::http::header::{ETAG, IF_MATCH, IF_NONE_MATCH};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::{ApiError, ErrorCode, ErrorType};
use crate::domain::version::{Precondition, Tag};

/// The OpenAPI document's word on a read's conditional header.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Header)]
#[expect(
    dead_code,
    reason = "describes the header in the OpenAPI document; read by read_answer"
)]
pub struct ConditionalRead {
    /// The `ETag` of the copy the client holds (or several, comma-separated): when the object is
    /// still that version the answer is 304 without a body.
    #[param(rename = "If-None-Match", nullable = false)]
    if_none_match: Option<String>,
}

/// The `ETag` value of `tag`: a strong entity tag.
pub fn etag(tag: Tag) -> HeaderValue {
    // Digits and one dot, always a valid header value.
    HeaderValue::try_from(format!("\"{tag}\"")).unwrap_or(HeaderValue::from_static("\"0\""))
}

/// A read's answer: 304 without a body when `If-None-Match` names the current tag, otherwise
/// `answer` with the `ETag`.
pub fn read_answer(headers: &HeaderMap, tag: Tag, answer: impl IntoResponse) -> Response {
    let current = etag(tag);
    if headers
        .get_all(IF_NONE_MATCH)
        .iter()
        .any(|value| none_match_names(value.as_bytes(), tag))
    {
        return (StatusCode::NOT_MODIFIED, [(ETAG, current)]).into_response();
    }
    let mut response = answer.into_response();
    response.headers_mut().insert(ETAG, current);
    response
}

/// Whether an `If-None-Match` value names `tag`, by weak comparison: `*`, or a list in which one
/// entity tag, `W/` or not, is `tag`'s.
fn none_match_names(value: &[u8], tag: Tag) -> bool {
    let Ok(text) = std::str::from_utf8(value) else {
        return false;
    };
    if text.trim() == "*" {
        return true;
    }
    entity_tags(text).is_some_and(|tags| {
        tags.iter()
            .any(|(_, opaque)| Tag::parse(opaque) == Some(tag))
    })
}

/// The precondition of a write's `If-Match`: `None` without the header or with `*` (the write
/// asks that the object exist, which every write asks anyway). Strong comparison: a weak tag
/// never matches, so it always fails the precondition, as RFC 9110 requires.
pub fn precondition(parts: &Parts) -> Result<Option<Precondition>, ApiError> {
    let mut tags = Vec::new();
    let mut seen = false;
    for value in parts.headers.get_all(IF_MATCH) {
        seen = true;
        let text = value.to_str().map_err(|_| malformed_if_match())?;
        if text.trim() == "*" {
            return Ok(None);
        }
        for (weak, opaque) in entity_tags(text).ok_or_else(malformed_if_match)? {
            if let (false, Some(tag)) = (weak, Tag::parse(opaque)) {
                tags.push(tag);
            }
        }
    }
    Ok(seen.then(|| Precondition::new(tags)))
}

/// The entity tags of a header value, `(weak, opaque)` each; `None` when it is not a list of
/// entity tags. Written by hand: RFC 9110's grammar is a few lines, and the `http` crate does not
/// parse it.
fn entity_tags(text: &str) -> Option<Vec<(bool, &str)>> {
    let mut tags = Vec::new();
    for item in text.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let (weak, quoted) = match item.strip_prefix("W/") {
            Some(rest) => (true, rest),
            None => (false, item),
        };
        let opaque = quoted.strip_prefix('"')?.strip_suffix('"')?;
        if opaque.contains('"') {
            return None;
        }
        tags.push((weak, opaque));
    }
    (!tags.is_empty()).then_some(tags)
}

fn malformed_if_match() -> ApiError {
    let mut err = ApiError::bad_request(
        ErrorCode::InvalidFieldValue,
        "If-Match must be * or a list of entity tags such as \"3\", as the ETag header gives them",
    );
    err.errors[0].field_name = Some("If-Match".to_owned());
    err
}

/// 412: the object changed since the client read it.
pub fn stale(current: Tag) -> ApiError {
    let mut err = ApiError::new(
        StatusCode::PRECONDITION_FAILED,
        ErrorType::Validation,
        ErrorCode::FieldConflict,
        format!(
            "the object was changed since If-Match's entity tag was read; it is now \"{current}\": \
             read it again, then retry the change"
        ),
    );
    err.errors[0].field_name = Some("If-Match".to_owned());
    err.errors[0].field_value = Some(format!("\"{current}\""));
    err
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::version::Version;

    fn parts(if_match: &[&str]) -> Parts {
        let mut request = axum::http::Request::builder();
        for value in if_match {
            request = request.header(IF_MATCH, *value);
        }
        request.body(()).expect("request").into_parts().0
    }

    #[test]
    fn if_match_reads_strong_tags_and_fails_weak_ones() {
        let pre = precondition(&parts(&["\"3\", W/\"4\"", "\"5.2\""]))
            .expect("parsed")
            .expect("a precondition");
        assert!(pre.admits(Tag::of(Version(3))));
        assert!(!pre.admits(Tag::of(Version(4))), "weak tags never match");
        assert!(pre.admits(Tag::of_order(Version(5), Version(2))));
    }

    #[test]
    fn if_match_star_or_absent_makes_no_precondition() {
        assert_eq!(precondition(&parts(&["*"])).expect("parsed"), None);
        assert_eq!(precondition(&parts(&[])).expect("parsed"), None);
    }

    #[test]
    fn if_match_of_unknown_tags_admits_nothing() {
        let pre = precondition(&parts(&["\"abc\""]))
            .expect("parsed")
            .expect("a precondition");
        assert!(!pre.admits(Tag::of(Version(1))));
    }

    #[test]
    fn if_match_that_is_no_list_of_tags_is_refused_by_name() {
        for bad in ["3", "\"3", "W/3", ",", "\"a\"b\""] {
            let err = precondition(&parts(&[bad])).expect_err(bad);
            assert_eq!(err.status, StatusCode::BAD_REQUEST);
            assert_eq!(
                err.errors[0].field_name.as_deref(),
                Some("If-Match"),
                "{bad}"
            );
        }
    }

    #[test]
    fn if_none_match_compares_weakly() {
        let tag = Tag::of(Version(7));
        assert!(none_match_names(b"\"7\"", tag));
        assert!(none_match_names(b"W/\"7\"", tag));
        assert!(none_match_names(b"\"1\", \"7\"", tag));
        assert!(none_match_names(b"*", tag));
        assert!(!none_match_names(b"\"8\"", tag));
        assert!(!none_match_names(b"7", tag));
    }
}
