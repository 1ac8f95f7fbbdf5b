-- What happened to each purchase order: one immutable row per change, written in the change's
-- transaction. Kept in lockstep with migrations/postgres/0007_events_and_webhooks.sql.
--
-- `position` numbers an account's events in commit order: the feed pages by it, so a reader that
-- has seen position N has seen every event before N (see docs/decisions.md).
CREATE TABLE event_positions (
    account_id    INTEGER PRIMARY KEY REFERENCES accounts (id),
    last_position INTEGER NOT NULL
);

CREATE TABLE events (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id        INTEGER NOT NULL REFERENCES accounts (id),
    position          INTEGER NOT NULL,
    purchase_order_id INTEGER NOT NULL REFERENCES purchase_orders (id),
    type              TEXT    NOT NULL,
    occurred_at       INTEGER NOT NULL,
    request_id        TEXT,
    -- `api_key:<id>`, or `system` for a change made by a command.
    actor             TEXT    NOT NULL,
    -- JSON: what changed.
    data              TEXT    NOT NULL,
    UNIQUE (account_id, position)
);
CREATE INDEX events_by_order ON events (purchase_order_id, position);

-- `/v2/environment/webhooks`: where an account's events are sent.
CREATE TABLE webhooks (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    account_id  INTEGER NOT NULL REFERENCES accounts (id),
    name        TEXT    NOT NULL,
    url         TEXT    NOT NULL,
    event       TEXT    NOT NULL,
    -- JSON array of `{key, value}`: headers sent with every delivery.
    headers     TEXT    NOT NULL,
    -- `whsec_` and the base64 of the signing key.
    secret      TEXT    NOT NULL,
    -- Set when a delivery has exhausted its retries; cleared by the next success.
    failing_since INTEGER,
    created_at  INTEGER NOT NULL
);
CREATE INDEX webhooks_by_account ON webhooks (account_id, event);

-- The outbox and the delivery log in one: a row per event and webhook, written in the change's
-- transaction, leased by the delivery worker, kept once done.
CREATE TABLE webhook_deliveries (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    webhook_id        INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    event_id          INTEGER NOT NULL REFERENCES events (id),
    purchase_order_id INTEGER NOT NULL,
    -- `pending`, `delivered` or `failed`.
    state             TEXT    NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER NOT NULL,
    leased_until      INTEGER,
    last_status       INTEGER,
    -- The first bytes of the last answer, or why there was none.
    last_response     TEXT,
    delivered_at      INTEGER,
    created_at        INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (state, next_attempt_at);
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_by_order ON webhook_deliveries (webhook_id, purchase_order_id, id);
