//! The SQLite side of a copy: a thread that opens the file read-only, reads every table inside
//! one read transaction (one consistent snapshot, even if something else still wrote to it) and
//! hands the rows over in batches.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OpenFlags};
use tokio::sync::mpsc;

use super::CopyError;
use super::tables::{Check, Figure, Kind, Row, SCHEMA_VERSION, TABLES, Table, Value};

/// Rows per batch, and so per multi-row INSERT on the PostgreSQL side.
pub const BATCH: usize = 1000;

/// What the reader thread sends, in this order: the figures of every check, then for each table
/// of [`TABLES`] its batches followed by `TableDone`.
pub enum Message {
    Checks(Vec<i128>),
    Batch(Vec<Row>),
    TableDone,
}

pub type Receiver = mpsc::Receiver<Result<Message, CopyError>>;

/// Starts the reader thread on the SQLite file at `path`.
pub fn start(path: &Path, checks: Vec<Check>) -> Result<Receiver, CopyError> {
    let (tx, rx) = mpsc::channel(4);
    let path: PathBuf = path.to_owned();
    std::thread::Builder::new()
        .name("copy-sqlite-reader".into())
        .spawn(move || {
            if let Err(err) = read_all(&path, &checks, &tx) {
                // The receiver may be gone already (the copy failed on the other side).
                let _ = tx.blocking_send(Err(err));
            }
        })
        .map_err(|e| CopyError::Source(format!("cannot start the reader thread: {e}")))?;
    Ok(rx)
}

/// A closed channel means the PostgreSQL side gave up; the thread just stops.
struct Stopped;

type Sender = mpsc::Sender<Result<Message, CopyError>>;

fn send(tx: &Sender, message: Message) -> Result<(), Stopped> {
    tx.blocking_send(Ok(message)).map_err(|_| Stopped)
}

fn read_all(path: &Path, checks: &[Check], tx: &Sender) -> Result<(), CopyError> {
    let source = |e: rusqlite::Error| CopyError::Source(e.to_string());
    // Read-only: the file is never written (SQLite may leave an empty -wal and a -shm beside it).
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| CopyError::Source(format!("cannot open {}: {e}", path.display())))?;
    conn.busy_timeout(std::time::Duration::from_secs(10))
        .map_err(source)?;
    // One snapshot for the checks and every table.
    conn.execute_batch("BEGIN").map_err(source)?;

    let version: i64 = conn
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )
        .map_err(|e| {
            CopyError::Source(format!(
                "{} is not a procura database (no schema_migrations: {e})",
                path.display()
            ))
        })?;
    if version != SCHEMA_VERSION {
        return Err(CopyError::Source(format!(
            "{} is at schema version {version}, this procura copies version {SCHEMA_VERSION}; \
             run `procura migrate` on it with this version of procura first",
            path.display()
        )));
    }

    let mut figures = Vec::with_capacity(checks.len());
    for check in checks {
        let figure = figure(&conn, &check.figure)
            .map_err(|e| CopyError::Source(format!("{}: {e}", check.label)))?;
        figures.push(figure);
    }
    if send(tx, Message::Checks(figures)).is_err() {
        return Ok(());
    }

    for table in TABLES {
        match read_table(&conn, table, tx) {
            Ok(Ok(())) => {}
            Ok(Err(Stopped)) => return Ok(()),
            Err(err) => return Err(err),
        }
    }
    conn.execute_batch("COMMIT").map_err(source)?;
    Ok(())
}

