-- 003_batch: the job repository of stampede-batch (Spring Batch's model, with the fixes its
-- users keep asking for: a heartbeat so a run killed with SIGKILL is detected and marked
-- FAILED without hand-editing SQL, and a lease row so two hosts never run one job at once).

CREATE TABLE batch_job_execution (
    id              BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    job_name        VARCHAR(64) CHARACTER SET ascii NOT NULL,
    params          VARCHAR(1000) NOT NULL DEFAULT '',
    status          VARCHAR(16) CHARACTER SET ascii NOT NULL,
    host            VARCHAR(128) NOT NULL,
    pid             INT NOT NULL,
    restart_of      BIGINT UNSIGNED NULL COMMENT 'the failed execution this one resumes',
    started_at      TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    heartbeat_at    TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    ended_at        TIMESTAMP(6) NULL,
    read_count      BIGINT NOT NULL DEFAULT 0,
    processed_count BIGINT NOT NULL DEFAULT 0,
    skip_count      BIGINT NOT NULL DEFAULT 0,
    exit_code       VARCHAR(32) CHARACTER SET ascii NOT NULL DEFAULT '',
    exit_message    VARCHAR(2000) NOT NULL DEFAULT '',
    PRIMARY KEY (id),
    KEY ix_job_exec_name (job_name, id),
    KEY ix_job_exec_status (status, heartbeat_at),
    CONSTRAINT ck_job_exec_status CHECK (status IN
        ('STARTED', 'COMPLETED', 'FAILED', 'ABANDONED', 'NOOP'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- A step's checkpoint is written in the same transaction as the chunk it follows, so a
-- restart resumes exactly after the last committed chunk.
CREATE TABLE batch_step_execution (
    id               BIGINT UNSIGNED NOT NULL AUTO_INCREMENT,
    job_execution_id BIGINT UNSIGNED NOT NULL,
    step_name        VARCHAR(64) CHARACTER SET ascii NOT NULL,
    status           VARCHAR(16) CHARACTER SET ascii NOT NULL,
    started_at       TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    ended_at         TIMESTAMP(6) NULL,
    read_count       BIGINT NOT NULL DEFAULT 0,
    processed_count  BIGINT NOT NULL DEFAULT 0,
    skip_count       BIGINT NOT NULL DEFAULT 0,
    commit_count     BIGINT NOT NULL DEFAULT 0,
    rollback_count   BIGINT NOT NULL DEFAULT 0,
    checkpoint       VARCHAR(255) NOT NULL DEFAULT '',
    exit_message     VARCHAR(2000) NOT NULL DEFAULT '',
    PRIMARY KEY (id),
    UNIQUE KEY uk_step_exec (job_execution_id, step_name),
    CONSTRAINT fk_step_job FOREIGN KEY (job_execution_id) REFERENCES batch_job_execution (id),
    CONSTRAINT ck_step_status CHECK (status IN ('STARTED', 'COMPLETED', 'FAILED', 'ABANDONED'))
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- One row per job while it runs: whoever holds an unexpired lease runs the job; the holder
-- renews it after every chunk. A dead holder's lease simply runs out.
CREATE TABLE batch_lease (
    job_name     VARCHAR(64) CHARACTER SET ascii NOT NULL,
    holder       VARCHAR(200) NOT NULL,
    execution_id BIGINT UNSIGNED NULL,
    expires_at   TIMESTAMP(6) NOT NULL,
    PRIMARY KEY (job_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;

-- Effects a job must never repeat (a refund, a capture adjustment): unique per item and
-- action, written in the transaction of the effect, so a re-run or a concurrent run is a
-- no-op (the Santander 2021 / Cardnet 2018 lesson).
CREATE TABLE batch_action (
    item_key         VARCHAR(128) CHARACTER SET ascii NOT NULL,
    action           VARCHAR(32) CHARACTER SET ascii NOT NULL,
    job_execution_id BIGINT UNSIGNED NOT NULL,
    detail           VARCHAR(1000) NOT NULL DEFAULT '',
    created_at       TIMESTAMP(6) NOT NULL DEFAULT CURRENT_TIMESTAMP(6),
    PRIMARY KEY (item_key, action),
    KEY ix_action_job (job_execution_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_unicode_ci;
