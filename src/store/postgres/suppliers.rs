use sqlx::{Acquire, PgConnection};

use super::PgStore;
use super::errors::is_unique_violation;
use super::{db, page_bounds};
use crate::domain::ids::{AccountId, SupplierId};
use crate::domain::page::{Page, PageRequest};
use crate::domain::refusal::Refusal;
use crate::domain::supplier::{Supplier, SupplierInput, name_key};
use crate::domain::version::{Precondition, Tag, Version};
use crate::store::Write;
use crate::store::write::check;
use crate::store::{StoreError, StoreResult, found, now};
use crate::store::{Suppliers, rows};
use async_trait::async_trait;

const COLUMNS: &str = rows::supplier::SQL;

/// The unique constraint on `(account_id, name_key)`: the last word on duplicate names when two
/// writers race past [`ensure_name_free`].
const NAME_UNIQUE: &str = "suppliers_name_unique";

pub async fn create(
    conn: &mut PgConnection,
    account: AccountId,
    input: &SupplierInput,
) -> StoreResult<SupplierId> {
    ensure_name_free(conn, account, None, &input.supplier_name).await?;
    let now = now();
    let id: Option<i64> = sqlx::query_scalar(
        "INSERT INTO suppliers (account_id, name, name_key, email, address_line_1, address_line_2, city, state,
                                postal_code, country_code, contact_name, contact_phone, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13)
         ON CONFLICT ON CONSTRAINT suppliers_name_unique DO NOTHING
         RETURNING id",
    )
    .bind(account.0)
    .bind(&input.supplier_name)
    .bind(name_key(&input.supplier_name))
    .bind(&input.supplier_email)
    .bind(&input.address_line_1)
    .bind(&input.address_line_2)
    .bind(&input.city)
    .bind(&input.state)
    .bind(&input.postal_code)
    .bind(&input.country_code)
    .bind(&input.contact_name)
    .bind(&input.contact_phone)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    match id {
        Some(id) => Ok(SupplierId(id)),
        // Another writer committed the same name after our check: report it like the check would.
        None => Err(taken_by_other(conn, account, &input.supplier_name).await),
    }
}

pub async fn get(
    conn: &mut PgConnection,
    account: AccountId,
    id: SupplierId,
) -> StoreResult<Supplier> {
    sqlx::query(&format!(
        "SELECT {COLUMNS} FROM suppliers WHERE account_id = $1 AND id = $2"
    ))
    .bind(account.0)
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .map(|row| rows::read_supplier(&row))
    .transpose()?
    .ok_or(StoreError::NotFound)
}

pub async fn update(
    conn: &mut PgConnection,
    account: AccountId,
    id: SupplierId,
    input: &SupplierInput,
    precondition: Option<&Precondition>,
) -> StoreResult<Tag> {
    if precondition.is_some() {
        // Locked, so that no other write slips in between the check and this one.
        let current: i64 = sqlx::query_scalar(
            "SELECT version FROM suppliers WHERE account_id = $1 AND id = $2 FOR UPDATE",
        )
        .bind(account.0)
        .bind(id.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .ok_or(StoreError::NotFound)?;
        check(precondition, Tag::of(Version(current)))?;
    }
    ensure_name_free(conn, account, Some(id), &input.supplier_name).await?;
    // A savepoint, so that a unique violation leaves the transaction usable for the lookup
    // that names the other supplier.
    let mut savepoint = conn.begin().await.map_err(db)?;
    let outcome = sqlx::query_scalar::<_, i64>(
        "UPDATE suppliers SET name = $3, name_key = $4, email = $5, address_line_1 = $6, address_line_2 = $7,
                city = $8, state = $9, postal_code = $10, country_code = $11, contact_name = $12,
                contact_phone = $13, updated_at = $14, version = version + 1
         WHERE account_id = $1 AND id = $2
         RETURNING version",
    )
    .bind(account.0)
    .bind(id.0)
    .bind(&input.supplier_name)
    .bind(name_key(&input.supplier_name))
    .bind(&input.supplier_email)
    .bind(&input.address_line_1)
    .bind(&input.address_line_2)
    .bind(&input.city)
    .bind(&input.state)
    .bind(&input.postal_code)
    .bind(&input.country_code)
    .bind(&input.contact_name)
    .bind(&input.contact_phone)
    .bind(now())
    .fetch_optional(&mut *savepoint)
    .await;
    match outcome {
        Ok(version) => {
            savepoint.commit().await.map_err(db)?;
            version
                .map(|v| Tag::of(Version(v)))
                .ok_or(StoreError::NotFound)
        }
        Err(err) if is_unique_violation(&err, NAME_UNIQUE) => {
            savepoint.rollback().await.map_err(db)?;
            Err(taken_by_other(conn, account, &input.supplier_name).await)
        }
        Err(err) => Err(db(err)),
    }
}

pub async fn list(
    conn: &mut PgConnection,
    account: AccountId,
    name_contains: Option<&str>,
    page: &PageRequest,
) -> StoreResult<Page<Supplier>> {
    // `strpos` on the case-folded name: a case-insensitive substring match with no LIKE escaping.
    let needle = name_contains.map(name_key);
    let total = match page.known_total() {
        Some(total) => total,
        None => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM suppliers WHERE account_id = $1 AND ($2::text IS NULL OR strpos(name_key, $2) > 0)",
        )
        .bind(account.0)
        .bind(&needle)
        .fetch_one(&mut *conn)
        .await
        .map_err(db)? as u64,
    };
    let (after, limit, offset) = page_bounds(page);
    let rows = sqlx::query(&format!(
        "SELECT {COLUMNS} FROM suppliers
         WHERE account_id = $1 AND ($2::text IS NULL OR strpos(name_key, $2) > 0) AND id < $3
         ORDER BY id DESC LIMIT $4 OFFSET $5"
    ))
    .bind(account.0)
    .bind(&needle)
    .bind(after)
    .bind(limit)
    .bind(offset)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .iter()
    .map(rows::read_supplier)
    .collect::<StoreResult<Vec<_>>>()?;
    Ok(Page::from_rows(rows, page, total, |s| s.id.0))
}

