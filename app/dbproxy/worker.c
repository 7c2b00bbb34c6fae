/* worker — epoll loops, listeners and metrics; see worker.h. */
#include "worker.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"
#include "dbproxy/backend.h"
#include "dbproxy/classify.h"
#include "dbproxy/route.h"
#include "dbproxy/session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define TICK_MS 50

struct dbproxy_metrics dbproxy_m;

static struct worker *workers;
static size_t nworkers;

/* ------------------------------------------------------------------ metrics */

struct route_metric {
    const char *target;
    const char *reason;
    struct metric *m;
};
static struct route_metric route_metrics[4 * 40];
static size_t nroute_metrics;

static struct metric *find_route_metric(const char *target, const char *reason, bool exact)
{
    struct metric *other = NULL;
    for (size_t i = 0; i < nroute_metrics; i++) {
        if (strcmp(route_metrics[i].target, target) != 0)
            continue;
        if (reason && strcmp(route_metrics[i].reason, reason) == 0)
            return route_metrics[i].m;
        if (strcmp(route_metrics[i].reason, "other") == 0)
            other = route_metrics[i].m;
    }
    return exact ? NULL : other;
}

struct metric *dbproxy_route_metric(const char *target, const char *reason)
{
    /* the strings are constants: remember answers by address (per thread, no locking) */
    static _Thread_local struct {
        const char *t, *r;
        struct metric *m;
    } cache[64];
    size_t h = (((uintptr_t)target >> 3) ^ ((uintptr_t)reason >> 3) * 31) % 64;
    if (cache[h].t == target && cache[h].r == reason && target)
        return cache[h].m;
    struct metric *m = find_route_metric(target, reason, false);
    cache[h].t = target;
    cache[h].r = reason;
    cache[h].m = m;
    return m;
}

static void register_metrics(const struct dbproxy *p)
{
    /* statements that follow the previous one are counted where they ran */
    static const char *const targets[] = {"primary", "replica", "all"};
    const char *const *lists[] = {route_reasons, qc_reasons};
    for (size_t t = 0; t < sizeof targets / sizeof targets[0]; t++)
        for (size_t l = 0; l < 2; l++)
            for (size_t r = 0; lists[l][r]; r++) {
                if (find_route_metric(targets[t], lists[l][r], true))
                    continue; /* in both lists */
                char labels[128];
                snprintf(labels, sizeof labels, "target=\"%s\",reason=\"%s\"", targets[t],
                         lists[l][r]);
                if (nroute_metrics == sizeof route_metrics / sizeof route_metrics[0])
                    break;
                route_metrics[nroute_metrics++] = (struct route_metric){
                    targets[t], lists[l][r],
                    metrics_counter("stampede_dbproxy_routed_total", labels,
                                    "Statements routed, by target and the reason for it")};
            }
    struct dbproxy_metrics *m = &dbproxy_m;
    m->sessions_total =
        metrics_counter("stampede_dbproxy_sessions_total", "", "Client sessions accepted");
    m->sessions_refused = metrics_counter("stampede_dbproxy_sessions_refused_total", "",
                                          "Client sessions refused (max_connections)");
    m->logins_failed = metrics_counter("stampede_dbproxy_logins_failed_total", "",
                                       "Client logins refused (bad password, unknown account)");
    for (size_t i = 0; i < p->nservers; i++) {
        char l[80];
        snprintf(l, sizeof l, "server=\"%s\"", p->servers[i].name);
        m->queries[i] = metrics_counter("stampede_dbproxy_server_queries_total", l,
                                        "Commands sent to each server (the proxy's own included)");
        m->backend_connects[i] = metrics_counter("stampede_dbproxy_server_connects_total", l,
                                                 "New connections opened to each server");
        m->backend_failures[i] =
            metrics_counter("stampede_dbproxy_server_connection_failures_total", l,
                            "Connections to each server that failed or were lost");
        m->pool_reused[i] = metrics_counter("stampede_dbproxy_pool_reused_total", l,
                                            "Pooled connections reused (COM_CHANGE_USER)");
    }
    m->causal_skipped = metrics_counter(
        "stampede_dbproxy_causal_reads_total", "result=\"known\"",
        "Reads needing the session's writes: known applied (no wait), waits sent, waits timed out");
    m->causal_waited =
        metrics_counter("stampede_dbproxy_causal_reads_total", "result=\"waited\"", NULL);
    m->causal_timeouts =
        metrics_counter("stampede_dbproxy_causal_reads_total", "result=\"timeout\"", NULL);
    m->gtid_lookups = metrics_counter("stampede_dbproxy_gtid_lookups_total", "",
                                      "SELECT @@last_gtid sent for clients without session"
                                      " tracking");
    m->retried_reads = metrics_counter("stampede_dbproxy_reads_retried_total", "",
                                       "Reads run again elsewhere after their server failed");
    m->write_refused = metrics_counter("stampede_dbproxy_refused_total", "kind=\"write\"",
                                       "Statements refused: writes without a primary, reads"
                                       " without any server");
    m->read_refused = metrics_counter("stampede_dbproxy_refused_total", "kind=\"read\"", NULL);
    m->sescmd_failed = metrics_counter("stampede_dbproxy_sescmd_failures_total", "",
                                       "Session commands a backend refused (it is dropped from"
                                       " the session)");
    m->lost_in_trx = metrics_counter("stampede_dbproxy_sessions_lost_total", "",
                                     "Client sessions closed because their server died with a"
                                     " transaction or statement in flight");
    m->latency = metrics_histogram("stampede_dbproxy_statement_seconds", "",
                                   "Time from sending a command to a server to the end of its"
                                   " response",
                                   metrics_latency_bounds, metrics_latency_nbounds);
}

