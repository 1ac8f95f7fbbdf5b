//! `spawn_app()`: a fresh database, the real router on a free port, a real HTTP client, and one
//! method per endpoint that returns the raw response. The database is SQLite or PostgreSQL, as
//! the test binary's `crate::DATABASE` says.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use procura::domain::account::NewApiKey;
use procura::domain::ids::{AccountId, ApiKeyId};
use procura::serve::ServerLimits;
use procura::startup::{Application, Settings};
use procura::store::Store;
use procura::store::postgres::{DbOptions, PgStore};
use procura::store::sqlite::SqliteStore;
use reqwest::{Method, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::fresh_database::{FreshDatabase, POSTGRES_URL_VAR};

/// The database a test binary runs every test on; its root sets `crate::DATABASE`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[expect(dead_code, reason = "each test binary constructs one of them")]
pub enum Database {
    Sqlite,
    /// A fresh database per test on the server `PROCURA_TEST_POSTGRES_URL` names.
    Postgres,
}

/// The database of one test: a SQLite file in a temporary directory, or a fresh PostgreSQL
/// database, dropped with this value (kept for inspection when the test failed).
pub struct TestDb {
    /// The database URL, as `--database` and `Settings::database_url` take it.
    pub url: String,
    held: Held,
}

enum Held {
    Sqlite(#[expect(dead_code, reason = "held for its Drop")] TempDir),
    Postgres(FreshDatabase),
}

impl TestDb {
    /// The PostgreSQL database, when the test runs on one.
    pub fn postgres(&self) -> Option<&FreshDatabase> {
        match &self.held {
            Held::Postgres(db) => Some(db),
            Held::Sqlite(_) => None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Held::Postgres(db) = &self.held {
            if std::thread::panicking() {
                eprintln!("kept database {} for inspection", db.name);
            } else {
                db.drop_blocking();
            }
        }
    }
}

/// A new, empty database for one test; `None` when this binary runs on PostgreSQL and
/// `PROCURA_TEST_POSTGRES_URL` is not set, and the test is to be skipped. Panics when the variable
/// is set and PostgreSQL is unreachable.
pub async fn test_database() -> Option<TestDb> {
    match crate::DATABASE {
        Database::Sqlite => {
            let dir = tempfile::tempdir().expect("a temporary directory");
            let url = dir.path().join("procura.db").display().to_string();
            Some(TestDb {
                url,
                held: Held::Sqlite(dir),
            })
        }
        Database::Postgres => {
            let Ok(base) = std::env::var(POSTGRES_URL_VAR) else {
                crate::fresh_database::note_postgres_skipped("the API tests");
                return None;
            };
            let db = FreshDatabase::create(&base).await;
            Some(TestDb {
                url: db.url.clone(),
                held: Held::Postgres(db),
            })
        }
    }
}

/// Pool settings for a test's PostgreSQL store: few connections, since the tests share one
/// server, and a patient acquire, since the machine may be busy.
pub fn test_db_options() -> DbOptions {
    DbOptions {
        max_connections: 4,
        acquire_timeout: Duration::from_secs(30),
        ..DbOptions::default()
    }
}

/// Every store the tests use is built here, so that one place decides which database runs them.
pub async fn open_test_store(db: &TestDb) -> Arc<dyn Store> {
    if db.postgres().is_some() {
        let store = PgStore::connect(&db.url, &test_db_options())
            .await
            .expect("the test database opens");
        return Arc::new(store);
    }
    let path = std::path::PathBuf::from(&db.url);
    let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path))
        .await
        .expect("the store opener did not panic")
        .expect("the test database opens");
    Arc::new(store)
}

/// A running application and a client for its first account.
pub struct TestApp {
    pub address: String,
    pub store: Arc<dyn Store>,
    pub client: ApiClient,
    _stop: tokio::sync::oneshot::Sender<()>,
    /// The app's database, dropped after the app is told to stop.
    #[allow(
        dead_code,
        reason = "held for its Drop; only PostgreSQL tests read it, in one of the binaries"
    )]
    pub db: TestDb,
}

/// A client speaking for one account (one API key).
#[derive(Clone)]
pub struct ApiClient {
    pub address: String,
    pub http: reqwest::Client,
    pub api_key: String,
    pub account_id: AccountId,
    pub key_id: ApiKeyId,
}

impl Deref for TestApp {
    type Target = ApiClient;

    fn deref(&self) -> &ApiClient {
        &self.client
    }
}

