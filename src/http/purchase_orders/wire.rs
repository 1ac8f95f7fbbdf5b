//! What purchase orders look like on the wire, in ShipStation's field names.

use rust_decimal::Decimal;
use serde::Serialize;
use utoipa::ToSchema;
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};

use super::super::pagination::Links;
use super::super::timestamp::Timestamp;
use crate::domain::ids::{PurchaseOrderId, SupplierId, WarehouseId};
use crate::domain::purchase_order::{
    Line, PaymentStatus, PaymentTerms, PurchaseOrder, PurchaseOrderSummary,
};
use crate::domain::status::Status;

fn string_enum(values: Vec<&'static str>, example: &'static str) -> Schema {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(values))
        .examples([example])
        .into()
}

pub fn status_schema() -> Schema {
    string_enum(Status::ALL.iter().map(|s| s.as_str()).collect(), "open")
}

/// The statuses `POST .../status` accepts: every one but `draft`.
pub fn target_status_schema() -> Schema {
    string_enum(
        Status::ALL
            .iter()
            .filter(|s| **s != Status::Draft)
            .map(|s| s.as_str())
            .collect(),
        "open",
    )
}

pub fn payment_terms_schema() -> Schema {
    string_enum(
        PaymentTerms::ALL.iter().map(|s| s.as_str()).collect(),
        "net_30",
    )
}

pub fn payment_status_schema() -> Schema {
    string_enum(
        PaymentStatus::ALL.iter().map(|s| s.as_str()).collect(),
        "unpaid",
    )
}

/// One product line. `received_quantity` and `rejected_quantity` are Procura's additions.
#[derive(Debug, Serialize, ToSchema)]
pub struct ProductBody {
    #[schema(example = "WIDGET-001")]
    pub sku: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "SUPP-WIDGET-001")]
    #[schema(nullable = false)]
    pub supplier_sku: Option<String>,
    #[schema(example = 100)]
    pub quantity: i64,
    /// Unit cost, exact to six decimal places, in the order's `currency_code`.
    #[serde(
        skip_serializing_if = "Option::is_none",
        with = "rust_decimal::serde::arbitrary_precision_option"
    )]
    #[schema(value_type = Option<f64>, example = 9.99)]
    #[schema(nullable = false)]
    pub cost: Option<Decimal>,
    /// Units received so far (accepted into stock).
    pub received_quantity: i64,
    /// Units rejected so far (damaged, missing, failed inspection).
    pub rejected_quantity: i64,
}

impl From<Line> for ProductBody {
    fn from(line: Line) -> Self {
        Self {
            sku: line.sku.as_str().to_owned(),
            supplier_sku: line.supplier_sku,
            quantity: line.quantity,
            cost: line.cost.map(|c| c.decimal()),
            received_quantity: line.received_quantity,
            rejected_quantity: line.rejected_quantity,
        }
    }
}

