//! The database goes away while the server runs (dropped, or its connections cut): `/readyz` and
//! the API answer 503 in the error envelope with `Retry-After`, `/healthz` still answers 200, and
//! once the database is back the next request succeeds without a restart.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use procura::store::Store;
use procura::store::postgres::{DbOptions, PING_WHEN_IDLE_FOR, PgStore};
use reqwest::{Response, StatusCode};
use serde_json::json;
use sqlx::postgres::PgConnectOptions;
use tokio::io::copy_bidirectional;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

use crate::fresh_database::{create_database, drop_database};
use crate::helpers::{
    TestApp, assert_error, error, ok_json, spawn_app_on, test_database, test_db_options,
};

async fn readyz(app: &TestApp) -> Response {
    app.http.get(app.url("/readyz")).send().await.unwrap()
}

/// Asserts the 503 a client sees while the database is unreachable.
async fn assert_unavailable(response: Response) {
    assert_503(response, "temporarily unavailable").await;
}

/// `/readyz`'s 503: the envelope says the server is not ready and where to read why.
async fn assert_not_ready(response: Response) {
    assert_503(response, "not ready").await;
}

async fn assert_503(response: Response, says: &str) {
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap()),
        Some("1"),
        "{response:?}"
    );
    let expected = error("system", "unspecified").says(says);
    assert_error(response, StatusCode::SERVICE_UNAVAILABLE, &[expected]).await;
}

#[tokio::test]
async fn a_dropped_database_answers_503_and_the_next_request_after_it_returns_succeeds() {
    let Some(db) = test_database().await else {
        return;
    };
    let options = DbOptions {
        max_connections: 2,
        acquire_timeout: Duration::from_secs(2),
        ..DbOptions::default()
    };
    let store: Arc<dyn Store> = Arc::new(PgStore::connect(&db.url, &options).await.unwrap());
    let app = spawn_app_on(db, store, 0).await;
    assert_eq!(
        ok_json(readyz(&app).await).await,
        json!({ "status": "ready" })
    );
    app.supplier("Acme").await;

    let pg = app.db.postgres().expect("a PostgreSQL database");
    drop_database(&pg.base, &pg.name).await;

    // Twice each: the first request meets the pool's broken connections, later ones new
    // connection attempts.
    for _ in 0..2 {
        assert_unavailable(app.list_suppliers(&[]).await).await;
        assert_unavailable(app.create_supplier(&json!({ "supplier_name": "B" })).await).await;
        assert_not_ready(readyz(&app).await).await;
    }
    assert_eq!(
        ok_json(app.healthz().await).await,
        json!({ "status": "ok" })
    );

    // The database comes back, empty (as from a restore): same name, schema migrated by a
    // store of its own, then an account for a new key through the running app's store.
    create_database(&pg.base, &pg.name).await;
    let migrator = PgStore::connect(&app.db.url, &test_db_options())
        .await
        .expect("the returned database migrates");
    migrator.close().await;
    assert_eq!(
        ok_json(readyz(&app).await).await,
        json!({ "status": "ready" })
    );
    let client = app.other_account().await;
    let listed = ok_json(client.list_suppliers(&[]).await).await;
    assert_eq!(
        (&listed["suppliers"], &listed["total"]),
        (&json!([]), &json!(0))
    );
    client.supplier("Acme").await;
}

