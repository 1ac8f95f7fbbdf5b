//! Purchase orders: what a client may write (`PurchaseOrderInput`, `ShippingDetailsPatch`) and
//! what is stored (`PurchaseOrder`).

use chrono::{DateTime, NaiveDate, Utc};
use rust_decimal::Decimal;

use super::Invalid;
use super::ids::{PurchaseOrderId, SupplierId, WarehouseId};
use super::money::{CurrencyCode, Money};
use super::refusal::Refusal;
use super::status::Status;
use super::text;
use super::version::{Tag, Version};

/// Most products one purchase order may carry.
pub const MAX_LINES: usize = 1000;
/// Largest quantity of one line; keeps every total and cost sum inside `i64`.
pub const MAX_QUANTITY: i64 = 1_000_000_000;

macro_rules! wire_enum {
    ($(#[$doc:meta])* $name:ident { $($variant:ident = $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
        pub enum $name {
            #[default]
            $($variant),+
        }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }

            pub fn parse(raw: &str) -> Result<Self, Invalid> {
                Self::ALL.iter().copied().find(|v| v.as_str() == raw).ok_or_else(|| {
                    let names: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    Invalid::value(format!("must be one of: {}", names.join(", ")))
                })
            }
        }
    };
}

wire_enum!(
    /// `payment_terms`; `none` when not given.
    PaymentTerms {
        None = "none",
        CashOnDelivery = "cash_on_delivery",
        PaymentOnReceipt = "payment_on_receipt",
        PaymentInAdvance = "payment_in_advance",
        Net7 = "net_7",
        Net15 = "net_15",
        Net30 = "net_30",
        Net45 = "net_45",
        Net60 = "net_60",
    }
);

wire_enum!(
    /// `payment_status`; `none` when not given.
    PaymentStatus {
        None = "none",
        Unpaid = "unpaid",
        PartiallyPaid = "partially_paid",
        Paid = "paid",
        Refunded = "refunded",
        CreditIssued = "credit_issued",
        Other = "other",
    }
);

/// A stock-keeping unit: 1 to 100 characters, no surrounding spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Sku(String);

impl Sku {
    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        text::bounded(raw, 1, 100).map(Self)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A quantity of units: a whole number from 1 to [`MAX_QUANTITY`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Quantity(i64);

impl Quantity {
    pub fn parse(value: i64) -> Result<Self, Invalid> {
        if !(1..=MAX_QUANTITY).contains(&value) {
            return Err(Invalid::value(format!(
                "must be a whole number from 1 to {MAX_QUANTITY}"
            )));
        }
        Ok(Self(value))
    }

    pub fn get(self) -> i64 {
        self.0
    }
}

/// One product line as a client writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct LineInput {
    pub sku: Sku,
    pub supplier_sku: Option<String>,
    pub quantity: Quantity,
    pub cost: Option<Money>,
}

/// The body of a create or a full replacement (`PUT`): every field, with defaults applied.
#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseOrderInput {
    pub supplier_id: SupplierId,
    pub warehouse_id: WarehouseId,
    pub details: Details,
    pub products: Vec<LineInput>,
}

/// The fields both a full write and `shipping_details` may set.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Details {
    pub order_date: Option<DateTime<Utc>>,
    pub expected_delivery_date: Option<DateTime<Utc>>,
    pub payment_terms: PaymentTerms,
    pub payment_status: PaymentStatus,
    pub currency_code: CurrencyCode,
    pub shipping_carrier: Option<String>,
    pub tracking_number: Option<String>,
    pub reference_number: Option<String>,
    pub note_to_supplier: Option<String>,
}

/// One field of a patch: left alone, or set (where `None` clears it back to its default).
#[derive(Debug, Clone, PartialEq, Default)]
pub enum Patch<T> {
    #[default]
    Keep,
    Set(Option<T>),
}

impl<T> Patch<T> {
    fn apply(self, target: &mut Option<T>) {
        if let Patch::Set(value) = self {
            *target = value;
        }
    }

    fn apply_or_default(self, target: &mut T)
    where
        T: Default,
    {
        if let Patch::Set(value) = self {
            *target = value.unwrap_or_default();
        }
    }
}

/// `POST .../shipping_details`: an omitted field is unchanged, an explicit `null` clears it.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct ShippingDetailsPatch {
    pub order_date: Patch<DateTime<Utc>>,
    pub expected_delivery_date: Patch<DateTime<Utc>>,
    pub payment_terms: Patch<PaymentTerms>,
    pub payment_status: Patch<PaymentStatus>,
    pub currency_code: Patch<CurrencyCode>,
    pub shipping_carrier: Patch<String>,
    pub tracking_number: Patch<String>,
    pub reference_number: Patch<String>,
    pub note_to_supplier: Patch<String>,
}

