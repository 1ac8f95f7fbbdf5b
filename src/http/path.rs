//! Ids in the path, extracted as their types, and the 404 that names the object a path asks for.

use std::fmt::Display;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use super::error::{ApiError, ApiResult};
use crate::domain::ids::{
    DeliveryId, LocationId, PurchaseOrderId, ReceiptId, SupplierId, WarehouseId, WebhookId,
};
use crate::store::{StoreError, StoreResult};

/// An id a route takes in its path: the words a 404 uses for the object and for the parameter.
pub(crate) trait PathId: Copy + Display + Send {
    /// The object, as a 404's message names it: `purchase order se-7 was not found`.
    const KIND: &'static str;
    /// The path parameter, as a 404's `field_name` names it.
    const FIELD: &'static str;
    fn parse(raw: &str) -> Option<Self>;
}

macro_rules! path_id {
    ($id:ty, $kind:literal, $field:literal) => {
        impl PathId for $id {
            const KIND: &'static str = $kind;
            const FIELD: &'static str = $field;
            fn parse(raw: &str) -> Option<Self> {
                <$id>::parse(raw)
            }
        }
    };
}

path_id!(SupplierId, "supplier", "supplier_id");
path_id!(WarehouseId, "inventory warehouse", "inventory_warehouse_id");
path_id!(LocationId, "inventory location", "inventory_location_id");
path_id!(PurchaseOrderId, "purchase order", "purchase_order_id");
path_id!(WebhookId, "webhook", "webhook_id");
path_id!(DeliveryId, "webhook delivery", "delivery_id");
path_id!(ReceiptId, "receipt", "receipt_id");

/// The one id a route's path holds. An id that cannot name anything is a 404 like an unknown
/// one: the caller learns the same either way, that no such object is theirs.
pub(crate) struct Path<T>(pub T);

impl<S: Send + Sync, T: PathId> FromRequestParts<S> for Path<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, ApiError> {
        let raw = axum::extract::Path::<String>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(raw)| raw)
            // Only a segment that is not UTF-8 once percent-decoded gets here.
            .unwrap_or_else(|rejection| rejection.body_text());
        T::parse(&raw)
            .map(Path)
            .ok_or_else(|| ApiError::not_found(T::KIND, T::FIELD, &raw))
    }
}

/// The 404 of a path segment that cannot name any `T`.
pub(crate) fn not_found_raw<T: PathId>(raw: &str) -> ApiError {
    ApiError::not_found(T::KIND, T::FIELD, raw)
}

pub(crate) fn not_found<T: PathId>(id: T) -> ApiError {
    ApiError::not_found(T::KIND, T::FIELD, &id.to_string())
}

/// Turns the store's `NotFound` from a write into the 404 for the object the path names.
pub(crate) trait OrNotFound<T> {
    fn or_not_found(self, id: impl PathId) -> ApiResult<T>;
}

impl<T> OrNotFound<T> for StoreResult<T> {
    fn or_not_found(self, id: impl PathId) -> ApiResult<T> {
        match self {
            Err(StoreError::NotFound) => Err(not_found(id)),
            other => other.map_err(ApiError::from),
        }
    }
}

/// A lookup's answer in the API's terms: the object, or the 404 that names it.
pub(crate) trait Found<T> {
    fn found(self, id: impl PathId) -> ApiResult<T>;
}

impl<T> Found<T> for StoreResult<Option<T>> {
    fn found(self, id: impl PathId) -> ApiResult<T> {
        match self {
            Ok(Some(found)) => Ok(found),
            Ok(None) | Err(StoreError::NotFound) => Err(not_found(id)),
            Err(err) => Err(ApiError::from(err)),
        }
    }
}
