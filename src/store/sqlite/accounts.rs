use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use super::{db, opt_time, time};
use crate::domain::account::{ApiKeyInfo, NewApiKey};
use crate::domain::address::AccountProfile;
use crate::domain::ids::{AccountId, ApiKeyId};
use crate::domain::logo::Logo;
use crate::store::Accounts;
use crate::store::Write;
use crate::store::{StoreError, StoreResult};
use async_trait::async_trait;

pub fn create_account(conn: &Connection, key: &NewApiKey) -> StoreResult<(AccountId, ApiKeyId)> {
    conn.prepare_cached("INSERT INTO accounts (created_at) VALUES (?1)")
        .and_then(|mut s| s.execute([crate::store::now().timestamp_micros()]))
        .map_err(db)?;
    let account = AccountId(conn.last_insert_rowid());
    let key_id = create_key(conn, account, key)?;
    Ok((account, key_id))
}

pub fn create_key(conn: &Connection, account: AccountId, key: &NewApiKey) -> StoreResult<ApiKeyId> {
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
    conn.prepare_cached(
        "INSERT INTO api_keys (account_id, key_hash, hint, created_at, label)
         VALUES (?1, ?2, ?3, ?4, ?5)",
    )
    .and_then(|mut s| {
        s.execute(params![
            account.0,
            &key.hash[..],
            key.hint,
            crate::store::now().timestamp_micros(),
            key.label,
        ])
    })
    .map_err(db)?;
    Ok(ApiKeyId(conn.last_insert_rowid()))
}

pub fn list_keys(conn: &Connection, account: Option<AccountId>) -> StoreResult<Vec<ApiKeyInfo>> {
    let mut stmt = conn
        .prepare_cached(
            "SELECT id, account_id, hint, created_at, revoked_at, label, last_used_at
             FROM api_keys WHERE ?1 IS NULL OR account_id = ?1 ORDER BY id",
        )
        .map_err(db)?;
    let rows = stmt
        .query_map([account.map(|a| a.0)], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get(1)?,
                r.get::<_, String>(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get::<_, String>(5)?,
                r.get(6)?,
            ))
        })
        .map_err(db)?;
    rows.map(|row| {
        let (id, account, hint, created, revoked, label, used) = row.map_err(db)?;
        Ok(ApiKeyInfo {
            id: ApiKeyId(id),
            account_id: AccountId(account),
            hint,
            created_at: time(created)?,
            revoked_at: opt_time(revoked)?,
            label,
            last_used_at: opt_time(used)?,
        })
    })
    .collect()
}

pub fn revoke_key(conn: &Connection, id: ApiKeyId) -> StoreResult<()> {
    let changed = conn
        .execute(
            "UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?2) WHERE id = ?1",
            params![id.0, crate::store::now().timestamp_micros()],
        )
        .map_err(db)?;
    if changed == 0 {
        Err(StoreError::NotFound)
    } else {
        Ok(())
    }
}

pub fn note_key_use(conn: &Connection, id: ApiKeyId, at: DateTime<Utc>) -> StoreResult<()> {
    conn.prepare_cached(
        "UPDATE api_keys SET last_used_at = ?2
         WHERE id = ?1 AND (last_used_at IS NULL OR last_used_at < ?2)",
    )
    .and_then(|mut s| s.execute(params![id.0, at.timestamp_micros()]))
    .map_err(db)?;
    Ok(())
}

pub fn account_for_key(
    conn: &Connection,
    hash: &[u8; 32],
) -> StoreResult<Option<(AccountId, ApiKeyId)>> {
    conn.prepare_cached(
        "SELECT account_id, id FROM api_keys WHERE key_hash = ?1 AND revoked_at IS NULL",
    )
    .and_then(|mut s| {
        s.query_row([&hash[..]], |r| {
            Ok((AccountId(r.get(0)?), ApiKeyId(r.get(1)?)))
        })
        .optional()
    })
    .map_err(db)
}

