//! A PostgreSQL database of its own for one test, created on the server that
//! `PROCURA_TEST_POSTGRES_URL` names. Included (`#[path]`) by every test binary that runs on
//! PostgreSQL, so that they create, name and drop their databases the same way.

#![allow(
    dead_code,
    reason = "each test binary including this file uses a different part of it"
)]

use sqlx::{Connection, Executor, PgConnection};

pub const POSTGRES_URL_VAR: &str = "PROCURA_TEST_POSTGRES_URL";

/// Says once per test binary, on the real standard error (libtest hides what passing tests
/// print), that its PostgreSQL tests passed without running.
pub fn note_postgres_skipped(what: &str) {
    use std::io::Write as _;
    static NOTE: std::sync::Once = std::sync::Once::new();
    NOTE.call_once(|| {
        let _ = writeln!(
            std::io::stderr(),
            "SKIPPED: {POSTGRES_URL_VAR} is not set, so the PostgreSQL half of {what} did not run \
             (set it, e.g. to postgres://postgres@127.0.0.1:5432/test, to run it)"
        );
    });
}

/// A database of its own on the server `base` names: `CREATE DATABASE procura_test_<random>`.
pub struct FreshDatabase {
    pub base: String,
    pub name: String,
    pub url: String,
}

impl FreshDatabase {
    /// Creates the database; panics (fails the test) when the server cannot be reached, so that
    /// a set but unreachable `PROCURA_TEST_POSTGRES_URL` never passes for a skip.
    pub async fn create(base: &str) -> Self {
        let name = format!("procura_test_{}", uuid::Uuid::new_v4().simple());
        create_database(base, &name).await;
        let url = with_database(base, &name);
        Self {
            base: base.to_owned(),
            name,
            url,
        }
    }

    /// Drops the database, closing whatever connections to it are still open.
    pub async fn drop(self) {
        drop_database(&self.base, &self.name).await;
    }

    /// Drops the database from synchronous code (a `Drop` impl), on a thread and runtime of its
    /// own: the caller may be on a runtime thread, where blocking on a future would panic.
    pub fn drop_blocking(&self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        std::thread::spawn(move || {
            tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime to drop the test database")
                .block_on(drop_database(&base, &name));
        })
        .join()
        .expect("dropping the test database");
    }
}

/// Drops the database `name` on `base`, closing whatever connections to it are still open.
pub async fn drop_database(base: &str, name: &str) {
    let mut admin = PgConnection::connect(base)
        .await
        .expect("reconnecting to drop the test database");
    admin
        .execute(format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#).as_str())
        .await
        .expect("DROP DATABASE");
    let _ = admin.close().await;
}

/// `base` with its database name replaced by `name` (query parameters kept).
pub fn with_database(base: &str, name: &str) -> String {
    let (main, query) = match base.split_once('?') {
        Some((main, query)) => (main, Some(query)),
        None => (base, None),
    };
    let (scheme, rest) = main.split_once("://").expect("a URL with a scheme");
    let authority = rest
        .split_once('/')
        .map_or(rest, |(authority, _)| authority);
    let mut url = format!("{scheme}://{authority}/{name}");
    if let Some(query) = query {
        url.push('?');
        url.push_str(query);
    }
    url
}

/// Creates the database `name` on `base` (again, after it was dropped).
pub async fn create_database(base: &str, name: &str) {
    let mut admin = PgConnection::connect(base)
        .await
        .unwrap_or_else(|e| panic!("{POSTGRES_URL_VAR} is set but PostgreSQL is unreachable: {e}"));
    admin
        .execute(format!(r#"CREATE DATABASE "{name}""#).as_str())
        .await
        .expect("CREATE DATABASE");
    let _ = admin.close().await;
}
