-- 013_autoscale: every decision of stampede-autoscale (app/autoscale, docs/OPERATIONS.md "The
-- autoscaler"): scale-outs, scale-ins, failed commands and the reasons it held back (a held
-- reason is written when it changes, not every tick). The autoscaler reads its latest out/in
-- rows at start-up to honour its cooldowns across a restart; /admin/autoscale lists them.
-- Append-only for the application account (tools/stampede/db.sh APPEND_ONLY_TABLES).
CREATE TABLE autoscale_events (
    id           BIGINT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
    at           TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3),
    action       ENUM('out', 'in', 'held', 'failed-out', 'failed-in', 'start') NOT NULL,
    nodes_before INT NOT NULL,
    nodes_after  INT NOT NULL,
    load_per_node DOUBLE NOT NULL,
    cpu          DOUBLE NULL,
    reason       VARCHAR(500) NOT NULL,
    result       VARCHAR(2000) NOT NULL DEFAULT '',
    host         VARCHAR(100) NOT NULL DEFAULT '',
    KEY ix_autoscale_action (action, at),
    KEY ix_autoscale_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