pub fn has_accounts(conn: &Connection) -> StoreResult<bool> {
    conn.query_row("SELECT EXISTS (SELECT 1 FROM accounts)", [], |r| r.get(0))
        .map_err(db)
}

#[async_trait]
impl Accounts for SqliteStore {
    #[tracing::instrument(name = "store.create_account", level = "debug", skip_all)]
    async fn create_account(&self, key: NewApiKey) -> StoreResult<(AccountId, ApiKeyId)> {
        self.engine.write(move |c| create_account(c, &key)).await
    }

    #[tracing::instrument(name = "store.create_key", level = "debug", skip_all, fields(account = %account))]
    async fn create_key(&self, account: AccountId, key: NewApiKey) -> StoreResult<ApiKeyId> {
        self.engine
            .write(move |c| create_key(c, account, &key))
            .await
    }

    #[tracing::instrument(name = "store.list_keys", level = "debug", skip_all)]
    async fn list_keys(&self, account: Option<AccountId>) -> StoreResult<Vec<ApiKeyInfo>> {
        self.engine.read(move |c| list_keys(c, account)).await
    }

    #[tracing::instrument(name = "store.revoke_key", level = "debug", skip_all, fields(id = %id))]
    async fn revoke_key(&self, id: ApiKeyId) -> StoreResult<()> {
        let revoked = self.engine.write(move |c| revoke_key(c, id)).await;
        self.keys.forget_all();
        revoked
    }

    #[tracing::instrument(name = "store.account_for_key", level = "debug", skip_all)]
    async fn account_for_key(&self, hash: [u8; 32]) -> StoreResult<Option<(AccountId, ApiKeyId)>> {
        self.keys
            .account_for(hash, async {
                self.engine.read_now(move |c| account_for_key(c, &hash))
            })
            .await
    }

    #[tracing::instrument(name = "store.note_key_use", level = "debug", skip_all, fields(id = %id))]
    async fn note_key_use(&self, id: ApiKeyId, at: DateTime<Utc>) -> StoreResult<()> {
        self.engine.write(move |c| note_key_use(c, id, at)).await
    }

    #[tracing::instrument(name = "store.has_accounts", level = "debug", skip_all)]
    async fn has_accounts(&self) -> StoreResult<bool> {
        self.engine.read(has_accounts).await
    }

    #[tracing::instrument(name = "store.account_profile", level = "debug", skip_all, fields(account = %account))]
    async fn account_profile(&self, account: AccountId) -> StoreResult<AccountProfile> {
        self.engine
            .read(move |c| super::profile::get(c, account))
            .await
    }

    #[tracing::instrument(name = "store.put_account_profile", level = "debug", skip_all, fields(account = %w.account))]
    async fn put_account_profile(&self, w: Write<()>, profile: AccountProfile) -> StoreResult<()> {
        let Write { account, once, .. } = w;
        self.write_once(account, once, move |c| {
            super::profile::put(c, account, &profile)
        })
        .await
    }

    #[tracing::instrument(name = "store.account_logo", level = "debug", skip_all, fields(account = %account))]
    async fn account_logo(&self, account: AccountId) -> StoreResult<Option<Logo>> {
        self.engine
            .read(move |c| super::profile::logo(c, account))
            .await
    }

    #[tracing::instrument(name = "store.put_account_logo", level = "debug", skip_all, fields(account = %w.account))]
    async fn put_account_logo(&self, w: Write<()>, logo: Option<Logo>) -> StoreResult<()> {
        let Write { account, once, .. } = w;
        self.write_once(account, once, move |c| {
            super::profile::put_logo(c, account, logo.as_ref())
        })
        .await
    }

    #[tracing::instrument(name = "store.create_first_account", level = "debug", skip_all)]
    async fn create_first_account(
        &self,
        key: NewApiKey,
    ) -> StoreResult<Option<(AccountId, ApiKeyId)>> {
        // The write transaction (BEGIN IMMEDIATE) excludes every other writer, in any process.
        self.engine
            .write(move |c| {
                if has_accounts(c)? {
                    return Ok(None);
                }
                create_account(c, &key).map(Some)
            })
            .await
    }
}
