-- 011: the admin audit log (issue 10). Every change an admin makes (prices, stock received or
-- adjusted, buckets, drops, orders cancelled or refunded, anomalies resolved, batch runs
-- started) is one row: who, what, on which object, with the details, and when. Append-only
-- (tools/stampede/db.sh, APPEND_ONLY_TABLES): the application may read and insert, never change.
CREATE TABLE admin_audit (
    id          BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    at          TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    actor       VARCHAR(254) NOT NULL COMMENT 'the admin e-mail, or the tool',
    action      VARCHAR(40) CHARACTER SET ascii NOT NULL,
    target      VARCHAR(80) NOT NULL COMMENT 'what it changed: sku:12, order:5, drop:3',
    detail      VARCHAR(500) NOT NULL DEFAULT '',
    PRIMARY KEY (id),
    KEY ix_admin_audit_at (at),
    KEY ix_admin_audit_target (target)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
