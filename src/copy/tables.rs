//! What `procura copy` copies: every table, column by column, in foreign-key order, and the
//! counts and sums that must come out equal on both sides.

use chrono::{DateTime, NaiveDate, Utc};

/// The schema version (both databases) these tables describe. A new migration must update the
/// tables below and this number; the tests below fail until it does.
pub const SCHEMA_VERSION: i64 = 12;

/// SQLite columns that are not copied: how the SQLite delivery worker keeps its queues, which
/// PostgreSQL does without (migrations/sqlite/0012_delivery_queues.sql).
pub const SQLITE_ONLY: &[(&str, &str)] = &[("webhook_deliveries", "queued")];

/// How a column is stored in SQLite and what it becomes in PostgreSQL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// INTEGER -> BIGINT (ids, quantities, money micros).
    Int,
    OptInt,
    /// TEXT of decimal digits -> NUMERIC (stock value in micros, past 64 bits).
    Numeric,
    Text,
    OptText,
    /// BLOB -> BYTEA.
    Bytes,
    /// INTEGER microseconds since the epoch -> timestamptz.
    Time,
    OptTime,
    /// TEXT `YYYY-MM-DD` -> DATE.
    Day,
}

/// One column value, already converted to its PostgreSQL type.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Int(Option<i64>),
    /// The decimal digits, bound as text and cast to NUMERIC by PostgreSQL.
    Numeric(String),
    Text(Option<String>),
    Bytes(Vec<u8>),
    Time(Option<DateTime<Utc>>),
    Day(NaiveDate),
}

pub type Row = Vec<Value>;

pub struct Table {
    pub name: &'static str,
    pub columns: &'static [(&'static str, Kind)],
    /// The primary key, which is also the order rows are read and written in.
    pub key: &'static str,
    /// Whether `id` is an identity column whose sequence must move past the copied ids.
    pub identity: bool,
}

impl Table {
    pub fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|(name, _)| *name)
            .collect::<Vec<_>>()
            .join(", ")
    }
}

use Kind::{Bytes, Day, Int, Numeric, OptInt, OptText, OptTime, Text, Time};

