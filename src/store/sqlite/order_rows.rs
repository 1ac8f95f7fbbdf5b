//! Reading purchase orders from their rows: the header row and its lines into a
//! `PurchaseOrder`, each column parsed where it lies.

use rusqlite::Row;

use super::{opt_time, parse_text, time};
use crate::domain::ids::{PurchaseOrderId, SupplierId, WarehouseId};
use crate::domain::money::{CurrencyCode, Money};
use crate::domain::purchase_order::{
    Details, Line, PaymentStatus, PaymentTerms, PurchaseOrder, Sku,
};
use crate::domain::status::Status;
use crate::store::StoreResult;

pub(super) struct RawOrder {
    id: i64,
    order_number: String,
    supplier_id: i64,
    supplier_name: String,
    warehouse_id: i64,
    status: Status,
    order_date: Option<i64>,
    expected_delivery_date: Option<i64>,
    payment_terms: PaymentTerms,
    payment_status: PaymentStatus,
    currency_code: CurrencyCode,
    shipping_carrier: Option<String>,
    tracking_number: Option<String>,
    reference_number: Option<String>,
    note_to_supplier: Option<String>,
    created_at: i64,
    updated_at: i64,
}

impl RawOrder {
    pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: r.get(0)?,
            order_number: r.get(1)?,
            supplier_id: r.get(2)?,
            supplier_name: r.get(3)?,
            warehouse_id: r.get(4)?,
            status: parse_text(r, 5, "status", str::parse)?,
            order_date: r.get(6)?,
            expected_delivery_date: r.get(7)?,
            payment_terms: parse_text(r, 8, "payment_terms", PaymentTerms::parse)?,
            payment_status: parse_text(r, 9, "payment_status", PaymentStatus::parse)?,
            currency_code: parse_text(r, 10, "currency_code", CurrencyCode::parse)?,
            shipping_carrier: r.get(11)?,
            tracking_number: r.get(12)?,
            reference_number: r.get(13)?,
            note_to_supplier: r.get(14)?,
            created_at: r.get(15)?,
            updated_at: r.get(16)?,
        })
    }

    pub(super) fn into_order(self, lines: Vec<RawLine>) -> StoreResult<PurchaseOrder> {
        Ok(PurchaseOrder {
            id: PurchaseOrderId(self.id),
            order_number: self.order_number,
            supplier_id: SupplierId(self.supplier_id),
            supplier_name: self.supplier_name,
            warehouse_id: WarehouseId(self.warehouse_id),
            status: self.status,
            details: Details {
                order_date: opt_time(self.order_date)?,
                expected_delivery_date: opt_time(self.expected_delivery_date)?,
                payment_terms: self.payment_terms,
                payment_status: self.payment_status,
                currency_code: self.currency_code,
                shipping_carrier: self.shipping_carrier,
                tracking_number: self.tracking_number,
                reference_number: self.reference_number,
                note_to_supplier: self.note_to_supplier,
            },
            create_date: time(self.created_at)?,
            modify_date: time(self.updated_at)?,
            products: lines
                .into_iter()
                .map(RawLine::into_line)
                .collect::<StoreResult<_>>()?,
        })
    }
}

pub(super) struct RawLine {
    sku: Sku,
    supplier_sku: Option<String>,
    quantity: i64,
    cost_micros: Option<i64>,
    received_quantity: i64,
    rejected_quantity: i64,
}

impl RawLine {
    pub(super) fn from_row(r: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            sku: parse_text(r, 0, "sku", Sku::parse)?,
            supplier_sku: r.get(1)?,
            quantity: r.get(2)?,
            cost_micros: r.get(3)?,
            received_quantity: r.get(4)?,
            rejected_quantity: r.get(5)?,
        })
    }

    pub(super) fn into_line(self) -> StoreResult<Line> {
        Ok(Line {
            sku: self.sku,
            supplier_sku: self.supplier_sku,
            quantity: self.quantity,
            cost: self.cost_micros.map(Money::from_micros),
            received_quantity: self.received_quantity,
            rejected_quantity: self.rejected_quantity,
        })
    }
}
