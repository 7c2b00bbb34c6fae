/*
 * metrics — GET /metrics: the node's metrics in Prometheus text format (request metrics per
 * route: app/front/metrics.c; cache regions: cache/l2.h; the password gate, the batch
 * schedule and the memcached servers' own stats: here). The counters live in core/metrics'
 * shared mapping, so a scrape of any worker of a node returns the sums over all its processes
 * and threads.
 *
 * Business metrics (orders, pairs, drops, audit, anomalies, holds, batch runs: shop/stats.h)
 * are read from the database at scrape time, but at most once per OPS_STATS_INTERVAL_MS per
 * node: the scrape that finds them old claims the refresh (a compare-and-swap on a shared
 * deadline), reads and renders them, and stores the text in a shared mapping; every other
 * scrape copies the stored text. When the database cannot be read the last text stays (its
 * age grows in stampede_stats_age_seconds and stampede_stats_errors_total counts the
 * failures), so a scrape never fails because of the database.
 *
 * /metrics is internal: HAProxy's public frontend answers 404 for it and nginx refuses it for
 * anything that came through HAProxy (see nginx/nginx.conf.in); scrapers use each node's
 * nginx port on loopback.
 */
#include "ops/ops.h"

#include "cache/near.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/gate.h"
#include "core/log.h"
#include "shop/stats.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/*
 * POST /__internal/near-epoch: a catalog write on some node or tool asks this node to drop
 * its near-cache copies (cache/near.h). Signed with security.secret, which every node and
 * tool shares; not reachable through HAProxy (haproxy.cfg, nginx.conf). 204 once the node's
 * epoch has moved, so the writer knows no thread here serves an older copy.
 */
void ops_near_epoch(struct http_ex *x)
{
    struct str sig = http_param_str(x, NEAR_SIG_HDR); /* declared: routes.c */
    if (!near_verify(x->arena, str_from_cstr(front_cfg(x)->secret), sig, clock_real_s())) {
        http_resp_error(x, 403, "bad_signature", "The invalidation is not signed correctly.");
        return;
    }
    near_bump();
    buf_reset(x->resp.body);
    x->resp.status = 204;
}

/* gate: the password gate's state, read at scrape time (gauges and counters) */
static void gate_metrics(struct buf *b, const struct gate *g)
{
    struct gate_stats s;
    gate_stats_get(g, &s);
    buf_printf(b,
               "# HELP stampede_auth_hash_slots Password hashes allowed at once on this node.\n"
               "# TYPE stampede_auth_hash_slots gauge\nstampede_auth_hash_slots %d\n"
               "# HELP stampede_auth_hash_running Password hashes running now.\n"
               "# TYPE stampede_auth_hash_running gauge\nstampede_auth_hash_running %d\n"
               "# HELP stampede_auth_hash_waiting Sign-ins and sign-ups waiting for a hash.\n"
               "# TYPE stampede_auth_hash_waiting gauge\nstampede_auth_hash_waiting %d\n"
               "# HELP stampede_auth_hash_total Password hashes by what the gate did.\n"
               "# TYPE stampede_auth_hash_total counter\n"
               "stampede_auth_hash_total{result=\"entered\"} %llu\n"
               "stampede_auth_hash_total{result=\"refused\"} %llu\n"
               "stampede_auth_hash_total{result=\"timed_out\"} %llu\n"
               "# HELP stampede_auth_hash_hold_seconds Moving average of a hash's time in the "
               "gate.\n"
               "# TYPE stampede_auth_hash_hold_seconds gauge\nstampede_auth_hash_hold_seconds "
               "%.6f\n",
               s.limit, s.holders, s.waiting, (unsigned long long)s.entered,
               (unsigned long long)s.refused, (unsigned long long)s.timed_out,
               (double)s.avg_hold_us / 1e6);
}

/* ---------------------------------------------------------------- business metrics */

#define STATS_TEXT_MAX (64 * 1024)

struct stats_store {
    pthread_mutex_t lock; /* process-shared; held only to copy the text */
    atomic_llong next_ns; /* CLOCK_MONOTONIC (system-wide): when a refresh is due */
    atomic_llong good_ms; /* wall clock of the last good read; 0: none yet */
    atomic_ullong errors; /* reads that failed */
    size_t len;
    char text[STATS_TEXT_MAX];
};

static struct stats_store *store; /* set before the fork, read-only pointer afterwards */

