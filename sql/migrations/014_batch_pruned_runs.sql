-- 014_batch_pruned_runs: how many executions `batch prune` deleted, per job and status. The
-- web nodes export stampede_batch_runs_total as executions on record plus these, so the counter
-- never decreases when the scheduler prunes idle runs of its frequent jobs (docs/ARCHITECTURE.md,
-- Metrics). The prune adds its counts in the transaction that deletes the rows.
CREATE TABLE batch_pruned_runs (
    job_name VARCHAR(64) CHARACTER SET ascii NOT NULL,
    status   VARCHAR(16) CHARACTER SET ascii NOT NULL,
    runs     BIGINT UNSIGNED NOT NULL DEFAULT 0,
    PRIMARY KEY (job_name, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
