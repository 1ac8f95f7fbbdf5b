//! The SQLite engine: one writer thread that commits requests in groups, and a few reader
//! threads.
//!
//! Every write runs on the writer thread. The writer takes every job that is waiting, runs them
//! one after the other in one transaction, and commits once: a single fsync (`synchronous=FULL`)
//! makes the whole group durable before any of them is answered. A job that fails never disturbs
//! its neighbours: see [`run_group`] for how its writes are undone.
//!
//! Reads run in read transactions. Taking SQLite's WAL read lock costs system calls and a
//! process-wide mutex, so a thread that opts in with [`keep_read_snapshots`] keeps its read
//! transaction open from one read to the next, for as long as it is still current: the writer
//! counts its commits, and a snapshot is reused only while no commit has happened since it was
//! taken, and for at most [`SNAPSHOT_REUSE`] (which bounds how late a write from another process,
//! such as `procura keys revoke`, is seen). An idle thread gives its snapshot back with
//! [`release_read_snapshots`].

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use rusqlite::config::DbConfig;
use tokio::sync::oneshot;

use crate::store::{StoreError, StoreResult};
use crate::telemetry::Throttle;

/// Most write jobs committed together; bounds the latency one group adds to its first member.
const MAX_GROUP: usize = 512;

/// Longest a read snapshot is reused. Commits made through this engine end a snapshot at once;
/// this bounds how late a reader sees a write made by another process.
const SNAPSHOT_REUSE: Duration = Duration::from_millis(1);

/// From this many frames (of one page each, 4 KiB) on, the writer restarts the WAL from its
/// beginning: about 64 MiB, the `journal_size_limit` too, so that the WAL file neither shrinks
/// nor grows from one restart to the next. Restarting stops readers and the writer for a few
/// milliseconds, so it is done seldom, not at every checkpoint. (At 256 MiB, with the file cut
/// back to 64 MiB at each restart, the p99 latency of writes under load went to 70 ms.)
const RESTART_FRAMES: i64 = 16_384;

/// The engine's knobs; tests turn them.
struct Tuning {
    reuse: Duration,
    restart_frames: i64,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            reuse: SNAPSHOT_REUSE,
            restart_frames: RESTART_FRAMES,
        }
    }
}

/// A read job gets a reader, the writer's commit count read just before it runs, and how long
/// a snapshot may be reused.
type ReadJob = Box<dyn FnOnce(&mut Reader, u64, Duration) + Send>;
type WriteJob = Box<dyn Job>;

/// A request's work on the writer. It may run twice: see [`run_group`].
trait Job: Send {
    /// Runs the work; whether it succeeded. A panic counts as a failure.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Replaces the outcome of the last run with `err`.
    fn fail(&mut self, err: StoreError);
    /// Answers the caller once the group's commit has succeeded or failed. A job whose last run
    /// panicked is not answered, which tells its caller that nothing was written.
    fn answer(self: Box<Self>, commit: StoreResult<()>);
}

struct Request<T, F> {
    work: F,
    result: Option<StoreResult<T>>,
    reply: oneshot::Sender<StoreResult<T>>,
}

impl<T, F> Job for Request<T, F>
where
    T: Send,
    F: FnMut(&Connection) -> StoreResult<T> + Send,
{
    fn run(&mut self, conn: &Connection) -> bool {
        self.result = None;
        match catch_unwind(AssertUnwindSafe(|| (self.work)(conn))) {
            Ok(result) => {
                let ok = result.is_ok();
                self.result = Some(result);
                ok
            }
            Err(_) => {
                tracing::error!("a write job panicked; its changes are rolled back");
                false
            }
        }
    }

    fn fail(&mut self, err: StoreError) {
        self.result = Some(Err(err));
    }

    fn answer(self: Box<Self>, commit: StoreResult<()>) {
        if let Some(result) = self.result {
            let _ = self.reply.send(commit.and(result));
        }
    }
}

