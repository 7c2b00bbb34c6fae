-- stampede-psp 001: the payment-gateway SANDBOX's own ledger, in its own database
-- (stampede_psp) under its own account: the shop never reads or writes it, tests and the
-- reconciliation checks do (as root, or through the sandbox's API).
--
-- Payment statuses follow Toss Payments: READY (the card holder authenticated on the hosted
-- page; waiting for the merchant's confirm), DONE (captured), PARTIAL_CANCELED, CANCELED
-- (voided before capture, or fully refunded), ABORTED (declined), EXPIRED (never confirmed
-- within the confirm window).

CREATE TABLE psp_payments (
    id            BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    payment_key   VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    order_id      VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    order_name    VARCHAR(200) NOT NULL DEFAULT '',
    amount        BIGINT NOT NULL COMMENT 'authorized total',
    captured      BIGINT NOT NULL DEFAULT 0,
    balance       BIGINT NOT NULL DEFAULT 0 COMMENT 'captured minus refunded',
    status        VARCHAR(20) CHARACTER SET ascii NOT NULL,
    card_number   VARCHAR(19) CHARACTER SET ascii NOT NULL COMMENT 'masked',
    card_kind     VARCHAR(12) CHARACTER SET ascii NOT NULL,
    fail_code     VARCHAR(40) CHARACTER SET ascii NULL,
    requested_at  TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    approved_at   TIMESTAMP(6) NULL,
    updated_at    TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6) ON UPDATE CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    UNIQUE KEY uk_psp_payment_key (payment_key),
    KEY ix_psp_order (order_id),
    KEY ix_psp_status (status, requested_at),
    CONSTRAINT ck_psp_amount CHECK (amount > 0),
    CONSTRAINT ck_psp_balance CHECK (balance >= 0 AND balance <= captured AND captured <= amount),
    CONSTRAINT ck_psp_status CHECK (status IN
        ('READY', 'DONE', 'PARTIAL_CANCELED', 'CANCELED', 'ABORTED', 'EXPIRED'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every movement: authorizations, declines, captures, refunds, voids, expiries. The sum of
-- captures minus refunds of a payment is its balance (checked by the tests, invariant I5).
CREATE TABLE psp_ledger (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    payment_key  VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    order_id     VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    kind         VARCHAR(12) CHARACTER SET ascii NOT NULL,
    amount       BIGINT NOT NULL,
    idem_key     VARCHAR(300) CHARACTER SET ascii COLLATE ascii_bin NULL,
    reason       VARCHAR(200) NOT NULL DEFAULT '',
    created_at   TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    KEY ix_psp_ledger_payment (payment_key, id),
    KEY ix_psp_ledger_order (order_id),
    CONSTRAINT ck_psp_ledger_kind CHECK (kind IN
        ('authorize', 'decline', 'capture', 'refund', 'void', 'expire')),
    CONSTRAINT ck_psp_ledger_amount CHECK (amount >= 0)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Idempotency keys of confirm and cancel: the first request's answer (status and body, 4xx
-- included) is stored in the transaction of its effect and replayed for the same key; the
-- same key with another request is refused. A concurrent request with the key waits on the
-- row lock and then replays.
CREATE TABLE psp_idempotency (
    idem_key      VARCHAR(300) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    operation     VARCHAR(16) CHARACTER SET ascii NOT NULL,
    request_hash  BINARY(32) NOT NULL,
    status        INT NULL,
    body          MEDIUMTEXT NULL,
    created_at    TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (idem_key),
    KEY ix_psp_idem_created (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Webhook outbox: written in the transaction of the state change, delivered by a background
-- thread with back-off. `fault` is a test-injected misbehaviour for the first delivery.
CREATE TABLE psp_webhook_events (
    id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    event_id         VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    event_type       VARCHAR(40) CHARACTER SET ascii NOT NULL,
    payment_key      VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    order_id         VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    body             TEXT NOT NULL,
    fault            VARCHAR(20) CHARACTER SET ascii NOT NULL DEFAULT '',
    attempts         INT NOT NULL DEFAULT 0,
    next_attempt_at  TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    delivered_at     TIMESTAMP(6) NULL,
    gave_up_at       TIMESTAMP(6) NULL,
    last_status      INT NULL,
    created_at       TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    UNIQUE KEY uk_psp_event (event_id),
    KEY ix_psp_event_due (delivered_at, gave_up_at, next_attempt_at),
    KEY ix_psp_event_order (order_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Every delivery attempt exactly as sent (signature header included), so a test can replay one.
CREATE TABLE psp_webhook_deliveries (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    event_id    VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
    attempt     INT NOT NULL,
    signature   VARCHAR(200) CHARACTER SET ascii NOT NULL,
    fault       VARCHAR(20) CHARACTER SET ascii NOT NULL DEFAULT '',
    status      INT NOT NULL COMMENT 'HTTP status; -1: no answer',
    sent_at     TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (id),
    KEY ix_psp_delivery_event (event_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
