//! Reading stored objects from rows, once for both databases. Each backend says how it reads a
//! column of its own rows ([`Columns`]: SQLite keeps times as Unix microseconds, PostgreSQL as
//! `timestamptz`); which column holds what, and how the columns make a supplier, a warehouse, a
//! location, an order, its lines, a list item, a ledger row or a stock level, is written here. The SELECT lists come from the same declarations as the positions the
//! readers use, so a reader names its columns (`summary::status`) and still costs a plain index.

use chrono::{DateTime, Utc};

use super::{StoreError, StoreResult};
use crate::domain::address::Address;
use crate::domain::ids::{LocationId, PurchaseOrderId, ReceiptId, SupplierId, WarehouseId};
use crate::domain::logo::{ImageType, Logo};
use crate::domain::money::{CurrencyCode, Money};
use crate::domain::purchase_order::{
    Details, Line, PaymentStatus, PaymentTerms, PurchaseOrder, PurchaseOrderSummary, Sku,
};
use crate::domain::receipt::{GroupBy, InventoryLevel, Receipt, ReceiptLine};
use crate::domain::stock::{Stock, StockValue};
use crate::domain::supplier::{Supplier, SupplierInput};
use crate::domain::version::Version;
use crate::domain::warehouse::{Location, Warehouse};

/// One row of a result, read a column at a time by position.
pub(crate) trait Columns {
    fn int(&self, at: usize) -> StoreResult<i64>;
    fn opt_int(&self, at: usize) -> StoreResult<Option<i64>>;
    fn text(&self, at: usize) -> StoreResult<String>;
    fn opt_text(&self, at: usize) -> StoreResult<Option<String>>;
    /// A text column parsed into a domain value; a value that does not parse is an internal
    /// error naming `column` and the stored text.
    fn parsed<T, E>(
        &self,
        at: usize,
        column: &str,
        parse: impl FnOnce(&str) -> Result<T, E>,
    ) -> StoreResult<T>;
    fn time(&self, at: usize) -> StoreResult<DateTime<Utc>>;
    fn opt_time(&self, at: usize) -> StoreResult<Option<DateTime<Utc>>>;
}

/// A statement's text, formatted once from constant parts (a select list and the rest), so that a
/// hot path does not build it again on every call: `statement!("SELECT {} FROM ...", x::SQL)`.
/// Only constants can go in, since the text is kept for the life of the process.
macro_rules! statement {
    ($($format:tt)*) => {{
        static TEXT: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| format!($($format)*));
        TEXT.as_str()
    }};
}
pub(crate) use statement;