async fn ensure_name_free(
    conn: &mut PgConnection,
    account: AccountId,
    except: Option<SupplierId>,
    name: &str,
) -> StoreResult<()> {
    match holder_of(conn, account, name).await? {
        Some(other) if Some(other) != except => Err(duplicate(name, other)),
        _ => Ok(()),
    }
}

async fn holder_of(
    conn: &mut PgConnection,
    account: AccountId,
    name: &str,
) -> StoreResult<Option<SupplierId>> {
    sqlx::query_scalar("SELECT id FROM suppliers WHERE account_id = $1 AND name_key = $2")
        .bind(account.0)
        .bind(name_key(name))
        .fetch_optional(&mut *conn)
        .await
        .map(|id| id.map(SupplierId))
        .map_err(db)
}

/// The error for a name the unique constraint refused: names the supplier that holds it, read in
/// a new statement that sees the other writer's commit.
async fn taken_by_other(conn: &mut PgConnection, account: AccountId, name: &str) -> StoreError {
    match holder_of(conn, account, name).await {
        Ok(Some(other)) => duplicate(name, other),
        Ok(None) => StoreError::Internal(
            format!("supplier name '{name}' conflicted but no holder was found").into(),
        ),
        Err(err) => err,
    }
}

fn duplicate(name: &str, other: SupplierId) -> StoreError {
    StoreError::rejected(Refusal::SupplierNameTaken {
        name: name.to_owned(),
        by: other,
    })
}

#[async_trait]
impl Suppliers for PgStore {
    #[tracing::instrument(name = "store.create_supplier", level = "debug", skip_all, fields(account = %w.account))]
    async fn create_supplier(
        &self,
        w: Write<SupplierId>,
        input: SupplierInput,
    ) -> StoreResult<SupplierId> {
        let account = w.account;
        write_once!(self, account, w.once, |tx| create(&mut tx, account, &input)
            .await)
    }

    #[tracing::instrument(name = "store.get_supplier", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn get_supplier(
        &self,
        account: AccountId,
        id: SupplierId,
    ) -> StoreResult<Option<Supplier>> {
        found(read!(self, |conn| get(&mut conn, account, id).await))
    }

    #[tracing::instrument(name = "store.update_supplier", level = "debug", skip_all, fields(account = %w.account, id = %id))]
    async fn update_supplier(
        &self,
        w: Write<Tag>,
        id: SupplierId,
        input: SupplierInput,
    ) -> StoreResult<Tag> {
        let Write {
            account,
            precondition,
            once,
            ..
        } = w;
        write_once!(self, account, once, |tx| update(
            &mut tx,
            account,
            id,
            &input,
            precondition.as_ref()
        )
        .await)
    }

    #[tracing::instrument(name = "store.list_suppliers", level = "debug", skip_all, fields(account = %account))]
    async fn list_suppliers(
        &self,
        account: AccountId,
        name_contains: Option<String>,
        page: PageRequest,
    ) -> StoreResult<Page<Supplier>> {
        read!(self, |conn| list(
            &mut conn,
            account,
            name_contains.as_deref(),
            &page
        )
        .await)
    }
}
