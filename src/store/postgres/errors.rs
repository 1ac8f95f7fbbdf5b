//! Which PostgreSQL failures a client may retry (`Unavailable`, answered 503) and which are bugs
//! (`Internal`, answered 500).

use crate::store::{Fault, StoreError};

/// The context of every error from a PostgreSQL query or connection.
const POSTGRES_FAILED: &str = "a PostgreSQL call failed";

/// Maps an error from the pool or a query.
///
/// Unavailable: the server cannot be reached or the connection broke, no connection became free
/// in time, the server is shutting down, restarting or read-only after a failover, the database
/// is gone (dropped, being restored), a statement ran past `statement_timeout`, too many
/// connections, and conflicts PostgreSQL resolves by aborting one transaction (deadlock,
/// serialization failure). Everything else is `Internal`.
pub fn db(err: sqlx::Error) -> StoreError {
    if is_transient(&err) {
        StoreError::Unavailable(Fault::caused_by(POSTGRES_FAILED, err))
    } else {
        StoreError::Internal(Fault::caused_by(POSTGRES_FAILED, err))
    }
}

fn is_transient(err: &sqlx::Error) -> bool {
    match err {
        sqlx::Error::Io(_)
        | sqlx::Error::Tls(_)
        | sqlx::Error::PoolTimedOut
        | sqlx::Error::PoolClosed
        | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Database(e) => e.code().is_some_and(|code| transient_sqlstate(&code)),
        _ => false,
    }
}

/// SQLSTATE classes and codes worth a retry.
fn transient_sqlstate(code: &str) -> bool {
    code.starts_with("08") // connection_exception
        || code.starts_with("53") // insufficient_resources: too_many_connections, disk_full, ...
        || code.starts_with("57P") // admin_shutdown, crash_shutdown, cannot_connect_now, ...
        || matches!(
            code,
            "57014" // query_canceled: statement_timeout
            | "40001" // serialization_failure
            | "40P01" // deadlock_detected
            | "55P03" // lock_not_available
            | "25006" // read_only_sql_transaction: a standby after a failover
            // invalid_catalog_name: the database is gone (dropped for a restore); new
            // connections fail with it until the database is back, then the pool reconnects.
            | "3D000"
        )
}

/// Whether the store error is a transaction PostgreSQL aborted so that it may be run again: a
/// deadlock it broke, or a serialization failure.
pub fn is_aborted_to_retry(err: &StoreError) -> bool {
    let StoreError::Unavailable(fault) = err else {
        return false;
    };
    let cause = fault.cause.as_deref();
    match cause.and_then(|cause| cause.downcast_ref::<sqlx::Error>()) {
        Some(sqlx::Error::Database(e)) => matches!(e.code().as_deref(), Some("40P01" | "40001")),
        _ => false,
    }
}

/// Whether `err` is a unique violation (SQLSTATE 23505) of the named constraint.
pub fn is_unique_violation(err: &sqlx::Error, constraint: &str) -> bool {
    match err {
        sqlx::Error::Database(e) => {
            e.code().as_deref() == Some("23505") && e.constraint() == Some(constraint)
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shutdown_timeouts_and_connection_failures_are_retryable() {
        for code in [
            "08006", "08001", "57P01", "57P03", "57014", "53300", "40P01", "40001", "3D000",
        ] {
            assert!(transient_sqlstate(code), "{code}");
        }
        for code in ["23505", "23503", "42P01", "22001"] {
            assert!(!transient_sqlstate(code), "{code}");
        }
        assert!(matches!(
            db(sqlx::Error::PoolTimedOut),
            StoreError::Unavailable(_)
        ));
        assert!(matches!(
            db(sqlx::Error::RowNotFound),
            StoreError::Internal(_)
        ));
    }
}
