/* scaler — sample, decide, act, record; see scaler.h. */
#include "scaler.h"

#include "autoscale/cpu.h"
#include "autoscale/events.h"
#include "autoscale/run.h"
#include "core/arena.h"
#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "db/db.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define SCALER_MAX_SAMPLES 4096

const char *const scaler_count_names[SC_N] = {"out", "in", "held", "failed"};

struct scaler {
    const struct appcfg *cfg;
    char host[100];
    struct db *db;
    struct arena *arena;
    struct cpu_meter cpu;
    struct policy_sample *samples; /* oldest first, all taken since since_ms */
    size_t nsamples;
    int64_t since_ms;
    char held_key[24]; /* the held reason last recorded and when: the same one is stored at */
    int64_t held_at;   /* most once a minute, so a tick-by-tick hold is not a flood of rows */
    pthread_mutex_t lock;
    struct scaler_view view; /* under lock */
};

static struct policy_cfg policy_of(const struct appcfg *c)
{
    return (struct policy_cfg){
        .min = (int)c->autoscale_min,
        .max = (int)(c->autoscale_max > c->autoscale_min ? c->autoscale_max : c->autoscale_min),
        .target = (double)c->autoscale_target,
        .cpu_target = (double)c->autoscale_cpu_target / 100.0,
        .in_ratio = (double)c->autoscale_in_ratio / 100.0,
        .window_ms = c->autoscale_window_ms,
        .out_cooldown_ms = c->autoscale_out_cooldown_ms,
        .in_cooldown_ms = c->autoscale_in_cooldown_ms,
        .in_window_ms = c->autoscale_in_window_ms,
    };
}

void scaler_apply(struct scaler *s, const struct appcfg *cfg)
{
    pthread_mutex_lock(&s->lock);
    s->cfg = cfg;
    s->view.policy = policy_of(cfg);
    s->view.enabled = cfg->autoscale_enabled;
    s->view.dry_run = cfg->autoscale_dry_run;
    pthread_mutex_unlock(&s->lock);
    if (cfg->autoscale_max < cfg->autoscale_min)
        log_warn("autoscale: max %lld is below min %lld: max taken as %lld",
                 (long long)cfg->autoscale_max, (long long)cfg->autoscale_min,
                 (long long)cfg->autoscale_min);
}

static void record(struct scaler *s, const char *action, const struct policy_decision *d, int after,
                   struct str result)
{
    arena_reset(s->arena);
    int rc = events_insert(s->db, s->arena, action, d->from, after, d->load, d->cpu, d->reason,
                           result, s->host);
    if (rc)
        log_warn("autoscale: decision not stored in autoscale_events (%s): %s %s", err_str(rc),
                 action, d->reason);
}

struct scaler *scaler_new(const struct appcfg *cfg, const char *host)
{
    struct scaler *s = mem_calloc(1, sizeof *s);
    pthread_mutex_init(&s->lock, NULL);
    snprintf(s->host, sizeof s->host, "%s", host);
    struct db_opts o = appcfg_db_opts(cfg);
    s->db = db_new(&o);
    s->arena = arena_new(64 * 1024, 16 << 20);
    s->samples = mem_calloc(SCALER_MAX_SAMPLES, sizeof *s->samples);
    int64_t now = clock_real_ms();
    s->view.started_ms = s->since_ms = now;
    s->view.last_out_ms = s->view.last_in_ms = POLICY_NEVER;
    snprintf(s->view.last_action, sizeof s->view.last_action, "none");
    scaler_apply(s, cfg);
    int rc = events_last(s->db, s->arena, &s->view.last_out_ms, &s->view.last_in_ms);
    struct policy_decision d = {.from = 0, .cpu = -1};
    if (rc) {
        /* unknown history: behave as if both had just happened, so a restart never flaps */
        s->view.last_out_ms = s->view.last_in_ms = now;
        snprintf(d.reason, sizeof d.reason,
                 "started; the decision log is unreadable (%s): cooldowns start now", err_str(rc));
        log_warn("autoscale: %s", d.reason);
        return s;
    }
    char out_ago[32] = "never", in_ago[32] = "never";
    if (s->view.last_out_ms != POLICY_NEVER)
        snprintf(out_ago, sizeof out_ago, "%llds ago",
                 (long long)((now - s->view.last_out_ms) / 1000));
    if (s->view.last_in_ms != POLICY_NEVER)
        snprintf(in_ago, sizeof in_ago, "%llds ago",
                 (long long)((now - s->view.last_in_ms) / 1000));
    snprintf(d.reason, sizeof d.reason,
             "started: last scale-out %s, last scale-in %s (from autoscale_events): cooldowns "
             "honoured; a scale-in waits for %llds of fresh samples",
             out_ago, in_ago, (long long)(cfg->autoscale_in_window_ms / 1000));
    log_info("autoscale: %s", d.reason);
    record(s, "start", &d, 0, STR(""));
    return s;
}

