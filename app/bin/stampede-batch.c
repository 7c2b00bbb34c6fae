/*
 * stampede-batch — runs the shop's batch jobs (see batch/batch.h and batch/jobs.c).
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
#include "batch/batch.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/sec.h"
#include "shop/gateway.h"
#include "web/webcfg.h"

#include <curl/curl.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void batch_set_stop_flag(volatile int *flag);

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

struct env {
    struct webcfg cfg;
    struct db *db;
    struct gateway *gw;
    struct arena *arena;
    char host[128];
};

static int run_once(struct env *e, const struct batch_job *job, const char *params, bool quiet)
{
    struct shop_ctx ctx = {e->db, NULL, e->arena, e->gw};
    struct batch_opts o = {e->host,
                           (e->cfg.batch_lease_ttl_ms + 999) / 1000,
                           e->cfg.batch_chunk,
                           e->cfg.batch_skip_limit,
                           params,
                           e->cfg.reconcile_min_age_ms / 1000,
                           e->cfg.reconcile_paid_window_ms / 1000,
                           e->cfg.reconcile_captures_window_ms / 1000};
    struct buf log;
    buf_init(&log, 1 << 20);
    struct batch_result r;
    int64_t t0 = clock_mono_ns();
    int rc = batch_run_job(&ctx, job, &o, &log, &r);
    double secs = (double)(clock_mono_ns() - t0) / 1e9;
    if (rc && !r.status) {
        fprintf(stderr, "%s: could not run: %s\n", job->name, err_str(rc));
        log_error("%s: could not run: %s", job->name, err_str(rc));
        buf_free(&log);
        arena_reset(e->arena);
        return 3;
    }
    bool failed = strcmp(r.status, "FAILED") == 0;
    if (!quiet || failed || r.processed || r.recovered || r.restart_of) {
        printf("%s: execution %lld %s in %.2fs: read %lld, processed %lld, skipped %lld%s%s\n",
               job->name, (long long)r.execution_id, r.status, secs, (long long)r.read,
               (long long)r.processed, (long long)r.skipped, r.message[0] ? " — " : "", r.message);
        if (log.len)
            fputs(buf_cstr(&log), stdout);
        fflush(stdout);
    }
    if (failed)
        log_error("%s: execution %lld FAILED: %s", job->name, (long long)r.execution_id, r.message);
    else if (r.processed || r.recovered)
        log_info("%s: execution %lld %s: processed %lld", job->name, (long long)r.execution_id,
                 r.status, (long long)r.processed);
    buf_free(&log);
    arena_reset(e->arena);
    return failed ? 1 : 0;
}

static const struct db_stmt q_history = {
    "batch_history",
    "SELECT id, job_name, status, DATE_FORMAT(started_at, '%Y-%m-%d %H:%i:%s'),"
    "       COALESCE(TIMESTAMPDIFF(MICROSECOND, started_at, ended_at) / 1000, -1),"
    "       read_count, processed_count, skip_count, COALESCE(restart_of, 0), host, exit_message"
    "  FROM batch_job_execution WHERE job_name = ? OR ? = ''"
    " ORDER BY id DESC LIMIT ?",
    DB_IDEMPOTENT};

static int history(struct env *e, const char *job, int64_t limit)
{
    struct db_result r;
    struct db_val v[] = {DB_CS(job), DB_CS(job), DB_I(limit)};
    int rc = db_exec(e->db, &q_history, v, 3, e->arena, &r);
    if (rc) {
        fprintf(stderr, "history: %s\n", err_str(rc));
        return 3;
    }
    printf("%-8s %-20s %-10s %-19s %9s %7s %9s %7s %-8s %s\n", "ID", "JOB", "STATUS", "STARTED",
           "MS", "READ", "PROCESSED", "SKIPPED", "RESTART", "MESSAGE");
    for (size_t i = 0; i < r.nrows; i++) {
        struct str msg = db_text(&r, i, 10);
        printf("%-8lld %-20.*s %-10.*s %-19.*s %9lld %7lld %9lld %7lld %-8lld %.*s\n",
               (long long)db_int(&r, i, 0), STR_FMT(db_text(&r, i, 1)), STR_FMT(db_text(&r, i, 2)),
               STR_FMT(db_text(&r, i, 3)), (long long)db_int(&r, i, 4), (long long)db_int(&r, i, 5),
               (long long)db_int(&r, i, 6), (long long)db_int(&r, i, 7),
               (long long)db_int(&r, i, 8), (int)(msg.len > 80 ? 80 : msg.len), msg.p);
    }
    arena_reset(e->arena);
    return 0;
}

/* Executions of the frequent jobs that found nothing to do (every 2 s for expire-holds) carry
 * no information once they are old; pruning them keeps the history readable. Runs that read,
 * processed or skipped anything, failed runs, and every other job's runs are kept. */
