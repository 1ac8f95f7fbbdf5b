-- Versions behind `ETag` and `If-Match`: each counts the changes made to its row, starting at 1.
ALTER TABLE suppliers ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE inventory_warehouses ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE inventory_locations ADD COLUMN version INTEGER NOT NULL DEFAULT 1;
ALTER TABLE purchase_orders ADD COLUMN version INTEGER NOT NULL DEFAULT 1;

-- `Idempotency-Key`: the answer to the first request with a key, written in the transaction of
-- that request's change, and replayed to every retry until it expires.
CREATE TABLE idempotency_keys (
    account_id   INTEGER NOT NULL REFERENCES accounts (id),
    idempotency_key TEXT   NOT NULL,
    -- SHA-256 of the method, the path and the body.
    fingerprint  BLOB    NOT NULL,
    status       INTEGER NOT NULL,
    -- `name: value` lines.
    headers      TEXT    NOT NULL,
    body         BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL,
    PRIMARY KEY (account_id, idempotency_key)
);
-- No index on `expires_at`: the purge reads the oldest rows first (`src/store/sqlite/once.rs`),
-- and an index would cost every keyed write a second insert.
