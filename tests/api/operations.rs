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

#[tokio::test]
async fn the_access_log_has_one_line_per_request_and_refused_keys_at_most_one_a_second() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("procura.db").display().to_string();
    let (_, account, key) = created_key(&keys(migrated(&db), &["create"]));
    let log = dir.path().join("stderr.log");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_procura"))
        .args(["serve", "--listen", "127.0.0.1:0", "--database", &db])
        .env_remove("RUST_LOG")
        .env("NO_COLOR", "1")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log).unwrap())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let address = std::io::BufRead::lines(stdout)
        .find_map(|l| l.unwrap().strip_prefix("Listening on ").map(str::to_owned))
        .unwrap();
    let http = reqwest::Client::new();
    let listed = http
        .get(format!("{address}/v2/suppliers/se-77"))
        .header("API-Key", &key)
        .send()
        .await
        .unwrap();
    assert_eq!(listed.status(), StatusCode::NOT_FOUND);
    let request_id = listed.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_owned();
    for _ in 0..5 {
        let refused = http
            .get(format!("{address}/v2/suppliers"))
            .header("API-Key", "pk_guess")
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    }
    let _ = child.kill();
    let _ = child.wait();

    let log = std::fs::read_to_string(&log).unwrap();
    let answered: Vec<&str> = log.lines().filter(|l| l.contains("answered")).collect();
    assert_eq!(answered.len(), 6, "{log}");
    let line = answered
        .iter()
        .find(|l| l.contains(&request_id))
        .unwrap_or_else(|| panic!("no line for {request_id}: {log}"));
    for part in [
        " INFO ",
        "method=GET",
        "path=/v2/suppliers/se-77",
        &format!("account.id={}", account.trim_start_matches("se-")),
        "route=/v2/suppliers/{supplier_id}",
        "status=404",
        "duration_ms=",
    ] {
        assert!(line.contains(part), "{part} missing in {line}");
    }
    let refused: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("request refused"))
        .collect();
    assert_eq!(refused.len(), 1, "at most one a second: {log}");
    assert!(refused[0].contains("client=127.0.0.1:"), "{}", refused[0]);
    assert!(
        !log.contains(&key) && !log.contains("pk_guess"),
        "keys never reach the log"
    );
}

#[test]
fn serve_checks_its_address_before_it_creates_a_database_or_a_key() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("procura.db").display().to_string();
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = taken.local_addr().unwrap().port();

    for (listen, says) in [
        (
            "8099".to_owned(),
            "--listen 8099 is not an address: give a host and a port, such as 127.0.0.1:8099"
                .to_owned(),
        ),
        (
            format!("127.0.0.1:{port}"),
            format!("cannot listen on 127.0.0.1:{port} (--listen)"),
        ),
    ] {
        let output = procura(&db)
            .args(["serve", "--listen", &listen])
            .output()
            .unwrap();
        assert!(!output.status.success(), "{listen}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(&says), "{listen}: {stderr}");
        assert!(output.stdout.is_empty(), "no key printed: {listen}");
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "nothing created for {listen}"
        );
    }
}

#[tokio::test]
async fn metrics_listen_serves_metrics_apart_from_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("procura.db").display().to_string();
    let port = {
        let probe = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        probe.local_addr().unwrap().port()
    };
    let mut child = procura(&db)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .args(["--metrics-listen", &format!("127.0.0.1:{port}")])
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
    let address = std::io::BufRead::lines(stdout)
        .find_map(|l| l.unwrap().strip_prefix("Listening on ").map(str::to_owned))
        .unwrap();

    let beside = reqwest::get(format!("{address}/metrics")).await.unwrap();
    let apart = reqwest::get(format!("http://127.0.0.1:{port}/metrics"))
        .await
        .unwrap();
    let api_there = reqwest::get(format!("http://127.0.0.1:{port}/v2/suppliers"))
        .await
        .unwrap();
    let _ = child.kill();
    let _ = child.wait();

    assert_eq!(beside.status(), StatusCode::NOT_FOUND);
    assert_eq!(apart.status(), StatusCode::OK);
    assert!(
        apart
            .text()
            .await
            .unwrap()
            .contains("procura_http_requests_total")
    );
    assert_eq!(api_there.status(), StatusCode::NOT_FOUND);
}
