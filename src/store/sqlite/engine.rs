//! The SQLite engine: one writer thread that commits requests in groups, and a few reader
//! threads.
//!
//! Every write runs on the writer thread inside its own savepoint. The writer takes every job
//! that is waiting, runs them one after the other in one transaction, and commits once: a single
//! fsync (`synchronous=FULL`) makes the whole group durable before any of them is answered.
//! A job that fails rolls back to its savepoint and never disturbs its neighbours.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use std::sync::mpsc;
use std::thread;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::store::{StoreError, StoreResult};

/// Most write jobs committed together; bounds the latency one group adds to its first member.
const MAX_GROUP: usize = 512;

type ReadJob = Box<dyn FnOnce(&Connection) + Send>;
type WriteJob = Box<dyn FnOnce(&Connection) -> Finished + Send>;
type Answer = Box<dyn FnOnce(StoreResult<()>) + Send>;

/// What a write job leaves for the writer: whether to roll its savepoint back, and how to answer
/// once the group's commit has succeeded or failed.
struct Finished {
    failed: bool,
    answer: Answer,
}

pub struct Engine {
    writer: mpsc::Sender<WriteJob>,
    readers: crossbeam_channel::Sender<ReadJob>,
    /// Identifies this engine's connections in each thread's [`LOCAL_READERS`].
    id: u64,
    path: std::path::PathBuf,
}

static NEXT_ENGINE_ID: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

thread_local! {
    /// Read connections of the calling thread, one per engine, opened on first use.
    static LOCAL_READERS: std::cell::RefCell<std::collections::HashMap<u64, Connection>> =
        std::cell::RefCell::new(std::collections::HashMap::new());
}

impl Engine {
    /// Opens `path` with one writer and `readers` reader connections. The schema must already be
    /// migrated (see [`super::migrate`]).
    pub fn start(path: &Path, readers: usize) -> StoreResult<Self> {
        let (write_tx, write_rx) = mpsc::channel::<WriteJob>();
        let writer = open(path, false)?;
        // Checkpoints (copying the WAL back into the database file, with its own fsync) run on
        // a thread of their own, so that the writer only ever appends to the WAL.
        writer
            .execute_batch("PRAGMA wal_autocheckpoint = 0;")
            .map_err(super::unavailable)?;
        let (checkpoint_tx, checkpoint_rx) = mpsc::sync_channel::<()>(1);
        let checkpointer = open(path, false)?;
        thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(checkpointer, checkpoint_rx))
            .map_err(|e| {
                StoreError::Internal(format!("cannot start the checkpoint thread: {e}"))
            })?;
        thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || write_loop(writer, write_rx, checkpoint_tx))
            .map_err(|e| StoreError::Internal(format!("cannot start the writer thread: {e}")))?;

        let (read_tx, read_rx) = crossbeam_channel::unbounded::<ReadJob>();
        for n in 0..readers.max(1) {
            let conn = open(path, true)?;
            let jobs = read_rx.clone();
            thread::Builder::new()
                .name(format!("sqlite-reader-{n}"))
                .spawn(move || {
                    for job in jobs {
                        if catch_unwind(AssertUnwindSafe(|| job(&conn))).is_err() {
                            tracing::error!("a read job panicked");
                        }
                    }
                })
                .map_err(|e| StoreError::Internal(format!("cannot start a reader thread: {e}")))?;
        }
        Ok(Self {
            writer: write_tx,
            readers: read_tx,
            id: NEXT_ENGINE_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            path: path.to_owned(),
        })
    }

    /// Runs a short read (a lookup by key: microseconds) right here, on the calling thread's own
    /// read connection: no hand-off to a reader thread and back. Longer reads (lists) use
    /// [`Self::read`] so that they never hold up an async worker.
    pub fn read_now<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        LOCAL_READERS.with(|readers| {
            let mut readers = readers.borrow_mut();
            let conn = match readers.entry(self.id) {
                std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
                std::collections::hash_map::Entry::Vacant(entry) => {
                    entry.insert(open(&self.path, true)?)
                }
            };
            snapshot(conn, f)
        })
    }

    /// Runs `f` on a reader connection. Reads see every write that has been answered.
    pub async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: ReadJob = Box::new(move |conn| {
            let _ = tx.send(snapshot(conn, f));
        });
        self.readers
            .send(job)
            .map_err(|_| StoreError::Unavailable("the store is shut down".into()))?;
        rx.await
            .map_err(|_| StoreError::Internal("a read job was dropped".into()))?
    }

    /// Runs `f` in its own savepoint on the writer and answers once its group is on disk.
    /// When `f` fails, everything it wrote is rolled back and its error is returned.
    pub async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: WriteJob = Box::new(move |conn| {
            let result = f(conn);
            Finished {
                failed: result.is_err(),
                answer: Box::new(move |commit| {
                    let _ = tx.send(commit.and(result));
                }),
            }
        });
        self.writer
            .send(job)
            .map_err(|_| StoreError::Unavailable("the store is shut down".into()))?;
        rx.await
            .map_err(|_| StoreError::Internal("a write job was dropped".into()))?
    }
}