/// Declares a SELECT list: `SQL` is the expressions joined by commas, and each name is the
/// position of its column in the list.
macro_rules! select_list {
    ($(#[$doc:meta])* $name:ident => { $first:ident = $first_sql:literal $(, $col:ident = $sql:literal)* $(,)? }) => {
        $(#[$doc])*
        #[allow(non_upper_case_globals, non_camel_case_types)]
        pub(crate) mod $name {
            pub(crate) const SQL: &str = concat!($first_sql $(, ", ", $sql)*);
            #[repr(usize)]
            enum At { $first $(, $col)* , #[allow(dead_code, reason = "a list need not be followed")] End }
            pub(crate) const $first: usize = At::$first as usize;
            $(pub(crate) const $col: usize = At::$col as usize;)*
            /// How many columns the list has: where a list selected after it begins.
            #[allow(dead_code, reason = "a list need not be followed")]
            pub(crate) const END: usize = At::End as usize;
        }
    };
}

select_list!(
    /// A supplier, from `suppliers`.
    supplier => {
        id = "id",
        name = "name",
        email = "email",
        address_line_1 = "address_line_1",
        address_line_2 = "address_line_2",
        city = "city",
        state = "state",
        postal_code = "postal_code",
        country_code = "country_code",
        contact_name = "contact_name",
        contact_phone = "contact_phone",
        version = "version",
    }
);

select_list!(
    /// An inventory warehouse, from `inventory_warehouses`.
    warehouse => {
        id = "id",
        name = "name",
        address_line_1 = "address_line_1",
        address_line_2 = "address_line_2",
        city = "city",
        state = "state",
        postal_code = "postal_code",
        country_code = "country_code",
        created_at = "created_at",
        updated_at = "updated_at",
        version = "version",
    }
);

select_list!(
    /// An inventory location, from `inventory_locations`.
    location => {
        id = "id",
        warehouse_id = "warehouse_id",
        name = "name",
        barcode = "barcode",
        created_at = "created_at",
        updated_at = "updated_at",
        version = "version",
    }
);

pub(crate) fn read_supplier(r: &impl Columns) -> StoreResult<Supplier> {
    Ok(Supplier {
        id: SupplierId(r.int(supplier::id)?),
        fields: SupplierInput {
            supplier_name: r.text(supplier::name)?,
            supplier_email: r.opt_text(supplier::email)?,
            address_line_1: r.opt_text(supplier::address_line_1)?,
            address_line_2: r.opt_text(supplier::address_line_2)?,
            city: r.opt_text(supplier::city)?,
            state: r.opt_text(supplier::state)?,
            postal_code: r.opt_text(supplier::postal_code)?,
            country_code: r.opt_text(supplier::country_code)?,
            contact_name: r.opt_text(supplier::contact_name)?,
            contact_phone: r.opt_text(supplier::contact_phone)?,
        },
        version: Version(r.int(supplier::version)?),
    })
}

pub(crate) fn read_warehouse(r: &impl Columns) -> StoreResult<Warehouse> {
    Ok(Warehouse {
        id: WarehouseId(r.int(warehouse::id)?),
        name: r.text(warehouse::name)?,
        address: Some(Address {
            address_line_1: r.opt_text(warehouse::address_line_1)?,
            address_line_2: r.opt_text(warehouse::address_line_2)?,
            city: r.opt_text(warehouse::city)?,
            state: r.opt_text(warehouse::state)?,
            postal_code: r.opt_text(warehouse::postal_code)?,
            country_code: r.opt_text(warehouse::country_code)?,
        })
        .filter(|a| *a != Address::default()),
        created_at: r.time(warehouse::created_at)?,
        updated_at: r.time(warehouse::updated_at)?,
        version: Version(r.int(warehouse::version)?),
    })
}

pub(crate) fn read_location(r: &impl Columns) -> StoreResult<Location> {
    Ok(Location {
        id: LocationId(r.int(location::id)?),
        warehouse_id: WarehouseId(r.int(location::warehouse_id)?),
        name: r.text(location::name)?,
        barcode: r.opt_text(location::barcode)?,
        created_at: r.time(location::created_at)?,
        updated_at: r.time(location::updated_at)?,
        version: Version(r.int(location::version)?),
    })
}

select_list!(
    /// An order as a list shows it, from `purchase_orders po JOIN suppliers s`; the first
    /// columns of a whole order too.
    summary => {
        id = "po.id",
        order_number = "po.order_number",
        supplier_id = "po.supplier_id",
        supplier_name = "s.name",
        warehouse_id = "po.warehouse_id",
        status = "po.status",
        order_date = "po.order_date",
        expected_delivery_date = "po.expected_delivery_date",
        reference_number = "po.reference_number",
        created_at = "po.created_at",
        updated_at = "po.updated_at",
    }
);

select_list!(
    /// The rest of a whole order's header, selected after [`summary`]'s columns.
    details => {
        payment_terms = "po.payment_terms",
        payment_status = "po.payment_status",
        currency_code = "po.currency_code",
        shipping_carrier = "po.shipping_carrier",
        tracking_number = "po.tracking_number",
        note_to_supplier = "po.note_to_supplier",
        version = "po.version",
        supplier_version = "s.version",
    }
);

select_list!(
    /// A line, from `purchase_order_lines l`: alone in its statement, or after the header's
    /// columns (at [`LINE_AFTER_HEADER`]) in one that joins the two.
    line => {
        sku = "l.sku",
        supplier_sku = "l.supplier_sku",
        quantity = "l.quantity",
        cost_micros = "l.cost_micros",
        received_quantity = "l.received_quantity",
        rejected_quantity = "l.rejected_quantity",
    }
);

/// Where a line's columns begin in a statement that selects `{summary::SQL}, {details::SQL},
/// {line::SQL}`.
pub(crate) const LINE_AFTER_HEADER: usize = summary::END + details::END;

/// The list item in a row selecting [`summary::SQL`] first.
pub(crate) fn order_summary(r: &impl Columns) -> StoreResult<PurchaseOrderSummary> {
    Ok(PurchaseOrderSummary {
        id: PurchaseOrderId(r.int(summary::id)?),
        order_number: r.text(summary::order_number)?,
        supplier_id: SupplierId(r.int(summary::supplier_id)?),
        supplier_name: r.text(summary::supplier_name)?,
        warehouse_id: WarehouseId(r.int(summary::warehouse_id)?),
        status: r.parsed(summary::status, "status", str::parse)?,
        order_date: r.opt_time(summary::order_date)?,
        expected_delivery_date: r.opt_time(summary::expected_delivery_date)?,
        reference_number: r.opt_text(summary::reference_number)?,
        create_date: r.time(summary::created_at)?,
        modify_date: r.time(summary::updated_at)?,
    })
}

/// The order in a row selecting `{summary::SQL}, {details::SQL}` first, with no products yet.
pub(crate) fn order_header(r: &impl Columns) -> StoreResult<PurchaseOrder> {
    let at = |column: usize| summary::END + column;
    let listed = order_summary(r)?;
    Ok(PurchaseOrder {
        id: listed.id,
        order_number: listed.order_number,
        supplier_id: listed.supplier_id,
        supplier_name: listed.supplier_name,
        warehouse_id: listed.warehouse_id,
        status: listed.status,
        details: Details {
            order_date: listed.order_date,
            expected_delivery_date: listed.expected_delivery_date,
            payment_terms: r.parsed(
                at(details::payment_terms),
                "payment_terms",
                PaymentTerms::parse,
            )?,
            payment_status: r.parsed(
                at(details::payment_status),
                "payment_status",
                PaymentStatus::parse,
            )?,
            currency_code: r.parsed(
                at(details::currency_code),
                "currency_code",
                CurrencyCode::parse,
            )?,
            shipping_carrier: r.opt_text(at(details::shipping_carrier))?,
            tracking_number: r.opt_text(at(details::tracking_number))?,
            reference_number: listed.reference_number,
            note_to_supplier: r.opt_text(at(details::note_to_supplier))?,
        },
        create_date: listed.create_date,
        modify_date: listed.modify_date,
        products: Vec::new(),
        version: Version(r.int(at(details::version))?),
        supplier_version: Version(r.int(at(details::supplier_version))?),
    })
}

/// The line in a row selecting [`line::SQL`] from column `start` (0 alone, [`LINE_AFTER_HEADER`]
/// after the header).
pub(crate) fn order_line(r: &impl Columns, start: usize) -> StoreResult<Line> {
    let at = |column: usize| start + column;
    Ok(Line {
        sku: r.parsed(at(line::sku), "sku", Sku::parse)?,
        supplier_sku: r.opt_text(at(line::supplier_sku))?,
        quantity: r.int(at(line::quantity))?,
        cost: r.opt_int(at(line::cost_micros))?.map(Money::from_micros),
        received_quantity: r.int(at(line::received_quantity))?,
        rejected_quantity: r.int(at(line::rejected_quantity))?,
    })
}

select_list!(
    /// A ledger row, from `receipts r JOIN receipt_lines l JOIN inventory_locations loc`.
    ledger => {
        receipt_id = "r.id",
        request_id = "r.request_id",
        received_at = "r.received_at",
        reversed_at = "r.reversed_at",
        recorded_by = "r.recorded_by",
        sku = "l.sku",
        location_id = "l.location_id",
        location_name = "loc.name",
        received_quantity = "l.received_quantity",
        rejected_quantity = "l.rejected_quantity",
        lot = "l.lot",
        expiration_date = "l.expiration_date",
    }
);

/// The ledger row in a row selecting [`ledger::SQL`].
pub(crate) fn ledger_row(r: &impl Columns) -> StoreResult<LedgerRow> {
    let line = ReceiptLine {
        sku: r.parsed(ledger::sku, "sku", Sku::parse)?,
        location_id: LocationId(r.int(ledger::location_id)?),
        location_name: r.text(ledger::location_name)?,
        received_quantity: r.int(ledger::received_quantity)?,
        rejected_quantity: r.int(ledger::rejected_quantity)?,
        lot: r.opt_text(ledger::lot)?,
        expiration_date: r.opt_time(ledger::expiration_date)?,
    };
    Ok((
        ReceiptId(r.int(ledger::receipt_id)?),
        r.text(ledger::request_id)?,
        ReceiptHead {
            received_at: r.time(ledger::received_at)?,
            reversed_at: r.opt_time(ledger::reversed_at)?,
            recorded_by: r.opt_text(ledger::recorded_by)?,
        },
        line,
    ))
}

/// One row of the ledger: the receipt's id, request id and head, and a line.
pub(crate) type LedgerRow = (ReceiptId, String, ReceiptHead, ReceiptLine);

/// What a ledger row says of its receipt besides its id and request.
pub(crate) struct ReceiptHead {
    received_at: DateTime<Utc>,
    reversed_at: Option<DateTime<Utc>>,
    recorded_by: Option<String>,
}

/// Both stores read at most `max_lines + 1` rows newest first; this keeps the receipts that are
/// whole within `max_lines` (a receipt cut in two would read as complete), oldest first, and,
/// when anything was left out, the newest receipt id left out: it and every earlier one are.
pub(crate) fn whole_receipts(
    order: PurchaseOrderId,
    mut newest_first: Vec<LedgerRow>,
    max_lines: usize,
) -> (Vec<Receipt>, Option<i64>) {
    let mut cut = None;
    if newest_first.len() > max_lines {
        let newest_left_out = newest_first[max_lines].0.0;
        newest_first.retain(|row| row.0.0 > newest_left_out);
        cut = Some(newest_left_out);
    }
    (receipts_of(order, newest_first.into_iter().rev()), cut)
}

/// Ledger rows, oldest first and each receipt's lines together, as the receipts they make.
pub(crate) fn receipts_of(
    order: PurchaseOrderId,
    oldest_first: impl IntoIterator<Item = LedgerRow>,
) -> Vec<Receipt> {
    let mut receipts: Vec<Receipt> = Vec::new();
    for (receipt, request_id, head, line) in oldest_first {
        match receipts.last_mut() {
            Some(last) if last.id == receipt => last.lines.push(line),
            _ => receipts.push(Receipt {
                id: receipt,
                purchase_order_id: order,
                request_id,
                received_at: head.received_at,
                reversed_at: head.reversed_at,
                recorded_by: head.recorded_by,
                lines: vec![line],
            }),
        }
    }
    receipts
}

/// The positions of a stock group's row. Both databases' inventory statements select these
/// columns in this order, with their own expressions (SQLite sums the stock values in Rust from
/// `GROUP_CONCAT`, PostgreSQL in `NUMERIC`).
#[allow(non_upper_case_globals)]
pub(crate) mod stock_group {
    /// `MIN(id)`: the id of the group's first stock row, which pages the groups.
    pub(crate) const first_id: usize = 0;
    pub(crate) const sku: usize = 1;
    pub(crate) const warehouse_id: usize = 2;
    pub(crate) const location_id: usize = 3;
    pub(crate) const on_hand: usize = 4;
    pub(crate) const cost_units: usize = 5;
    /// The summed stock value, as text.
    pub(crate) const stock_value: usize = 6;
    /// `MIN(currency_code)` and `COUNT(DISTINCT currency_code)`.
    pub(crate) const currency_code: usize = 7;
    pub(crate) const currencies: usize = 8;
}

/// A stock group's row (at [`stock_group`]'s positions) as its level, with the id that pages it.
/// `stock_value` reads the summed value from the text each database writes.
pub(crate) fn stock_level(
    r: &impl Columns,
    group_by: GroupBy,
    stock_value: impl FnOnce(&str) -> Result<StockValue, ()>,
) -> StoreResult<(i64, InventoryLevel)> {
    let sku = r.parsed(stock_group::sku, "sku", Sku::parse)?;
    let stock = Stock {
        on_hand: r.int(stock_group::on_hand)?,
        cost_units: r.int(stock_group::cost_units)?,
        cost_total: r.parsed(stock_group::stock_value, "stock value", stock_value)?,
    };
    let currency = r.opt_text(stock_group::currency_code)?;
    // Units bought in several currencies have no one average.
    let average_cost = match (currency, r.int(stock_group::currencies)?) {
        (Some(code), 1) if code != "*" => {
            let code = CurrencyCode::parse(&code)
                .map_err(|_| StoreError::Internal(format!("bad currency '{code}'").into()))?;
            stock
                .average_cost()
                .map_err(|e| {
                    StoreError::Internal(format!("stock of '{}': {e}", sku.as_str()).into())
                })?
                .map(|cost| (cost, code))
        }
        _ => None,
    };
    let location = r.int(stock_group::location_id)?;
    let level = InventoryLevel {
        sku,
        warehouse_id: WarehouseId(r.int(stock_group::warehouse_id)?),
        location_id: (group_by == GroupBy::Location).then_some(LocationId(location)),
        on_hand: stock.on_hand,
        allocated: 0,
        average_cost,
    };
    Ok((r.int(stock_group::first_id)?, level))
}

/// A stored logo; its type was checked when it was uploaded.
pub(crate) fn logo(
    content_type: &str,
    image: Vec<u8>,
    width: u32,
    height: u32,
) -> StoreResult<Logo> {
    let image_type = ImageType::from_content_type(content_type).ok_or_else(|| {
        StoreError::Internal(format!("stored logo of type '{content_type}'").into())
    })?;
    Ok(Logo {
        image_type,
        image: std::sync::Arc::new(image),
        width,
        height,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_select_list_numbers_its_columns_from_where_it_starts() {
        assert!(summary::SQL.starts_with("po.id, po.order_number, po.supplier_id, s.name,"));
        assert!(summary::SQL.ends_with("po.created_at, po.updated_at"));
        assert_eq!(
            (summary::id, summary::updated_at, summary::END),
            (0, 10, 11)
        );
        assert_eq!(summary::SQL.split(", ").count(), summary::END);
        assert_eq!((details::payment_terms, details::END), (0, 8));
        assert_eq!((line::sku, line::rejected_quantity, line::END), (0, 5, 6));
        assert_eq!(LINE_AFTER_HEADER, 19);
    }
}