impl ShippingDetailsPatch {
    pub fn apply_to(self, details: &mut Details) {
        self.order_date.apply(&mut details.order_date);
        self.expected_delivery_date
            .apply(&mut details.expected_delivery_date);
        self.payment_terms
            .apply_or_default(&mut details.payment_terms);
        self.payment_status
            .apply_or_default(&mut details.payment_status);
        self.currency_code
            .apply_or_default(&mut details.currency_code);
        self.shipping_carrier.apply(&mut details.shipping_carrier);
        self.tracking_number.apply(&mut details.tracking_number);
        self.reference_number.apply(&mut details.reference_number);
        self.note_to_supplier.apply(&mut details.note_to_supplier);
    }
}

/// A stored product line with its receiving progress.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub sku: Sku,
    pub supplier_sku: Option<String>,
    pub quantity: i64,
    pub cost: Option<Money>,
    pub received_quantity: i64,
    pub rejected_quantity: i64,
}

impl Line {
    /// Units still expected: ordered less everything received or rejected so far.
    pub fn outstanding(&self) -> i64 {
        self.quantity - self.received_quantity - self.rejected_quantity
    }

    pub fn total(&self) -> Option<Decimal> {
        self.cost.map(|cost| cost.times(self.quantity))
    }
}

/// A stored purchase order.
#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseOrder {
    pub id: PurchaseOrderId,
    pub order_number: String,
    pub supplier_id: SupplierId,
    pub supplier_name: String,
    pub warehouse_id: WarehouseId,
    pub status: Status,
    pub details: Details,
    pub create_date: DateTime<Utc>,
    pub modify_date: DateTime<Utc>,
    pub products: Vec<Line>,
    pub version: Version,
    /// The version of the supplier, whose name the order carries.
    pub supplier_version: Version,
}

impl PurchaseOrder {
    /// A draft as its create writes it: what `input` gives, with the id, number and supplier
    /// (name and version) the store found, and nothing received yet.
    pub fn new_draft(
        id: PurchaseOrderId,
        order_number: String,
        (supplier_name, supplier_version): (String, Version),
        input: &PurchaseOrderInput,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            order_number,
            supplier_id: input.supplier_id,
            supplier_name,
            warehouse_id: input.warehouse_id,
            status: Status::Draft,
            details: input.details.clone(),
            create_date: now,
            modify_date: now,
            products: input
                .products
                .iter()
                .map(|product| Line {
                    sku: product.sku.clone(),
                    supplier_sku: product.supplier_sku.clone(),
                    quantity: product.quantity.get(),
                    cost: product.cost,
                    received_quantity: 0,
                    rejected_quantity: 0,
                })
                .collect(),
            version: Version::FIRST,
            supplier_version,
        }
    }

    /// The entity tag of the order's representation.
    pub fn tag(&self) -> Tag {
        Tag::of_order(self.version, self.supplier_version)
    }

    /// The sum of every line that has a cost, exact.
    pub fn total(&self) -> Decimal {
        self.products.iter().filter_map(Line::total).sum()
    }
}

/// A purchase order as listed: everything but its lines.
#[derive(Debug, Clone, PartialEq)]
pub struct PurchaseOrderSummary {
    pub id: PurchaseOrderId,
    pub order_number: String,
    pub supplier_id: SupplierId,
    pub supplier_name: String,
    pub warehouse_id: WarehouseId,
    pub status: Status,
    pub order_date: Option<DateTime<Utc>>,
    pub expected_delivery_date: Option<DateTime<Utc>>,
    pub reference_number: Option<String>,
    pub create_date: DateTime<Utc>,
    pub modify_date: DateTime<Utc>,
}

/// Filters of `GET /v2/purchase_orders`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PurchaseOrderFilter {
    pub order_number: Option<String>,
    pub status: Option<Status>,
    pub warehouse_id: Option<WarehouseId>,
    pub supplier_id: Option<SupplierId>,
    pub reference_number: Option<String>,
    pub create_date_start: Option<DateTime<Utc>>,
    pub create_date_end: Option<DateTime<Utc>>,
    pub modify_date_start: Option<DateTime<Utc>>,
    /// Orders with a line of this SKU (the web app's search; the API has no such filter).
    pub sku: Option<String>,
}

/// `MMDDYYYY-NN`: the UTC creation date and the account's sequence for that day, at least two
/// digits (more when a day passes 99 orders).
pub fn format_order_number(day: NaiveDate, sequence: i64) -> String {
    format!("{}-{sequence:02}", day.format("%m%d%Y"))
}

