//! The web app through a real server and a client that keeps cookies as a browser does, on both
//! databases: sign-in, sessions, CSRF tokens, roles and tenancy. The pages themselves are driven
//! in a browser by `tests/browser/`.

mod client;
mod history;
mod keys;
mod pages;
mod send;
mod settings;
mod sign_in;
mod webhooks;

pub use client::signed_in;
