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

-- A job an admin asked to run now (/admin/batch): the scheduler (stampede-batch schedule) takes
-- each request once (picked_at) and runs the job as it would on its interval; a job whose
-- latest run FAILED resumes it (batch.h, restart). The web nodes never run jobs themselves.
CREATE TABLE batch_run_requests (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    job_name     VARCHAR(64) CHARACTER SET ascii NOT NULL,
    requested_by VARCHAR(254) NOT NULL,
    requested_at TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    picked_at    TIMESTAMP(6) NULL,
    exit_code    INT NULL COMMENT 'stampede-batch run: 0 done, 1 a run FAILED, 3 could not run',
    PRIMARY KEY (id),
    KEY ix_batch_requests_open (picked_at, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
