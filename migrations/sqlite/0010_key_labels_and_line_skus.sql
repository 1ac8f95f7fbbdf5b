-- An API key's label (what it is for, given when it is created) and when it was last used, to
-- the minute: a server records a key's use at most once a minute. The web app's order search
-- finds orders by SKU through the index on lines.
ALTER TABLE api_keys ADD COLUMN label TEXT NOT NULL DEFAULT '';
ALTER TABLE api_keys ADD COLUMN last_used_at INTEGER;
CREATE INDEX purchase_order_lines_by_sku ON purchase_order_lines (sku, purchase_order_id);
