//! The web app's users: creation with a set-password link, the password, sign-in throttling.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::{SqliteStore, db, micros, opt_time, time};
use crate::domain::ids::{AccountId, UserId};
use crate::domain::user::{self, Credentials, Email, Role, User};
use crate::store::{StoreError, StoreResult, Users};

fn create_user(
    conn: &Connection,
    account: AccountId,
    email: &Email,
    role: Role,
    link: &[u8; 32],
    link_expires_at: DateTime<Utc>,
) -> StoreResult<Option<UserId>> {
    let exists: bool = conn
        .query_row(
            "SELECT EXISTS (SELECT 1 FROM accounts WHERE id = ?1)",
            [account.0],
            |r| r.get(0),
        )
        .map_err(db)?;
    if !exists {
        return Err(StoreError::NotFound);
    }
    let inserted = conn
        .execute(
            "INSERT INTO users (account_id, email, role, link_hash, link_expires_at, created_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (email) DO NOTHING",
            params![
                account.0,
                email.as_str(),
                role.as_str(),
                user::hex(link),
                micros(link_expires_at),
                micros(crate::store::now())
            ],
        )
        .map_err(db)?;
    Ok((inserted == 1).then(|| UserId(conn.last_insert_rowid())))
}

fn list_users(conn: &Connection, account: Option<AccountId>) -> StoreResult<Vec<User>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, account_id, email, role, password_hash IS NOT NULL, created_at, disabled_at
               FROM users WHERE ?1 IS NULL OR account_id = ?1 ORDER BY id",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([account.map(|a| a.0)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, bool>(4)?,
                r.get::<_, i64>(5)?,
                r.get::<_, Option<i64>>(6)?,
            ))
        })
        .map_err(db)?;
    rows.map(|row| {
        let (id, account, email, role, has_password, created, disabled) = row.map_err(db)?;
        Ok(User {
            id: UserId(id),
            account_id: AccountId(account),
            email: stored_email(&email)?,
            role: stored_role(&role)?,
            has_password,
            created_at: time(created)?,
            disabled_at: opt_time(disabled)?,
        })
    })
    .collect()
}

pub(super) fn stored_email(raw: &str) -> StoreResult<Email> {
    Email::parse(raw)
        .ok_or_else(|| StoreError::Internal(format!("bad email '{raw}' in the database").into()))
}

pub(super) fn stored_role(raw: &str) -> StoreResult<Role> {
    Role::parse(raw)
        .ok_or_else(|| StoreError::Internal(format!("bad role '{raw}' in the database").into()))
}

fn disable_user(conn: &Connection, account: Option<AccountId>, id: UserId) -> StoreResult<()> {
    let changed = conn
        .execute(
            "UPDATE users SET disabled_at = COALESCE(disabled_at, ?3)
              WHERE id = ?1 AND (?2 IS NULL OR account_id = ?2)",
            params![id.0, account.map(|a| a.0), micros(crate::store::now())],
        )
        .map_err(db)?;
    if changed == 0 {
        return Err(StoreError::NotFound);
    }
    conn.execute("DELETE FROM sessions WHERE user_id = ?1", [id.0])
        .map_err(db)?;
    Ok(())
}

fn set_password(
    conn: &Connection,
    link: &[u8; 32],
    password_hash: &str,
    now: DateTime<Utc>,
) -> StoreResult<Option<UserId>> {
    conn.query_row(
        "UPDATE users SET password_hash = ?2, link_hash = NULL, link_expires_at = NULL,
                          failed_sign_ins = 0, throttled_until = NULL
          WHERE link_hash = ?1 AND link_expires_at > ?3 AND disabled_at IS NULL
          RETURNING id",
        params![user::hex(link), password_hash, micros(now)],
        |r| r.get(0),
    )
    .optional()
    .map(|id| id.map(UserId))
    .map_err(db)
}

fn link_email(
    conn: &Connection,
    link: &[u8; 32],
    now: DateTime<Utc>,
) -> StoreResult<Option<Email>> {
    let email: Option<String> = conn
        .query_row(
            "SELECT email FROM users
              WHERE link_hash = ?1 AND link_expires_at > ?2 AND disabled_at IS NULL",
            params![user::hex(link), micros(now)],
            |r| r.get(0),
        )
        .optional()
        .map_err(db)?;
    email.as_deref().map(stored_email).transpose()
}

