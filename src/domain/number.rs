//! A number exactly as a client wrote it: its digits and its power of ten, judged before anything
//! rounds it.
//!
//! Written by hand rather than parsed with `rust_decimal` (which Procura uses for money): that
//! rounds to 28 significant digits while parsing, so `0.000000000000000000000000000001` would
//! arrive as 0 and `1.0000000000000000000000000001` as 1 before a check could see the extra
//! decimals. JSON's number grammar is small enough that reading the digits and the exponent is
//! shorter than adding a second, arbitrary-precision decimal crate only to count them.

/// The value `(-1 if negative) * digits * 10^exponent`, with `digits` free of leading and trailing
/// zeros (empty for zero).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Written {
    negative: bool,
    digits: String,
    exponent: i64,
}

/// Exponents are clamped to this magnitude: a body holds at most a few million digits, so no
/// verdict below changes between an exponent of 10^15 and a larger one, and the arithmetic on
/// exponents cannot overflow.
const EXPONENT_CLAMP: i64 = 1_000_000_000_000_000;

impl Written {
    /// Reads a JSON number (`-12.50e3` and the like); `None` for anything else.
    pub fn parse(raw: &str) -> Option<Self> {
        let (negative, rest) = match raw.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, raw),
        };
        let (mantissa, exponent) = match rest.find(['e', 'E']) {
            Some(at) => (&rest[..at], Some(&rest[at + 1..])),
            None => (rest, None),
        };
        let (whole, fraction) = match mantissa.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (mantissa, ""),
        };
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty()
            || !all_digits(whole)
            || (mantissa.contains('.') && fraction.is_empty())
            || !all_digits(fraction)
        {
            return None;
        }
        let mut exponent = match exponent {
            None => 0,
            Some(text) => {
                let (sign, digits) = match text.as_bytes().first() {
                    Some(b'-') => (-1, &text[1..]),
                    Some(b'+') => (1, &text[1..]),
                    _ => (1, text),
                };
                if digits.is_empty() || !all_digits(digits) {
                    return None;
                }
                let magnitude = digits.trim_start_matches('0');
                let value = if magnitude.len() > 16 {
                    EXPONENT_CLAMP
                } else {
                    magnitude.parse::<i64>().unwrap_or(0).min(EXPONENT_CLAMP)
                };
                sign * value
            }
        };
        exponent -= fraction.len() as i64;
        let mut joined = String::with_capacity(whole.len() + fraction.len());
        joined.push_str(whole);
        joined.push_str(fraction);
        let significant = joined.trim_start_matches('0');
        let digits = significant.trim_end_matches('0');
        exponent += (significant.len() - digits.len()) as i64;
        Some(Self {
            negative,
            digits: digits.to_owned(),
            exponent: if digits.is_empty() { 0 } else { exponent },
        })
    }

    pub fn is_zero(&self) -> bool {
        self.digits.is_empty()
    }

    /// Below zero (`-0` is zero).
    pub fn is_negative(&self) -> bool {
        self.negative && !self.is_zero()
    }

    /// How many decimal places the exact value has: `1.50` has 1, `1e-30` has 30, `1e3` has 0.
    pub fn decimal_places(&self) -> u64 {
        self.exponent.min(0).unsigned_abs()
    }

    /// How many digits the whole part has: `999.5` has 3, `0.5` has 0.
    pub fn whole_digits(&self) -> i64 {
        (self.digits.len() as i64 + self.exponent).max(0)
    }

    /// The value times 10^`places`, when that is a whole number that fits an `i64`.
    pub fn scaled(&self, places: u32) -> Option<i64> {
        let exponent = self.exponent + i64::from(places);
        if self.is_zero() {
            return Some(0);
        }
        if exponent < 0 || self.digits.len() as i64 + exponent > 19 {
            return None;
        }
        // At most 19 digits: below 10^19, inside i128 whatever the sign.
        let value = self.digits.parse::<i128>().ok()? * 10i128.pow(exponent as u32);
        i64::try_from(if self.negative { -value } else { value }).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(raw: &str) -> Written {
        Written::parse(raw).unwrap()
    }

    #[test]
    fn decimal_places_count_the_exact_digits_written() {
        assert_eq!(
            read("0.000000000000000000000000000001").decimal_places(),
            30
        );
        assert_eq!(read("1.0000000000000000000000000001").decimal_places(), 28);
        assert_eq!(read("1e-30").decimal_places(), 30);
        assert_eq!(read("1.5E-7").decimal_places(), 8);
        assert_eq!(read("1.50000000").decimal_places(), 1);
        assert_eq!(
            read("1.500000000000000000000000000000000000").decimal_places(),
            1
        );
        assert_eq!(read("12.5e1").decimal_places(), 0);
        assert_eq!(
            read("0.0000000e-99999999999999999999999").decimal_places(),
            0
        );
    }

    #[test]
    fn whole_numbers_are_exact_in_any_notation() {
        assert_eq!(read("1000").scaled(0), Some(1000));
        assert_eq!(read("1e3").scaled(0), Some(1000));
        assert_eq!(read("1.0").scaled(0), Some(1));
        assert_eq!(read("-0").scaled(0), Some(0));
        assert_eq!(read("1.5").scaled(0), None);
        assert_eq!(read("9223372036854775807").scaled(0), Some(i64::MAX));
        assert_eq!(read("9223372036854775808").scaled(0), None);
        assert_eq!(read("-9223372036854775808").scaled(0), Some(i64::MIN));
        assert_eq!(read("1e99999999999999999999").scaled(0), None);
        assert_eq!(read("9.99").scaled(6), Some(9_990_000));
        assert_eq!(
            read("999999999.999999").scaled(6),
            Some(999_999_999_999_999)
        );
    }

    #[test]
    fn signs_and_magnitudes_are_read_exactly() {
        assert!(read("-0.0").is_zero());
        assert!(!read("-0.0").is_negative());
        assert!(read("-1e-40").is_negative());
        assert_eq!(read("999999999.999999").whole_digits(), 9);
        assert_eq!(read("1e9").whole_digits(), 10);
        assert_eq!(read("0.5").whole_digits(), 0);
        assert_eq!(
            read("1e99999999999999999999").whole_digits(),
            EXPONENT_CLAMP + 1
        );
    }

    #[test]
    fn anything_but_a_json_number_is_refused() {
        for raw in [
            "", "-", "abc", "1.", ".5", "1e", "1e+", "0x10", "1,5", "+1", "1 ",
        ] {
            assert_eq!(Written::parse(raw), None, "{raw:?}");
        }
    }
}