/* ------------------------------------------------------------------ epoll */

int worker_watch(struct worker *w, struct ev *e, uint32_t events)
{
    struct epoll_event ee = {.events = events, .data.ptr = e};
    int op = e->events ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (e->events == 0 && events == 0)
        return 0;
    if (events == 0) {
        epoll_ctl(w->epfd, EPOLL_CTL_DEL, e->fd, NULL);
        e->events = 0;
        return 0;
    }
    if (epoll_ctl(w->epfd, op, e->fd, &ee) != 0) {
        if (errno == ENOENT && op == EPOLL_CTL_MOD &&
            epoll_ctl(w->epfd, EPOLL_CTL_ADD, e->fd, &ee) == 0) {
            e->events = events;
            return 0;
        }
        if (errno == EEXIST && op == EPOLL_CTL_ADD &&
            epoll_ctl(w->epfd, EPOLL_CTL_MOD, e->fd, &ee) == 0) {
            e->events = events;
            return 0;
        }
        return ERR_IO;
    }
    e->events = events;
    return 0;
}

void worker_unwatch(struct worker *w, struct ev *e)
{
    if (e->events && e->fd >= 0)
        epoll_ctl(w->epfd, EPOLL_CTL_DEL, e->fd, NULL);
    e->events = 0;
}

void worker_refresh_view(struct worker *w)
{
    if (monitor_gen() != w->view.gen)
        monitor_view(&w->view);
    int64_t now = clock_mono_ns();
    for (size_t i = 0; i < w->view.n; i++) {
        if (!w->avoid_until[i] || now >= w->avoid_until[i])
            continue;
        w->view.s[i].readable = false;
        w->view.s[i].writable = false;
        if (w->view.primary == (int)i)
            w->view.primary = -1;
        w->view.gen = 0; /* copy again next time: the avoidance ends on its own */
    }
}

void worker_avoid(struct worker *w, int srv, const char *why)
{
    w->avoid_until[srv] = clock_mono_ns() + 500 * 1000000LL;
    snprintf(w->avoid_why[srv], sizeof w->avoid_why[srv], "%s: %s", w->p->servers[srv].name, why);
    w->view.gen = 0;
}

static int listen_socket(const struct dbproxy *p)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)p->cfg.listen_port);
    if (inet_pton(AF_INET, p->cfg.listen_host, &sa.sin_addr) != 1 ||
        bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1024) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        return -1;
    }
    return fd;
}