fn credentials(conn: &Connection, email: &Email) -> StoreResult<Option<Credentials>> {
    let row = conn
        .prepare_cached(
            "SELECT id, password_hash, throttled_until, disabled_at IS NOT NULL
               FROM users WHERE email = ?1",
        )
        .and_then(|mut s| {
            s.query_row([email.as_str()], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, Option<String>>(1)?,
                    r.get::<_, Option<i64>>(2)?,
                    r.get::<_, bool>(3)?,
                ))
            })
            .optional()
        })
        .map_err(db)?;
    row.map(|(id, password_hash, throttled, disabled)| {
        Ok(Credentials {
            user: UserId(id),
            password_hash,
            throttled_until: opt_time(throttled)?,
            disabled,
        })
    })
    .transpose()
}

fn record_sign_in(
    conn: &Connection,
    user: UserId,
    succeeded: bool,
    now: DateTime<Utc>,
) -> StoreResult<()> {
    if succeeded {
        conn.execute(
            "UPDATE users SET failed_sign_ins = 0, throttled_until = NULL WHERE id = ?1",
            [user.0],
        )
        .map_err(db)?;
        return Ok(());
    }
    let failures: i64 = conn
        .query_row(
            "UPDATE users SET failed_sign_ins = failed_sign_ins + 1 WHERE id = ?1
             RETURNING failed_sign_ins",
            [user.0],
            |r| r.get(0),
        )
        .map_err(db)?;
    if let Some(wait) = user::throttle_after(failures) {
        conn.execute(
            "UPDATE users SET throttled_until = ?2 WHERE id = ?1",
            params![user.0, micros(now + wait)],
        )
        .map_err(db)?;
    }
    Ok(())
}

#[async_trait]
impl Users for SqliteStore {
    #[tracing::instrument(name = "store.create_user", level = "debug", skip_all, fields(account = %account))]
    async fn create_user(
        &self,
        account: AccountId,
        email: Email,
        role: Role,
        link: [u8; 32],
        link_expires_at: DateTime<Utc>,
    ) -> StoreResult<Option<UserId>> {
        self.engine
            .write(move |c| create_user(c, account, &email, role, &link, link_expires_at))
            .await
    }

    #[tracing::instrument(name = "store.list_users", level = "debug", skip_all)]
    async fn list_users(&self, account: Option<AccountId>) -> StoreResult<Vec<User>> {
        self.engine.read(move |c| list_users(c, account)).await
    }

    #[tracing::instrument(name = "store.disable_user", level = "debug", skip_all, fields(id = %id))]
    async fn disable_user(&self, account: Option<AccountId>, id: UserId) -> StoreResult<()> {
        self.engine
            .write(move |c| disable_user(c, account, id))
            .await
    }

    #[tracing::instrument(name = "store.set_password", level = "debug", skip_all)]
    async fn set_password(
        &self,
        link: [u8; 32],
        password_hash: String,
        now: DateTime<Utc>,
    ) -> StoreResult<Option<UserId>> {
        self.engine
            .write(move |c| set_password(c, &link, &password_hash, now))
            .await
    }

    #[tracing::instrument(name = "store.link_email", level = "debug", skip_all)]
    async fn link_email(&self, link: [u8; 32], now: DateTime<Utc>) -> StoreResult<Option<Email>> {
        self.engine.read(move |c| link_email(c, &link, now)).await
    }

    #[tracing::instrument(name = "store.credentials", level = "debug", skip_all)]
    async fn credentials(&self, email: Email) -> StoreResult<Option<Credentials>> {
        self.engine.read(move |c| credentials(c, &email)).await
    }

    #[tracing::instrument(name = "store.record_sign_in", level = "debug", skip_all, fields(user = %user))]
    async fn record_sign_in(
        &self,
        user: UserId,
        succeeded: bool,
        now: DateTime<Utc>,
    ) -> StoreResult<()> {
        self.engine
            .write(move |c| record_sign_in(c, user, succeeded, now))
            .await
    }
}
