-- Versions behind `ETag` and `If-Match`: each counts the changes made to its row, starting at 1.
-- Kept in lockstep with migrations/sqlite/0006_versions_and_keys.sql.
ALTER TABLE suppliers ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE inventory_warehouses ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE inventory_locations ADD COLUMN version BIGINT NOT NULL DEFAULT 1;
ALTER TABLE purchase_orders ADD COLUMN version BIGINT NOT NULL DEFAULT 1;

-- `Idempotency-Key`: the answer to the first request with a key, written in the transaction of
-- that request's change, and replayed to every retry until it expires.
CREATE TABLE idempotency_keys (
    account_id   BIGINT      NOT NULL REFERENCES accounts (id),
    idempotency_key TEXT       NOT NULL,
    -- SHA-256 of the method, the path and the body.
    fingerprint  BYTEA       NOT NULL,
    status       BIGINT      NOT NULL,
    -- `name: value` lines.
    headers      TEXT        NOT NULL,
    body         BYTEA       NOT NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    expires_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (account_id, idempotency_key)
);
CREATE INDEX idempotency_keys_by_expiry ON idempotency_keys (expires_at);
