/*
 * requests — jobs an admin asked to run now (migration 011, batch_run_requests) and what the
 * admin's batch page reads: every job's recent executions and one execution's steps.
 *
 * batch_request_run stores a request (and the admin audit row); the scheduler's loop calls
 * batch_take_request, which claims the oldest open request (picked_at, so two schedulers never
 * run one request twice) and says which job to run; batch_request_done records its exit code.
 *
 * Memory: strings in results are in ctx->arena. Thread safety: a shop_ctx per thread.
 */
#ifndef STAMPEDE_BATCH_REQUESTS_H
#define STAMPEDE_BATCH_REQUESTS_H

#include "shop/outcome.h"
#include "shop/shop.h"

#include <stdbool.h>
#include <stdint.h>

/*
 * Results: SHOP_OK, a business outcome of shop/outcome.h (the front layer's one table turns it
 * into the answer), or an internal error (< 0, core/err.h).
 *
 * batch_request_run: stores a request to run job now and its audit row (batch_run_now,
 * job:NAME) in one transaction. SHOP_BATCH_JOB_NOT_FOUND for a job that does not exist.
 * Nothing is stored unless SHOP_OK.
 */
int batch_request_run(struct shop_ctx *c, struct str job, struct str actor);
/*
 * batch_request_restart: an admin's "Restart" of execution id: stores a request to run its job
 * and the audit row (batch_restart, run:ID) in one transaction. The scheduler's run of the job
 * resumes its latest failed execution from its checkpoint, exactly as `stampede batch JOB`
 * does (batch/batch.h, restart). SHOP_BATCH_RUN_NOT_FOUND; SHOP_NOT_RESTARTABLE unless the run
 * FAILED, is the latest finished (COMPLETED or FAILED) run of its job and no run resumed it
 * yet, the conditions under which the next run resumes it. Nothing is stored unless SHOP_OK.
 */
int batch_request_restart(struct shop_ctx *c, int64_t id, struct str actor);
/* batch_take_request: 0 with *id and *job (a batch_jobs name) when a request was claimed,
 * ERR_NOTFOUND when none is open. */
int batch_take_request(struct shop_ctx *c, int64_t *id, const char **job);
int batch_request_done(struct shop_ctx *c, int64_t id, int exit_code);

struct batch_exec_row {
    int64_t id;
    struct str job, status, started_at, message; /* started_at ISO 8601 UTC */
    int64_t duration_ms;                         /* -1 while running */
    int64_t read, processed, skipped, restart_of;
};
/* batch_executions: the latest executions (of job; all when empty), newest first. Runs that
 * found nothing to do (NOOP) are left out unless with_noop. */
int batch_executions(struct shop_ctx *c, struct str job, bool with_noop, int64_t limit,
                     struct batch_exec_row **out, size_t *n);

/* batch_execution: one execution: SHOP_OK, SHOP_BATCH_RUN_NOT_FOUND, or < 0. */
int batch_execution(struct shop_ctx *c, int64_t id, struct batch_exec_row *out);

struct batch_step_row {
    struct str name, status, checkpoint, message;
    int64_t read, processed, skipped, commits, rollbacks;
};
/* batch_steps: one execution's steps, in order. */
int batch_steps(struct shop_ctx *c, int64_t execution_id, struct batch_step_row **out, size_t *n);

/* batch_open_requests: requests not yet taken, oldest first. */
int batch_open_requests(struct shop_ctx *c, int64_t *n);

#endif