/// A purchase order with its products, as create, get, update and shipping_details answer.
#[derive(Debug, Serialize, ToSchema)]
pub struct PurchaseOrderBody {
    #[schema(example = "se-234")]
    #[schema(value_type = String)]
    pub purchase_order_id: PurchaseOrderId,
    /// `MMDDYYYY-NN`: the creation date (UTC) and the account's sequence for that day.
    #[schema(example = "02162026-02")]
    pub order_number: String,
    #[schema(example = "se-567")]
    #[schema(value_type = String)]
    pub supplier_id: SupplierId,
    #[schema(example = "Acme Widgets Inc")]
    pub supplier_name: String,
    #[schema(schema_with = status_schema)]
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime, example = "2025-01-15T00:00:00Z")]
    #[schema(nullable = false)]
    #[schema(value_type = Option<String>)]
    pub order_date: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime, example = "2025-02-01T00:00:00Z")]
    #[schema(nullable = false)]
    #[schema(value_type = Option<String>)]
    pub expected_delivery_date: Option<Timestamp>,
    #[schema(format = DateTime, example = "2025-01-14T10:30:00Z")]
    #[schema(value_type = String)]
    pub create_date: Timestamp,
    #[schema(format = DateTime, example = "2025-01-14T10:30:00Z")]
    #[schema(value_type = String)]
    pub modify_date: Timestamp,
    #[schema(schema_with = payment_terms_schema)]
    pub payment_terms: &'static str,
    #[schema(schema_with = payment_status_schema)]
    pub payment_status: &'static str,
    #[schema(example = "USD")]
    pub currency_code: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "UPS")]
    #[schema(nullable = false)]
    pub shipping_carrier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "1Z12345E1234567890")]
    #[schema(nullable = false)]
    pub tracking_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "REF-12345")]
    #[schema(nullable = false)]
    pub reference_number: Option<String>,
    #[schema(example = "se-123456")]
    #[schema(value_type = String)]
    pub warehouse_id: WarehouseId,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "Please expedite delivery")]
    #[schema(nullable = false)]
    pub note_to_supplier: Option<String>,
    pub products: Vec<ProductBody>,
}

impl From<PurchaseOrder> for PurchaseOrderBody {
    fn from(po: PurchaseOrder) -> Self {
        let d = po.details;
        Self {
            purchase_order_id: po.id,
            order_number: po.order_number,
            supplier_id: po.supplier_id,
            supplier_name: po.supplier_name,
            status: po.status.as_str(),
            order_date: d.order_date.map(Timestamp),
            expected_delivery_date: d.expected_delivery_date.map(Timestamp),
            create_date: Timestamp(po.create_date),
            modify_date: Timestamp(po.modify_date),
            payment_terms: d.payment_terms.as_str(),
            payment_status: d.payment_status.as_str(),
            currency_code: d.currency_code.as_str(),
            shipping_carrier: d.shipping_carrier,
            tracking_number: d.tracking_number,
            reference_number: d.reference_number,
            warehouse_id: po.warehouse_id,
            note_to_supplier: d.note_to_supplier,
            products: po.products.into_iter().map(ProductBody::from).collect(),
        }
    }
}

/// A purchase order as listed (no products).
#[derive(Debug, Serialize, ToSchema)]
pub struct PurchaseOrderListItem {
    #[schema(value_type = String)]
    pub purchase_order_id: PurchaseOrderId,
    pub order_number: String,
    #[schema(value_type = String)]
    pub supplier_id: SupplierId,
    pub supplier_name: String,
    #[schema(schema_with = status_schema)]
    pub status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    #[schema(nullable = false)]
    #[schema(value_type = Option<String>)]
    pub order_date: Option<Timestamp>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = DateTime)]
    #[schema(nullable = false)]
    #[schema(value_type = Option<String>)]
    pub expected_delivery_date: Option<Timestamp>,
    #[schema(format = DateTime)]
    #[schema(value_type = String)]
    pub create_date: Timestamp,
    #[schema(format = DateTime)]
    #[schema(value_type = String)]
    pub modify_date: Timestamp,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub reference_number: Option<String>,
    #[schema(value_type = String)]
    pub warehouse_id: WarehouseId,
}

