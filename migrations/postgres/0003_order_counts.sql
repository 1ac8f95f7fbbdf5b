-- How many purchase orders each account has in each status, kept by every write that creates an
-- order or changes its status, so that list totals cost the same at a million orders as at ten.
--
-- Each count is spread over a few rows (shards), and a write adds to one of them at random:
-- concurrent writes of one account then rarely wait for each other's row lock, which they would
-- otherwise hold until their commit. A total is the sum over the shards; a single shard may go
-- below zero.

CREATE TABLE purchase_order_counts (
    account_id  BIGINT   NOT NULL REFERENCES accounts (id),
    status      TEXT     NOT NULL,
    shard       SMALLINT NOT NULL DEFAULT 0,
    n           BIGINT   NOT NULL,
    PRIMARY KEY (account_id, status, shard)
);

INSERT INTO purchase_order_counts (account_id, status, n)
SELECT account_id, status, COUNT(*) FROM purchase_orders GROUP BY account_id, status;
