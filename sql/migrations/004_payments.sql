-- 004_payments: the shop's side of the payment saga (the gateway keeps its own ledger).
--
-- An order names the gateway payment it is bound to: while the order is payment_unknown
-- the payment being confirmed (the recovery point written before the gateway is called),
-- once paid the payment that paid it. A payment pays at most one order (unique key: the
-- paypal-woocommerce #1129 lesson). Decisions are made under the order's row lock; every
-- step is written to payment_log; webhook events are deduplicated by their id in the
-- transaction of the change they cause; reconciliation raises anomalies it cannot settle on
-- its own for a person to look at.

ALTER TABLE orders
    ADD COLUMN payment_key VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL
        COMMENT 'gateway payment being confirmed (payment_unknown) or that paid the order',
    ADD COLUMN paid_at TIMESTAMP(6) NULL,
    ADD UNIQUE KEY uk_orders_payment_key (payment_key);

-- Append-only (like inventory_ledger): what happened to which payment, and who acted.
CREATE TABLE payment_log (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    order_id     BIGINT UNSIGNED NULL,
    payment_key  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
    event        VARCHAR(32) CHARACTER SET ascii NOT NULL,
    amount       BIGINT NULL,
    source       VARCHAR(16) CHARACTER SET ascii NOT NULL,
    detail       VARCHAR(500) NOT NULL DEFAULT '',
    created_at   TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    KEY ix_payment_log_order (order_id, id),
    KEY ix_payment_log_key (payment_key),
    CONSTRAINT ck_payment_log_source CHECK (source IN
        ('return', 'api', 'webhook', 'reconcile', 'admin', 'shopper'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per gateway event id ever accepted: inserted first in the transaction that applies
-- the event, so a duplicate delivery blocks on it and then finds it (no second effect).
CREATE TABLE webhook_events (
    event_id     VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    event_type   VARCHAR(40) CHARACTER SET ascii NOT NULL,
    payment_key  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    outcome      VARCHAR(40) CHARACTER SET ascii NOT NULL DEFAULT '',
    received_at  TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (event_id),
    KEY ix_webhook_payment (payment_key)
) ENGINE=InnoDB DEFAULT CHARSET=ascii;

-- What reconciliation cannot settle by itself (a paid order whose capture is gone, a partial
-- refund made elsewhere): one row per kind, order and payment, shown on /admin/payments.
CREATE TABLE payment_anomalies (
    id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    kind             VARCHAR(32) CHARACTER SET ascii NOT NULL,
    order_id         BIGINT UNSIGNED NOT NULL DEFAULT 0 COMMENT '0: no order',
    payment_key      VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL DEFAULT '',
    amount           BIGINT NOT NULL DEFAULT 0,
    detail           VARCHAR(1000) NOT NULL DEFAULT '',
    job_execution_id BIGINT UNSIGNED NULL,
    created_at       TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    resolved_at      TIMESTAMP(6) NULL,
    resolved_by      VARCHAR(254) NULL,
    resolution       VARCHAR(32) CHARACTER SET ascii NULL,
    PRIMARY KEY (id),
    UNIQUE KEY uk_anomaly (kind, order_id, payment_key),
    KEY ix_anomaly_open (resolved_at, id),
    CONSTRAINT ck_anomaly_kind CHECK (kind IN ('paid_without_capture', 'partial_refund'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
