//! `POST /v2/purchase_orders/{id}/send`: the order summary emailed to the supplier, through a
//! real SMTP server on loopback (aiosmtpd, `tests/support/smtp_receiver.py`), which reads each
//! message back with Python's `email` package.

use std::io::{BufRead, BufReader};
use std::process::{Child, ChildStdout, Command, Stdio};
use std::sync::mpsc::{Receiver, TryRecvError, channel};
use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{
    TestApp, assert_error, assert_status_json, error, ok_json, open_test_store, po_body, spawn_app,
    spawn_app_with_settings, test_database,
};
use crate::history::history;
use crate::webhooks::{Receiver as HookReceiver, subscribe, verify_independently};

/// The SMTP server, stopped when dropped.
pub(crate) struct SmtpReceiver {
    child: Child,
    port: u16,
    messages: Receiver<Value>,
}

impl SmtpReceiver {
    /// Starts one that refuses the addresses in `refused` with 550.
    pub(crate) fn start(refused: &[&str]) -> Self {
        let script = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/support/smtp_receiver.py"
        );
        let mut child = Command::new("python3")
            .arg(script)
            .args(refused)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()
            .expect("python3 runs");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let first = lines
            .next()
            .expect("the SMTP receiver starts (pip install aiosmtpd)")
            .unwrap();
        let port = first
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the SMTP receiver said {first:?}"));
        let (send, messages) = channel();
        std::thread::spawn(move || forward(lines, send));
        Self {
            child,
            port,
            messages,
        }
    }

    fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}?tls=none", self.port)
    }

    /// The next message the server accepted, within a bound. It waits without blocking the
    /// thread: on PostgreSQL the server under test runs on the test's own runtime.
    pub(crate) async fn next(&self) -> Value {
        for _ in 0..200 {
            match self.messages.try_recv() {
                Ok(message) => return message,
                Err(TryRecvError::Empty) => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(TryRecvError::Disconnected) => panic!("the SMTP receiver stopped"),
            }
        }
        panic!("no message arrived within 20 s");
    }

    pub(crate) async fn nothing_more(&self) {
        tokio::time::sleep(Duration::from_millis(500)).await;
        if let Ok(message) = self.messages.try_recv() {
            panic!("an unexpected message: {message}");
        }
    }
}

fn forward(lines: std::io::Lines<BufReader<ChildStdout>>, send: std::sync::mpsc::Sender<Value>) {
    for line in lines.map_while(Result::ok) {
        let message = serde_json::from_str(&line).expect("a JSON line");
        if send.send(message).is_err() {
            break;
        }
    }
}

impl Drop for SmtpReceiver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) async fn app_sending_to(receiver: &SmtpReceiver) -> Option<TestApp> {
    let db = test_database().await?;
    let store = open_test_store(&db).await;
    let url = receiver.url();
    Some(spawn_app_with_settings(db, store, |s| s.smtp_url = Some(url)).await)
}

/// The buyer's profile, a supplier (with `email`) and an open order to it; returns the order.
pub(crate) async fn open_order(app: &TestApp, email: Option<&str>) -> Value {
    let profile = json!({
        "company_name": "Northwind Trading", "email": "purchasing@northwind.example",
        "phone": "+31 20 555 0199", "address": {},
    });
    ok_json(app.send(Method::PUT, "/v2/account", Some(&profile)).await).await;
    let mut supplier = json!({ "supplier_name": "Acme Tools" });
    if let Some(email) = email {
        supplier["supplier_email"] = email.into();
    }
    let supplier = ok_json(app.create_supplier(&supplier).await).await;
    let warehouse = app.warehouse("Dock A").await;
    let mut body = po_body(supplier["supplier_id"].as_str().unwrap(), &warehouse);
    body["expected_delivery_date"] = "2027-01-15T00:00:00Z".into();
    let id = app.po_in(&body, &["open"]).await;
    ok_json(app.get_po(&id).await).await
}

async fn send(app: &TestApp, id: &str, body: &Value) -> reqwest::Response {
    app.send(
        Method::POST,
        &format!("/v2/purchase_orders/{id}/send"),
        Some(body),
    )
    .await
}

