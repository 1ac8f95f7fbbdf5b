//! The buying company's profile (`account_profiles`), one row per account once set.

use rusqlite::{Connection, OptionalExtension, params};

use super::db;
use crate::domain::address::{AccountProfile, Address};
use crate::domain::ids::AccountId;
use crate::domain::logo::Logo;
use crate::store::StoreResult;

pub fn get(conn: &Connection, account: AccountId) -> StoreResult<AccountProfile> {
    conn.prepare_cached(
        "SELECT company_name, email, phone, tax_id, address_line_1, address_line_2, city, state,
                postal_code, country_code
         FROM account_profiles WHERE account_id = ?1",
    )
    .and_then(|mut s| {
        s.query_row(params![account.0], |r| {
            Ok(AccountProfile {
                company_name: r.get(0)?,
                email: r.get(1)?,
                phone: r.get(2)?,
                tax_id: r.get(3)?,
                address: Address {
                    address_line_1: r.get(4)?,
                    address_line_2: r.get(5)?,
                    city: r.get(6)?,
                    state: r.get(7)?,
                    postal_code: r.get(8)?,
                    country_code: r.get(9)?,
                },
            })
        })
        .optional()
    })
    .map(Option::unwrap_or_default)
    .map_err(db)
}

pub fn put(conn: &Connection, account: AccountId, p: &AccountProfile) -> StoreResult<()> {
    let a = &p.address;
    conn.prepare_cached(
        "INSERT INTO account_profiles (account_id, company_name, email, phone, tax_id,
             address_line_1, address_line_2, city, state, postal_code, country_code, updated_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (account_id) DO UPDATE SET company_name = excluded.company_name,
             email = excluded.email, phone = excluded.phone, tax_id = excluded.tax_id,
             address_line_1 = excluded.address_line_1, address_line_2 = excluded.address_line_2,
             city = excluded.city, state = excluded.state, postal_code = excluded.postal_code,
             country_code = excluded.country_code, updated_at = excluded.updated_at",
    )
    .and_then(|mut s| {
        s.execute(params![
            account.0,
            p.company_name,
            p.email,
            p.phone,
            p.tax_id,
            a.address_line_1,
            a.address_line_2,
            a.city,
            a.state,
            a.postal_code,
            a.country_code,
            crate::store::now().timestamp_micros()
        ])
    })
    .map_err(db)?;
    Ok(())
}

pub fn logo(conn: &Connection, account: AccountId) -> StoreResult<Option<Logo>> {
    conn.prepare_cached(
        "SELECT content_type, image, width, height FROM account_logos WHERE account_id = ?1",
    )
    .and_then(|mut s| {
        s.query_row(params![account.0], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, Vec<u8>>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, u32>(3)?,
            ))
        })
        .optional()
    })
    .map_err(db)?
    .map(|(content_type, image, width, height)| {
        crate::store::rows::logo(&content_type, image, width, height)
    })
    .transpose()
}

pub fn put_logo(conn: &Connection, account: AccountId, logo: Option<&Logo>) -> StoreResult<()> {
    match logo {
        Some(logo) => conn
            .prepare_cached(
                "INSERT INTO account_logos (account_id, content_type, image, width, height, updated_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (account_id) DO UPDATE SET content_type = excluded.content_type,
                     image = excluded.image, width = excluded.width, height = excluded.height,
                     updated_at = excluded.updated_at",
            )
            .and_then(|mut s| {
                s.execute(params![
                    account.0,
                    logo.image_type.content_type(),
                    logo.image.as_slice(),
                    logo.width,
                    logo.height,
                    crate::store::now().timestamp_micros()
                ])
            }),
        None => conn
            .prepare_cached("DELETE FROM account_logos WHERE account_id = ?1")
            .and_then(|mut s| s.execute(params![account.0])),
    }
    .map_err(db)?;
    Ok(())
}
