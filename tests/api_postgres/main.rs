//! The API tests of `tests/api` (the same files) on PostgreSQL, each in a fresh database created
//! on the server `PROCURA_TEST_POSTGRES_URL` names, plus the tests only PostgreSQL can run: several
//! server processes on one database, and a database that goes away and comes back.
//!
//! With the variable unset every test returns at once, after one "SKIPPED" line on standard
//! error; with it set and the server unreachable, every test fails.

#![expect(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

/// Every test of this binary runs on a fresh PostgreSQL database.
const DATABASE: helpers::Database = helpers::Database::Postgres;

#[path = "../support/fresh_database.rs"]
mod fresh_database;

#[path = "../api/answers.rs"]
mod answers;
#[path = "../api/helpers.rs"]
mod helpers;

#[path = "../api/account.rs"]
mod account;
#[path = "../api/auth.rs"]
mod auth;
#[path = "../api/cli.rs"]
mod cli;
#[path = "../api/concurrency.rs"]
mod concurrency;
#[path = "../api/conditional.rs"]
mod conditional;
#[path = "../api/connections/mod.rs"]
mod connections;
#[path = "../api/documents.rs"]
mod documents;
#[path = "../api/errors.rs"]
mod errors;
mod feed;
#[path = "../api/filters.rs"]
mod filters;
#[path = "../api/history.rs"]
mod history;
#[path = "../api/hostile_input.rs"]
mod hostile_input;
#[path = "../api/idempotency.rs"]
mod idempotency;
#[path = "../api/locations.rs"]
mod locations;
#[path = "../api/logo.rs"]
mod logo;
#[path = "../api/money.rs"]
mod money;
#[path = "../api/openapi.rs"]
mod openapi;
#[path = "../api/pagination.rs"]
mod pagination;
#[path = "../api/purchase_orders.rs"]
mod purchase_orders;
#[path = "../api/receipt_ledger.rs"]
mod receipt_ledger;
#[path = "../api/receiving.rs"]
mod receiving;
#[path = "../api/receiving_races.rs"]
mod receiving_races;
#[path = "../api/reversal.rs"]
mod reversal;
#[path = "../api/send.rs"]
mod send;
#[path = "../api/status.rs"]
mod status;
#[path = "../api/suppliers.rs"]
mod suppliers;
#[path = "../api/validation.rs"]
mod validation;
#[path = "../api/warehouses.rs"]
mod warehouses;
#[path = "../api/web/mod.rs"]
mod web;

mod multiprocess;
mod outage;
mod retries;
#[path = "../api/webhook_crash.rs"]
mod webhook_crash;
#[path = "../api/webhooks.rs"]
mod webhooks;