static void accept_all(struct worker *w)
{
    for (;;) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(w->listen.fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                log_warn("dbproxy: accept: %s", strerror(errno));
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        char addr[64] = "unknown";
        if (ss.ss_family == AF_INET)
            inet_ntop(AF_INET, &((struct sockaddr_in *)&ss)->sin_addr, addr, sizeof addr);
        else if (ss.ss_family == AF_INET6)
            inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&ss)->sin6_addr, addr, sizeof addr);
        session_accept(w, fd, addr);
    }
}

static void reap_backends(struct worker *w)
{
    while (w->closing) {
        struct bconn *b = w->closing;
        w->closing = b->next;
        buf_free(&b->in);
        buf_free(&b->out);
        buf_free(&b->pend);
        mem_free(b);
    }
}

static void tick(struct worker *w)
{
    int64_t now = clock_mono_ns();
    w->urgent = false;
    session_tick_all(w, now);
    pool_expire(w, now);
}

static void *run(void *arg)
{
    struct worker *w = arg;
    struct epoll_event evs[256];
    int64_t last_tick = 0;
    int64_t spin_ns = w->p->cfg.busy_poll_us * 1000;
    while (!w->stop) {
        /* busy polling: after work, look again for a little while before sleeping, so that
         * under load the thread is not put to sleep and woken for every packet */
        int n = 0;
        if (spin_ns > 0) {
            int64_t until = clock_mono_ns() + spin_ns;
            do
                n = epoll_wait(w->epfd, evs, 256, 0);
            while (n == 0 && clock_mono_ns() < until);
        }
        if (n == 0)
            n = epoll_wait(w->epfd, evs, 256, w->urgent ? 0 : TICK_MS);
        if (n < 0 && errno != EINTR) {
            log_error("dbproxy: epoll_wait: %s", strerror(errno));
            break;
        }
        worker_refresh_view(w);
        for (int i = 0; i < n; i++) {
            struct ev *e = evs[i].data.ptr;
            switch (e->kind) {
            case EV_LISTEN:
                accept_all(w);
                break;
            case EV_CLIENT:
                session_event(session_from_ev(e), evs[i].events);
                break;
            case EV_BACKEND:
                backend_event((struct bconn *)e, evs[i].events);
                break;
            }
        }
        int64_t now = clock_mono_ns();
        if (w->urgent || now - last_tick >= TICK_MS * 1000000LL) {
            tick(w);
            last_tick = now;
        }
        session_reap(w);
        reap_backends(w);
    }
    session_close_all(w);
    pool_drain(w);
    reap_backends(w);
    return NULL;
}

int workers_start(const struct dbproxy *p)
{
    register_metrics(p);
    nworkers = (size_t)p->cfg.threads;
    workers = mem_calloc(nworkers, sizeof *workers);
    for (size_t i = 0; i < nworkers; i++) {
        struct worker *w = &workers[i];
        w->id = (int)i;
        w->p = p;
        w->epfd = epoll_create1(EPOLL_CLOEXEC);
        int fd = listen_socket(p);
        if (w->epfd < 0 || fd < 0) {
            log_error("dbproxy: cannot listen on %s:%lld: %s", p->cfg.listen_host,
                      (long long)p->cfg.listen_port, strerror(errno));
            return ERR_IO;
        }
        w->listen = (struct ev){EV_LISTEN, fd, 0};
        monitor_view(&w->view);
        if (worker_watch(w, &w->listen, EPOLLIN) != 0)
            return ERR_IO;
    }
    for (size_t i = 0; i < nworkers; i++)
        if (pthread_create(&workers[i].thread, NULL, run, &workers[i]) != 0)
            return ERR_INTERNAL;
    return 0;
}

void workers_stop(void)
{
    for (size_t i = 0; i < nworkers; i++)
        workers[i].stop = 1;
    for (size_t i = 0; i < nworkers; i++) {
        pthread_join(workers[i].thread, NULL);
        close(workers[i].listen.fd);
        close(workers[i].epfd);
    }
    mem_free(workers);
    workers = NULL;
    nworkers = 0;
}
