//! The PostgreSQL store, for several `procura serve` processes sharing one database.
//!
//! Every method is one transaction on a pooled connection. Rules that must hold across processes
//! are enforced by PostgreSQL itself: the order-number counter is an upserted row (its row lock
//! serialises creates of one account and day), status changes lock the order row
//! (`SELECT ... FOR UPDATE`) and check the transition against what they read, supplier names are
//! a unique constraint. A commit is durable when it returns (`synchronous_commit` is `on` by
//! default; do not turn it off for this database).

use std::time::Duration;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::postgres::{PgConnectOptions, PgPool, PgPoolOptions};
use sqlx::{Connection, Executor, PgConnection, Postgres, Transaction};

use super::key_cache::KeyCache;
use super::{Fault, Store, StoreError, StoreResult};
use crate::domain::page::PageRequest;

/// Runs `$body` in a transaction and commits it. A transaction that PostgreSQL aborted to break a
/// deadlock (or a serialization failure) is run again, up to [`ATTEMPTS`] times in all: its
/// changes were all rolled back, and PostgreSQL's documentation asks clients to retry.
macro_rules! write_tx {
    ($self:ident, |$tx:ident| $body:expr) => {{
        let mut attempt = 1;
        loop {
            let mut $tx = $self.begin().await?;
            let result = $body;
            match $crate::store::postgres::finish($tx, result).await {
                Err(err)
                    if attempt < $crate::store::postgres::ATTEMPTS
                        && $crate::store::postgres::errors::is_aborted_to_retry(&err) =>
                {
                    attempt += 1;
                }
                done => break done,
            }
        }
    }};
}

/// How many times a transaction aborted by a deadlock is run at most.
pub(crate) const ATTEMPTS: u32 = 3;

macro_rules! read {
    ($self:ident, |$conn:ident| $body:expr) => {{
        let mut $conn = $self
            .pool
            .acquire()
            .await
            .map_err($crate::store::postgres::db)?;
        $body
    }};
}

// Before the aggregates' files, which use its macros.
#[macro_use]
mod once;

mod accounts;
pub(crate) mod errors;
mod events;
mod inventory;
mod ledger;
mod mails;
pub mod migrate;
mod order_counts;
mod order_rows;
mod profile;
mod purchase_orders;
mod receiving;
mod rows;
mod sessions;
mod suppliers;
mod users;
mod warehouses;
mod webhooks;

pub use errors::db;

/// Connection-pool settings (`procura serve --db-...`); SQLite ignores them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DbOptions {
    /// Most connections this process opens. Several processes add up: keep the sum under the
    /// server's `max_connections`.
    pub max_connections: u32,
    /// How long a request waits for a free connection (or for a new one to open) before it is
    /// answered 503.
    pub acquire_timeout: Duration,
    /// Longest any one statement may run; set on every connection (`statement_timeout`).
    /// Zero turns the limit off.
    pub statement_timeout: Duration,
}

impl Default for DbOptions {
    fn default() -> Self {
        Self {
            max_connections: 16,
            acquire_timeout: Duration::from_secs(5),
            statement_timeout: Duration::from_secs(30),
        }
    }
}

/// Whether a database URL names PostgreSQL.
pub fn is_postgres_url(url: &str) -> bool {
    url.starts_with("postgres://") || url.starts_with("postgresql://")
}

pub struct PgStore {
    pool: PgPool,
    keys: KeyCache,
}

