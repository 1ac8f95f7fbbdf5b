//! The writer: it takes every job that is waiting, runs them one after the other in one
//! transaction, and commits once; a job that fails never disturbs its neighbours.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use rusqlite::Connection;
use tokio::sync::oneshot;

use super::WriteJob;
use super::checkpoint::{Checkpoints, RESTART_WAIT, restart_wal};
use crate::store::{StoreError, StoreResult};
use crate::telemetry::Throttle;

/// Most write jobs committed together; bounds the latency one group adds to its first member.
const MAX_GROUP: usize = 512;

/// A request's work on the writer. It may run twice: see [`run_group`].
pub(super) trait Job: Send {
    /// Runs the work; whether it succeeded. A panic counts as a failure.
    fn run(&mut self, conn: &Connection) -> bool;
    /// Replaces the outcome of the last run with `err`.
    fn fail(&mut self, err: StoreError);
    /// Answers the caller once the group's commit has succeeded or failed. A job whose last run
    /// panicked is not answered, which tells its caller that nothing was written.
    fn answer(self: Box<Self>, commit: StoreResult<()>);
}

pub(super) struct Request<T, F> {
    pub(super) work: F,
    pub(super) result: Option<StoreResult<T>>,
    pub(super) reply: oneshot::Sender<StoreResult<T>>,
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

/// How many committed groups between two checkpoint requests. A checkpoint writes the pages
/// changed since the last one into the database file and fsyncs it, and that burst of I/O delays
/// the writer's own fsyncs: smaller, more frequent bursts keep write latency steadier (receive p99
/// 10.8 to 12.3 ms against 14.6 to 15.1 ms at 64 groups, same runs; see docs/performance.md).
const GROUPS_PER_CHECKPOINT: u32 = 16;

pub(super) fn write_loop(
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
        let committed = run(&conn, "COMMIT").map_err(crate::store::sqlite::unavailable);
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
        crate::store::sqlite::db(err)
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
            job.fail(crate::store::sqlite::unavailable(err));
            continue;
        }
        if !job.run(conn) {
            rollback_savepoint(conn);
        } else if let Err(err) = run(conn, "RELEASE job") {
            tracing::error!(error = %err, "cannot release a savepoint");
            rollback_savepoint(conn);
            job.fail(crate::store::sqlite::unavailable(err));
        }
    }
}

/// Runs a transaction-control statement through the statement cache: these run for every job,
/// and parsing them each time costs more than executing them.
pub(super) fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

fn rollback_savepoint(conn: &Connection) {
    if let Err(err) = run(conn, "ROLLBACK TO job").and_then(|()| run(conn, "RELEASE job")) {
        tracing::error!(error = %err, "cannot roll back a savepoint");
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::sync::atomic::AtomicUsize;

    use super::super::Tuning;
    use super::super::testing::engine_and_outsider;
    use super::*;

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
                    .map_err(crate::store::sqlite::db)
            })
            .unwrap();
        (answers, values, groups)
    }

    fn insert(x: i64) -> GroupJob {
        Box::new(move |c| {
            c.execute("INSERT INTO t VALUES (?1)", [x])
                .map(drop)
                .map_err(crate::store::sqlite::db)
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
        StoreError::rejected(crate::domain::refusal::Refusal::UnknownSupplier(
            crate::domain::ids::SupplierId(1),
        ))
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
                    .map_err(crate::store::sqlite::db)
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
            matches!(&answers[2], Err(StoreError::Internal(m)) if m.context == "a write job was dropped"),
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
