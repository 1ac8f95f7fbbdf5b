//! Read transactions: a reader connection keeps its snapshot from one read to the next while it
//! is current, and the [`Gate`] lets the writer stop new ones for a moment.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::writer::run;
use crate::store::StoreResult;

/// Counts the engine's open read transactions, and lets the writer stop new ones for a moment:
/// restarting the WAL needs every reader off it, and SQLite's own wait (polling every few
/// milliseconds) almost never finds that moment when readers are busy.
#[derive(Default)]
pub(super) struct Gate {
    closed: AtomicBool,
    open_snapshots: AtomicUsize,
}

impl Gate {
    /// Counts a new read transaction in; waits while the gate is closed.
    pub(super) fn enter(&self) {
        loop {
            while self.closed.load(Ordering::SeqCst) {
                thread::sleep(GATE_POLL);
            }
            self.open_snapshots.fetch_add(1, Ordering::SeqCst);
            if !self.closed.load(Ordering::SeqCst) {
                return;
            }
            self.open_snapshots.fetch_sub(1, Ordering::SeqCst);
        }
    }

    pub(super) fn leave(&self) {
        self.open_snapshots.fetch_sub(1, Ordering::SeqCst);
    }

    /// Closes the gate and waits up to `patience` for the open read transactions to end; whether
    /// they did. The gate stays closed until [`Self::open`] either way.
    pub(super) fn close(&self, patience: Duration) -> bool {
        self.closed.store(true, Ordering::SeqCst);
        let deadline = Instant::now() + patience;
        while self.open_snapshots.load(Ordering::SeqCst) > 0 {
            if Instant::now() >= deadline {
                return false;
            }
            thread::sleep(GATE_POLL);
        }
        true
    }

    pub(super) fn open(&self) {
        self.closed.store(false, Ordering::SeqCst);
    }
}

/// How often a reader waiting at the closed gate, or the writer waiting for readers, looks again.
const GATE_POLL: Duration = Duration::from_micros(50);

/// A read connection and the read transaction it keeps open, if any.
pub(super) struct Reader {
    conn: Connection,
    gate: Arc<Gate>,
    /// When the open read transaction began, and the commit count just before.
    snapshot: Option<(u64, Instant)>,
}

impl Reader {
    pub(super) fn new(conn: Connection, gate: Arc<Gate>) -> Self {
        Self {
            conn,
            gate,
            snapshot: None,
        }
    }

    /// Runs `f` in a read transaction that sees every commit counted in `commits`: the open one
    /// when it is still current (taken at most `reuse` ago), a new one otherwise. With `reuse`,
    /// the transaction stays open after a successful `f` for the next read.
    pub(super) fn read<T>(
        &mut self,
        commits: u64,
        reuse: Option<Duration>,
        f: impl FnOnce(&Connection) -> StoreResult<T>,
    ) -> StoreResult<T> {
        let current = matches!((self.snapshot, reuse), (Some((n, since)), Some(reuse))
            if n == commits && since.elapsed() < reuse && !self.conn.is_autocommit());
        if !current {
            self.end_snapshot();
            self.gate.enter();
            if let Err(err) = run(&self.conn, "BEGIN") {
                self.gate.leave();
                return Err(crate::store::sqlite::unavailable(err));
            }
            // The snapshot itself is taken by the first query, which comes after `commits` was read.
            self.snapshot = Some((commits, Instant::now()));
        }
        let result = f(&self.conn);
        if reuse.is_none() || result.is_err() {
            if let Some(err) = self.end_snapshot() {
                return result.and(Err(crate::store::sqlite::unavailable(err)));
            }
        }
        result
    }

    /// Ends the open read transaction; returns the error if it could not be ended cleanly.
    pub(super) fn end_snapshot(&mut self) -> Option<rusqlite::Error> {
        self.snapshot.take()?;
        let failed = if self.conn.is_autocommit() {
            None
        } else {
            run(&self.conn, "COMMIT").err().inspect(|_| {
                let _ = run(&self.conn, "ROLLBACK");
            })
        };
        self.gate.leave();
        failed
    }
}
