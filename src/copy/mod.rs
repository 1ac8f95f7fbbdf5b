//! `procura copy`: moves a SQLite database into an empty PostgreSQL database.
//!
//! The SQLite file is opened read-only and read in one snapshot. On PostgreSQL everything happens
//! in ONE transaction: migrations are applied first (as a server would), then the transaction
//! locks `accounts`, refuses a target that already has accounts, inserts every table in
//! foreign-key order with its ids kept, moves each identity sequence past the largest id, and
//! recounts. Only when every count and sum equals SQLite's does it commit; otherwise it rolls
//! back and the target is left as empty as it was.

use std::io::IsTerminal;
use std::path::Path;

use indicatif::{MultiProgress, ProgressBar, ProgressDrawTarget, ProgressStyle};
use sqlx::postgres::PgConnectOptions;
use sqlx::{Connection, PgConnection, Postgres, QueryBuilder};

use crate::store::postgres::migrate;

mod report;
mod source;
pub mod tables;

pub use report::{Line, Report};
use source::Message;
use tables::{Figure, TABLES, Table, Value};

#[derive(Debug, thiserror::Error)]
pub enum CopyError {
    #[error("SQLite source: {0}")]
    Source(String),
    #[error("PostgreSQL target: {0}")]
    Target(String),
    #[error(
        "the PostgreSQL database is not empty (it has {0} account(s)); procura copy only copies \
         into an empty database. Nothing was written."
    )]
    TargetNotEmpty(i64),
    #[error(
        "verification failed: PostgreSQL does not hold what SQLite holds. The copy was rolled \
         back; the PostgreSQL database is as empty as before.\n{0}"
    )]
    Mismatch(Report),
}

fn target(context: &str) -> impl Fn(sqlx::Error) -> CopyError + '_ {
    move |e| CopyError::Target(format!("{context}: {e}"))
}

/// Copies the SQLite database at `from` into the PostgreSQL database `to` names. With
/// `progress`, draws a bar per table on standard error when it is a terminal.
pub async fn copy(from: &Path, to: &str, progress: bool) -> Result<Report, CopyError> {
    // Before touching PostgreSQL, so that a mistyped path is reported as such.
    if !from.is_file() {
        return Err(CopyError::Source(format!(
            "{} does not exist or is not a file",
            from.display()
        )));
    }
    let options: PgConnectOptions = to
        .parse()
        .map_err(|e| CopyError::Target(format!("invalid PostgreSQL URL: {e}")))?;
    let mut conn = PgConnection::connect_with(&options)
        .await
        .map_err(target("connecting"))?;
    let result = copy_on(&mut conn, from, progress).await;
    let _ = conn.close().await;
    result
}

async fn copy_on(
    conn: &mut PgConnection,
    from: &Path,
    progress: bool,
) -> Result<Report, CopyError> {
    // Under sqlx's advisory lock, like a starting server; on this connection, which is closed
    // afterwards, so a failed migration releases the lock.
    migrate::run(conn)
        .await
        .map_err(|e| CopyError::Target(format!("migrating the schema: {e}")))?;
    // A large copy may take longer than a statement_timeout set for the servers' role.
    sqlx::query("SET statement_timeout = 0")
        .execute(&mut *conn)
        .await
        .map_err(target("setting statement_timeout"))?;

    let mut tx = conn
        .begin()
        .await
        .map_err(target("beginning the transaction"))?;
    match fill(&mut tx, from, progress).await {
        Ok(report) => {
            tx.commit().await.map_err(target("committing"))?;
            Ok(report)
        }
        Err(err) => {
            let _ = tx.rollback().await;
            Err(err)
        }
    }
}