/// Every table of the schema, parents before children.
pub const TABLES: &[Table] = &[
    Table {
        name: "secrets",
        columns: &[("name", Text), ("value", Bytes)],
        key: "name",
        identity: false,
    },
    Table {
        name: "accounts",
        columns: &[("id", Int), ("created_at", Time)],
        key: "id",
        identity: true,
    },
    Table {
        name: "api_keys",
        columns: &[
            ("id", Int),
            ("account_id", Int),
            ("key_hash", Bytes),
            ("hint", Text),
            ("created_at", Time),
            ("revoked_at", OptTime),
            ("label", Text),
            ("last_used_at", OptTime),
        ],
        key: "id",
        identity: true,
    },
    Table {
        name: "users",
        columns: &[
            ("id", Int),
            ("account_id", Int),
            ("email", Text),
            ("role", Text),
            ("password_hash", OptText),
            ("link_hash", OptText),
            ("link_expires_at", OptTime),
            ("failed_sign_ins", Int),
            ("throttled_until", OptTime),
            ("created_at", Time),
            ("disabled_at", OptTime),
        ],
        key: "id",
        identity: true,
    },
    Table {
        name: "sessions",
        columns: &[
            ("token_hash", Bytes),
            ("user_id", Int),
            ("created_at", Time),
            ("last_seen_at", Time),
        ],
        key: "token_hash",
        identity: false,
    },
    Table {
        name: "account_profiles",
        columns: &[
            ("account_id", Int),
            ("company_name", OptText),
            ("email", OptText),
            ("phone", OptText),
            ("tax_id", OptText),
            ("address_line_1", OptText),
            ("address_line_2", OptText),
            ("city", OptText),
            ("state", OptText),
            ("postal_code", OptText),
            ("country_code", OptText),
            ("updated_at", Time),
        ],
        key: "account_id",
        identity: false,
    },
    Table {
        name: "account_logos",
        columns: &[
            ("account_id", Int),
            ("content_type", Text),
            ("image", Bytes),
            ("width", Int),
            ("height", Int),
            ("updated_at", Time),
        ],
        key: "account_id",
        identity: false,
    },
    Table {
        name: "suppliers",
        columns: &[
            ("id", Int),
            ("account_id", Int),
            ("name", Text),
            ("name_key", Text),
            ("email", OptText),
            ("address_line_1", OptText),
            ("address_line_2", OptText),
            ("city", OptText),
            ("state", OptText),
            ("postal_code", OptText),
            ("country_code", OptText),
            ("contact_name", OptText),
            ("contact_phone", OptText),
            ("created_at", Time),
            ("updated_at", Time),
            ("version", Int),
        ],
        key: "id",
        identity: true,
    },
    Table {
        name: "inventory_warehouses",
        columns: &[
            ("id", Int),
            ("account_id", Int),
            ("name", Text),
            ("created_at", Time),
            ("updated_at", Time),
            ("version", Int),
            ("address_line_1", OptText),
            ("address_line_2", OptText),
            ("city", OptText),
            ("state", OptText),
            ("postal_code", OptText),
            ("country_code", OptText),
        ],
        key: "id",
        identity: true,
    },
    Table {
        name: "inventory_locations",
        columns: &[
            ("id", Int),
            ("account_id", Int),
            ("warehouse_id", Int),
            ("name", Text),
            ("barcode", OptText),
            ("created_at", Time),
            ("updated_at", Time),
            ("version", Int),
        ],
        key: "id",
        identity: true,
    },
    Table {
        name: "order_number_sequences",
        columns: &[("account_id", Int), ("day", Day), ("last_value", Int)],
        key: "account_id, day",
        identity: false,
    },
    Table {
        name: "purchase_orders",
        columns: &[
            ("id", Int),
            ("account_id", Int),
            ("order_number", Text),
            ("supplier_id", Int),
            ("warehouse_id", Int),
            ("status", Text),
            ("order_date", OptTime),
            ("expected_delivery_date", OptTime),
            ("payment_terms", Text),
            ("payment_status", Text),
            ("currency_code", Text),
            ("shipping_carrier", OptText),
            ("tracking_number", OptText),
            ("reference_number", OptText),
            ("note_to_supplier", OptText),
            ("created_at", Time),
            ("updated_at", Time),
            ("version", Int),
        ],
        key: "id",
        identity: true,
    },
    Table {
        name: "purchase_order_lines",
        columns: &[
            ("purchase_order_id", Int),
            ("line_no", Int),
            ("sku", Text),
            ("supplier_sku", OptText),
            ("quantity", Int),
            ("cost_micros", OptInt),
            ("received_quantity", Int),
            ("rejected_quantity", Int),
        ],
        key: "purchase_order_id, line_no",
        identity: false,
    },
    Table {
        name: "purchase_order_counts",
        columns: &[("account_id", Int), ("status", Text), ("n", Int)],
        key: "account_id, status",
        identity: false,
    },
    Table {
        name: "receipts",
        columns: &[
            ("id", Int),
            ("account_id", Int),
            ("purchase_order_id", Int),
            ("request_id", Text),
            ("received_at", Time),
            ("reversed_at", OptTime),
            ("reversal_request_id", OptText),
            ("recorded_by", OptText),
        ],
        key: "id",
        identity: true,
    },
    Table {
        name: "receipt_lines",
        columns: &[
            ("receipt_id", Int),
            ("line_no", Int),
            ("sku", Text),
            ("location_id", Int),
            ("received_quantity", Int),
            ("rejected_quantity", Int),
            ("lot", OptText),
            ("expiration_date", OptTime),
        ],
        key: "receipt_id, line_no",
        identity: false,
    },
    Table {
        name: "inventory_levels",
        columns: &[
            ("id", Int),
            ("account_id", Int),
            ("sku", Text),
            ("warehouse_id", Int),
            ("location_id", Int),
            ("lot", Text),
            ("on_hand", Int),
            ("cost_units", Int),
            ("cost_total_micros", Numeric),
            ("currency_code", OptText),
        ],
        key: "id",
        identity: true,
    },
    Table {
        name: "idempotency_keys",
        columns: &[
            ("account_id", Int),
            ("idempotency_key", Text),
            ("fingerprint", Bytes),
            ("status", Int),
            ("headers", Text),
            ("body", Bytes),
            ("created_at", Time),
            ("expires_at", Time),
        ],
        key: "account_id, idempotency_key",
        identity: false,
    },
    Table {
        name: "event_positions",
        columns: &[("account_id", Int), ("last_position", Int)],
        key: "account_id",
        identity: false,
    },
    Table {
        name: "events",
        columns: &[
            ("id", Int),
            ("account_id", Int),
            ("position", Int),
            ("purchase_order_id", Int),
            ("type", Text),
            ("occurred_at", Time),
            ("request_id", OptText),
            ("actor", Text),
            ("data", Text),
        ],
        key: "id",
        identity: true,
    },
    Table {
        name: "webhooks",
        columns: &[
            ("id", Int),
            ("account_id", Int),
            ("name", Text),
            ("url", Text),
            ("event", Text),
            ("headers", Text),
            ("secret", Text),
            ("failing_since", OptTime),
            ("created_at", Time),
        ],
        key: "id",
        identity: true,
    },
    Table {
        name: "webhook_deliveries",
        columns: &[
            ("id", Int),
            ("webhook_id", Int),
            ("event_id", Int),
            ("purchase_order_id", Int),
            ("state", Text),
            ("attempts", Int),
            ("next_attempt_at", Time),
            ("leased_until", OptTime),
            ("last_status", OptInt),
            ("last_response", OptText),
            ("delivered_at", OptTime),
            ("created_at", Time),
        ],
        key: "id",
        identity: true,
    },
    Table {
        name: "mails",
        columns: &[
            ("id", Int),
            ("account_id", Int),
            ("purchase_order_id", Int),
            ("actor", Text),
            ("request_id", OptText),
            ("sender", Text),
            ("recipients_to", Text),
            ("recipients_cc", Text),
            ("subject", Text),
            ("message", Bytes),
            ("state", Text),
            ("attempts", Int),
            ("next_attempt_at", Time),
            ("leased_until", OptTime),
            ("last_error", OptText),
            ("sent_at", OptTime),
            ("created_at", Time),
        ],
        key: "id",
        identity: true,
    },
];