fn figure(conn: &Connection, figure: &Figure) -> Result<i128, String> {
    let e = |e: rusqlite::Error| e.to_string();
    match figure {
        Figure::Query(sql) => conn
            .query_row(sql, [], |r| r.get::<_, i64>(0))
            .map(i128::from)
            .map_err(e),
        Figure::Sum { table, column } => {
            let mut statement = conn
                .prepare(&format!(
                    "SELECT {column} FROM {table} WHERE {column} IS NOT NULL"
                ))
                .map_err(e)?;
            let mut rows = statement.query([]).map_err(e)?;
            let mut sum: i128 = 0;
            while let Some(row) = rows.next().map_err(e)? {
                let value = match row.get_ref(0).map_err(e)? {
                    ValueRef::Integer(n) => i128::from(n),
                    ValueRef::Text(digits) => std::str::from_utf8(digits)
                        .ok()
                        .and_then(|digits| digits.parse().ok())
                        .ok_or_else(|| {
                            format!("{table}.{column} holds a value that is not a whole number")
                        })?,
                    other => {
                        return Err(format!(
                            "{table}.{column} holds a {:?}, not a whole number",
                            other.data_type()
                        ));
                    }
                };
                sum = sum
                    .checked_add(value)
                    .ok_or_else(|| format!("the sum of {table}.{column} passes 128 bits"))?;
            }
            Ok(sum)
        }
    }
}

fn read_table(
    conn: &Connection,
    table: &Table,
    tx: &Sender,
) -> Result<Result<(), Stopped>, CopyError> {
    let failed = |e: rusqlite::Error| CopyError::Source(format!("reading {}: {e}", table.name));
    let mut statement = conn
        .prepare(&format!(
            "SELECT {} FROM {} ORDER BY {}",
            table.column_list(),
            table.name,
            table.key
        ))
        .map_err(failed)?;
    let mut rows = statement.query([]).map_err(failed)?;
    let mut batch = Vec::with_capacity(BATCH);
    let mut read = 0u64;
    while let Some(row) = rows.next().map_err(failed)? {
        read += 1;
        let mut values = Vec::with_capacity(table.columns.len());
        for (i, (column, kind)) in table.columns.iter().enumerate() {
            let value = convert(row, i, *kind).map_err(|e| {
                CopyError::Source(format!(
                    "{}.{column} in row {read} (ordered by {}): {e}",
                    table.name, table.key
                ))
            })?;
            values.push(value);
        }
        batch.push(values);
        if batch.len() == BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(BATCH));
            if send(tx, Message::Batch(full)).is_err() {
                return Ok(Err(Stopped));
            }
        }
    }
    if !batch.is_empty() && send(tx, Message::Batch(batch)).is_err() {
        return Ok(Err(Stopped));
    }
    Ok(send(tx, Message::TableDone))
}

fn convert(row: &rusqlite::Row<'_>, i: usize, kind: Kind) -> Result<Value, String> {
    let e = |e: rusqlite::Error| e.to_string();
    Ok(match kind {
        Kind::Int => Value::Int(Some(row.get(i).map_err(e)?)),
        Kind::OptInt => Value::Int(row.get(i).map_err(e)?),
        Kind::Numeric => {
            let digits: String = row.get(i).map_err(e)?;
            if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
                return Err(format!("'{digits}' is not a whole number of micros"));
            }
            Value::Numeric(digits)
        }
        Kind::Text => Value::Text(Some(row.get(i).map_err(e)?)),
        Kind::OptText => Value::Text(row.get(i).map_err(e)?),
        Kind::Bytes => Value::Bytes(row.get(i).map_err(e)?),
        Kind::Time => Value::Time(Some(time(row.get(i).map_err(e)?)?)),
        Kind::OptTime => Value::Time(
            row.get::<_, Option<i64>>(i)
                .map_err(e)?
                .map(time)
                .transpose()?,
        ),
        Kind::Day => {
            let text: String = row.get(i).map_err(e)?;
            Value::Day(
                NaiveDate::parse_from_str(&text, "%Y-%m-%d")
                    .map_err(|err| format!("'{text}' is not a YYYY-MM-DD day: {err}"))?,
            )
        }
    })
}

fn time(micros: i64) -> Result<DateTime<chrono::Utc>, String> {
    DateTime::from_timestamp_micros(micros)
        .ok_or_else(|| format!("{micros} is not a timestamp in microseconds"))
}
