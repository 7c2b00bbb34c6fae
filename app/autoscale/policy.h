/*
 * policy — the autoscaler's decision, as a pure function: samples of load in, a decision with
 * its reason out. No I/O, no clock, no globals, so every case is a unit test
 * (tests/unit/autoscale/test_policy.c).
 *
 * Target tracking in the spirit of AWS EC2 Auto Scaling: the metric is the load per UP node
 * (sessions in flight plus queued requests, over the nodes HAProxy counts as capacity) and the
 * policy keeps it near a target.
 *   - Scale out fast: when the average over `window_ms` exceeds target x1.10 (a 10 % tolerance,
 *     like AWS's), the desired count is ceil(up * load / target), added at once (several nodes
 *     in one decision), then a short cooldown.
 *   - CPU, the second signal: when host CPU is above its target and the load is rising (the
 *     newer half of the window above the older half), one node is added even if the load has
 *     not crossed its target yet. CPU alone never scales out (a busy host with a falling load
 *     is recovering) and CPU above its target blocks a scale-in.
 *   - Scale in slowly: only when every sample of the whole `in_window_ms` was below
 *     target x in_ratio, the process has sampled for that long (after a restart too), the
 *     remaining nodes would stay below the target, and the scale-in cooldown has passed since
 *     the last scale-out and the last scale-in; one node at a time.
 *   - Never below min or above max (nodes that are down count against max, so failing nodes
 *     cannot make it add without bound); when fewer than min nodes have been UP for a whole
 *     window it adds nodes up to min whatever the load (a node that restarts, as in a deploy,
 *     is back sooner and is not replaced).
 *   - No decision while a node joins or leaves (HAProxy shows it in MAINT, DRAIN or rising).
 *
 * Thread safety: reentrant. Errors: none; a decision always comes back.
 */
#ifndef STAMPEDE_AUTOSCALE_POLICY_H
#define STAMPEDE_AUTOSCALE_POLICY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define POLICY_TOLERANCE   1.10 /* scale out above target x this */
#define POLICY_MIN_SAMPLES 3    /* samples before a scale-out (one spike is not a trend) */
#define POLICY_NEVER       INT64_MIN
#define POLICY_REASON_MAX  300

struct policy_cfg {
    int min, max;
    double target;     /* load per UP node: sessions in flight + queued requests */
    double cpu_target; /* host CPU busy ratio 0..1; 0: CPU is not a signal */
    double in_ratio;   /* scale in below target x in_ratio (e.g. 0.5) */
    int64_t window_ms; /* the averaging window of a scale-out */
    int64_t out_cooldown_ms;
    int64_t in_cooldown_ms;
    int64_t in_window_ms; /* how long the load must have been low before a scale-in */
};

struct policy_sample {
    int64_t at_ms; /* unix ms */
    double load;   /* total sessions + queue over the UP nodes (and the backend's queue) */
    int up;        /* UP nodes at that moment */
    double cpu;    /* host CPU busy ratio 0..1; negative: unknown */
};

struct policy_in {
    const struct policy_sample *s; /* oldest first; the caller keeps max(window, in_window) */
    size_t n;
    int up;              /* UP nodes now (capacity) */
    int total;           /* every server of the backend now, whatever its state */
    int transitioning;   /* nodes joining or leaving now */
    int64_t now_ms;      /* unix ms */
    int64_t since_ms;    /* when this run of samples began: the process's start, or the end of
                          * its last add/remove (samples from before it describe other
                          * capacity, so the caller drops them, like AWS's instance warm-up) */
    int64_t last_out_ms; /* last scale-out (or failed attempt), POLICY_NEVER if none */
    int64_t last_in_ms;
};

enum policy_action { POLICY_NONE, POLICY_HELD, POLICY_OUT, POLICY_IN };

struct policy_decision {
    enum policy_action action; /* NONE: nothing to do; HELD: wanted to, but may not yet */
    int from, to;              /* UP nodes now, nodes wanted (to == from unless OUT/IN) */
    int desired;               /* the count the metric asks for, clamped to min..max */
    double load;               /* average load per node over the window */
    double cpu;                /* average CPU over the window, negative if unknown */
    char held[24];             /* HELD: a short key (cooldown, maximum, transition, ...) */
    char reason[POLICY_REASON_MAX];
};

/*
 * policy_decide: the decision for in under cfg. Always fills *d (reason included). Bounded:
 * O(in->n).
 */
void policy_decide(const struct policy_cfg *cfg, const struct policy_in *in,
                   struct policy_decision *d);

const char *policy_action_name(enum policy_action a);

#endif
