//! Reading purchase-order bodies into domain values, every problem reported at once.

use serde_json::Value;

use super::super::declared::declared;
use super::super::error::ApiResult;
use super::super::fields::{Fields, Obj, date_time, given, integer, number, string};
use super::wire::{
    ProductBody, ProductRequest, PurchaseOrderBody, PurchaseOrderRequest, ShippingDetailsRequest,
    StatusBody, StatusRequest,
};
use crate::domain::ids::{SupplierId, WarehouseId};
use crate::domain::money::{CurrencyCode, Money};
use crate::domain::purchase_order::{
    Details, LineInput, PaymentStatus, PaymentTerms, PurchaseOrderInput, Quantity,
    ShippingDetailsPatch, Sku, check_lines,
};
use crate::domain::status::Status;
use crate::domain::{Invalid, text};

declared!(
    PURCHASE_ORDER = PurchaseOrderRequest,
    PurchaseOrderBody,
    PurchaseOrderRequest
);
declared!(PRODUCT = ProductRequest, ProductBody, ProductRequest);
declared!(
    SHIPPING_DETAILS = ShippingDetailsRequest,
    PurchaseOrderBody,
    PurchaseOrderRequest
);
declared!(STATUS = StatusRequest, StatusBody, StatusRequest);

fn short(max: usize) -> impl Fn(&Value) -> Result<Option<String>, Invalid> {
    move |v| text::optional(string(v)?, max)
}

fn note(v: &Value) -> Result<Option<String>, Invalid> {
    text::optional_multiline(string(v)?, 2000)
}

fn terms(v: &Value) -> Result<PaymentTerms, Invalid> {
    PaymentTerms::parse(string(v)?)
}

fn payment_status(v: &Value) -> Result<PaymentStatus, Invalid> {
    PaymentStatus::parse(string(v)?)
}

fn currency(v: &Value) -> Result<CurrencyCode, Invalid> {
    CurrencyCode::parse(string(v)?)
}

/// The body of create and `PUT`.
pub fn purchase_order(body: &Value) -> ApiResult<PurchaseOrderInput> {
    let mut f = Fields::default();
    let input = f.root(body).and_then(|o| {
        let supplier_id = f.required(&o, "supplier_id", |v| SupplierId::parse_field(string(v)?));
        let warehouse_id = f.required(&o, "warehouse_id", |v| WarehouseId::parse_field(string(v)?));
        let details = Details {
            order_date: given(&mut f, &o, "order_date", date_time),
            expected_delivery_date: given(&mut f, &o, "expected_delivery_date", date_time),
            payment_terms: given(&mut f, &o, "payment_terms", terms).unwrap_or_default(),
            payment_status: given(&mut f, &o, "payment_status", payment_status).unwrap_or_default(),
            currency_code: given(&mut f, &o, "currency_code", currency).unwrap_or_default(),
            shipping_carrier: given(&mut f, &o, "shipping_carrier", short(100)).flatten(),
            tracking_number: given(&mut f, &o, "tracking_number", short(100)).flatten(),
            reference_number: given(&mut f, &o, "reference_number", short(100)).flatten(),
            note_to_supplier: given(&mut f, &o, "note_to_supplier", note).flatten(),
        };
        let products = f.objects(&o, "products", line);
        if let Some(products) = &products {
            for (index, problem) in check_lines(products) {
                match index {
                    Some(i) => f.push(
                        &format!("products[{i}].sku"),
                        Some(products[i].sku.as_str().to_owned()),
                        &problem,
                    ),
                    None => f.push("products", None, &problem),
                }
            }
        }
        f.deny_undeclared(&o, &PURCHASE_ORDER);
        Some(PurchaseOrderInput {
            supplier_id: supplier_id?,
            warehouse_id: warehouse_id?,
            details,
            products: products?,
        })
    });
    f.finish()?;
    Ok(input.expect("a clean body yields an input"))
}