void scaler_free(struct scaler *s)
{
    if (!s)
        return;
    db_free(s->db);
    arena_destroy(s->arena);
    mem_free(s->samples);
    pthread_mutex_destroy(&s->lock);
    mem_free(s);
}

void scaler_view(struct scaler *s, struct scaler_view *out)
{
    pthread_mutex_lock(&s->lock);
    *out = s->view;
    pthread_mutex_unlock(&s->lock);
}

static void push_sample(struct scaler *s, struct policy_sample p)
{
    int64_t keep = s->view.policy.window_ms > s->view.policy.in_window_ms
                       ? s->view.policy.window_ms
                       : s->view.policy.in_window_ms;
    keep += s->cfg->autoscale_interval_ms;
    size_t drop = 0;
    while (drop < s->nsamples && s->samples[drop].at_ms < p.at_ms - keep)
        drop++;
    if (s->nsamples - drop == SCALER_MAX_SAMPLES)
        drop++;
    memmove(s->samples, s->samples + drop, (s->nsamples - drop) * sizeof *s->samples);
    s->nsamples -= drop;
    s->samples[s->nsamples++] = p;
}

/* act: runs the command `times` times (stops at the first failure); the number that worked,
 * with their output's last lines (or the failure's tail) in out. */
static int act(struct scaler *s, const char *cmd, int times, const char *reason, struct buf *out)
{
    int done = 0;
    for (int i = 0; i < times; i++) {
        struct run_result r;
        int rc = run_command(cmd, reason, s->cfg->autoscale_command_timeout_ms, &r);
        if (rc == 0 && r.ok) {
            buf_printf(out, "%s%s", done ? ", " : "", r.last_line);
            done++;
            continue;
        }
        if (rc)
            buf_printf(out, "%scannot run '%s' (%s): %s", done ? "; " : "", cmd, err_str(rc),
                       r.tail);
        else
            buf_printf(out, "%s'%s' failed (%s %d after %lld ms): %s", done ? "; " : "", cmd,
                       r.timed_out ? "timed out, signal"
                       : r.signal  ? "signal"
                                   : "exit",
                       r.signal ? r.signal : r.exit_code, (long long)r.duration_ms, r.tail);
        break;
    }
    return done;
}

static void set_last(struct scaler *s, const char *action, const char *reason, const char *result,
                     int64_t now, enum scaler_count c)
{
    pthread_mutex_lock(&s->lock);
    snprintf(s->view.last_action, sizeof s->view.last_action, "%s", action);
    snprintf(s->view.last_reason, sizeof s->view.last_reason, "%s", reason);
    snprintf(s->view.last_result, sizeof s->view.last_result, "%s", result);
    s->view.last_decision_ms = now;
    s->view.decisions[c]++;
    pthread_mutex_unlock(&s->lock);
}

static void decided(struct scaler *s, const struct policy_decision *d, int64_t now)
{
    const struct appcfg *c = s->cfg;
    if (d->action == POLICY_NONE)
        return;
    if (d->action == POLICY_HELD) {
        if (strcmp(s->held_key, d->held) == 0 && now - s->held_at < 60000)
            return;
        snprintf(s->held_key, sizeof s->held_key, "%s", d->held);
        s->held_at = now;
        log_info("autoscale: held (%s): %s", d->held, d->reason);
        record(s, "held", d, d->from, STR(""));
        set_last(s, "held", d->reason, d->held, now, SC_HELD);
        return;
    }
    s->held_key[0] = '\0';
    bool outward = d->action == POLICY_OUT;
    const char *cmd = outward ? c->autoscale_add_command : c->autoscale_remove_command;
    int want = outward ? d->to - d->from : 1;
    if (c->autoscale_dry_run) {
        log_info("autoscale: dry run, would scale %s: %s", outward ? "out" : "in", d->reason);
        record(s, outward ? "out" : "in", d, d->to, STR("dry run: no command was run"));
        set_last(s, outward ? "out" : "in", d->reason, "dry run", now, outward ? SC_OUT : SC_IN);
    } else {
        log_info("autoscale: scale %s: %s", outward ? "out" : "in", d->reason);
        pthread_mutex_lock(&s->lock);
        s->view.acting = true;
        pthread_mutex_unlock(&s->lock);
        struct buf out;
        buf_init(&out, EVENTS_RESULT_MAX * 2);
        int done = 0;
        if (!*cmd)
            buf_printf(&out, "autoscale.%s_command is not set", outward ? "add" : "remove");
        else
            done = act(s, cmd, want, d->reason, &out);
        bool failed = done < want;
        const char *action = failed    ? (outward ? "failed-out" : "failed-in")
                             : outward ? "out"
                                       : "in";
        int after = outward ? d->from + done : d->from - done;
        if (failed)
            log_error("autoscale: scale %s failed after %d of %d: %s", outward ? "out" : "in", done,
                      want, buf_cstr(&out));
        else
            log_info("autoscale: scaled %s (%s)", outward ? "out" : "in", buf_cstr(&out));
        record(s, action, d, after, buf_str(&out));
        set_last(s, action, d->reason, buf_cstr(&out), clock_real_ms(),
                 failed    ? SC_FAILED
                 : outward ? SC_OUT
                           : SC_IN);
        buf_free(&out);
        pthread_mutex_lock(&s->lock);
        s->view.acting = false;
        pthread_mutex_unlock(&s->lock);
        /* the samples so far describe the capacity before the change: measure afresh */
        s->nsamples = 0;
        s->since_ms = clock_real_ms();
    }
    /* a failed attempt starts the cooldown too: a broken command is retried after it, not at
     * every tick */
    pthread_mutex_lock(&s->lock);
    if (outward)
        s->view.last_out_ms = now;
    else
        s->view.last_in_ms = now;
    pthread_mutex_unlock(&s->lock);
}

