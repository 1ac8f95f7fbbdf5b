//! Checkpoints: copying the WAL back into the database file off the writer, and restarting the
//! WAL from its beginning now and then so that it stays small.

use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use rusqlite::Connection;

use super::connection::BUSY_TIMEOUT;
use super::reader::Gate;

/// From this many frames (of one page each, 4 KiB) on, the writer restarts the WAL from its
/// beginning: about 64 MiB, the `journal_size_limit` too, so that the WAL file neither shrinks
/// nor grows from one restart to the next. Restarting stops readers and the writer for a few
/// milliseconds, so it is done seldom, not at every checkpoint. (At 256 MiB, with the file cut
/// back to 64 MiB at each restart, the p99 latency of writes under load went to 70 ms.)
pub(super) const RESTART_FRAMES: i64 = 16_384;

/// Longest the writer waits for readers to leave the WAL when it restarts it: this process's
/// readers at the [`Gate`], then another process's (a backup, say) in SQLite's busy wait. A reader
/// that stays longer only postpones the restart.
pub(super) const RESTART_WAIT: Duration = Duration::from_millis(20);

/// The writer's side of checkpointing.
pub(super) struct Checkpoints {
    /// Asks the checkpoint thread for a checkpoint; never blocks.
    pub(super) requests: mpsc::SyncSender<()>,
    /// How many frames the WAL held at the last checkpoint, which copied what it could:
    /// everything up to the oldest snapshot still in use.
    pub(super) wal_frames: Arc<AtomicI64>,
    /// From how many frames on the writer restarts the WAL.
    pub(super) restart_frames: i64,
    pub(super) gate: Arc<Gate>,
}

/// Copies the WAL into the database file, off the writer. Under steady reads and writes such a
/// checkpoint never catches up (it stops at the oldest snapshot in use, and the writer keeps
/// appending), so the WAL would only grow; after each one, the writer, between two groups, copies
/// the little that is left and restarts the WAL from its beginning (see [`restart_wal`]).
pub(super) fn checkpoint_loop(
    conn: Connection,
    requests: mpsc::Receiver<()>,
    wal_frames: &AtomicI64,
) {
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
pub(super) fn restart_wal(conn: &Connection) {
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

#[cfg(test)]
mod tests {
    use std::sync::atomic::AtomicBool;

    use super::super::testing::{count, engine_and_outsider, write};
    use super::super::{Tuning, keep_read_snapshots, release_read_snapshots};
    use super::*;

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
}
