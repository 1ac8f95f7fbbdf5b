//! `/v2/account`: the buying company's profile, printed as the buyer on its documents.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Serialize;
use serde_json::{Value, json};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use super::AppState;
use super::error::{ApiError, ApiResult, ErrorCode, ErrorResponse, ErrorType};
use super::extract::{Account, JsonBody};
use super::fields::{Fields, Obj, given, string};
use super::idempotency::{KeyedCreate, Render, WriteHeaders, done, refused, success};
use super::json::Json;
use crate::documents;
use crate::domain::address::{AccountProfile, Address};
use crate::domain::logo::Logo;
use crate::domain::{Invalid, supplier, text};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2/account", get(show).put(update))
        .route(
            "/v2/account/logo",
            get(show_logo).put(update_logo).delete(delete_logo),
        )
}

const ADDRESS_FIELDS: [&str; 6] = [
    "address_line_1",
    "address_line_2",
    "city",
    "state",
    "postal_code",
    "country_code",
];
const PROFILE_FIELDS: [&str; 5] = ["company_name", "email", "phone", "tax_id", "address"];

/// A postal address; the same fields as a supplier's. Absent fields are omitted.
#[derive(Debug, Serialize, ToSchema, Default)]
pub struct AddressBody {
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "Keizersgracht 100")]
    pub address_line_1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub address_line_2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "Amsterdam")]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "1015 AA")]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "NL")]
    pub country_code: Option<String>,
}

impl From<Address> for AddressBody {
    fn from(a: Address) -> Self {
        Self {
            address_line_1: a.address_line_1,
            address_line_2: a.address_line_2,
            city: a.city,
            state: a.state,
            postal_code: a.postal_code,
            country_code: a.country_code,
        }
    }
}

/// The buying company as its purchase orders name it. The body of `PUT` is the same object, a
/// full replacement: omitted fields are cleared.
#[derive(Debug, Serialize, ToSchema)]
pub struct AccountBody {
    /// Up to 200 characters.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "Northwind Trading B.V.")]
    pub company_name: Option<String>,
    /// Where suppliers reply; also the sender of mailed documents.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, format = Email, example = "purchasing@northwind.example")]
    pub email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "+31 20 555 0199")]
    pub phone: Option<String>,
    /// A VAT or other tax registration number, as it should appear on orders.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false, example = "NL123456789B01")]
    pub tax_id: Option<String>,
    pub address: AddressBody,
}

impl From<AccountProfile> for AccountBody {
    fn from(p: AccountProfile) -> Self {
        Self {
            company_name: p.company_name,
            email: p.email,
            phone: p.phone,
            tax_id: p.tax_id,
            address: p.address.into(),
        }
    }
}

fn short(max: usize) -> impl Fn(&Value) -> Result<Option<String>, Invalid> {
    move |v: &Value| text::optional(string(v)?, max)
}

/// The fields of an `address` object; shared with warehouses.
pub(super) fn parse_address(f: &mut Fields, o: &Obj<'_>) -> Address {
    let address = Address {
        address_line_1: given(f, o, "address_line_1", short(200)).flatten(),
        address_line_2: given(f, o, "address_line_2", short(200)).flatten(),
        city: given(f, o, "city", short(100)).flatten(),
        state: given(f, o, "state", short(100)).flatten(),
        postal_code: given(f, o, "postal_code", short(20)).flatten(),
        country_code: given(f, o, "country_code", |v| {
            supplier::parse_country_code(string(v)?)
        })
        .flatten(),
    };
    f.deny_unknown(o, &ADDRESS_FIELDS);
    address
}

/// The profile a `PUT /v2/account` body gives; the web app's settings form goes through here too.
pub(crate) fn parse(body: &Value) -> ApiResult<AccountProfile> {
    let mut f = Fields::default();
    let Some(o) = f.root(body) else {
        return f.finish().map(|()| AccountProfile::default());
    };
    let address = f
        .object(&o, "address")
        .map(|a| parse_address(&mut f, &a))
        .unwrap_or_default();
    let profile = AccountProfile {
        company_name: given(&mut f, &o, "company_name", short(200)).flatten(),
        email: given(&mut f, &o, "email", |v| supplier::parse_email(string(v)?)).flatten(),
        phone: given(&mut f, &o, "phone", short(50)).flatten(),
        tax_id: given(&mut f, &o, "tax_id", short(50)).flatten(),
        address,
    };
    f.deny_unknown(&o, &PROFILE_FIELDS);
    f.finish().map(|()| profile)
}

/// The buying company's profile; every field is absent until it is set.
#[utoipa::path(get, path = "/v2/account", operation_id = "get_account", tag = "account",
    responses((status = 200, body = AccountBody), (status = 401, body = ErrorResponse)))]
pub async fn show(
    State(state): State<AppState>,
    Account(account): Account,
) -> ApiResult<Json<AccountBody>> {
    let profile = state.store.account_profile(account).await?;
    Ok(Json(AccountBody::from(profile)))
}

/// Replaces the buying company's profile: the buyer block of every purchase order document.
#[utoipa::path(put, path = "/v2/account", operation_id = "update_account", tag = "account",
    params(KeyedCreate),
    request_body = AccountBody,
    responses((status = 200, body = AccountBody), (status = 400, body = ErrorResponse),
              (status = 401, body = ErrorResponse), (status = 422, body = ErrorResponse, description = "Idempotency-Key used before with another request")))]
