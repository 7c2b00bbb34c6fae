/*
 * batch — a small job runner in the spirit of Spring Batch, on the database's job
 * repository (migration 003).
 *
 * A job is a list of steps. A chunk step reads up to chunk_size items after its checkpoint,
 * processes them inside one transaction and, in that same transaction, writes the new
 * checkpoint and counters: a crash loses at most the chunk in flight, and a restart resumes
 * after the last committed chunk. A tasklet step runs once.
 *
 * Around every run:
 *   lease     a row per job (batch_lease): the run that holds an unexpired lease acts; any
 *             other (a second host, an overlapping schedule) records a NOOP execution and
 *             does nothing. The lease is renewed after every chunk; a run that finds its
 *             lease taken stops (FAILED, "lease lost").
 *   recovery  with the lease held, executions of the job still STARTED whose heartbeat is
 *             older than the lease are dead (kill -9, host lost): they are marked FAILED
 *             with exit code DEAD_PROCESS — no hand-editing of SQL.
 *   restart   if the job's latest real execution FAILED, the new execution resumes it: steps
 *             that completed are skipped, the failed step continues from its checkpoint.
 *
 * Errors in a chunk: a retryable database error (deadlock, lock wait) rolls the chunk back
 * and runs it again (3 times); any other error rolls it back and the items are processed one
 * per transaction to isolate the bad one, which is skipped and logged, up to skip_limit.
 *
 * Thread safety: one run per thread with its own shop_ctx.
 */
#ifndef STAMPEDE_BATCH_BATCH_H
#define STAMPEDE_BATCH_BATCH_H

#include "core/buf.h"
#include "core/str.h"
#include "shop/shop.h"

#include <stdbool.h>

struct batch_run;

struct batch_item {
    int64_t id;
    struct str key;   /* checkpoint value after this item */
    const void *data; /* what read() fetched for process() (chunk arena), or NULL */
};

struct batch_step {
    const char *name;
    /* chunk steps: read up to limit items after checkpoint (empty string: from the start) */
    int (*read)(struct batch_run *r, struct str checkpoint, int64_t limit,
                struct batch_item **items, size_t *n);
    /* process one item inside the chunk's transaction; *done false = filtered (nothing to do) */
    int (*process)(struct batch_run *r, const struct batch_item *item, bool *done);
    /* tasklet steps: run once; a non-zero result fails the step, message in msg */
    int (*tasklet)(struct batch_run *r, struct buf *msg);
};

struct batch_job {
    const char *name;
    const char *description;
    const struct batch_step *steps;
    size_t nsteps;
};

struct batch_opts {
    const char *host;
    int64_t lease_ttl_s;
    int64_t chunk_size;
    int64_t skip_limit;
    const char *params; /* "k=v k=v", stored with the execution */
    /* reconcile-payments (params min_age_s=, captures_window_s=, paid_window_s= override) */
    int64_t unknown_min_age_s;
    int64_t paid_window_s;
    int64_t captures_window_s;
};

struct batch_run {
    struct shop_ctx *ctx;
    const struct batch_job *job;
    const struct batch_opts *opts;
    int64_t execution_id;
    struct str holder;
    struct buf *log; /* human-readable lines for the summary */
};

struct batch_result {
    int64_t execution_id;
    const char *status; /* COMPLETED, FAILED, NOOP */
    int64_t read;
    int64_t processed;
    int64_t skipped;
    int64_t restart_of;
    int64_t recovered; /* dead executions marked FAILED before this run */
    char message[512];
};

/*
 * batch_read_ids: the usual reader of a chunk step over table rows: runs st with the
 * parameters lead[0..nlead), then the checkpoint as an id ("" = 0), then limit, and makes an
 * item of each row's first column (an id, also the item's checkpoint key).
 */
int batch_read_ids(struct batch_run *r, const struct db_stmt *st, const struct db_val *lead,
                   size_t nlead, struct str checkpoint, int64_t limit, struct batch_item **items,
                   size_t *n);

/* batch_param_i64: the integer parameter `name` of this run ("name=123" in opts->params),
 * or def when it is absent or not a whole number. */
int64_t batch_param_i64(const struct batch_run *r, const char *name, int64_t def);

/* batch_run_job: runs job once (see above). Returns 0 when the run COMPLETED or was a NOOP,
 * ERR_INTERNAL when it FAILED (details in out), or a database error before it could start
 * (a deadlock or lock wait timeout there is retried a few times first). */
int batch_run_job(struct shop_ctx *ctx, const struct batch_job *job, const struct batch_opts *o,
                  struct buf *log, struct batch_result *out);

/* batch_set_stop_flag: a run stops after its current chunk once *flag is set (signals). */
void batch_set_stop_flag(volatile int *flag);

/* The steps of the jobs that have a file of their own; the sizes are part of the declaration,
 * so jobs.c counts them and a definition with another number of steps does not compile. */
extern const struct batch_step batch_reconcile_steps[3];      /* reconcile.c */
extern const struct batch_step batch_audit_payments_steps[1]; /* reconcile.c */
extern const struct batch_step batch_draw_steps[3];           /* draws.c */

/* The jobs of stampede-batch (jobs.c). */
extern const struct batch_job batch_jobs[];
extern const size_t batch_jobs_len;
const struct batch_job *batch_job_find(const char *name);

/* batch_draws_due: whether the drop-draw job (draws.c) has anything to do: a draw drop past its
 * close and not drawn, or a recent draw with a winner without an order or whose order lapsed.
 * One read on the primary; the scheduler asks it before each run instead of recording an
 * execution four times a second for nothing. */
int batch_draws_due(struct shop_ctx *c, bool *due);

#endif
