/* server — FastCGI master/worker server; see server.h. */
#include "server.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/mem.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <fcgiapp.h>
#include <fcntl.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static atomic_bool draining;
static atomic_bool stopping;

bool http_server_draining(void)
{
    return atomic_load(&draining);
}

static void *json_malloc(size_t n)
{
    return mem_alloc(n);
}

void http_init_json(void)
{
    cJSON_Hooks hooks = {json_malloc, mem_free};
    cJSON_InitHooks(&hooks);
}

/* ---------------------------------------------------------------- request path */

void http_log_request(const struct http_ex *x, int64_t dur_ns)
{
    char stack[1024];
    struct buf b = {stack, 0, sizeof stack, sizeof stack - 2, false};
    log_prefix(&b, LOG_INFO);
    log_kv_str(&b, "route", str_from_cstr(x->route ? x->route->name : "-"));
    log_kv_i64(&b, "status", x->resp.status);
    log_kv_i64(&b, "dur_us", dur_ns / 1000);
    log_kv_str(&b, "method", x->req.method_name);
    log_kv_str(&b, "path", x->req.path.len > 200 ? (struct str){x->req.path.p, 200} : x->req.path);
    log_kv_i64(&b, "bytes", (long long)x->resp.body->len);
    log_kv_str(&b, "ip", x->req.client_ip);
    if (x->req.request_id.len)
        log_kv_str(&b, "rid", x->req.request_id);
    if (x->error_code)
        log_kv_str(&b, "err", str_from_cstr(x->error_code));
    b.overflow = false;
    log_line(&b);
}

void http_serve_one(const struct http_service *svc, struct http_ex *x, char *const *envp,
                    struct str body, bool body_too_big, const struct http_limits *lim,
                    struct arena *a, struct buf *head, struct buf *out)
{
    int rc = http_ex_begin(x, envp, body, lim, a, head, out, svc->hooks);
    if (rc == 0 && body_too_big) {
        http_resp_error(x, 413, "payload_too_large", "The request body is too large.");
        rc = 413;
    }
    if (rc == 0)
        router_dispatch(svc->router, x);
    if (rc == 0 && svc->hooks && svc->hooks->finish)
        svc->hooks->finish(x);
    if (out->overflow || head->overflow) {
        log_error("response of route %s exceeded its buffer (%zu bytes max)",
                  x->route ? x->route->name : "-", out->max);
        buf_reset(head);
        http_resp_error(x, 500, "internal_error", "Something went wrong on our side.");
    }
}

struct worker_thread {
    pthread_t tid;
    int index;
    int listen_fd;
    const struct http_server_opts *opts;
    const struct http_service *svc;
    atomic_bool done;
};

