//! `page`, `page_size` and `cursor` in; `total`, `page`, `pages` and `links` out.
//!
//! A cursor (in `links.next.href`) carries the last id seen, the page number and the total, so
//! that following it neither counts nor skips rows again. It is signed with an HMAC whose key
//! the database keeps (every server on one database accepts the others' cursors), over what it
//! is valid for: the account, the list's path (which for a receipt ledger names the order), its
//! filters and its page size. A cursor that was made by hand, altered, or taken from another list
//! is refused with a 400.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde::Serialize;
use sha2::Sha256;
use utoipa::ToSchema;

use super::AppState;
use super::error::ApiError;
use super::extract::Account;
use super::fields::{Fields, Obj, string};
use crate::domain::Invalid;
use crate::domain::page::{Page, PageRequest, Position};
use crate::serve::LocalAddr;

pub const PAGE_PARAMS: [&str; 3] = ["page", "page_size", "cursor"];

/// The name of the cursor key among the database's secrets.
pub const CURSOR_KEY: &str = "cursor_hmac";

/// Bytes of the HMAC kept in a cursor: 128 bits, as unguessable as the key needs.
const TAG_BYTES: usize = 16;

/// The key that signs cursors.
#[derive(Clone)]
pub struct CursorKey(Arc<Hmac<Sha256>>);

impl CursorKey {
    pub fn new(secret: &[u8]) -> Self {
        // HMAC takes a key of any length; this cannot fail.
        let mac = Hmac::<Sha256>::new_from_slice(secret)
            .unwrap_or_else(|_| unreachable!("HMAC accepts keys of every length"));
        Self(Arc::new(mac))
    }

    /// A new random key, for a database that has none yet.
    pub fn fresh_secret() -> Vec<u8> {
        rand::random::<[u8; 32]>().to_vec()
    }

    fn tag(&self, scope: &str, position: &str) -> [u8; TAG_BYTES] {
        let mut mac = (*self.0).clone();
        mac.update(scope.as_bytes());
        mac.update(&[0]);
        mac.update(position.as_bytes());
        let full = mac.finalize().into_bytes();
        let mut tag = [0; TAG_BYTES];
        tag.copy_from_slice(&full[..TAG_BYTES]);
        tag
    }

    fn verify(&self, scope: &str, position: &str, tag: &[u8]) -> bool {
        let mut mac = (*self.0).clone();
        mac.update(scope.as_bytes());
        mac.update(&[0]);
        mac.update(position.as_bytes());
        mac.verify_truncated_left(tag).is_ok()
    }
}

impl std::fmt::Debug for CursorKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("CursorKey(..)")
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

/// The list being served: where its links point, and what its cursors are bound to.
pub struct ListUrl {
    /// `https://po.example.com/v2/suppliers`, or `/v2/suppliers` when the origin is not known.
    base: String,
    filters: Vec<(String, String)>,
    key: CursorKey,
    /// The account, the path and the filters: what a cursor of this list is signed over.
    scope: String,
}

impl FromRequestParts<AppState> for ListUrl {
    type Rejection = ApiError;

    /// Runs after [`Account`], which leaves the caller's account in the request's extensions.
    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let origin = origin(parts, state.public_url.as_deref());
        let filters: Vec<(String, String)> =
            serde_urlencoded::from_str::<Vec<(String, String)>>(parts.uri.query().unwrap_or(""))
                .unwrap_or_default()
                .into_iter()
                .filter(|(k, _): &(String, String)| !PAGE_PARAMS.contains(&k.as_str()))
                .collect();
        let account = parts
            .extensions
            .get::<Account>()
            .map_or(0, |Account(account)| account.0);
        let path = parts.uri.path();
        let mut scope = format!("{account}\n{path}");
        for (key, value) in &filters {
            scope.push('\n');
            scope.push_str(key);
            scope.push('=');
            scope.push_str(value);
        }
        Ok(Self {
            base: format!("{origin}{path}"),
            filters,
            key: state.cursor_key.clone(),
            scope,
        })
    }
}

