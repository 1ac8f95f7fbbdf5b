//! Exact money. A unit cost is a decimal with at most six decimal places, kept in the databases
//! as an integer count of millionths (micros) so that sums are exact in SQL too.

use std::fmt;

use rust_decimal::Decimal;

use super::Invalid;
use super::number::Written;

const SCALE: u32 = 6;
const MICROS_PER_UNIT: i64 = 1_000_000;
/// The largest accepted unit cost. Keeps every line total (cost x quantity) inside `i64` micros.
const MAX_COST: i64 = 1_000_000_000;

/// A non-negative amount with at most six decimal places.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Money = Money(Decimal::ZERO);

    /// Parses a unit cost as written in a request (the exact digits of the JSON number), judged
    /// on those digits: a cost with more decimals than Procura keeps is refused, never rounded.
    pub fn parse_cost(raw: &str) -> Result<Self, Invalid> {
        let written =
            Written::parse(raw).ok_or_else(|| Invalid::value("must be a decimal number"))?;
        if written.is_negative() {
            return Err(Invalid::value("must be 0 or more"));
        }
        if written.decimal_places() > u64::from(SCALE) {
            return Err(Invalid::value("must have at most 6 decimal places"));
        }
        match written.scaled(SCALE) {
            Some(micros) if written.whole_digits() <= 9 => Ok(Self::from_micros(micros)),
            _ => Err(Invalid::value("must be less than 1000000000")),
        }
    }

    pub fn from_decimal(value: Decimal) -> Result<Self, Invalid> {
        if value.is_sign_negative() && !value.is_zero() {
            return Err(Invalid::value("must be 0 or more"));
        }
        if value.normalize().scale() > SCALE {
            return Err(Invalid::value("must have at most 6 decimal places"));
        }
        if value >= Decimal::from(MAX_COST) {
            return Err(Invalid::value("must be less than 1000000000"));
        }
        Ok(Self(value.normalize()))
    }

    pub fn from_micros(micros: i64) -> Self {
        Self(Decimal::new(micros, SCALE).normalize())
    }

    pub fn micros(self) -> i64 {
        // In range by construction: |value| < 10^9 with at most 6 decimals.
        (self.0 * Decimal::from(MICROS_PER_UNIT)).trunc().mantissa() as i64
    }

    pub fn decimal(self) -> Decimal {
        self.0
    }

    /// `self * quantity`, exact.
    pub fn times(self, quantity: i64) -> Decimal {
        self.0 * Decimal::from(quantity)
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// An ISO 4217 currency code, upper case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CurrencyCode(iso_currency::Currency);

impl CurrencyCode {
    pub fn usd() -> Self {
        Self(iso_currency::Currency::USD)
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        iso_currency::Currency::from_code(raw)
            .map(Self)
            .ok_or_else(|| Invalid::value("must be an ISO 4217 currency code such as USD or EUR"))
    }

    pub fn as_str(&self) -> &'static str {
        self.0.code()
    }

    /// Digits after the decimal point in amounts of this currency (ISO 4217): 2 for EUR, 0 for
    /// JPY, 3 for BHD; none for codes without minor units, such as gold (XAU).
    pub fn minor_units(&self) -> Option<u32> {
        self.0.exponent().map(u32::from)
    }
}

impl Default for CurrencyCode {
    fn default() -> Self {
        Self::usd()
    }
}

impl fmt::Display for CurrencyCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_keep_their_exact_digits() {
        let cost = Money::parse_cost("9.99").unwrap();
        assert_eq!(cost.to_string(), "9.99");
        assert_eq!(cost.micros(), 9_990_000);
        assert_eq!(Money::from_micros(9_990_000), cost);
        assert_eq!(
            Money::parse_cost("0.1").unwrap().times(3).to_string(),
            "0.3"
        );
    }

    #[test]
    fn trailing_zeros_do_not_count_as_precision() {
        assert_eq!(Money::parse_cost("1.50000000").unwrap().to_string(), "1.5");
        assert_eq!(Money::parse_cost("1e2").unwrap().to_string(), "100");
    }

    #[test]
    fn costs_are_judged_on_every_digit_sent_before_anything_rounds() {
        let too_precise = Err(Invalid::value("must have at most 6 decimal places"));
        assert_eq!(
            Money::parse_cost("0.000000000000000000000000000001"),
            too_precise
        );
        assert_eq!(Money::parse_cost("1e-30"), too_precise);
        assert_eq!(
            Money::parse_cost("1.0000000000000000000000000001"),
            too_precise
        );
        assert_eq!(Money::parse_cost("1.5e-6"), too_precise);
        assert_eq!(
            Money::parse_cost("1e30"),
            Err(Invalid::value("must be less than 1000000000"))
        );
        assert_eq!(
            Money::parse_cost("999999999.9999995"),
            too_precise,
            "not rounded up to the limit either"
        );
        assert_eq!(
            Money::parse_cost("1.500000000000000000000000000000000").map(|m| m.to_string()),
            Ok("1.5".to_owned())
        );
        assert_eq!(Money::parse_cost("1.5e-5").map(|m| m.micros()), Ok(15));
        assert_eq!(
            Money::parse_cost("999999999.999999").map(|m| m.micros()),
            Ok(999_999_999_999_999)
        );
    }

    #[test]
    fn the_largest_order_line_and_order_total_are_exact() {
        let cost = Money::parse_cost("999999999.999999").unwrap();
        let line = cost.times(1_000_000_000);
        assert_eq!(line.normalize().to_string(), "999999999999999000");
        // 1000 such lines (the most an order has) still fit rust_decimal's 96 bits exactly.
        let order: Decimal = std::iter::repeat_n(line, 1000).sum();
        assert_eq!(order.normalize().to_string(), "999999999999999000000");
    }

    #[test]
    fn negative_too_precise_and_huge_costs_are_refused() {
        assert!(Money::parse_cost("-0.01").is_err());
        assert!(Money::parse_cost("0.0000001").is_err());
        assert!(Money::parse_cost("1000000000").is_err());
        assert!(Money::parse_cost("abc").is_err());
        assert!(Money::parse_cost("-0").is_ok());
    }

    #[test]
    fn currency_codes_are_checked_against_iso_4217() {
        assert_eq!(CurrencyCode::parse("EUR").unwrap().as_str(), "EUR");
        assert!(CurrencyCode::parse("usd").is_err());
        assert!(CurrencyCode::parse("XYZ").is_err());
        assert_eq!(CurrencyCode::default().as_str(), "USD");
    }
}
