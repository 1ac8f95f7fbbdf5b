//! Procura: a purchase-order service that speaks the ShipStation API v2 purchase-order dialect.

pub mod domain;
pub mod store;
