//! One `procura serve` per SQLite file.
//!
//! The SQLite store's group commit, order numbers and read snapshots assume that one process
//! writes the file (several servers need PostgreSQL). A second server on the same file would not
//! corrupt it, since SQLite locks it, but it would turn every write into a wait for the other
//! process's lock. So `serve` holds an advisory lock on `<file>.lock` for as long as it runs,
//! with its process id written inside for whoever is refused. `backup`, `keys` and `copy` do not
//! take it and keep working beside a running server.

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

use rustix::fs::{FlockOperation, flock};

/// Held while `serve` runs; the lock is released when the process ends, however it ends.
#[derive(Debug)]
pub struct ServerLock {
    _file: File,
    path: PathBuf,
}

impl ServerLock {
    /// Takes the lock for the database at `database`, or says which process holds it.
    pub fn acquire(database: &Path) -> anyhow::Result<Self> {
        let path = lock_path(database);
        let mut file = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)
            .map_err(|e| anyhow::anyhow!("cannot open the lock file {}: {e}", path.display()))?;
        if flock(&file, FlockOperation::NonBlockingLockExclusive).is_err() {
            let mut holder = String::new();
            let _ = file.read_to_string(&mut holder);
            let holder = holder.trim();
            let by = if holder.is_empty() {
                "another process".to_owned()
            } else {
                format!("process {holder}")
            };
            anyhow::bail!(
                "{} is already served by {by} (it holds {}); one procura serve per SQLite file. \
                 Stop that server first, or use PostgreSQL to run several servers on one database",
                database.display(),
                path.display()
            );
        }
        file.set_len(0)?;
        file.rewind()?;
        writeln!(file, "{}", std::process::id())?;
        file.sync_all()?;
        Ok(Self { _file: file, path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

fn lock_path(database: &Path) -> PathBuf {
    let mut name = database.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_lock_on_one_file_is_refused_naming_the_holder_until_the_first_is_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let database = dir.path().join("procura.db");

        let first = ServerLock::acquire(&database).unwrap();
        let refused = ServerLock::acquire(&database).unwrap_err().to_string();
        assert!(
            refused.contains(&format!(
                "procura.db is already served by process {}",
                std::process::id()
            )),
            "{refused}"
        );
        assert!(refused.contains("procura.db.lock"), "{refused}");

        drop(first);
        let again = ServerLock::acquire(&database).unwrap();
        assert_eq!(again.path(), dir.path().join("procura.db.lock"));
    }
}
