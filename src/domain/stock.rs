//! Stock and what it is worth: the arithmetic of receipts and inventory levels, exact at every
//! size the limits allow, in one place that both stores call.
//!
//! A unit cost is below 10^9 with six decimals (below 10^15 micros) and a receipt entry brings at
//! most 10^9 units, so one entry alone is worth up to ~10^24 micros: past `i64`. Stock value is
//! therefore kept in `i128` micros ([`StockValue`]), which holds [`MAX_ON_HAND`] units at the
//! largest cost (~10^34 micros) with room to spare; every sum is checked all the same.

use std::fmt;
use std::str::FromStr;

use super::money::Money;

/// The most units of one SKU that one warehouse may hold (over all its locations and lots):
/// `on_hand` is a 64-bit integer on the wire and in both databases, and bounding the warehouse
/// total bounds every row and every grouping of `GET /v2/inventory` with it.
pub const MAX_ON_HAND: i64 = i64::MAX;

/// An exact amount in micros (10^-6 of a currency unit), wide enough for any stock value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct StockValue(i128);

impl StockValue {
    pub const ZERO: StockValue = StockValue(0);

    /// What `units` are worth at `unit_cost`. Exact and infallible: |units| < 2^63 and a cost is
    /// below 2^50 micros, so the product stays below 2^113.
    pub fn of(units: i64, unit_cost: Money) -> Self {
        Self(i128::from(units) * i128::from(unit_cost.micros()))
    }

    pub fn micros(self) -> i128 {
        self.0
    }

    pub fn checked_add(self, other: Self) -> Option<Self> {
        self.0.checked_add(other.0).map(Self)
    }
}

impl fmt::Display for StockValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&self.0, f)
    }
}

/// Stored stock values are written by [`fmt::Display`]: plain decimal digits.
impl FromStr for StockValue {
    type Err = std::num::ParseIntError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.parse().map(Self)
    }
}

/// A sum passed a limit: [`MAX_ON_HAND`] units, or (for corrupt stored data only) the range of
/// the counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "the stock would pass the most Procura keeps ({MAX_ON_HAND} units of one SKU in one warehouse)"
)]
pub struct StockOverflow;

/// Stock of one SKU at one place (a row, or a group of rows): units on hand, and the units that
/// had a unit cost with what they cost together (the base of the average cost).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Stock {
    pub on_hand: i64,
    pub cost_units: i64,
    pub cost_total: StockValue,
}

impl Stock {
    /// The stock after `units` more arrive at `unit_cost` (`None`: they count for `on_hand` only).
    pub fn receive(self, units: i64, unit_cost: Option<Money>) -> Result<Self, StockOverflow> {
        let arriving = Stock {
            on_hand: units,
            cost_units: unit_cost.map_or(0, |_| units),
            cost_total: unit_cost.map_or(StockValue::ZERO, |cost| StockValue::of(units, cost)),
        };
        self.plus(arriving)
    }

    /// The stock after a reversed receipt takes back the `units` it brought at `unit_cost`.
    /// Fails if the stock holds less than that, which only corrupt data can cause: the units a
    /// receipt brought stay where it put them until it is reversed.
    pub fn take_back(self, units: i64, unit_cost: Option<Money>) -> Result<Self, StockOverflow> {
        let leaving_value = unit_cost.map_or(StockValue::ZERO, |cost| StockValue::of(units, cost));
        let left = Stock {
            on_hand: self.on_hand.checked_sub(units).ok_or(StockOverflow)?,
            cost_units: self
                .cost_units
                .checked_sub(unit_cost.map_or(0, |_| units))
                .ok_or(StockOverflow)?,
            cost_total: StockValue(
                self.cost_total
                    .0
                    .checked_sub(leaving_value.0)
                    .ok_or(StockOverflow)?,
            ),
        };
        if left.on_hand < 0 || left.cost_units < 0 || left.cost_total.0 < 0 {
            return Err(StockOverflow);
        }
        Ok(left)
    }

    /// Two stocks together (rows grouped by warehouse, say), checked.
    pub fn plus(self, other: Self) -> Result<Self, StockOverflow> {
        Ok(Stock {
            on_hand: self
                .on_hand
                .checked_add(other.on_hand)
                .ok_or(StockOverflow)?,
            cost_units: self
                .cost_units
                .checked_add(other.cost_units)
                .ok_or(StockOverflow)?,
            cost_total: self
                .cost_total
                .checked_add(other.cost_total)
                .ok_or(StockOverflow)?,
        })
    }

