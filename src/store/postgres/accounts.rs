use chrono::{DateTime, Utc};
use sqlx::{PgConnection, Row};

use super::PgStore;
use super::db;
use crate::domain::account::{ApiKeyInfo, NewApiKey};
use crate::domain::address::AccountProfile;
use crate::domain::ids::{AccountId, ApiKeyId};
use crate::domain::logo::Logo;
use crate::store::Accounts;
use crate::store::Write;
use crate::store::{StoreError, StoreResult, now};
use async_trait::async_trait;

pub async fn create_account(
    conn: &mut PgConnection,
    key: &NewApiKey,
) -> StoreResult<(AccountId, ApiKeyId)> {
    let account: i64 =
        sqlx::query_scalar("INSERT INTO accounts (created_at) VALUES ($1) RETURNING id")
            .bind(now())
            .fetch_one(&mut *conn)
            .await
            .map_err(db)?;
    let account = AccountId(account);
    let key_id = create_key(conn, account, key).await?;
    Ok((account, key_id))
}

/// Creates the first account, unless one exists. The table lock (which conflicts with itself and
/// with inserts) makes servers starting at once take turns, so only one of them creates it.
pub async fn create_first_account(
    conn: &mut PgConnection,
    key: &NewApiKey,
) -> StoreResult<Option<(AccountId, ApiKeyId)>> {
    sqlx::query("LOCK TABLE accounts IN SHARE ROW EXCLUSIVE MODE")
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    if has_accounts(conn).await? {
        return Ok(None);
    }
    create_account(conn, key).await.map(Some)
}

pub async fn create_key(
    conn: &mut PgConnection,
    account: AccountId,
    key: &NewApiKey,
) -> StoreResult<ApiKeyId> {
    // Key-share lock: the account cannot disappear before the key is committed.
    let exists = sqlx::query("SELECT 1 FROM accounts WHERE id = $1 FOR KEY SHARE")
        .bind(account.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .is_some();
    if !exists {
        return Err(StoreError::NotFound);
    }
    let id: i64 = sqlx::query_scalar(
        "INSERT INTO api_keys (account_id, key_hash, hint, created_at, label)
         VALUES ($1, $2, $3, $4, $5) RETURNING id",
    )
    .bind(account.0)
    .bind(&key.hash[..])
    .bind(&key.hint)
    .bind(now())
    .bind(&key.label)
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    Ok(ApiKeyId(id))
}

pub async fn list_keys(
    conn: &mut PgConnection,
    account: Option<AccountId>,
) -> StoreResult<Vec<ApiKeyInfo>> {
    let rows = sqlx::query(
        "SELECT id, account_id, hint, created_at, revoked_at, label, last_used_at
         FROM api_keys WHERE $1::bigint IS NULL OR account_id = $1 ORDER BY id",
    )
    .bind(account.map(|a| a.0))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| {
            Ok(ApiKeyInfo {
                id: ApiKeyId(r.try_get(0)?),
                account_id: AccountId(r.try_get(1)?),
                hint: r.try_get(2)?,
                created_at: r.try_get(3)?,
                revoked_at: r.try_get(4)?,
                label: r.try_get(5)?,
                last_used_at: r.try_get(6)?,
            })
        })
        .collect::<Result<_, sqlx::Error>>()
        .map_err(db)
}

pub async fn revoke_key(conn: &mut PgConnection, id: ApiKeyId) -> StoreResult<()> {
    let changed =
        sqlx::query("UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $2) WHERE id = $1")
            .bind(id.0)
            .bind(now())
            .execute(&mut *conn)
            .await
            .map_err(db)?
            .rows_affected();
    if changed == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

pub async fn note_key_use(
    conn: &mut PgConnection,
    id: ApiKeyId,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    sqlx::query(
        "UPDATE api_keys SET last_used_at = $2
         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)",
    )
    .bind(id.0)
    .bind(at)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

pub async fn account_for_key(
    conn: &mut PgConnection,
    hash: &[u8; 32],
) -> StoreResult<Option<(AccountId, ApiKeyId)>> {
    sqlx::query_as::<_, (i64, i64)>(
        "SELECT account_id, id FROM api_keys WHERE key_hash = $1 AND revoked_at IS NULL",
    )
    .bind(&hash[..])
    .fetch_optional(&mut *conn)
    .await
    .map(|row| row.map(|(account, key)| (AccountId(account), ApiKeyId(key))))
    .map_err(db)
}

pub async fn has_accounts(conn: &mut PgConnection) -> StoreResult<bool> {
    sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM accounts)")
        .fetch_one(&mut *conn)
        .await
        .map_err(db)
}

