-- Kept in lockstep with migrations/sqlite/0010_key_labels_and_line_skus.sql.
ALTER TABLE api_keys ADD COLUMN label TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN last_used_at TIMESTAMPTZ;
CREATE INDEX purchase_order_lines_by_sku ON purchase_order_lines (sku, purchase_order_id);
