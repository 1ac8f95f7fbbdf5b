-- Stock value exact at any size. A receipt entry alone may be worth ~10^24 micros (10^9 units at
-- a cost just under 10^9), past SQLite's 64-bit integers, whose `+` and SUM turn into an inexact
-- REAL when they overflow. The stock value is kept as the decimal digits of the micros instead
-- (TEXT, which SQLite never does arithmetic on); the program adds them exactly in 128 bits.
--
-- A value already stored as an INTEGER converts exactly. One that overflowed into a REAL was
-- wrong already; it is computed again, exactly, from the receipts that made the row: each part
-- of the sum stays far inside 64 bits (units up to 10^9 times a five-digit slice of the unit
-- cost), and the slices are carried into one string of digits.

CREATE TABLE inventory_levels_exact (
    id                 INTEGER PRIMARY KEY,
    account_id         INTEGER NOT NULL REFERENCES accounts (id),
    sku                TEXT    NOT NULL,
    warehouse_id       INTEGER NOT NULL REFERENCES inventory_warehouses (id),
    location_id        INTEGER NOT NULL REFERENCES inventory_locations (id),
    lot                TEXT    NOT NULL DEFAULT '',
    on_hand            INTEGER NOT NULL CHECK (on_hand >= 0),
    cost_units         INTEGER NOT NULL DEFAULT 0,
    cost_total_micros  TEXT    NOT NULL DEFAULT '0'
                       CHECK (cost_total_micros <> '' AND cost_total_micros NOT GLOB '*[^0-9]*'),
    currency_code      TEXT,
    UNIQUE (account_id, location_id, sku, lot)
);

WITH slices AS (
    SELECT il.id,
           SUM(rl.received_quantity * (pol.cost_micros / 10000000000)) AS s2,
           SUM(rl.received_quantity * (pol.cost_micros / 100000 % 100000)) AS s1,
           SUM(rl.received_quantity * (pol.cost_micros % 100000)) AS s0
    FROM inventory_levels il
    JOIN receipt_lines rl ON rl.location_id = il.location_id AND rl.sku = il.sku
                         AND COALESCE(rl.lot, '') = il.lot
    JOIN receipts r ON r.id = rl.receipt_id AND r.account_id = il.account_id
    JOIN purchase_order_lines pol ON pol.purchase_order_id = r.purchase_order_id AND pol.sku = rl.sku
    WHERE typeof(il.cost_total_micros) <> 'integer' AND pol.cost_micros IS NOT NULL
    GROUP BY il.id),
carried AS (
    SELECT id, s2 + (s1 + s0 / 100000) / 100000 AS d2, (s1 + s0 / 100000) % 100000 AS d1,
           s0 % 100000 AS d0
    FROM slices),
recomputed AS (
    SELECT id, CASE
        WHEN d2 > 0 THEN d2 || printf('%05d', d1) || printf('%05d', d0)
        WHEN d1 > 0 THEN d1 || printf('%05d', d0)
        ELSE CAST(d0 AS TEXT) END AS total
    FROM carried)
INSERT INTO inventory_levels_exact (id, account_id, sku, warehouse_id, location_id, lot, on_hand, cost_units,
                                    cost_total_micros, currency_code)
SELECT il.id, il.account_id, il.sku, il.warehouse_id, il.location_id, il.lot, il.on_hand, il.cost_units,
       CASE WHEN typeof(il.cost_total_micros) = 'integer' THEN CAST(il.cost_total_micros AS TEXT)
            ELSE COALESCE(recomputed.total, '0') END,
       il.currency_code
FROM inventory_levels il LEFT JOIN recomputed ON recomputed.id = il.id;

DROP TABLE inventory_levels;
ALTER TABLE inventory_levels_exact RENAME TO inventory_levels;
CREATE INDEX inventory_levels_by_sku ON inventory_levels (account_id, sku);
CREATE INDEX inventory_levels_by_warehouse ON inventory_levels (account_id, warehouse_id);
