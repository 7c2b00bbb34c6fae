/*
 * metrics — node-wide counters and histograms in Prometheus text format.
 *
 * Every process of a web node (the master and its forked workers, each with many threads)
 * adds to the same counters: they live in one MAP_SHARED anonymous mapping that the first
 * registration creates, in the master, before it forks. Descriptors (name, labels, help,
 * buckets) live in the mapping too, so any worker can render all of them, including ones the
 * master registered after a reload.
 *
 * Counters are sharded (memcached threadlocal_stats in spirit): a thread adds to its own shard
 * with a relaxed atomic, and a read sums the shards. Threads are spread over METRICS_SHARDS
 * shards by a process-wide sequence, so two threads rarely share one and the atomics make a
 * shared shard correct anyway. Values only grow; a counter wraps at 2^64.
 *
 * Registration: metrics_counter/metrics_histogram find a metric by name and labels or create
 * it. They must run in one process before it forks (start-up, or the master during a reload):
 * the mapping's bookkeeping is not locked across processes. Registering the same name and
 * labels again returns the same metric, so a reload keeps its counters. When the table is
 * full a registration logs once and returns NULL; every update function accepts NULL and does
 * nothing, so code never tests handles.
 *
 * Gauges are not sharded: one cell, set with an atomic store (or exchange).
 *
 * Thread safety: metric_add/metric_observe_ns/metric_set/metrics_render from any thread of any
 * process.
 */
#ifndef STAMPEDE_CORE_METRICS_H
#define STAMPEDE_CORE_METRICS_H

#include "buf.h"
#include "str.h"

#include <stddef.h>
#include <stdint.h>

#define METRICS_MAX        1024 /* descriptors */
#define METRICS_MAX_CELLS  8192
#define METRICS_SHARDS     16
#define METRICS_MAX_BOUNDS 16

struct metric;

/*
 * metrics_counter: the counter `name{labels}`. labels is the inside of the braces, already
 * formatted ("route=\"product\",code=\"2xx\""), or "" for none; name and labels are checked
 * (name [a-z_:][a-z0-9_:]*, labels without newlines) and a bad one is a programming error.
 */
struct metric *metrics_counter(const char *name, const char *labels, const char *help);

/*
 * metrics_histogram: a histogram of durations with the given upper bounds in seconds
 * (ascending, at most METRICS_MAX_BOUNDS; +Inf is implicit). The same name must always be
 * registered with the same bounds.
 */
struct metric *metrics_histogram(const char *name, const char *labels, const char *help,
                                 const double *bounds_s, size_t nbounds);

/*
 * metrics_gauge: the gauge `name{labels}`, a signed value that is set rather than added to
 * (0 until set). Same registration rules as a counter.
 */
struct metric *metrics_gauge(const char *name, const char *labels, const char *help);

/* metric_set: gauge = v. metric_swap: gauge = v, returning the value it replaced, atomically
 * across every process of the node (one caller sees each change). NULL: nothing, 0. */
void metric_set(struct metric *m, int64_t v);
int64_t metric_swap(struct metric *m, int64_t v);
/* metric_gauge_add: gauge += d (d may be negative). NULL: nothing. */
void metric_gauge_add(struct metric *m, int64_t d);
/* metric_gauge: the gauge's value (0 for NULL). */
int64_t metric_gauge(const struct metric *m);

/* metric_add: counter += v. metric_inc: += 1. NULL: nothing. */
void metric_add(struct metric *m, uint64_t v);
void metric_inc(struct metric *m);

/* metric_observe_ns: one observation of a duration in nanoseconds (negative counts as 0). */
void metric_observe_ns(struct metric *m, int64_t ns);

/* metric_value: the counter's current sum over all shards (a histogram: its count). */
uint64_t metric_value(const struct metric *m);

/*
 * metrics_render: every registered metric in Prometheus text exposition format 0.0.4, one
 * HELP and TYPE line per name. Appends to out (which caps its size).
 */
void metrics_render(struct buf *out);

/* Bucket bounds (seconds) used for request and load latencies: 0.5 ms .. 10 s. */
extern const double metrics_latency_bounds[];
extern const size_t metrics_latency_nbounds;

#endif
