-- How many purchase orders each account has in each status, kept by every write that creates an
-- order or changes its status, so that list totals cost the same at a million orders as at ten.

CREATE TABLE purchase_order_counts (
    account_id  BIGINT NOT NULL REFERENCES accounts (id),
    status      TEXT   NOT NULL,
    n           BIGINT NOT NULL CHECK (n >= 0),
    PRIMARY KEY (account_id, status)
);

INSERT INTO purchase_order_counts (account_id, status, n)
SELECT account_id, status, COUNT(*) FROM purchase_orders GROUP BY account_id, status;
