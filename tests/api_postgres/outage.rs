//! The database goes away while the server runs: `/readyz` and the API answer 503 in the error
//! envelope with `Retry-After`, `/healthz` still answers 200, and once the database is back the
//! next request succeeds without a restart.

use std::sync::Arc;
use std::time::Duration;

use procura::store::Store;
use procura::store::postgres::{DbOptions, PgStore};
use reqwest::{Response, StatusCode};
use serde_json::json;

use crate::fresh_database::{create_database, drop_database};
use crate::helpers::{
    TestApp, assert_error, error, ok_json, spawn_app_on, test_database, test_db_options,
};

async fn readyz(app: &TestApp) -> Response {
    app.http.get(app.url("/readyz")).send().await.unwrap()
}

/// Asserts the 503 a client sees while the database is unreachable.
async fn assert_unavailable(response: Response) {
    assert_eq!(
        response
            .headers()
            .get("retry-after")
            .map(|v| v.to_str().unwrap()),
        Some("1"),
        "{response:?}"
    );
    let expected = error("system", "unspecified").says("temporarily unavailable");
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
        assert_unavailable(readyz(&app).await).await;
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
