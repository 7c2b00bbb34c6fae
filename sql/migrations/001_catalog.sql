-- 001_catalog: products, sizes (SKUs), stock split into buckets, and the append-only
-- inventory ledger that every stock change writes (invariant I1).
--
-- Stock of one SKU may live in several rows ("buckets") so that buyers of a hot size do not
-- all queue on one row lock; a SKU's stock is the sum over its buckets. CHECK constraints
-- keep every bucket non-negative (invariant I2) whatever the code does.

CREATE TABLE products (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    slug            VARCHAR(80)  NOT NULL,
    name            VARCHAR(200) NOT NULL,
    brand           VARCHAR(80)  NOT NULL,
    colorway        VARCHAR(120) NOT NULL DEFAULT '',
    description     TEXT         NOT NULL,
    price_krw       BIGINT       NOT NULL,
    image           VARCHAR(200) NOT NULL COMMENT 'logical static path, e.g. img/products/x.svg',
    release_date    DATE         NULL,
    max_per_account INT          NULL COMMENT 'pairs one account may buy; NULL = no limit',
    active          TINYINT(1)   NOT NULL DEFAULT 1,
    created_at      TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at      TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    UNIQUE KEY uk_products_slug (slug),
    CONSTRAINT ck_products_price CHECK (price_krw > 0),
    CONSTRAINT ck_products_limit CHECK (max_per_account IS NULL OR max_per_account > 0),
    CONSTRAINT ck_products_slug CHECK (slug REGEXP '^[a-z0-9-]{1,80}$')
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE skus (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    product_id  BIGINT UNSIGNED NOT NULL,
    size_mm     SMALLINT NOT NULL COMMENT 'Korean sizing in millimetres, e.g. 270',
    PRIMARY KEY (id),
    UNIQUE KEY uk_skus_product_size (product_id, size_mm),
    CONSTRAINT fk_skus_product FOREIGN KEY (product_id) REFERENCES products (id),
    CONSTRAINT ck_skus_size CHECK (size_mm BETWEEN 200 AND 340)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE stock (
    sku_id     BIGINT UNSIGNED NOT NULL,
    bucket     SMALLINT UNSIGNED NOT NULL,
    available  INT NOT NULL DEFAULT 0,
    held       INT NOT NULL DEFAULT 0,
    sold       INT NOT NULL DEFAULT 0,
    PRIMARY KEY (sku_id, bucket),
    CONSTRAINT fk_stock_sku FOREIGN KEY (sku_id) REFERENCES skus (id),
    CONSTRAINT ck_stock_available CHECK (available >= 0),
    CONSTRAINT ck_stock_held CHECK (held >= 0),
    CONSTRAINT ck_stock_sold CHECK (sold >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Append-only: the application account may only SELECT and INSERT here (see the grants
-- written by `stampede up`). For every SKU and bucket, the sums of the deltas equal the
-- bucket's available, held and sold; receive and adjust rows are the stock that came in.
CREATE TABLE inventory_ledger (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    sku_id       BIGINT UNSIGNED NOT NULL,
    bucket       SMALLINT UNSIGNED NOT NULL,
    reason       VARCHAR(16) NOT NULL,
    d_available  INT NOT NULL DEFAULT 0,
    d_held       INT NOT NULL DEFAULT 0,
    d_sold       INT NOT NULL DEFAULT 0,
    ref_type     VARCHAR(16) NOT NULL,
    ref_id       VARCHAR(64) NOT NULL,
    created_at   TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    KEY ix_ledger_sku (sku_id, bucket),
    KEY ix_ledger_ref (ref_type, ref_id),
    CONSTRAINT fk_ledger_stock FOREIGN KEY (sku_id, bucket) REFERENCES stock (sku_id, bucket),
    CONSTRAINT ck_ledger_reason CHECK (reason IN
        ('receive', 'adjust', 'rebucket', 'hold', 'release', 'expire', 'sell', 'refund'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
