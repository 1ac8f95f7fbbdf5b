//! Procura: a purchase-order service that speaks the ShipStation API v2 purchase-order dialect.

pub mod backup;
pub mod cli;
pub mod copy;
pub mod documents;
pub mod domain;
pub mod http;
pub mod mail;
pub mod serve;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod web;
pub mod webhooks;
