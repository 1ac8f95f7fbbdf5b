//! `/v2/suppliers`: who purchase orders buy from.

use std::sync::Arc;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;

use super::AppState;
use super::conditions::{ConditionalRead, read_answer};
use super::declared::declared;
use super::error::{ApiResult, ErrorResponse};
use super::extract::{Account, JsonBody, QueryObject};
use super::fields::given;
use super::fields::{Fields, Obj, string};
use super::idempotency::{
    KeyedChange, KeyedCreate, Render, WriteHeaders, refused, refused_at, success,
};
use super::json::Json;
use super::pagination::{Links, ListUrl, PAGE_PARAMS};
use super::path::{Found, Path};
use crate::domain::ids::SupplierId;
use crate::domain::supplier::{self, Supplier, SupplierInput};
use crate::domain::version::{Tag, Version};
use crate::domain::{Invalid, text};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/v2/suppliers", get(list).post(create))
        .route("/v2/suppliers/{supplier_id}", get(show).put(update))
}

/// A supplier as returned by the API; absent optional fields are omitted.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplierBody {
    #[schema(example = "se-567")]
    #[schema(value_type = String)]
    pub supplier_id: SupplierId,
    #[schema(example = "Acme Widgets Inc")]
    pub supplier_name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(format = Email, example = "orders@acmewidgets.com")]
    #[schema(nullable = false)]
    pub supplier_email: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub address_line_1: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub address_line_2: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub city: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "US")]
    #[schema(nullable = false)]
    pub country_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub contact_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(nullable = false)]
    pub contact_phone: Option<String>,
}

impl From<Supplier> for SupplierBody {
    fn from(s: Supplier) -> Self {
        let f = s.fields;
        Self {
            supplier_id: s.id,
            supplier_name: f.supplier_name,
            supplier_email: f.supplier_email,
            address_line_1: f.address_line_1,
            address_line_2: f.address_line_2,
            city: f.city,
            state: f.state,
            postal_code: f.postal_code,
            country_code: f.country_code,
            contact_name: f.contact_name,
            contact_phone: f.contact_phone,
        }
    }
}

/// The body of create and update (a full replacement: omitted fields are cleared).
#[derive(Debug, ToSchema)]
#[expect(
    dead_code,
    reason = "describes the body and declares its fields (`http::declared`); bodies are read field by field"
)]
pub struct SupplierRequest {
    /// 1 to 200 characters; unique in the account, ignoring case.
    #[schema(example = "Acme Widgets Inc")]
    supplier_name: String,
    #[schema(format = Email)]
    #[schema(nullable = false)]
    supplier_email: Option<String>,
    #[schema(nullable = false)]
    address_line_1: Option<String>,
    #[schema(nullable = false)]
    address_line_2: Option<String>,
    #[schema(nullable = false)]
    city: Option<String>,
    #[schema(nullable = false)]
    state: Option<String>,
    #[schema(nullable = false)]
    postal_code: Option<String>,
    /// ISO 3166-1 alpha-2.
    #[schema(nullable = false)]
    country_code: Option<String>,
    #[schema(nullable = false)]
    contact_name: Option<String>,
    #[schema(nullable = false)]
    contact_phone: Option<String>,
}

declared!(SUPPLIER = SupplierRequest, SupplierBody, SupplierRequest);

/// The document gives `supplier_email` the `email` format, which an empty string does not
/// match; other optional strings read "" as "no value", but here it is refused.
fn email(value: &Value) -> Result<Option<String>, Invalid> {
    let raw = string(value)?;
    if raw.trim().is_empty() {
        return Err(Invalid::value(
            "must be an email address such as orders@example.com; omit the field for none",
        ));
    }
    supplier::parse_email(raw)
}

impl SupplierRequest {
    fn parse(body: &Value) -> ApiResult<SupplierInput> {
        let mut f = Fields::default();
        let Some(o) = f.root(body) else {
            return f.finish().map(|()| SupplierInput::default());
        };
        let short = |max: usize| move |v: &Value| text::optional(string(v)?, max);
        let input = SupplierInput {
            supplier_name: f
                .required(&o, "supplier_name", |v| supplier::parse_name(string(v)?))
                .unwrap_or_default(),
            supplier_email: given(&mut f, &o, "supplier_email", email).flatten(),
            address_line_1: given(&mut f, &o, "address_line_1", short(200)).flatten(),
            address_line_2: given(&mut f, &o, "address_line_2", short(200)).flatten(),
            city: given(&mut f, &o, "city", short(100)).flatten(),
            state: given(&mut f, &o, "state", short(100)).flatten(),
            postal_code: given(&mut f, &o, "postal_code", short(20)).flatten(),
            country_code: given(&mut f, &o, "country_code", |v| {
                supplier::parse_country_code(string(v)?)
            })
            .flatten(),
            contact_name: given(&mut f, &o, "contact_name", short(200)).flatten(),
            contact_phone: given(&mut f, &o, "contact_phone", short(50)).flatten(),
        };
        f.deny_undeclared(&o, &SUPPLIER);
        f.finish().map(|()| input)
    }
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupplierIdBody {
    #[schema(example = "se-567")]
    #[schema(value_type = String)]
    pub supplier_id: SupplierId,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SupplierList {
    pub suppliers: Vec<SupplierBody>,
    pub total: u64,
    pub page: u64,
    pub pages: u64,
    pub links: Links,
}

/// [list_suppliers](https://docs.shipstation.com/openapi/suppliers/list_suppliers)
#[utoipa::path(get, path = "/v2/suppliers", operation_id = "list_suppliers", tag = "suppliers",
    params(
        ("supplier_name" = Option<String>, Query, description = "Case-insensitive part of the name"),
        ("page_size" = Option<u32>, Query, minimum = 1, maximum = 500, description = "Default 50"),
        ("page" = Option<u32>, Query, minimum = 1, description = "Page number, from 1"),
        ("cursor" = Option<String>, Query, description = "Opaque position, from `links.next.href`"),
    ),
    responses((status = 200, body = SupplierList), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse)))]