/// A figure computed on both databases after the copy; each must be equal.
#[derive(Debug, Clone)]
pub struct Check {
    pub label: String,
    pub figure: Figure,
}

#[derive(Debug, Clone)]
pub enum Figure {
    /// The same SQL on both sides, answering one BIGINT (a count).
    Query(String),
    /// The exact sum of a column. Neither SQLite's SUM (64 bits, and inexact once it overflows)
    /// nor a cast of PostgreSQL's NUMERIC sum to BIGINT holds every sum the limits allow, so
    /// SQLite's side is added up by the reader in 128 bits and PostgreSQL's is read as text.
    Sum {
        table: &'static str,
        column: &'static str,
    },
}

/// The row count of every table, then the sums that matter.
pub fn checks() -> Vec<Check> {
    let mut checks: Vec<Check> = TABLES
        .iter()
        .map(|t| Check {
            label: format!("{} rows", t.name),
            figure: Figure::Query(format!("SELECT COUNT(*) FROM {}", t.name)),
        })
        .collect();
    let sums: &[(&'static str, &'static str)] = &[
        ("purchase_order_lines", "quantity"),
        ("purchase_order_lines", "received_quantity"),
        ("purchase_order_lines", "rejected_quantity"),
        ("purchase_order_lines", "cost_micros"),
        ("receipt_lines", "received_quantity"),
        ("receipt_lines", "rejected_quantity"),
        ("inventory_levels", "on_hand"),
        ("inventory_levels", "cost_units"),
        ("inventory_levels", "cost_total_micros"),
        ("order_number_sequences", "last_value"),
        ("purchase_order_counts", "n"),
    ];
    checks.extend(sums.iter().map(|&(table, column)| Check {
        label: format!("sum of {table}.{column}"),
        figure: Figure::Sum { table, column },
    }));
    checks.push(Check {
        label: "api_keys not revoked".into(),
        figure: Figure::Query("SELECT COUNT(*) FROM api_keys WHERE revoked_at IS NULL".into()),
    });
    checks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_tables_describe_the_newest_schema_of_both_databases() {
        let sqlite = crate::store::sqlite::migrate::MIGRATIONS
            .last()
            .map(|m| m.version);
        let postgres = crate::store::postgres::migrate::MIGRATIONS
            .last()
            .map(|m| m.0);
        assert_eq!(sqlite, Some(SCHEMA_VERSION));
        assert_eq!(postgres, Some(SCHEMA_VERSION));
    }

    #[test]
    fn every_sqlite_table_and_column_is_copied_in_order() {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        crate::store::sqlite::migrate::run(&mut conn).unwrap();
        let mut names: Vec<String> = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table'
                 AND name NOT IN ('schema_migrations') AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let mut copied: Vec<String> = TABLES.iter().map(|t| t.name.to_owned()).collect();
        copied.sort();
        names.sort();
        assert_eq!(names, copied);
        for table in TABLES {
            let columns: Vec<String> = conn
                .prepare(&format!(
                    "SELECT name FROM pragma_table_info('{}')",
                    table.name
                ))
                .unwrap()
                .query_map([], |r| r.get(0))
                .unwrap()
                .filter(|name| {
                    let name: &String = name.as_ref().unwrap();
                    !SQLITE_ONLY.contains(&(table.name, name.as_str()))
                })
                .collect::<Result<_, _>>()
                .unwrap();
            let expected: Vec<&str> = table.columns.iter().map(|(name, _)| *name).collect();
            assert_eq!(columns, expected, "columns of {}", table.name);
        }
    }
}