pub fn open(path: &Path, read_only: bool) -> StoreResult<Connection> {
    let conn = Connection::open(path).map_err(super::unavailable)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;
         PRAGMA cache_size = -16000;
         PRAGMA temp_store = MEMORY;",
    )
    .map_err(super::unavailable)?;
    if read_only {
        conn.execute_batch("PRAGMA query_only = ON;")
            .map_err(super::unavailable)?;
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// Runs a read job in one read transaction: all its queries see the same snapshot (a list's total
/// and its rows agree), and the WAL read lock, which costs system calls, is taken once per job
/// instead of once per query.
fn snapshot<T>(conn: &Connection, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
    run(conn, "BEGIN").map_err(super::unavailable)?;
    let result = f(conn);
    if let Err(err) = run(conn, "COMMIT") {
        let _ = run(conn, "ROLLBACK");
        return Err(super::unavailable(err));
    }
    result
}

/// How many committed groups between two checkpoint requests.
const GROUPS_PER_CHECKPOINT: u32 = 64;

fn checkpoint_loop(conn: Connection, requests: mpsc::Receiver<()>) {
    // A request arrives every few dozen commits; a quiet store is checkpointed once a second.
    loop {
        match requests.recv_timeout(std::time::Duration::from_secs(1)) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
        if let Err(err) = conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(())) {
            tracing::warn!(error = %err, "checkpoint failed; the next one will retry");
        }
    }
}

fn write_loop(conn: Connection, jobs: mpsc::Receiver<WriteJob>, checkpoints: mpsc::SyncSender<()>) {
    let mut groups = 0u32;
    while let Ok(first) = jobs.recv() {
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        let Some(answers) = run_group(&conn, group) else {
            continue;
        };
        let committed = run(&conn, "COMMIT").map_err(super::unavailable);
        if let Err(err) = &committed {
            tracing::error!(error = %err, jobs = answers.len(), "group commit failed; rolling back");
            let _ = conn.execute_batch("ROLLBACK");
        }
        for answer in answers {
            answer(committed.clone());
        }
        groups += 1;
        if groups % GROUPS_PER_CHECKPOINT == 0 {
            // Never blocks: a request already pending is enough.
            let _ = checkpoints.try_send(());
        }
    }
}

/// Runs each job in its own savepoint inside one transaction; returns how to answer each.
/// `None` when no transaction could be started: the jobs are dropped unanswered, which tells
/// their callers that nothing was written.
fn run_group(conn: &Connection, group: Vec<WriteJob>) -> Option<Vec<Answer>> {
    let mut answers = Vec::with_capacity(group.len());
    if let Err(err) = run(conn, "BEGIN IMMEDIATE") {
        tracing::error!(error = %err, "cannot begin a write transaction");
        return None;
    }
    for job in group {
        if let Err(err) = run(conn, "SAVEPOINT job") {
            tracing::error!(error = %err, "cannot open a savepoint");
            continue;
        }
        match catch_unwind(AssertUnwindSafe(|| job(conn))) {
            Ok(finished) => {
                if finished.failed {
                    rollback_savepoint(conn);
                } else if let Err(err) = run(conn, "RELEASE job") {
                    tracing::error!(error = %err, "cannot release a savepoint");
                    rollback_savepoint(conn);
                    (finished.answer)(Err(super::unavailable(err)));
                    continue;
                }
                answers.push(finished.answer);
            }
            Err(_) => {
                tracing::error!("a write job panicked; its changes are rolled back");
                rollback_savepoint(conn);
            }
        }
    }
    Some(answers)
}

/// Runs a transaction-control statement through the statement cache: these run for every job,
/// and parsing them each time costs more than executing them.
fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

fn rollback_savepoint(conn: &Connection) {
    if let Err(err) = run(conn, "ROLLBACK TO job").and_then(|()| run(conn, "RELEASE job")) {
        tracing::error!(error = %err, "cannot roll back a savepoint");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