pub async fn list(
    State(state): State<AppState>,
    Account(account): Account,
    url: ListUrl,
    QueryObject(query): QueryObject,
) -> ApiResult<Json<SupplierList>> {
    let mut f = Fields::default();
    let q: Obj<'_> = f.root(&query).expect("the query is always an object");
    let name = f
        .optional(&q, "supplier_name", |v| Ok(string(v)?.trim().to_owned()))
        .filter(|n| !n.is_empty());
    let page = url.read_page(&mut f, &q);
    f.deny_unknown(&q, &[&["supplier_name"][..], &PAGE_PARAMS[..]].concat());
    f.finish()?;
    let page = state.store.list_suppliers(account, name, page).await?;
    Ok(Json(SupplierList {
        links: url.links(&page),
        total: page.total,
        page: page.page,
        pages: page.pages(),
        suppliers: page.items.into_iter().map(SupplierBody::from).collect(),
    }))
}

/// [create_supplier](https://docs.shipstation.com/openapi/suppliers/create_supplier)
// The links let fuzzers (schemathesis) follow a created id into the operations that use it.
#[utoipa::path(post, path = "/v2/suppliers", operation_id = "create_supplier", tag = "suppliers", params(KeyedCreate),
    request_body = SupplierRequest,
    responses((status = 200, body = SupplierIdBody, links(
        ("get_supplier" = (operation_id = "get_supplier", parameters(("supplier_id" = "$response.body#/supplier_id")))),
        ("update_supplier" = (operation_id = "update_supplier", parameters(("supplier_id" = "$response.body#/supplier_id"))))), headers(("ETag" = String, description = "The object's version, for If-Match and If-None-Match"))), (status = 400, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 422, body = ErrorResponse, description = "Idempotency-Key used before with another request")))]
pub async fn create(
    State(state): State<AppState>,
    Account(account): Account,
    write: WriteHeaders,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let input = SupplierRequest::parse(&body)?;
    let rid = write.request_id();
    let render: Render<SupplierId> = Arc::new(move |outcome| match outcome {
        Ok(id) => success(
            StatusCode::OK,
            &SupplierIdBody { supplier_id: *id },
            Some(Tag::of(Version::FIRST)),
        ),
        Err(err) => refused(err, rid),
    });
    let written = write
        .run(account, &body, render, |w| {
            state.store.create_supplier(w, input)
        })
        .await;
    Ok(written.response)
}

/// [get_supplier](https://docs.shipstation.com/openapi/suppliers/get_supplier)
#[utoipa::path(get, path = "/v2/suppliers/{supplier_id}", operation_id = "get_supplier", tag = "suppliers",
    params(("supplier_id" = String, Path, example = "se-567"), ConditionalRead),
    responses((status = 200, body = SupplierBody, headers(("ETag" = String, description = "The object's version, for If-Match and If-None-Match"))), (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 304, description = "If-None-Match names the current version", headers(("ETag" = String, description = "The object's version, for If-Match and If-None-Match")))))]
pub async fn show(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<SupplierId>,
    headers: HeaderMap,
) -> ApiResult<Response> {
    let supplier = state.store.get_supplier(account, id).await.found(id)?;
    let tag = supplier.tag();
    Ok(read_answer(
        &headers,
        tag,
        Json(SupplierBody::from(supplier)),
    ))
}

/// [update_supplier](https://docs.shipstation.com/openapi/suppliers/update_supplier)
#[utoipa::path(put, path = "/v2/suppliers/{supplier_id}", operation_id = "update_supplier", tag = "suppliers",
    params(("supplier_id" = String, Path, example = "se-567"), KeyedChange),
    request_body = SupplierRequest,
    responses((status = 200, body = SupplierIdBody, headers(("ETag" = String, description = "The object's version, for If-Match and If-None-Match"))), (status = 400, body = ErrorResponse),
              (status = 404, body = ErrorResponse), (status = 401, body = ErrorResponse), (status = 412, body = ErrorResponse, description = "If-Match names a version the object no longer is"), (status = 422, body = ErrorResponse, description = "Idempotency-Key used before with another request")))]
pub async fn update(
    State(state): State<AppState>,
    Account(account): Account,
    Path(id): Path<SupplierId>,
    write: WriteHeaders,
    JsonBody(body): JsonBody,
) -> ApiResult<Response> {
    let input = SupplierRequest::parse(&body)?;
    let rid = write.request_id();
    let render: Render<Tag> = Arc::new(move |outcome| match outcome {
        Ok(tag) => success(
            StatusCode::OK,
            &SupplierIdBody { supplier_id: id },
            Some(*tag),
        ),
        Err(err) => refused_at(err, id, rid),
    });
    let written = write
        .run(account, &body, render, |w| {
            state.store.update_supplier(w, id, input)
        })
        .await;
    Ok(written.response)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::declared::tests::{every_field_wrong, named, sorted};

    #[test]
    fn every_field_the_document_declares_is_read() {
        let body = every_field_wrong(&SUPPLIER);
        let refused = SupplierRequest::parse(&body).expect_err("every field is wrong");
        assert_eq!(named(refused, ""), sorted(&SUPPLIER));
    }
}
