//! `spawn_app()`: a fresh database, the real router on a free port, a real HTTP client, and one
//! method per endpoint that returns the raw response. The database is SQLite or PostgreSQL, as
//! the test binary's `crate::DATABASE` says.

use std::ops::Deref;
use std::sync::Arc;
use std::time::Duration;

use procura::domain::account::NewApiKey;
use procura::domain::ids::{AccountId, ApiKeyId};
use procura::domain::user::SessionLimits;
use procura::serve::ServerLimits;
use procura::startup::{Application, Settings};
use procura::store::Store;
use procura::store::postgres::{DbOptions, PgStore};
use procura::store::sqlite::SqliteStore;
use reqwest::{Method, RequestBuilder, Response};
use serde_json::{Value, json};
use tempfile::TempDir;

use crate::fresh_database::{FreshDatabase, POSTGRES_URL_VAR};

// The bodies and checks of answers are the helpers' too: `use crate::helpers::*` brings them.
pub use crate::answers::*;

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
    spawn_app_with_sessions(db, store, rate_limit_per_minute, SessionLimits::default()).await
}

/// The app over `store` with web sessions lasting as `sessions` says.
pub async fn spawn_app_with_sessions(
    db: TestDb,
    store: Arc<dyn Store>,
    rate_limit_per_minute: u32,
    sessions: SessionLimits,
) -> TestApp {
    spawn_app_with_settings(db, store, |settings| {
        settings.rate_limit_per_minute = rate_limit_per_minute;
        settings.sessions = sessions;
    })
    .await
}

/// The app over `store`, with the test settings changed by `change`.
pub async fn spawn_app_with_settings(
    db: TestDb,
    store: Arc<dyn Store>,
    change: impl FnOnce(&mut Settings),
) -> TestApp {
    let mut settings = Settings {
        listen: "127.0.0.1:0".to_owned(),
        metrics_listen: None,
        database_url: db.url.clone(),
        rate_limit_per_minute: 0,
        public_url: None,
        idempotency_key_ttl: procura::http::idempotency::DEFAULT_KEY_TTL,
        // The tests' webhook receivers listen on 127.0.0.1.
        webhook_allow_private: true,
        smtp_url: None,
        server: ServerLimits::default(),
        admin_email: "admin@localhost".to_owned(),
        sessions: SessionLimits::default(),
    };
    change(&mut settings);
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

    /// A new location in the warehouse `warehouse`; returns its id.
    pub async fn location_in(&self, warehouse: &str, name: &str) -> String {
        let body = json!({ "name": name, "inventory_warehouse_id": warehouse });
        ok_json(self.create_location(&body).await).await["inventory_location_id"]
            .as_str()
            .expect("an id")
            .to_owned()
    }

    pub async fn stored_status(&self, id: &str) -> String {
        ok_json(self.get_po(id).await).await["status"]
            .as_str()
            .expect("a status")
            .to_owned()
    }
}
