/* policy — target tracking with fast scale-out and slow scale-in; see policy.h. */
#include "policy.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

const char *policy_action_name(enum policy_action a)
{
    switch (a) {
    case POLICY_OUT:
        return "out";
    case POLICY_IN:
        return "in";
    case POLICY_HELD:
        return "held";
    case POLICY_NONE:
        break;
    }
    return "none";
}

static double per_node(const struct policy_sample *s)
{
    return s->load / (s->up > 0 ? s->up : 1);
}

struct window {
    size_t n;
    double load;   /* mean load per node */
    double cpu;    /* mean cpu, -1 unknown */
    bool rising;   /* newer half's mean above the older half's */
    double newest; /* per-node load of the newest sample */
};

static struct window window_of(const struct policy_in *in, int64_t span_ms)
{
    struct window w = {0, 0, -1, false, 0};
    size_t first = in->n;
    while (first > 0 && in->s[first - 1].at_ms >= in->now_ms - span_ms)
        first--;
    w.n = in->n - first;
    if (w.n == 0)
        return w;
    double sum = 0, cpu = 0, older = 0, newer = 0;
    size_t ncpu = 0, half = w.n / 2;
    for (size_t i = first; i < in->n; i++) {
        double l = per_node(&in->s[i]);
        sum += l;
        if (i - first < half)
            older += l;
        else if (i - first >= w.n - half)
            newer += l;
        if (in->s[i].cpu >= 0) {
            cpu += in->s[i].cpu;
            ncpu++;
        }
    }
    w.load = sum / (double)w.n;
    w.cpu = ncpu ? cpu / (double)ncpu : -1;
    w.rising = half > 0 && newer > older;
    w.newest = per_node(&in->s[in->n - 1]);
    return w;
}

static int64_t left_s(int64_t last, int64_t cooldown, int64_t now)
{
    if (last == POLICY_NEVER || now - last >= cooldown)
        return 0;
    return (cooldown - (now - last) + 999) / 1000;
}

static void held(struct policy_decision *d, const char *key)
{
    d->action = POLICY_HELD;
    d->to = d->from;
    snprintf(d->held, sizeof d->held, "%s", key);
}

/* out: add `want` - up nodes (want already clamped to max), unless the room or the cooldown
 * forbids it; why says what asked for it. */
static void out(const struct policy_cfg *c, const struct policy_in *in, struct policy_decision *d,
                int want, const char *why)
{
    int room = c->max - in->total;
    int add = want - in->up;
    if (add > room)
        add = room;
    if (add <= 0) {
        held(d, "maximum");
        snprintf(d->reason, sizeof d->reason,
                 "%s, but at the maximum: %d of %d nodes in haproxy (%d UP)", why, in->total,
                 c->max, in->up);
        return;
    }
    int64_t left = left_s(in->last_out_ms, c->out_cooldown_ms, in->now_ms);
    if (left > 0) {
        held(d, "cooldown-out");
        snprintf(d->reason, sizeof d->reason, "%s, but in the scale-out cooldown (%llds left)", why,
                 (long long)left);
        return;
    }
    d->action = POLICY_OUT;
    d->to = in->up + add;
    snprintf(d->reason, sizeof d->reason, "%s: %d -> %d nodes", why, d->from, d->to);
}

void policy_decide(const struct policy_cfg *c, const struct policy_in *in,
                   struct policy_decision *d)
{
    memset(d, 0, sizeof *d);
    d->from = d->to = d->desired = in->up;
    struct window w = window_of(in, c->window_ms);
    d->load = w.load;
    d->cpu = w.cpu;
    int64_t win_s = c->window_ms / 1000;
    char why[POLICY_REASON_MAX - 100]; /* room for what a held decision adds */

    if (in->transitioning > 0) {
        held(d, "transition");
        snprintf(d->reason, sizeof d->reason,
                 "%d node(s) joining or leaving (maint, drain or rising in haproxy): no decision "
                 "until they settle",
                 in->transitioning);
        return;
    }

    int desired = in->up;
    bool over = w.n >= POLICY_MIN_SAMPLES && w.load > c->target * POLICY_TOLERANCE;
    if (over)
        desired = (int)ceil((in->up > 0 ? in->up : 1) * w.load / c->target);
    if (desired > c->max)
        desired = c->max;
    if (desired < c->min)
        desired = c->min;
    d->desired = desired;

