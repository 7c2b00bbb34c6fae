/*
 * status — what the autoscaler's status port answers (served by core/statusd.h):
 *   GET /metrics  Prometheus text: stampede_autoscale_nodes, _desired_nodes, _load_per_node,
 *                 _cpu_ratio, _response_time_seconds, _decisions_total{action},
 *                 _last_decision_timestamp_seconds, _min_nodes, _max_nodes, _target,
 *                 _paused, _haproxy_up, _nodes_in_transition
 *   GET /status   JSON: nodes (per server of the backend), desired, load, cpu, the settings,
 *                 the last decision, what it thinks this tick ("now"), paused, dry_run
 *   GET /healthz  200 while the process runs
 *
 * Pure renderers over a struct scaler_view, so they are unit-testable. Memory: appends to the
 * caller's buffer. Thread safety: reentrant.
 */
#ifndef STAMPEDE_AUTOSCALE_STATUS_H
#define STAMPEDE_AUTOSCALE_STATUS_H

#include "autoscale/scaler.h"
#include "core/buf.h"

void status_metrics(const struct scaler_view *v, struct buf *out);
void status_json(const struct scaler_view *v, struct buf *out);

/* status_answer: a statusd_fn over arg = struct scaler *. */
unsigned status_answer(void *arg, const char *path, struct buf *body, const char **type);

#endif