    /// The average unit cost of the units that had one, rounded half up to micros; `None` when no
    /// unit had a cost. An error only for corrupt stored data (an average no cost can have).
    pub fn average_cost(&self) -> Result<Option<Money>, StockOverflow> {
        if self.cost_units <= 0 {
            return Ok(None);
        }
        let units = i128::from(self.cost_units);
        // Both are non-negative, so integer division rounds down and adding half a unit first
        // rounds half up.
        let total = self
            .cost_total
            .micros()
            .checked_mul(2)
            .ok_or(StockOverflow)?;
        let average = (total + units) / (2 * units);
        i64::try_from(average)
            .map(|micros| Some(Money::from_micros(micros)))
            .map_err(|_| StockOverflow)
    }
}

/// Whether `arriving` more units fit beside the `on_hand` already in the warehouse; the new total.
#[expect(
    clippy::absurd_extreme_comparisons,
    reason = "MAX_ON_HAND is i64::MAX today; the check stays right if it is ever lowered"
)]
pub fn check_on_hand(on_hand: i64, arriving: i64) -> Result<i64, StockOverflow> {
    on_hand
        .checked_add(arriving)
        .filter(|total| *total <= MAX_ON_HAND)
        .ok_or(StockOverflow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cost(raw: &str) -> Money {
        Money::parse_cost(raw).unwrap()
    }

    #[test]
    fn the_largest_receipt_entry_is_valued_exactly() {
        let value = StockValue::of(1_000_000_000, cost("999999999.999999"));
        assert_eq!(value.to_string(), "999999999999999000000000");
        assert_eq!("999999999999999000000000".parse(), Ok(value));
    }

    #[test]
    fn two_large_receipts_average_to_their_cost() {
        let stock = Stock::default()
            .receive(1_000_000_000, Some(cost("5000")))
            .and_then(|s| s.receive(1_000_000_000, Some(cost("5000"))))
            .unwrap();
        assert_eq!(stock.on_hand, 2_000_000_000);
        assert_eq!(stock.cost_total.to_string(), "10000000000000000000");
        assert_eq!(stock.average_cost(), Ok(Some(cost("5000"))));
    }

    #[test]
    fn the_largest_cost_averages_to_itself() {
        let stock = Stock::default()
            .receive(1_000_000_000, Some(cost("999999999.999999")))
            .unwrap();
        assert_eq!(stock.average_cost(), Ok(Some(cost("999999999.999999"))));
    }

    #[test]
    fn averages_round_half_up_to_micros() {
        let stock = Stock::default()
            .receive(1, Some(cost("0.000001")))
            .and_then(|s| s.receive(1, Some(cost("0"))))
            .unwrap();
        assert_eq!(stock.average_cost(), Ok(Some(cost("0.000001"))));
        let stock = Stock::default()
            .receive(2, Some(cost("0")))
            .and_then(|s| s.receive(1, Some(cost("0.000001"))))
            .unwrap();
        assert_eq!(stock.average_cost(), Ok(Some(Money::ZERO)));
    }

    #[test]
    fn units_without_a_cost_count_for_on_hand_only() {
        let stock = Stock::default().receive(5, None).unwrap();
        assert_eq!(stock.on_hand, 5);
        assert_eq!(stock.average_cost(), Ok(None));
        let stock = stock.receive(5, Some(cost("2"))).unwrap();
        assert_eq!(stock.on_hand, 10);
        assert_eq!(stock.average_cost(), Ok(Some(cost("2"))));
    }

    #[test]
    fn on_hand_never_passes_the_limit() {
        assert_eq!(check_on_hand(MAX_ON_HAND - 5, 5), Ok(MAX_ON_HAND));
        assert_eq!(check_on_hand(MAX_ON_HAND - 5, 6), Err(StockOverflow));
        assert_eq!(check_on_hand(MAX_ON_HAND, MAX_ON_HAND), Err(StockOverflow));
        let full = Stock {
            on_hand: MAX_ON_HAND,
            ..Stock::default()
        };
        assert_eq!(full.receive(1, None), Err(StockOverflow));
    }

    #[test]
    fn a_full_warehouse_at_the_largest_cost_still_sums_exactly() {
        let full = Stock::default()
            .receive(MAX_ON_HAND, Some(cost("999999999.999999")))
            .unwrap();
        assert_eq!(
            full.cost_total.micros(),
            i128::from(MAX_ON_HAND) * 999_999_999_999_999
        );
        assert_eq!(full.average_cost(), Ok(Some(cost("999999999.999999"))));
    }
}
