//! Running Procura on a SQLite file safely: backups of a live server, one server per file, and
//! commands that never create a database by accident.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::cli::{Server, created_key, keys, migrated, procura};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_the_server_writes_holds_every_write_acknowledged_before_it() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("procura.db").display().to_string();
    let (_, _, key) = created_key(&keys(migrated(&db), &["create"]));
    let server = Server::start(&db);

    // A client creating suppliers as fast as it is answered, all through the backup.
    let acknowledged = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let stop = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn({
        let (acknowledged, stop) = (Arc::clone(&acknowledged), Arc::clone(&stop));
        let (address, key) = (server.address.clone(), key.clone());
        async move {
            let http = reqwest::Client::new();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                n += 1;
                let answer = http
                    .post(format!("{address}/v2/suppliers"))
                    .header("API-Key", &key)
                    .json(&json!({"supplier_name": format!("Supplier {n}")}))
                    .send()
                    .await
                    .unwrap();
                assert_eq!(answer.status(), StatusCode::OK);
                let body: serde_json::Value = answer.json().await.unwrap();
                let id = body["supplier_id"].as_str().unwrap().to_owned();
                acknowledged.lock().unwrap().push(id);
            }
            n
        }
    });
    tokio::time::sleep(Duration::from_millis(300)).await;
    let before: Vec<String> = acknowledged.lock().unwrap().clone();
    assert!(!before.is_empty());

    let copy = dir.path().join("backup.db");
    let output = tokio::task::spawn_blocking({
        let (db, copy) = (db.clone(), copy.clone());
        move || {
            procura(&db)
                .args(["backup", "--to"])
                .arg(&copy)
                .output()
                .unwrap()
        }
    })
    .await
    .unwrap();
    tokio::time::sleep(Duration::from_millis(100)).await;
    stop.store(true, Ordering::Relaxed);
    let written = writer.await.unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let stdout = String::from_utf8(output.stdout).unwrap();
    assert!(
        stdout.contains(&format!("Wrote {}", copy.display())),
        "{stdout}"
    );
    assert!(
        stdout.contains("Verified: PRAGMA integrity_check is ok."),
        "{stdout}"
    );
    assert!(
        written as usize > before.len(),
        "the server kept writing during the backup"
    );
    for sidecar in ["backup.db-wal", "backup.db-shm", "backup.db.partial"] {
        assert!(!dir.path().join(sidecar).exists(), "{sidecar}");
    }

    // Restored: a server on the copy answers every supplier acknowledged before the backup.
    drop(server);
    let restored = Server::start(&copy.display().to_string());
    for id in &before {
        let answer = restored
            .get(&format!("/v2/suppliers/{id}"), Some(&key))
            .await;
        assert_eq!(answer.status(), StatusCode::OK, "{id}");
    }
}

#[tokio::test]
async fn a_second_server_on_one_sqlite_file_refuses_to_start_naming_the_first() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("procura.db").display().to_string();
    let first = Server::start(&db);

    let second = procura(&db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .output()
        .unwrap();

    assert!(!second.status.success());
    let stderr = String::from_utf8_lossy(&second.stderr);
    assert!(
        stderr.contains(&format!(
            "procura.db is already served by process {}",
            first.pid()
        )),
        "{stderr}"
    );
    assert!(
        stderr.contains("one procura serve per SQLite file"),
        "{stderr}"
    );
    // The first one goes on, and keys and backups work beside it.
    let (_, _, key) = created_key(&keys(&db, &["create"]));
    assert_eq!(
        first.get("/v2/suppliers", Some(&key)).await.status(),
        StatusCode::OK
    );
    let copy = dir.path().join("copy.db");
    let backup = procura(&db)
        .args(["backup", "--to"])
        .arg(&copy)
        .output()
        .unwrap();
    assert!(backup.status.success());

    // Once it stops, the file is free.
    drop(first);
    let again = Server::start(&db);
    assert_eq!(
        again.get("/v2/suppliers", Some(&key)).await.status(),
        StatusCode::OK
    );
}

#[test]
fn keys_copy_and_backup_on_a_missing_database_fail_and_create_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("typo.db");
    let db = missing.display().to_string();

    for args in [
        &["keys", "create"][..],
        &["keys", "list"][..],
        &["backup", "--to", "/tmp/never-written.db"][..],
    ] {
        let output = procura(&db).args(args).output().unwrap();
        assert!(!output.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(
            stderr.contains(&format!("there is no database at {}", missing.display())),
            "{args:?}: {stderr}"
        );
    }
    let copy = procura(&db)
        .args([
            "copy",
            "--from",
            &db,
            "--to",
            "postgres://postgres@127.0.0.1:1/none",
        ])
        .output()
        .unwrap();
    assert!(!copy.status.success());
    assert!(
        String::from_utf8_lossy(&copy.stderr)
            .contains(&format!("there is no database at {}", missing.display())),
        "{}",
        String::from_utf8_lossy(&copy.stderr)
    );
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    assert!(!std::path::Path::new("/tmp/never-written.db").exists());
}

#[tokio::test]
async fn after_a_clean_stop_the_database_file_alone_holds_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("procura.db").display().to_string();
    let (_, _, key) = created_key(&keys(migrated(&db), &["create"]));
    let mut server = Server::start(&db);
    let http = reqwest::Client::new();
    for n in 0..20 {
        let answer = http
            .post(format!("{}/v2/suppliers", server.address))
            .header("API-Key", &key)
            .json(&json!({"supplier_name": format!("Supplier {n}")}))
            .send()
            .await
            .unwrap();
        assert_eq!(answer.status(), StatusCode::OK);
    }

    assert!(server.terminate().success());

    // Only the database file is copied: no -wal, no -shm.
    let elsewhere = tempfile::tempdir().unwrap();
    let copy = elsewhere.path().join("procura.db");
    std::fs::copy(dir.path().join("procura.db"), &copy).unwrap();
    let restored = Server::start(&copy.display().to_string());
    let list: serde_json::Value = restored
        .get("/v2/suppliers", Some(&key))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(list["total"], 20);
}