/// A TCP relay in front of PostgreSQL that the test can cut (every relayed connection closed,
/// new ones refused) and restore on the same port: a network outage or a database restart, as
/// the server's pool sees it.
struct Relay {
    address: SocketAddr,
    target: SocketAddr,
    accept: JoinHandle<()>,
    connections: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl Relay {
    /// Relays `address` (port 0 for any) to `target`.
    async fn start(address: SocketAddr, target: SocketAddr) -> Self {
        let listener = TcpListener::bind(address).await.expect("the relay listens");
        let address = listener.local_addr().unwrap();
        let connections = Arc::new(Mutex::new(Vec::new()));
        let accept = {
            let connections = connections.clone();
            tokio::spawn(async move {
                while let Ok((mut inbound, _)) = listener.accept().await {
                    let relay = tokio::spawn(async move {
                        if let Ok(mut outbound) = TcpStream::connect(target).await {
                            let _ = copy_bidirectional(&mut inbound, &mut outbound).await;
                        }
                    });
                    connections.lock().unwrap().push(relay);
                }
            })
        };
        Self {
            address,
            target,
            accept,
            connections,
        }
    }

    /// Closes the port and every relayed connection; returns once they are closed.
    async fn cut(self) -> (SocketAddr, SocketAddr) {
        self.accept.abort();
        let _ = self.accept.await;
        let connections: Vec<_> = self.connections.lock().unwrap().drain(..).collect();
        for connection in connections {
            connection.abort();
            let _ = connection.await;
        }
        (self.address, self.target)
    }
}

/// `url` with its host and port replaced by `address` (user, database and parameters kept).
fn through(url: &str, address: SocketAddr) -> String {
    let (scheme, rest) = url.split_once("://").expect("a URL with a scheme");
    let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
    let user = authority
        .rsplit_once('@')
        .map_or(String::new(), |(user, _)| format!("{user}@"));
    format!("{scheme}://{user}{address}/{path}")
}

/// An app whose store (a pool of two) reaches PostgreSQL through a [`Relay`]; `None` without
/// PostgreSQL.
async fn app_behind_relay() -> Option<(TestApp, Relay)> {
    let db = test_database().await?;
    let direct: PgConnectOptions = db.url.parse().unwrap();
    let target = tokio::net::lookup_host((direct.get_host(), direct.get_port()))
        .await
        .unwrap()
        .next()
        .expect("the PostgreSQL server's address");
    let relay = Relay::start(SocketAddr::from(([127, 0, 0, 1], 0)), target).await;
    let options = DbOptions {
        max_connections: 2,
        acquire_timeout: Duration::from_secs(1),
        ..DbOptions::default()
    };
    let store = PgStore::connect(&through(&db.url, relay.address), &options)
        .await
        .unwrap();
    Some((spawn_app_on(db, Arc::new(store), 0).await, relay))
}

#[tokio::test]
async fn a_lost_connection_answers_503_and_the_pool_reconnects_when_the_database_returns() {
    let Some((app, relay)) = app_behind_relay().await else {
        return;
    };
    assert_eq!(
        ok_json(readyz(&app).await).await,
        json!({ "status": "ready" })
    );
    app.supplier("Acme").await;

    let (address, target) = relay.cut().await;
    assert_unavailable(app.list_suppliers(&[]).await).await;
    assert_unavailable(app.create_supplier(&json!({ "supplier_name": "B" })).await).await;
    assert_not_ready(readyz(&app).await).await;
    assert_eq!(
        ok_json(app.healthz().await).await,
        json!({ "status": "ok" })
    );

    // Back on the same address, with the data: the next requests succeed, no restart.
    let relay = Relay::start(address, target).await;
    assert_eq!(
        ok_json(readyz(&app).await).await,
        json!({ "status": "ready" })
    );
    let listed = ok_json(app.list_suppliers(&[]).await).await;
    assert_eq!(listed["total"], 1, "{listed}");
    app.supplier("Bolt").await;
    relay.cut().await;
}

#[tokio::test]
async fn connections_broken_while_the_pool_sat_idle_are_replaced_before_a_request_meets_them() {
    let Some((app, relay)) = app_behind_relay().await else {
        return;
    };
    app.supplier("Acme").await;

    // A restart while nothing is asked: every pooled connection is closed, the address answers
    // again at once.
    let (address, target) = relay.cut().await;
    let relay = Relay::start(address, target).await;
    tokio::time::sleep(PING_WHEN_IDLE_FOR + Duration::from_millis(100)).await;

    let listed = ok_json(app.list_suppliers(&[]).await).await;
    assert_eq!(listed["total"], 1, "{listed}");
    app.supplier("Bolt").await;
    relay.cut().await;
}
