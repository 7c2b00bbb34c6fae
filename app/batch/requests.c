/* requests — run-now requests and the executions an admin reads; see requests.h. */
#include "requests.h"

#include "batch/batch.h"
#include "core/err.h"
#include "db/retry.h"
#include "shop/audit.h"

#include <stdio.h>
#include <string.h>

static const struct db_stmt q_request = {
    "batch_request", "INSERT INTO batch_run_requests (job_name, requested_by) VALUES (?, ?)", 0};
static const struct db_stmt q_open = {
    "batch_open_request",
    "SELECT id, job_name FROM batch_run_requests WHERE picked_at IS NULL ORDER BY id LIMIT 1", 0};
static const struct db_stmt q_claim = {
    "batch_claim_request",
    "UPDATE batch_run_requests SET picked_at = NOW(6) WHERE id = ? AND picked_at IS NULL", 0};
static const struct db_stmt q_done = {
    "batch_request_done", "UPDATE batch_run_requests SET exit_code = ? WHERE id = ?", 0};
static const struct db_stmt q_count_open = {
    "batch_count_open", "SELECT COUNT(*) FROM batch_run_requests WHERE picked_at IS NULL",
    DB_IDEMPOTENT};
static const struct db_stmt q_execs = {
    "batch_executions",
    "SELECT id, job_name, status, DATE_FORMAT(started_at, '%Y-%m-%dT%H:%i:%sZ'),"
    "       COALESCE(TIMESTAMPDIFF(MICROSECOND, started_at, ended_at) DIV 1000, -1),"
    "       read_count, processed_count, skip_count, COALESCE(restart_of, 0), exit_message"
    "  FROM batch_job_execution WHERE (job_name = ? OR ? = '') AND (status <> 'NOOP' OR ? = 1)"
    " ORDER BY id DESC LIMIT ?",
    DB_IDEMPOTENT};
static const struct db_stmt q_exec = {
    "batch_execution",
    "SELECT id, job_name, status, DATE_FORMAT(started_at, '%Y-%m-%dT%H:%i:%sZ'),"
    "       COALESCE(TIMESTAMPDIFF(MICROSECOND, started_at, ended_at) DIV 1000, -1),"
    "       read_count, processed_count, skip_count, COALESCE(restart_of, 0), exit_message"
    "  FROM batch_job_execution WHERE id = ?",
    DB_IDEMPOTENT};
static const struct db_stmt q_steps = {
    "batch_steps",
    "SELECT step_name, status, checkpoint, exit_message, read_count, processed_count,"
    "       skip_count, commit_count, rollback_count"
    "  FROM batch_step_execution WHERE job_execution_id = ? ORDER BY id",
    DB_IDEMPOTENT};

static const struct db_stmt q_restartable = {
    "batch_restartable",
    "SELECT e.job_name, e.status = 'FAILED'"
    "       AND e.id = (SELECT MAX(l.id) FROM batch_job_execution l"
    "                    WHERE l.job_name = e.job_name AND l.status IN ('COMPLETED', 'FAILED'))"
    "       AND NOT EXISTS (SELECT 1 FROM batch_job_execution r"
    "                        WHERE r.restart_of = e.id AND r.status <> 'NOOP')"
    "  FROM batch_job_execution e WHERE e.id = ?",
    0};

struct request_tx {
    struct shop_ctx *c;
    struct str job, actor;
    const char *action;
    struct str target;
    int64_t restart; /* batch_request_restart: the execution; 0 for run now */
};

/* request_tx: (the restart's checks,) the request and its audit row; a transaction */
static int request_tx(void *arg)
{
    struct request_tx *q = arg;
    struct shop_ctx *c = q->c;
    int rc;
    if (q->restart) {
        struct db_result r;
        struct db_val iv[] = {DB_I(q->restart)};
        if ((rc = db_exec(c->db, &q_restartable, iv, 1, c->arena, &r)))
            return rc;
        if (r.nrows == 0)
            return SHOP_BATCH_RUN_NOT_FOUND;
        if (!db_int(&r, 0, 1))
            return SHOP_NOT_RESTARTABLE;
        q->job = db_text(&r, 0, 0);
        q->target = str_from_cstr(arena_sprintf(c->arena, "run:%lld", (long long)q->restart));
    }
    struct db_val v[] = {DB_S(q->job), DB_S(q->actor)};
    if ((rc = db_exec(c->db, &q_request, v, 2, c->arena, NULL)))
        return rc;
    return audit_write(c, q->actor, q->action, q->target, STR_NULL);
}

