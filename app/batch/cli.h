/*
 * cli — the commands of stampede-batch, behind its main(): one run of a job with its summary,
 * the scheduler, the execution history and pruning. See app/bin/stampede-batch.c for the
 * command line and the exit codes (0 done, 1 a run FAILED, 2 usage, 3 cannot start).
 *
 * A struct batch_env is the process's one set of handles (database, gateway, arena) opened
 * from the configuration; everything here runs on one thread.
 */
#ifndef STAMPEDE_BATCH_CLI_H
#define STAMPEDE_BATCH_CLI_H

#include "batch/batch.h"
#include "conf/appcfg.h"
#include "shop/gateway.h"

#include <stdbool.h>

struct batch_env {
    struct appcfg cfg;
    struct db *db;
    struct gateway *gw;
    struct arena *arena;
    struct cache *cache;     /* the drops' queue boards (shop/queue.h) */
    struct shop_rules rules; /* from the configuration */
    char host[128];
    volatile int *stop; /* set by SIGTERM/SIGINT: stop after the current chunk */
};

/* batch_env_open: configuration, log, database and gateway handles; 0 or exit code 3 (the
 * reason printed). batch_env_close releases what was opened (also after a failed open). */
int batch_env_open(struct batch_env *e, const char *config, volatile int *stop);
void batch_env_close(struct batch_env *e);

/* batch_cmd_run: one run of job with its parameters ("k=v k=v"); prints the summary (only
 * when something happened, if quiet). Exit code: 0, 1 (FAILED) or 3 (could not run). */
int batch_cmd_run(struct batch_env *e, const struct batch_job *job, const char *params, bool quiet);
/* batch_cmd_schedule: runs expire-holds, reconcile-payments and audit-stock on their
 * intervals and prunes idle executions every 10 minutes, until *e->stop. */
int batch_cmd_schedule(struct batch_env *e);
/* batch_cmd_history: the latest executions (of job, or all when ""), newest first. */
int batch_cmd_history(struct batch_env *e, const char *job, int64_t limit);
/* batch_cmd_prune: deletes idle executions older than batch.keep_noop. */
int batch_cmd_prune(struct batch_env *e);

#endif