static int read_body(FCGX_Request *fr, struct arena *a, size_t max, struct str *body, bool *too_big)
{
    struct str cl = http_env(fr->envp, "CONTENT_LENGTH");
    int64_t n = 0;
    *body = STR_NULL;
    *too_big = false;
    if (cl.len == 0)
        return 0;
    if (!str_to_i64(cl, &n) || n < 0)
        return ERR_INVAL;
    if ((uint64_t)n > max) {
        *too_big = true;
        return 0;
    }
    char *p = arena_alloc(a, (size_t)n + 1);
    size_t got = 0;
    while (got < (size_t)n) {
        int r = FCGX_GetStr(p + got, (int)((size_t)n - got), fr->in);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    p[got] = '\0';
    *body = (struct str){p, got};
    return got == (size_t)n ? 0 : ERR_IO;
}

static void *thread_main(void *arg)
{
    struct worker_thread *t = arg;
    const struct http_server_opts *o = t->opts;
    const struct http_service *svc = t->svc;

    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    pthread_sigmask(SIG_UNBLOCK, &set, NULL);

    struct http_app *app = svc->thread_start ? svc->thread_start(svc->ctx, t->index) : NULL;
    struct arena *a = arena_new(o->arena_first, o->arena_cap);
    struct buf head, body, out;
    buf_init(&head, 64 * 1024);
    buf_init(&body, o->resp_max);
    buf_init(&out, 64 * 1024 + 4096);

    FCGX_Request fr;
    FCGX_InitRequest(&fr, t->listen_fd, FCGI_FAIL_ACCEPT_ON_INTR);
    while (!atomic_load(&stopping)) {
        if (FCGX_Accept_r(&fr) < 0) {
            if (atomic_load(&stopping) || errno == EINTR)
                continue;
            log_error("accept failed: %s", strerror(errno));
            clock_sleep_ms(10);
            continue;
        }
        int64_t start = clock_mono_ns();
        struct http_ex x = {.app = app, .start_ns = start};
        struct str req_body;
        bool too_big;
        if (read_body(&fr, a, o->limits.body_max, &req_body, &too_big) == 0) {
            http_serve_one(svc, &x, fr.envp, req_body, too_big, &o->limits, a, &head, &body);
        } else {
            /* a short or unparsable body: answer 400 without routing */
            http_ex_begin(&x, fr.envp, STR_NULL, &o->limits, a, &head, &body, svc->hooks);
            http_resp_error(&x, 400, "bad_request", "The request body is incomplete.");
        }
        buf_reset(&out);
        http_resp_serialize(&x, &out);
        FCGX_PutStr(out.p, (int)out.len, fr.out);
        if (x.req.method != HTTP_HEAD && body.len)
            FCGX_PutStr(body.p, (int)body.len, fr.out);
        /* FCGX_Finish_r frees the parameters the request slices point into; keep copies
         * of what the log line and the metrics hook read */
        x.req.method_name = arena_str_dup(a, x.req.method_name);
        x.req.path = arena_str_dup(a, x.req.path);
        x.req.client_ip = arena_str_dup(a, x.req.client_ip);
        x.req.request_id = arena_str_dup(a, x.req.request_id);
        x.req.envp = NULL;
        FCGX_Finish_r(&fr);
        int64_t dur = clock_mono_ns() - start;
        if (!x.route || !(x.route->flags & HTTP_ROUTE_NO_LOG) || x.resp.status >= 400)
            http_log_request(&x, dur);
        if (svc->hooks && svc->hooks->after)
            svc->hooks->after(&x, dur);
        arena_reset(a);
    }
    FCGX_Free(&fr, 0);
    if (svc->thread_stop)
        svc->thread_stop(app);
    arena_destroy(a);
    buf_free(&head);
    buf_free(&body);
    buf_free(&out);
    atomic_store(&t->done, true);
    return NULL;
}

static void on_usr1(int sig)
{
    (void)sig; /* only interrupts accept(2) */
}

/* worker_main: runs in a forked worker process; never returns. */
static _Noreturn void worker_main(const struct http_server_opts *o, const struct http_service *svc,
                                  int listen_fd, int ops_fd)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_usr1; /* no SA_RESTART: accept must fail with EINTR */
    sigaction(SIGUSR1, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGCHLD, SIG_DFL);

    sigset_t all;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);

    /* the worker threads, and one more on the health socket when there is one: it answers
     * /readyz even while every worker thread is busy */
    int n = o->threads + (ops_fd >= 0);
    struct worker_thread *ts = mem_calloc((size_t)n, sizeof *ts);
    for (int i = 0; i < n; i++) {
        ts[i].index = i;
        ts[i].listen_fd = i < o->threads ? listen_fd : ops_fd;
        ts[i].opts = o;
        ts[i].svc = svc;
        if (pthread_create(&ts[i].tid, NULL, thread_main, &ts[i]) != 0) {
            log_error("cannot start worker thread: %s", strerror(errno));
            _exit(1);
        }
    }
    log_info("worker started with %d threads", n);

    sigset_t wait;
    sigemptyset(&wait);
    sigaddset(&wait, SIGTERM);
    sigaddset(&wait, SIGINT);
    sigaddset(&wait, SIGUSR2);
    sigaddset(&wait, SIGHUP);
    for (;;) {
        int sig = 0;
        sigwait(&wait, &sig);
        if (sig == SIGHUP) {
            log_reopen();
            continue;
        }
        if (sig == SIGTERM || sig == SIGINT) {
            atomic_store(&draining, true);
            log_info("draining: readiness 503 for %lldms, then stopping", (long long)o->drain_ms);
            clock_sleep_ms(o->drain_ms);
        } else {
            log_info("retiring after reload");
        }
        break;
    }
    atomic_store(&stopping, true);
    int64_t deadline = clock_mono_ns() + o->stop_timeout_ms * 1000000;
    for (;;) {
        int alive = 0;
        for (int i = 0; i < n; i++) {
            if (!atomic_load(&ts[i].done)) {
                alive++;
                pthread_kill(ts[i].tid, SIGUSR1); /* repeated: a thread may be entering accept */
            }
        }
        if (!alive)
            break;
        if (clock_mono_ns() > deadline) {
            log_warn("stop timeout: %d threads still busy, exiting anyway", alive);
            _exit(0);
        }
        clock_sleep_ms(20);
    }
    for (int i = 0; i < n; i++)
        pthread_join(ts[i].tid, NULL);
    log_info("worker stopped");
    _exit(0);
}

