//! Opening a connection with the settings every connection of the engine needs.

use std::path::Path;
use std::time::Duration;

use rusqlite::Connection;
use rusqlite::config::DbConfig;

use crate::store::StoreResult;

/// How long a connection waits for a lock another connection holds before giving up.
pub(super) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub fn open(path: &Path, read_only: bool) -> StoreResult<Connection> {
    let conn = Connection::open(path).map_err(crate::store::sqlite::unavailable)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -16000;
         PRAGMA temp_store = MEMORY;",
    )
    .map_err(crate::store::sqlite::unavailable)?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(crate::store::sqlite::unavailable)?;
    // Plans never depend on bound values: without this, SQLite prepares a statement again
    // whenever a LIMIT or OFFSET parameter changes (a tenth of a list's CPU).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map_err(crate::store::sqlite::unavailable)?;
    if read_only {
        conn.execute_batch("PRAGMA query_only = ON;")
            .map_err(crate::store::sqlite::unavailable)?;
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The build options of `.cargo/config.toml` (a build without them still works, slower).
    #[test]
    fn sqlite_is_built_without_global_allocation_and_page_cache_mutexes() {
        let conn = Connection::open_in_memory().unwrap();
        let options: Vec<String> = conn
            .prepare("PRAGMA compile_options")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        assert!(
            options.iter().any(|o| o == "DEFAULT_MEMSTATUS=0"),
            "{options:?}"
        );
        assert!(
            !options.iter().any(|o| o == "ENABLE_MEMORY_MANAGEMENT"),
            "{options:?}"
        );
    }

    #[test]
    fn a_new_limit_does_not_prepare_the_statement_again() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("t.db"), false).unwrap();
        conn.execute_batch("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (1), (2), (3);")
            .unwrap();
        let mut stmt = conn
            .prepare("SELECT x FROM t WHERE x > ? ORDER BY x LIMIT ? OFFSET ?")
            .unwrap();
        for (after, limit, offset) in [(0, 1, 0), (0, 2, 1), (1, 3, 0)] {
            stmt.query_map([after, limit, offset], |r| r.get::<_, i64>(0))
                .unwrap()
                .for_each(drop);
        }
        assert_eq!(stmt.get_status(rusqlite::StatementStatus::RePrepare), 0);
    }

    #[test]
    fn every_connection_is_durable_wal_with_fsync_on_commit() {
        let dir = tempfile::tempdir().unwrap();
        let conn = open(&dir.path().join("t.db"), false).unwrap();
        let mode: String = conn
            .query_row("PRAGMA journal_mode", [], |r| r.get(0))
            .unwrap();
        let synchronous: i64 = conn
            .query_row("PRAGMA synchronous", [], |r| r.get(0))
            .unwrap();
        assert_eq!(mode, "wal");
        assert_eq!(synchronous, 2, "synchronous=FULL");
    }
}
