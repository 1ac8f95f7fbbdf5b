//! How SQLite's rows give their columns to [`crate::store::rows`], which reads purchase orders
//! from them for both databases.

use chrono::{DateTime, Utc};
use rusqlite::Row;

use super::{db, opt_time, parse_text, time};
use crate::store::StoreResult;
use crate::store::rows::Columns;

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