impl PgStore {
    /// Connects to `url`, brings the schema up to date and opens the pool.
    ///
    /// Migrations run on a connection of their own under sqlx's advisory lock, so several
    /// servers starting at once apply each migration exactly once; closing that connection
    /// releases the lock even if a migration failed.
    pub async fn connect(url: &str, options: &DbOptions) -> StoreResult<Self> {
        let connect: PgConnectOptions = url
            .parse()
            .map_err(|e| StoreError::Internal(Fault::caused_by("invalid PostgreSQL URL", e)))?;

        let mut conn = PgConnection::connect_with(&connect).await.map_err(db)?;
        let migrated = migrate::run(&mut conn).await;
        let _ = conn.close().await;
        migrated?;

        let statement_timeout = options.statement_timeout.as_millis();
        let pool = PgPoolOptions::new()
            .max_connections(options.max_connections.max(1))
            .min_connections(0)
            .acquire_timeout(options.acquire_timeout)
            // A connection broken by a restart or failover while it sat idle is found and
            // replaced on acquire, so the pool heals by itself once the database is back. Only a
            // connection idle for a while is pinged: under load a connection is back in use
            // within milliseconds, a ping per request would be a third of the round trips, and
            // sqlx already pings each connection when it is released, which catches one broken
            // while in use.
            .test_before_acquire(false)
            .before_acquire(|conn, meta| {
                Box::pin(async move {
                    if meta.idle_for >= PING_WHEN_IDLE_FOR {
                        conn.ping().await?;
                    }
                    Ok(true)
                })
            })
            .idle_timeout(Some(Duration::from_secs(600)))
            .max_lifetime(Some(Duration::from_secs(1800)))
            .after_connect(move |conn, _meta| {
                Box::pin(async move {
                    conn.execute(format!("SET statement_timeout = {statement_timeout}").as_str())
                        .await?;
                    Ok(())
                })
            })
            .connect_with(connect)
            .await
            .map_err(db)?;
        Ok(Self {
            pool,
            keys: KeyCache::default(),
        })
    }

    /// Closes every connection; later calls answer `Unavailable`.
    pub async fn close(&self) {
        self.pool.close().await;
    }

    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    async fn begin(&self) -> StoreResult<Transaction<'static, Postgres>> {
        self.pool.begin().await.map_err(db)
    }
}

/// Commits `tx` when `result` is a success; otherwise drops it, which rolls it back.
async fn finish<T>(tx: Transaction<'_, Postgres>, result: StoreResult<T>) -> StoreResult<T> {
    let value = result?;
    tx.commit().await.map_err(db)?;
    Ok(value)
}

/// The keyset bound, the row limit (one extra row tells whether another page exists) and the
/// offset of a page.
fn page_bounds(page: &PageRequest) -> (i64, i64, i64) {
    (
        page.after_id().unwrap_or(i64::MAX),
        page.size as i64 + 1,
        page.offset() as i64,
    )
}

/// A pooled connection idle for at least this long is pinged before it is used again.
pub const PING_WHEN_IDLE_FOR: Duration = Duration::from_secs(1);

#[async_trait]
impl Store for PgStore {
    #[tracing::instrument(name = "store.secret", level = "debug", skip_all)]
    async fn secret(&self, name: &'static str, fresh: Vec<u8>) -> StoreResult<Vec<u8>> {
        write_tx!(self, |tx| {
            async {
                sqlx::query(
                    "INSERT INTO secrets (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING",
                )
                .bind(name)
                .bind(&fresh)
                .execute(&mut *tx)
                .await
                .map_err(db)?;
                sqlx::query_scalar("SELECT value FROM secrets WHERE name = $1")
                    .bind(name)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(db)
            }
            .await
        })
    }

    #[tracing::instrument(name = "store.purge_expired_keys", level = "debug", skip_all)]
    async fn purge_expired_keys(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<u64> {
        read!(self, |conn| once::purge(&mut conn, now, limit).await)
    }

    fn record_gauges(&self) {
        let size = self.pool.size() as f64;
        let idle = self.pool.num_idle() as f64;
        metrics::gauge!("procura_db_pool_connections", "state" => "idle").set(idle);
        metrics::gauge!("procura_db_pool_connections", "state" => "in_use").set(size - idle);
    }

    /// The server answers and takes writes: a standby after a failover, or a database set
    /// read-only, answers reads but refuses every change.
    #[tracing::instrument(name = "store.ping", level = "debug", skip_all)]
    async fn ping(&self) -> StoreResult<()> {
        let read_only: String = read!(self, |conn| sqlx::query_scalar(
            "SELECT current_setting('transaction_read_only')"
        )
        .fetch_one(&mut *conn)
        .await
        .map_err(db))?;
        if read_only == "on" {
            return Err(StoreError::Unavailable(
                "the database is read-only (a standby, or default_transaction_read_only is on)"
                    .into(),
            ));
        }
        Ok(())
    }
}
