-- Accounts, keys, suppliers, inventory warehouses and locations, purchase orders.
-- Timestamps are microseconds since the Unix epoch (UTC); money is integer micros (1e-6).

CREATE TABLE accounts (
    id          INTEGER PRIMARY KEY,
    created_at  INTEGER NOT NULL
);

CREATE TABLE api_keys (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    key_hash    BLOB    NOT NULL UNIQUE,
    hint        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

CREATE TABLE suppliers (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts (id),
    name            TEXT    NOT NULL,
    name_key        TEXT    NOT NULL,
    email           TEXT,
    address_line_1  TEXT,
    address_line_2  TEXT,
    city            TEXT,
    state           TEXT,
    postal_code     TEXT,
    country_code    TEXT,
    contact_name    TEXT,
    contact_phone   TEXT,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    UNIQUE (account_id, name_key)
);
CREATE INDEX suppliers_by_account ON suppliers (account_id, id);

CREATE TABLE inventory_warehouses (
    id          INTEGER PRIMARY KEY,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    name        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL
);
CREATE INDEX inventory_warehouses_by_account ON inventory_warehouses (account_id, id);

CREATE TABLE inventory_locations (
    id            INTEGER PRIMARY KEY,
    account_id    INTEGER NOT NULL REFERENCES accounts (id),
    warehouse_id  INTEGER NOT NULL REFERENCES inventory_warehouses (id),
    name          TEXT    NOT NULL,
    barcode       TEXT,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);
CREATE INDEX inventory_locations_by_account ON inventory_locations (account_id, id);
CREATE INDEX inventory_locations_by_warehouse ON inventory_locations (warehouse_id, id);

CREATE TABLE order_number_sequences (
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    day         TEXT    NOT NULL,
    last_value  INTEGER NOT NULL,
    PRIMARY KEY (account_id, day)
) WITHOUT ROWID;

CREATE TABLE purchase_orders (
    id                      INTEGER PRIMARY KEY,
    account_id              INTEGER NOT NULL REFERENCES accounts (id),
    order_number            TEXT    NOT NULL,
    supplier_id             INTEGER NOT NULL REFERENCES suppliers (id),
    warehouse_id            INTEGER NOT NULL REFERENCES inventory_warehouses (id),
    status                  TEXT    NOT NULL CHECK (status IN ('draft', 'open', 'receiving', 'received', 'closed', 'cancelled')),
    order_date              INTEGER,
    expected_delivery_date  INTEGER,
    payment_terms           TEXT    NOT NULL,
    payment_status          TEXT    NOT NULL,
    currency_code           TEXT    NOT NULL,
    shipping_carrier        TEXT,
    tracking_number         TEXT,
    reference_number        TEXT,
    note_to_supplier        TEXT,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    UNIQUE (account_id, order_number)
);
CREATE INDEX purchase_orders_by_account ON purchase_orders (account_id, id);
CREATE INDEX purchase_orders_by_status ON purchase_orders (account_id, status, id);
CREATE INDEX purchase_orders_by_warehouse ON purchase_orders (account_id, warehouse_id, id);
CREATE INDEX purchase_orders_by_supplier ON purchase_orders (account_id, supplier_id, id);
CREATE INDEX purchase_orders_by_reference ON purchase_orders (account_id, reference_number, id);
CREATE INDEX purchase_orders_by_modified ON purchase_orders (account_id, updated_at);

CREATE TABLE purchase_order_lines (
    purchase_order_id  INTEGER NOT NULL REFERENCES purchase_orders (id),
    line_no            INTEGER NOT NULL,
    sku                TEXT    NOT NULL,
    supplier_sku       TEXT,
    quantity           INTEGER NOT NULL CHECK (quantity > 0),
    cost_micros        INTEGER CHECK (cost_micros >= 0),
    received_quantity  INTEGER NOT NULL DEFAULT 0,
    rejected_quantity  INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (purchase_order_id, line_no),
    UNIQUE (purchase_order_id, sku),
    CHECK (received_quantity >= 0 AND rejected_quantity >= 0 AND received_quantity + rejected_quantity <= quantity)
) WITHOUT ROWID;