fn line(f: &mut Fields, o: Obj<'_>) -> Option<LineInput> {
    let sku = f.required(&o, "sku", |v| Sku::parse(string(v)?));
    let supplier_sku = given(f, &o, "supplier_sku", short(100)).flatten();
    let quantity = f.required(&o, "quantity", |v| Quantity::parse(integer(v)?));
    let cost = given(f, &o, "cost", |v| Money::parse_cost(&number(v)?));
    f.deny_undeclared(&o, &PRODUCT);
    Some(LineInput {
        sku: sku?,
        supplier_sku,
        quantity: quantity?,
        cost,
    })
}

/// The body of `shipping_details`: a patch of the nine detail fields.
pub fn shipping_details(body: &Value) -> ApiResult<ShippingDetailsPatch> {
    let mut f = Fields::default();
    let patch = f.root(body).map(|o| {
        let patch = ShippingDetailsPatch {
            order_date: f.patch(&o, "order_date", |v| date_time(v).map(Some)),
            expected_delivery_date: f
                .patch(&o, "expected_delivery_date", |v| date_time(v).map(Some)),
            payment_terms: f.patch(&o, "payment_terms", |v| terms(v).map(Some)),
            payment_status: f.patch(&o, "payment_status", |v| payment_status(v).map(Some)),
            currency_code: f.patch(&o, "currency_code", |v| currency(v).map(Some)),
            shipping_carrier: f.patch(&o, "shipping_carrier", short(100)),
            tracking_number: f.patch(&o, "tracking_number", short(100)),
            reference_number: f.patch(&o, "reference_number", short(100)),
            note_to_supplier: f.patch(&o, "note_to_supplier", note),
        };
        f.deny_undeclared(&o, &SHIPPING_DETAILS);
        patch
    });
    f.finish()?;
    Ok(patch.unwrap_or_default())
}

/// The body of `POST .../status`: any status but `draft`.
pub fn target_status(body: &Value) -> ApiResult<Status> {
    let mut f = Fields::default();
    let status = f.root(body).and_then(|o| {
        let status = f.required(&o, "status", |v| {
            string(v)?
                .parse::<Status>()
                .ok()
                .filter(|s| *s != Status::Draft)
                .ok_or_else(|| {
                    Invalid::value("must be one of: open, receiving, received, cancelled, closed")
                })
        });
        f.deny_undeclared(&o, &STATUS);
        status
    });
    f.finish()?;
    Ok(status.expect("a clean body yields a status"))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::http::declared::Declared;
    use crate::http::declared::tests::{every_field_wrong, named, sorted};

    #[test]
    fn every_field_the_document_declares_is_read() {
        let body = every_field_wrong(&PURCHASE_ORDER);
        let refused = purchase_order(&body).expect_err("every field is wrong");
        assert_eq!(named(refused, ""), sorted(&PURCHASE_ORDER));

        let line = every_field_wrong(&PRODUCT);
        let body = json!({"supplier_id": "se-1", "warehouse_id": "se-2", "products": [line]});
        let refused = purchase_order(&body).expect_err("every line field is wrong");
        assert_eq!(named(refused, "products[0]."), sorted(&PRODUCT));

        let body = every_field_wrong(&SHIPPING_DETAILS);
        let refused = shipping_details(&body).expect_err("every field is wrong");
        assert_eq!(named(refused, ""), sorted(&SHIPPING_DETAILS));

        let body = every_field_wrong(&STATUS);
        let refused = target_status(&body).expect_err("every field is wrong");
        assert_eq!(named(refused, ""), sorted(&STATUS));
    }

    #[test]
    fn read_only_fields_are_those_of_the_answer_a_request_does_not_take() {
        let read_only = |d: &Declared| {
            let mut fields = d.read_only.to_vec();
            fields.sort();
            fields
        };
        let order = [
            "create_date",
            "modify_date",
            "order_number",
            "purchase_order_id",
            "status",
            "supplier_name",
        ];
        assert_eq!(read_only(&PURCHASE_ORDER), order);
        assert_eq!(read_only(&SHIPPING_DETAILS), order);
        assert_eq!(
            read_only(&PRODUCT),
            ["received_quantity", "rejected_quantity"]
        );
        assert_eq!(read_only(&STATUS), ["purchase_order_id"]);
    }
}
