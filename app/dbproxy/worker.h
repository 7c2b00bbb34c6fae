/*
 * worker — the proxy's event loops. Each worker thread owns an epoll instance, a listening
 * socket on the proxy port (SO_REUSEPORT: the kernel spreads new clients over the workers),
 * the sessions it accepted with their backend connections, its pool of idle backend
 * connections, and a copy of the monitor's view refreshed once per loop turn. Sockets are
 * non-blocking and level-triggered; nothing in a worker ever blocks.
 *
 * Deadlines (connect and login timeouts, a login waiting for the account table, pooled
 * connections' idle time) are checked on every turn; the loop wakes at least every 50 ms.
 *
 * Thread safety: a worker's objects are touched by its own thread only. workers_start and
 * workers_stop from the main thread.
 */
#ifndef STAMPEDE_DBPROXY_WORKER_H
#define STAMPEDE_DBPROXY_WORKER_H

#include "core/metrics.h"
#include "dbproxy/dbproxy.h"
#include "dbproxy/monitor.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

enum ev_kind { EV_LISTEN = 1, EV_CLIENT, EV_BACKEND };

/* The first member of everything registered with epoll. */
struct ev {
    enum ev_kind kind;
    int fd;
    uint32_t events; /* currently registered */
};

struct session;
struct bconn;

struct worker {
    int id;
    const struct dbproxy *p;
    int epfd;
    struct ev listen;
    pthread_t thread;
    volatile int stop;
    struct cluster_view view;
    struct session *sessions;                /* doubly linked */
    struct bconn *pool[DBPROXY_MAX_SERVERS]; /* idle connections, most recent first */
    size_t pooled[DBPROXY_MAX_SERVERS];
    struct gtid_pos reached[DBPROXY_MAX_SERVERS]; /* positions known applied by each server */
    struct bconn *closing;                        /* backends to free at the end of the turn */
    bool urgent;                                  /* a deadline is due now: do not sleep */
    struct session *dead;                         /* sessions to free at the end of the turn */
    int64_t avoid_until[DBPROXY_MAX_SERVERS];     /* a connect failed: skip until then */
    char avoid_why[DBPROXY_MAX_SERVERS][120];
    uint32_t next_id;
};

/* Metrics shared by every part of the proxy (registered by workers_start). */
struct dbproxy_metrics {
    struct metric *sessions_total, *sessions_refused, *logins_failed;
    struct metric *queries[DBPROXY_MAX_SERVERS]; /* statements sent per server */
    struct metric *backend_connects[DBPROXY_MAX_SERVERS];
    struct metric *backend_failures[DBPROXY_MAX_SERVERS];
    struct metric *pool_reused[DBPROXY_MAX_SERVERS];
    struct metric *causal_skipped, *causal_waited, *causal_timeouts, *gtid_lookups;
    struct metric *retried_reads, *write_refused, *read_refused, *sescmd_failed;
    struct metric *lost_in_trx;
    struct metric *latency;
};
extern struct dbproxy_metrics dbproxy_m;
/* dbproxy_route_metric: the counter for (target, reason); NULL-safe. */
struct metric *dbproxy_route_metric(const char *target, const char *reason);

int workers_start(const struct dbproxy *p);
void workers_stop(void);
/* workers_sessions: client sessions open now (all workers). */
long workers_sessions(void);
long workers_backends(int srv);

/* worker_watch: (re)registers ev for events (EPOLLIN/EPOLLOUT bits); 0 or ERR_IO. */
int worker_watch(struct worker *w, struct ev *e, uint32_t events);
void worker_unwatch(struct worker *w, struct ev *e);
/* worker_refresh_view: copies the monitor's view if it changed, then marks the servers this
 * worker could not connect to within the last half second as unusable (the monitor may not
 * have noticed yet), so that writes are refused at once instead of retried. */
void worker_refresh_view(struct worker *w);
/* worker_avoid: a connection to srv could not be opened (why: for error messages). */
void worker_avoid(struct worker *w, int srv, const char *why);

#endif
