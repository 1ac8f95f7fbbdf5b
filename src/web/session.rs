//! The signed-in user of a request, from its session cookie, and the checks every form makes.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use chrono::{Duration, Utc};

use super::WebState;
use super::cookies;
use super::csrf;
use super::form::Fields;
use super::page::{Nav, PageError};
use crate::domain::event::Actor;
use crate::domain::user::{SessionUser, hash_secret};
use crate::http::error::current_request_id;
use crate::store::Write;

/// A request of a live session: its user, and the token its cookie carries (the seed of its
/// forms' CSRF tokens).
pub struct Signed {
    pub user: SessionUser,
    token: String,
}

/// Most time between two writes of a session's last request time: each request need not write.
const TOUCH_EVERY: Duration = Duration::seconds(60);

impl FromRequestParts<WebState> for Signed {
    type Rejection = PageError;

    async fn from_request_parts(parts: &mut Parts, state: &WebState) -> Result<Self, PageError> {
        let token = cookies::read(&parts.headers, cookies::SESSION).ok_or(PageError::SignIn)?;
        let hash = hash_secret(token);
        let user = state
            .store()
            .session(hash)
            .await?
            .ok_or(PageError::SignIn)?;
        let now = Utc::now();
        if !user.is_live(state.sessions, now) {
            state.store().end_session(hash).await?;
            return Err(PageError::Expired);
        }
        let step = TOUCH_EVERY.min(state.sessions.idle / 4);
        if now - user.last_seen_at >= step {
            state
                .store()
                .touch_session(hash, crate::store::now())
                .await?;
        }
        Ok(Self {
            user,
            token: token.to_owned(),
        })
    }
}

impl Signed {
    /// A write made by this user: their account, and them as the actor its history records.
    pub fn write<T>(&self) -> Write<T> {
        Write {
            actor: Actor::User(self.user.user),
            request_id: Some(current_request_id().to_string()),
            ..Write::from(self.user.account)
        }
    }

    /// The CSRF token of this session's forms.
    pub fn csrf(&self, state: &WebState) -> String {
        state.csrf.token(&self.token)
    }

    pub fn nav(&self, state: &WebState) -> Nav {
        Nav::new(&self.user, self.csrf(state))
    }

    /// Refuses a form without this session's token.
    pub fn check(&self, state: &WebState, fields: &Fields) -> Result<(), PageError> {
        self.check_token(state, fields.get(csrf::FIELD))
    }

    /// Refuses a form whose CSRF field (read by the caller, as from a multipart form) is not this
    /// session's token.
    pub fn check_token(&self, state: &WebState, token: &str) -> Result<(), PageError> {
        if state.csrf.check(&self.token, token) {
            Ok(())
        } else {
            Err(PageError::Csrf)
        }
    }

    /// Refuses what the user's role may not do.
    pub fn may(&self, allowed: fn(crate::domain::user::Role) -> bool) -> Result<(), PageError> {
        if allowed(self.user.role) {
            Ok(())
        } else {
            Err(PageError::Forbidden)
        }
    }

    pub fn token_hash(&self) -> [u8; 32] {
        hash_secret(&self.token)
    }
}
