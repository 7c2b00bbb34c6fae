-- 010_alerts: the alerts Alertmanager delivers to the shop's webhook (POST /__internal/alerts,
-- app/ops/alerts.c), for /admin/alerts. One row per episode of an alert: Alertmanager's
-- fingerprint (its label set) and the time it started firing. A later notification updates the
-- row (firing -> resolved; a resolved episode never fires again: a new one has a new start).
CREATE TABLE alerts (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    fingerprint VARCHAR(64) NOT NULL,
    starts_at   DATETIME NOT NULL,
    ends_at     DATETIME NULL,
    name        VARCHAR(200) NOT NULL,
    severity    VARCHAR(32) NOT NULL,
    status      ENUM('firing', 'resolved') NOT NULL,
    summary     VARCHAR(1000) NOT NULL,
    labels      TEXT NOT NULL,
    annotations TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP ON UPDATE CURRENT_TIMESTAMP,
    UNIQUE KEY uq_alerts_episode (fingerprint, starts_at),
    KEY ix_alerts_status (status, starts_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
