-- An API key's label (what it is for, given when it is created) and when it was last used, to
-- the minute: a server records a key's use at most once a minute. The web app's order search
-- finds orders by SKU through the index on lines.
ALTER TABLE api_keys ADD COLUMN label TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
CREATE INDEX purchase_order_lines_by_sku ON purchase_order_lines (sku, purchase_order_id);

-- The mail outbox and its log: one row per order sent to its supplier, written in the send's
-- transaction with the whole message (PDF attached), leased by a server's mailer, kept once done.
CREATE TABLE mails (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id        INTEGER NOT NULL REFERENCES accounts (id),
    purchase_order_id INTEGER NOT NULL REFERENCES purchase_orders (id),
    -- Who asked, and in which request: the events of the outcome name them too.
    actor             TEXT    NOT NULL,
    request_id        TEXT,
    sender            TEXT    NOT NULL,
    -- JSON arrays of addresses.
    recipients_to     TEXT    NOT NULL,
    recipients_cc     TEXT    NOT NULL,
    subject           TEXT    NOT NULL,
    message           BLOB    NOT NULL,
    -- `pending`, `sent` or `failed`.
    state             TEXT    NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER NOT NULL,
    leased_until      INTEGER,
    last_error        TEXT,
    sent_at           INTEGER,
    created_at        INTEGER NOT NULL
);
CREATE INDEX mails_due ON mails (state, next_attempt_at);
CREATE INDEX mails_by_order ON mails (purchase_order_id, id);

-- A receipt reversed (`POST .../receives/{id}/reversal`): when, and by which request. The receipt
-- and its lines stay in the ledger; its units are taken back from the lines and the stock.
ALTER TABLE receipts ADD COLUMN reversed_at INTEGER;
ALTER TABLE receipts ADD COLUMN reversal_request_id TEXT;
-- Who recorded a receipt (`api_key:se-3`, `user:se-2`), for the ledger and the received summary;
-- unknown for receipts recorded before.
ALTER TABLE receipts ADD COLUMN recorded_by TEXT;
