//! The HTTP API, tested through a real server and a real client. One binary, so that it is
//! linked once.

// Helpers outside `#[test]` functions unwrap too: a failed unwrap in a test is a failed test.
#![expect(clippy::unwrap_used, reason = "test code: a panic is a failed test")]

mod auth;
mod cli;
mod concurrency;
mod documents;
mod errors;
mod filters;
mod helpers;
mod locations;
mod openapi;
mod pagination;
mod purchase_orders;
mod receiving;
mod status;
mod suppliers;
mod validation;
mod warehouses;
