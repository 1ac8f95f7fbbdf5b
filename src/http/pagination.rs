//! `page`, `page_size` and `cursor` in; `total`, `page`, `pages` and `links` out.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;
use super::error::ApiError;
use super::fields::{Fields, Obj, string};
use crate::domain::Invalid;
use crate::domain::page::{Page, PageRequest, Position};

pub const PAGE_PARAMS: [&str; 3] = ["page", "page_size", "cursor"];

/// Reads `page_size` (1 to 500, default 50), `page` (from 1) and `cursor` (from `links.next`).
pub fn read_page(fields: &mut Fields, query: &Obj<'_>) -> PageRequest {
    let size = fields
        .optional(query, "page_size", |v| {
            string(v)?
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=PageRequest::MAX_SIZE).contains(n))
                .ok_or_else(|| Invalid::value("must be a whole number from 1 to 500"))
        })
        .unwrap_or(PageRequest::DEFAULT_SIZE);
    let number = fields.optional(query, "page", |v| {
        string(v)?
            .parse::<u64>()
            .ok()
            .filter(|n| (1..=1_000_000_000).contains(n))
            .ok_or_else(|| Invalid::value("must be a whole number from 1"))
    });
    let cursor = fields.optional(query, "cursor", |v| decode_cursor(string(v)?));
    let position = match (cursor, number) {
        (Some(position), _) => position,
        (None, Some(n)) => Position::Number(n),
        (None, None) => Position::Number(1),
    };
    PageRequest { size, position }
}

fn encode_cursor(after_id: i64, page: u64, total: u64) -> String {
    URL_SAFE_NO_PAD.encode(format!("1.{after_id}.{page}.{total}"))
}

fn decode_cursor(raw: &str) -> Result<Position, Invalid> {
    let invalid = || Invalid::value("is not a cursor from links.next.href of a previous page");
    let text = URL_SAFE_NO_PAD
        .decode(raw)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .ok_or_else(invalid)?;
    let parts: Vec<&str> = text.split('.').collect();
    match parts.as_slice() {
        ["1", after, page, total] => Ok(Position::After {
            after_id: after.parse().map_err(|_| invalid())?,
            page: page.parse().map_err(|_| invalid())?,
            total: total.parse().map_err(|_| invalid())?,
        }),
        _ => Err(invalid()),
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Link {
    pub href: String,
}

/// `first` and `last` always; `prev` when there is a page before, `next` when there is a page
/// after. ShipStation's document types both as objects, so a strictly generated client refuses
/// `null`: without a page, the key is left out.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct Links {
    pub first: Link,
    pub last: Link,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub prev: Option<Link>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next: Option<Link>,
}

/// The address of the list being served, to build `links` from: origin, path, and the
/// filters of the request (everything but the paging parameters).
pub struct ListUrl {
    base: String,
    filters: Vec<(String, String)>,
}

impl FromRequestParts<AppState> for ListUrl {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let origin = match &state.public_url {
            Some(url) => url.trim_end_matches('/').to_owned(),
            None => {
                let host = parts
                    .headers
                    .get(header::HOST)
                    .and_then(|h| h.to_str().ok())
                    .unwrap_or("localhost");
                format!("http://{host}")
            }
        };
        let filters: Vec<(String, String)> =
            serde_urlencoded::from_str::<Vec<(String, String)>>(parts.uri.query().unwrap_or(""))
                .unwrap_or_default()
                .into_iter()
                .filter(|(k, _): &(String, String)| !PAGE_PARAMS.contains(&k.as_str()))
                .collect();
        Ok(Self {
            base: format!("{origin}{}", parts.uri.path()),
            filters,
        })
    }
}

impl ListUrl {
    pub fn links<T>(&self, page: &Page<T>) -> Links {
        let size = page.size.to_string();
        let href = |extra: Option<(&str, String)>| {
            let mut pairs: Vec<(&str, &str)> = self
                .filters
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            pairs.push(("page_size", &size));
            if let Some((key, value)) = &extra {
                pairs.push((key, value));
            }
            let query = serde_urlencoded::to_string(&pairs).unwrap_or_default();
            Link {
                href: format!("{}?{query}", self.base),
            }
        };
        let pages = page.pages();
        Links {
            first: href(None),
            last: href(Some(("page", pages.to_string()))),
            prev: (page.page > 1).then(|| href(Some(("page", (page.page - 1).to_string())))),
            next: page.next_after.map(|after| {
                href(Some((
                    "cursor",
                    encode_cursor(after, page.page + 1, page.total),
                )))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip() {
        let cursor = encode_cursor(12345, 7, 900);
        assert_eq!(
            decode_cursor(&cursor),
            Ok(Position::After {
                after_id: 12345,
                page: 7,
                total: 900
            })
        );
    }

    #[test]
    fn tampered_cursors_are_refused() {
        assert!(decode_cursor("not-a-cursor").is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("2.1.2.3")).is_err());
        assert!(decode_cursor(&URL_SAFE_NO_PAD.encode("1.x.2.3")).is_err());
    }
}