/// The origin of links: `--public-url` when set; else the `Host` header only when it names the
/// address the connection came in on (`127.0.0.1:8080`, `localhost:8080`), since any client may
/// send any `Host`, and a link built from it would send the next request, API key and all,
/// wherever that client chose. Otherwise links are relative (`/v2/suppliers?...`), which a
/// client resolves against the address it called.
fn origin(parts: &Parts, public_url: Option<&str>) -> String {
    if let Some(url) = public_url {
        return url.trim_end_matches('/').to_owned();
    }
    let host = parts
        .headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok());
    let local = parts.extensions.get::<LocalAddr>().map(|LocalAddr(a)| *a);
    match (host, local) {
        (Some(host), Some(local)) if names_local(host, local) => format!("http://{host}"),
        _ => {
            static ONCE: std::sync::Once = std::sync::Once::new();
            ONCE.call_once(|| {
                tracing::warn!(
                    "a request's Host header does not name this server's address, so its \
                     pagination links are relative; set --public-url to the address clients use"
                );
            });
            String::new()
        }
    }
}

/// Whether `host` (a `Host` header) names `local`, the address a connection was accepted on.
fn names_local(host: &str, local: SocketAddr) -> bool {
    let port = local.port().to_string();
    let Some((name, host_port)) = host.rsplit_once(':') else {
        return false;
    };
    if host_port != port {
        return false;
    }
    let name = name.trim_start_matches('[').trim_end_matches(']');
    if name.eq_ignore_ascii_case("localhost") {
        return local.ip().is_loopback();
    }
    name.parse::<std::net::IpAddr>()
        .is_ok_and(|ip| ip == local.ip())
}

impl ListUrl {
    /// Reads `page_size` (1 to 500, default 50), `page` (from 1) and `cursor` (from
    /// `links.next`), refusing a cursor this list did not sign.
    pub fn read_page(&self, fields: &mut Fields, query: &Obj<'_>) -> PageRequest {
        self.read_page_up_to(fields, query, PageRequest::MAX_SIZE)
    }

    /// [`Self::read_page`] for a list whose items are large, with `page_size` from 1 to `max`
    /// (default the smaller of 50 and `max`).
    pub fn read_page_up_to(&self, fields: &mut Fields, query: &Obj<'_>, max: u64) -> PageRequest {
        let size = fields
            .optional(query, "page_size", |v| {
                string(v)?
                    .parse::<u64>()
                    .ok()
                    .filter(|n| (1..=max).contains(n))
                    .ok_or_else(|| {
                        Invalid::value(format!("must be a whole number from 1 to {max}"))
                    })
            })
            .unwrap_or(PageRequest::DEFAULT_SIZE.min(max));
        let number = fields.optional(query, "page", |v| {
            string(v)?
                .parse::<u64>()
                .ok()
                .filter(|n| (1..=1_000_000_000).contains(n))
                .ok_or_else(|| Invalid::value("must be a whole number from 1"))
        });
        let cursor = fields.optional(query, "cursor", |v| self.decode(string(v)?, size));
        let position = match (cursor, number) {
            (Some(position), _) => position,
            (None, Some(n)) => Position::Number(n),
            (None, None) => Position::Number(1),
        };
        PageRequest { size, position }
    }

    fn scope(&self, size: u64) -> String {
        format!("{}\npage_size={size}", self.scope)
    }

