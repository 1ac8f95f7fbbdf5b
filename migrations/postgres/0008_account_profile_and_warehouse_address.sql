-- The buying company's profile, printed on its documents (GET/PUT /v2/account). One row per
-- account once it is set; an account without a row has an empty profile.
CREATE TABLE account_profiles (
    account_id      BIGINT PRIMARY KEY REFERENCES accounts (id),
    company_name    TEXT,
    email           TEXT,
    phone           TEXT,
    tax_id          TEXT,
    address_line_1  TEXT,
    address_line_2  TEXT,
    city            TEXT,
    state           TEXT,
    postal_code     TEXT,
    country_code    TEXT,
    updated_at      TIMESTAMPTZ NOT NULL
);

-- A warehouse's address: the ship-to of the orders delivered there. All optional, as on a
-- supplier.
ALTER TABLE inventory_warehouses ADD COLUMN address_line_1 TEXT;
ALTER TABLE inventory_warehouses ADD COLUMN address_line_2 TEXT;
ALTER TABLE inventory_warehouses ADD COLUMN city TEXT;
ALTER TABLE inventory_warehouses ADD COLUMN state TEXT;
ALTER TABLE inventory_warehouses ADD COLUMN postal_code TEXT;
ALTER TABLE inventory_warehouses ADD COLUMN country_code TEXT;