/// Everything inside the transaction: refuse, copy, move sequences, verify.
async fn fill(tx: &mut PgConnection, from: &Path, progress: bool) -> Result<Report, CopyError> {
    // A server started too early waits for the copy to end instead of creating an account.
    sqlx::query("LOCK TABLE accounts IN EXCLUSIVE MODE")
        .execute(&mut *tx)
        .await
        .map_err(target("locking accounts"))?;
    // Every other table references accounts, directly or through a parent.
    let accounts: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM accounts")
        .fetch_one(&mut *tx)
        .await
        .map_err(target("counting accounts"))?;
    if accounts > 0 {
        return Err(CopyError::TargetNotEmpty(accounts));
    }

    let checks = tables::checks();
    let mut rows = source::start(from, checks.clone())?;
    let sqlite = match rows.recv().await {
        Some(Ok(Message::Checks(figures))) => figures,
        Some(Err(err)) => return Err(err),
        _ => return Err(stopped()),
    };

    let bars = bars(progress);
    let mut copied = Vec::with_capacity(TABLES.len());
    for (table, expected) in TABLES.iter().zip(&sqlite) {
        let bar = bars.add(bar(
            table.name,
            i64::try_from(*expected).unwrap_or(i64::MAX),
        ));
        let mut n = 0i64;
        loop {
            match rows.recv().await {
                Some(Ok(Message::Batch(batch))) => {
                    let len = batch.len();
                    insert(tx, table, batch).await?;
                    n += len as i64;
                    bar.inc(len as u64);
                }
                Some(Ok(Message::TableDone)) => break,
                Some(Ok(Message::Checks(_))) | None => return Err(stopped()),
                Some(Err(err)) => return Err(err),
            }
        }
        bar.finish();
        copied.push(n);
        if table.identity {
            // The next id PgStore hands out follows the largest copied one.
            let sql = format!(
                "SELECT setval(pg_get_serial_sequence('{0}', 'id'), COALESCE(MAX(id), 0) + 1, false) FROM {0}",
                table.name
            );
            sqlx::query(&sql)
                .execute(&mut *tx)
                .await
                .map_err(target(&format!("moving the id sequence of {}", table.name)))?;
        }
    }

    let mut lines = Vec::with_capacity(checks.len());
    for (i, (check, sqlite)) in checks.iter().zip(sqlite).enumerate() {
        let postgres = figure(tx, &check.figure)
            .await
            .map_err(target(&format!("verifying {}", check.label)))?;
        lines.push(Line {
            label: check.label.clone(),
            sqlite,
            copied: copied.get(i).copied(),
            postgres,
        });
    }
    let report = Report { lines };
    if report.is_verified() {
        Ok(report)
    } else {
        Err(CopyError::Mismatch(report))
    }
}

async fn figure(tx: &mut PgConnection, figure: &Figure) -> Result<i128, sqlx::Error> {
    match figure {
        Figure::Query(sql) => sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&mut *tx)
            .await
            .map(i128::from),
        Figure::Sum { table, column } => {
            let sum: String = sqlx::query_scalar(&format!(
                "SELECT COALESCE(SUM({column}), 0)::text FROM {table}"
            ))
            .fetch_one(&mut *tx)
            .await?;
            sum.parse()
                .map_err(|_| sqlx::Error::Decode(format!("the sum {sum} is past 128 bits").into()))
        }
    }
}

fn stopped() -> CopyError {
    CopyError::Source("the SQLite reader stopped before the end".into())
}

/// One multi-row INSERT of a batch, ids included (the identity columns are BY DEFAULT).
async fn insert(
    tx: &mut PgConnection,
    table: &Table,
    rows: Vec<Vec<Value>>,
) -> Result<(), CopyError> {
    let mut sql = QueryBuilder::<Postgres>::new(format!(
        "INSERT INTO {} ({}) ",
        table.name,
        table.column_list()
    ));
    sql.push_values(rows, |mut row, values| {
        for value in values {
            match value {
                Value::Int(v) => row.push_bind(v),
                Value::Numeric(v) => row.push_bind(v).push_unseparated("::numeric"),
                Value::Text(v) => row.push_bind(v),
                Value::Bytes(v) => row.push_bind(v),
                Value::Time(v) => row.push_bind(v),
                Value::Day(v) => row.push_bind(v),
            };
        }
    });
    sql.build()
        .execute(&mut *tx)
        .await
        .map_err(target(&format!("inserting into {}", table.name)))?;
    Ok(())
}

/// One line per table, each kept when done; drawn only on a terminal.
fn bars(progress: bool) -> MultiProgress {
    let draw = if progress && std::io::stderr().is_terminal() {
        ProgressDrawTarget::stderr()
    } else {
        ProgressDrawTarget::hidden()
    };
    MultiProgress::with_draw_target(draw)
}

fn bar(table: &str, len: i64) -> ProgressBar {
    let bar = ProgressBar::new(len.max(0) as u64);
    bar.set_style(
        ProgressStyle::with_template("{prefix:<24} [{bar:40}] {pos:>10}/{len:<10} {elapsed}")
            .map(|style| style.progress_chars("=> "))
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_prefix(table.to_owned());
    bar
}
