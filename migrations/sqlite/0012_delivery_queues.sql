-- SQLite only (one server works a SQLite database; PostgreSQL keeps 0011's indexes, which its
-- several servers lease from under `FOR UPDATE SKIP LOCKED`).
--
-- An order's deliveries to a webhook go one at a time, oldest first. Of its pending ones only
-- the oldest, the head, is in the indexes the worker reads; the others are `queued` and wait in
-- the table alone, so that a delivery written while its order's head is still pending adds only
-- appends to indexes, wherever its order is. When a head is done, the order's next queued
-- delivery is found through the order's events (`events_by_order`, then `by_webhook`) and
-- becomes the head.
--
-- `by_webhook` goes by event rather than by delivery id: one writer inserts a delivery in its
-- event's transaction, so a webhook's deliveries are in the same order both ways, and one index
-- serves both the delivery log and the look-up by event.
ALTER TABLE webhook_deliveries ADD COLUMN queued INTEGER NOT NULL DEFAULT 0;

UPDATE webhook_deliveries SET queued = 1
WHERE state = 'pending'
  AND EXISTS (SELECT 1 FROM webhook_deliveries p
              WHERE p.webhook_id = webhook_deliveries.webhook_id
                AND p.purchase_order_id = webhook_deliveries.purchase_order_id
                AND p.state = 'pending' AND p.id < webhook_deliveries.id);

DROP INDEX webhook_deliveries_due;
DROP INDEX webhook_deliveries_pending_by_order;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id)
    WHERE state = 'pending' AND queued = 0;
CREATE INDEX webhook_deliveries_heads ON webhook_deliveries (webhook_id, purchase_order_id)
    WHERE state = 'pending' AND queued = 0;
DROP INDEX webhook_deliveries_by_webhook;
CREATE INDEX webhook_deliveries_by_webhook ON webhook_deliveries (webhook_id, event_id);
