-- 002_accounts_orders: accounts, server-side sessions, sign-in throttling, carts, orders
-- with stock holds, and idempotency keys for checkout.
--
-- Orders: status moves pending_payment -> paid | payment_unknown | cancelled | expired, and
-- paid -> refunded. While pending_payment (or payment_unknown) its units are `held` in the
-- stock buckets recorded by the order's 'hold' ledger rows; hold_expires_at bounds that.

CREATE TABLE accounts (
    id             BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    email          VARCHAR(254) NOT NULL COMMENT 'lower-cased',
    name           VARCHAR(100) NOT NULL,
    password_hash  VARCHAR(255) CHARACTER SET ascii NOT NULL COMMENT 'argon2id PHC string',
    role           VARCHAR(16)  NOT NULL DEFAULT 'shopper',
    created_at     TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at     TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    UNIQUE KEY uk_accounts_email (email),
    CONSTRAINT ck_accounts_role CHECK (role IN ('shopper', 'admin'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- The session id lives only in the shopper's cookie; we keep its SHA-256, so a copy of this
-- table cannot be replayed as cookies.
CREATE TABLE sessions (
    id_hash       BINARY(32)   NOT NULL,
    account_id    BIGINT UNSIGNED NOT NULL,
    created_at    TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    last_seen_at  TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    expires_at    TIMESTAMP(6) NOT NULL COMMENT 'absolute timeout',
    ip            VARCHAR(45)  NOT NULL DEFAULT '',
    user_agent    VARCHAR(200) NOT NULL DEFAULT '',
    PRIMARY KEY (id_hash),
    KEY ix_sessions_account (account_id),
    KEY ix_sessions_expires (expires_at),
    CONSTRAINT fk_sessions_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Failed sign-ins per key ('ip:<address>' or 'acct:<email>') in a sliding window.
CREATE TABLE login_throttle (
    throttle_key  VARCHAR(300) CHARACTER SET ascii NOT NULL,
    failures      INT NOT NULL DEFAULT 0,
    window_start  TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    locked_until  TIMESTAMP(6) NULL,
    PRIMARY KEY (throttle_key)
) ENGINE=InnoDB DEFAULT CHARSET=ascii;

CREATE TABLE cart_items (
    account_id  BIGINT UNSIGNED NOT NULL,
    sku_id      BIGINT UNSIGNED NOT NULL,
    quantity    INT NOT NULL,
    added_at    TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (account_id, sku_id),
    CONSTRAINT fk_cart_account FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT fk_cart_sku FOREIGN KEY (sku_id) REFERENCES skus (id),
    CONSTRAINT ck_cart_quantity CHECK (quantity BETWEEN 1 AND 99)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE orders (
    id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    account_id       BIGINT UNSIGNED NOT NULL,
    status           VARCHAR(20) NOT NULL,
    total_krw        BIGINT NOT NULL,
    currency         CHAR(3) NOT NULL DEFAULT 'KRW',
    idempotency_key  VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    hold_expires_at  TIMESTAMP(6) NOT NULL,
    created_at       TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    updated_at       TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    closed_at        TIMESTAMP(6) NULL COMMENT 'when it left pending_payment',
    PRIMARY KEY (id),
    UNIQUE KEY uk_orders_idempotency (account_id, idempotency_key),
    KEY ix_orders_account (account_id, id),
    KEY ix_orders_hold (status, hold_expires_at),
    CONSTRAINT fk_orders_account FOREIGN KEY (account_id) REFERENCES accounts (id),
    CONSTRAINT ck_orders_status CHECK (status IN
        ('pending_payment', 'paid', 'payment_unknown', 'cancelled', 'expired', 'refunded')),
    CONSTRAINT ck_orders_total CHECK (total_krw > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

CREATE TABLE order_lines (
    order_id        BIGINT UNSIGNED NOT NULL,
    line_no         SMALLINT UNSIGNED NOT NULL,
    sku_id          BIGINT UNSIGNED NOT NULL,
    product_id      BIGINT UNSIGNED NOT NULL,
    quantity        INT NOT NULL,
    unit_price_krw  BIGINT NOT NULL,
    PRIMARY KEY (order_id, line_no),
    KEY ix_lines_product (product_id),
    KEY ix_lines_sku (sku_id),
    CONSTRAINT fk_lines_order FOREIGN KEY (order_id) REFERENCES orders (id),
    CONSTRAINT fk_lines_sku FOREIGN KEY (sku_id) REFERENCES skus (id),
    CONSTRAINT ck_lines_quantity CHECK (quantity > 0),
    CONSTRAINT ck_lines_price CHECK (unit_price_krw > 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Checkout idempotency: one row per (account, key), written in the checkout transaction, so
-- concurrent requests with one key serialize on it and a committed key always names its
-- order. `fingerprint` is the SHA-256 of the cart the key was first used with.
CREATE TABLE idempotency_keys (
    account_id   BIGINT UNSIGNED NOT NULL,
    scope        VARCHAR(16) CHARACTER SET ascii NOT NULL,
    idem_key     VARCHAR(255) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    fingerprint  BINARY(32) NOT NULL,
    order_id     BIGINT UNSIGNED NULL,
    created_at   TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (account_id, scope, idem_key),
    KEY ix_idem_created (created_at),
    CONSTRAINT fk_idem_account FOREIGN KEY (account_id) REFERENCES accounts (id)
) ENGINE=InnoDB DEFAULT CHARSET=ascii;
