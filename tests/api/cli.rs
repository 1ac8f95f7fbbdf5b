//! The `procura` binary: `keys create | list | revoke` and `serve`, against one database (a file,
//! or a PostgreSQL database in the PostgreSQL test binary).

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{Receiver, channel};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::json;

use crate::helpers::test_database;

const WAIT: Duration = Duration::from_secs(60);

pub(crate) fn procura(database: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_procura"));
    command
        .arg("--database")
        .arg(database)
        .env_remove("PROCURA_DATABASE_URL")
        .env_remove("PROCURA_LISTEN")
        .env_remove("PROCURA_RATE_LIMIT_PER_MINUTE")
        // Tests share one PostgreSQL server; SQLite ignores it.
        .env("PROCURA_DB_MAX_CONNECTIONS", "4")
        .env("RUST_LOG", "warn");
    command
}

/// Creates the database's schema (`procura migrate`), as an operator does before `keys`.
pub(crate) fn migrated(database: &str) -> &str {
    let output = procura(database)
        .arg("migrate")
        .output()
        .expect("procura runs");
    assert!(
        output.status.success(),
        "procura migrate failed: {}",
        describe(&output)
    );
    database
}

/// Runs a `keys` command to its end; returns its standard output, failing on a non-zero exit.
pub(crate) fn keys(database: &str, args: &[&str]) -> String {
    let output = procura(database)
        .arg("keys")
        .args(args)
        .output()
        .expect("procura runs");
    assert!(
        output.status.success(),
        "procura keys {args:?} failed: {}",
        describe(&output)
    );
    String::from_utf8(output.stdout).expect("UTF-8 output")
}

fn describe(output: &Output) -> String {
    format!(
        "{}; stdout: {}; stderr: {}",
        output.status,
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// `(key id, account id, secret)` from the output of `keys create`.
pub(crate) fn created_key(stdout: &str) -> (String, String, String) {
    let lines: Vec<&str> = stdout.lines().collect();
    let secret = lines.last().expect("a last line").trim().to_owned();
    assert!(
        secret.starts_with("pk_") && secret.len() == 67,
        "the last line is not a key: {stdout}"
    );
    let words: Vec<&str> = lines[0].split_whitespace().collect();
    assert_eq!(
        (words[0], words[1], words[3], words[4]),
        ("Created", "key", "for", "account"),
        "{stdout}"
    );
    (words[2].to_owned(), words[5].to_owned(), secret)
}

/// A running `procura serve`; killed when dropped.
pub(crate) struct Server {
    child: Child,
    pub(crate) address: String,
    /// What it printed before "Listening on ...".
    pub(crate) banner: Vec<String>,
}

impl Server {
    pub(crate) fn start(database: &str) -> Self {
        Self::start_with(database, &[])
    }

    /// `procura serve` with `args` after the listen address.
    pub(crate) fn start_with(database: &str, args: &[&str]) -> Self {
        let mut child = procura(database)
            .args(["serve", "--listen", "127.0.0.1:0"])
            .args(args)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("procura serve starts");
        let lines = read_lines(child.stdout.take().expect("a stdout pipe"));
        let mut banner = Vec::new();
        loop {
            let line = lines.recv_timeout(WAIT).unwrap_or_else(|_| {
                let _ = child.kill();
                let _ = child.wait();
                panic!("procura serve printed no 'Listening on' line; it printed {banner:?}")
            });
            if let Some(address) = line.strip_prefix("Listening on ") {
                return Self {
                    child,
                    address: address.trim().to_owned(),
                    banner,
                };
            }
            banner.push(line);
        }
    }

    #[allow(
        dead_code,
        reason = "used by the SQLite-only tests of operations.rs, not in the PostgreSQL binary"
    )]
    pub(crate) fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM and waits for the process to end.
    #[allow(
        dead_code,
        reason = "used by the SQLite-only tests of operations.rs, not in the PostgreSQL binary"
    )]
    pub(crate) fn terminate(&mut self) -> std::process::ExitStatus {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success());
        self.child.wait().expect("procura serve ends")
    }

    pub(crate) async fn get(&self, path: &str, key: Option<&str>) -> reqwest::Response {
        let mut request = reqwest::Client::new()
            .get(format!("{}{path}", self.address))
            .timeout(WAIT);
        if let Some(key) = key {
            request = request.header("API-Key", key);
        }
        request.send().await.expect("procura serve answers")
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn read_lines(stream: impl std::io::Read + Send + 'static) -> Receiver<String> {
    let (send, receive) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stream).lines().map_while(Result::ok) {
            if send.send(line).is_err() {
                break;
            }
        }
    });
    receive
}

