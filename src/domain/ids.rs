//! Identifiers. On the wire every id is `se-<number>` (ShipStation's `se_id`: `^se(-[a-z0-9]+)+$`,
//! at most 25 characters); in the database it is the row's integer key.

use std::fmt;

use super::Invalid;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub struct $name(pub i64);

        impl $name {
            /// Parses the wire form `se-<number>`; `None` when `raw` cannot name any object.
            pub fn parse(raw: &str) -> Option<Self> {
                parse_se_id(raw).map(Self)
            }

            /// Like [`Self::parse`] but with a field-level error for request bodies.
            pub fn parse_field(raw: &str) -> Result<Self, Invalid> {
                Self::parse(raw).ok_or_else(|| {
                    Invalid::Identifier(format!("'{raw}' is not a valid id (expected se-<number>)"))
                })
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                wire_form(self.0, f)
            }
        }

        /// The wire form, written straight into the answer without a `String` between.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.collect_str(self)
            }
        }
    };
}

id_type!(
    /// A tenant. Every row of data belongs to exactly one account.
    AccountId
);
id_type!(ApiKeyId);
id_type!(SupplierId);
id_type!(WarehouseId);
id_type!(LocationId);
id_type!(PurchaseOrderId);
id_type!(ReceiptId);
id_type!(
    /// A person who signs in to the web app.
    UserId
);
id_type!(WebhookId);
id_type!(DeliveryId);
id_type!(
    /// An email in the outbox: an order sent to its supplier.
    MailId
);

/// Writes `se-<number>` in one piece. `write!(f, "se-{}", ..)` runs the formatting machinery
/// and, through `to_string`, grows its string twice: an answer holds several ids, a list page of
/// 50 orders about 150 (`docs/performance.md`).
fn wire_form(id: i64, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    let mut digits = itoa::Buffer::new();
    let digits = digits.format(id);
    let mut text = [0u8; 3 + 20];
    text[..3].copy_from_slice(b"se-");
    text[3..3 + digits.len()].copy_from_slice(digits.as_bytes());
    f.pad(std::str::from_utf8(&text[..3 + digits.len()]).expect("se- and ASCII digits"))
}

pub(crate) fn parse_se_id(raw: &str) -> Option<i64> {
    let digits = raw.strip_prefix("se-")?;
    if raw.len() > 25 || digits.is_empty() || digits.starts_with('0') {
        return None;
    }
    if !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_through_their_wire_form() {
        let id = SupplierId(567);
        assert_eq!(id.to_string(), "se-567");
        assert_eq!(SupplierId(i64::MAX).to_string(), "se-9223372036854775807");
        assert_eq!(SupplierId(i64::MIN).to_string(), "se--9223372036854775808");
        assert_eq!(
            format!("{:>8}|{:<8}|", SupplierId(7), SupplierId(42)),
            "    se-7|se-42   |"
        );
        assert_eq!(SupplierId::parse("se-567"), Some(id));
        assert_eq!(serde_json::to_string(&id).unwrap(), r#""se-567""#);
    }

    #[test]
    fn malformed_ids_are_refused() {
        for raw in [
            "",
            "se-",
            "se-0",
            "se-012",
            "SE-1",
            "se-1a",
            "567",
            "se--1",
            "se-99999999999999999999999",
        ] {
            assert_eq!(SupplierId::parse(raw), None, "{raw}");
        }
    }
}
