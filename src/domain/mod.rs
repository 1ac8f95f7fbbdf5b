//! The purchase-order domain: pure types and rules, no HTTP and no SQL.
//!
//! Everything here is built through constructors that check their input, so a value of one of
//! these types is valid by construction past the edge of the program.

pub mod account;
pub mod address;
pub mod event;
pub mod ids;
pub mod invalid;
pub mod logo;
pub mod mail;
pub mod money;
pub mod number;
pub mod page;
pub mod purchase_order;
pub mod receipt;
pub mod receiving;
pub mod refusal;
pub mod status;
pub mod stock;
pub mod supplier;
pub mod text;
pub mod user;
pub mod version;
pub mod warehouse;
pub mod webhook;

pub use invalid::Invalid;
