//! How PostgreSQL's rows give their columns to [`crate::store::rows`], which reads the stored
//! objects from them for both databases.

use chrono::{DateTime, Utc};
use sqlx::postgres::PgRow;
use sqlx::{Postgres, Row};

use super::db;
use crate::domain::status::Status;
use crate::store::rows::Columns;
use crate::store::{StoreError, StoreResult};

pub(super) fn parse_status(raw: &str) -> StoreResult<Status> {
    raw.parse().map_err(|()| {
        StoreError::Internal(format!("unknown status '{raw}' in the database").into())
    })
}

fn corrupt(what: &str, raw: &str) -> StoreError {
    StoreError::Internal(format!("bad {what} '{raw}' in the database").into())
}

/// Column `i` of `row`, decoded.
pub(super) fn col<'r, T>(row: &'r PgRow, i: usize) -> StoreResult<T>
where
    T: sqlx::Decode<'r, Postgres> + sqlx::Type<Postgres>,
{
    row.try_get(i).map_err(db)
}

impl Columns for PgRow {
    fn int(&self, at: usize) -> StoreResult<i64> {
        col(self, at)
    }

    fn opt_int(&self, at: usize) -> StoreResult<Option<i64>> {
        col(self, at)
    }

    fn text(&self, at: usize) -> StoreResult<String> {
        col(self, at)
    }

    fn opt_text(&self, at: usize) -> StoreResult<Option<String>> {
        col(self, at)
    }

    fn parsed<T, E>(
        &self,
        at: usize,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> StoreResult<T> {
        let raw: &str = col(self, at)?;
        parse(raw).map_err(|_| corrupt(column, raw))
    }

    fn time(&self, at: usize) -> StoreResult<DateTime<Utc>> {
        col(self, at)
    }

    fn opt_time(&self, at: usize) -> StoreResult<Option<DateTime<Utc>>> {
        col(self, at)
    }
}
