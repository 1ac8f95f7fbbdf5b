//! A postal address: a supplier's, the buying company's, a warehouse's (the ship-to of an order).

/// Every field optional, as on a supplier; checked by the same rules (`supplier::parse_country_code`
/// for the country).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Address {
    pub address_line_1: Option<String>,
    pub address_line_2: Option<String>,
    pub city: Option<String>,
    pub state: Option<String>,
    pub postal_code: Option<String>,
    pub country_code: Option<String>,
}

impl Address {
    pub fn is_empty(&self) -> bool {
        self.lines().is_empty()
    }

    /// The address as it is written on an envelope: the street lines, then city, state, postal
    /// code and country on one line; empty fields left out.
    pub fn lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = [&self.address_line_1, &self.address_line_2]
            .into_iter()
            .flatten()
            .filter(|line| !line.trim().is_empty())
            .cloned()
            .collect();
        let place = [
            &self.city,
            &self.state,
            &self.postal_code,
            &self.country_code,
        ]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .filter(|part| !part.trim().is_empty())
        .collect::<Vec<_>>()
        .join(", ");
        if !place.is_empty() {
            lines.push(place);
        }
        lines
    }
}

/// The buying company, as its documents name it (`GET/PUT /v2/account`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct AccountProfile {
    pub company_name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub tax_id: Option<String>,
    pub address: Address,
}