#[async_trait]
impl Accounts for PgStore {
    #[tracing::instrument(name = "store.create_account", level = "debug", skip_all)]
    async fn create_account(&self, key: NewApiKey) -> StoreResult<(AccountId, ApiKeyId)> {
        write_tx!(self, |tx| create_account(&mut tx, &key).await)
    }

    #[tracing::instrument(name = "store.create_key", level = "debug", skip_all, fields(account = %account))]
    async fn create_key(&self, account: AccountId, key: NewApiKey) -> StoreResult<ApiKeyId> {
        write_tx!(self, |tx| create_key(&mut tx, account, &key).await)
    }

    #[tracing::instrument(name = "store.list_keys", level = "debug", skip_all)]
    async fn list_keys(&self, account: Option<AccountId>) -> StoreResult<Vec<ApiKeyInfo>> {
        read!(self, |conn| list_keys(&mut conn, account).await)
    }

    #[tracing::instrument(name = "store.revoke_key", level = "debug", skip_all, fields(id = %id))]
    async fn revoke_key(&self, id: ApiKeyId) -> StoreResult<()> {
        let revoked = write_tx!(self, |tx| revoke_key(&mut tx, id).await);
        self.keys.forget_all();
        revoked
    }

    #[tracing::instrument(name = "store.account_for_key", level = "debug", skip_all)]
    async fn account_for_key(&self, hash: [u8; 32]) -> StoreResult<Option<(AccountId, ApiKeyId)>> {
        self.keys
            .account_for(hash, async {
                read!(self, |conn| account_for_key(&mut conn, &hash).await)
            })
            .await
    }

    #[tracing::instrument(name = "store.note_key_use", level = "debug", skip_all, fields(id = %id))]
    async fn note_key_use(&self, id: ApiKeyId, at: DateTime<Utc>) -> StoreResult<()> {
        // One statement, committed on its own: no transaction to open.
        read!(self, |conn| note_key_use(&mut conn, id, at).await)
    }

    #[tracing::instrument(name = "store.has_accounts", level = "debug", skip_all)]
    async fn has_accounts(&self) -> StoreResult<bool> {
        read!(self, |conn| has_accounts(&mut conn).await)
    }

    #[tracing::instrument(name = "store.account_profile", level = "debug", skip_all, fields(account = %account))]
    async fn account_profile(&self, account: AccountId) -> StoreResult<AccountProfile> {
        read!(self, |conn| super::profile::get(&mut conn, account).await)
    }

    #[tracing::instrument(name = "store.put_account_profile", level = "debug", skip_all, fields(account = %w.account))]
    async fn put_account_profile(&self, w: Write<()>, profile: AccountProfile) -> StoreResult<()> {
        let Write { account, once, .. } = w;
        write_once!(self, account, once, |tx| super::profile::put(
            &mut tx, account, &profile
        )
        .await)
    }

    #[tracing::instrument(name = "store.account_logo", level = "debug", skip_all, fields(account = %account))]
    async fn account_logo(&self, account: AccountId) -> StoreResult<Option<Logo>> {
        read!(self, |conn| super::profile::logo(&mut conn, account).await)
    }

    #[tracing::instrument(name = "store.put_account_logo", level = "debug", skip_all, fields(account = %w.account))]
    async fn put_account_logo(&self, w: Write<()>, logo: Option<Logo>) -> StoreResult<()> {
        let Write { account, once, .. } = w;
        write_once!(self, account, once, |tx| super::profile::put_logo(
            &mut tx,
            account,
            logo.as_ref()
        )
        .await)
    }

    #[tracing::instrument(name = "store.create_first_account", level = "debug", skip_all)]
    async fn create_first_account(
        &self,
        key: NewApiKey,
    ) -> StoreResult<Option<(AccountId, ApiKeyId)>> {
        write_tx!(self, |tx| create_first_account(&mut tx, &key).await)
    }
}
