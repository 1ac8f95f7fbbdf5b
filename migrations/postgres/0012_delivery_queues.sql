-- Kept in lockstep with migrations/sqlite/0012_delivery_queues.sql, which queues an order's
-- later deliveries behind its head on SQLite. PostgreSQL needs no queue: its servers lease
-- deliveries under `FOR UPDATE SKIP LOCKED` and skip one while an older delivery of the same
-- webhook and order is pending (0011's `webhook_deliveries_pending_by_order`). The schema only
-- says so.
COMMENT ON TABLE webhook_deliveries IS
    'The outbox and delivery log: a row per event and subscribed webhook, written in the change''s '
    'transaction. An order''s deliveries to a webhook are sent one at a time, oldest first.';
