//! The account's settings, for admins: the buying company's profile that the documents print as
//! the buyer and that mails to suppliers are sent from, and its logo. Read by the same rules as
//! `PUT /v2/account` and `PUT /v2/account/logo`: the form becomes that body and the API's checks
//! judge it.

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::form::Fields;
use super::page::{self, Nav, PageError, PageResult};
use super::{Signed, WebState};
use crate::documents;
use crate::domain::address::AccountProfile;
use crate::domain::user::Role;

pub fn routes() -> Router<WebState> {
    Router::new()
        .route("/app/settings", get(show).post(save))
        .route("/app/settings/logo", get(logo).post(upload_logo))
        .route("/app/settings/logo/remove", post(remove_logo))
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
    /// The logo's type and size in pixels, when there is one.
    logo: Option<(&'static str, u32, u32)>,
    /// Why the logo just sent was refused.
    logo_error: Option<String>,
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

/// What the page says of the logo, and why an upload was refused.
struct LogoShown {
    logo: Option<(&'static str, u32, u32)>,
    error: Option<String>,
}

impl LogoShown {
    async fn of(
        state: &WebState,
        signed: &Signed,
        error: Option<String>,
    ) -> Result<Self, PageError> {
        let logo = state.store().account_logo(signed.user.account).await?;
        Ok(Self {
            logo: logo.map(|l| (l.image_type.name(), l.width, l.height)),
            error,
        })
    }
}

fn render(
    signed: &Signed,
    state: &WebState,
    values: Vec<String>,
    errors: &[(String, String)],
    saved: bool,
    logo: LogoShown,
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
    let status = if errors.is_empty() && logo.error.is_none() {
        StatusCode::OK
    } else {
        StatusCode::UNPROCESSABLE_ENTITY
    };
    let page = SettingsPage {
        nav: Some(signed.nav(state)),
        inputs,
        saved,
        logo: logo.logo,
        logo_error: logo.error,
    };
    Ok(page::render(status, &page))
}

async fn show(
    State(state): State<WebState>,
    signed: Signed,
    Query(shown): Query<Shown>,
) -> PageResult {
    signed.may(Role::administers)?;
    let logo = LogoShown::of(&state, &signed, None).await?;
    show_with(&state, &signed, shown.saved.is_some(), logo).await
}

/// The page with the stored profile.
async fn show_with(state: &WebState, signed: &Signed, saved: bool, logo: LogoShown) -> PageResult {
    let profile = state.store().account_profile(signed.user.account).await?;
    let values = values(&profile)
        .into_iter()
        .map(Option::unwrap_or_default)
        .collect();
    render(signed, state, values, &[], saved, logo)
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
            let logo = LogoShown::of(&state, &signed, None).await?;
            return render(&signed, &state, typed, &errors, false, logo);
        }
    };
    state
        .store()
        .put_account_profile(signed.write(), profile)
        .await?;
    Ok(page::see("/app/settings?saved=1"))
}

/// The logo as uploaded, for the page's preview.
async fn logo(State(state): State<WebState>, signed: Signed) -> Result<Response, PageError> {
    signed.may(Role::administers)?;
    let logo = state
        .store()
        .account_logo(signed.user.account)
        .await?
        .ok_or(PageError::NotFound)?;
    Ok(crate::http::logo_image(&logo))
}

/// The upload form: its CSRF token and the file, by the checks of `PUT /v2/account/logo`.
async fn upload_logo(
    State(state): State<WebState>,
    signed: Signed,
    mut form: Multipart,
) -> PageResult {
    let (mut token, mut file) = (String::new(), None);
    while let Some(field) = form
        .next_field()
        .await
        .map_err(|e| PageError::BadForm(e.body_text()))?
    {
        match field.name() {
            Some("csrf") => {
                token = field
                    .text()
                    .await
                    .map_err(|e| PageError::BadForm(e.body_text()))?;
            }
            Some("logo") => {
                let content_type = field.content_type().map(str::to_owned);
                let bytes = field
                    .bytes()
                    .await
                    .map_err(|e| PageError::BadForm(e.body_text()))?;
                file = Some((content_type, bytes));
            }
            _ => {}
        }
    }
    signed.check_token(&state, token.trim())?;
    signed.may(Role::administers)?;
    let Some((content_type, bytes)) = file.filter(|(_, bytes)| !bytes.is_empty()) else {
        return refused_logo(&state, &signed, "is missing: choose a PNG or JPEG file").await;
    };
    let image = bytes.to_vec();
    let checked =
        tokio::task::spawn_blocking(move || documents::upload_logo(content_type.as_deref(), image))
            .await
            .map_err(|_| PageError::Internal)?;
    match checked {
        Ok(logo) => {
            state
                .store()
                .put_account_logo(signed.write(), Some(logo))
                .await?;
            Ok(page::see("/app/settings?saved=1"))
        }
        Err(reason) => refused_logo(&state, &signed, &reason).await,
    }
}

/// The page again, saying why the logo was refused at its field; the logo kept before stays.
async fn refused_logo(state: &WebState, signed: &Signed, reason: &str) -> PageResult {
    let logo = LogoShown::of(state, signed, Some(format!("The logo {reason}."))).await?;
    show_with(state, signed, false, logo).await
}

async fn remove_logo(State(state): State<WebState>, signed: Signed, fields: Fields) -> PageResult {
    signed.check(&state, &fields)?;
    signed.may(Role::administers)?;
    state.store().put_account_logo(signed.write(), None).await?;
    Ok(page::see("/app/settings?saved=1"))
}
