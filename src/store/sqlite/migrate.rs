//! Schema migrations, numbered and named in lockstep with `migrations/postgres/`.

use rusqlite::Connection;

use crate::store::{StoreError, StoreResult};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    pub sql: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "init",
        sql: include_str!("../../../migrations/sqlite/0001_init.sql"),
    },
    Migration {
        version: 2,
        name: "receiving",
        sql: include_str!("../../../migrations/sqlite/0002_receiving.sql"),
    },
    Migration {
        version: 3,
        name: "order_counts",
        sql: include_str!("../../../migrations/sqlite/0003_order_counts.sql"),
    },
    Migration {
        version: 4,
        name: "stock_value",
        sql: include_str!("../../../migrations/sqlite/0004_stock_value.sql"),
    },
    Migration {
        version: 5,
        name: "secrets",
        sql: include_str!("../../../migrations/sqlite/0005_secrets.sql"),
    },
    Migration {
        version: 6,
        name: "versions_and_keys",
        sql: include_str!("../../../migrations/sqlite/0006_versions_and_keys.sql"),
    },
    Migration {
        version: 7,
        name: "events_and_webhooks",
        sql: include_str!("../../../migrations/sqlite/0007_events_and_webhooks.sql"),
    },
    Migration {
        version: 8,
        name: "account_profile_and_warehouse_address",
        sql: include_str!(
            "../../../migrations/sqlite/0008_account_profile_and_warehouse_address.sql"
        ),
    },
    Migration {
        version: 9,
        name: "users_and_sessions",
        sql: include_str!("../../../migrations/sqlite/0009_users_and_sessions.sql"),
    },
    Migration {
        version: 10,
        name: "key_use_and_mail_outbox",
        sql: include_str!("../../../migrations/sqlite/0010_key_use_and_mail_outbox.sql"),
    },
    Migration {
        version: 11,
        name: "pending_deliveries_and_logos",
        sql: include_str!("../../../migrations/sqlite/0011_pending_deliveries_and_logos.sql"),
    },
    Migration {
        version: 12,
        name: "delivery_queues",
        sql: include_str!("../../../migrations/sqlite/0012_delivery_queues.sql"),
    },
];

/// Applies every migration not yet applied, all in one exclusive transaction, so that two
/// processes starting at once cannot both apply the same one.
pub fn run(conn: &mut Connection) -> StoreResult<()> {
    let tx = conn
        .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
        .map_err(super::unavailable)?;
    tx.execute_batch(
        "CREATE TABLE IF NOT EXISTS schema_migrations (
             version     INTEGER PRIMARY KEY,
             name        TEXT    NOT NULL,
             applied_at  INTEGER NOT NULL
         )",
    )
    .map_err(super::db)?;
    let applied: i64 = tx
        .query_row(
            "SELECT COALESCE(MAX(version), 0) FROM schema_migrations",
            [],
            |r| r.get(0),
        )
        .map_err(super::db)?;
    let newest = MIGRATIONS.last().map_or(0, |m| m.version);
    if applied > newest {
        return Err(StoreError::Internal(format!(
            "the database is at schema version {applied}, newer than this program knows ({newest}); upgrade procura"
        ).into()));
    }
    for migration in MIGRATIONS.iter().filter(|m| m.version > applied) {
        tx.execute_batch(migration.sql).map_err(|e| {
            StoreError::Internal(
                format!(
                    "migration {} ({}) failed: {e}",
                    migration.version, migration.name
                )
                .into(),
            )
        })?;
        tx.execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)",
            rusqlite::params![
                migration.version,
                migration.name,
                chrono::Utc::now().timestamp_micros()
            ],
        )
        .map_err(super::db)?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "applied migration"
        );
    }
    tx.commit().map_err(super::unavailable)
}

/// An in-memory database at schema version `version`, as an older procura left it, for tests
/// of the migrations after it.
#[cfg(test)]
pub fn database_at(version: i64) -> Connection {
    let conn = Connection::open_in_memory().expect("an in-memory database");
    conn.execute_batch(
        "CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,
                                         applied_at INTEGER NOT NULL)",
    )
    .expect("the migrations table");
    for m in MIGRATIONS.iter().filter(|m| m.version <= version) {
        conn.execute_batch(m.sql).expect("an old migration");
        conn.execute(
            "INSERT INTO schema_migrations VALUES (?1, ?2, 0)",
            rusqlite::params![m.version, m.name],
        )
        .expect("its record");
    }
    conn
}
