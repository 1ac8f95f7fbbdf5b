//! The web app's users: creation with a set-password link, the password, sign-in throttling.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

use super::{PgStore, db};
use crate::domain::ids::{AccountId, UserId};
use crate::domain::user::{self, Credentials, Email, Role, User};
use crate::store::{StoreError, StoreResult, Users, now};

async fn create_user(
    conn: &mut PgConnection,
    account: AccountId,
    email: &Email,
    role: Role,
    link: &[u8; 32],
    link_expires_at: DateTime<Utc>,
) -> StoreResult<Option<UserId>> {
    // Key-share lock: the account cannot disappear before the user is committed.
    let exists = sqlx::query("SELECT 1 FROM accounts WHERE id = $1 FOR KEY SHARE")
        .bind(account.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .is_some();
    if !exists {
        return Err(StoreError::NotFound);
    }
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO users (account_id, email, role, link_hash, link_expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (email) DO NOTHING RETURNING id",
    )
    .bind(account.0)
    .bind(email.as_str())
    .bind(role.as_str())
    .bind(user::hex(link))
    .bind(link_expires_at)
    .bind(now())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    Ok(id.map(UserId))
}

pub(super) fn stored_email(raw: &str) -> StoreResult<Email> {
    Email::parse(raw)
        .ok_or_else(|| StoreError::Internal(format!("bad email '{raw}' in the database").into()))
}

pub(super) fn stored_role(raw: &str) -> StoreResult<Role> {
    Role::parse(raw)
        .ok_or_else(|| StoreError::Internal(format!("bad role '{raw}' in the database").into()))
}

async fn list_users(conn: &mut PgConnection, account: Option<AccountId>) -> StoreResult<Vec<User>> {
    let rows = sqlx::query(
        "SELECT id, account_id, email, role, password_hash IS NOT NULL, created_at, disabled_at
           FROM users WHERE $1::BIGINT IS NULL OR account_id = $1 ORDER BY id",
    )
    .bind(account.map(|a| a.0))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(User {
                id: UserId(r.try_get(0).map_err(db)?),
                account_id: AccountId(r.try_get(1).map_err(db)?),
                email: stored_email(r.try_get(2).map_err(db)?)?,
                role: stored_role(r.try_get(3).map_err(db)?)?,
                has_password: r.try_get(4).map_err(db)?,
                created_at: r.try_get(5).map_err(db)?,
                disabled_at: r.try_get(6).map_err(db)?,
            })
        })
        .collect()
}

async fn disable_user(
    conn: &mut PgConnection,
    account: Option<AccountId>,
    id: UserId,
) -> StoreResult<()> {
    let changed = sqlx::query(
        "UPDATE users SET disabled_at = COALESCE(disabled_at, $3)
          WHERE id = $1 AND ($2::BIGINT IS NULL OR account_id = $2)",
    )
    .bind(id.0)
    .bind(account.map(|a| a.0))
    .bind(now())
    .execute(&mut *conn)
    .await
    .map_err(db)?
    .rows_affected();
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(id.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(())
}

async fn record_sign_in(
    conn: &mut PgConnection,
    user: UserId,
    succeeded: bool,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if succeeded {
        sqlx::query("UPDATE users SET failed_sign_ins = 0, throttled_until = NULL WHERE id = $1")
            .bind(user.0)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        return Ok(());
    }
    // The row lock of the UPDATE orders failures racing on several servers.
    let failures: i64 = sqlx::query_scalar(
        "UPDATE users SET failed_sign_ins = failed_sign_ins + 1 WHERE id = $1
         RETURNING failed_sign_ins",
    )
    .bind(user.0)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    if let Some(wait) = user::throttle_after(failures) {
        sqlx::query("UPDATE users SET throttled_until = $2 WHERE id = $1")
            .bind(user.0)
            .bind(now + wait)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    Ok(())
}

#[async_trait]
impl Users for PgStore {
    #[tracing::instrument(name = "store.create_user", level = "debug", skip_all, fields(account = %account))]
    async fn create_user(
        &self,
        account: AccountId,
        email: Email,
        role: Role,
        link: [u8; 32],
        link_expires_at: DateTime<Utc>,
    ) -> StoreResult<Option<UserId>> {
        write_tx!(self, |tx| create_user(
            &mut tx,
            account,
            &email,
            role,
            &link,
            link_expires_at
        )
        .await)
    }

    #[tracing::instrument(name = "store.list_users", level = "debug", skip_all)]
    async fn list_users(&self, account: Option<AccountId>) -> StoreResult<Vec<User>> {
        read!(self, |conn| list_users(&mut conn, account).await)
    }

    #[tracing::instrument(name = "store.disable_user", level = "debug", skip_all, fields(id = %id))]
    async fn disable_user(&self, account: Option<AccountId>, id: UserId) -> StoreResult<()> {
        write_tx!(self, |tx| disable_user(&mut tx, account, id).await)
    }

    #[tracing::instrument(name = "store.set_password", level = "debug", skip_all)]
    async fn set_password(
        &self,
        link: [u8; 32],
        password_hash: String,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<UserId>> {
        read!(self, |conn| sqlx::query_scalar(
            "UPDATE users SET password_hash = $2, link_hash = NULL, link_expires_at = NULL,
                              failed_sign_ins = 0, throttled_until = NULL
              WHERE link_hash = $1 AND link_expires_at > $3 AND disabled_at IS NULL
              RETURNING id",
        )
        .bind(user::hex(&link))
        .bind(password_hash)
        .bind(now)
        .fetch_optional(&mut *conn)
        .await
        .map(|id: Option<i64>| id.map(UserId))
        .map_err(db))
    }

    #[tracing::instrument(name = "store.link_email", level = "debug", skip_all)]
    async fn link_email(&self, link: [u8; 32], now: DateTime<Utc>) -> StoreResult<Option<Email>> {
        let email: Option<String> = read!(self, |conn| sqlx::query_scalar(
            "SELECT email FROM users
              WHERE link_hash = $1 AND link_expires_at > $2 AND disabled_at IS NULL",
        )
        .bind(user::hex(&link))
        .bind(now)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db))?;
        email.as_deref().map(stored_email).transpose()
    }

    #[tracing::instrument(name = "store.credentials", level = "debug", skip_all)]
    async fn credentials(&self, email: Email) -> StoreResult<Option<Credentials>> {
        let row = read!(self, |conn| sqlx::query(
            "SELECT id, password_hash, throttled_until, disabled_at IS NOT NULL
               FROM users WHERE email = $1",
        )
        .bind(email.as_str())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db))?;
        row.map(|r| {
            Ok(Credentials {
                user: UserId(r.try_get(0).map_err(db)?),
                password_hash: r.try_get(1).map_err(db)?,
                throttled_until: r.try_get(2).map_err(db)?,
                disabled: r.try_get(3).map_err(db)?,
            })
        })
        .transpose()
    }

    #[tracing::instrument(name = "store.record_sign_in", level = "debug", skip_all, fields(user = %user))]
    async fn record_sign_in(
        &self,
        user: UserId,
        succeeded: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        write_tx!(self, |tx| record_sign_in(&mut tx, user, succeeded, now)
            .await)
    }
}
