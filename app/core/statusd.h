/*
 * statusd — a small HTTP status port for the processes that are not FastCGI nodes
 * (stampede-dbproxy, stampede-autoscale): libmicrohttpd with its own polling thread, GET and
 * HEAD only (anything else: 405), answers never cached. One callback builds every answer from
 * the path: its status code, content type and body.
 *
 * Memory: the daemon is heap-owned until statusd_stop. Thread safety: the callback runs on the
 * daemon's thread, so what it reads must be safe to read from there (atomics, a mutex).
 * Errors: ERR_CONFIG (host is not an IPv4 address), ERR_IO (cannot listen).
 */
#ifndef STAMPEDE_CORE_STATUSD_H
#define STAMPEDE_CORE_STATUSD_H

#include "buf.h"

#include <stdint.h>

#define STATUSD_BODY_MAX (4u << 20)

/* statusd_fn: the answer to GET path: returns the HTTP status, appends the body to body (capped
 * at STATUSD_BODY_MAX) and sets *type (default text/plain). */
typedef unsigned (*statusd_fn)(void *arg, const char *path, struct buf *body, const char **type);

struct statusd;

/* statusd_start: listens on host:port and serves fn; 0 with *out, or an error (logged). */
int statusd_start(const char *host, int64_t port, statusd_fn fn, void *arg, struct statusd **out);

/* statusd_stop: closes the port and waits for a request in progress; NULL: nothing. */
void statusd_stop(struct statusd *s);

#endif