pub struct Engine {
    writer: mpsc::Sender<WriteJob>,
    /// Write jobs sent and not yet taken by the writer (the `procura_sqlite_writer_queue` gauge).
    queued: Arc<AtomicUsize>,
    readers: crossbeam_channel::Sender<ReadJob>,
    /// How many groups the writer has committed: a read snapshot taken when this was `n` sees
    /// every write answered so far as long as it is still `n`.
    commits: Arc<AtomicU64>,
    gate: Arc<Gate>,
    /// Longest a read snapshot is reused: [`SNAPSHOT_REUSE`] but in tests.
    reuse: Duration,
    /// Identifies this engine's connections in each thread's [`LOCAL_READERS`].
    id: u64,
    path: PathBuf,
}

static NEXT_ENGINE_ID: AtomicU64 = AtomicU64::new(0);

thread_local! {
    /// Read connections of the calling thread, one per engine, opened on first use.
    static LOCAL_READERS: RefCell<HashMap<u64, Reader>> = RefCell::new(HashMap::new());
    /// Whether this thread keeps its read transactions open between reads.
    static KEEP_SNAPSHOTS: Cell<bool> = const { Cell::new(false) };
}

/// From now on, reads on the calling thread reuse their read transaction while it is current.
/// The thread must call [`release_read_snapshots`] whenever it goes idle, so that an idle thread
/// never holds back checkpoints.
pub fn keep_read_snapshots() {
    KEEP_SNAPSHOTS.with(|keep| keep.set(true));
}

/// Ends the read transactions the calling thread keeps open, if any.
pub fn release_read_snapshots() {
    // Never panics, even while the thread is being torn down.
    let _ = LOCAL_READERS.try_with(|readers| {
        if let Ok(mut readers) = readers.try_borrow_mut() {
            for reader in readers.values_mut() {
                reader.end_snapshot();
            }
        }
    });
}

/// Counts the engine's open read transactions, and lets the writer stop new ones for a moment:
/// restarting the WAL needs every reader off it, and SQLite's own wait (polling every few
/// milliseconds) almost never finds that moment when readers are busy.
#[derive(Default)]
struct Gate {
    closed: AtomicBool,
    open_snapshots: AtomicUsize,
}

impl Gate {
    /// Counts a new read transaction in; waits while the gate is closed.
    fn enter(&self) {
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

    fn leave(&self) {
        self.open_snapshots.fetch_sub(1, Ordering::SeqCst);
    }

    /// Closes the gate and waits up to `patience` for the open read transactions to end; whether
    /// they did. The gate stays closed until [`Self::open`] either way.
    fn close(&self, patience: Duration) -> bool {
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

    fn open(&self) {
        self.closed.store(false, Ordering::SeqCst);
    }
}

/// How often a reader waiting at the closed gate, or the writer waiting for readers, looks again.
const GATE_POLL: Duration = Duration::from_micros(50);

/// A read connection and the read transaction it keeps open, if any.
struct Reader {
    conn: Connection,
    gate: Arc<Gate>,
    /// When the open read transaction began, and the commit count just before.
    snapshot: Option<(u64, Instant)>,
}

impl Reader {
    fn new(conn: Connection, gate: Arc<Gate>) -> Self {
        Self {
            conn,
            gate,
            snapshot: None,
        }
    }

    /// Runs `f` in a read transaction that sees every commit counted in `commits`: the open one
    /// when it is still current (taken at most `reuse` ago), a new one otherwise. With `reuse`,
    /// the transaction stays open after a successful `f` for the next read.
    fn read<T>(
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
                return Err(super::unavailable(err));
            }
            // The snapshot itself is taken by the first query, which comes after `commits` was read.
            self.snapshot = Some((commits, Instant::now()));
        }
        let result = f(&self.conn);
        if reuse.is_none() || result.is_err() {
            if let Some(err) = self.end_snapshot() {
                return result.and(Err(super::unavailable(err)));
            }
        }
        result
    }