void ops_metrics_init(void)
{
    if (store)
        return;
    void *p = mmap(NULL, sizeof *store, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        fprintf(stderr, "stampede: cannot map %zu bytes for the business metrics\n", sizeof *store);
        abort();
    }
    store = p; /* zero-filled */
    pthread_mutexattr_t a;
    pthread_mutexattr_init(&a);
    pthread_mutexattr_setpshared(&a, PTHREAD_PROCESS_SHARED);
    pthread_mutex_init(&store->lock, &a);
    pthread_mutexattr_destroy(&a);
}

/* label: a database string as a label value ("\\", quote and newline never reach the text) */
static void label(struct buf *b, const char *s)
{
    for (; *s; s++)
        buf_append_char(b, (*s == '"' || *s == '\\' || *s == '\n') ? '_' : *s);
}

static void family(struct buf *b, const char *name, const char *type, const char *help)
{
    buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void counts(struct buf *b, const char *name, const char *key, const char *help,
                   const struct stats_count *c, size_t n)
{
    family(b, name, "gauge", help);
    for (size_t i = 0; i < n; i++) {
        buf_printf(b, "%s{%s=\"", name, key);
        label(b, c[i].name);
        buf_printf(b, "\"} %lld\n", (long long)c[i].n);
    }
}

static void per_drop(struct buf *b, const struct shop_stats *s, const char *name, const char *type,
                     const char *help, int what)
{
    if (!s->ndrops)
        return;
    family(b, name, type, help);
    for (size_t i = 0; i < s->ndrops; i++) {
        const struct stats_drop *d = &s->drops[i];
        buf_printf(b, "%s{drop=\"%lld\"} ", name, (long long)d->id);
        if (what == 0)
            buf_printf(b, "%lld\n", (long long)d->pairs_left);
        else if (what == 1)
            buf_printf(b, "%lld\n", (long long)d->waiting);
        else if (what == 2)
            buf_printf(b, "%lld\n", (long long)d->admitted);
        else if (what == 4)
            buf_printf(b, "%d\n", d->admitting ? 1 : 0);
        else
            buf_printf(b, "%.3f\n", (double)d->sold_out_lag_us / 1e6);
    }
}

/* render_stats: the business families (the names the alert rules use: keep them) */
static void render_stats(struct buf *b, const struct shop_stats *s)
{
    counts(b, "stampede_orders", "status", "Orders by status.", s->orders, s->norders);
    family(b, "stampede_pairs", "gauge", "Pairs in stock by state, every SKU and bucket.");
    buf_printf(b,
               "stampede_pairs{state=\"available\"} %lld\nstampede_pairs{state=\"held\"} %lld\n"
               "stampede_pairs{state=\"sold\"} %lld\n",
               (long long)s->pairs_available, (long long)s->pairs_held, (long long)s->pairs_sold);
    per_drop(b, s, "stampede_drop_pairs_left", "gauge", "Available pairs of a live drop's product.",
             0);
    if (s->ndrops) {
        family(b, "stampede_drop_pairs", "gauge",
               "A live drop's pairs by state (its product's stock: left is available).");
        for (size_t i = 0; i < s->ndrops; i++) {
            const struct stats_drop *d = &s->drops[i];
            buf_printf(b,
                       "stampede_drop_pairs{drop=\"%lld\",state=\"left\"} %lld\n"
                       "stampede_drop_pairs{drop=\"%lld\",state=\"held\"} %lld\n"
                       "stampede_drop_pairs{drop=\"%lld\",state=\"sold\"} %lld\n",
                       (long long)d->id, (long long)d->pairs_left, (long long)d->id,
                       (long long)d->pairs_held, (long long)d->id, (long long)d->pairs_sold);
        }
    }
    per_drop(b, s, "stampede_drop_queue_waiting", "gauge",
             "Shoppers in a live drop's queue not admitted yet.", 1);
    per_drop(b, s, "stampede_drop_admitted_total", "counter",
             "Queue places a live drop has admitted (drops.serving).", 2);
    per_drop(b, s, "stampede_drop_admitting", "gauge",
             "1 while a queue drop is past its start and not sold out (admission must be "
             "moving while shoppers wait); 0 in its pre-queue, once every pair is promised, and "
             "for a draw.",
             4);
    per_drop(b, s, "stampede_drop_sold_out_lag_seconds", "gauge",
             "Pairs gone: time from the last stock move to the sold-out mark (to now while "
             "unmarked); 0 while pairs are left.",
             3);
    if (s->audit_known) {
        family(b, "stampede_stock_audit_mismatches", "gauge",
               "Mismatches found by the latest finished audit-stock run (I1, I2).");
        buf_printf(b, "stampede_stock_audit_mismatches %lld\n", (long long)s->audit_mismatches);
    }
    counts(b, "stampede_payment_anomalies_open", "kind",
           "Payment anomalies waiting for a human, by kind.", s->anomalies, s->nanomalies);
    family(b, "stampede_orders_overdue_holds", "gauge",
           "pending_payment orders whose hold ended more than 60 s ago (I8).");
    buf_printf(b, "stampede_orders_overdue_holds %lld\n", (long long)s->overdue_holds);
    if (!s->njobs)
        return;
    family(b, "stampede_batch_runs_total", "counter",
           "Batch job executions by result (failed includes abandoned), from the repository: "
           "runs on record plus runs pruned.");
    static const char *const results[] = {"completed", "failed", "noop"};
    for (size_t i = 0; i < s->njobs; i++) {
        const struct stats_job *j = &s->jobs[i];
        const int64_t v[] = {j->completed, j->failed, j->noop};
        for (int k = 0; k < 3; k++) {
            buf_append_cstr(b, "stampede_batch_runs_total{job=\"");
            label(b, j->name);
            buf_printf(b, "\",result=\"%s\"} %lld\n", results[k], (long long)v[k]);
        }
    }
    family(b, "stampede_batch_last_success_timestamp_seconds", "gauge",
           "When a job's latest completed run ended (Unix time).");
    for (size_t i = 0; i < s->njobs; i++) {
        if (s->jobs[i].last_success_ms <= 0)
            continue;
        buf_append_cstr(b, "stampede_batch_last_success_timestamp_seconds{job=\"");
        label(b, s->jobs[i].name);
        buf_printf(b, "\"} %.3f\n", (double)s->jobs[i].last_success_ms / 1e3);
    }
    family(b, "stampede_batch_run_duration_seconds", "gauge",
           "Duration of a job's latest finished run.");
    for (size_t i = 0; i < s->njobs; i++) {
        if (s->jobs[i].last_duration_us < 0)
            continue;
        buf_append_cstr(b, "stampede_batch_run_duration_seconds{job=\"");
        label(b, s->jobs[i].name);
        buf_printf(b, "\"} %.6f\n", (double)s->jobs[i].last_duration_us / 1e6);
    }
}

/* refresh: this scrape claimed the refresh; read, render, store (or count the failure) */
static void refresh(struct http_ex *x)
{
    struct shop_ctx c = front_shop(x);
    struct shop_stats *s = arena_alloc(x->arena, sizeof *s);
    int rc = stats_read(&c, s);
    if (rc) {
        atomic_fetch_add(&store->errors, 1);
        log_debug("metrics: business metrics not read: %s", err_str(rc));
        return;
    }
    struct buf b;
    buf_init(&b, STATS_TEXT_MAX);
    render_stats(&b, s);
    if (!b.overflow) {
        pthread_mutex_lock(&store->lock);
        memcpy(store->text, b.p, b.len);
        store->len = b.len;
        pthread_mutex_unlock(&store->lock);
        atomic_store(&store->good_ms, clock_real_ms());
    } else {
        log_error("metrics: business metrics exceed %d bytes; the last ones are kept",
                  STATS_TEXT_MAX);
    }
    buf_free(&b);
}

static void stats_metrics(struct http_ex *x)
{
    int64_t now = clock_mono_ns();
    long long due = atomic_load(&store->next_ns);
    if (now >= due && atomic_compare_exchange_strong(
                          &store->next_ns, &due, now + (long long)OPS_STATS_INTERVAL_MS * 1000000))
        refresh(x);
    struct buf *b = x->resp.body;
    pthread_mutex_lock(&store->lock);
    buf_append(b, store->text, store->len);
    pthread_mutex_unlock(&store->lock);
    long long good = atomic_load(&store->good_ms);
    family(b, "stampede_stats_age_seconds", "gauge",
           "Age of the business metrics above (read from the database at most every 5 s); -1: "
           "never read.");
    buf_printf(b, "stampede_stats_age_seconds %.3f\n",
               good ? (double)(clock_real_ms() - good) / 1e3 : -1.0);
    family(b, "stampede_stats_errors_total", "counter",
           "Reads of the business metrics that failed (the last values were kept).");
    buf_printf(b, "stampede_stats_errors_total %llu\n",
               (unsigned long long)atomic_load(&store->errors));
}

/* schedule_metrics: the scheduled batch jobs' intervals, from the configuration every node and
 * stampede-batch share (conf/appcfg.h); BatchJobNotSucceeding alerts only on these jobs */
static void schedule_metrics(struct buf *b, const struct appcfg *c)
{
    struct appcfg_schedule s[APPCFG_SCHEDULED_MAX];
    size_t n = appcfg_schedule(c, s);
    if (!n)
        return;
    family(b, "stampede_batch_job_interval_seconds", "gauge",
           "How often stampede-batch's scheduler runs a job (batch.*_interval); jobs run by hand "
           "or only when due have none.");
    for (size_t i = 0; i < n; i++)
        buf_printf(b, "stampede_batch_job_interval_seconds{job=\"%s\"} %.3f\n", s[i].job,
                   (double)s[i].interval_ms / 1e3);
}

/*
 * memcached_metrics: every configured memcached server's own stats, asked at scrape time
 * (cache_server_stats: one `stats` per server, bounded by cache.connect_timeout and
 * cache.poll_timeout; a dead server is up 0 at once, never a slow scrape). Every node reports
 * the same servers, so dashboards and rules read them with max by (server). Debian has no
 * memcached exporter; this is it. Not exported while this node does not use the cache.
 */
#define MC_STATS_MAX 16
static void memcached_metrics(struct buf *b, const struct appcfg *c)
{
    if (!c->cache_enabled)
        return;
    struct cache_opts o = appcfg_cache_opts(c, false);
    struct cache_server_stat st[MC_STATS_MAX];
    size_t n = cache_server_stats(&o, st, MC_STATS_MAX);
    if (!n)
        return;
    family(b, "stampede_memcached_up", "gauge",
           "1 when the memcached server answered this scrape's stats request, else 0.");
    for (size_t i = 0; i < n; i++)
        buf_printf(b, "stampede_memcached_up{server=\"%s\"} %d\n", st[i].server, st[i].up);
    static const struct {
        const char *name, *type, *help;
        size_t off;
    } f[] = {
        {"stampede_memcached_items", "gauge", "Items stored (curr_items).",
         offsetof(struct cache_server_stat, items)},
        {"stampede_memcached_bytes", "gauge", "Bytes used by the items stored (bytes).",
         offsetof(struct cache_server_stat, bytes)},
        {"stampede_memcached_limit_bytes", "gauge", "Memory the server may use (limit_maxbytes).",
         offsetof(struct cache_server_stat, limit_bytes)},
        {"stampede_memcached_evictions_total", "counter",
         "Items evicted to make room (evictions; resets when the server restarts).",
         offsetof(struct cache_server_stat, evictions)},
        {"stampede_memcached_get_hits_total", "counter",
         "Keys found by gets, all clients (get_hits; resets when the server restarts).",
         offsetof(struct cache_server_stat, get_hits)},
        {"stampede_memcached_get_misses_total", "counter",
         "Keys not found by gets, all clients (get_misses; resets when the server restarts).",
         offsetof(struct cache_server_stat, get_misses)},
        {"stampede_memcached_current_connections", "gauge",
         "Open client connections (curr_connections).",
         offsetof(struct cache_server_stat, connections)},
        {"stampede_memcached_uptime_seconds", "gauge", "Time since the server started (uptime).",
         offsetof(struct cache_server_stat, uptime_s)},
    };
    for (size_t k = 0; k < sizeof f / sizeof f[0]; k++) {
        family(b, f[k].name, f[k].type, f[k].help);
        for (size_t i = 0; i < n; i++) {
            if (!st[i].up)
                continue;
            uint64_t v;
            memcpy(&v, (const char *)&st[i] + f[k].off, sizeof v);
            buf_printf(b, "%s{server=\"%s\"} %llu\n", f[k].name, st[i].server,
                       (unsigned long long)v);
        }
    }
}

void ops_metrics(struct http_ex *x)
{
    buf_reset(x->resp.body);
    x->resp.status = 200;
    x->resp.content_type = "text/plain; version=0.0.4; charset=utf-8";
    metrics_render(x->resp.body);
    if (x->app->front->hash_gate)
        gate_metrics(x->resp.body, x->app->front->hash_gate);
    schedule_metrics(x->resp.body, front_cfg(x));
    memcached_metrics(x->resp.body, front_cfg(x));
    if (store)
        stats_metrics(x);
}
