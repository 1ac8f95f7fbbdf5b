//! The account's settings, for admins: the buying company's profile that the documents print as
//! the buyer and that mails to suppliers are sent from. Read by the same rules as
//! `PUT /v2/account`: the form becomes that body and the API's parser judges it.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::get;
use serde::Deserialize;
use serde_json::{Map, Value};

use super::form::Fields;
use super::page::{self, Nav, PageResult};
use super::{Signed, WebState};
use crate::domain::address::AccountProfile;
use crate::domain::user::Role;

pub fn routes() -> Router<WebState> {
    Router::new().route("/app/settings", get(show).post(save))
}

/// The form's inputs: name (as the API's field), label, and whether it sits in `address`.
const INPUTS: [(&str, &str, bool); 10] = [
    ("company_name", "Company name", false),
    ("email", "Email (mails to suppliers come from it)", false),
    ("phone", "Phone", false),
    ("tax_id", "Tax id", false),
    ("address_line_1", "Address line 1", true),
    ("address_line_2", "Address line 2", true),
    ("city", "City", true),
    ("state", "State or province", true),
    ("postal_code", "Postal code", true),
    ("country_code", "Country (two letters, e.g. NL)", true),
];

struct Input {
    name: &'static str,
    label: &'static str,
    value: String,
    error: Option<String>,
}

#[derive(Template)]
#[template(path = "settings.html")]
struct SettingsPage {
    nav: Option<Nav>,
    inputs: Vec<Input>,
    saved: bool,
}

#[derive(Deserialize)]
struct Shown {
    saved: Option<String>,
}

fn values(profile: &AccountProfile) -> Vec<Option<String>> {
    let a = &profile.address;
    [
        &profile.company_name,
        &profile.email,
        &profile.phone,
        &profile.tax_id,
        &a.address_line_1,
        &a.address_line_2,
        &a.city,
        &a.state,
        &a.postal_code,
        &a.country_code,
    ]
    .into_iter()
    .cloned()
    .collect()
}

fn render(
    signed: &Signed,
    state: &WebState,
    values: Vec<String>,
    errors: &[(String, String)],
    saved: bool,
) -> PageResult {
    let inputs: Vec<Input> = INPUTS
        .iter()
        .zip(values)
        .map(|((name, label, _), value)| Input {
            name,
            label,
            value,
            error: errors
                .iter()
                .find(|(field, _)| field == name)
                .map(|(_, message)| message.clone()),
        })
        .collect();
    let status = if errors.is_empty() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = SettingsPage {
        nav: Some(signed.nav(state)),
        inputs,
        saved,
    };
    Ok(page::render(status, &page))
}

async fn show(
    State(state): State<WebState>,
    signed: Signed,
    Query(shown): Query<Shown>,
) -> PageResult {
    signed.may(Role::administers)?;
    let profile = state.store().account_profile(signed.user.account).await?;
    let values = values(&profile)
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();
    render(&signed, &state, values, &[], shown.saved.is_some())
}

async fn save(State(state): State<WebState>, signed: Signed, fields: Fields) -> PageResult {
    signed.check(&state, &fields)?;
    signed.may(Role::administers)?;
    let typed: Vec<String> = INPUTS
        .iter()
        .map(|(name, _, _)| fields.get(name).to_owned())
        .collect();
    // The body `PUT /v2/account` would take: the fields filled in, the address apart.
    let mut body = Map::new();
    let mut address = Map::new();
    for ((name, _, in_address), value) in INPUTS.iter().zip(&typed) {
        if value.trim().is_empty() {
            continue;
        }
        let into = if *in_address { &mut address } else { &mut body };
        into.insert((*name).to_owned(), Value::String(value.clone()));
    }
    body.insert("address".to_owned(), Value::Object(address));
    let profile = match crate::http::parse_account_profile(&Value::Object(body)) {
        Ok(profile) => profile,
        Err(refused) => {
            let errors: Vec<(String, String)> = refused
                .errors
                .iter()
                .map(|e| {
                    let field = e.field_name.clone().unwrap_or_default();
                    let field = field.trim_start_matches("address.").to_owned();
                    (field, e.message.clone())
                })
                .collect();
            return render(&signed, &state, typed, &errors, false);
        }
    };
    state
        .store()
        .put_account_profile(signed.write(), profile)
        .await?;
    Ok(page::see("/app/settings?saved=1"))
}
