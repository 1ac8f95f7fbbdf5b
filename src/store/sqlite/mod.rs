//! The embedded default store: one SQLite file in WAL mode, fsynced on every commit.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Type;
use rusqlite::{Connection, ErrorCode, Row};

use super::key_cache::KeyCache;
use super::{Fault, Store, StoreError, StoreResult};
use crate::domain::page::PageRequest;
use crate::domain::version::Version;

mod accounts;
mod engine;
mod events;
mod inventory;
mod ledger;
mod mails;

pub use engine::{keep_read_snapshots, release_read_snapshots};
pub(crate) mod migrate;
mod once;
mod order_counts;
mod profile;
mod purchase_orders;
mod receiving;
mod rows;
mod server_lock;
mod sessions;
mod suppliers;
mod users;
mod warehouses;
mod webhooks;

pub use server_lock::ServerLock;

use engine::Engine;

/// Reader threads: enough to overlap reads with the writer on a small machine.
const READERS: usize = 3;

pub struct SqliteStore {
    engine: Engine,
    keys: KeyCache,
    path: PathBuf,
    probe: WriteProbe,
}

/// The outcome of the last write probe of [`Store::ping`], and when it was taken.
#[derive(Default)]
struct WriteProbe(Mutex<Option<(Instant, StoreResult<()>)>>);

impl WriteProbe {
    const FRESH_FOR: Duration = Duration::from_secs(1);

    fn fresh(&self) -> Option<StoreResult<()>> {
        let last = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        last.as_ref()
            .filter(|(at, _)| at.elapsed() < Self::FRESH_FOR)
            .map(|(_, outcome)| outcome.clone())
    }

    fn keep(&self, outcome: StoreResult<()>) {
        *self.0.lock().unwrap_or_else(PoisonError::into_inner) = Some((Instant::now(), outcome));
    }
}

