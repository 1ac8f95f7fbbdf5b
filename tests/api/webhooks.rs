//! Webhooks: the resource, signed deliveries checked by an independent implementation (Python's
//! `standardwebhooks` package), order per order, retries, the delivery log, and SSRF refusals.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::{HeaderMap, StatusCode as AxumStatus};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ApiClient, assert_error, error, ok_json, po_body, spawn_app};

/// One request the receiver got.
#[derive(Debug, Clone)]
pub(crate) struct Received {
    pub(crate) headers: HeaderMap,
    pub(crate) body: String,
}

/// A webhook endpoint on 127.0.0.1 that records every request and answers 500 to the first
/// `failures` of them, 200 to the rest.
pub(crate) struct Receiver {
    pub(crate) url: String,
    pub(crate) got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    pub(crate) async fn start(failures: usize) -> Self {
        let got: Arc<Mutex<Vec<Received>>> = Arc::default();
        let recorded = Arc::clone(&got);
        let app = axum::Router::new().route(
            "/hook",
            axum::routing::post(move |headers: HeaderMap, body: String| {
                let recorded = Arc::clone(&recorded);
                async move {
                    let mut got = recorded.lock().unwrap();
                    got.push(Received { headers, body });
                    if got.len() <= failures {
                        (AxumStatus::INTERNAL_SERVER_ERROR, "not now")
                    } else {
                        (AxumStatus::OK, "thanks")
                    }
                }
            }),
        );
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await });
        Self { url, got }
    }

    /// Waits until at least `n` requests came in; returns them.
    pub(crate) async fn wait_for(&self, n: usize, within: Duration) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.got.lock().unwrap().clone();
            if got.len() >= n {
                return got;
            }
            assert!(
                start.elapsed() < within,
                "{} of {n} deliveries within {within:?}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

pub(crate) async fn subscribe(client: &ApiClient, url: &str, event: &str) -> (String, String) {
    let hook = ok_json(
        client
            .send(
                Method::POST,
                "/v2/environment/webhooks",
                Some(&json!({ "name": event, "url": url, "event": event,
                              "headers": [{ "key": "x-tenant", "value": "acme" }] })),
            )
            .await,
    )
    .await;
    let id = hook["webhook_id"].as_str().unwrap().to_owned();
    let secret = ok_json(
        client
            .send(
                Method::GET,
                &format!("/v2/environment/webhooks/{id}/secret"),
                None,
            )
            .await,
    )
    .await["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    (id, secret)
}

/// Verifies every message with Python's `standardwebhooks` (installed by `.ci/run`), not with
/// Procura's own signing code; returns the verified payloads.
pub(crate) fn verify_independently(secret: &str, messages: &[Received]) -> Vec<Value> {
    let input: Vec<Value> = messages
        .iter()
        .map(|m| {
            let header = |name: &str| m.headers[name].to_str().unwrap().to_owned();
            json!({
                "headers": {
                    "webhook-id": header("webhook-id"),
                    "webhook-timestamp": header("webhook-timestamp"),
                    "webhook-signature": header("webhook-signature"),
                },
                "body": m.body,
            })
        })
        .collect();
    let script = r#"
import json, sys
from standardwebhooks.webhooks import Webhook
secret, messages = json.load(sys.stdin)
hook = Webhook(secret)
print(json.dumps([hook.verify(m["body"], m["headers"]) for m in messages]))
"#;
    let mut python = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3 runs");
    serde_json::to_writer(python.stdin.take().unwrap(), &json!([secret, input])).unwrap();
    let out = python.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "standardwebhooks refused a signature (or is not installed: pip install standardwebhooks)"
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

#[tokio::test]
async fn deliveries_are_signed_per_standard_webhooks_and_verify_independently() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let receiver = Receiver::start(0).await;
    let (hook, secret) = subscribe(&app, &receiver.url, "purchase_order_status_changed_v2").await;
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let po = app
        .po_in(&po_body(&supplier, &warehouse), &["open", "received"])
        .await;

    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    let payloads = verify_independently(&secret, &got);
    let resource_url = format!("{}/v2/purchase_orders/{po}", app.address);
    for (payload, status) in payloads.iter().zip(["open", "received"]) {
        assert_eq!(payload["type"], "purchase_order_status_changed_v2");
        assert_eq!(payload["resource_url"], resource_url.as_str());
        assert_eq!(
            payload["data"],
            json!({ "purchase_order_id": po, "status": status })
        );
        assert!(payload["timestamp"].as_str().unwrap().ends_with('Z'));
    }
    assert_eq!(got[0].headers["x-tenant"], "acme");
    assert_eq!(got[0].headers["content-type"], "application/json");

    // The log says each went through at the first attempt, with the answer's first bytes.
    let log = ok_json(
        app.send(
            Method::GET,
            &format!("/v2/environment/webhooks/{hook}/deliveries"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(log["total"], 2);
    for delivery in log["deliveries"].as_array().unwrap() {
        assert_eq!(delivery["state"], "delivered");
        assert_eq!(delivery["attempts"], 1);
        assert_eq!(delivery["last_status"], 200);
        assert_eq!(delivery["last_response"], "thanks");
        assert_eq!(delivery["purchase_order_id"], po.as_str());
    }

    // A rotated secret signs what follows; the old one no longer verifies it.
    let rotated = ok_json(
        app.send(
            Method::POST,
            &format!("/v2/environment/webhooks/{hook}/secret/rotate"),
            None,
        )
        .await,
    )
    .await["secret"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_ne!(rotated, secret);
    ok_json(app.set_status(&po, "closed").await).await;
    let got = receiver.wait_for(3, Duration::from_secs(10)).await;
    let closed = verify_independently(&rotated, &got[2..]);
    assert_eq!(closed[0]["data"]["status"], "closed");
}

#[tokio::test]
async fn an_orders_events_arrive_in_order_even_when_the_first_attempt_fails_and_is_retried() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let receiver = Receiver::start(1).await;
    let (hook, secret) = subscribe(&app, &receiver.url, "purchase_order_status_changed_v2").await;
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let po = app
        .po_in(&po_body(&supplier, &warehouse), &["open", "received"])
        .await;

    // While the first waits for its retry, the order's next delivery waits for it: it is not due
    // before the retry is.
    let deliveries = format!("/v2/environment/webhooks/{hook}/deliveries");
    let mut waiting = Value::Null;
    for _ in 0..100 {
        waiting = ok_json(app.send(Method::GET, &deliveries, None).await).await;
        if waiting["deliveries"][1]["attempts"] == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (next, first) = (&waiting["deliveries"][0], &waiting["deliveries"][1]);
    assert_eq!(
        (
            &first["state"],
            &first["attempts"],
            &next["state"],
            &next["attempts"]
        ),
        (&json!("pending"), &json!(1), &json!("pending"), &json!(0)),
        "{waiting:#}"
    );
    // The first attempt was made 5 s before its retry is due. The next event may have come
    // after it, and is then due at once, but still sent only after the first.
    let time = |v: &Value| chrono::DateTime::parse_from_rfc3339(v.as_str().unwrap()).unwrap();
    let attempted = time(&first["next_attempt_at"]) - chrono::Duration::seconds(5);
    if time(&next["created_at"]) < attempted {
        assert_eq!(
            next["next_attempt_at"], first["next_attempt_at"],
            "{waiting:#}"
        );
    } else {
        assert_eq!(next["next_attempt_at"], next["created_at"], "{waiting:#}");
    }

    // The failed first attempt, its retry 5 s later, then the next event, never before it.
    let got = receiver.wait_for(3, Duration::from_secs(20)).await;
    let statuses: Vec<Value> = verify_independently(&secret, &got)
        .iter()
        .map(|p| p["data"]["status"].clone())
        .collect();
    assert_eq!(statuses, [json!("open"), json!("open"), json!("received")]);
    assert_eq!(
        got[0].headers["webhook-id"], got[1].headers["webhook-id"],
        "a retry keeps its id"
    );
    let log = ok_json(
        app.send(
            Method::GET,
            &format!("/v2/environment/webhooks/{hook}/deliveries"),
            None,
        )
        .await,
    )
    .await;
    let attempts: Vec<(Value, Value)> = log["deliveries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| (d["attempts"].clone(), d["state"].clone()))
        .collect();
    assert_eq!(
        attempts,
        [
            (json!(1), json!("delivered")),
            (json!(2), json!("delivered"))
        ],
        "newest first"
    );
    assert_eq!(log["deliveries"][0]["purchase_order_id"], po.as_str());
}

#[tokio::test]
async fn the_delivery_log_pages_newest_first_by_cursor_and_by_number() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let receiver = Receiver::start(0).await;
    let (hook, _) = subscribe(&app, &receiver.url, "purchase_order_created_v2").await;
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let mut orders = Vec::new();
    for _ in 0..7 {
        orders.push(app.po_in(&po_body(&supplier, &warehouse), &[]).await);
    }
    receiver.wait_for(7, Duration::from_secs(10)).await;
    orders.reverse();
    let order_ids = |page: &Value| -> Vec<String> {
        page["deliveries"]
            .as_array()
            .unwrap()
            .iter()
            .map(|d| d["purchase_order_id"].as_str().unwrap().to_owned())
            .collect()
    };

    let mut path = format!("/v2/environment/webhooks/{hook}/deliveries?page_size=3");
    let mut pages = Vec::new();
    loop {
        let page = ok_json(app.send(Method::GET, &path, None).await).await;
        assert_eq!(page["total"], 7, "{page:#}");
        pages.push(order_ids(&page));
        match page["links"]["next"]["href"].as_str() {
            Some(next) => path = next.trim_start_matches(&app.address).to_owned(),
            None => break,
        }
    }
    assert_eq!(
        pages,
        [&orders[0..3], &orders[3..6], &orders[6..7]],
        "newest first, each once"
    );
    let second = ok_json(
        app.send(
            Method::GET,
            &format!("/v2/environment/webhooks/{hook}/deliveries?page_size=3&page=2"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(order_ids(&second), &orders[3..6]);
}

#[tokio::test]
async fn the_webhook_resource_takes_shipstations_shapes_and_refuses_other_events() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (id, _) = subscribe(
        &app,
        "https://hooks.example.com/po",
        "purchase_order_created_v2",
    )
    .await;
    let path = format!("/v2/environment/webhooks/{id}");
    let expected = json!({
        "webhook_id": id, "name": "purchase_order_created_v2", "url": "https://hooks.example.com/po",
        "event": "purchase_order_created_v2", "headers": [{ "key": "x-tenant", "value": "acme" }],
    });
    assert_eq!(
        ok_json(app.send(Method::GET, &path, None).await).await,
        expected
    );
    assert_eq!(
        ok_json(
            app.send(Method::GET, "/v2/environment/webhooks", None)
                .await
        )
        .await,
        json!([expected])
    );
    let renamed = app
        .send(
            Method::PUT,
            &path,
            Some(&json!({ "name": "Accounting", "headers": [] })),
        )
        .await;
    assert_eq!(renamed.status(), StatusCode::NO_CONTENT);
    let shown = ok_json(app.send(Method::GET, &path, None).await).await;
    assert_eq!(
        (&shown["name"], &shown["headers"]),
        (&json!("Accounting"), &json!([]))
    );

    assert_error(
        app.send(
            Method::POST,
            "/v2/environment/webhooks",
            Some(&json!({ "name": "x", "url": "https://hooks.example.com/", "event": "track" })),
        )
        .await,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_field_value")
            .field("event", "track")
            .says("purchase_order_created_v2, purchase_order_updated_v2, purchase_order_status_changed_v2, purchase_order_products_received_v2, purchase_order_sent_v2")],
    )
    .await;

    let other = app.other_account().await;
    assert_eq!(
        other.send(Method::GET, &path, None).await.status(),
        StatusCode::NOT_FOUND
    );
    let deleted = app.send(Method::DELETE, &path, None).await;
    assert_eq!(deleted.status(), StatusCode::NO_CONTENT);
    assert_eq!(
        app.send(Method::GET, &path, None).await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn loopback_and_private_targets_are_refused_unless_the_server_allows_them() {
    let Some(database) = crate::helpers::test_database().await else {
        return;
    };
    let url = database.url.clone();
    let server = tokio::task::spawn_blocking(move || crate::cli::Server::start(&url))
        .await
        .unwrap();
    let key = server.banner[1].trim().to_owned();
    let client = crate::webhook_crash::first_client(&server, &key);
    for target in [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.0.0.7/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
    ] {
        let body = json!({ "name": "x", "url": target, "event": "purchase_order_created_v2" });
        assert_error(
            client
                .send(Method::POST, "/v2/environment/webhooks", Some(&body))
                .await,
            StatusCode::BAD_REQUEST,
            &[error("validation", "invalid_field_value")
                .field("url", target)
                .says("loopback or private address")
                .says("--webhook-allow-private")],
        )
        .await;
    }
    let public = json!({ "name": "x", "url": "https://hooks.example.com/", "event": "purchase_order_created_v2" });
    ok_json(
        client
            .send(Method::POST, "/v2/environment/webhooks", Some(&public))
            .await,
    )
    .await;
}

#[tokio::test]
async fn a_webhook_created_with_an_idempotency_key_is_created_once() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let body = json!({ "name": "ERP", "url": "https://erp.example.com/hook",
                       "event": "purchase_order_created_v2" });
    let create = |body: &Value| {
        app.request(Method::POST, "/v2/environment/webhooks")
            .header("Idempotency-Key", "hook-1")
            .json(body)
            .send()
    };
    let first = create(&body).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    let first: Value = first.json().await.unwrap();
    let again = create(&body).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let mut other = body.clone();
    other["name"] = "Another".into();
    assert_eq!(
        create(&other).await.unwrap().status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let hooks = ok_json(
        app.send(Method::GET, "/v2/environment/webhooks", None)
            .await,
    )
    .await;
    assert_eq!(hooks.as_array().unwrap().len(), 1, "{hooks}");
}

#[tokio::test]
async fn a_secret_rotated_with_an_idempotency_key_is_rotated_once_and_its_retry_answers_the_same() {
    let Some(app) = spawn_app().await else {
        return;
    };
    let (hook, before) = subscribe(
        &app,
        "https://erp.example.com/hook",
        "purchase_order_created_v2",
    )
    .await;
    let rotate = |key: &'static str, hook: String| {
        app.request(
            Method::POST,
            &format!("/v2/environment/webhooks/{hook}/secret/rotate"),
        )
        .header("Idempotency-Key", key)
        .send()
    };
    let first = rotate("rotate-1", hook.clone()).await.unwrap();
    assert_eq!(first.status(), StatusCode::OK);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    let rotated = first["secret"].as_str().unwrap().to_owned();
    assert!(
        rotated.starts_with("whsec_") && rotated != before,
        "{first}"
    );

    // The connection dropped; the retry answers the same secret and makes no other.
    let again = rotate("rotate-1", hook.clone()).await.unwrap();
    assert_eq!(again.status(), StatusCode::OK);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    let secret = ok_json(
        app.send(
            Method::GET,
            &format!("/v2/environment/webhooks/{hook}/secret"),
            None,
        )
        .await,
    )
    .await;
    assert_eq!(secret["secret"], rotated.as_str());

    // A new key rotates again; an unknown webhook is a 404, kept for the key like any refusal.
    let next = ok_json(rotate("rotate-2", hook.clone()).await.unwrap()).await;
    assert_ne!(next["secret"], rotated.as_str());
    let refused = assert_error(
        rotate("rotate-3", "se-999".to_owned()).await.unwrap(),
        StatusCode::NOT_FOUND,
        &[error("validation", "invalid_identifier")
            .field("webhook_id", "se-999")
            .says("webhook se-999 was not found")],
    )
    .await;
    let again = rotate("rotate-3", "se-999".to_owned()).await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), refused);
}
