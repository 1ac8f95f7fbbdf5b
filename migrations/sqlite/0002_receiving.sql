-- Receipts (an immutable ledger of accepted receive requests) and the stock they add.

CREATE TABLE receipts (
    id                 INTEGER PRIMARY KEY,
    account_id         INTEGER NOT NULL REFERENCES accounts (id),
    purchase_order_id  INTEGER NOT NULL REFERENCES purchase_orders (id),
    request_id         TEXT    NOT NULL,
    received_at        INTEGER NOT NULL
);
CREATE INDEX receipts_by_order ON receipts (purchase_order_id, id);

CREATE TABLE receipt_lines (
    receipt_id         INTEGER NOT NULL REFERENCES receipts (id),
    line_no            INTEGER NOT NULL,
    sku                TEXT    NOT NULL,
    location_id        INTEGER NOT NULL REFERENCES inventory_locations (id),
    received_quantity  INTEGER NOT NULL CHECK (received_quantity >= 0),
    rejected_quantity  INTEGER NOT NULL CHECK (rejected_quantity >= 0),
    lot                TEXT,
    expiration_date    INTEGER,
    PRIMARY KEY (receipt_id, line_no)
) WITHOUT ROWID;
CREATE INDEX receipt_lines_by_location ON receipt_lines (location_id);

-- On-hand stock per (SKU, location, lot); '' stands for "no lot" so that the key is unique.
-- cost_units / cost_total_micros cover the received units that had a unit cost; currency_code
-- is '*' once units in different currencies were received (no single average then).
CREATE TABLE inventory_levels (
    id                 INTEGER PRIMARY KEY,
    account_id         INTEGER NOT NULL REFERENCES accounts (id),
    sku                TEXT    NOT NULL,
    warehouse_id       INTEGER NOT NULL REFERENCES inventory_warehouses (id),
    location_id        INTEGER NOT NULL REFERENCES inventory_locations (id),
    lot                TEXT    NOT NULL DEFAULT '',
    on_hand            INTEGER NOT NULL CHECK (on_hand >= 0),
    cost_units         INTEGER NOT NULL DEFAULT 0,
    cost_total_micros  INTEGER NOT NULL DEFAULT 0,
    currency_code      TEXT,
    UNIQUE (account_id, location_id, sku, lot)
);
CREATE INDEX inventory_levels_by_sku ON inventory_levels (account_id, sku);
CREATE INDEX inventory_levels_by_warehouse ON inventory_levels (account_id, warehouse_id);