/// The runtime SQLite test servers run on: the one `procura serve` uses.
static SERVER_RUNTIME: std::sync::LazyLock<tokio::runtime::Runtime> =
    std::sync::LazyLock::new(|| procura::startup::runtime().expect("the server runtime starts"));

/// The app on a fresh database; `None` when the test is to be skipped (see [`test_database`]).
pub async fn spawn_app() -> Option<TestApp> {
    spawn_app_with_rate_limit(0).await
}

pub async fn spawn_app_with_rate_limit(rate_limit_per_minute: u32) -> Option<TestApp> {
    let db = test_database().await?;
    let store = open_test_store(&db).await;
    Some(spawn_app_on(db, store, rate_limit_per_minute).await)
}

/// The app over `store`, which must be a store on `db`.
pub async fn spawn_app_on(
    db: TestDb,
    store: Arc<dyn Store>,
    rate_limit_per_minute: u32,
) -> TestApp {
    let settings = Settings {
        listen: "127.0.0.1:0".to_owned(),
        metrics_listen: None,
        database_url: db.url.clone(),
        rate_limit_per_minute,
        public_url: None,
        server: ServerLimits::default(),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let serve = {
        let store = store.clone();
        async move {
            let app = Application::build(&settings, store)
                .await
                .expect("the application builds");
            let address = app.local_addr();
            (
                address,
                app.run_until(async move {
                    let _ = stopped.await;
                }),
            )
        }
    };
    let address = if db.postgres().is_some() {
        // The pool belongs to this test's runtime, so the server runs on it too.
        let (address, run) = serve.await;
        tokio::spawn(run);
        address
    } else {
        // On SQLite the server runs as `procura serve` runs it: on the server runtime, whose
        // workers keep their read snapshot from one request to the next.
        let (ready, address) = tokio::sync::oneshot::channel();
        SERVER_RUNTIME.spawn(async move {
            let (address, run) = serve.await;
            let _ = ready.send(address);
            run.await
        });
        address.await.expect("the server starts")
    };
    let address = format!("http://{address}");
    let http = reqwest::Client::builder()
        .timeout(std::time::Duration::from_secs(60))
        .build()
        .expect("an HTTP client");
    let client = new_client(&store, &address, &http).await;
    TestApp {
        address,
        store,
        client,
        _stop: stop,
        db,
    }
}

async fn new_client(store: &Arc<dyn Store>, address: &str, http: &reqwest::Client) -> ApiClient {
    let key = NewApiKey::generate();
    let api_key = key.secret.clone();
    let (account_id, key_id) = store
        .create_account(key)
        .await
        .expect("an account is created");
    ApiClient {
        address: address.to_owned(),
        http: http.clone(),
        api_key,
        account_id,
        key_id,
    }
}

impl TestApp {
    /// A second tenant, with its own key.
    pub async fn other_account(&self) -> ApiClient {
        new_client(&self.store, &self.address, &self.client.http).await
    }
}

impl ApiClient {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A request carrying this account's key.
    pub fn request(&self, method: Method, path: &str) -> RequestBuilder {
        self.http
            .request(method, self.url(path))
            .header("API-Key", &self.api_key)
    }

    pub async fn send(&self, method: Method, path: &str, body: Option<&Value>) -> Response {
        let mut request = self.request(method, path);
        if let Some(body) = body {
            request = request.json(body);
        }
        request.send().await.expect("the request is answered")
    }

    async fn get(&self, path: &str) -> Response {
        self.send(Method::GET, path, None).await
    }

    async fn list(&self, path: &str, query: &[(&str, &str)]) -> Response {
        self.request(Method::GET, path)
            .query(query)
            .send()
            .await
            .expect("the request is answered")
    }

    async fn post(&self, path: &str, body: &Value) -> Response {
        self.send(Method::POST, path, Some(body)).await
    }

    async fn put(&self, path: &str, body: &Value) -> Response {
        self.send(Method::PUT, path, Some(body)).await
    }

    async fn delete(&self, path: &str) -> Response {
        self.send(Method::DELETE, path, None).await
    }

    pub async fn healthz(&self) -> Response {
        self.http
            .get(self.url("/healthz"))
            .send()
            .await
            .expect("the request is answered")
    }

    // Suppliers.
    pub async fn create_supplier(&self, body: &Value) -> Response {
        self.post("/v2/suppliers", body).await
    }
    pub async fn get_supplier(&self, id: &str) -> Response {
        self.get(&format!("/v2/suppliers/{id}")).await
    }
    pub async fn put_supplier(&self, id: &str, body: &Value) -> Response {
        self.put(&format!("/v2/suppliers/{id}"), body).await
    }
    pub async fn list_suppliers(&self, query: &[(&str, &str)]) -> Response {
        self.list("/v2/suppliers", query).await
    }

    // Inventory warehouses.
    pub async fn create_warehouse(&self, body: &Value) -> Response {
        self.post("/v2/inventory_warehouses", body).await
    }
    pub async fn get_warehouse(&self, id: &str) -> Response {
        self.get(&format!("/v2/inventory_warehouses/{id}")).await
    }
    pub async fn put_warehouse(&self, id: &str, body: &Value) -> Response {
        self.put(&format!("/v2/inventory_warehouses/{id}"), body)
            .await
    }
    pub async fn delete_warehouse(&self, id: &str) -> Response {
        self.delete(&format!("/v2/inventory_warehouses/{id}")).await
    }
    pub async fn list_warehouses(&self, query: &[(&str, &str)]) -> Response {
        self.list("/v2/inventory_warehouses", query).await
    }

    // Inventory locations.
    pub async fn create_location(&self, body: &Value) -> Response {
        self.post("/v2/inventory_locations", body).await
    }
    pub async fn get_location(&self, id: &str) -> Response {
        self.get(&format!("/v2/inventory_locations/{id}")).await
    }
    pub async fn put_location(&self, id: &str, body: &Value) -> Response {
        self.put(&format!("/v2/inventory_locations/{id}"), body)
            .await
    }
    pub async fn delete_location(&self, id: &str) -> Response {
        self.delete(&format!("/v2/inventory_locations/{id}")).await
    }
    pub async fn list_locations(&self, query: &[(&str, &str)]) -> Response {
        self.list("/v2/inventory_locations", query).await
    }

    // Purchase orders.
    pub async fn create_po(&self, body: &Value) -> Response {
        self.post("/v2/purchase_orders", body).await
    }
    pub async fn get_po(&self, id: &str) -> Response {
        self.get(&format!("/v2/purchase_orders/{id}")).await
    }
    pub async fn put_po(&self, id: &str, body: &Value) -> Response {
        self.put(&format!("/v2/purchase_orders/{id}"), body).await
    }
    pub async fn shipping_details(&self, id: &str, body: &Value) -> Response {
        self.post(&format!("/v2/purchase_orders/{id}/shipping_details"), body)
            .await
    }
    pub async fn set_status(&self, id: &str, status: &str) -> Response {
        self.post(
            &format!("/v2/purchase_orders/{id}/status"),
            &json!({ "status": status }),
        )
        .await
    }
    pub async fn list_pos(&self, query: &[(&str, &str)]) -> Response {
        self.list("/v2/purchase_orders", query).await
    }

    // Set-up shortcuts: each creates what a test needs and returns its id.

    /// A supplier with this name; returns its id.
    pub async fn supplier(&self, name: &str) -> String {
        let body = ok_json(self.create_supplier(&supplier_body(name)).await).await;
        body["supplier_id"]
            .as_str()
            .expect("a supplier_id")
            .to_owned()
    }

    /// A warehouse with this name; returns its id.
    pub async fn warehouse(&self, name: &str) -> String {
        let body = ok_json(self.create_warehouse(&json!({ "name": name })).await).await;
        body["inventory_warehouse_id"]
            .as_str()
            .expect("an inventory_warehouse_id")
            .to_owned()
    }

    /// A supplier and a warehouse, for orders: `(supplier_id, warehouse_id)`.
    pub async fn supplier_and_warehouse(&self) -> (String, String) {
        (
            self.supplier("Acme Widgets Inc").await,
            self.warehouse("Main warehouse").await,
        )
    }

    /// A draft purchase order from `body`; returns the created order.
    pub async fn po(&self, body: &Value) -> Value {
        ok_json(self.create_po(body).await).await
    }

    /// A purchase order driven through `path` of statuses (e.g. `["open", "receiving"]`); returns its id.
    pub async fn po_in(&self, body: &Value, path: &[&str]) -> String {
        let id = self.po(body).await["purchase_order_id"]
            .as_str()
            .expect("an id")
            .to_owned();
        for status in path {
            let answer = ok_json(self.set_status(&id, status).await).await;
            assert_eq!(answer, json!({ "purchase_order_id": id, "status": status }));
        }
        id
    }

    pub async fn stored_status(&self, id: &str) -> String {
        ok_json(self.get_po(id).await).await["status"]
            .as_str()
            .expect("a status")
            .to_owned()
    }
}

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
