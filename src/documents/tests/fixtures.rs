//! Hand-built domain values for the document tests: one order of four lines, its supplier,
//! warehouse and two receipts.

use crate::domain::version::Version;
use chrono::{DateTime, TimeZone, Utc};

use super::super::OrderDocument;
use crate::domain::address::{AccountProfile, Address};
use crate::domain::ids::{LocationId, PurchaseOrderId, ReceiptId, SupplierId, WarehouseId};
use crate::domain::logo::{ImageType, Logo};
use crate::domain::money::{CurrencyCode, Money};
use crate::domain::purchase_order::{
    Details, Line, PaymentStatus, PaymentTerms, PurchaseOrder, Sku,
};
use crate::domain::receipt::{Receipt, ReceiptLine};
use crate::domain::status::Status;
use crate::domain::supplier::{Supplier, SupplierInput};
use crate::domain::warehouse::Warehouse;

fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, h, min, 0).unwrap()
}

pub(super) fn line(
    sku: &str,
    supplier_sku: Option<&str>,
    quantity: i64,
    cost: Option<&str>,
) -> Line {
    Line {
        sku: Sku::parse(sku).unwrap(),
        supplier_sku: supplier_sku.map(str::to_owned),
        quantity,
        cost: cost.map(|c| Money::parse_cost(c).unwrap()),
        received_quantity: 0,
        rejected_quantity: 0,
    }
}

pub(super) fn order(products: Vec<Line>) -> PurchaseOrder {
    PurchaseOrder {
        id: PurchaseOrderId(41),
        order_number: "02162026-07".into(),
        supplier_id: SupplierId(5),
        supplier_name: "Acme Industrial Supply".into(),
        warehouse_id: WarehouseId(3),
        status: Status::Receiving,
        details: Details {
            order_date: Some(at(2026, 2, 16, 0, 0)),
            expected_delivery_date: Some(at(2026, 3, 2, 0, 0)),
            payment_terms: PaymentTerms::Net30,
            payment_status: PaymentStatus::PartiallyPaid,
            currency_code: CurrencyCode::parse("EUR").unwrap(),
            shipping_carrier: Some("DHL Freight".into()),
            tracking_number: Some("JD014600003828".into()),
            reference_number: Some("REF-8841".into()),
            note_to_supplier: Some("Please deliver to dock 4 between 8:00 and 14:00. ".repeat(6)),
        },
        create_date: at(2026, 2, 16, 9, 41),
        modify_date: at(2026, 2, 17, 10, 5),
        products,
        version: Version::FIRST,
        supplier_version: Version::FIRST,
    }
}

fn supplier(name: &str) -> Supplier {
    Supplier {
        id: SupplierId(5),
        fields: SupplierInput {
            supplier_name: name.into(),
            supplier_email: Some("orders@acme.example".into()),
            address_line_1: Some("12 Foundry Road".into()),
            address_line_2: Some("Unit 3".into()),
            city: Some("Rotterdam".into()),
            state: Some("ZH".into()),
            postal_code: Some("3011 AA".into()),
            country_code: Some("NL".into()),
            contact_name: Some("Jane Roe".into()),
            contact_phone: Some("+31 10 555 0100".into()),
        },
        version: Version::FIRST,
    }
}

fn warehouse() -> Warehouse {
    Warehouse {
        id: WarehouseId(3),
        name: "Main Warehouse".into(),
        address: None,
        created_at: at(2026, 1, 1, 0, 0),
        updated_at: at(2026, 1, 1, 0, 0),
        version: Version::FIRST,
    }
}

fn receipt_line(
    sku: &str,
    location: &str,
    received: i64,
    rejected: i64,
    lot: Option<&str>,
) -> ReceiptLine {
    ReceiptLine {
        sku: Sku::parse(sku).unwrap(),
        location_id: LocationId(8),
        location_name: location.into(),
        received_quantity: received,
        rejected_quantity: rejected,
        lot: lot.map(str::to_owned),
        expiration_date: lot.map(|_| at(2027, 1, 31, 0, 0)),
    }
}

fn receipts() -> Vec<Receipt> {
    vec![
        Receipt {
            id: ReceiptId(1),
            purchase_order_id: PurchaseOrderId(41),
            request_id: "req-5f1c2a".into(),
            received_at: at(2026, 2, 20, 14, 30),
            reversed_at: None,
            recorded_by: Some("clerk@example.com".into()),
            lines: vec![
                receipt_line("WIDGET-RED", "Aisle 4 Shelf B", 10, 2, Some("LOT-2026-A")),
                receipt_line("BOLT-M8", "Bulk Bay 1", 600, 0, None),
            ],
        },
        Receipt {
            id: ReceiptId(2),
            purchase_order_id: PurchaseOrderId(41),
            request_id: "req-77e0b9".into(),
            received_at: at(2026, 2, 22, 8, 5),
            reversed_at: None,
            recorded_by: Some("clerk@example.com".into()),
            lines: vec![receipt_line(
                "BOLT-M8",
                "Overflow Cage",
                393,
                7,
                Some("LOT-2026-B"),
            )],
        },
    ]
}