    /// Ends the open read transaction; returns the error if it could not be ended cleanly.
    fn end_snapshot(&mut self) -> Option<rusqlite::Error> {
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

impl Engine {
    /// Opens `path` with one writer and `readers` reader connections. The schema must already be
    /// migrated (see [`super::migrate`]).
    pub fn start(path: &Path, readers: usize) -> StoreResult<Self> {
        Self::start_with(path, readers, Tuning::default())
    }

    fn start_with(path: &Path, readers: usize, tuning: Tuning) -> StoreResult<Self> {
        let reuse = tuning.reuse;
        let (write_tx, write_rx) = mpsc::channel::<WriteJob>();
        let commits = Arc::new(AtomicU64::new(0));
        let gate = Arc::new(Gate::default());
        let writer = open(path, false)?;
        // Checkpoints (copying the WAL back into the database file, with its own fsync) run on
        // a thread of their own, so that the writer only ever appends to the WAL.
        // When the writer restarts the WAL from its beginning (see `write_loop`), a WAL file that
        // grew past this size is cut back to it.
        writer
            .execute_batch(
                "PRAGMA wal_autocheckpoint = 0;
                 PRAGMA journal_size_limit = 67108864;",
            )
            .map_err(super::unavailable)?;
        let (checkpoint_tx, checkpoint_rx) = mpsc::sync_channel::<()>(1);
        let checkpointer = open(path, false)?;
        let wal_frames = Arc::new(AtomicI64::new(0));
        let checkpointed = Arc::clone(&wal_frames);
        thread::Builder::new()
            .name("sqlite-checkpoint".into())
            .spawn(move || checkpoint_loop(checkpointer, checkpoint_rx, &checkpointed))
            .map_err(|e| {
                StoreError::Internal(format!("cannot start the checkpoint thread: {e}"))
            })?;
        let counted = Arc::clone(&commits);
        let writer_gate = Arc::clone(&gate);
        let queued = Arc::new(AtomicUsize::new(0));
        let taken = Arc::clone(&queued);
        thread::Builder::new()
            .name("sqlite-writer".into())
            .spawn(move || {
                let checkpoints = Checkpoints {
                    requests: checkpoint_tx,
                    gate: writer_gate,
                    wal_frames,
                    restart_frames: tuning.restart_frames,
                };
                write_loop(writer, write_rx, &checkpoints, &counted, &taken);
            })
            .map_err(|e| StoreError::Internal(format!("cannot start the writer thread: {e}")))?;

        let (read_tx, read_rx) = crossbeam_channel::unbounded::<ReadJob>();
        for n in 0..readers.max(1) {
            let mut reader = Reader::new(open(path, true)?, Arc::clone(&gate));
            let jobs = read_rx.clone();
            let commits = Arc::clone(&commits);
            thread::Builder::new()
                .name(format!("sqlite-reader-{n}"))
                .spawn(move || {
                    loop {
                        // Keep the snapshot while jobs are waiting; give it back before sleeping.
                        let job = match jobs.try_recv() {
                            Ok(job) => job,
                            Err(_) => {
                                reader.end_snapshot();
                                match jobs.recv() {
                                    Ok(job) => job,
                                    Err(_) => return,
                                }
                            }
                        };
                        let commits = commits.load(Ordering::Acquire);
                        let ran =
                            catch_unwind(AssertUnwindSafe(|| job(&mut reader, commits, reuse)));
                        if ran.is_err() {
                            tracing::error!("a read job panicked");
                            reader.end_snapshot();
                        }
                    }
                })
                .map_err(|e| StoreError::Internal(format!("cannot start a reader thread: {e}")))?;
        }
        Ok(Self {
            writer: write_tx,
            queued,
            readers: read_tx,
            commits,
            gate,
            reuse,
            id: NEXT_ENGINE_ID.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
            path: path.to_owned(),
        })
    }

    /// Runs a short read (a lookup by key: microseconds) right here, on the calling thread's own
    /// read connection: no hand-off to a reader thread and back. Longer reads (lists) use
    /// [`Self::read`] so that they never hold up an async worker.
    pub fn read_now<T>(&self, f: impl FnOnce(&Connection) -> StoreResult<T>) -> StoreResult<T> {
        let commits = self.commits.load(Ordering::Acquire);
        let reuse = KEEP_SNAPSHOTS.with(Cell::get).then_some(self.reuse);
        LOCAL_READERS.with(|readers| {
            let mut readers = readers.borrow_mut();
            let reader = match readers.entry(self.id) {
                std::collections::hash_map::Entry::Occupied(entry) => entry.into_mut(),
                std::collections::hash_map::Entry::Vacant(entry) => {
                    entry.insert(Reader::new(open(&self.path, true)?, Arc::clone(&self.gate)))
                }
            };
            reader.read(commits, reuse, f)
        })
    }

    /// Runs `f` on a reader connection. Reads see every write that has been answered.
    pub async fn read<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: ReadJob = Box::new(move |reader, commits, reuse| {
            let _ = tx.send(reader.read(commits, Some(reuse), f));
        });
        self.readers
            .send(job)
            .map_err(|_| StoreError::Unavailable("the store is shut down".into()))?;
        rx.await
            .map_err(|_| StoreError::Internal("a read job was dropped".into()))?
    }

    /// Runs `f` on the writer and answers once its group is on disk. When `f` fails, everything
    /// it wrote is rolled back and its error is returned. `f` may run twice (see [`run_group`]):
    /// it must act on the database only, and change rows only (no schema changes), which is how
    /// a failure after writing is recognised.
    pub async fn write<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnMut(&Connection) -> StoreResult<T> + Send + 'static,
    {
        let (reply, rx) = oneshot::channel();
        let job: WriteJob = Box::new(Request {
            work: f,
            result: None,
            reply,
        });
        self.queued.fetch_add(1, Ordering::Relaxed);
        if self.writer.send(job).is_err() {
            self.queued.fetch_sub(1, Ordering::Relaxed);
            return Err(StoreError::Unavailable("the store is shut down".into()));
        }
        rx.await
            .map_err(|_| StoreError::Internal("a write job was dropped".into()))?
    }

    /// Write jobs waiting for the writer.
    pub fn queued(&self) -> usize {
        self.queued.load(Ordering::Relaxed)
    }
}

/// How long a connection waits for a lock another connection holds before giving up.
const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

pub fn open(path: &Path, read_only: bool) -> StoreResult<Connection> {
    let conn = Connection::open(path).map_err(super::unavailable)?;
    conn.execute_batch(
        "PRAGMA journal_mode = WAL;
         PRAGMA synchronous = FULL;
         PRAGMA foreign_keys = ON;
         PRAGMA cache_size = -16000;
         PRAGMA temp_store = MEMORY;",
    )
    .map_err(super::unavailable)?;
    conn.busy_timeout(BUSY_TIMEOUT)
        .map_err(super::unavailable)?;
    // Plans never depend on bound values: without this, SQLite prepares a statement again
    // whenever a LIMIT or OFFSET parameter changes (a tenth of a list's CPU).
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)
        .map_err(super::unavailable)?;
    if read_only {
        conn.execute_batch("PRAGMA query_only = ON;")
            .map_err(super::unavailable)?;
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

/// How many committed groups between two checkpoint requests. A checkpoint writes the pages
/// changed since the last one into the database file and fsyncs it, and that burst of I/O delays
/// the writer's own fsyncs: smaller, more frequent bursts keep write latency steadier (receive p99
/// 10.8 to 12.3 ms against 14.6 to 15.1 ms at 64 groups, same runs; see docs/performance.md).
const GROUPS_PER_CHECKPOINT: u32 = 16;

/// Longest the writer waits for readers to leave the WAL when it restarts it: this process's
/// readers at the [`Gate`], then another process's (a backup, say) in SQLite's busy wait. A reader
/// that stays longer only postpones the restart.
const RESTART_WAIT: Duration = Duration::from_millis(20);

/// The writer's side of checkpointing.
struct Checkpoints {
    /// Asks the checkpoint thread for a checkpoint; never blocks.
    requests: mpsc::SyncSender<()>,
    /// How many frames the WAL held at the last checkpoint, which copied what it could:
    /// everything up to the oldest snapshot still in use.
    wal_frames: Arc<AtomicI64>,
    /// From how many frames on the writer restarts the WAL.
    restart_frames: i64,
    gate: Arc<Gate>,
}

/// Copies the WAL into the database file, off the writer. Under steady reads and writes such a
/// checkpoint never catches up (it stops at the oldest snapshot in use, and the writer keeps
/// appending), so the WAL would only grow; after each one, the writer, between two groups, copies
/// the little that is left and restarts the WAL from its beginning (see [`restart_wal`]).
fn checkpoint_loop(conn: Connection, requests: mpsc::Receiver<()>, wal_frames: &AtomicI64) {
    // A request arrives every few dozen commits; a quiet store is checkpointed once a second.
    loop {
        match requests.recv_timeout(Duration::from_secs(1)) {
            Ok(()) | Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
        match checkpoint(&conn, "PASSIVE") {
            Ok((_, log, _)) => wal_frames.store(log, Ordering::Release),
            Err(err) => tracing::warn!(error = %err, "checkpoint failed; the next one will retry"),
        }
    }
}

/// Runs `PRAGMA wal_checkpoint(mode)`: whether it was blocked, the WAL's frames, and how many of
/// them are now copied into the database file.
fn checkpoint(conn: &Connection, mode: &str) -> rusqlite::Result<(bool, i64, i64)> {
    conn.query_row(&format!("PRAGMA wal_checkpoint({mode})"), [], |r| {
        Ok((r.get::<_, i64>(0)? != 0, r.get(1)?, r.get(2)?))
    })
}

/// Copies what is left of the WAL and waits (at most [`RESTART_WAIT`]) until no reader uses it,
/// so that the next group writes the WAL from its beginning again.
fn restart_wal(conn: &Connection) {
    let restarted = conn
        .busy_timeout(RESTART_WAIT)
        .and_then(|()| checkpoint(conn, "RESTART"));
    if let Err(err) = conn.busy_timeout(BUSY_TIMEOUT) {
        tracing::error!(error = %err, "cannot reset the writer's busy timeout");
    }
    match restarted {
        Ok((true, _, _)) => tracing::debug!("readers kept the WAL busy; restart postponed"),
        Ok(_) => {}
        Err(err) => {
            tracing::warn!(error = %err, "cannot restart the WAL; the next checkpoint will retry")
        }
    }
}

fn write_loop(
    conn: Connection,
    jobs: mpsc::Receiver<WriteJob>,
    checkpoints: &Checkpoints,
    commits: &AtomicU64,
    queued: &AtomicUsize,
) {
    let mut groups = 0u32;
    while let Ok(first) = jobs.recv() {
        let started = Instant::now();
        let mut group = vec![first];
        while group.len() < MAX_GROUP {
            match jobs.try_recv() {
                Ok(job) => group.push(job),
                Err(_) => break,
            }
        }
        queued.fetch_sub(group.len(), Ordering::Relaxed);
        // Looked up per group, not once: the recorder may be installed after the store opens.
        metrics::histogram!("procura_sqlite_group_jobs").record(group.len() as f64);
        let Some(group) = run_group(&conn, group) else {
            continue;
        };
        let committed = run(&conn, "COMMIT").map_err(super::unavailable);
        metrics::histogram!("procura_sqlite_commit_seconds")
            .record(started.elapsed().as_secs_f64());
        if let Err(err) = &committed {
            if let Some(held_back) = STORAGE_LOG.admit() {
                tracing::error!(error = %err, jobs = group.len(), held_back, "group commit failed; rolling back");
            }
            let _ = conn.execute_batch("ROLLBACK");
        }
        // Counted before anyone is answered: a read that starts after an answer sees a new count
        // and takes a new snapshot, which holds this group.
        commits.fetch_add(1, Ordering::Release);
        for job in group {
            job.answer(committed.clone());
        }
        groups += 1;
        if groups % GROUPS_PER_CHECKPOINT == 0 {
            // Never blocks: a request already pending is enough.
            let _ = checkpoints.requests.try_send(());
        }
        if checkpoints.wal_frames.load(Ordering::Acquire) >= checkpoints.restart_frames {
            checkpoints.wal_frames.store(0, Ordering::Release);
            // Readers drop their kept snapshots at their next read instead of reusing them.
            commits.fetch_add(1, Ordering::Release);
            if checkpoints.gate.close(RESTART_WAIT) {
                restart_wal(&conn);
            } else {
                tracing::debug!("readers stayed on the WAL; restart postponed");
            }
            checkpoints.gate.open();
        }
    }
}

/// Runs the jobs one after the other in one transaction, which is left open for the caller to
/// commit; returns them, to be answered. `None` when no transaction could be started: the jobs
/// are dropped unanswered, which tells their callers that nothing was written.
///
/// A failed job must leave no trace, and its neighbours must not notice it. Most jobs that fail
/// do so before writing anything (a refusal is decided by reading), so the jobs first run without
/// savepoints: a savepoint per job copies every page the job touches into a journal, about a
/// fifth of a create's CPU on the writer. When a job fails after writing (SQLite's count of
/// changed rows moved), the transaction is rolled back and the group runs again, each job in its
/// own savepoint, so that only the failed job's writes are undone.
fn run_group(conn: &Connection, mut group: Vec<WriteJob>) -> Option<Vec<WriteJob>> {
    if let Err(err) = begin(conn) {
        refuse_all(group, &err);
        return None;
    }
    if run_without_savepoints(conn, &mut group) {
        return Some(group);
    }
    tracing::debug!(
        jobs = group.len(),
        "a job failed after writing; running its group again with savepoints"
    );
    if !conn.is_autocommit() {
        if let Err(err) = run(conn, "ROLLBACK") {
            tracing::error!(error = %err, "cannot roll a group back");
        }
    }
    if let Err(err) = begin(conn) {
        refuse_all(group, &err);
        return None;
    }
    run_with_savepoints(conn, &mut group);
    Some(group)
}

/// Log lines about the storage failing to write: one every 10 s, since the fault hits every write.
static STORAGE_LOG: Throttle = Throttle::new(Duration::from_secs(10));

fn begin(conn: &Connection) -> Result<(), StoreError> {
    run(conn, "BEGIN IMMEDIATE").map_err(|err| {
        if let Some(held_back) = STORAGE_LOG.admit() {
            tracing::error!(error = %err, held_back, "cannot begin a write transaction");
        }
        super::db(err)
    })
}

/// Answers every job of a group that could not start with why: nothing of theirs was written.
fn refuse_all(group: Vec<WriteJob>, err: &StoreError) {
    for mut job in group {
        job.fail(err.clone());
        job.answer(Ok(()));
    }
}

/// Runs the jobs in the open transaction; false as soon as one fails after writing (or SQLite
/// ended the transaction), which leaves the transaction to be rolled back.
fn run_without_savepoints(conn: &Connection, group: &mut [WriteJob]) -> bool {
    for job in group {
        let changes = conn.total_changes();
        let ok = job.run(conn);
        if conn.is_autocommit() || (!ok && conn.total_changes() != changes) {
            return false;
        }
    }
    true
}

/// Runs each job in its own savepoint, rolled back when the job fails.
fn run_with_savepoints(conn: &Connection, group: &mut [WriteJob]) {
    for job in group {
        if let Err(err) = run(conn, "SAVEPOINT job") {
            tracing::error!(error = %err, "cannot open a savepoint");
            job.fail(super::unavailable(err));
            continue;
        }
        if !job.run(conn) {
            rollback_savepoint(conn);
        } else if let Err(err) = run(conn, "RELEASE job") {
            tracing::error!(error = %err, "cannot release a savepoint");
            rollback_savepoint(conn);
            job.fail(super::unavailable(err));
        }
    }
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

    fn count(engine: &Engine) -> i64 {
        engine
            .read_now(|c| {
                c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
                    .map_err(super::super::db)
            })
            .unwrap()
    }

    /// Runs one statement as a write job, answered once its group is on disk.
    async fn write(engine: &Engine, sql: &'static str) {
        engine
            .write(move |c| c.execute(sql, []).map(drop).map_err(super::super::db))
            .await
            .unwrap();
    }

    /// An engine over a table `t`, and a connection of its own standing for another process.
    fn engine_and_outsider(dir: &tempfile::TempDir, tuning: Tuning) -> (Engine, Connection) {
        let path = dir.path().join("t.db");
        let outsider = open(&path, false).unwrap();
        outsider
            .execute_batch("CREATE TABLE t (x INTEGER)")
            .unwrap();
        (Engine::start_with(&path, 1, tuning).unwrap(), outsider)
    }

    #[tokio::test]
    async fn a_kept_snapshot_never_hides_a_write_that_was_answered() {
        let dir = tempfile::tempdir().unwrap();
        // Snapshots that never expire: only the commit count can end them.
        let tuning = Tuning {
            reuse: Duration::from_secs(3600),
            ..Tuning::default()
        };
        let (engine, _) = engine_and_outsider(&dir, tuning);
        keep_read_snapshots();
        for n in 1..=50 {
            write(&engine, "INSERT INTO t VALUES (1)").await;
            assert_eq!(count(&engine), n, "the read right after write {n}");
            let listed = engine
                .read(|c| {
                    c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get::<_, i64>(0))
                        .map_err(super::super::db)
                })
                .await
                .unwrap();
            assert_eq!(listed, n, "a reader thread's read right after write {n}");
        }
        release_read_snapshots();
    }

    #[tokio::test]
    async fn the_wal_stays_small_under_steady_writes_and_reads() {
        let dir = tempfile::tempdir().unwrap();
        let tuning = Tuning {
            restart_frames: 256,
            ..Tuning::default()
        };
        let (engine, _) = engine_and_outsider(&dir, tuning);
        let engine = Arc::new(engine);
        let stop = Arc::new(AtomicBool::new(false));
        // A reader that always holds a snapshot, as a busy server's workers do.
        let reader = std::thread::spawn({
            let (engine, stop) = (Arc::clone(&engine), Arc::clone(&stop));
            move || {
                keep_read_snapshots();
                let mut reads = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    count(&engine);
                    reads += 1;
                }
                release_read_snapshots();
                reads
            }
        });
        // Each write fills about a page: 2,000 groups write at least 8 MB of WAL frames.
        for _ in 0..2_000 {
            write(&engine, "INSERT INTO t VALUES (randomblob(3000))").await;
        }
        stop.store(true, Ordering::Relaxed);
        assert!(reader.join().unwrap() > 0);
        let wal = std::fs::metadata(dir.path().join("t.db-wal"))
            .unwrap()
            .len();
        assert!(wal < 3_000_000, "the WAL grew to {wal} bytes");
    }

    #[test]
    fn another_processs_write_is_seen_once_the_snapshot_expires_or_is_released() {
        let dir = tempfile::tempdir().unwrap();
        let (engine, outsider) = engine_and_outsider(&dir, Tuning::default());

        // Without keeping snapshots, every read is fresh.
        assert_eq!(count(&engine), 0);
        outsider.execute("INSERT INTO t VALUES (1)", []).unwrap();
        assert_eq!(count(&engine), 1);

        keep_read_snapshots();
        assert_eq!(count(&engine), 1);
        outsider.execute("INSERT INTO t VALUES (2)", []).unwrap();
        // Within SNAPSHOT_REUSE the kept snapshot may still answer; after it, never.
        std::thread::sleep(SNAPSHOT_REUSE * 2);
        assert_eq!(count(&engine), 2, "seen once the snapshot is too old");

        outsider.execute("INSERT INTO t VALUES (3)", []).unwrap();
        release_read_snapshots();
        assert_eq!(
            count(&engine),
            3,
            "seen at once after the snapshot is released"
        );

        // A released snapshot no longer holds back a checkpoint: it can copy every frame.
        release_read_snapshots();
        let (busy, log, copied): (i64, i64, i64) = outsider
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .unwrap();
        assert_eq!((busy, log), (0, copied));
        KEEP_SNAPSHOTS.with(|keep| keep.set(false));
    }

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

    /// A write job for [`one_group`]: its outcome, and how many times it ran.
    type GroupJob = Box<dyn FnMut(&Connection) -> StoreResult<()> + Send>;

    /// Runs `jobs` as one group, behind a job that holds the writer until they are all queued;
    /// returns each one's answer, the values in `t` afterwards, and how many groups committed.
    async fn one_group(jobs: Vec<GroupJob>) -> (Vec<StoreResult<()>>, Vec<i64>, u64) {
        let dir = tempfile::tempdir().unwrap();
        let (engine, _) = engine_and_outsider(&dir, Tuning::default());
        let engine = Arc::new(engine);
        let (release, held) = mpsc::channel::<()>();
        let holder = tokio::spawn({
            let engine = Arc::clone(&engine);
            async move {
                engine
                    .write(move |_| {
                        held.recv().unwrap();
                        Ok(())
                    })
                    .await
            }
        });
        tokio::time::sleep(Duration::from_millis(50)).await;
        let before = engine.commits.load(Ordering::Acquire);
        let tasks: Vec<_> = jobs
            .into_iter()
            .map(|job| {
                let engine = Arc::clone(&engine);
                tokio::spawn(async move { engine.write(job).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(50)).await;
        release.send(()).unwrap();
        holder.await.unwrap().unwrap();
        let mut answers = Vec::new();
        for task in tasks {
            answers.push(task.await.unwrap());
        }
        // Less the holder's own group.
        let groups = engine.commits.load(Ordering::Acquire) - before - 1;
        let values = engine
            .read_now(|c| {
                c.prepare("SELECT x FROM t ORDER BY x")
                    .and_then(|mut s| s.query_map([], |r| r.get(0))?.collect())
                    .map_err(super::super::db)
            })
            .unwrap();
        (answers, values, groups)
    }

    fn insert(x: i64) -> GroupJob {
        Box::new(move |c| {
            c.execute("INSERT INTO t VALUES (?1)", [x])
                .map(drop)
                .map_err(super::super::db)
        })
    }

    /// An insert that counts its runs.
    fn counted_insert(x: i64, runs: &Arc<AtomicUsize>) -> GroupJob {
        let runs = Arc::clone(runs);
        let mut insert = insert(x);
        Box::new(move |c| {
            runs.fetch_add(1, Ordering::SeqCst);
            insert(c)
        })
    }

    fn refused() -> StoreError {
        StoreError::rejected(crate::store::Rule::InvalidStatus, None, None, "refused")
    }

    #[tokio::test]
    async fn a_job_refused_before_writing_leaves_its_group_alone() {
        let runs = Arc::new(AtomicUsize::new(0));
        let (answers, values, groups) = one_group(vec![
            counted_insert(1, &runs),
            Box::new(|_| Err(refused())),
            insert(2),
        ])
        .await;
        assert_eq!(groups, 1, "the three jobs ran as one group");
        assert!(answers[0].is_ok() && answers[2].is_ok(), "{answers:?}");
        assert_eq!(
            format!("{:?}", answers[1]),
            format!("{:?}", Err::<(), _>(refused()))
        );
        assert_eq!(values, [1, 2]);
        assert_eq!(runs.load(Ordering::SeqCst), 1, "no job ran twice");
    }

    #[tokio::test]
    async fn a_job_that_fails_or_panics_after_writing_leaves_no_trace_and_its_group_commits() {
        let runs = Arc::new(AtomicUsize::new(0));
        let (answers, values, groups) = one_group(vec![
            counted_insert(1, &runs),
            Box::new(|c| {
                insert(10)(c)?;
                Err(refused())
            }),
            Box::new(|c| {
                insert(20)(c).unwrap();
                panic!("a job panicking after its write");
            }),
            insert(2),
            // Sees exactly its predecessors' rows, on either run.
            Box::new(|c| {
                c.execute("INSERT INTO t SELECT COUNT(*) + 100 FROM t", [])
                    .map(drop)
                    .map_err(super::super::db)
            }),
        ])
        .await;
        assert_eq!(groups, 1, "the five jobs ran as one group");
        assert!(
            answers[0].is_ok() && answers[3].is_ok() && answers[4].is_ok(),
            "{answers:?}"
        );
        assert_eq!(
            format!("{:?}", answers[1]),
            format!("{:?}", Err::<(), _>(refused()))
        );
        assert!(
            matches!(&answers[2], Err(StoreError::Internal(m)) if m == "a write job was dropped"),
            "{:?}",
            answers[2]
        );
        assert_eq!(values, [1, 2, 102], "only the failed jobs' rows are gone");
        assert_eq!(
            runs.load(Ordering::SeqCst),
            2,
            "the group ran again, with savepoints"
        );
    }
}
