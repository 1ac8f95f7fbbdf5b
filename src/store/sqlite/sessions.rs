//! Sessions of the web app's users, kept by the hash of their cookie's token.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::users::{stored_email, stored_role};
use super::{SqliteStore, db, micros, time};
use crate::domain::ids::{AccountId, UserId};
use crate::domain::user::SessionUser;
use crate::store::{Sessions, StoreResult};

fn session(conn: &Connection, token: &[u8; 32]) -> StoreResult<Option<SessionUser>> {
    let row = conn
        .prepare_cached(
            "SELECT u.id, u.account_id, u.email, u.role, s.created_at, s.last_seen_at
               FROM sessions s JOIN users u ON u.id = s.user_id
              WHERE s.token_hash = ?1 AND u.disabled_at IS NULL",
        )
        .and_then(|mut s| {
            s.query_row([&token[..]], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, i64>(4)?,
                    r.get::<_, i64>(5)?,
                ))
            })
            .optional()
        })
        .map_err(db)?;
    row.map(|(user, account, email, role, created, seen)| {
        Ok(SessionUser {
            user: UserId(user),
            account: AccountId(account),
            email: stored_email(&email)?,
            role: stored_role(&role)?,
            created_at: time(created)?,
            last_seen_at: time(seen)?,
        })
    })
    .transpose()
}

#[async_trait]
impl Sessions for SqliteStore {
    #[tracing::instrument(name = "store.create_session", level = "debug", skip_all, fields(user = %user))]
    async fn create_session(
        &self,
        user: UserId,
        token: [u8; 32],
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.engine
            .write(move |c| {
                c.execute(
                    "INSERT INTO sessions (token_hash, user_id, created_at, last_seen_at)
                     VALUES (?1, ?2, ?3, ?3)",
                    params![&token[..], user.0, micros(now)],
                )
                .map(drop)
                .map_err(db)
            })
            .await
    }

    #[tracing::instrument(name = "store.session", level = "debug", skip_all)]
    async fn session(&self, token: [u8; 32]) -> StoreResult<Option<SessionUser>> {
        self.engine.read_now(move |c| session(c, &token))
    }

    #[tracing::instrument(name = "store.touch_session", level = "debug", skip_all)]
    async fn touch_session(&self, token: [u8; 32], now: DateTime<Utc>) -> StoreResult<()> {
        self.engine
            .write(move |c| {
                c.execute(
                    "UPDATE sessions SET last_seen_at = MAX(last_seen_at, ?2) WHERE token_hash = ?1",
                    params![&token[..], micros(now)],
                )
                .map(drop)
                .map_err(db)
            })
            .await
    }

    #[tracing::instrument(name = "store.end_session", level = "debug", skip_all)]
    async fn end_session(&self, token: [u8; 32]) -> StoreResult<()> {
        self.engine
            .write(move |c| {
                c.execute("DELETE FROM sessions WHERE token_hash = ?1", [&token[..]])
                    .map(drop)
                    .map_err(db)
            })
            .await
    }
}
