/* cli — the commands of stampede-batch; see cli.h. */
#include "cli.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/sec.h"
#include "batch/requests.h"
#include "db/retry.h"
#include "shop/queue.h"

#include <curl/curl.h>

#include <assert.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

int batch_cmd_run(struct batch_env *e, const struct batch_job *job, const char *params, bool quiet)
{
    struct shop_ctx ctx = {e->db, e->cache, e->arena, e->gw, &e->rules};
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

int batch_cmd_history(struct batch_env *e, const char *job, int64_t limit)
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
#define NOOP_RUN                                                                         \
    " job_name IN ('expire-holds', 'reconcile-payments') AND ended_at < ? AND (status =" \
    " 'NOOP' OR (status = 'COMPLETED' AND read_count = 0 AND processed_count = 0 AND"    \
    " skip_count = 0))"
/* one cutoff for every statement of a prune transaction, so the rows counted are the rows
 * deleted */
static const struct db_stmt q_prune_cutoff = {
    "batch_prune_cutoff", "SELECT DATE_FORMAT(NOW(6) - INTERVAL ? SECOND, '%Y-%m-%d %H:%i:%s.%f')",
    0};
static const struct db_stmt q_prune_upto = {
    "batch_prune_upto",
    "SELECT COALESCE(MAX(id), 0) FROM (SELECT id FROM batch_job_execution WHERE" NOOP_RUN
    " ORDER BY id LIMIT 1000) t",
    0};
/* what is deleted is counted first (migration 014): stampede_batch_runs_total never falls */
static const struct db_stmt q_prune_count = {
    "batch_prune_count",
    "INSERT INTO batch_pruned_runs (job_name, status, runs)"
    " SELECT job_name, status, COUNT(*) FROM batch_job_execution WHERE id <= ? AND" NOOP_RUN
    " GROUP BY job_name, status"
    " ON DUPLICATE KEY UPDATE runs = runs + VALUES(runs)",
    0};
static const struct db_stmt q_prune_steps = {
    "batch_prune_steps",
    "DELETE FROM batch_step_execution WHERE job_execution_id IN"
    " (SELECT id FROM batch_job_execution WHERE id <= ? AND" NOOP_RUN ")",
    0};
static const struct db_stmt q_prune_jobs = {
    "batch_prune_jobs", "DELETE FROM batch_job_execution WHERE id <= ? AND" NOOP_RUN, 0};

struct prune_tx {
    struct batch_env *e;
    int64_t keep_s, upto, deleted;
};

/* prune_tx: up to 1000 such executions older than keep_s, with their steps, counted */
static int prune_tx(void *arg)
{
    struct prune_tx *q = arg;
    struct batch_env *e = q->e;
    struct db_result r;
    struct db_val k[] = {DB_I(q->keep_s)};
    q->upto = q->deleted = 0;
    int rc = db_exec(e->db, &q_prune_cutoff, k, 1, e->arena, &r);
    if (rc)
        return rc;
    struct str cutoff = db_text(&r, 0, 0);
    struct db_val c[] = {DB_S(cutoff)};
    if ((rc = db_exec(e->db, &q_prune_upto, c, 1, e->arena, &r)))
        return rc;
    q->upto = db_int(&r, 0, 0);
    if (q->upto == 0)
        return 0;
    struct db_val v[] = {DB_I(q->upto), DB_S(cutoff)};
    if ((rc = db_exec(e->db, &q_prune_count, v, 2, e->arena, NULL)) ||
        (rc = db_exec(e->db, &q_prune_steps, v, 2, e->arena, NULL)) ||
        (rc = db_exec(e->db, &q_prune_jobs, v, 2, e->arena, &r)))
        return rc;
    q->deleted = r.affected;
    return 0;
}

/* prune: deletes such executions older than keep_s, 1000 per transaction; *deleted counts */
static int prune(struct batch_env *e, int64_t keep_s, int64_t *deleted)
{
    *deleted = 0;
    for (;;) {
        struct prune_tx q = {e, keep_s, 0, 0};
        int rc = db_tx(e->db, &db_retry_default, prune_tx, &q);
        arena_reset(e->arena);
        if (rc)
            return rc;
        *deleted += q.deleted;
        if (q.upto == 0 || *e->stop)
            return 0;
    }
}

int batch_cmd_prune(struct batch_env *e)
{
    int64_t n = 0;
    int rc = prune(e, e->cfg.batch_keep_noop_ms / 1000, &n);
    if (rc) {
        fprintf(stderr, "prune: %s\n", err_str(rc));
        return 3;
    }
    printf("pruned %lld executions of expire-holds and reconcile-payments that found "
           "nothing to do, older than %llds\n",
           (long long)n, (long long)(e->cfg.batch_keep_noop_ms / 1000));
    return 0;
}

int batch_cmd_schedule(struct batch_env *e)
{
    const struct batch_job *draw = batch_job_find("drop-draw");
    struct appcfg_schedule sched[APPCFG_SCHEDULED_MAX];
    const struct batch_job *sjob[APPCFG_SCHEDULED_MAX];
    int64_t next[APPCFG_SCHEDULED_MAX];
    size_t nsched = appcfg_schedule(&e->cfg, sched);
    int64_t next_draw = 0, next_prune = 0, next_drop = 0;
    for (size_t i = 0; i < nsched; i++) {
        sjob[i] = batch_job_find(sched[i].job);
        assert(sjob[i]); /* conf/appcfg.h names jobs of batch/jobs.c */
        next[i] = sched[i].at_start ? 0 : clock_mono_ns() + sched[i].interval_ms * 1000000;
        log_info("scheduler: %s every %lldms", sched[i].job, (long long)sched[i].interval_ms);
    }
    log_info("scheduler started: drop-draw every %lldms when due",
             (long long)e->cfg.batch_drop_interval_ms);
    while (!*e->stop) {
        int64_t now = clock_mono_ns();
        if (now >= next_draw) {
            /* drop-draw runs only when there is something to do (batch_draws_due), so a draw
             * happens within about a second of its close without an execution row four times
             * a second */
            struct shop_ctx ctx = {e->db, NULL, e->arena, e->gw, NULL};
            bool due = false;
            int rc = batch_draws_due(&ctx, &due);
            arena_reset(e->arena);
            if (rc)
                log_warn("drop-draw: cannot tell whether a draw is due: %s", err_str(rc));
            else if (due)
                batch_cmd_run(e, draw, "scheduled", true);
            next_draw = now + e->cfg.batch_drop_interval_ms * 1000000;
        }
        for (size_t i = 0; i < nsched && !*e->stop; i++) {
            if (now < next[i])
                continue;
            batch_cmd_run(e, sjob[i], "scheduled", true);
            next[i] = now + sched[i].interval_ms * 1000000;
        }
        if (now >= next_drop && !*e->stop) {
            /* queue drops: shuffle at the start, admissions, sold out, the board (shop/queue.h) */
            struct shop_ctx ctx = {e->db, e->cache, e->arena, e->gw, &e->rules};
            int64_t ticked = 0;
            int rc = queue_tick_all(&ctx, &ticked);
            if (rc)
                log_warn("queue drops: tick failed: %s",
                         rc < 0 ? err_str(rc) : shop_outcome_name(rc));
            arena_reset(e->arena);
            next_drop = now + e->cfg.batch_drop_interval_ms * 1000000;
        }
        /* a job an admin asked to run now (/admin/batch) */
        int64_t req;
        const char *job_name;
        struct shop_ctx rctx = {e->db, e->cache, e->arena, e->gw, &e->rules};
        if (!*e->stop && batch_take_request(&rctx, &req, &job_name) == 0) {
            log_info("running %s now, as an admin asked (request %lld)", job_name, (long long)req);
            int code = batch_cmd_run(e, batch_job_find(job_name), "requested", true);
            batch_request_done(&rctx, req, code);
            arena_reset(e->arena);
        }
        if (e->cfg.batch_keep_noop_ms > 0 && now >= next_prune && !*e->stop) {
            int64_t n = 0;
            int rc = prune(e, e->cfg.batch_keep_noop_ms / 1000, &n);
            if (rc)
                log_warn("pruning idle executions failed: %s", err_str(rc));
            else if (n > 0)
                log_info("pruned %lld idle executions older than %llds", (long long)n,
                         (long long)(e->cfg.batch_keep_noop_ms / 1000));
            next_prune = now + 600 * (int64_t)1000000000;
        }
        int64_t pause = e->cfg.batch_drop_interval_ms < 100 ? e->cfg.batch_drop_interval_ms : 100;
        clock_sleep_ms(pause);
    }
    log_info("scheduler stopped");
    return 0;
}

int batch_env_open(struct batch_env *e, const char *config, volatile int *stop)
{
    memset(e, 0, sizeof *e);
    e->stop = stop;
    struct buf err;
    buf_init(&err, 4096);
    int rc = 0;
    if (appcfg_load(&e->cfg, config, &err)) {
        fprintf(stderr, "stampede-batch: %s\n", buf_cstr(&err));
        rc = 3;
        goto out;
    }
    int level = log_level_parse(e->cfg.log_level);
    /* one-off runs log to stderr only when no file is configured; the summary goes to stdout */
    if (log_init("stampede-batch", "batch", e->cfg.log_file, level < 0 ? LOG_INFO : level)) {
        fprintf(stderr, "stampede-batch: cannot open log %s\n", e->cfg.log_file);
        rc = 3;
        goto out;
    }
    if (sec_init()) {
        fprintf(stderr, "stampede-batch: libsodium failed to initialise\n");
        rc = 3;
        goto out;
    }
    if (*e->cfg.batch_host)
        snprintf(e->host, sizeof e->host, "%s", e->cfg.batch_host);
    else if (gethostname(e->host, sizeof e->host) != 0)
        snprintf(e->host, sizeof e->host, "localhost");
    db_library_init();
    struct db_opts dbo = appcfg_db_opts(&e->cfg);
    e->db = db_new(&dbo);
    e->arena = arena_new(64 * 1024, 256 << 20);
    curl_global_init(CURL_GLOBAL_ALL);
    struct gateway_opts go = appcfg_gateway_opts(&e->cfg);
    e->gw = gateway_psp_new(&go);
    struct cache_opts co = appcfg_cache_opts(&e->cfg, false);
    e->cache = cache_new(&co);
    e->rules = appcfg_shop_rules(&e->cfg);
    batch_set_stop_flag(stop);
out:
    buf_free(&err);
    return rc;
}

void batch_env_close(struct batch_env *e)
{
    gateway_free(e->gw);
    if (e->cache)
        cache_free(e->cache);
    if (e->db)
        db_free(e->db);
    if (e->arena)
        arena_destroy(e->arena);
    appcfg_free(&e->cfg);
}
