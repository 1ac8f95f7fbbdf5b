//! How SQLite's rows give their columns to [`crate::store::rows`], which reads the stored
//! objects from them for both databases, and the two ways a statement's rows are read.

use chrono::{DateTime, Utc};
use rusqlite::{Connection, Params, Row};

use super::{db, opt_time, parse_text, time};
use crate::store::rows::Columns;
use crate::store::{StoreError, StoreResult};

/// The one row `sql` selects, read by `read`; `NotFound` when there is none.
pub(super) fn one<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    read: impl FnOnce(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<T> {
    let mut statement = conn.prepare_cached(sql).map_err(db)?;
    let mut rows = statement.query(params).map_err(db)?;
    match rows.next().map_err(db)? {
        Some(row) => read(row),
        None => Err(StoreError::NotFound),
    }
}

/// Every row `sql` selects, each read by `read`.
pub(super) fn all<T>(
    conn: &Connection,
    sql: &str,
    params: impl Params,
    read: impl Fn(&Row<'_>) -> StoreResult<T>,
) -> StoreResult<Vec<T>> {
    let mut statement = conn.prepare_cached(sql).map_err(db)?;
    let mut rows = statement.query(params).map_err(db)?;
    let mut read_all = Vec::new();
    while let Some(row) = rows.next().map_err(db)? {
        read_all.push(read(row)?);
    }
    Ok(read_all)
}

impl Columns for Row<'_> {
    fn int(&self, at: usize) -> StoreResult<i64> {
        self.get(at).map_err(db)
    }

    fn opt_int(&self, at: usize) -> StoreResult<Option<i64>> {
        self.get(at).map_err(db)
    }

    fn text(&self, at: usize) -> StoreResult<String> {
        self.get(at).map_err(db)
    }

    fn opt_text(&self, at: usize) -> StoreResult<Option<String>> {
        self.get(at).map_err(db)
    }

    fn parsed<T, E>(
        &self,
        at: usize,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> StoreResult<T> {
        parse_text(self, at, column, parse).map_err(db)
    }

    /// Times are kept as Unix microseconds.
    fn time(&self, at: usize) -> StoreResult<DateTime<Utc>> {
        time(self.int(at)?)
    }

    fn opt_time(&self, at: usize) -> StoreResult<Option<DateTime<Utc>>> {
        opt_time(self.opt_int(at)?)
    }
}
