//! What every page shares: the navigation of the signed-in user, rendering a template, and the
//! pages of refusals (403, 404, an expired form) and failures.

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};

use super::cookies;
use crate::domain::user::{Role, SessionUser};
use crate::store::StoreError;

/// The header of every page of a signed-in user: who it is, what it may reach, and the token
/// of its sign-out form.
pub struct Nav {
    pub email: String,
    pub role: Role,
    pub csrf: String,
}

impl Nav {
    pub fn new(user: &SessionUser, csrf: String) -> Self {
        Self {
            email: user.email.to_string(),
            role: user.role,
            csrf,
        }
    }
}

/// A rendered page, or the 500 page when the template fails (a bug).
pub fn render(status: StatusCode, template: &impl Template) -> Response {
    match template.render() {
        Ok(body) => (status, Html(body)).into_response(),
        Err(err) => {
            tracing::error!(error = %err, "a page template failed");
            PageError::Internal.into_response()
        }
    }
}

pub fn ok(template: &impl Template) -> Response {
    render(StatusCode::OK, template)
}

/// After a form's success: back to a page with a plain GET (post, redirect, get), so that a
/// reload does not post again.
pub fn see(path: &str) -> Response {
    Redirect::to(path).into_response()
}

#[derive(Debug)]
pub enum PageError {
    /// No session: the sign-in page.
    SignIn,
    /// The session ended (idle or too old): the sign-in page, saying so.
    Expired,
    /// The user's role may not do this.
    Forbidden,
    /// Nothing by that id in the user's account (another account's objects included).
    NotFound,
    /// The form's CSRF token is missing or wrong.
    Csrf,
    /// A form that no page of the app sends.
    BadForm(String),
    /// The database cannot be reached just now.
    Unavailable,
    Internal,
}

impl From<StoreError> for PageError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::NotFound => PageError::NotFound,
            StoreError::Unavailable(fault) => {
                tracing::warn!(error = %fault.chain(), "a page found the store unavailable");
                PageError::Unavailable
            }
            other => {
                tracing::error!(error = %other, "a page failed");
                PageError::Internal
            }
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    nav: Option<Nav>,
    title: &'a str,
    message: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let (status, title, message): (StatusCode, &str, String) = match self {
            PageError::SignIn => return Redirect::to("/app/sign-in").into_response(),
            PageError::Expired => {
                let mut response = Redirect::to("/app/sign-in?expired=1").into_response();
                response
                    .headers_mut()
                    .insert(header::SET_COOKIE, cookies::clear(cookies::SESSION, false));
                return response;
            }
            PageError::Forbidden => (
                StatusCode::FORBIDDEN,
                "Not allowed",
                "Your role does not allow this. Ask an admin of your account.".into(),
            ),
            PageError::NotFound => (
                StatusCode::NOT_FOUND,
                "Not found",
                "There is nothing here. It may have been removed, or the link is wrong.".into(),
            ),
            PageError::Csrf => (
                StatusCode::FORBIDDEN,
                "Form expired",
                "This form is no longer valid. Go back, reload the page and send it again.".into(),
            ),
            PageError::BadForm(what) => (StatusCode::BAD_REQUEST, "Bad form", what),
            PageError::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "Try again",
                "The database is busy or unreachable. Try again in a moment.".into(),
            ),
            PageError::Internal => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Something went wrong",
                "The error is logged. Try again, or tell your administrator.".into(),
            ),
        };
        let page = ErrorPage {
            nav: None,
            title,
            message: &message,
        };
        match page.render() {
            Ok(body) => (status, Html(body)).into_response(),
            Err(_) => (status, message).into_response(),
        }
    }
}

pub type PageResult<T = Response> = Result<T, PageError>;

/// The page of a list that its "Next page" link asks for (`after`, `page` and `total` in the
/// link's query, as the API's cursor carries them), or the first page.
pub fn requested(
    after: Option<i64>,
    page: Option<u64>,
    total: Option<u64>,
) -> crate::domain::page::PageRequest {
    use crate::domain::page::{PageRequest, Position};
    let size = PageRequest::DEFAULT_SIZE;
    match (after, page, total) {
        (Some(after_id), Some(page), Some(total)) => PageRequest {
            size,
            position: Position::After {
                after_id,
                page,
                total,
            },
        },
        _ => PageRequest::first(size),
    }
}
