//! The web app's cookies: the session and, before sign-in, the seed of the sign-in form's CSRF
//! token. Both are `HttpOnly` (no script reads them), `SameSite=Lax` (not sent on another site's
//! form posts) and `Secure` when the app is reached over https.

use axum::http::{HeaderMap, HeaderValue, header};

pub const SESSION: &str = "procura_session";
pub const PRE_SESSION: &str = "procura_pre";

/// The value of the cookie `name` in a request.
pub fn read<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(key, _)| *key == name)
        .map(|(_, value)| value)
        .filter(|value| !value.is_empty())
}

/// A `Set-Cookie` for the whole app, ending with the browser session unless `max_age` is given.
/// Values are hex secrets, so they need no quoting.
pub fn set(name: &str, value: &str, secure: bool, max_age: Option<i64>) -> HeaderValue {
    let mut cookie = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(seconds) = max_age {
        cookie.push_str(&format!("; Max-Age={seconds}"));
    }
    if secure {
        cookie.push_str("; Secure");
    }
    HeaderValue::from_str(&cookie).unwrap_or_else(|_| HeaderValue::from_static(""))
}

/// A `Set-Cookie` that removes the cookie `name`.
pub fn clear(name: &str, secure: bool) -> HeaderValue {
    set(name, "", secure, Some(0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_read_by_exact_name_and_set_http_only_same_site() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            HeaderValue::from_static("procura_sessionx=1; procura_session=abc; other=2"),
        );
        assert_eq!(read(&headers, SESSION), Some("abc"));
        assert_eq!(read(&headers, "missing"), None);
        assert_eq!(
            set(SESSION, "abc", true, None),
            "procura_session=abc; Path=/; HttpOnly; SameSite=Lax; Secure"
        );
        assert_eq!(
            clear(SESSION, false),
            "procura_session=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"
        );
    }
}