#[tokio::test]
async fn a_created_key_works_is_listed_and_stops_working_once_revoked() {
    let Some(database) = test_database().await else {
        return;
    };
    let db = migrated(database.url.as_str());
    let (key_id, account, secret) = created_key(&keys(db, &["create", "--label", " shop sync "]));
    let server = Server::start(db);
    assert_eq!(
        server.banner,
        Vec::<String>::new(),
        "an existing account gets no new key"
    );

    let answer = server.get("/v2/suppliers", Some(&secret)).await;
    assert_eq!(answer.status(), StatusCode::OK);
    assert_eq!(
        answer.json::<serde_json::Value>().await.unwrap()["suppliers"],
        json!([])
    );

    // The key's use is recorded off the request's path: wait for it, within bounds.
    let row_of = |list: &str| {
        list.lines()
            .find(|l| l.starts_with(&format!("{key_id} ")))
            .unwrap_or_else(|| panic!("{key_id} not in {list}"))
            .to_owned()
    };
    let mut list = keys(db, &["list"]);
    for _ in 0..50 {
        if row_of(&list).split_whitespace().nth(5) != Some("-") {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
        list = keys(db, &["list"]);
    }
    let row = row_of(&list);
    let columns: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(
        (columns[1], columns[2], columns[4], &columns[6..]),
        (
            account.as_str(),
            format!("{}...", &secret[..9]).as_str(),
            "-",
            &["shop", "sync"][..]
        ),
        "{row}"
    );
    let used = chrono::DateTime::parse_from_rfc3339(columns[5])
        .unwrap_or_else(|e| panic!("last used {:?}: {e}", columns[5]));
    let created = chrono::DateTime::parse_from_rfc3339(columns[3]).unwrap();
    assert!(used >= created, "{row}");
    assert!(!list.contains(&secret), "keys list shows a whole key");

    assert_eq!(
        keys(db, &["revoke", &key_id]).trim(),
        format!("Revoked key {key_id}.")
    );

    let refused = server.get("/v2/suppliers", Some(&secret)).await;
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    assert_eq!(
        refused.json::<serde_json::Value>().await.unwrap()["errors"][0]["error_code"],
        "unauthorized"
    );
    let list = keys(db, &["list"]);
    let row = list
        .lines()
        .find(|l| l.starts_with(&format!("{key_id} ")))
        .unwrap();
    assert_ne!(row.split_whitespace().nth(4), Some("-"), "{row}");
}

#[tokio::test]
async fn a_second_key_for_an_account_sees_the_same_data() {
    let Some(database) = test_database().await else {
        return;
    };
    let db = migrated(database.url.as_str());
    let (_, account, first) = created_key(&keys(db, &["create"]));
    let (_, same_account, second) = created_key(&keys(db, &["create", "--account", &account]));
    let (_, other_account, third) = created_key(&keys(db, &["create"]));
    assert_eq!(same_account, account);
    assert_ne!(other_account, account);
    let server = Server::start(db);

    let created = reqwest::Client::new()
        .post(format!("{}/v2/suppliers", server.address))
        .header("API-Key", &first)
        .json(&json!({ "supplier_name": "Acme" }))
        .send()
        .await
        .unwrap();
    assert_eq!(created.status(), StatusCode::OK);

    let seen = server
        .get("/v2/suppliers", Some(&second))
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(seen["total"], 1);
    let other = server
        .get("/v2/suppliers", Some(&third))
        .await
        .json::<serde_json::Value>()
        .await
        .unwrap();
    assert_eq!(other["total"], 0);
}

#[tokio::test]
async fn revoking_or_adding_to_something_that_does_not_exist_fails_saying_so() {
    let Some(database) = test_database().await else {
        return;
    };
    let db = migrated(database.url.as_str());

    for (args, says) in [
        (&["revoke", "se-999"][..], "key se-999 does not exist"),
        (
            &["create", "--account", "se-999"][..],
            "account se-999 does not exist",
        ),
        (&["revoke", "key-1"][..], "'key-1' is not a key id"),
    ] {
        let output = procura(db).arg("keys").args(args).output().unwrap();
        assert!(!output.status.success(), "{args:?}: {}", describe(&output));
        assert!(
            String::from_utf8_lossy(&output.stderr).contains(says),
            "{args:?}: {}",
            describe(&output)
        );
    }
}

#[tokio::test]
async fn serve_on_an_empty_database_prints_a_key_once() {
    let Some(database) = test_database().await else {
        return;
    };
    let db = database.url.as_str();

    let first = Server::start(db);
    assert_eq!(first.banner.len(), 4, "{:?}", first.banner);
    assert_eq!(
        first.banner[2],
        "Its first web user, admin@localhost (admin), sets a password at (valid 7 days):"
    );
    let link = first.banner[3].trim();
    assert!(
        link.starts_with(&format!("{}/app/password/", first.address)) && link.len() > 64,
        "{link}"
    );
    assert!(first.banner[0].contains("API key"), "{:?}", first.banner);
    let secret = first.banner[1].trim().to_owned();
    assert!(
        secret.starts_with("pk_") && secret.len() == 67,
        "{:?}",
        first.banner
    );
    assert!(
        first.address.starts_with("http://127.0.0.1:") && !first.address.ends_with(":0"),
        "{}",
        first.address
    );

    let health = first.get("/healthz", None).await;
    assert_eq!(health.status(), StatusCode::OK);
    assert_eq!(
        health.json::<serde_json::Value>().await.unwrap(),
        json!({ "status": "ok" })
    );
    assert_eq!(
        first
            .get("/v2/purchase_orders", Some(&secret))
            .await
            .status(),
        StatusCode::OK
    );
    drop(first);

    let second = Server::start(db);
    assert_eq!(second.banner, Vec::<String>::new());
    assert_eq!(
        second
            .get("/v2/purchase_orders", Some(&secret))
            .await
            .status(),
        StatusCode::OK
    );
}

#[tokio::test]
async fn logs_written_to_a_pipe_are_plain_text() {
    let Some(database) = test_database().await else {
        return;
    };
    let mut child = procura(database.url.as_str())
        .args(["serve", "--listen", "127.0.0.1:0"])
        .env("RUST_LOG", "info")
        .env_remove("NO_COLOR")
        .env_remove("PROCURA_LOG_FORMAT")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("procura serve starts");
    let lines = read_lines(child.stderr.take().expect("a stderr pipe"));
    let mut seen = Vec::new();
    let listening = loop {
        match lines.recv_timeout(WAIT) {
            Ok(line) if line.contains("procura listening") => break line,
            Ok(line) => seen.push(line),
            Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("procura serve logged no 'procura listening' line; it logged {seen:?}");
            }
        }
    };
    let _ = child.kill();
    let _ = child.wait();
    seen.push(listening.clone());
    assert!(
        seen.iter().all(|line| !line.contains('\u{1b}')),
        "colour codes in a piped log: {seen:?}"
    );
    assert!(
        listening.contains(" INFO procura::cli: procura listening address=127.0.0.1:"),
        "{listening:?}"
    );
}