/* ---------------------------------------------------------------- master */

static int open_listener(const char *path, const struct http_server_opts *o, struct buf *err)
{
    struct sockaddr_un sun;
    if (strlen(path) >= sizeof sun.sun_path) {
        buf_printf(err, "listen path too long: %s", path);
        return -1;
    }
    struct stat st;
    if (stat(path, &st) == 0) {
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        memset(&sun, 0, sizeof sun);
        sun.sun_family = AF_UNIX;
        memcpy(sun.sun_path, path, strlen(path) + 1);
        int live = connect(probe, (struct sockaddr *)&sun, sizeof sun) == 0;
        close(probe);
        if (live) {
            buf_printf(err, "socket %s is in use by another server", path);
            return -1;
        }
        unlink(path);
    }
    mode_t old = umask(0177);
    int fd = FCGX_OpenSocket(path, o->backlog);
    umask(old);
    if (fd < 0) {
        buf_printf(err, "cannot listen on %s: %s", path, strerror(errno));
        return -1;
    }
    if (geteuid() == 0 && o->socket_owner && *o->socket_owner) {
        struct passwd *pw = getpwnam(o->socket_owner);
        if (!pw || chown(path, pw->pw_uid, pw->pw_gid) != 0) {
            buf_printf(err, "cannot give %s to user %s", path, o->socket_owner);
            close(fd);
            return -1;
        }
    }
    return fd;
}

struct slot {
    pid_t pid;
    int generation;
    int64_t started_ns;
    int quick_deaths;
    int64_t restart_at_ns; /* 0: none pending */
};

/* The master's state: the sockets, the worker slots of the current generation and, during a
 * reload, the retiring one. */
struct master {
    const struct http_server_opts *o;
    const struct http_service_ops *ops;
    struct http_service *svc, *retired;
    int fd, ops_fd;
    struct slot *slots;
    int max; /* slots: two generations' worth */
    int gen;
    bool stop;
    int64_t stop_deadline;
    struct buf err;
};

static pid_t spawn(struct master *m, const struct http_service *svc)
{
    pid_t master = getpid();
    pid_t pid = fork();
    if (pid == 0) {
        /* a worker does not outlive its master (killed, crashed): nobody would restart or
         * stop it, and it would keep serving an old socket; it stops as on SIGTERM
         * (finishing what it has). The check after closes the race with a master that died
         * before the request took effect. */
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        if (getppid() != master)
            raise(SIGTERM);
        worker_main(m->o, svc, m->fd, m->ops_fd);
    }
    if (pid < 0)
        log_error("fork failed: %s", strerror(errno));
    return pid;
}

