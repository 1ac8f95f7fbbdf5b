//! Durability under a crash: the server is killed (SIGKILL) while many creates are in flight,
//! several times over. After a restart every acknowledged order is there, complete, and no
//! request is half-applied: every stored order has all its lines and the order numbers run
//! 01..N without a gap or a repeat (a rolled-back request gives its number back).

#![expect(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde_json::{Value, json};

struct Server {
    child: Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn procura(database: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_procura"));
    command
        .arg("--database")
        .arg(database)
        .env_remove("PROCURA_DATABASE_URL")
        .env("RUST_LOG", "warn");
    command
}

fn start(database: &Path) -> Server {
    let mut child = procura(database)
        .args(["serve", "--listen", "127.0.0.1:0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let stdout = BufReader::new(child.stdout.take().unwrap());
    for line in stdout.lines() {
        let line = line.unwrap();
        if let Some(url) = line.strip_prefix("Listening on ") {
            return Server {
                child,
                url: url.trim().to_owned(),
            };
        }
    }
    let _ = child.kill();
    let _ = child.wait();
    panic!("the server exited before listening");
}

async fn post(
    http: &reqwest::Client,
    key: &str,
    url: String,
    body: Value,
) -> Result<Value, String> {
    let response = http
        .post(url)
        .header("API-Key", key)
        .json(&body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    if response.status() != reqwest::StatusCode::OK {
        return Err(format!("status {}", response.status()));
    }
    response.json().await.map_err(|e| e.to_string())
}

/// A migrated database with an API key, a supplier and a warehouse; the server that made them
/// is stopped again.
struct Prepared {
    database: std::path::PathBuf,
    key: String,
    supplier: String,
    warehouse: String,
    http: reqwest::Client,
}

async fn prepared(dir: &Path) -> Prepared {
    let database = dir.join("procura.db");
    assert!(
        procura(&database)
            .arg("migrate")
            .status()
            .unwrap()
            .success()
    );
    let output = procura(&database)
        .args(["keys", "create"])
        .output()
        .unwrap();
    assert!(output.status.success());
    let key = String::from_utf8(output.stdout)
        .unwrap()
        .lines()
        .last()
        .unwrap()
        .trim()
        .to_owned();
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();

    let server = start(&database);
    let supplier = post(
        &http,
        &key,
        format!("{}/v2/suppliers", server.url),
        json!({ "supplier_name": "Acme" }),
    );
    let supplier = supplier.await.unwrap()["supplier_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let warehouse = post(
        &http,
        &key,
        format!("{}/v2/inventory_warehouses", server.url),
        json!({ "name": "DC" }),
    );
    let warehouse = warehouse.await.unwrap()["inventory_warehouse_id"]
        .as_str()
        .unwrap()
        .to_owned();
    Prepared {
        database,
        key,
        supplier,
        warehouse,
        http,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_server_loses_no_acknowledged_write_and_leaves_no_half_applied_request() {
    let dir = tempfile::tempdir().unwrap();
    let Prepared {
        database,
        key,
        supplier,
        warehouse,
        http,
    } = prepared(dir.path()).await;

    let acknowledged: Arc<Mutex<Vec<(String, String)>>> = Arc::default();
    for round in 0..3 {
        let server = start(&database);
        let stop = Arc::new(AtomicBool::new(false));
        let tasks: Vec<_> = (0..32)
            .map(|t| {
                let (http, key, url, stop) = (http.clone(), key.clone(), server.url.clone(), stop.clone());
                let (supplier, warehouse, acknowledged) = (supplier.clone(), warehouse.clone(), acknowledged.clone());
                tokio::spawn(async move {
                    let mut n = 0;
                    while !stop.load(Ordering::Relaxed) {
                        n += 1;
                        let body = json!({
                            "supplier_id": supplier, "warehouse_id": warehouse, "reference_number": format!("R{round}-{t}-{n}"),
                            "products": [{ "sku": "A", "quantity": 1, "cost": 1.5 }, { "sku": "B", "quantity": 2 },
                                         { "sku": "C", "quantity": 3, "cost": 0.25 }],
                        });
                        match post(&http, &key, format!("{url}/v2/purchase_orders"), body).await {
                            Ok(order) => acknowledged.lock().unwrap().push((
                                order["purchase_order_id"].as_str().unwrap().to_owned(),
                                order["order_number"].as_str().unwrap().to_owned(),
                            )),
                            // The server died under this request: not acknowledged, so no promise.
                            Err(_) => break,
                        }
                    }
                })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(400)).await;
        drop(server); // SIGKILL while requests are in flight
        stop.store(true, Ordering::Relaxed);
        for task in tasks {
            task.await.unwrap();
        }
    }

    let acknowledged = acknowledged.lock().unwrap().clone();
    assert!(
        acknowledged.len() > 100,
        "too few creates to mean anything: {}",
        acknowledged.len()
    );
    let server = start(&database);
    for (id, number) in &acknowledged {
        let response = http
            .get(format!("{}/v2/purchase_orders/{id}", server.url))
            .header("API-Key", &key)
            .send()
            .await;
        let order: Value = response.unwrap().json().await.unwrap();
        assert_eq!(order["order_number"], number.as_str(), "{id}");
        assert_eq!(
            order["products"].as_array().unwrap().len(),
            3,
            "{id} is incomplete"
        );
    }

    // Every stored order, acknowledged or not, is whole; numbers run 01..N.
    let mut href = format!("{}/v2/purchase_orders?page_size=500", server.url);
    let mut numbers = Vec::new();
    let mut total = None;
    loop {
        let page: Value = http
            .get(&href)
            .header("API-Key", &key)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        total.get_or_insert(page["total"].as_u64().unwrap());
        for order in page["purchase_orders"].as_array().unwrap() {
            numbers.push(order["order_number"].as_str().unwrap().to_owned());
            let id = order["purchase_order_id"].as_str().unwrap();
            let full: Value = http
                .get(format!("{}/v2/purchase_orders/{id}", server.url))
                .header("API-Key", &key)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap();
            assert_eq!(
                full["products"].as_array().unwrap().len(),
                3,
                "{id} is half-applied"
            );
        }
        match page["links"]["next"]["href"].as_str() {
            Some(next) => href = next.to_owned(),
            None => break,
        }
    }
    assert_eq!(
        total,
        Some(numbers.len() as u64),
        "the list total matches the orders stored"
    );
    assert!(numbers.len() >= acknowledged.len());
    // Per UTC day (a run may cross midnight), the sequences are exactly 1..n.
    let mut by_day: std::collections::HashMap<&str, Vec<u64>> = std::collections::HashMap::new();
    for number in &numbers {
        let (day, sequence) = number.split_once('-').unwrap();
        by_day
            .entry(day)
            .or_default()
            .push(sequence.parse().unwrap());
    }
    for (day, mut sequences) in by_day {
        sequences.sort_unstable();
        let expected: Vec<u64> = (1..=sequences.len() as u64).collect();
        assert_eq!(
            sequences, expected,
            "order numbers of {day} have a gap or a repeat"
        );
    }
    let distinct: HashSet<_> = numbers.iter().collect();
    assert_eq!(distinct.len(), numbers.len());
}

/// A keyed create: status, whether replayed, body.
async fn keyed_create(
    http: &reqwest::Client,
    url: &str,
    api_key: &str,
    idempotency_key: &str,
    body: &Value,
) -> Result<(u16, bool, Value), String> {
    let response = http
        .post(format!("{url}/v2/purchase_orders"))
        .header("API-Key", api_key)
        .header("Idempotency-Key", idempotency_key)
        .json(body)
        .send()
        .await
        .map_err(|e| e.to_string())?;
    let status = response.status().as_u16();
    let replayed = response.headers().contains_key("idempotent-replayed");
    let body = response.json().await.map_err(|e| e.to_string())?;
    Ok((status, replayed, body))
}

/// Keyed creates in flight when the server is killed, then every one of them retried with its key
/// after a restart: an acknowledged create replays its answer, one whose effect committed before
/// its answer was lost replays too, and one that never committed is written now. Either way every
/// key ends with exactly one order.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retry_after_a_crash_replays_what_was_written_and_writes_what_was_not() {
    let dir = tempfile::tempdir().unwrap();
    let p = prepared(dir.path()).await;
    // (key, body, the answer if one came back)
    type Sent = Vec<(String, Value, Option<Value>)>;
    let sent: Arc<Mutex<Sent>> = Arc::default();
    let server = start(&p.database);
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..16)
        .map(|t| {
            let (http, key, url, stop) = (p.http.clone(), p.key.clone(), server.url.clone(), stop.clone());
            let (supplier, warehouse, sent) = (p.supplier.clone(), p.warehouse.clone(), sent.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    n += 1;
                    let idempotency_key = format!("k-{t}-{n}");
                    let body = json!({
                        "supplier_id": supplier, "warehouse_id": warehouse, "reference_number": idempotency_key,
                        "products": [{ "sku": "A", "quantity": 1, "cost": 1.5 }],
                    });
                    let answer = keyed_create(&http, &url, &key, &idempotency_key, &body).await;
                    let acknowledged = answer.as_ref().ok().map(|(_, _, order)| order.clone());
                    let died = acknowledged.is_none();
                    sent.lock().unwrap().push((idempotency_key, body, acknowledged));
                    if died {
                        break;
                    }
                }
            })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(400)).await;
    drop(server); // SIGKILL while requests are in flight
    stop.store(true, Ordering::Relaxed);
    for task in tasks {
        task.await.unwrap();
    }

    let sent = sent.lock().unwrap().clone();
    let lost = sent
        .iter()
        .filter(|(_, _, answer)| answer.is_none())
        .count();
    assert!(
        sent.len() > 50 && lost > 0,
        "{} sent, {lost} unanswered",
        sent.len()
    );
    let server = start(&p.database);
    for (idempotency_key, body, acknowledged) in &sent {
        let (status, replayed, order) =
            keyed_create(&p.http, &server.url, &p.key, idempotency_key, body)
                .await
                .unwrap();
        assert_eq!(status, 200, "{idempotency_key}: {order}");
        if let Some(acknowledged) = acknowledged {
            assert!(replayed, "{idempotency_key} was written again");
            assert_eq!(&order, acknowledged, "{idempotency_key}");
        }
        assert_eq!(order["reference_number"], idempotency_key.as_str());
    }
    // One order per key, none more.
    let listed: Value = p
        .http
        .get(format!("{}/v2/purchase_orders?page_size=1", server.url))
        .header("API-Key", &p.key)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        listed["total"].as_u64(),
        Some(sent.len() as u64),
        "{listed}"
    );
}
