/*
 * stampede-batch — runs the shop's batch jobs (see batch/batch.h, batch/jobs.c, batch/cli.h).
 *
 *   stampede-batch [--config FILE] run JOB [--param K=V ...]   one run; prints its summary
 *   stampede-batch [--config FILE] JOB                          the same
 *   stampede-batch [--config FILE] schedule                     run jobs on their intervals
 *   stampede-batch [--config FILE] history [JOB] [--limit N]    recent executions
 *   stampede-batch [--config FILE] prune                        delete old idle executions
 *                                                               (batch.keep_noop)
 *   stampede-batch [--config FILE] jobs                         list the jobs
 *
 * FILE defaults to $STAMPEDE_CONFIG, else var/etc/stampede.conf. Exit status: 0 completed (or
 * nothing to do because another run holds the job's lease), 1 failed, 2 usage, 3 cannot
 * start (configuration, database).
 */
#include "batch/cli.h"
#include "core/buf.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile int stopping;

static void on_stop(int sig)
{
    (void)sig;
    stopping = 1;
}

static void usage(FILE *f)
{
    fputs("usage: stampede-batch [--config FILE] run JOB [--param K=V ...]\n"
          "       stampede-batch [--config FILE] JOB\n"
          "       stampede-batch [--config FILE] schedule\n"
          "       stampede-batch [--config FILE] history [JOB] [--limit N]\n"
          "       stampede-batch [--config FILE] prune\n"
          "       stampede-batch [--config FILE] jobs\n",
          f);
}

/* history_args: [JOB] [--limit N] */
static int history(struct batch_env *e, int argc, char **argv, int i)
{
    const char *job = "";
    int64_t limit = 20;
    for (; i < argc; i++) {
        if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc)
            limit = strtol(argv[++i], NULL, 10);
        else
            job = argv[i];
    }
    return batch_cmd_history(e, job, limit > 0 ? limit : 20);
}

/* run: [run] JOB [--param K=V ...] */
static int run(struct batch_env *e, const char *cmd, int argc, char **argv, int i)
{
    if (strcmp(cmd, "run") == 0) {
        if (i >= argc) {
            usage(stderr);
            return 2;
        }
        cmd = argv[i++];
    }
    const struct batch_job *job = batch_job_find(cmd);
    if (!job) {
        fprintf(stderr, "stampede-batch: unknown job '%s' (stampede-batch jobs lists them)\n", cmd);
        return 2;
    }
    struct buf params;
    buf_init(&params, 1000);
    int rc = 0;
    for (; i < argc && rc == 0; i++) {
        if (strcmp(argv[i], "--param") == 0 && i + 1 < argc && strchr(argv[i + 1], '=')) {
            buf_printf(&params, "%s%s", params.len ? " " : "", argv[++i]);
        } else {
            fprintf(stderr, "stampede-batch: unexpected argument '%s'\n", argv[i]);
            rc = 2;
        }
    }
    if (rc == 0 && params.overflow) {
        fprintf(stderr, "stampede-batch: parameters longer than 1000 characters\n");
        rc = 2;
    }
    if (rc == 0)
        rc = batch_cmd_run(e, job, buf_cstr(&params), false);
    buf_free(&params);
    return rc;
}

int main(int argc, char **argv)
{
    const char *config = getenv("STAMPEDE_CONFIG");
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "--config") == 0) {
        config = argv[i + 1];
        i += 2;
    }
    if (!config)
        config = "var/etc/stampede.conf";
    if (i >= argc) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[i++];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "jobs") == 0) {
        for (size_t k = 0; k < batch_jobs_len; k++)
            printf("%-16s %s\n", batch_jobs[k].name, batch_jobs[k].description);
        return 0;
    }

    struct batch_env e;
    int rc = batch_env_open(&e, config, &stopping);
    if (rc == 0) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_stop;
        sigaction(SIGTERM, &sa, NULL);
        sigaction(SIGINT, &sa, NULL);
        if (strcmp(cmd, "schedule") == 0)
            rc = batch_cmd_schedule(&e);
        else if (strcmp(cmd, "prune") == 0)
            rc = batch_cmd_prune(&e);
        else if (strcmp(cmd, "history") == 0)
            rc = history(&e, argc, argv, i);
        else
            rc = run(&e, cmd, argc, argv, i);
    }
    batch_env_close(&e);
    return rc;
}