static void signal_generation(struct master *m, int gen, int sig)
{
    for (int i = 0; i < m->max; i++)
        if (m->slots[i].pid > 0 && m->slots[i].generation == gen)
            kill(m->slots[i].pid, sig);
}

/* start: service, sockets, pid file; false when start-up failed (reason logged and printed) */
static bool start(struct master *m)
{
    const struct http_server_opts *o = m->o;
    m->fd = m->ops_fd = -1;
    m->svc = m->ops->load(m->ops->arg, &m->err);
    if (m->svc)
        m->fd = open_listener(o->listen, o, &m->err);
    if (m->svc && m->fd >= 0 && o->ops_listen)
        m->ops_fd = open_listener(o->ops_listen, o, &m->err);
    if (!m->svc || m->fd < 0 || (o->ops_listen && m->ops_fd < 0)) {
        log_error("start-up failed: %s", buf_cstr(&m->err));
        fprintf(stderr, "stampede-web: %s\n", buf_cstr(&m->err));
        if (m->fd >= 0)
            close(m->fd);
        if (m->svc)
            m->ops->unload(m->svc);
        return false;
    }
    if (o->pid_file) {
        FILE *f = fopen(o->pid_file, "w");
        if (f) {
            fprintf(f, "%d\n", (int)getpid());
            fclose(f);
        }
    }
    m->max = o->processes * 2;
    m->slots = mem_calloc((size_t)m->max, sizeof *m->slots);
    m->gen = 1;
    for (int i = 0; i < o->processes; i++) {
        m->slots[i].generation = m->gen;
        m->slots[i].started_ns = clock_mono_ns();
        m->slots[i].pid = spawn(m, m->svc);
    }
    log_info("master started: %d processes x %d threads on %s%s%s", o->processes, o->threads,
             o->listen, o->ops_listen ? ", health on " : "", o->ops_listen ? o->ops_listen : "");
    return true;
}

static void begin_stop(struct master *m, int64_t now)
{
    m->stop = true;
    if (m->svc->master_stop)
        m->svc->master_stop(m->svc->ctx);
    m->stop_deadline = now + (m->o->drain_ms + m->o->stop_timeout_ms + 5000) * 1000000;
    log_info("stopping: draining %d worker processes", m->o->processes);
    for (int i = 0; i < m->max; i++)
        if (m->slots[i].pid > 0)
            kill(m->slots[i].pid, SIGTERM);
}

/* reload: a new generation of workers on a freshly loaded service; the old one retires */
static void reload(struct master *m, int64_t now)
{
    log_reopen();
    buf_reset(&m->err);
    struct http_service *fresh = m->ops->load(m->ops->arg, &m->err);
    if (!fresh) {
        log_error("reload failed, keeping the running workers: %s", buf_cstr(&m->err));
        return;
    }
    if (m->retired) {
        log_warn("reload ignored: the previous reload is still retiring workers");
        m->ops->unload(fresh);
        return;
    }
    int old = m->gen++;
    int placed = 0;
    for (int i = 0; i < m->max && placed < m->o->processes; i++) {
        if (m->slots[i].pid > 0)
            continue;
        m->slots[i] = (struct slot){0, m->gen, now, 0, 0};
        m->slots[i].pid = spawn(m, fresh);
        placed++;
    }
    signal_generation(m, old, SIGUSR2);
    m->retired = m->svc;
    m->svc = fresh;
    log_info("reloaded: generation %d started, generation %d retiring", m->gen, old);
}

/* reap: notes dead workers; a current-generation worker is restarted, with back-off when it
 * keeps dying quickly */