/// The order's events of the send, once the last of `kinds` is there (bounded wait).
async fn send_events(app: &TestApp, id: &str, kinds: &[&str]) -> Vec<Value> {
    for _ in 0..100 {
        let events: Vec<Value> = history(app, id).await["events"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|e| {
                e["type"].as_str().unwrap().contains("send") || e["type"] == "purchase_order.sent"
            })
            .cloned()
            .collect();
        let seen: Vec<&str> = events.iter().map(|e| e["type"].as_str().unwrap()).collect();
        if seen == kinds {
            return events;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the history never showed {kinds:?}: {}",
        history(app, id).await
    );
}

#[tokio::test]
async fn an_open_order_is_emailed_to_its_supplier_with_its_pdf_and_the_history_says_so() {
    let receiver = SmtpReceiver::start(&[]);
    let Some(app) = app_sending_to(&receiver).await else {
        return;
    };
    let hook = HookReceiver::start(0).await;
    let (_, secret) = subscribe(&app, &hook.url, "purchase_order_sent_v2").await;
    let order = open_order(&app, Some("orders@acme.example")).await;
    let id = order["purchase_order_id"].as_str().unwrap();
    let number = order["order_number"].as_str().unwrap();

    let queued = assert_status_json(
        send(
            &app,
            id,
            &json!({ "cc": ["Buyer@Northwind.example"], "message": "Please confirm the date." }),
        )
        .await,
        StatusCode::ACCEPTED,
    )
    .await;
    let subject = format!("Purchase order {number} from Northwind Trading");
    let mail_id = queued["mail_id"].as_str().unwrap().to_owned();
    assert!(mail_id.starts_with("se-"));
    assert_eq!(
        queued,
        json!({
            "mail_id": mail_id, "purchase_order_id": id, "status": "queued",
            "to": ["orders@acme.example"], "cc": ["buyer@northwind.example"], "subject": subject,
        })
    );

    let mail = receiver.next().await;
    assert_eq!(mail["mail_from"], "purchasing@northwind.example");
    assert_eq!(
        mail["rcpt_tos"],
        json!(["orders@acme.example", "buyer@northwind.example"])
    );
    assert_eq!(
        mail["from"],
        "Northwind Trading <purchasing@northwind.example>"
    );
    assert_eq!(mail["reply_to"], mail["from"]);
    assert_eq!(mail["to"], "orders@acme.example");
    assert_eq!(mail["cc"], "buyer@northwind.example");
    assert_eq!(mail["subject"], subject.as_str());
    // Lines end in CRLF on the wire.
    let text = mail["text"].as_str().unwrap().replace("\r\n", "\n");
    assert!(text.starts_with("Please confirm the date.\n\n"), "{text}");
    assert!(
        text.contains(&format!(
            "Please find attached our purchase order {number}, for delivery by 2027-01-15.\nTotal: USD 99.90 (1 line has no cost)\n"
        )),
        "{text}"
    );
    assert!(
        text.contains("Northwind Trading\npurchasing@northwind.example\n+31 20 555 0199"),
        "{text:?}"
    );
    let attachments = mail["attachments"].as_array().unwrap();
    assert_eq!(attachments.len(), 1);
    assert_eq!(
        attachments[0]["filename"],
        format!("{number}-order_summary.pdf")
    );
    assert_eq!(attachments[0]["content_type"], "application/pdf");
    assert_eq!(attachments[0]["head"], "%PDF-");
    assert!(attachments[0]["size"].as_u64().unwrap() > 1000);

    let events = send_events(
        &app,
        id,
        &["purchase_order.send_requested", "purchase_order.sent"],
    )
    .await;
    for event in &events {
        assert_eq!(
            event["data"],
            json!({ "mail_id": mail_id, "to": ["orders@acme.example"],
                    "cc": ["buyer@northwind.example"], "subject": subject })
        );
        assert_eq!(event["actor"], format!("api_key:{}", app.key_id).as_str());
    }
    // Subscribers hear of it once it went, and only then.
    let delivered = hook.wait_for(1, Duration::from_secs(10)).await;
    let payloads = verify_independently(&secret, &delivered);
    assert_eq!(payloads.len(), 1);
    assert_eq!(payloads[0]["type"], "purchase_order_sent_v2");
    assert_eq!(
        payloads[0]["data"],
        json!({ "purchase_order_id": id, "mail_id": mail_id, "to": ["orders@acme.example"],
                "cc": ["buyer@northwind.example"], "subject": subject })
    );
    receiver.nothing_more().await;
}

#[tokio::test]
async fn a_send_with_an_idempotency_key_is_queued_once() {
    let receiver = SmtpReceiver::start(&[]);
    let Some(app) = app_sending_to(&receiver).await else {
        return;
    };
    let order = open_order(&app, None).await;
    let id = order["purchase_order_id"].as_str().unwrap();
    let body = json!({ "to": ["sales@acme.example"] });
    let keyed = || {
        app.request(Method::POST, &format!("/v2/purchase_orders/{id}/send"))
            .header("Idempotency-Key", "send-once-1")
            .json(&body)
            .send()
    };
    let first = keyed().await.unwrap();
    assert_eq!(first.status(), StatusCode::ACCEPTED);
    assert!(first.headers().get("idempotent-replayed").is_none());
    let first: Value = first.json().await.unwrap();
    let again = keyed().await.unwrap();
    assert_eq!(again.status(), StatusCode::ACCEPTED);
    assert_eq!(again.headers()["idempotent-replayed"], "true");
    assert_eq!(again.json::<Value>().await.unwrap(), first);
    assert_eq!(
        receiver.next().await["rcpt_tos"],
        json!(["sales@acme.example"])
    );
    receiver.nothing_more().await;
    send_events(
        &app,
        id,
        &["purchase_order.send_requested", "purchase_order.sent"],
    )
    .await;
}

#[tokio::test]
async fn a_recipient_the_server_refuses_fails_the_send_and_the_history_says_why() {
    let receiver = SmtpReceiver::start(&["nobody@acme.example"]);
    let Some(app) = app_sending_to(&receiver).await else {
        return;
    };
    let order = open_order(&app, Some("nobody@acme.example")).await;
    let id = order["purchase_order_id"].as_str().unwrap();
    assert_status_json(send(&app, id, &json!({})).await, StatusCode::ACCEPTED).await;
    let events = send_events(
        &app,
        id,
        &[
            "purchase_order.send_requested",
            "purchase_order.send_failed",
        ],
    )
    .await;
    let reason = events[1]["data"]["error"].as_str().unwrap();
    assert!(reason.contains("550"), "{reason}");
    receiver.nothing_more().await;
}

#[tokio::test]
async fn sends_that_cannot_go_are_refused_with_the_reason_and_queue_nothing() {
    let receiver = SmtpReceiver::start(&[]);
    let Some(app) = app_sending_to(&receiver).await else {
        return;
    };
    let order = open_order(&app, None).await;
    let id = order["purchase_order_id"].as_str().unwrap();

    // The supplier has no email, and none is given.
    assert_error(
        send(&app, id, &json!({})).await,
        StatusCode::BAD_REQUEST,
        &[error("validation", "invalid_field_value")
            .field_without_value("to")
            .says("has no supplier_email")],
    )
    .await;
    assert_error(
        send(
            &app,
            id,
            &json!({ "to": ["sales@acme.example", "not an address"], "cc": "x@y.z", "colour": 1 }),
        )
        .await,
        StatusCode::BAD_REQUEST,
        &[
            error("validation", "invalid_field_value")
                .field("to[1]", "not an address")
                .says("is not an email address"),
            error("validation", "invalid_field_value")
                .field("cc", "x@y.z")
                .says("must be an array"),
            error("validation", "invalid_field_value")
                .field("colour", "1")
                .says("is not a known field (allowed: cc, message, to)"),
        ],
    )
    .await;
    assert_error(
        send(&app, id, &json!({ "to": [], "message": "x".repeat(5001) })).await,
        StatusCode::BAD_REQUEST,
        &[
            error("validation", "invalid_field_value")
                .field_without_value("to")
                .says("at least one address"),
            error("validation", "invalid_field_value")
                .field("message", &format!("{}...", "x".repeat(200)))
                .says("at most 5000 characters"),
        ],
    )
    .await;

    // A draft cannot be sent.
    let (supplier, warehouse) = app.supplier_and_warehouse().await;
    let draft = app.po_in(&po_body(&supplier, &warehouse), &[]).await;
    assert_error(
        send(&app, &draft, &json!({ "to": ["sales@acme.example"] })).await,
        StatusCode::BAD_REQUEST,
        &[error("business_rules", "invalid_status")
            .says("can be sent to its supplier only while 'open' or 'receiving' (open it first)")],
    )
    .await;

    // Without the account's email there is no sender.
    ok_json(
        app.send(Method::PUT, "/v2/account", Some(&json!({ "address": {} })))
            .await,
    )
    .await;
    assert_error(
        send(&app, id, &json!({ "to": ["sales@acme.example"] })).await,
        StatusCode::BAD_REQUEST,
        &[error("validation", "field_value_required").says("PUT /v2/account")],
    )
    .await;

    for order in [id, draft.as_str()] {
        let events = history(&app, order).await;
        assert!(
            !events.to_string().contains("send"),
            "a refused send left a trace: {events}"
        );
    }
    receiver.nothing_more().await;
}

#[tokio::test]
async fn a_server_without_smtp_refuses_to_send() {
    let Some(app) = spawn_app().await else { return };
    let order = open_order(&app, Some("orders@acme.example")).await;
    let id = order["purchase_order_id"].as_str().unwrap();
    assert_error(
        send(&app, id, &json!({})).await,
        StatusCode::BAD_REQUEST,
        &[error("validation", "unspecified").says("--smtp-url")],
    )
    .await;
    assert_error(
        send(&app, "se-999999", &json!({})).await,
        StatusCode::BAD_REQUEST,
        &[error("validation", "unspecified").says("--smtp-url")],
    )
    .await;
}
