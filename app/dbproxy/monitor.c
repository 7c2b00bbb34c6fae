/* monitor — backend roles, health, lag and positions; see monitor.h. */
#include "monitor.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "dbproxy/users.h"

#include <errno.h>
#include <mysql.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct mon_srv {
    MYSQL *conn;
    bool was_up;     /* for logging transitions */
    bool was_usable; /* readable or writable at the last poll */
    enum srv_role last_role;
};

static const struct dbproxy *P;
static struct mon_srv srv[DBPROXY_MAX_SERVERS];
static pthread_t thread;
static bool running;
static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;
static bool wake, stop, users_wanted;
static struct cluster_view published;
static _Atomic uint64_t gen;
static int64_t users_loaded_ns, users_failed_ns;

const char *monitor_role_name(enum srv_role r)
{
    switch (r) {
    case SRV_PRIMARY:
        return "primary";
    case SRV_REPLICA:
        return "replica";
    case SRV_DOWN:
        return "down";
    case SRV_STANDALONE:
        return "standalone";
    case SRV_UNKNOWN:
        break;
    }
    return "unknown";
}

static void disconnect(struct mon_srv *m)
{
    if (m->conn)
        mysql_close(m->conn);
    m->conn = NULL;
}

static bool connect_srv(size_t i, char *why, size_t whylen)
{
    struct mon_srv *m = &srv[i];
    if (m->conn)
        return true;
    MYSQL *c = mysql_init(NULL);
    if (!c) {
        snprintf(why, whylen, "out of memory");
        return false;
    }
    unsigned ct = (unsigned)((P->cfg.connect_timeout_ms + 999) / 1000);
    unsigned rt = ct + 1;
    mysql_optionsv(c, MYSQL_OPT_CONNECT_TIMEOUT, &ct);
    mysql_optionsv(c, MYSQL_OPT_READ_TIMEOUT, &rt);
    mysql_optionsv(c, MYSQL_OPT_WRITE_TIMEOUT, &rt);
    mysql_optionsv(c, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    const struct dbproxy_server *s = &P->servers[i];
    if (!mysql_real_connect(c, s->host, P->cfg.user, P->cfg.password, NULL, (unsigned)s->port, NULL,
                            0)) {
        snprintf(why, whylen, "%u %s", mysql_errno(c), mysql_error(c));
        mysql_close(c);
        return false;
    }
    m->conn = c;
    return true;
}

static void copy_cstr(char *dst, size_t cap, const char *s)
{
    snprintf(dst, cap, "%s", s ? s : "");
}

static int field_index(MYSQL_RES *res, const char *name)
{
    unsigned n = mysql_num_fields(res);
    MYSQL_FIELD *f = mysql_fetch_fields(res);
    for (unsigned i = 0; i < n; i++)
        if (strcmp(f[i].name, name) == 0)
            return (int)i;
    return -1;
}

static const char *col(MYSQL_ROW row, int i)
{
    return i >= 0 ? row[i] : NULL;
}

/* poll_one: fills v from server i; false if unreachable (v->reason says why). */
static bool poll_one(size_t i, struct srv_view *v)
{
    char why[200] = "";
    if (!connect_srv(i, why, sizeof why)) {
        snprintf(v->reason, sizeof v->reason, "down: %.70s", why);
        return false;
    }
    MYSQL *c = srv[i].conn;
    if (mysql_query(c, "SELECT @@server_id, @@read_only, @@gtid_binlog_pos, @@gtid_slave_pos,"
                       " @@version")) {
        snprintf(v->reason, sizeof v->reason, "down: %u %.60s", mysql_errno(c), mysql_error(c));
        disconnect(&srv[i]);
        return false;
    }
    MYSQL_RES *res = mysql_store_result(c);
    MYSQL_ROW row = res ? mysql_fetch_row(res) : NULL;
    if (!row) {
        if (res)
            mysql_free_result(res);
        snprintf(v->reason, sizeof v->reason, "down: no answer to the status query");
        disconnect(&srv[i]);
        return false;
    }
    v->server_id = (uint32_t)strtoul(row[0] ? row[0] : "0", NULL, 10);
    bool read_only = row[1] && strcmp(row[1], "1") == 0;
    struct gtid_pos binlog, slave;
    gtid_parse(str_from_cstr(row[2] ? row[2] : ""), &binlog);
    gtid_parse(str_from_cstr(row[3] ? row[3] : ""), &slave);
    copy_cstr(v->version, sizeof v->version, row[4]);
    mysql_free_result(res);

    if (mysql_query(c, "SHOW SLAVE STATUS")) {
        snprintf(v->reason, sizeof v->reason, "down: %u %.60s", mysql_errno(c), mysql_error(c));
        disconnect(&srv[i]);
        return false;
    }
    res = mysql_store_result(c);
    row = res ? mysql_fetch_row(res) : NULL;
    bool replicating = row != NULL;
    if (row) {
        const char *io = col(row, field_index(res, "Slave_IO_Running"));
        const char *sql = col(row, field_index(res, "Slave_SQL_Running"));
        const char *sbm = col(row, field_index(res, "Seconds_Behind_Master"));
        v->io_running = io && strcmp(io, "Yes") == 0;
        v->sql_running = sql && strcmp(sql, "Yes") == 0;
        v->lag_s = sbm ? strtoll(sbm, NULL, 10) : -1;
    }
    if (res)
        mysql_free_result(res);
    v->reachable = true;
    v->last_ok_ms = clock_real_ms();
    if (replicating) {
        v->role = SRV_REPLICA;
        v->pos = slave;
    } else if (!read_only) {
        v->role = SRV_PRIMARY;
        v->pos = binlog;
    } else {
        v->role = SRV_STANDALONE;
        v->pos = binlog;
    }
    return true;
}

static void decide(struct cluster_view *v)
{
    v->primary = -1;
    for (size_t i = 0; i < v->n; i++) {
        struct srv_view *s = &v->s[i];
        if (s->reachable && s->role == SRV_PRIMARY) {
            if (v->primary < 0) {
                v->primary = (int)i;
                s->writable = true;
            } else {
                snprintf(s->reason, sizeof s->reason, "a second writable server: ignored");
            }
        }
    }
    bool have_primary = v->primary >= 0;
    const struct gtid_pos *ppos = have_primary ? &v->s[v->primary].pos : NULL;
    for (size_t i = 0; i < v->n; i++) {
        struct srv_view *s = &v->s[i];
        if (s->role != SRV_REPLICA || !s->reachable)
            continue;
        s->behind = ppos ? gtid_behind(&s->pos, ppos) : 0;
        int64_t bound_s = (P->cfg.max_replication_lag_ms + 999) / 1000;
        if (!s->sql_running) {
            snprintf(s->reason, sizeof s->reason, "replication stopped (SQL thread)");
        } else if (!s->io_running && have_primary) {
            snprintf(s->reason, sizeof s->reason, "not receiving from the primary (I/O thread)");
        } else if (have_primary && s->lag_s < 0) {
            snprintf(s->reason, sizeof s->reason, "lag unknown");
        } else if (have_primary && bound_s > 0 && s->lag_s > bound_s) {
            snprintf(s->reason, sizeof s->reason, "lagging %llds (bound %llds)",
                     (long long)s->lag_s, (long long)bound_s);
        } else {
            s->readable = true;
            if (!have_primary)
                snprintf(s->reason, sizeof s->reason, "primary down: serving what it has");
        }
    }
    if (!have_primary)
        for (size_t i = 0; i < v->n; i++)
            if (v->s[i].reachable && v->s[i].role == SRV_STANDALONE && v->s[i].reason[0] == '\0')
                snprintf(v->s[i].reason, sizeof v->s[i].reason, "read-only, not replicating");
}

static void log_transitions(const struct cluster_view *v)
{
    for (size_t i = 0; i < v->n; i++) {
        const struct srv_view *s = &v->s[i];
        struct mon_srv *m = &srv[i];
        bool usable = s->readable || s->writable;
        if (s->reachable != m->was_up || s->role != m->last_role || usable != m->was_usable) {
            if (usable)
                log_info("dbproxy: server %s is %s and in use", P->servers[i].name,
                         monitor_role_name(s->role));
            else
                log_warn("dbproxy: server %s (%s) is not in use: %s", P->servers[i].name,
                         monitor_role_name(s->role), s->reason[0] ? s->reason : "?");
        }
        m->was_up = s->reachable;
        m->last_role = s->role;
        m->was_usable = usable;
    }
}

static void load_users(const struct cluster_view *v)
{
    /* any reachable server has the accounts (they replicate); the primary first */
    int order[DBPROXY_MAX_SERVERS], n = 0;
    if (v->primary >= 0)
        order[n++] = v->primary;
    for (size_t i = 0; i < v->n; i++)
        if ((int)i != v->primary && v->s[i].reachable)
            order[n++] = (int)i;
    for (int k = 0; k < n; k++) {
        MYSQL *c = srv[order[k]].conn;
        if (!c)
            continue;
        if (mysql_query(c, "SELECT User, Host, plugin, authentication_string, Password"
                           " FROM mysql.user")) {
            log_warn("dbproxy: cannot load users from %s: %u %s", P->servers[order[k]].name,
                     mysql_errno(c), mysql_error(c));
            continue;
        }
        MYSQL_RES *res = mysql_store_result(c);
        if (!res)
            continue;
        struct users_table *t = users_table_new();
        MYSQL_ROW row;
        while ((row = mysql_fetch_row(res))) {
            unsigned long *len = mysql_fetch_lengths(res);
            struct str auth = {row[3] ? row[3] : "", row[3] ? len[3] : 0};
            if (auth.len == 0 && row[4])
                auth = (struct str){row[4], len[4]};
            users_table_add(t, (struct str){row[0] ? row[0] : "", row[0] ? len[0] : 0},
                            (struct str){row[1] ? row[1] : "", row[1] ? len[1] : 0},
                            (struct str){row[2] ? row[2] : "", row[2] ? len[2] : 0}, auth);
        }
        mysql_free_result(res);
        users_replace(t);
        users_loaded_ns = clock_mono_ns();
        log_debug("dbproxy: %zu accounts loaded from %s", users_count(), P->servers[order[k]].name);
        return;
    }
    users_failed_ns = clock_mono_ns();
}

static void poll_all(void)
{
    struct cluster_view v;
    memset(&v, 0, sizeof v);
    v.n = P->nservers;
    for (size_t i = 0; i < P->nservers; i++) {
        struct srv_view *s = &v.s[i];
        s->lag_s = -1;
        s->role = SRV_DOWN;
        if (!poll_one(i, s)) {
            s->role = SRV_DOWN;
            s->reachable = false;
        }
    }
    decide(&v);
    pthread_mutex_lock(&mu);
    for (size_t i = 0; i < v.n; i++) {
        v.s[i].polls = published.s[i].polls + 1;
        v.s[i].poll_errors = published.s[i].poll_errors + (v.s[i].reachable ? 0 : 1);
        if (!v.s[i].reachable && published.s[i].last_ok_ms)
            v.s[i].last_ok_ms = published.s[i].last_ok_ms;
    }
    v.gen = published.gen + 1;
    published = v;
    bool want_users = users_wanted;
    users_wanted = false;
    pthread_mutex_unlock(&mu);
    atomic_store(&gen, v.gen);
    log_transitions(&v);

    int64_t now = clock_mono_ns();
    bool due =
        users_generation() == 0 || now - users_loaded_ns >= P->cfg.users_refresh_ms * 1000000;
    bool asked = want_users && now - users_loaded_ns >= P->cfg.users_refresh_min_ms * 1000000;
    if ((due || asked) && now - users_failed_ns >= 1000000000LL)
        load_users(&v);
    else if (want_users) { /* too soon: remember the request */
        pthread_mutex_lock(&mu);
        users_wanted = true;
        pthread_mutex_unlock(&mu);
    }
}

static void *run(void *arg)
{
    (void)arg;
    mysql_thread_init();
    pthread_mutex_lock(&mu);
    while (!stop) {
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        int64_t ns = ts.tv_nsec + P->cfg.monitor_interval_ms * 1000000;
        ts.tv_sec += ns / 1000000000;
        ts.tv_nsec = ns % 1000000000;
        while (!stop && !wake) {
            int rc = pthread_cond_timedwait(&cv, &mu, &ts);
            if (rc == ETIMEDOUT)
                break;
        }
        if (stop)
            break;
        wake = false;
        pthread_mutex_unlock(&mu);
        poll_all();
        pthread_mutex_lock(&mu);
    }
    pthread_mutex_unlock(&mu);
    for (size_t i = 0; i < P->nservers; i++)
        disconnect(&srv[i]);
    mysql_thread_end();
    return NULL;
}

int monitor_start(const struct dbproxy *p)
{
    P = p;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_destroy(&cv);
    pthread_cond_init(&cv, &ca);
    pthread_condattr_destroy(&ca);
    stop = false;
    poll_all();
    if (pthread_create(&thread, NULL, run, NULL) != 0)
        return ERR_INTERNAL;
    running = true;
    return 0;
}

void monitor_stop(void)
{
    if (!running)
        return;
    pthread_mutex_lock(&mu);
    stop = true;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
    pthread_join(thread, NULL);
    running = false;
}

uint64_t monitor_gen(void)
{
    return atomic_load_explicit(&gen, memory_order_acquire);
}

void monitor_view(struct cluster_view *v)
{
    pthread_mutex_lock(&mu);
    *v = published;
    pthread_mutex_unlock(&mu);
}

void monitor_wake(void)
{
    pthread_mutex_lock(&mu);
    wake = true;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}

void monitor_request_users(void)
{
    pthread_mutex_lock(&mu);
    users_wanted = true;
    wake = true;
    pthread_cond_signal(&cv);
    pthread_mutex_unlock(&mu);
}
