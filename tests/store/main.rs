//! Store contract tests: every test runs against SQLite, and against PostgreSQL when
//! `PROCURA_TEST_POSTGRES_URL` is set (each test in a fresh database created from that URL).
//! With the variable set and the server unreachable, the PostgreSQL tests fail.

#![expect(
    clippy::unwrap_used,
    reason = "contract tests are async fns run by a macro, outside #[test] where clippy allows unwrap"
)]

#[path = "../support/fresh_database.rs"]
mod fresh_database;
mod harness;

mod accounts;
mod concurrency;
mod idempotency_keys;
mod migrations;
mod order_lists;
mod purchase_orders;
mod receiving;
mod suppliers;
mod tenancy;
mod warehouses;
