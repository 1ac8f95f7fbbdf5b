//! The SQLite engine: one writer thread that commits requests in groups, and a few reader
//! threads.
//!
//! Every write runs on the writer thread. The writer takes every job that is waiting, runs them
//! one after the other in one transaction, and commits once: a single fsync (`synchronous=FULL`)
//! makes the whole group durable before any of them is answered. A job that fails never disturbs
//! its neighbours: see [`writer::run_group`] for how its writes are undone.
//!
//! Reads run in read transactions. Taking SQLite's WAL read lock costs system calls and a
//! process-wide mutex, so a thread that opts in with [`keep_read_snapshots`] keeps its read
//! transaction open from one read to the next, for as long as it is still current: the writer
//! counts its commits, and a snapshot is reused only while no commit has happened since it was
//! taken, and for at most [`SNAPSHOT_REUSE`] (which bounds how late a write from another process,
//! such as `procura keys revoke`, is seen). An idle thread gives its snapshot back with
//! [`release_read_snapshots`].
//!
//! The parts: [`connection`] opens a connection with the settings every one needs, [`reader`]
//! keeps read transactions, [`writer`] commits groups, and [`checkpoint`] keeps the WAL small.

use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::thread;
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::oneshot;

use crate::store::{Fault, StoreError, StoreResult};
use checkpoint::{Checkpoints, RESTART_FRAMES, checkpoint_loop};
use reader::{Gate, Reader};
use writer::{Job, Request, write_loop};

mod checkpoint;
mod connection;
mod reader;
mod writer;

pub use connection::open;

/// Longest a read snapshot is reused. Commits made through this engine end a snapshot at once;
/// this bounds how late a reader sees a write made by another process.
const SNAPSHOT_REUSE: Duration = Duration::from_millis(1);

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
                StoreError::Internal(Fault::caused_by("cannot start the checkpoint thread", e))
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
            .map_err(|e| {
                StoreError::Internal(Fault::caused_by("cannot start the writer thread", e))
            })?;

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
                .map_err(|e| {
                    StoreError::Internal(Fault::caused_by("cannot start a reader thread", e))
                })?;
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
    /// it wrote is rolled back and its error is returned. `f` may run twice (see [`writer::run_group`]):
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

#[cfg(test)]
pub(super) mod testing {
    //! What the engine's tests share: an engine over a table `t`, and ways to read and write it.

    use super::*;

    pub(super) fn count(engine: &Engine) -> i64 {
        engine
            .read_now(|c| {
                c.query_row("SELECT COUNT(*) FROM t", [], |r| r.get(0))
                    .map_err(super::super::db)
            })
            .unwrap()
    }

    /// Runs one statement as a write job, answered once its group is on disk.
    pub(super) async fn write(engine: &Engine, sql: &'static str) {
        engine
            .write(move |c| c.execute(sql, []).map(drop).map_err(super::super::db))
            .await
            .unwrap();
    }

    /// An engine over a table `t`, and a connection of its own standing for another process.
    pub(super) fn engine_and_outsider(
        dir: &tempfile::TempDir,
        tuning: Tuning,
    ) -> (Engine, Connection) {
        let path = dir.path().join("t.db");
        let outsider = open(&path, false).unwrap();
        outsider
            .execute_batch("CREATE TABLE t (x INTEGER)")
            .unwrap();
        (Engine::start_with(&path, 1, tuning).unwrap(), outsider)
    }
}

#[cfg(test)]
mod tests {
    use super::testing::{count, engine_and_outsider, write};
    use super::*;

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
}