    if (in->up < c->min) {
        /* only when it lasts a whole window: a node restarting (a deploy) is back in seconds */
        bool lasting = w.n >= POLICY_MIN_SAMPLES && in->now_ms - in->since_ms >= c->window_ms;
        for (size_t i = in->n - w.n; i < in->n && lasting; i++)
            lasting = in->s[i].up < c->min;
        if (!lasting) {
            held(d, "below-min");
            snprintf(d->reason, sizeof d->reason,
                     "%d UP node(s) is below the minimum %d: adding only if it lasts %llds (a "
                     "restarting node comes back sooner)",
                     in->up, c->min, (long long)win_s);
            return;
        }
        snprintf(why, sizeof why, "%d UP node(s) below the minimum %d for %llds", in->up, c->min,
                 (long long)win_s);
        out(c, in, d, desired, why);
        return;
    }
    if (over && (desired > in->up || in->up >= c->max)) { /* at the maximum: held, said why */
        snprintf(why, sizeof why, "load %.1f per node over %llds > target %.0f (x%.2f)", w.load,
                 (long long)win_s, c->target, POLICY_TOLERANCE);
        out(c, in, d, desired, why);
        return;
    }
    bool cpu_high = c->cpu_target > 0 && w.cpu >= 0 && w.cpu > c->cpu_target;
    if (cpu_high && w.rising && w.n >= POLICY_MIN_SAMPLES && w.load > c->target * c->in_ratio &&
        in->up < c->max) {
        d->desired = in->up + 1;
        snprintf(why, sizeof why,
                 "cpu %.2f over %llds > target %.2f and load rising (%.1f per node, target %.0f)",
                 w.cpu, (long long)win_s, c->cpu_target, w.load, c->target);
        out(c, in, d, in->up + 1, why);
        return;
    }

    /* scale in: low for the whole scale-in window, sampled that long, one node at a time */
    double low = c->target * c->in_ratio;
    struct window iw = window_of(in, c->in_window_ms);
    bool all_low = iw.n > 0;
    for (size_t i = in->n - iw.n; i < in->n && all_low; i++)
        all_low = per_node(&in->s[i]) < low;
    int64_t in_s = c->in_window_ms / 1000;
    if (in->up > c->min && all_low) {
        double after = iw.load * in->up / (in->up - 1);
        snprintf(why, sizeof why, "load %.1f per node below %.1f (target %.0f x%.2f) for %llds",
                 iw.load, low, c->target, c->in_ratio, (long long)in_s);
        int64_t sampled = in->now_ms - in->since_ms;
        int64_t l_in = left_s(in->last_in_ms, c->in_cooldown_ms, in->now_ms);
        int64_t l_out = left_s(in->last_out_ms, c->in_cooldown_ms, in->now_ms);
        if (sampled < c->in_window_ms) {
            held(d, "warming-up");
            snprintf(d->reason, sizeof d->reason,
                     "load %.1f per node is low, but sampled only %llds of the %llds scale-in "
                     "window since start or the last change",
                     iw.load, (long long)(sampled / 1000), (long long)in_s);
        } else if (l_in > 0 || l_out > 0) {
            held(d, "cooldown-in");
            snprintf(d->reason, sizeof d->reason, "%s, but in the scale-in cooldown (%llds left)",
                     why, (long long)(l_in > l_out ? l_in : l_out));
        } else if (cpu_high) {
            held(d, "cpu");
            snprintf(d->reason, sizeof d->reason, "%s, but cpu %.2f is above its target %.2f", why,
                     w.cpu, c->cpu_target);
        } else if (after >= c->target) {
            held(d, "projected");
            snprintf(d->reason, sizeof d->reason,
                     "%s, but %d nodes would carry %.1f per node, not below the target", why,
                     in->up - 1, after);
        } else {
            d->action = POLICY_IN;
            d->to = d->desired = in->up - 1;
            snprintf(d->reason, sizeof d->reason, "%s: %d -> %d nodes", why, d->from, d->to);
        }
        return;
    }
    d->action = POLICY_NONE;
    snprintf(d->reason, sizeof d->reason, "load %.1f per node over %llds, target %.0f: %d nodes",
             w.load, (long long)win_s, c->target, in->up);
}