int batch_request_run(struct shop_ctx *c, struct str job, struct str actor)
{
    char name[65];
    if (job.len == 0 || job.len >= sizeof name)
        return SHOP_BATCH_JOB_NOT_FOUND;
    memcpy(name, job.p, job.len);
    name[job.len] = '\0';
    if (!batch_job_find(name))
        return SHOP_BATCH_JOB_NOT_FOUND;
    struct request_tx q = {
        c, job, actor, "batch_run_now", str_from_cstr(arena_sprintf(c->arena, "job:%s", name)), 0};
    return db_tx(c->db, &db_retry_default, request_tx, &q);
}

int batch_request_restart(struct shop_ctx *c, int64_t id, struct str actor)
{
    struct request_tx q = {c, STR_NULL, actor, "batch_restart", STR_NULL, id};
    return db_tx(c->db, &db_retry_default, request_tx, &q);
}

int batch_take_request(struct shop_ctx *c, int64_t *id, const char **job)
{
    for (int tries = 0; tries < 3; tries++) {
        struct db_result r, u;
        int rc = db_exec(c->db, &q_open, NULL, 0, c->arena, &r);
        if (rc)
            return rc;
        if (r.nrows == 0)
            return ERR_NOTFOUND;
        int64_t rid = db_int(&r, 0, 0);
        char name[65];
        struct str j = db_text(&r, 0, 1);
        snprintf(name, sizeof name, "%.*s", STR_FMT(j));
        struct db_val v[] = {DB_I(rid)};
        if ((rc = db_exec(c->db, &q_claim, v, 1, c->arena, &u)))
            return rc;
        if (u.affected != 1)
            continue; /* another scheduler took it */
        const struct batch_job *found = batch_job_find(name);
        if (!found) {
            batch_request_done(c, rid, 2);
            continue;
        }
        *id = rid;
        *job = found->name;
        return 0;
    }
    return ERR_NOTFOUND;
}

int batch_request_done(struct shop_ctx *c, int64_t id, int exit_code)
{
    struct db_val v[] = {DB_I(exit_code), DB_I(id)};
    return db_exec(c->db, &q_done, v, 2, c->arena, NULL);
}

int batch_open_requests(struct shop_ctx *c, int64_t *n)
{
    struct db_result r;
    int rc = db_exec(c->db, &q_count_open, NULL, 0, c->arena, &r);
    if (rc == 0)
        *n = db_int(&r, 0, 0);
    return rc;
}

static struct batch_exec_row exec_row(const struct db_result *r, size_t i)
{
    return (struct batch_exec_row){.id = db_int(r, i, 0),
                                   .job = db_text(r, i, 1),
                                   .status = db_text(r, i, 2),
                                   .started_at = db_text(r, i, 3),
                                   .duration_ms = db_int(r, i, 4),
                                   .read = db_int(r, i, 5),
                                   .processed = db_int(r, i, 6),
                                   .skipped = db_int(r, i, 7),
                                   .restart_of = db_int(r, i, 8),
                                   .message = db_text(r, i, 9)};
}

int batch_execution(struct shop_ctx *c, int64_t id, struct batch_exec_row *out)
{
    struct db_result r;
    struct db_val v[] = {DB_I(id)};
    int rc = db_exec(c->db, &q_exec, v, 1, c->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return SHOP_BATCH_RUN_NOT_FOUND;
    *out = exec_row(&r, 0);
    return SHOP_OK;
}

int batch_executions(struct shop_ctx *c, struct str job, bool with_noop, int64_t limit,
                     struct batch_exec_row **out, size_t *n)
{
    struct db_result r;
    struct db_val v[] = {DB_S(job), DB_S(job), DB_I(with_noop), DB_I(limit)};
    int rc = db_exec(c->db, &q_execs, v, 4, c->arena, &r);
    if (rc)
        return rc;
    *out = arena_calloc(c->arena, r.nrows + 1, sizeof **out);
    for (size_t i = 0; i < r.nrows; i++)
        (*out)[i] = exec_row(&r, i);
    *n = r.nrows;
    return 0;
}

int batch_steps(struct shop_ctx *c, int64_t execution_id, struct batch_step_row **out, size_t *n)
{
    struct db_result r;
    struct db_val v[] = {DB_I(execution_id)};
    int rc = db_exec(c->db, &q_steps, v, 1, c->arena, &r);
    if (rc)
        return rc;
    *out = arena_calloc(c->arena, r.nrows + 1, sizeof **out);
    for (size_t i = 0; i < r.nrows; i++)
        (*out)[i] = (struct batch_step_row){db_text(&r, i, 0), db_text(&r, i, 1), db_text(&r, i, 2),
                                            db_text(&r, i, 3), db_int(&r, i, 4),  db_int(&r, i, 5),
                                            db_int(&r, i, 6),  db_int(&r, i, 7),  db_int(&r, i, 8)};
    *n = r.nrows;
    return 0;
}
