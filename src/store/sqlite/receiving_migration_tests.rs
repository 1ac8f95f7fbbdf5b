//! Migration 0004 turns the stock value into exact decimal text, keeping what was stored.

use rusqlite::Connection;

use super::super::migrate;

const COST: i64 = 999_999_999_999_999;

/// A database at schema version 3 with a stock value the old `+` turned into a REAL.
fn version_3_with_damaged_stock() -> Connection {
    let conn = migrate::database_at(3);
    conn.execute_batch(&format!(
        "INSERT INTO accounts VALUES (1, 0);
         INSERT INTO suppliers (id, account_id, name, name_key, created_at, updated_at)
             VALUES (1, 1, 'S', 's', 0, 0);
         INSERT INTO inventory_warehouses VALUES (1, 1, 'W', 0, 0);
         INSERT INTO inventory_locations (id, account_id, warehouse_id, name, created_at, updated_at)
             VALUES (1, 1, 1, 'A', 0, 0);
         INSERT INTO purchase_orders (id, account_id, order_number, supplier_id, warehouse_id, status,
                                      payment_terms, payment_status, currency_code, created_at, updated_at)
             VALUES (1, 1, 'N-01', 1, 1, 'received', 'none', 'none', 'USD', 0, 0),
                    (2, 1, 'N-02', 1, 1, 'received', 'none', 'none', 'USD', 0, 0),
                    (3, 1, 'N-03', 1, 1, 'received', 'none', 'none', 'USD', 0, 0);
         INSERT INTO purchase_order_lines (purchase_order_id, line_no, sku, quantity, cost_micros,
                                           received_quantity)
             VALUES (1, 0, 'BIG', 1000000000, {COST}, 1000000000),
                    (2, 0, 'BIG', 1000000000, {COST}, 1000000000),
                    (3, 0, 'SMALL', 1, 1500000, 1);
         INSERT INTO receipts VALUES (1, 1, 1, 'r1', 0), (2, 1, 2, 'r2', 0), (3, 1, 3, 'r3', 0);
         INSERT INTO receipt_lines (receipt_id, line_no, sku, location_id, received_quantity,
                                    rejected_quantity, lot)
             VALUES (1, 0, 'BIG', 1, 1000000000, 0, NULL),
                    (2, 0, 'BIG', 1, 999999999, 0, NULL),
                    (2, 1, 'BIG', 1, 1, 0, 'X'),
                    (3, 0, 'SMALL', 1, 1, 0, NULL);
         INSERT INTO inventory_levels (id, account_id, sku, warehouse_id, location_id, lot, on_hand,
                                       cost_units, cost_total_micros, currency_code)
             VALUES (1, 1, 'BIG', 1, 1, '', 1999999999, 1999999999, 0, 'USD'),
                    (2, 1, 'BIG', 1, 1, 'X', 1, 1, {COST}, 'USD'),
                    (3, 1, 'SMALL', 1, 1, '', 1, 1, 1500000, 'USD');
         -- What the receipts did before: an integer + that overflows becomes a REAL.
         UPDATE inventory_levels SET cost_total_micros = 1000000000 * {COST} WHERE id = 1;
         UPDATE inventory_levels SET cost_total_micros = cost_total_micros + 999999999 * {COST}
             WHERE id = 1;"
    ))
    .unwrap();
    let kind: String = conn
        .query_row(
            "SELECT typeof(cost_total_micros) FROM inventory_levels WHERE id = 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(kind, "real", "the fixture reproduces the damage");
    conn
}

#[test]
fn migration_4_keeps_integer_stock_values_and_recomputes_damaged_ones_exactly() {
    let mut conn = version_3_with_damaged_stock();
    migrate::run(&mut conn).unwrap();
    let values: Vec<(i64, String, String)> = conn
        .prepare("SELECT id, typeof(cost_total_micros), cost_total_micros FROM inventory_levels ORDER BY id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let big = (1_999_999_999i128 * i128::from(COST)).to_string();
    assert_eq!(
        values,
        vec![
            (1, "text".to_owned(), big),
            (2, "text".to_owned(), COST.to_string()),
            (3, "text".to_owned(), "1500000".to_owned()),
        ]
    );
    // The column refuses anything but digits from now on.
    assert!(
        conn.execute(
            "UPDATE inventory_levels SET cost_total_micros = 1.5e24 WHERE id = 3",
            []
        )
        .is_err()
    );
}