pub async fn update(
    State(state): State<AppState>,
    Account(account): Account,
    write: WriteHeaders,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let profile = parse(&body)?;
    let answer = AccountBody::from(profile.clone());
    let rid = write.request_id();
    let render: Render<()> = Arc::new(move |outcome| match outcome {
        Ok(()) => success(StatusCode::OK, &answer, None),
        Err(err) => refused(err, rid),
    });
    let written = write
        .run(account, &body, render, |w| {
            state.store.put_account_profile(w, profile)
        })
        .await;
    Ok(written.response)
}

/// The logo as uploaded, described.
#[derive(Debug, Serialize, ToSchema)]
pub struct LogoBody {
    #[schema(example = "image/png")]
    pub content_type: &'static str,
    /// In pixels.
    #[schema(example = 600)]
    pub width: u32,
    #[schema(example = 160)]
    pub height: u32,
    #[schema(example = 5284)]
    pub size_bytes: usize,
}

impl From<&Logo> for LogoBody {
    fn from(logo: &Logo) -> Self {
        Self {
            content_type: logo.image_type.content_type(),
            width: logo.width,
            height: logo.height,
            size_bytes: logo.image.len(),
        }
    }
}

/// An image, for the OpenAPI document.
#[derive(ToSchema)]
#[schema(value_type = String, format = Binary)]
pub struct Image(#[expect(dead_code, reason = "a schema only")] Vec<u8>);

/// The buying company's logo, as uploaded.
#[utoipa::path(get, path = "/v2/account/logo", operation_id = "get_account_logo", tag = "account",
    responses((status = 200, description = "The image", content_type = "image/png", body = Image),
              (status = 404, body = ErrorResponse, description = "No logo was uploaded"),
              (status = 401, body = ErrorResponse)))]
pub async fn show_logo(
    State(state): State<AppState>,
    Account(account): Account,
) -> ApiResult<Response> {
    let logo = state.store.account_logo(account).await?.ok_or_else(|| {
        let mut err = ApiError::new(
            StatusCode::NOT_FOUND,
            ErrorType::Validation,
            ErrorCode::Unspecified,
            "the account has no logo; upload one with PUT /v2/account/logo",
        );
        err.errors[0].field_name = Some("logo".to_owned());
        err
    })?;
    Ok(image(&logo))
}

/// The logo's image as uploaded; the settings page's preview answers it the same way.
pub(crate) fn image(logo: &Logo) -> Response {
    let headers = [
        (header::CONTENT_TYPE, logo.image_type.content_type()),
        (header::CACHE_CONTROL, "private, no-cache"),
    ];
    (headers, Vec::clone(&logo.image)).into_response()
}

/// Uploads the logo printed at the head of the account's documents: the body is the image
/// itself, `Content-Type: image/png` or `image/jpeg`, at most 512 KiB and 2000 pixels on either
/// side. It is decoded in full before it is kept, so that no document fails on it later.
#[utoipa::path(put, path = "/v2/account/logo", operation_id = "update_account_logo", tag = "account",
    params(KeyedCreate),
    request_body(content = Image, content_type = "image/png", description = "The image (image/png or image/jpeg)"),
    responses((status = 200, body = LogoBody), (status = 400, body = ErrorResponse),
              (status = 401, body = ErrorResponse), (status = 413, body = ErrorResponse),
              (status = 422, body = ErrorResponse, description = "Idempotency-Key used before with another request")))]
pub async fn update_logo(
    State(state): State<AppState>,
    Account(account): Account,
    write: WriteHeaders,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .map(|v| v.to_str().unwrap_or("(not text)").to_owned());
    let image = body.to_vec();
    let logo =
        tokio::task::spawn_blocking(move || documents::upload_logo(content_type.as_deref(), image))
            .await
            .map_err(|e| ApiError::internal(&format!("checking a logo: {e}")))?
            .map_err(|reason| ApiError::field("logo", None, &Invalid::value(reason)))?;
    // What the key's fingerprint covers: the image, by its digest.
    let fingerprint = json!({
        "content_type": logo.image_type.content_type(),
        "sha256": format!("{:x}", Sha256::digest(logo.image.as_slice())),
    });
    let answer = LogoBody::from(&logo);
    let rid = write.request_id();
    let render: Render<()> = Arc::new(move |outcome| match outcome {
        Ok(()) => success(StatusCode::OK, &answer, None),
        Err(err) => refused(err, rid),
    });
    let written = write
        .run(account, &fingerprint, render, |w| {
            state.store.put_account_logo(w, Some(logo))
        })
        .await;
    Ok(written.response)
}

/// Removes the logo; the documents print none. Removing none is no error.
#[utoipa::path(delete, path = "/v2/account/logo", operation_id = "delete_account_logo", tag = "account",
    responses((status = 204, description = "The logo is gone"), (status = 401, body = ErrorResponse)))]
pub async fn delete_logo(
    State(state): State<AppState>,
    Account(account): Account,
    write: WriteHeaders,
) -> ApiResult<Response> {
    let rid = write.request_id();
    let render: Render<()> = Arc::new(move |outcome| match outcome {
        Ok(()) => done(),
        Err(err) => refused(err, rid),
    });
    let written = write
        .run(account, &Value::Null, render, |w| {
            state.store.put_account_logo(w, None)
        })
        .await;
    Ok(written.response)
}
