/*
 * status — the proxy's HTTP status port (libmicrohttpd, its own thread), scraped like the web
 * nodes':
 *   GET /metrics  Prometheus text: the counters (routing, servers, causal reads, failures,
 *                 latency) and gauges of the monitor's view (role, up, readable, lag, GTID
 *                 distance) and of sessions and connections
 *   GET /status   JSON: every server with its role, state, lag, position and why it is not in
 *                 use; sessions; settings that matter (causal reads, lag bound)
 *   GET /healthz  200 while the proxy runs; /readyz 200 while some server can take work
 *
 * Thread safety: reads only shared state (monitor view, atomics, metrics).
 */
#ifndef STAMPEDE_DBPROXY_STATUS_H
#define STAMPEDE_DBPROXY_STATUS_H

#include "dbproxy/dbproxy.h"

/* status_start: listens on status.host:status.port (0: no status port). 0 or ERR_IO. */
int status_start(const struct dbproxy *p);
void status_stop(void);

#endif
