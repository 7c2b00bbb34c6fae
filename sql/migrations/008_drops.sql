-- 008_drops: limited releases ("drops"): a first-come sale through a waiting room (kind
-- queue) or a draw among entries (kind draw), for one product. See docs/ARCHITECTURE.md
-- (Drops) and ../shared/DESIGN.md (Drops (v1), stampede-draw-v1).
--
-- Times: opens_at is when the pre-queue (queue) or the entries (draw) open; starts_at is when
-- a queue's sale starts (the pre-queue is shuffled and admission begins; for a draw it equals
-- opens_at); closes_at ends the sale (queue) or the entries (draw: the draw runs then).
-- The seed is secret until the pre-queue shuffle (queue) or the draw; its SHA-256 (the
-- commitment) is public from the moment the drop exists.

CREATE TABLE drops (
    id                 BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    product_id         BIGINT UNSIGNED NOT NULL,
    kind               VARCHAR(8)   NOT NULL,
    opens_at           TIMESTAMP(6) NOT NULL,
    starts_at          TIMESTAMP(6) NOT NULL,
    closes_at          TIMESTAMP(6) NOT NULL,
    per_account_limit  INT          NOT NULL DEFAULT 1,
    purchase_window_s  INT          NOT NULL DEFAULT 600,
    admit_per_second   INT          NOT NULL DEFAULT 10,
    seed               BINARY(32)   NOT NULL,
    commitment         CHAR(64) CHARACTER SET ascii NOT NULL,
    beacon             VARCHAR(200) NULL COMMENT 'public value mixed into the key at the draw',
    entries_digest     CHAR(64) CHARACTER SET ascii NULL,
    shuffled_at        TIMESTAMP(6) NULL COMMENT 'queue: the pre-queue was shuffled (proof public)',
    drawn_at           TIMESTAMP(6) NULL COMMENT 'draw: the draw ran (proof public)',
    serving            BIGINT       NOT NULL DEFAULT 0 COMMENT 'queue: places up to this one are admitted',
    next_place         BIGINT       NOT NULL DEFAULT 0 COMMENT 'queue: the last place given out',
    admit_credit       DOUBLE       NOT NULL DEFAULT 0 COMMENT 'queue: admissions earned, not yet given',
    ticked_at          TIMESTAMP(6) NULL COMMENT 'queue: the admission tick last ran',
    sold_out_at        TIMESTAMP(6) NULL COMMENT 'queue: every pair sold or held since then',
    cancelled_at       TIMESTAMP(6) NULL,
    created_by         VARCHAR(254) NOT NULL DEFAULT '',
    created_at         TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at         TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    KEY ix_drops_product (product_id),
    KEY ix_drops_closes (closes_at),
    CONSTRAINT fk_drops_product FOREIGN KEY (product_id) REFERENCES products (id),
    CONSTRAINT ck_drops_kind CHECK (kind IN ('queue', 'draw')),
    CONSTRAINT ck_drops_times CHECK (opens_at <= starts_at AND starts_at < closes_at),
    CONSTRAINT ck_drops_limit CHECK (per_account_limit BETWEEN 1 AND 10),
    CONSTRAINT ck_drops_window CHECK (purchase_window_s BETWEEN 60 AND 86400),
    CONSTRAINT ck_drops_rate CHECK (admit_per_second BETWEEN 1 AND 10000)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A shopper's place in a queue drop. The place belongs to the account: one row per account
-- and drop. Before the start `place` is NULL (the pre-queue is shuffled at the start);
-- after it, arrivals get the next place. Places up to drops.serving are admitted: the
-- admission tick sets admitted_at and expires_at (the purchase window) when it passes them.
CREATE TABLE drop_queue (
    drop_id      BIGINT UNSIGNED NOT NULL,
    account_id   BIGINT UNSIGNED NOT NULL,
    ref          CHAR(22) CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'public, opaque',
    joined_at    TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    prequeue     TINYINT(1)   NOT NULL,
    place        BIGINT       NULL,
    admitted_at  TIMESTAMP(6) NULL,
    expires_at   TIMESTAMP(6) NULL,
    order_id     BIGINT UNSIGNED NULL COMMENT 'the order bought with this admission',
    ip           VARCHAR(45)  NOT NULL DEFAULT '',
    PRIMARY KEY (drop_id, account_id),
    UNIQUE KEY uk_drop_queue_ref (drop_id, ref),
    UNIQUE KEY uk_drop_queue_place (drop_id, place),
    KEY ix_drop_queue_ip (drop_id, ip),
    KEY ix_drop_queue_admitted (drop_id, admitted_at),
    CONSTRAINT fk_drop_queue_drop FOREIGN KEY (drop_id) REFERENCES drops (id),
    CONSTRAINT fk_drop_queue_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A shopper's entry in a draw drop: one per account (I9), its size fixed at entry. After the
-- draw: its rank (stampede-draw-v1), its place in the draw order and the result; a winner's
-- order. offered_at: when an order was made for it (a winner, or the next in line after a
-- winner did not pay).
CREATE TABLE drop_entries (
    drop_id      BIGINT UNSIGNED NOT NULL,
    account_id   BIGINT UNSIGNED NOT NULL,
    ref          CHAR(22) CHARACTER SET ascii COLLATE ascii_bin NOT NULL COMMENT 'public, opaque',
    sku_id       BIGINT UNSIGNED NOT NULL,
    created_at   TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    ip           VARCHAR(45)  NOT NULL DEFAULT '',
    draw_rank    CHAR(64) CHARACTER SET ascii NULL,
    draw_place   INT          NULL,
    result       VARCHAR(8)   NOT NULL DEFAULT 'pending',
    offered_at   TIMESTAMP(6) NULL,
    order_id     BIGINT UNSIGNED NULL,
    PRIMARY KEY (drop_id, account_id),
    UNIQUE KEY uk_drop_entries_ref (drop_id, ref),
    KEY ix_drop_entries_place (drop_id, sku_id, draw_place),
    KEY ix_drop_entries_ip (drop_id, ip),
    CONSTRAINT fk_drop_entries_drop FOREIGN KEY (drop_id) REFERENCES drops (id),
    CONSTRAINT fk_drop_entries_account FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT fk_drop_entries_sku FOREIGN KEY (sku_id) REFERENCES skus (id),
    CONSTRAINT ck_drop_entries_result CHECK (result IN ('pending', 'won', 'lost'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Orders made through a drop (an admitted shopper's checkout, a draw winner's order): the
-- per-account limit of the drop counts them.
ALTER TABLE orders
    ADD COLUMN drop_id BIGINT UNSIGNED NULL AFTER fingerprint,
    ADD KEY ix_orders_drop (drop_id, account_id);
