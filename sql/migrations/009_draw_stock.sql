-- 009_draw_stock: what a draw put on sale. The draw (stampede-batch drop-draw) takes each size's
-- available stock at the moment it runs as that size's stock in stampede-draw-v1, and the proof
-- publishes it; the stock rows change afterwards (holds, sales), so the numbers the draw used are
-- kept here, written in the draw's transaction and never changed.
CREATE TABLE drop_draw_stock (
    drop_id  BIGINT UNSIGNED NOT NULL,
    sku_id   BIGINT UNSIGNED NOT NULL,
    n        INT NOT NULL,
    PRIMARY KEY (drop_id, sku_id),
    CONSTRAINT fk_drop_draw_stock_drop FOREIGN KEY (drop_id) REFERENCES drops (id),
    CONSTRAINT fk_drop_draw_stock_sku FOREIGN KEY (sku_id) REFERENCES skus (id),
    CONSTRAINT ck_drop_draw_stock_n CHECK (n >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The draw job looks for winners without an order and winners whose order lapsed, per drop.
ALTER TABLE drop_entries ADD KEY ix_drop_entries_result (drop_id, result);
