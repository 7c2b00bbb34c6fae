/*
 * server — the FastCGI application server: a master process and a pool of worker processes,
 * each running a fixed number of threads that accept on one shared unix socket (libfcgi,
 * FCGX_Accept_r). nginx connects once per request (no fastcgi_keep_conn: see RECIPES.md).
 *
 * Processes:
 *   master   opens the socket, loads the service (configuration, templates) and forks the
 *            workers; restarts a worker that dies (with back-off); owns signals. A worker
 *            whose master dies (killed, crashed) stops as on SIGTERM (PR_SET_PDEATHSIG): it
 *            never lives on unsupervised.
 *   worker   `threads` threads; each has its own application state (database and cache
 *            connections) from service->thread_start, an arena reset after every response
 *            and reusable buffers. With ops_listen, one more thread accepts on that socket
 *            only (nginx sends it /healthz and /readyz): a bulkhead, so readiness is answered
 *            even when every worker thread is busy with slow work.
 *
 * Signals (to the master; it relays them):
 *   SIGTERM/SIGINT  graceful stop: workers report draining at once (/readyz answers 503) and
 *                   keep serving for drain_ms so the load balancer can take them out, then
 *                   stop accepting, finish the requests in flight (at most stop_timeout_ms)
 *                   and exit; the master exits when all have.
 *   SIGHUP          reload: reopen the log file, load the service again (configuration and
 *                   templates); if that fails the error is logged and the running workers
 *                   keep serving. If it succeeds a new generation of workers starts on the
 *                   same socket and the old one finishes its requests and exits: no request is
 *                   refused. Listen socket, process and thread counts are not reloaded.
 *
 * Thread safety: http_server_draining() may be called from any thread.
 */
#ifndef STAMPEDE_HTTP_SERVER_H
#define STAMPEDE_HTTP_SERVER_H

#include "core/buf.h"
#include "http/http.h"
#include "http/router.h"

#include <stdbool.h>

struct http_server_opts {
    const char *listen;       /* unix socket path */
    const char *ops_listen;   /* a second socket, served by one more thread per worker, for
                                 health checks that must never queue behind busy workers;
                                 NULL: none */
    const char *socket_owner; /* when running as root: chown the socket to this user */
    const char *pid_file;     /* master's pid; NULL: none */
    const char *node;         /* node name for the log */
    int backlog;
    int processes;
    int threads;
    int64_t drain_ms;
    int64_t stop_timeout_ms;
    struct http_limits limits;
    size_t resp_max;
    size_t arena_first;
    size_t arena_cap;
};

/* A loaded service: what a reload replaces. */
struct http_service {
    const struct router *router;
    const struct http_hooks *hooks;
    void *ctx;
    /* thread_start: per-thread application state; called in each worker thread. */
    struct http_app *(*thread_start)(void *ctx, int index);
    void (*thread_stop)(struct http_app *app);
    /* master_tick: periodic work of the master (every ~200 ms while it runs, not during a
     * stop), e.g. the node's membership beat; may block briefly. NULL: none. */
    void (*master_tick)(void *ctx, int64_t now_ns);
    /* master_stop: once, when a graceful stop begins (before the workers drain). NULL: none. */
    void (*master_stop)(void *ctx);
};

struct http_service_ops {
    /* load: builds a service; NULL with a reason in err when configuration is invalid. */
    struct http_service *(*load)(void *arg, struct buf *err);
    void (*unload)(struct http_service *svc);
    void *arg;
};

/*
 * http_server_run: runs the master loop until SIGTERM; returns the process exit code
 * (0 after a clean stop, 1 when start-up failed: the reason is logged and printed).
 */
int http_server_run(const struct http_server_opts *opts, const struct http_service_ops *ops);

/* http_server_draining: true once this worker received SIGTERM. */
bool http_server_draining(void);

/*
 * http_serve_one: runs one exchange through the service (parse, route, handle, error
 * handling); used by the server loop and by in-process tests. Does not write anything: the
 * caller sends x->resp (see http_resp_serialize).
 */
void http_serve_one(const struct http_service *svc, struct http_ex *x, char *const *envp,
                    struct str body, bool body_too_big, const struct http_limits *lim,
                    struct arena *a, struct buf *head, struct buf *out);

/* http_log_request: the structured request line (route, status, duration, node...). */
void http_log_request(const struct http_ex *x, int64_t dur_ns);

/* http_init_json: makes cJSON allocate through the mem seam; call once at start-up. */
void http_init_json(void);

#endif