impl From<PurchaseOrderSummary> for PurchaseOrderListItem {
    fn from(po: PurchaseOrderSummary) -> Self {
        Self {
            purchase_order_id: po.id,
            order_number: po.order_number,
            supplier_id: po.supplier_id,
            supplier_name: po.supplier_name,
            status: po.status.as_str(),
            order_date: po.order_date.map(Timestamp),
            expected_delivery_date: po.expected_delivery_date.map(Timestamp),
            create_date: Timestamp(po.create_date),
            modify_date: Timestamp(po.modify_date),
            reference_number: po.reference_number,
            warehouse_id: po.warehouse_id,
        }
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct PurchaseOrderList {
    pub purchase_orders: Vec<PurchaseOrderListItem>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub links: Links,
}

/// The answer of `POST .../status`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatusBody {
    #[schema(example = "se-234")]
    #[schema(value_type = String)]
    pub purchase_order_id: PurchaseOrderId,
    #[schema(schema_with = target_status_schema)]
    pub status: &'static str,
}

/// One product line of a create or a replacement.
#[derive(Debug, ToSchema)]
#[expect(
    dead_code,
    reason = "describes the body and declares its fields (`http::declared`); bodies are read field by field"
)]
pub struct ProductRequest {
    /// 1 to 100 characters; each SKU at most once per order.
    #[schema(example = "WIDGET-001")]
    sku: String,
    #[schema(example = "SUPP-WIDGET-001")]
    #[schema(nullable = false)]
    supplier_sku: Option<String>,
    #[schema(minimum = 1, maximum = 1_000_000_000, example = 100)]
    quantity: i64,
    /// Unit cost: 0 or more, at most six decimal places.
    #[schema(value_type = Option<f64>, minimum = 0, example = 9.99)]
    #[schema(nullable = false)]
    cost: Option<Decimal>,
}

/// The body of create and of `PUT` (a full replacement: an omitted optional field is cleared).
#[derive(Debug, ToSchema)]
#[expect(
    dead_code,
    reason = "describes the body and declares its fields (`http::declared`); bodies are read field by field"
)]
pub struct PurchaseOrderRequest {
    #[schema(example = "se-567")]
    supplier_id: String,
    #[schema(format = DateTime, example = "2025-01-15T00:00:00Z")]
    #[schema(nullable = false)]
    order_date: Option<String>,
    #[schema(format = DateTime, example = "2025-02-01T00:00:00Z")]
    #[schema(nullable = false)]
    expected_delivery_date: Option<String>,
    #[schema(schema_with = payment_terms_schema)]
    #[schema(nullable = false)]
    payment_terms: Option<String>,
    #[schema(schema_with = payment_status_schema)]
    #[schema(nullable = false)]
    payment_status: Option<String>,
    /// ISO 4217; `USD` when omitted.
    #[schema(example = "USD", default = "USD")]
    #[schema(nullable = false)]
    currency_code: Option<String>,
    #[schema(example = "UPS")]
    #[schema(nullable = false)]
    shipping_carrier: Option<String>,
    #[schema(example = "1Z12345E1234567890")]
    #[schema(nullable = false)]
    tracking_number: Option<String>,
    #[schema(example = "REF-12345")]
    #[schema(nullable = false)]
    reference_number: Option<String>,
    #[schema(example = "se-123456")]
    warehouse_id: String,
    #[schema(example = "Please expedite delivery")]
    #[schema(nullable = false)]
    note_to_supplier: Option<String>,
    /// 1 to 1000 products.
    #[schema(min_items = 1, max_items = 1000)]
    products: Vec<ProductRequest>,
}

/// `shipping_details`: every field optional; an omitted field is unchanged, `null` clears it.
#[derive(Debug, ToSchema)]
#[expect(
    dead_code,
    reason = "describes the body and declares its fields (`http::declared`); bodies are read field by field"
)]
pub struct ShippingDetailsRequest {
    #[schema(format = DateTime)]
    order_date: Option<String>,
    #[schema(format = DateTime)]
    expected_delivery_date: Option<String>,
    #[schema(schema_with = payment_terms_schema)]
    payment_terms: Option<String>,
    #[schema(schema_with = payment_status_schema)]
    payment_status: Option<String>,
    currency_code: Option<String>,
    shipping_carrier: Option<String>,
    tracking_number: Option<String>,
    reference_number: Option<String>,
    note_to_supplier: Option<String>,
}

#[derive(Debug, ToSchema)]
#[expect(
    dead_code,
    reason = "describes the body and declares its fields (`http::declared`); bodies are read field by field"
)]
pub struct StatusRequest {
    #[schema(schema_with = target_status_schema)]
    status: String,
}