    fn encode(&self, after_id: i64, page: u64, total: u64, size: u64) -> String {
        let position = format!("2.{after_id}.{page}.{total}");
        let tag = self.key.tag(&self.scope(size), &position);
        format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(&position),
            URL_SAFE_NO_PAD.encode(tag)
        )
    }

    fn decode(&self, raw: &str, size: u64) -> Result<Position, Invalid> {
        let invalid = || {
            Invalid::value(
                "is not a cursor from links.next.href of a previous page of this list; use that \
                 link as it is",
            )
        };
        let (position, tag) = raw.split_once('.').ok_or_else(invalid)?;
        let position = URL_SAFE_NO_PAD
            .decode(position)
            .ok()
            .and_then(|b| String::from_utf8(b).ok())
            .ok_or_else(invalid)?;
        let tag = URL_SAFE_NO_PAD.decode(tag).map_err(|_| invalid())?;
        if tag.len() != TAG_BYTES || !self.key.verify(&self.scope(size), &position, &tag) {
            return Err(invalid());
        }
        let parts: Vec<&str> = position.split('.').collect();
        match parts.as_slice() {
            ["2", after, page, total] => {
                let after_id = after.parse().map_err(|_| invalid())?;
                let page: u64 = page.parse().map_err(|_| invalid())?;
                let total: u64 = total.parse().map_err(|_| invalid())?;
                // Signed by this server, so never out of range; checked all the same. The total
                // is not checked against the page: a feed's cursor goes on past what its first
                // page counted (`/v2/events`).
                if page < 2 {
                    return Err(invalid());
                }
                Ok(Position::After {
                    after_id,
                    page,
                    total,
                })
            }
            _ => Err(invalid()),
        }
    }

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
                    self.encode(after, page.page + 1, page.total, page.size),
                )))
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(scope: &str, key: &[u8]) -> ListUrl {
        ListUrl {
            base: "/v2/suppliers".into(),
            filters: vec![],
            key: CursorKey::new(key),
            scope: scope.into(),
        }
    }

    #[test]
    fn cursors_round_trip() {
        let suppliers = list("1\n/v2/suppliers", b"k");
        let cursor = suppliers.encode(12345, 7, 900, 50);
        assert_eq!(
            suppliers.decode(&cursor, 50),
            Ok(Position::After {
                after_id: 12345,
                page: 7,
                total: 900
            })
        );
    }

    #[test]
    fn forged_altered_and_foreign_cursors_are_refused() {
        let suppliers = list("1\n/v2/suppliers", b"k");
        let cursor = suppliers.encode(12345, 7, 900, 50);
        // Made by hand, with no tag or a tag of another position.
        assert!(suppliers.decode("not-a-cursor", 50).is_err());
        let forged = URL_SAFE_NO_PAD.encode("2.1.0.18446744073709551615");
        assert!(suppliers.decode(&forged, 50).is_err());
        let (_, tag) = cursor.split_once('.').unwrap();
        assert!(suppliers.decode(&format!("{forged}.{tag}"), 50).is_err());
        // Another page size, list, account or key.
        assert!(suppliers.decode(&cursor, 20).is_err());
        assert!(
            list("1\n/v2/purchase_orders", b"k")
                .decode(&cursor, 50)
                .is_err()
        );
        assert!(list("2\n/v2/suppliers", b"k").decode(&cursor, 50).is_err());
        assert!(
            list("1\n/v2/suppliers", b"other")
                .decode(&cursor, 50)
                .is_err()
        );
    }

    #[test]
    fn only_a_host_naming_the_accepting_address_is_trusted() {
        let local: SocketAddr = "127.0.0.1:8080".parse().unwrap();
        assert!(names_local("127.0.0.1:8080", local));
        assert!(names_local("localhost:8080", local));
        assert!(names_local("LOCALHOST:8080", local));
        assert!(!names_local("evil.example", local));
        assert!(!names_local("evil.example:8080", local));
        assert!(!names_local("127.0.0.1:9090", local));
        assert!(!names_local("127.0.0.2:8080", local));
        let v6: SocketAddr = "[::1]:8080".parse().unwrap();
        assert!(names_local("[::1]:8080", v6));
        let public: SocketAddr = "10.0.0.5:8080".parse().unwrap();
        assert!(!names_local("localhost:8080", public));
    }
}
