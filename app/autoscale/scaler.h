/*
 * scaler — the autoscaler's loop: every interval it samples HAProxy (haproxy.h) and the host
 * CPU (cpu.h), asks the policy (policy.h) for a decision, runs the add or remove command
 * (run.h), and records the decision with its reason in the log file, the database
 * (events.h) and the view that the status port renders (status.h).
 *
 * Restart without flapping: at start it reads the times of its last scale-out and scale-in
 * from autoscale_events (so cooldowns carry over a restart), counts the nodes from HAProxy at
 * every tick (never from its own memory), needs POLICY_MIN_SAMPLES fresh samples before a
 * scale-out and a whole scale-in window of fresh samples before a scale-in.
 *
 * Memory: a struct scaler is process-lifetime (start-up allocation). Thread safety: the loop
 * runs on one thread; scaler_view copies the view under a mutex for the status thread.
 */
#ifndef STAMPEDE_AUTOSCALE_SCALER_H
#define STAMPEDE_AUTOSCALE_SCALER_H

#include "autoscale/haproxy.h"
#include "autoscale/policy.h"
#include "conf/appcfg.h"

#include <stdbool.h>
#include <stdint.h>

enum scaler_count { SC_OUT, SC_IN, SC_HELD, SC_FAILED, SC_N };
extern const char *const scaler_count_names[SC_N];

struct scaler_node {
    char name[64];
    char status[32];
    const char *state; /* hap_state_name */
    int64_t scur, qcur, rtime_ms, weight;
};

/* What /status and /metrics show: a copy, consistent at one tick. */
struct scaler_view {
    struct policy_cfg policy;
    bool enabled, dry_run, haproxy_ok, acting;
    char haproxy_error[120];
    int up, total, joining, leaving, down, desired;
    double load_now; /* per UP node, this tick */
    double load;     /* per node, averaged over the window */
    double cpu;      /* averaged over the window, negative: unknown */
    double rtime_ms; /* mean response time of the UP nodes */
    int64_t started_ms, sampled_at_ms;
    int64_t last_out_ms, last_in_ms; /* POLICY_NEVER if none */
    int64_t last_decision_ms;        /* last out, in, held or failed; 0 if none */
    char last_action[16];
    char last_reason[POLICY_REASON_MAX];
    char last_result[200];
    char now_reason[POLICY_REASON_MAX]; /* this tick's decision, whatever it was */
    uint64_t decisions[SC_N];
    struct scaler_node nodes[HAP_MAX_SERVERS];
    size_t nnodes;
};

struct scaler;

/* scaler_new: from a loaded configuration (borrowed for the scaler's life). Reads the last
 * decision times from the database; when it cannot, cooldowns start now (the safe side). */
struct scaler *scaler_new(const struct appcfg *cfg, const char *host);
void scaler_free(struct scaler *s);

/* scaler_apply: takes the autoscale.* settings of cfg (a reload); the samples are kept. */
void scaler_apply(struct scaler *s, const struct appcfg *cfg);

/* scaler_tick: one sample and decision (runs a command if one is due: bounded by
 * autoscale.command_timeout per node). */
void scaler_tick(struct scaler *s);

/* scaler_view: a copy of the current view (any thread). */
void scaler_view(struct scaler *s, struct scaler_view *out);

#endif
