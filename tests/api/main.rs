//! The HTTP API, tested through a real server and a real client, on SQLite. One binary, so that it
//! is linked once; `tests/api_postgres` runs the same modules on PostgreSQL.

// Helpers outside `#[test]` functions unwrap too: a failed unwrap in a test is a failed test.
#![expect(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

/// Every test of this binary runs on a fresh SQLite file.
const DATABASE: helpers::Database = helpers::Database::Sqlite;

#[path = "../support/fresh_database.rs"]
mod fresh_database;

mod account;
mod answers;
mod auth;
mod cli;
mod concurrency;
mod conditional;
mod connections;
mod documents;
mod errors;
mod filters;
mod helpers;
mod history;
mod hostile_input;
mod idempotency;
mod locations;
mod logo;
mod money;
mod openapi;
mod operations;
mod pagination;
mod purchase_orders;
mod receipt_ledger;
mod receiving;
mod receiving_races;
mod reversal;
mod send;
mod status;
mod storage_faults;
mod suppliers;
mod validation;
mod warehouses;
mod web;
mod webhook_crash;
mod webhooks;