/// Checks the lines of a full write: at least one, at most [`MAX_LINES`], no SKU twice.
/// Returns the index and message of each problem.
pub fn check_lines(products: &[LineInput]) -> Vec<(Option<usize>, Invalid)> {
    let mut problems = Vec::new();
    if products.is_empty() {
        problems.push((None, Invalid::value("must contain at least one product")));
    }
    if products.len() > MAX_LINES {
        problems.push((
            None,
            Invalid::value(format!("must contain at most {MAX_LINES} products")),
        ));
    }
    let mut seen = std::collections::HashMap::new();
    for (index, line) in products.iter().enumerate() {
        if let Some(first) = seen.insert(line.sku.as_str(), index) {
            problems.push((
                Some(index),
                Invalid::value(format!(
                    "SKU '{}' already appears in products[{first}]",
                    line.sku.as_str()
                )),
            ));
        }
    }
    problems
}

/// The verdict on an order's references, given what the store found: the supplier (`None` when
/// it is not in the account) and whether the warehouse is. The supplier, or every missing
/// reference at once.
pub fn check_references<S>(
    input: &PurchaseOrderInput,
    supplier: Option<S>,
    warehouse_exists: bool,
) -> Result<S, Vec<Refusal>> {
    let mut refusals = Vec::new();
    if supplier.is_none() {
        refusals.push(Refusal::UnknownSupplier(input.supplier_id));
    }
    if !warehouse_exists {
        refusals.push(Refusal::UnknownWarehouse(input.warehouse_id));
    }
    match supplier {
        Some(name) if refusals.is_empty() => Ok(name),
        _ => Err(refusals),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn line(sku: &str) -> LineInput {
        LineInput {
            sku: Sku::parse(sku).unwrap(),
            supplier_sku: None,
            quantity: Quantity::parse(1).unwrap(),
            cost: None,
        }
    }

    #[test]
    fn order_numbers_are_date_and_two_digit_sequence() {
        let day = NaiveDate::from_ymd_opt(2026, 2, 16).unwrap();
        assert_eq!(format_order_number(day, 2), "02162026-02");
        assert_eq!(format_order_number(day, 100), "02162026-100");
    }

    #[test]
    fn quantity_must_be_positive_and_bounded() {
        assert!(Quantity::parse(0).is_err());
        assert!(Quantity::parse(-3).is_err());
        assert!(Quantity::parse(MAX_QUANTITY + 1).is_err());
        assert_eq!(Quantity::parse(100).unwrap().get(), 100);
    }

    #[test]
    fn enums_list_their_values_when_refusing() {
        assert_eq!(PaymentTerms::parse("net_30"), Ok(PaymentTerms::Net30));
        let err = PaymentStatus::parse("late").unwrap_err();
        assert_eq!(
            err.to_string(),
            "must be one of: none, unpaid, partially_paid, paid, refunded, credit_issued, other"
        );
    }

    #[test]
    fn duplicate_skus_point_at_the_repeat_and_the_first() {
        let problems = check_lines(&[line("A"), line("B"), line("A")]);
        assert_eq!(problems.len(), 1);
        assert_eq!(problems[0].0, Some(2));
        assert_eq!(
            problems[0].1.to_string(),
            "SKU 'A' already appears in products[0]"
        );
    }

    #[test]
    fn empty_products_are_refused() {
        assert_eq!(check_lines(&[]).len(), 1);
    }

    #[test]
    fn a_patch_keeps_omitted_fields_and_clears_nulls_to_defaults() {
        let mut details = Details {
            payment_terms: PaymentTerms::Net30,
            tracking_number: Some("1Z".into()),
            shipping_carrier: Some("UPS".into()),
            ..Details::default()
        };
        let patch = ShippingDetailsPatch {
            payment_terms: Patch::Set(None),
            tracking_number: Patch::Set(Some("2Z".into())),
            ..ShippingDetailsPatch::default()
        };
        patch.apply_to(&mut details);
        assert_eq!(details.payment_terms, PaymentTerms::None);
        assert_eq!(details.tracking_number.as_deref(), Some("2Z"));
        assert_eq!(details.shipping_carrier.as_deref(), Some("UPS"));
    }

    #[test]
    fn totals_are_exact() {
        let mut po_line = Line {
            sku: Sku::parse("A").unwrap(),
            supplier_sku: None,
            quantity: 3,
            cost: Some(Money::parse_cost("0.1").unwrap()),
            received_quantity: 1,
            rejected_quantity: 1,
        };
        assert_eq!(po_line.total().unwrap().to_string(), "0.3");
        assert_eq!(po_line.outstanding(), 1);
        po_line.cost = None;
        assert_eq!(po_line.total(), None);
    }
}
