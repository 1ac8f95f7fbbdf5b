//! Suppliers: who a purchase order buys from.

use super::Invalid;
use super::address::Address;
use super::ids::SupplierId;
use super::text;
use super::version::{Tag, Version};

/// The writable fields of a supplier (create and full replacement).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SupplierInput {
    pub supplier_name: String,
    pub supplier_email: Option<String>,
    pub address_line_1: Option<String>,
    pub address_line_2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country_code: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

impl SupplierInput {
    pub fn address(&self) -> Address {
        Address {
            address_line_1: self.address_line_1.clone(),
            address_line_2: self.address_line_2.clone(),
            city: self.city.clone(),
            state: self.state.clone(),
            postal_code: self.postal_code.clone(),
            country_code: self.country_code.clone(),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Supplier {
    pub id: SupplierId,
    pub fields: SupplierInput,
    pub version: Version,
}

impl Supplier {
    pub fn tag(&self) -> Tag {
        Tag::of(self.version)
    }
}

pub fn parse_name(raw: &str) -> Result<String, Invalid> {
    text::bounded(raw, 1, 200)
}

/// The key under which names are unique: case-insensitive, so "Acme" and "ACME" collide.
pub fn name_key(name: &str) -> String {
    name.to_lowercase()
}

/// A deliberately plain check: one `@`, something before it, a dotted domain after it.
pub fn parse_email(raw: &str) -> Result<Option<String>, Invalid> {
    let Some(email) = text::optional(raw, 254)? else {
        return Ok(None);
    };
    let valid = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if valid {
        Ok(Some(email))
    } else {
        Err(Invalid::value(
            "must be an email address such as orders@example.com",
        ))
    }
}

/// ISO 3166-1 alpha-2, upper case.
pub fn parse_country_code(raw: &str) -> Result<Option<String>, Invalid> {
    let Some(code) = text::optional(raw, 2)? else {
        return Ok(None);
    };
    match isocountry::CountryCode::for_alpha2(&code) {
        Ok(country) => Ok(Some(country.alpha2().to_owned())),
        Err(_) => Err(Invalid::value(
            "must be an ISO 3166-1 alpha-2 country code such as US",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_collide_regardless_of_case() {
        assert_eq!(name_key("Acme Widgets"), name_key("ACME widgets"));
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert_eq!(
            parse_email("orders@acme.com"),
            Ok(Some("orders@acme.com".into()))
        );
        assert_eq!(parse_email(""), Ok(None));
        for bad in [
            "orders",
            "@acme.com",
            "orders@acme",
            "a b@acme.com",
            "a@b@c.com",
            "a@.com",
        ] {
            assert!(parse_email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn country_codes_are_iso_alpha_2() {
        assert_eq!(parse_country_code("US"), Ok(Some("US".into())));
        assert!(parse_country_code("XX").is_err());
        assert!(parse_country_code("USA").is_err());
    }
}
