//! Schema migrations, numbered and named in lockstep with `migrations/sqlite/`, embedded in the
//! binary and applied by sqlx's migrator.
//!
//! sqlx takes a session-level advisory lock (`pg_advisory_lock`, keyed on the database name)
//! before it reads `_sqlx_migrations` and releases it when done, so servers starting at once
//! queue up and each migration is applied once, in its own transaction.

use std::borrow::Cow;
use std::future::Future;
use std::pin::Pin;

use sqlx::PgConnection;
use sqlx_core::error::BoxDynError;
use sqlx_core::migrate::{Migration, MigrationSource, MigrationType, Migrator};

use crate::store::{Fault, StoreError, StoreResult};

/// `(version, name, sql)`; the file is `migrations/postgres/{version:04}_{name}.sql`.
pub const MIGRATIONS: &[(i64, &str, &str)] = &[
    (
        1,
        "init",
        include_str!("../../../migrations/postgres/0001_init.sql"),
    ),
    (
        2,
        "receiving",
        include_str!("../../../migrations/postgres/0002_receiving.sql"),
    ),
    (
        3,
        "order_counts",
        include_str!("../../../migrations/postgres/0003_order_counts.sql"),
    ),
    (
        4,
        "stock_value",
        include_str!("../../../migrations/postgres/0004_stock_value.sql"),
    ),
    (
        5,
        "secrets",
        include_str!("../../../migrations/postgres/0005_secrets.sql"),
    ),
    (
        6,
        "versions_and_keys",
        include_str!("../../../migrations/postgres/0006_versions_and_keys.sql"),
    ),
    (
        7,
        "events_and_webhooks",
        include_str!("../../../migrations/postgres/0007_events_and_webhooks.sql"),
    ),
    (
        8,
        "account_profile_and_warehouse_address",
        include_str!("../../../migrations/postgres/0008_account_profile_and_warehouse_address.sql"),
    ),
    (
        9,
        "users_and_sessions",
        include_str!("../../../migrations/postgres/0009_users_and_sessions.sql"),
    ),
    (
        10,
        "key_use_and_mail_outbox",
        include_str!("../../../migrations/postgres/0010_key_use_and_mail_outbox.sql"),
    ),
    (
        11,
        "pending_deliveries_and_logos",
        include_str!("../../../migrations/postgres/0011_pending_deliveries_and_logos.sql"),
    ),
    (
        12,
        "delivery_queues",
        include_str!("../../../migrations/postgres/0012_delivery_queues.sql"),
    ),
];

/// The migrations compiled into this binary, as a source for sqlx's [`Migrator`].
#[derive(Debug)]
struct Embedded;

impl MigrationSource<'static> for Embedded {
    fn resolve(
        self,
    ) -> Pin<Box<dyn Future<Output = Result<Vec<Migration>, BoxDynError>> + Send + 'static>> {
        Box::pin(async {
            Ok(MIGRATIONS
                .iter()
                .map(|&(version, name, sql)| {
                    Migration::new(
                        version,
                        Cow::Borrowed(name),
                        MigrationType::Simple,
                        Cow::Borrowed(sql),
                        false,
                    )
                })
                .collect())
        })
    }
}

/// Applies every migration not yet applied. Run it on a connection of its own and close that
/// connection afterwards: should a migration fail, closing the session releases the lock.
pub async fn run(conn: &mut PgConnection) -> StoreResult<()> {
    let migrator = Migrator::new(Embedded).await.map_err(|e| {
        StoreError::Internal(Fault::caused_by("reading the embedded migrations", e))
    })?;
    migrator.run_direct(conn).await.map_err(|err| match err {
        sqlx_core::migrate::MigrateError::Execute(e) => super::db(e),
        other => StoreError::Internal(Fault::caused_by("migrating the PostgreSQL schema", other)),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_migration_file_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/migrations/postgres");
        let mut files: Vec<String> = std::fs::read_dir(dir)
            .expect("the migrations directory")
            .map(|entry| {
                entry
                    .expect("an entry")
                    .file_name()
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        files.sort();
        let embedded: Vec<String> = MIGRATIONS
            .iter()
            .map(|(version, name, _)| format!("{version:04}_{name}.sql"))
            .collect();
        assert_eq!(files, embedded);
    }
}
