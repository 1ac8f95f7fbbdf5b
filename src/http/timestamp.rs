//! Timestamps in answers: RFC 3339 in UTC with `Z`, with fractional seconds only when there are
//! any (`2026-12-01T13:22:07.020414Z`).

use chrono::{DateTime, SecondsFormat, Utc};

/// A moment in an answer's body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Timestamp(pub DateTime<Utc>);

impl serde::Serialize for Timestamp {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut text = [0; 30];
        match written(self.0, &mut text) {
            Some(written) => serializer.serialize_str(written),
            None => serializer.serialize_str(&self.0.to_rfc3339_opts(SecondsFormat::AutoSi, true)),
        }
    }
}

/// Writes `at` into `text` as chrono's `to_rfc3339_opts(SecondsFormat::AutoSi, true)` would,
/// computed from the Unix time in one buffer; `None` for years outside 0 to 9999 (which chrono
/// writes with a sign) and leap seconds, left to chrono. chrono's takes about 730 instructions
/// a timestamp (its date accessors, then `fmt::Write` a piece at a time), and a list page of 50
/// orders writes a hundred of them, 9% of its instructions (`docs/performance.md`).
fn written(at: DateTime<Utc>, text: &mut [u8; 30]) -> Option<&str> {
    let seconds = at.timestamp();
    let nanos = at.timestamp_subsec_nanos();
    let (year, month, day) = civil_from_days(seconds.div_euclid(86_400));
    if !(0..=9999).contains(&year) || nanos >= 1_000_000_000 {
        return None;
    }
    let of_day = seconds.rem_euclid(86_400) as u32;
    let (fraction, digits) = match nanos {
        0 => (0, 0),
        n if n % 1_000_000 == 0 => (n / 1_000_000, 3),
        n if n % 1_000 == 0 => (n / 1_000, 6),
        n => (n, 9),
    };
    *text = *b"0000-00-00T00:00:00.000000000Z";
    put_digits(&mut text[0..4], year as u32);
    put_digits(&mut text[5..7], month);
    put_digits(&mut text[8..10], day);
    put_digits(&mut text[11..13], of_day / 3600);
    put_digits(&mut text[14..16], of_day / 60 % 60);
    put_digits(&mut text[17..19], of_day % 60);
    let len = if digits == 0 {
        19
    } else {
        put_digits(&mut text[20..20 + digits], fraction);
        20 + digits
    };
    text[len] = b'Z';
    Some(std::str::from_utf8(&text[..=len]).expect("a timestamp is ASCII digits and separators"))
}

/// The proleptic Gregorian (year, month, day) of a count of days since 1970-01-01: Howard
/// Hinnant's `civil_from_days` (<https://howardhinnant.github.io/date_algorithms.html>).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let of_era = z.rem_euclid(146_097);
    let year_of_era = (of_era - of_era / 1_460 + of_era / 36_524 - of_era / 146_096) / 365;
    let of_year = of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    let shifted_month = (5 * of_year + 2) / 153;
    let day = (of_year - (153 * shifted_month + 2) / 5 + 1) as u32;
    let month = if shifted_month < 10 {
        shifted_month + 3
    } else {
        shifted_month - 9
    } as u32;
    let year = year_of_era + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

/// `value` as decimal digits filling `out`, zero-padded; `value` has no more digits than that.
fn put_digits(out: &mut [u8], mut value: u32) {
    for digit in out.iter_mut().rev() {
        *digit = b'0' + (value % 10) as u8;
        value /= 10;
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn timestamp(at: DateTime<Utc>) -> String {
        let value = serde_json::to_value(Timestamp(at)).unwrap();
        value.as_str().expect("a string").to_owned()
    }

    fn chrono_text(at: DateTime<Utc>) -> String {
        at.to_rfc3339_opts(SecondsFormat::AutoSi, true)
    }

    #[test]
    fn writes_what_chrono_writes_at_the_edges() {
        let at = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        for (text, expected) in [
            ("1970-01-01T00:00:00Z", "1970-01-01T00:00:00Z"),
            ("2026-12-01T13:22:07.020414Z", "2026-12-01T13:22:07.020414Z"),
            ("2024-02-29T23:59:59.5Z", "2024-02-29T23:59:59.500Z"),
            ("2025-01-15T00:00:00.000001Z", "2025-01-15T00:00:00.000001Z"),
            (
                "2025-01-15T00:00:00.123456789Z",
                "2025-01-15T00:00:00.123456789Z",
            ),
            ("0000-01-01T00:00:00Z", "0000-01-01T00:00:00Z"),
            (
                "9999-12-31T23:59:59.999999999Z",
                "9999-12-31T23:59:59.999999999Z",
            ),
            ("2016-12-31T23:59:60.25Z", "2016-12-31T23:59:60.250Z"),
        ] {
            assert_eq!(timestamp(at(text)), expected, "{text}");
            assert_eq!(timestamp(at(text)), chrono_text(at(text)), "{text}");
        }
        let beyond = Utc.with_ymd_and_hms(10000, 1, 1, 0, 0, 0).unwrap();
        assert_eq!(timestamp(beyond), "+10000-01-01T00:00:00Z");
        let before = Utc.with_ymd_and_hms(-1, 6, 30, 12, 0, 0).unwrap();
        assert_eq!(timestamp(before), chrono_text(before));
    }

    #[test]
    fn writes_what_chrono_writes_across_the_years() {
        // A fixed pseudo-random walk over years 0 to 9999, with whole seconds, milliseconds,
        // microseconds and nanoseconds in turn.
        let first = Utc.with_ymd_and_hms(0, 1, 1, 0, 0, 0).unwrap().timestamp();
        let last = Utc
            .with_ymd_and_hms(9999, 12, 31, 23, 59, 59)
            .unwrap()
            .timestamp();
        let mut state = 0x2545_f491_4f6c_dd1d_u64;
        for i in 0..200_000u64 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let seconds = first + (state % (last - first) as u64) as i64;
            let nanos = (state >> 33) as u32 % 1_000_000_000;
            let nanos = match i % 4 {
                0 => 0,
                1 => nanos / 1_000_000 * 1_000_000,
                2 => nanos / 1_000 * 1_000,
                _ => nanos,
            };
            let at = DateTime::from_timestamp(seconds, nanos).unwrap();
            assert_eq!(timestamp(at), chrono_text(at), "{seconds} s {nanos} ns");
        }
    }
}