impl SqliteStore {
    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    pub fn open(path: &Path) -> StoreResult<Self> {
        if let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|e| {
                StoreError::Unavailable(Fault::caused_by(
                    format!("cannot create {}", dir.display()),
                    e,
                ))
            })?;
        }
        let mut conn = engine::open(path, false)?;
        migrate::run(&mut conn)?;
        drop(conn);
        Ok(Self {
            engine: Engine::start(path, READERS)?,
            keys: KeyCache::default(),
            path: path.to_owned(),
            probe: WriteProbe::default(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

/// Free space below which `/readyz` reports the store as not ready: writes that fit in the WAL's
/// space already on disk still pass, but a large one, or the next WAL growth, fails.
pub const MIN_FREE_SPACE: u64 = 16 * 1024 * 1024;

/// Whether the file system holding the database has [`MIN_FREE_SPACE`] left for unprivileged
/// writers.
fn enough_free_space(path: &Path) -> StoreResult<()> {
    #[cfg(unix)]
    {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        let fs = rustix::fs::statvfs(dir).map_err(|e| {
            StoreError::Unavailable(Fault::caused_by(
                format!("cannot read the free space of {}", dir.display()),
                e,
            ))
        })?;
        let free = fs.f_bavail.saturating_mul(fs.f_frsize);
        if free < MIN_FREE_SPACE {
            return Err(StoreError::Unavailable(
                format!(
                    "only {} KiB are free on the file system of {} (at least {} KiB needed)",
                    free / 1024,
                    dir.display(),
                    MIN_FREE_SPACE / 1024
                )
                .into(),
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Turns a `sqlite:` URL or a plain path into a file path.
pub fn path_from_url(url: &str) -> PathBuf {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))
        .unwrap_or(url);
    PathBuf::from(rest.split('?').next().unwrap_or(rest))
}

/// A failure of the database itself (locked, full, unreadable): the request may be retried.
fn unavailable(err: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(Fault::caused_by(SQLITE_FAILED, err))
}

/// The context of every error SQLite itself returns.
const SQLITE_FAILED: &str = "a SQLite call failed";

/// Maps an error from a query: busy and storage conditions (locked, I/O error, full disk,
/// read-only file or file system, file gone) are `Unavailable`, answered 503 with
/// `Retry-After`, since they pass once the operator frees space or fixes the mount; anything
/// else is a bug.
fn db(err: rusqlite::Error) -> StoreError {
    match err.sqlite_error_code() {
        Some(
            ErrorCode::DatabaseBusy
            | ErrorCode::DatabaseLocked
            | ErrorCode::SystemIoFailure
            | ErrorCode::DiskFull
            | ErrorCode::ReadOnly
            | ErrorCode::CannotOpen,
        ) => StoreError::Unavailable(Fault::caused_by(SQLITE_FAILED, err)),
        _ => StoreError::Internal(Fault::caused_by(SQLITE_FAILED, err)),
    }
}

/// Parses a text column where it lies in SQLite's row, without copying it into a `String`
/// first. A value `parse` refuses is one this program never writes: a damaged database.
fn parse_text<T, E>(
    row: &Row<'_>,
    idx: usize,
    what: &str,
    parse: impl FnOnce(&str) -> Result<T, E>,
) -> rusqlite::Result<T> {
    let conversion = |message: String| {
        rusqlite::Error::FromSqlConversionFailure(idx, Type::Text, message.into())
    };
    let raw = row
        .get_ref(idx)?
        .as_str()
        .map_err(|e| conversion(format!("{what}: {e}")))?;
    parse(raw).map_err(|_| conversion(format!("bad {what} '{raw}' in the database")))
}

/// The version of the account's row `id` of `table`; `NotFound` when there is none.
fn version_of(
    conn: &Connection,
    table: &'static str,
    account: crate::domain::ids::AccountId,
    id: i64,
) -> StoreResult<Version> {
    use rusqlite::OptionalExtension;
    conn.prepare_cached(&format!(
        "SELECT version FROM {table} WHERE account_id = ?1 AND id = ?2"
    ))
    .and_then(|mut s| s.query_row([account.0, id], |r| r.get(0)).optional())
    .map_err(db)?
    .map(Version)
    .ok_or(StoreError::NotFound)
}

fn micros(at: DateTime<Utc>) -> i64 {
    at.timestamp_micros()
}

fn time(micros: i64) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| StoreError::Internal(format!("bad timestamp {micros}").into()))
}

fn opt_time(micros: Option<i64>) -> StoreResult<Option<DateTime<Utc>>> {
    micros.map(time).transpose()
}

/// Runs `COUNT(*)` for a list unless a cursor already carries the total.
fn count(
    conn: &Connection,
    page: &PageRequest,
    sql: &str,
    params: &[&dyn rusqlite::ToSql],
) -> StoreResult<u64> {
    if let Some(total) = page.known_total() {
        return Ok(total);
    }
    let total: i64 = conn
        .prepare_cached(sql)
        .map_err(db)?
        .query_row(params, |row| row.get(0))
        .map_err(db)?;
    Ok(total as u64)
}

fn page_bounds(page: &PageRequest) -> (i64, i64, i64) {
    (
        page.after_id().unwrap_or(i64::MAX),
        page.size as i64 + 1,
        page.offset() as i64,
    )
}

#[async_trait]
impl Store for SqliteStore {
    #[tracing::instrument(name = "store.secret", level = "debug", skip_all)]
    async fn secret(&self, name: &'static str, fresh: Vec<u8>) -> StoreResult<Vec<u8>> {
        self.engine
            .write(move |c| {
                c.execute(
                    "INSERT INTO secrets (name, value) VALUES (?1, ?2) ON CONFLICT (name) DO NOTHING",
                    rusqlite::params![name, fresh],
                )
                .map_err(db)?;
                c.query_row("SELECT value FROM secrets WHERE name = ?1", [name], |r| {
                    r.get(0)
                })
                .map_err(db)
            })
            .await
    }

    #[tracing::instrument(name = "store.purge_expired_keys", level = "debug", skip_all)]
    async fn purge_expired_keys(&self, now: DateTime<Utc>, limit: u32) -> StoreResult<u64> {
        let now = micros(now);
        self.engine.write(move |c| once::purge(c, now, limit)).await
    }

    fn record_gauges(&self) {
        metrics::gauge!("procura_sqlite_writer_queue").set(self.engine.queued() as f64);
    }

    /// Copies the whole WAL into the database file and empties it, so that after a clean stop
    /// `procura.db` alone holds every committed write: a copy of that one file is complete.
    #[tracing::instrument(name = "store.close", level = "debug", skip_all)]
    async fn close(&self) -> StoreResult<()> {
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || {
            let conn = engine::open(&path, false)?;
            let (busy, _, _): (bool, i64, i64) = conn
                .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })
                .map_err(db)?;
            if busy {
                return Err(StoreError::Unavailable(
                    "readers kept the WAL busy; it was not emptied".into(),
                ));
            }
            Ok(())
        })
        .await
        .map_err(|e| StoreError::Internal(Fault::caused_by("checkpoint task failed", e)))?
    }

    /// Reads, then writes and commits: a full disk or a read-only file still reads fine, so
    /// only a write tells that the store can take requests. The write rewrites the newest row
    /// of `schema_migrations` as it is (a page into the WAL and an fsync, changing nothing);
    /// its outcome is kept for a second, so that probes in a hurry cost one commit a second.
    #[tracing::instrument(name = "store.ping", level = "debug", skip_all)]
    async fn ping(&self) -> StoreResult<()> {
        self.engine
            .read(|c| c.query_row("SELECT 1", [], |_| Ok(())).map_err(db))
            .await?;
        if let Some(fresh) = self.probe.fresh() {
            return fresh;
        }
        let written = self
            .engine
            .write(|c| {
                c.execute(
                    "UPDATE schema_migrations SET version = version
                      WHERE version = (SELECT MAX(version) FROM schema_migrations)",
                    [],
                )
                .map(drop)
                .map_err(db)
            })
            .await;
        let outcome = written.and_then(|()| enough_free_space(&self.path));
        self.probe.keep(outcome.clone());
        outcome
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::status::Status;

    #[test]
    fn storage_faults_are_unavailable_and_other_failures_internal() {
        let failure = |code: i32| {
            db(rusqlite::Error::SqliteFailure(
                rusqlite::ffi::Error::new(code),
                None,
            ))
        };
        for code in [
            rusqlite::ffi::SQLITE_FULL,
            rusqlite::ffi::SQLITE_READONLY,
            rusqlite::ffi::SQLITE_READONLY_DBMOVED,
            rusqlite::ffi::SQLITE_IOERR,
            rusqlite::ffi::SQLITE_IOERR_FSYNC,
            rusqlite::ffi::SQLITE_IOERR_WRITE,
            rusqlite::ffi::SQLITE_CANTOPEN,
            rusqlite::ffi::SQLITE_BUSY,
        ] {
            assert!(
                matches!(failure(code), StoreError::Unavailable(_)),
                "code {code}"
            );
        }
        for code in [
            rusqlite::ffi::SQLITE_CONSTRAINT,
            rusqlite::ffi::SQLITE_CORRUPT,
        ] {
            assert!(
                matches!(failure(code), StoreError::Internal(_)),
                "code {code}"
            );
        }
    }

    #[test]
    fn a_text_column_is_parsed_in_place_and_a_bad_one_named_in_the_error() {
        let conn = Connection::open_in_memory().unwrap();
        let parsed = |sql: &str| -> Result<Status, String> {
            conn.query_row(sql, [], |r| {
                parse_text(r, 0, "status", str::parse::<Status>)
            })
            .map_err(|e| db(e).to_string())
        };
        assert_eq!(parsed("SELECT 'open'"), Ok(Status::Open));
        let bogus = parsed("SELECT 'opened'").unwrap_err();
        assert!(
            bogus.contains("bad status 'opened' in the database"),
            "{bogus}"
        );
        let number = parsed("SELECT 7").unwrap_err();
        assert!(number.contains("status: "), "{number}");
    }
}
