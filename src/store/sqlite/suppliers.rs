use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use super::rows::{all, one};
use super::{count, db, page_bounds, version_of};
use crate::domain::ids::{AccountId, SupplierId};
use crate::domain::page::{Page, PageRequest};
use crate::domain::refusal::Refusal;
use crate::domain::supplier::{Supplier, SupplierInput, name_key};
use crate::domain::version::{Precondition, Tag, Version};
use crate::store::Write;
use crate::store::rows::statement;
use crate::store::write::check;
use crate::store::{StoreError, StoreResult, found};
use crate::store::{Suppliers, rows};
use async_trait::async_trait;

pub fn create(
    conn: &Connection,
    account: AccountId,
    input: &SupplierInput,
) -> StoreResult<SupplierId> {
    ensure_name_free(conn, account, None, &input.supplier_name)?;
    let now = crate::store::now().timestamp_micros();
    conn.prepare_cached(
        "INSERT INTO suppliers (account_id, name, name_key, email, address_line_1, address_line_2, city, state,
                                postal_code, country_code, contact_name, contact_phone, created_at, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?13)",
    )
    .and_then(|mut s| {
        s.execute(params![
            account.0,
            input.supplier_name,
            name_key(&input.supplier_name),
            input.supplier_email,
            input.address_line_1,
            input.address_line_2,
            input.city,
            input.state,
            input.postal_code,
            input.country_code,
            input.contact_name,
            input.contact_phone,
            now
        ])
    })
    .map_err(db)?;
    Ok(SupplierId(conn.last_insert_rowid()))
}

pub fn get(conn: &Connection, account: AccountId, id: SupplierId) -> StoreResult<Supplier> {
    one(
        conn,
        statement!(
            "SELECT {} FROM suppliers WHERE account_id = ?1 AND id = ?2",
            rows::supplier::SQL
        ),
        params![account.0, id.0],
        |row| rows::read_supplier(row),
    )
}

pub fn update(
    conn: &Connection,
    account: AccountId,
    id: SupplierId,
    input: &SupplierInput,
    precondition: Option<&Precondition>,
) -> StoreResult<Tag> {
    if precondition.is_some() {
        let current = Tag::of(version_of(conn, "suppliers", account, id.0)?);
        check(precondition, current)?;
    }
    ensure_name_free(conn, account, Some(id), &input.supplier_name)?;
    let version: Option<i64> = conn
        .prepare_cached(
            "UPDATE suppliers SET name = ?3, name_key = ?4, email = ?5, address_line_1 = ?6, address_line_2 = ?7,
                    city = ?8, state = ?9, postal_code = ?10, country_code = ?11, contact_name = ?12,
                    contact_phone = ?13, updated_at = ?14, version = version + 1
             WHERE account_id = ?1 AND id = ?2
             RETURNING version",
        )
        .and_then(|mut s| {
            s.query_row(params![
                account.0,
                id.0,
                input.supplier_name,
                name_key(&input.supplier_name),
                input.supplier_email,
                input.address_line_1,
                input.address_line_2,
                input.city,
                input.state,
                input.postal_code,
                input.country_code,
                input.contact_name,
                input.contact_phone,
                crate::store::now().timestamp_micros()
            ], |r| r.get(0))
            .optional()
        })
        .map_err(db)?;
    version
        .map(|v| Tag::of(Version(v)))
        .ok_or(StoreError::NotFound)
}

pub fn list(
    conn: &Connection,
    account: AccountId,
    name_contains: Option<&str>,
    page: &PageRequest,
) -> StoreResult<Page<Supplier>> {
    // `instr` on the lower-cased name: a case-insensitive substring match with no LIKE escaping.
    let needle = name_contains.map(|n| n.to_lowercase());
    let total = count(
        conn,
        page,
        "SELECT COUNT(*) FROM suppliers WHERE account_id = ?1 AND (?2 IS NULL OR instr(name_key, ?2) > 0)",
        &[&account.0, &needle],
    )?;
    let (after, limit, offset) = page_bounds(page);
    let suppliers = all(
        conn,
        statement!(
            "SELECT {} FROM suppliers
             WHERE account_id = ?1 AND (?2 IS NULL OR instr(name_key, ?2) > 0) AND id < ?3
             ORDER BY id DESC LIMIT ?4 OFFSET ?5",
            rows::supplier::SQL
        ),
        params![account.0, needle, after, limit, offset],
        |row| rows::read_supplier(row),
    )?;
    Ok(Page::from_rows(suppliers, page, total, |s| s.id.0))
}

fn ensure_name_free(
    conn: &Connection,
    account: AccountId,
    except: Option<SupplierId>,
    name: &str,
) -> StoreResult<()> {
    let taken: Option<i64> = conn
        .prepare_cached("SELECT id FROM suppliers WHERE account_id = ?1 AND name_key = ?2")
        .and_then(|mut s| {
            s.query_row(params![account.0, name_key(name)], |r| r.get(0))
                .optional()
        })
        .map_err(db)?;
    match taken {
        Some(other) if Some(SupplierId(other)) != except => {
            Err(StoreError::rejected(Refusal::SupplierNameTaken {
                name: name.to_owned(),
                by: SupplierId(other),
            }))
        }
        _ => Ok(()),
    }
}

#[async_trait]
impl Suppliers for SqliteStore {
    #[tracing::instrument(name = "store.create_supplier", level = "debug", skip_all, fields(account = %w.account))]
    async fn create_supplier(
        &self,
        w: Write<SupplierId>,
        input: SupplierInput,
    ) -> StoreResult<SupplierId> {
        let account = w.account;
        self.write_once(account, w.once, move |c| create(c, account, &input))
            .await
    }

    #[tracing::instrument(name = "store.get_supplier", level = "debug", skip_all, fields(account = %account, id = %id))]
    async fn get_supplier(
        &self,
        account: AccountId,
        id: SupplierId,
    ) -> StoreResult<Option<Supplier>> {
        found(self.engine.read_now(move |c| get(c, account, id)))
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
        self.write_once(account, once, move |c| {
            update(c, account, id, &input, precondition.as_ref())
        })
        .await
    }

    #[tracing::instrument(name = "store.list_suppliers", level = "debug", skip_all, fields(account = %account))]
    async fn list_suppliers(
        &self,
        account: AccountId,
        name_contains: Option<String>,
        page: PageRequest,
    ) -> StoreResult<Page<Supplier>> {
        self.engine
            .read(move |c| list(c, account, name_contains.as_deref(), &page))
            .await
    }
}