#define NOOP_RUN                                                                             \
    " job_name IN ('expire-holds', 'reconcile-payments') AND ended_at < NOW(6) - INTERVAL ?" \
    " SECOND AND (status = 'NOOP' OR (status = 'COMPLETED' AND read_count = 0 AND"           \
    " processed_count = 0 AND skip_count = 0))"
static const struct db_stmt q_prune_upto = {
    "batch_prune_upto",
    "SELECT COALESCE(MAX(id), 0) FROM (SELECT id FROM batch_job_execution WHERE" NOOP_RUN
    " ORDER BY id LIMIT 1000) t",
    0};
static const struct db_stmt q_prune_steps = {
    "batch_prune_steps",
    "DELETE FROM batch_step_execution WHERE job_execution_id IN"
    " (SELECT id FROM batch_job_execution WHERE id <= ? AND" NOOP_RUN ")",
    0};
static const struct db_stmt q_prune_jobs = {
    "batch_prune_jobs", "DELETE FROM batch_job_execution WHERE id <= ? AND" NOOP_RUN, 0};

/* prune: deletes such executions older than keep_s, 1000 per transaction; *deleted counts */
static int prune(struct env *e, int64_t keep_s, int64_t *deleted)
{
    *deleted = 0;
    for (;;) {
        struct db_result r;
        struct db_val k[] = {DB_I(keep_s)};
        int rc = db_begin(e->db);
        if (!rc)
            rc = db_exec(e->db, &q_prune_upto, k, 1, e->arena, &r);
        int64_t upto = rc ? 0 : db_int(&r, 0, 0);
        if (!rc && upto > 0) {
            struct db_val v[] = {DB_I(upto), DB_I(keep_s)};
            rc = db_exec(e->db, &q_prune_steps, v, 2, e->arena, NULL);
            if (!rc)
                rc = db_exec(e->db, &q_prune_jobs, v, 2, e->arena, &r);
            if (!rc)
                *deleted += r.affected;
        }
        rc = rc ? (db_rollback(e->db), rc) : db_commit(e->db);
        arena_reset(e->arena);
        if (rc || upto == 0 || stopping)
            return rc;
    }
}

