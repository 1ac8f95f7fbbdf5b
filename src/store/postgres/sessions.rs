//! Sessions of the web app's users, kept by the hash of their cookie's token, so that every
//! server on the database knows every session.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::Row;

use super::users::{stored_email, stored_role};
use super::{PgStore, db};
use crate::domain::ids::{AccountId, UserId};
use crate::domain::user::SessionUser;
use crate::store::{Sessions, StoreResult};

#[async_trait]
impl Sessions for PgStore {
    #[tracing::instrument(name = "store.create_session", level = "debug", skip_all, fields(user = %user))]
    async fn create_session(
        &self,
        user: UserId,
        token: [u8; 32],
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        read!(self, |conn| sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at)
             VALUES ($1, $2, $3, $3)",
        )
        .bind(&token[..])
        .bind(user.0)
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(drop)
        .map_err(db))
    }

    #[tracing::instrument(name = "store.session", level = "debug", skip_all)]
    async fn session(&self, token: [u8; 32]) -> StoreResult<Option<SessionUser>> {
        let row = read!(self, |conn| sqlx::query(
            "SELECT u.id, u.account_id, u.email, u.role, s.created_at, s.last_seen_at
               FROM sessions s JOIN users u ON u.id = s.user_id
              WHERE s.token_hash = $1 AND u.disabled_at IS NULL",
        )
        .bind(&token[..])
        .fetch_optional(&mut *conn)
        .await
        .map_err(db))?;
        row.map(|r| {
            Ok(SessionUser {
                user: UserId(r.try_get(0).map_err(db)?),
                account: AccountId(r.try_get(1).map_err(db)?),
                email: stored_email(r.try_get(2).map_err(db)?)?,
                role: stored_role(r.try_get(3).map_err(db)?)?,
                created_at: r.try_get(4).map_err(db)?,
                last_seen_at: r.try_get(5).map_err(db)?,
            })
        })
        .transpose()
    }

    #[tracing::instrument(name = "store.touch_session", level = "debug", skip_all)]
    async fn touch_session(&self, token: [u8; 32], now: DateTime<Utc>) -> StoreResult<()> {
        read!(self, |conn| sqlx::query(
            "UPDATE sessions SET last_seen_at = GREATEST(last_seen_at, $2) WHERE token_hash = $1",
        )
        .bind(&token[..])
        .bind(now)
        .execute(&mut *conn)
        .await
        .map(drop)
        .map_err(db))
    }

    #[tracing::instrument(name = "store.end_session", level = "debug", skip_all)]
    async fn end_session(&self, token: [u8; 32]) -> StoreResult<()> {
        read!(self, |conn| sqlx::query(
            "DELETE FROM sessions WHERE token_hash = $1"
        )
        .bind(&token[..])
        .execute(&mut *conn)
        .await
        .map(drop)
        .map_err(db))
    }
}
