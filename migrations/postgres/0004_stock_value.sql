-- Stock value exact at any size. In lockstep with migrations/sqlite/0004_stock_value.sql.
-- A receipt entry alone may be worth ~10^24 micros (10^9 units at a cost just under 10^9), past
-- BIGINT; NUMERIC holds every value the program's 128-bit arithmetic can produce (39 digits).
-- Every stored BIGINT converts exactly.

ALTER TABLE inventory_levels
    ALTER COLUMN cost_total_micros TYPE NUMERIC(39, 0),
    ADD CONSTRAINT inventory_levels_cost_total_micros_check CHECK (cost_total_micros >= 0);
