//! Inventory warehouses and the locations (area, shelf, bin) inside them.

use chrono::{DateTime, Utc};

use super::Invalid;
use super::address::Address;
use super::ids::{LocationId, WarehouseId};
use super::text;
use super::version::{Tag, Version};

#[derive(Debug, Clone, PartialEq)]
pub struct Warehouse {
    pub id: WarehouseId,
    pub name: String,
    /// Where orders for this warehouse are delivered: the ship-to of their documents.
    pub address: Option<Address>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: Version,
}

impl Warehouse {
    pub fn tag(&self) -> Tag {
        Tag::of(self.version)
    }
}

/// The writable fields of a warehouse (create and full replacement).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct WarehouseInput {
    pub name: String,
    /// `None` when no address field is set.
    pub address: Option<Address>,
}

impl From<&str> for WarehouseInput {
    /// A warehouse with a name and no address.
    fn from(name: &str) -> Self {
        Self {
            name: name.to_owned(),
            address: None,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Location {
    pub id: LocationId,
    pub warehouse_id: WarehouseId,
    pub name: String,
    pub barcode: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub version: Version,
}

impl Location {
    pub fn tag(&self) -> Tag {
        Tag::of(self.version)
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewLocation {
    pub warehouse_id: WarehouseId,
    pub name: String,
    pub barcode: Option<String>,
}

/// `PUT /v2/inventory_locations/{id}`: both fields optional; an omitted one is unchanged.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct LocationChange {
    pub name: Option<String>,
    pub barcode: Option<Option<String>>,
}

pub fn parse_name(raw: &str) -> Result<String, Invalid> {
    text::bounded(raw, 1, 200)
}

pub fn parse_barcode(raw: &str) -> Result<Option<String>, Invalid> {
    text::optional(raw, 100)
}
