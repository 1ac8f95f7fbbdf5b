//! Bodies to send, and the checks of what comes back: statuses, JSON, ids, timestamps and the
//! whole error envelope.

use reqwest::{Response, StatusCode};
use serde_json::{Value, json};

// Bodies.

pub fn supplier_body(name: &str) -> Value {
    json!({ "supplier_name": name })
}

/// A valid create body with every optional field left out and two product lines.
pub fn po_body(supplier_id: &str, warehouse_id: &str) -> Value {
    json!({
        "supplier_id": supplier_id,
        "warehouse_id": warehouse_id,
        "products": [
            { "sku": "WIDGET-001", "quantity": 10, "cost": 9.99 },
            { "sku": "GADGET-002", "supplier_sku": "SUP-G2", "quantity": 5 },
        ],
    })
}

/// Path from `draft` to each status, through `POST .../status`.
pub fn path_to(status: &str) -> &'static [&'static str] {
    match status {
        "draft" => &[],
        "open" => &["open"],
        "receiving" => &["open", "receiving"],
        "received" => &["open", "received"],
        "closed" => &["open", "receiving", "closed"],
        "cancelled" => &["cancelled"],
        other => panic!("no path to {other}"),
    }
}

// Reading answers.

/// Asserts a 200 with a JSON body and returns the body.
pub async fn ok_json(response: Response) -> Value {
    assert_status_json(response, StatusCode::OK).await
}

/// Asserts the status and that the body is JSON sent as `application/json`; returns the body.
pub async fn assert_status_json(response: Response, status: StatusCode) -> Value {
    let actual = response.status();
    let content_type = response
        .headers()
        .get("content-type")
        .map(|v| v.to_str().unwrap_or("").to_owned());
    let text = response.text().await.expect("a readable body");
    assert_eq!(actual, status, "unexpected status; body: {text}");
    assert_eq!(
        content_type.as_deref(),
        Some("application/json"),
        "Content-Type of {text}"
    );
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("body is not JSON ({e}): {text}"))
}

/// Asserts a 204 with an empty body.
pub async fn assert_no_content(response: Response) {
    let status = response.status();
    let text = response.text().await.expect("a readable body");
    assert_eq!(status, StatusCode::NO_CONTENT, "body: {text}");
    assert_eq!(text, "");
}

/// Today's UTC date as it starts an order number (`MMDDYYYY`).
pub fn today() -> String {
    chrono::Utc::now().format("%m%d%Y").to_string()
}

/// Asserts `value` is an RFC 3339 UTC timestamp ending in `Z`, and returns it.
pub fn assert_timestamp(value: &Value) -> chrono::DateTime<chrono::Utc> {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("{value} is not a string"));
    assert!(text.ends_with('Z'), "{text} is not in UTC with Z");
    chrono::DateTime::parse_from_rfc3339(text)
        .unwrap_or_else(|e| panic!("{text} is not RFC 3339: {e}"))
        .to_utc()
}

/// Asserts `value` is a ShipStation id (`^se(-[a-z0-9]+)+$`, at most 25 characters).
pub fn assert_se_id(value: &Value) -> String {
    let text = value
        .as_str()
        .unwrap_or_else(|| panic!("{value} is not a string"));
    let rest = text
        .strip_prefix("se-")
        .unwrap_or_else(|| panic!("{text} does not start with se-"));
    assert!(
        text.len() <= 25
            && rest.split('-').all(|p| !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())),
        "{text}"
    );
    text.to_owned()
}

// The error envelope.

/// One expected entry of `errors[]`.
#[derive(Debug, Clone)]
pub struct Expected {
    pub error_type: &'static str,
    pub error_code: &'static str,
    pub field: Option<(String, Option<String>)>,
    pub says: Vec<String>,
}

/// An expected error entry; chain `.field(...)` and `.says(...)`.
pub fn error(error_type: &'static str, error_code: &'static str) -> Expected {
    Expected {
        error_type,
        error_code,
        field: None,
        says: Vec::new(),
    }
}

impl Expected {
    /// The entry names this field and the refused value.
    pub fn field(mut self, name: &str, value: &str) -> Self {
        self.field = Some((name.to_owned(), Some(value.to_owned())));
        self
    }

    /// The entry names this field but has no value (e.g. a missing field).
    pub fn field_without_value(mut self, name: &str) -> Self {
        self.field = Some((name.to_owned(), None));
        self
    }

    /// The message contains this text.
    pub fn says(mut self, text: &str) -> Self {
        self.says.push(text.to_owned());
        self
    }
}

/// Asserts the whole error answer: status, `X-Request-Id` equal to `request_id` (a UUID), and
/// exactly the expected entries of `errors[]`, in order. Returns the body.
pub async fn assert_error(response: Response, status: StatusCode, expected: &[Expected]) -> Value {
    let header_id = response
        .headers()
        .get("x-request-id")
        .map(|v| v.to_str().expect("an ASCII header").to_owned())
        .expect("an X-Request-Id header");
    let body = assert_status_json(response, status).await;
    let object = body
        .as_object()
        .unwrap_or_else(|| panic!("the envelope is an object: {body}"));
    let mut keys: Vec<&str> = object.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["errors", "request_id"], "{body}");
    let request_id = body["request_id"].as_str().expect("request_id is a string");
    uuid::Uuid::parse_str(request_id)
        .unwrap_or_else(|e| panic!("request_id {request_id} is not a UUID: {e}"));
    assert_eq!(request_id, header_id, "request_id and X-Request-Id differ");
    let errors = body["errors"].as_array().expect("errors is an array");
    assert_eq!(errors.len(), expected.len(), "number of errors in {body:#}");
    for (i, (actual, want)) in errors.iter().zip(expected).enumerate() {
        assert_eq!(
            actual["error_source"], "ShipStation",
            "errors[{i}] of {body:#}"
        );
        assert_eq!(
            actual["error_type"], want.error_type,
            "errors[{i}] of {body:#}"
        );
        assert_eq!(
            actual["error_code"], want.error_code,
            "errors[{i}] of {body:#}"
        );
        let message = actual["message"]
            .as_str()
            .unwrap_or_else(|| panic!("errors[{i}].message of {body:#}"));
        assert!(
            message.len() > 10,
            "errors[{i}].message says too little: {message}"
        );
        for text in &want.says {
            assert!(
                message.contains(text.as_str()),
                "errors[{i}].message {message:?} does not say {text:?}"
            );
        }
        let mut expected_keys = vec!["error_code", "error_source", "error_type", "message"];
        if let Some((name, value)) = &want.field {
            assert_eq!(
                actual["field_name"],
                name.as_str(),
                "errors[{i}] of {body:#}"
            );
            expected_keys.push("field_name");
            if let Some(value) = value {
                assert_eq!(
                    actual["field_value"],
                    value.as_str(),
                    "errors[{i}] of {body:#}"
                );
                expected_keys.push("field_value");
            }
        }
        expected_keys.sort_unstable();
        let mut keys: Vec<&str> = actual
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        keys.sort_unstable();
        assert_eq!(keys, expected_keys, "errors[{i}] of {body:#}");
    }
    body
}

/// A 404 for an id that names nothing the caller can see.
pub fn not_found(kind: &str, field: &str, id: &str) -> Expected {
    error("validation", "invalid_identifier")
        .field(field, id)
        .says(&format!("{kind} {id} was not found"))
}