/// Four lines: a cost with two decimals, one with three, a whole one, and a tenth of a cent.
pub(super) fn sample_order() -> PurchaseOrder {
    let mut products = vec![
        line("WIDGET-RED", Some("ACME-100"), 12, Some("9.99")),
        line("BOLT-M8", None, 1000, Some("0.125")),
        line("GASKET-XL", Some("G-7"), 3, Some("10")),
        line("SHIM-001", Some("S-1"), 7, Some("0.001")),
    ];
    products[0].received_quantity = 10;
    products[0].rejected_quantity = 2;
    products[1].received_quantity = 993;
    products[1].rejected_quantity = 7;
    order(products)
}

pub(super) fn buyer() -> AccountProfile {
    AccountProfile {
        company_name: Some("Northwind Trading B.V.".into()),
        email: Some("purchasing@northwind.example".into()),
        phone: Some("+31 20 555 0199".into()),
        tax_id: Some("NL123456789B01".into()),
        address: Address {
            address_line_1: Some("Keizersgracht 100".into()),
            address_line_2: None,
            city: Some("Amsterdam".into()),
            state: None,
            postal_code: Some("1015 AA".into()),
            country_code: Some("NL".into()),
        },
    }
}

/// The logo of the API tests too: 600 × 160 pixels, with transparency.
pub(super) fn logo() -> Logo {
    let png = include_bytes!("../../../tests/fixtures/logo.png");
    super::super::check_logo(ImageType::Png, png.to_vec()).unwrap()
}

pub(super) fn ship_to() -> Address {
    Address {
        address_line_1: Some("Havenstraat 7".into()),
        address_line_2: Some("Dock 4".into()),
        city: Some("Utrecht".into()),
        state: None,
        postal_code: Some("3511 AB".into()),
        country_code: Some("NL".into()),
    }
}

pub(super) struct Fixture {
    pub buyer: AccountProfile,
    pub logo: Option<Logo>,
    pub ship_to: Option<Address>,
    pub order: PurchaseOrder,
    pub supplier: Supplier,
    pub warehouse: Warehouse,
    pub receipts: Vec<Receipt>,
}

impl Fixture {
    pub fn new(order: PurchaseOrder, supplier_name: &str) -> Self {
        Self {
            buyer: buyer(),
            logo: Some(logo()),
            ship_to: Some(ship_to()),
            order,
            supplier: supplier(supplier_name),
            warehouse: warehouse(),
            receipts: receipts(),
        }
    }

    pub fn sample() -> Self {
        Self::new(sample_order(), "Acme Industrial Supply")
    }

    pub fn doc(&self) -> OrderDocument<'_> {
        OrderDocument {
            buyer: &self.buyer,
            logo: self.logo.as_ref(),
            order: &self.order,
            supplier: &self.supplier,
            warehouse: &self.warehouse,
            ship_to: self.ship_to.as_ref(),
            receipts: &self.receipts,
            earlier_receipts: 0,
            earlier_lines: 0,
        }
    }
}

/// An order of `products` lines with `receipts` receipts of `lines_each` lines each.
pub(super) fn large(products: usize, receipts: usize, lines_each: usize) -> Fixture {
    let lines = (0..products)
        .map(|n| {
            line(
                &format!("PART-{n:05}"),
                Some("SUP"),
                1_000_000,
                Some("1.25"),
            )
        })
        .collect();
    let mut fixture = Fixture::new(order(lines), "Acme Industrial Supply");
    fixture.receipts = (0..receipts)
        .map(|r| Receipt {
            id: ReceiptId(r as i64 + 1),
            purchase_order_id: PurchaseOrderId(41),
            request_id: format!("req-{r:08}"),
            received_at: at(2026, 2, 20, 14, 30),
            reversed_at: None,
            recorded_by: Some("clerk@example.com".into()),
            lines: (0..lines_each)
                .map(|l| {
                    let sku = format!("PART-{:05}", (r * lines_each + l) % products);
                    receipt_line(&sku, "Aisle 4 Shelf B", 3, 1, Some("LOT-2026-A"))
                })
                .collect(),
        })
        .collect();
    fixture
}
