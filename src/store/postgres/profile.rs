//! The buying company's profile (`account_profiles`), one row per account once set.

use sqlx::{PgConnection, Row};

use super::db;
use crate::domain::address::{AccountProfile, Address};
use crate::domain::ids::AccountId;
use crate::domain::logo::Logo;
use crate::store::{StoreResult, now};

pub async fn get(conn: &mut PgConnection, account: AccountId) -> StoreResult<AccountProfile> {
    let row = sqlx::query(
        "SELECT company_name, email, phone, tax_id, address_line_1, address_line_2, city, state,
                postal_code, country_code
         FROM account_profiles WHERE account_id = $1",
    )
    .bind(account.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    let Some(r) = row else {
        return Ok(AccountProfile::default());
    };
    let text = |index: usize| r.try_get::<Option<String>, _>(index).map_err(db);
    Ok(AccountProfile {
        company_name: text(0)?,
        email: text(1)?,
        phone: text(2)?,
        tax_id: text(3)?,
        address: Address {
            address_line_1: text(4)?,
            address_line_2: text(5)?,
            city: text(6)?,
            state: text(7)?,
            postal_code: text(8)?,
            country_code: text(9)?,
        },
    })
}

pub async fn put(
    conn: &mut PgConnection,
    account: AccountId,
    p: &AccountProfile,
) -> StoreResult<()> {
    let a = &p.address;
    sqlx::query(
        "INSERT INTO account_profiles (account_id, company_name, email, phone, tax_id,
             address_line_1, address_line_2, city, state, postal_code, country_code, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (account_id) DO UPDATE SET company_name = excluded.company_name,
             email = excluded.email, phone = excluded.phone, tax_id = excluded.tax_id,
             address_line_1 = excluded.address_line_1, address_line_2 = excluded.address_line_2,
             city = excluded.city, state = excluded.state, postal_code = excluded.postal_code,
             country_code = excluded.country_code, updated_at = excluded.updated_at",
    )
    .bind(account.0)
    .bind(&p.company_name)
    .bind(&p.email)
    .bind(&p.phone)
    .bind(&p.tax_id)
    .bind(&a.address_line_1)
    .bind(&a.address_line_2)
    .bind(&a.city)
    .bind(&a.state)
    .bind(&a.postal_code)
    .bind(&a.country_code)
    .bind(now())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

pub async fn logo(conn: &mut PgConnection, account: AccountId) -> StoreResult<Option<Logo>> {
    let row = sqlx::query(
        "SELECT content_type, image, width, height FROM account_logos WHERE account_id = $1",
    )
    .bind(account.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    let Some(r) = row else { return Ok(None) };
    let size = |index: usize| {
        r.try_get::<i64, _>(index)
            .map_err(db)
            .map(|n| u32::try_from(n).unwrap_or(0))
    };
    crate::store::rows::logo(
        &r.try_get::<String, _>(0).map_err(db)?,
        r.try_get(1).map_err(db)?,
        size(2)?,
        size(3)?,
    )
    .map(Some)
}

pub async fn put_logo(
    conn: &mut PgConnection,
    account: AccountId,
    logo: Option<&Logo>,
) -> StoreResult<()> {
    match logo {
        Some(logo) => sqlx::query(
            "INSERT INTO account_logos (account_id, content_type, image, width, height, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (account_id) DO UPDATE SET content_type = excluded.content_type,
                 image = excluded.image, width = excluded.width, height = excluded.height,
                 updated_at = excluded.updated_at",
        )
        .bind(account.0)
        .bind(logo.image_type.content_type())
        .bind(logo.image.as_slice())
        .bind(i64::from(logo.width))
        .bind(i64::from(logo.height))
        .bind(now()),
        None => sqlx::query("DELETE FROM account_logos WHERE account_id = $1").bind(account.0),
    }
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}