void scaler_tick(struct scaler *s)
{
    int64_t now = clock_real_ms();
    struct buf raw;
    buf_init(&raw, 1 << 20);
    struct hap_backend b;
    int rc = hap_show_stat(s->cfg->autoscale_haproxy, 2000, &raw);
    if (!rc)
        rc = hap_parse_stat(buf_str(&raw), s->cfg->autoscale_backend, &b);
    buf_free(&raw);
    double cpu = cpu_sample(&s->cpu, "/proc/stat");
    if (rc) {
        bool was_ok;
        pthread_mutex_lock(&s->lock);
        was_ok = s->view.haproxy_ok || s->view.sampled_at_ms == 0;
        s->view.haproxy_ok = false;
        snprintf(s->view.haproxy_error, sizeof s->view.haproxy_error, "%s from %s (%s)",
                 rc == ERR_IO ? "no answer" : "unreadable stats", s->cfg->autoscale_haproxy,
                 err_str(rc));
        s->view.sampled_at_ms = now;
        pthread_mutex_unlock(&s->lock);
        if (was_ok)
            log_warn("autoscale: cannot read haproxy: %s; no decisions until it answers",
                     s->view.haproxy_error);
        return;
    }
    if (b.n == 0)
        log_debug("autoscale: backend %s has no servers", s->cfg->autoscale_backend);
    push_sample(s, (struct policy_sample){now, b.load, b.up, cpu});

    struct policy_in in;
    pthread_mutex_lock(&s->lock);
    in = (struct policy_in){
        .s = s->samples,
        .n = s->nsamples,
        .up = b.up,
        .total = (int)b.n,
        .transitioning = b.joining + b.leaving,
        .now_ms = now,
        .since_ms = s->since_ms,
        .last_out_ms = s->view.last_out_ms,
        .last_in_ms = s->view.last_in_ms,
    };
    struct policy_cfg pc = s->view.policy;
    bool enabled = s->view.enabled;
    pthread_mutex_unlock(&s->lock);
    struct policy_decision d;
    policy_decide(&pc, &in, &d);

    pthread_mutex_lock(&s->lock);
    struct scaler_view *v = &s->view;
    v->haproxy_ok = true;
    v->haproxy_error[0] = '\0';
    v->up = b.up;
    v->total = (int)b.n;
    v->joining = b.joining;
    v->leaving = b.leaving;
    v->down = b.down;
    v->desired = d.desired;
    v->load_now = b.up ? b.load / b.up : b.load;
    v->load = d.load;
    v->cpu = d.cpu;
    v->rtime_ms = b.rtime_ms;
    v->sampled_at_ms = now;
    snprintf(v->now_reason, sizeof v->now_reason, "%s", d.reason);
    v->nnodes = b.n;
    for (size_t i = 0; i < b.n; i++) {
        struct scaler_node *n = &v->nodes[i];
        memcpy(n->name, b.s[i].name, sizeof n->name);
        memcpy(n->status, b.s[i].status, sizeof n->status);
        n->state = hap_state_name(b.s[i].state);
        n->scur = b.s[i].scur;
        n->qcur = b.s[i].qcur;
        n->rtime_ms = b.s[i].rtime_ms;
        n->weight = b.s[i].weight;
    }
    pthread_mutex_unlock(&s->lock);

    if (!enabled) {
        if (d.action == POLICY_OUT || d.action == POLICY_IN) {
            d.action = POLICY_HELD;
            snprintf(d.held, sizeof d.held, "paused");
            char why[POLICY_REASON_MAX + 40];
            snprintf(why, sizeof why, "paused (autoscale.enabled = off): %s", d.reason);
            snprintf(d.reason, sizeof d.reason, "%.*s", (int)sizeof d.reason - 1, why);
            d.to = d.from;
            pthread_mutex_lock(&s->lock);
            snprintf(s->view.now_reason, sizeof s->view.now_reason, "%s", d.reason);
            pthread_mutex_unlock(&s->lock);
        }
    }
    decided(s, &d, now);
}
