-- The delivery worker looks only at deliveries still to be made, which are few beside the log of
-- those made: both of its look-ups (what is due, and whether an earlier delivery of the same order
-- to the same webhook is still pending) go through indexes of the pending rows alone, which a
-- delivery leaves once it is made.
DROP INDEX webhook_deliveries_due;
DROP INDEX webhook_deliveries_by_order;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id)
    WHERE state = 'pending';
CREATE INDEX webhook_deliveries_pending_by_order ON webhook_deliveries (webhook_id, purchase_order_id, id)
    WHERE state = 'pending';

-- The buying company's logo, printed at the head of its documents: the image as uploaded (PNG or
-- JPEG), its type and its size in pixels.
CREATE TABLE account_logos (
    account_id    BIGINT PRIMARY KEY REFERENCES accounts (id),
    content_type  TEXT    NOT NULL,
    image         BYTEA   NOT NULL,
    width         BIGINT  NOT NULL,
    height        BIGINT  NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
