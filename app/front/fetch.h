/*
 * fetch — one bounded HTTP GET from a handler to a service of the stack (Prometheus's API for
 * the dashboard, stampede-autoscale's /status for /admin/autoscale): libcurl with short
 * timeouts, so a slow or missing service makes a page say so instead of hanging.
 *
 * Memory: the body in the caller's buffer (its max is the cap). Thread safety: reentrant (an
 * easy handle per call). Errors: ERR_UNAVAILABLE (unreachable, a timeout, a status other than
 * 200, a body over the buffer's max).
 */
#ifndef STAMPEDE_FRONT_FETCH_H
#define STAMPEDE_FRONT_FETCH_H

#include "core/buf.h"

#include <stddef.h>
#include <stdint.h>

/* fetch_get: GET url, the body appended to out; 0 or ERR_UNAVAILABLE (out may hold part of a
 * body then). Waits at most timeout_ms (connect: at most 500 ms of it). */
int fetch_get(const char *url, int64_t timeout_ms, struct buf *out);

#endif
