//! Amounts as a supplier reads them: the currency's minor units, grouped thousands.

use rust_decimal::Decimal;

use super::super::{money, unit_cost};
use crate::domain::money::CurrencyCode;

fn code(raw: &str) -> CurrencyCode {
    CurrencyCode::parse(raw).unwrap()
}

fn decimal(raw: &str) -> Decimal {
    raw.parse().unwrap()
}

#[test]
fn totals_are_rounded_to_the_currencys_minor_units_and_grouped_by_thousands() {
    let cases = [
        ("152416048.119187", "EUR", "152,416,048.12"),
        ("1234.5", "JPY", "1,235"),
        ("1234.5", "BHD", "1,234.500"),
        ("0.125", "USD", "0.13"),
        ("999", "EUR", "999.00"),
        ("1000", "EUR", "1,000.00"),
        ("-1234567.891", "EUR", "-1,234,567.89"),
        ("999999999999999000", "EUR", "999,999,999,999,999,000.00"),
    ];
    for (raw, currency, shown) in cases {
        assert_eq!(
            money(decimal(raw), code(currency)),
            shown,
            "{raw} {currency}"
        );
    }
}

#[test]
fn unit_costs_keep_the_digits_they_were_agreed_with_beyond_the_minor_units() {
    let cases = [
        ("9.99", "EUR", "9.99"),
        ("0.125", "EUR", "0.125"),
        ("10", "EUR", "10.00"),
        ("1500", "JPY", "1,500"),
        ("2.5", "BHD", "2.500"),
        ("999999999.999999", "USD", "999,999,999.999999"),
    ];
    for (raw, currency, shown) in cases {
        assert_eq!(
            unit_cost(decimal(raw), code(currency)),
            shown,
            "{raw} {currency}"
        );
    }
}