static void reap(struct master *m, int64_t now)
{
    pid_t pid;
    int status;
    while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
        for (int i = 0; i < m->max; i++) {
            struct slot *sl = &m->slots[i];
            if (sl->pid != pid)
                continue;
            sl->pid = 0;
            if (sl->generation != m->gen || m->stop)
                break;
            bool quick = now - sl->started_ns < 1000000000LL;
            sl->quick_deaths = quick ? sl->quick_deaths + 1 : 0;
            int64_t delay_ms = quick ? 100LL << (sl->quick_deaths < 6 ? sl->quick_deaths : 6) : 0;
            if (delay_ms > 5000)
                delay_ms = 5000;
            sl->restart_at_ns = now + delay_ms * 1000000;
            if (WIFSIGNALED(status))
                log_error("worker %d killed by signal %d; restarting in %lldms", (int)pid,
                          WTERMSIG(status), (long long)delay_ms);
            else
                log_error("worker %d exited with status %d; restarting in %lldms", (int)pid,
                          WEXITSTATUS(status), (long long)delay_ms);
            break;
        }
    }
    for (int i = 0; i < m->max && !m->stop; i++) {
        struct slot *sl = &m->slots[i];
        if (sl->pid == 0 && sl->generation == m->gen && sl->restart_at_ns &&
            now >= sl->restart_at_ns) {
            sl->restart_at_ns = 0;
            sl->started_ns = now;
            sl->pid = spawn(m, m->svc);
        }
    }
}

/* retire: a retired generation is gone once none of its workers remain */
static void retire(struct master *m)
{
    if (!m->retired)
        return;
    for (int i = 0; i < m->max; i++)
        if (m->slots[i].pid > 0 && m->slots[i].generation != m->gen)
            return;
    m->ops->unload(m->retired);
    m->retired = NULL;
    for (int i = 0; i < m->max; i++)
        if (m->slots[i].generation != m->gen)
            m->slots[i] = (struct slot){0};
}

/* stopped: during a stop, true once every worker is gone (killed after the deadline) */
static bool stopped(struct master *m, int64_t now)
{
    bool any = false;
    for (int i = 0; i < m->max; i++)
        any |= m->slots[i].pid > 0;
    if (!any)
        return true;
    if (now > m->stop_deadline) {
        log_warn("workers did not stop in time; killing them");
        for (int i = 0; i < m->max; i++)
            if (m->slots[i].pid > 0)
                kill(m->slots[i].pid, SIGKILL);
        m->stop_deadline = now + 2000000000LL;
    }
    return false;
}

static void finish_master(struct master *m)
{
    const struct http_server_opts *o = m->o;
    close(m->fd);
    unlink(o->listen);
    if (m->ops_fd >= 0) {
        close(m->ops_fd);
        unlink(o->ops_listen);
    }
    if (o->pid_file)
        unlink(o->pid_file);
    if (m->retired)
        m->ops->unload(m->retired);
    m->ops->unload(m->svc);
    mem_free(m->slots);
    log_info("master stopped");
}

int http_server_run(const struct http_server_opts *o, const struct http_service_ops *ops)
{
    struct master m = {.o = o, .ops = ops};
    buf_init(&m.err, 4096);
    http_init_json();
    if (FCGX_Init() != 0) {
        fprintf(stderr, "stampede-web: FCGX_Init failed\n");
        buf_free(&m.err);
        return 1;
    }
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGCHLD);
    sigprocmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
    if (!start(&m)) {
        buf_free(&m.err);
        return 1;
    }
    for (;;) {
        struct timespec tick = {0, 200 * 1000 * 1000};
        siginfo_t si;
        int sig = sigtimedwait(&set, &si, &tick);
        int64_t now = clock_mono_ns();
        if ((sig == SIGTERM || sig == SIGINT) && !m.stop)
            begin_stop(&m, now);
        else if (sig == SIGHUP && !m.stop)
            reload(&m, now);
        reap(&m, now);
        retire(&m);
        if (!m.stop && m.svc->master_tick)
            m.svc->master_tick(m.svc->ctx, now);
        if (m.stop && stopped(&m, now))
            break;
    }
    finish_master(&m);
    buf_free(&m.err);
    return 0;
}
