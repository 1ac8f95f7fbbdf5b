//! A disk that fills up under a running `procura serve` on SQLite: writes are refused with 503
//! and `Retry-After` in the envelope, never 500; reads go on; `/readyz` says not ready until
//! space is freed; the log says so a few times, not once per request; and nothing acknowledged
//! is lost.
//!
//! The disk is a small tmpfs mounted for the test, which needs root (as CI runs); elsewhere the
//! test says SKIPPED and returns.

use std::io::{BufRead, BufReader, Write};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

const WAIT: Duration = Duration::from_secs(20);

/// A tmpfs mounted on a temporary directory, unmounted when dropped.
struct SmallDisk {
    dir: tempfile::TempDir,
}

impl SmallDisk {
    fn mount(megabytes: u32) -> Option<Self> {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let mounted = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={megabytes}m"), "tmpfs"])
            .arg(dir.path())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        mounted.then_some(Self { dir })
    }

    fn path(&self, name: &str) -> std::path::PathBuf {
        self.dir.path().join(name)
    }

    /// Writes zeros into `filler` until the file system is full.
    fn fill(&self) {
        let mut file = std::fs::File::create(self.path("filler")).unwrap();
        let block = vec![0u8; 64 * 1024];
        while file.write_all(&block).is_ok() {}
        let _ = file.sync_all();
    }

    fn free(&self) {
        std::fs::remove_file(self.path("filler")).unwrap();
    }
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.dir.path()).status();
    }
}

struct Server {
    child: Child,
    address: String,
    key: String,
}

impl Server {
    fn start(database: &std::path::Path, log: &std::path::Path) -> Self {
        let child = Command::new(env!("CARGO_BIN_EXE_procura"))
            .args(["serve", "--listen", "127.0.0.1:0", "--database"])
            .arg(database)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(std::fs::File::create(log).unwrap())
            .spawn()
            .expect("procura serve starts");
        // Killed and waited for by `Drop` from here on, should the start fail.
        let mut server = Self {
            child,
            address: String::new(),
            key: String::new(),
        };
        let stdout = server.child.stdout.take().unwrap();
        for line in BufReader::new(stdout).lines() {
            let line = line.unwrap();
            if line.starts_with("pk_") {
                server.key = line.trim().to_owned();
            } else if let Some(address) = line.strip_prefix("Listening on ") {
                server.address = address.trim().to_owned();
                assert!(
                    server.key.starts_with("pk_"),
                    "the first start prints a key"
                );
                return server;
            }
        }
        panic!("procura serve ended before it printed its address");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn a_full_disk_refuses_writes_with_503_and_readiness_follows_the_free_space() {
    let Some(disk) = SmallDisk::mount(40) else {
        eprintln!("SKIPPED: mounting a tmpfs needs root; the storage-fault test did not run");
        return;
    };
    let log_dir = tempfile::tempdir().unwrap();
    let log = log_dir.path().join("stderr.log");
    let server = Server::start(&disk.path("procura.db"), &log);
    let http = reqwest::Client::builder().timeout(WAIT).build().unwrap();
    let url = |path: &str| format!("{}{path}", server.address);
    let post = |path: &'static str, body: Value| {
        http.post(url(path))
            .header("API-Key", &server.key)
            .json(&body)
            .send()
    };

    let supplier = post("/v2/suppliers", json!({"supplier_name": "Acme"}))
        .await
        .unwrap();
    assert_eq!(supplier.status(), StatusCode::OK);
    let warehouse = post("/v2/inventory_warehouses", json!({"name": "Main"}))
        .await
        .unwrap();
    assert_eq!(warehouse.status(), StatusCode::OK);
    let order = json!({
        "supplier_id": "se-1", "warehouse_id": "se-1", "note_to_supplier": "x".repeat(1000),
        "products": (0..300).map(|i| json!({"sku": format!("SKU-{i}"), "quantity": 1, "cost": 1}))
            .collect::<Vec<_>>(),
    });
    let first = post("/v2/purchase_orders", order.clone()).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let ready = http.get(url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);

    disk.fill();
    let mut refused = 0;
    for _ in 0..20 {
        let answer = post("/v2/purchase_orders", order.clone()).await.unwrap();
        if answer.status() == StatusCode::OK {
            continue;
        }
        assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(answer.headers()["retry-after"], "1");
        let body: Value = answer.json().await.unwrap();
        assert_eq!(body["errors"][0]["error_type"], "system", "{body}");
        assert_eq!(body["errors"][0]["error_code"], "unspecified", "{body}");
        assert_eq!(
            body["errors"][0]["message"],
            "the service is temporarily unavailable; retry shortly"
        );
        refused += 1;
    }
    assert!(
        refused >= 15,
        "a full disk refuses large writes: {refused} of 20"
    );

    // Reads go on, and show exactly what was acknowledged.
    let orders: Value = http
        .get(url("/v2/purchase_orders"))
        .header("API-Key", &server.key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(orders["total"], 21 - refused);

    tokio::time::sleep(Duration::from_millis(1100)).await;
    let not_ready = http.get(url("/readyz")).send().await.unwrap();
    assert_eq!(not_ready.status(), StatusCode::SERVICE_UNAVAILABLE);
    let body: Value = not_ready.json().await.unwrap();
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .starts_with("not ready: the database cannot be reached or cannot take writes"),
        "{body}"
    );

    disk.free();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let ready = http.get(url("/readyz")).send().await.unwrap();
    assert_eq!(ready.status(), StatusCode::OK);
    let again = post("/v2/purchase_orders", order.clone()).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);

    drop(server);
    let log = std::fs::read_to_string(&log).unwrap();
    let errors: Vec<&str> = log.lines().filter(|l| l.contains(" ERROR ")).collect();
    assert!(
        !errors.is_empty() && errors.len() <= 6,
        "a few error lines for {refused} refusals, not one per request or more: {errors:#?}"
    );
    assert!(
        errors
            .iter()
            .any(|l| l.contains("database or disk is full")),
        "{errors:#?}"
    );
}
