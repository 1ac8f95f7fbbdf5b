//! `procura backup --to FILE`: a consistent, verified copy of a SQLite database, taken while a
//! server may be running and writing.
//!
//! `VACUUM INTO` writes the database as one read transaction sees it, so the copy holds every
//! write committed before the backup began and none of the ones after, without stopping the
//! writer (readers never block it in WAL mode). The copy is a single self-contained file (no
//! `-wal` or `-shm` beside it), written under a temporary name, checked with
//! `PRAGMA integrity_check`, fsynced, and only then renamed into place.

use std::fmt;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use rusqlite::{Connection, OpenFlags};

/// What a backup wrote.
#[derive(Debug)]
pub struct BackupReport {
    pub to: PathBuf,
    pub bytes: u64,
    /// Rows per table in the copy, by table name.
    pub tables: Vec<(String, i64)>,
}

impl fmt::Display for BackupReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "Wrote {} ({} bytes).", self.to.display(), self.bytes)?;
        for (table, rows) in &self.tables {
            writeln!(f, "  {table:<24} {rows:>12} rows")?;
        }
        writeln!(f, "Verified: PRAGMA integrity_check is ok.")
    }
}

/// Copies the SQLite database at `from` into the new file `to`.
pub fn backup_sqlite(from: &Path, to: &Path) -> anyhow::Result<BackupReport> {
    if !from.is_file() {
        bail!(
            "there is no database at {}; check --database (backup never creates one)",
            from.display()
        );
    }
    if to.exists() {
        bail!(
            "{} already exists; choose a new file name (a backup never overwrites)",
            to.display()
        );
    }
    let partial = partial_name(to);
    let _ = std::fs::remove_file(&partial);
    let source = Connection::open_with_flags(
        from,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .with_context(|| format!("opening {}", from.display()))?;
    // A running server's checkpoint may hold the WAL for a moment.
    source.busy_timeout(std::time::Duration::from_secs(10))?;
    let target = partial
        .to_str()
        .with_context(|| format!("{} is not valid UTF-8", partial.display()))?;
    let written = source
        .execute("VACUUM INTO ?1", [target])
        .with_context(|| format!("writing {}", partial.display()));
    drop(source);
    let verified = written.and_then(|_| verify(&partial));
    let tables = match verified {
        Ok(tables) => tables,
        Err(err) => {
            let _ = std::fs::remove_file(&partial);
            return Err(err);
        }
    };
    let file = std::fs::File::open(&partial)?;
    file.sync_all()
        .with_context(|| format!("flushing {}", partial.display()))?;
    let bytes = file.metadata()?.len();
    std::fs::rename(&partial, to)
        .with_context(|| format!("renaming {} to {}", partial.display(), to.display()))?;
    sync_parent(to)?;
    Ok(BackupReport {
        to: to.to_owned(),
        bytes,
        tables,
    })
}

fn partial_name(to: &Path) -> PathBuf {
    let mut name = to.as_os_str().to_owned();
    name.push(".partial");
    PathBuf::from(name)
}

/// Checks the copy's integrity and counts its rows.
fn verify(copy: &Path) -> anyhow::Result<Vec<(String, i64)>> {
    let conn = Connection::open_with_flags(copy, OpenFlags::SQLITE_OPEN_READ_ONLY)
        .with_context(|| format!("opening the copy {}", copy.display()))?;
    let problems: Vec<String> = conn
        .prepare("PRAGMA integrity_check")?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    if problems != ["ok"] {
        bail!(
            "the copy {} failed PRAGMA integrity_check: {}",
            copy.display(),
            problems.join("; ")
        );
    }
    let names: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_schema
              WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )?
        .query_map([], |row| row.get(0))?
        .collect::<Result<_, _>>()?;
    names
        .into_iter()
        .map(|name| {
            // Names come from the schema itself; quoted as identifiers all the same.
            let rows = conn.query_row(
                &format!("SELECT COUNT(*) FROM \"{}\"", name.replace('"', "\"\"")),
                [],
                |row| row.get(0),
            )?;
            Ok((name, rows))
        })
        .collect()
}

/// Makes the rename itself durable: a crash right after must not lose the new name.
fn sync_parent(path: &Path) -> anyhow::Result<()> {
    #[cfg(unix)]
    {
        let dir = path
            .parent()
            .filter(|d| !d.as_os_str().is_empty())
            .unwrap_or(Path::new("."));
        std::fs::File::open(dir)
            .and_then(|d| d.sync_all())
            .with_context(|| format!("flushing the directory {}", dir.display()))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn database(dir: &Path) -> PathBuf {
        let path = dir.join("source.db");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE t (x INTEGER);
             INSERT INTO t VALUES (1), (2), (3);",
        )
        .unwrap();
        path
    }

    #[test]
    fn a_backup_is_one_verified_file_with_every_committed_row() {
        let dir = tempfile::tempdir().unwrap();
        let source = database(dir.path());
        let to = dir.path().join("copy.db");

        let report = backup_sqlite(&source, &to).unwrap();

        assert_eq!(report.tables, vec![("t".to_owned(), 3)]);
        assert_eq!(report.bytes, std::fs::metadata(&to).unwrap().len());
        assert!(!partial_name(&to).exists());
        assert!(!dir.path().join("copy.db-wal").exists());
        let copy = Connection::open(&to).unwrap();
        let sum: i64 = copy
            .query_row("SELECT SUM(x) FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(sum, 6);
    }

    #[test]
    fn a_backup_never_overwrites_nor_creates_a_source() {
        let dir = tempfile::tempdir().unwrap();
        let source = database(dir.path());
        let to = dir.path().join("copy.db");
        std::fs::write(&to, b"keep me").unwrap();

        let err = backup_sqlite(&source, &to).unwrap_err().to_string();
        assert!(err.contains("already exists"), "{err}");
        assert_eq!(std::fs::read(&to).unwrap(), b"keep me");

        let missing = dir.path().join("missing.db");
        let err = backup_sqlite(&missing, &dir.path().join("other.db"))
            .unwrap_err()
            .to_string();
        assert!(err.contains("there is no database at"), "{err}");
        assert!(!missing.exists());
    }
}