static int schedule(struct env *e)
{
    const struct batch_job *expire = batch_job_find("expire-holds");
    const struct batch_job *audit = batch_job_find("audit-stock");
    const struct batch_job *reconcile = batch_job_find("reconcile-payments");
    int64_t next_expire = 0,
            next_audit = clock_mono_ns() + e->cfg.batch_audit_interval_ms * 1000000,
            next_reconcile = clock_mono_ns() + e->cfg.batch_reconcile_interval_ms * 1000000,
            next_prune = 0;
    log_info("scheduler started: expire-holds every %lldms, reconcile-payments every %lldms, "
             "audit-stock every %lldms",
             (long long)e->cfg.batch_expire_interval_ms,
             (long long)e->cfg.batch_reconcile_interval_ms,
             (long long)e->cfg.batch_audit_interval_ms);
    while (!stopping) {
        int64_t now = clock_mono_ns();
        if (now >= next_expire) {
            run_once(e, expire, "scheduled", true);
            next_expire = now + e->cfg.batch_expire_interval_ms * 1000000;
        }
        if (e->cfg.batch_reconcile_interval_ms > 0 && now >= next_reconcile && !stopping) {
            run_once(e, reconcile, "scheduled", true);
            next_reconcile = now + e->cfg.batch_reconcile_interval_ms * 1000000;
        }
        if (e->cfg.batch_audit_interval_ms > 0 && now >= next_audit) {
            run_once(e, audit, "scheduled", true);
            next_audit = now + e->cfg.batch_audit_interval_ms * 1000000;
        }
        if (e->cfg.batch_keep_noop_ms > 0 && now >= next_prune && !stopping) {
            int64_t n = 0;
            int rc = prune(e, e->cfg.batch_keep_noop_ms / 1000, &n);
            if (rc)
                log_warn("pruning idle executions failed: %s", err_str(rc));
            else if (n > 0)
                log_info("pruned %lld idle executions older than %llds", (long long)n,
                         (long long)(e->cfg.batch_keep_noop_ms / 1000));
            next_prune = now + 600 * (int64_t)1000000000;
        }
        clock_sleep_ms(100);
    }
    log_info("scheduler stopped");
    return 0;
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

    int rc = 0;
    struct env e;
    memset(&e, 0, sizeof e);
    struct buf err;
    buf_init(&err, 4096);
    if (webcfg_load(&e.cfg, config, &err)) {
        fprintf(stderr, "stampede-batch: %s\n", buf_cstr(&err));
        rc = 3;
        goto out;
    }
    int level = log_level_parse(e.cfg.log_level);
    bool sched = strcmp(cmd, "schedule") == 0;
    /* one-off runs log to stderr only when no file is configured; the summary goes to stdout */
    if (log_init("stampede-batch", "batch", e.cfg.log_file, level < 0 ? LOG_INFO : level)) {
        fprintf(stderr, "stampede-batch: cannot open log %s\n", e.cfg.log_file);
        rc = 3;
        goto out;
    }
    if (sec_init()) {
        fprintf(stderr, "stampede-batch: libsodium failed to initialise\n");
        rc = 3;
        goto out;
    }
    if (*e.cfg.batch_host)
        snprintf(e.host, sizeof e.host, "%s", e.cfg.batch_host);
    else if (gethostname(e.host, sizeof e.host) != 0)
        snprintf(e.host, sizeof e.host, "localhost");
    db_library_init();
    struct db_opts dbo = {e.cfg.db_host,
                          (int)e.cfg.db_port,
                          e.cfg.db_user,
                          e.cfg.db_password,
                          e.cfg.db_name,
                          e.cfg.db_connect_timeout_ms,
                          e.cfg.db_read_timeout_ms,
                          (e.cfg.db_lock_wait_ms + 999) / 1000};
    e.db = db_new(&dbo);
    e.arena = arena_new(64 * 1024, 256 << 20);
    curl_global_init(CURL_GLOBAL_ALL);
    struct gateway_opts go = {e.cfg.gateway_api_url,           e.cfg.gateway_checkout_url,
                              e.cfg.gateway_secret_key,        e.cfg.gateway_client_key,
                              e.cfg.gateway_webhook_secret,    e.cfg.gateway_timeout_ms,
                              e.cfg.gateway_connect_timeout_ms};
    e.gw = gateway_psp_new(&go);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    batch_set_stop_flag(&stopping);

    if (sched) {
        rc = schedule(&e);
    } else if (strcmp(cmd, "prune") == 0) {
        int64_t n = 0;
        rc = prune(&e, e.cfg.batch_keep_noop_ms / 1000, &n);
        if (rc) {
            fprintf(stderr, "prune: %s\n", err_str(rc));
            rc = 3;
        } else {
            printf("pruned %lld executions of expire-holds and reconcile-payments that found "
                   "nothing to do, older than %llds\n",
                   (long long)n, (long long)(e.cfg.batch_keep_noop_ms / 1000));
        }
    } else if (strcmp(cmd, "history") == 0) {
        const char *job = "";
        int64_t limit = 20;
        for (; i < argc; i++) {
            if (strcmp(argv[i], "--limit") == 0 && i + 1 < argc)
                limit = strtol(argv[++i], NULL, 10);
            else
                job = argv[i];
        }
        rc = history(&e, job, limit > 0 ? limit : 20);
    } else {
        if (strcmp(cmd, "run") == 0) {
            if (i >= argc) {
                usage(stderr);
                rc = 2;
                goto out;
            }
            cmd = argv[i++];
        }
        const struct batch_job *job = batch_job_find(cmd);
        if (!job) {
            fprintf(stderr, "stampede-batch: unknown job '%s' (stampede-batch jobs lists them)\n",
                    cmd);
            rc = 2;
            goto out;
        }
        struct buf params;
        buf_init(&params, 1000);
        for (; i < argc; i++) {
            if (strcmp(argv[i], "--param") == 0 && i + 1 < argc && strchr(argv[i + 1], '=')) {
                buf_printf(&params, "%s%s", params.len ? " " : "", argv[++i]);
            } else {
                fprintf(stderr, "stampede-batch: unexpected argument '%s'\n", argv[i]);
                buf_free(&params);
                rc = 2;
                goto out;
            }
        }
        if (params.overflow) {
            fprintf(stderr, "stampede-batch: parameters longer than 1000 characters\n");
            buf_free(&params);
            rc = 2;
            goto out;
        }
        rc = run_once(&e, job, buf_cstr(&params), false);
        buf_free(&params);
    }
out:
    gateway_free(e.gw);
    if (e.db)
        db_free(e.db);
    if (e.arena)
        arena_destroy(e.arena);
    webcfg_free(&e.cfg);
    buf_free(&err);
    return rc;
}
