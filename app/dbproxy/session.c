/* session — one client session; see session.h. */
#include "session.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "core/sec.h"
#include "dbproxy/classify.h"
#include "dbproxy/route.h"
#include "dbproxy/select.h"
#include "dbproxy/sescmd.h"
#include "dbproxy/stmt.h"
#include "dbproxy/users.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define LOGIN_TIMEOUT_NS (10LL * 1000 * 1000 * 1000)
#define USERS_WAIT_NS    (3LL * 1000 * 1000 * 1000)
#define CLIENT_BACKLOG   (4u << 20) /* pause backends above this much unsent to the client */
#define CLIENT_RESUME    (1u << 20)
#define ATTRS_MAX        65536
#define MAX_READ_TRIES   3

static _Atomic long nsessions;

long workers_sessions(void)
{
    return atomic_load(&nsessions);
}

/* ------------------------------------------------------------------ global causal reads */

static pthread_mutex_t global_mu = PTHREAD_MUTEX_INITIALIZER;
static struct gtid_pos global_gtid;

static void global_note(const struct gtid_pos *g)
{
    pthread_mutex_lock(&global_mu);
    gtid_merge(&global_gtid, g);
    pthread_mutex_unlock(&global_mu);
}

static void global_get(struct gtid_pos *g)
{
    pthread_mutex_lock(&global_mu);
    *g = global_gtid;
    pthread_mutex_unlock(&global_mu);
}

/* ------------------------------------------------------------------ the session */

enum phase {
    PH_GREETING, /* waiting for the login packet */
    PH_SWITCH,   /* waiting for the auth switch answer */
    PH_USERS,    /* waiting for the account table to be reloaded */
    PH_FIRST,    /* logging in to the first backend */
    PH_READY,    /* between commands */
    PH_BUSY,     /* a command is being served */
    PH_CLOSING,  /* flushing a last error, then closing */
    PH_DEAD,     /* closed; freed at the end of the worker's loop turn */
};

enum cstate {
    CS_ROUTE, /* (re)decide and send when the backend is ready */
    CS_SENT,  /* the client's response is on its way */
};

struct session {
    struct ev ev;
    struct worker *w;
    struct session *prev, *next;
    char addr[64];
    uint32_t id;
    enum phase phase;
    struct buf in, out;
    size_t in_off;
    int64_t deadline_ns;
    /* login */
    uint8_t nonce[PROTO_NONCE_LEN];
    uint32_t caps;
    uint8_t charset;
    char user[81];
    char db[65];
    uint8_t sha1pw[PROTO_SHA1_LEN];
    bool has_pw;
    uint8_t *attrs;
    size_t attrs_len;
    uint8_t token[64];
    size_t token_len;
    uint8_t seq;        /* next sequence id towards the client */
    uint64_t users_gen; /* the table generation a failed login waits to change */
    bool users_retried;
    int first; /* the first backend (login) */
    /* backends */
    struct bconn *b[DBPROXY_MAX_SERVERS];
    /* the command being served */
    struct buf cmd;     /* its payload, command byte first */
    struct buf scratch; /* a rewritten command (statement ids, parameter types) */
    enum cstate cs;
    struct qc_info qc;
    const char *reason;
    int target;               /* the server whose response goes to the client */
    bool is_read;             /* may be retried elsewhere before any byte reached the client */
    bool sent_bytes;          /* part of the response reached the client */
    bool wait_failed;         /* the causal wait before the forwarded read timed out */
    bool force_primary;       /* a read after a failed causal wait */
    const char *force_reason; /* the routing reason of that read */
    int except;               /* a replica that failed this read */
    int tries;
    uint32_t cmd_ps;    /* the statement a prepared-statement command is about */
    bool sescmd_failed; /* the client's copy of a session command failed */
    int64_t started_ns;
    /* session state */
    struct route_state rs;
    int prev_srv;
    int ro_srv;
    struct gtid_pos gtid; /* the session's last write */
    bool gtid_dirty;      /* wrote, but the GTID is not known yet (no session tracking) */
    struct sescmd_hist hist;
    struct ps_table ps;
};

static void step(struct session *s);
static void client_input(struct session *s);
static void finish_command(struct session *s);

struct session *session_from_ev(struct ev *e)
{
    return (struct session *)e;
}

void session_login_info(const struct session *s, struct session_login *out)
{
    out->user = s->user;
    out->db = s->db;
    out->sha1pw = s->has_pw ? s->sha1pw : NULL;
    out->caps = s->caps;
    out->charset = s->charset;
    out->attrs = s->attrs;
    out->attrs_len = s->attrs_len;
}

bool session_client_backlogged(const struct session *s)
{
    return s->out.len > CLIENT_BACKLOG;
}

/* ------------------------------------------------------------------ client I/O */

static void client_watch(struct session *s)
{
    uint32_t ev = EPOLLIN | EPOLLRDHUP;
    if (s->out.len)
        ev |= EPOLLOUT;
    if (s->phase == PH_CLOSING)
        ev = s->out.len ? EPOLLOUT : 0;
    if (ev != s->ev.events)
        worker_watch(s->w, &s->ev, ev);
}

/* kill: closes the client and hands the backends back; the memory is freed at the end of the
 * loop turn (session_reap), so callers up the stack may still look at s->phase. */
static void session_kill(struct session *s)
{
    struct worker *w = s->w;
    if (s->phase == PH_DEAD)
        return;
    for (size_t i = 0; i < DBPROXY_MAX_SERVERS; i++)
        if (s->b[i]) {
            if (s->phase == PH_READY)
                backend_release(s->b[i]);
            else
                backend_close(s->b[i]);
            s->b[i] = NULL;
        }
    if (s->ev.fd >= 0) {
        worker_unwatch(w, &s->ev);
        close(s->ev.fd);
        s->ev.fd = -1;
    }
    if (s->prev)
        s->prev->next = s->next;
    else
        w->sessions = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->phase = PH_DEAD;
    s->next = w->dead;
    s->prev = NULL;
    w->dead = s;
    atomic_fetch_sub(&nsessions, 1);
}

void session_reap(struct worker *w)
{
    while (w->dead) {
        struct session *s = w->dead;
        w->dead = s->next;
        ps_clear(&s->ps);
        sescmd_free(&s->hist);
        buf_free(&s->in);
        buf_free(&s->out);
        buf_free(&s->cmd);
        buf_free(&s->scratch);
        mem_free(s->attrs);
        mem_free(s);
    }
}

static bool gone(const struct session *s)
{
    return s->phase == PH_CLOSING || s->phase == PH_DEAD;
}

/* close_now: the client connection ends here (between commands its backends are pooled). */
static void close_now(struct session *s)
{
    session_kill(s);
}

static void client_flush(struct session *s)
{
    if (s->phase == PH_DEAD)
        return;
    while (s->out.len) {
        ssize_t n = send(s->ev.fd, s->out.p, s->out.len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            close_now(s);
            return;
        }
        memmove(s->out.p, s->out.p + n, s->out.len - (size_t)n);
        s->out.len -= (size_t)n;
    }
    if (s->phase == PH_CLOSING && s->out.len == 0) {
        session_kill(s);
        return;
    }
    if (s->out.len < CLIENT_RESUME)
        for (size_t i = 0; i < DBPROXY_MAX_SERVERS; i++)
            if (s->b[i] && s->b[i]->reading_paused) {
                backend_pause(s->b[i], false);
                if (gone(s))
                    return;
            }
    client_watch(s);
}

/* error: an ERR packet to the client as the answer to the current exchange. */
static void error(struct session *s, uint16_t code, const char *state, const char *msg)
{
    proto_build_err(&s->out, s->seq++, code, state, "%s", msg);
}

/* fatal: a last error, then close once it is sent. */
static void fatal(struct session *s, uint16_t code, const char *state, const char *msg)
{
    error(s, code, state, msg);
    for (size_t i = 0; i < DBPROXY_MAX_SERVERS; i++)
        if (s->b[i]) {
            backend_close(s->b[i]);
            s->b[i] = NULL;
        }
    s->phase = PH_CLOSING;
    client_flush(s);
}

static void ok(struct session *s)
{
    uint16_t st =
        (uint16_t)((s->rs.autocommit ? ST_AUTOCOMMIT : 0) | (s->rs.in_trx ? ST_IN_TRANS : 0));
    proto_build_ok(&s->out, s->seq++, s->caps, 0, 0, st, 0);
}

void session_accept(struct worker *w, int fd, const char *addr)
{
    if (atomic_load(&nsessions) >= w->p->cfg.max_connections) {
        struct buf b;
        buf_init(&b, 4096);
        proto_build_err(&b, 0, PROTO_ER_CON_COUNT, "08004", "Too many connections");
        ssize_t n = send(fd, b.p, b.len, MSG_NOSIGNAL | MSG_DONTWAIT);
        (void)n;
        buf_free(&b);
        close(fd);
        metric_inc(dbproxy_m.sessions_refused);
        return;
    }
    struct session *s = mem_calloc(1, sizeof *s);
    atomic_fetch_add(&nsessions, 1);
    metric_inc(dbproxy_m.sessions_total);
    s->ev.kind = EV_CLIENT;
    s->ev.fd = fd;
    s->w = w;
    snprintf(s->addr, sizeof s->addr, "%s", addr);
    s->id = ((uint32_t)w->id << 24) | (++w->next_id & 0xFFFFFF);
    buf_init(&s->in, (size_t)w->p->cfg.max_packet + (1u << 20));
    buf_init(&s->out, 1u << 30);
    buf_init(&s->cmd, (size_t)w->p->cfg.max_packet + 16);
    buf_init(&s->scratch, (size_t)w->p->cfg.max_packet + (1u << 20));
    sescmd_init(&s->hist, (size_t)w->p->cfg.max_sescmd_history);
    s->rs.autocommit = true;
    s->prev_srv = -1;
    s->ro_srv = -1;
    s->first = -1;
    s->except = -1;
    s->next = w->sessions;
    if (w->sessions)
        w->sessions->prev = s;
    w->sessions = s;
    sec_random(s->nonce, sizeof s->nonce);
    for (size_t i = 0; i < sizeof s->nonce; i++) { /* printable, never NUL (clients expect it) */
        s->nonce[i] = (uint8_t)(s->nonce[i] & 0x7F);
        if (s->nonce[i] < 0x21 || s->nonce[i] == 0x7F)
            s->nonce[i] = (uint8_t)(0x21 + (s->nonce[i] % 90));
    }
    worker_refresh_view(w);
    const char *version = w->p->cfg.version;
    for (size_t i = 0; i < w->view.n; i++)
        if (w->view.s[i].reachable && w->view.s[i].version[0] &&
            (w->view.primary < 0 || (int)i == w->view.primary)) {
            version = w->view.s[i].version;
            break;
        }
    char ver[96];
    /* clients know a MariaDB server by the "5.5.5-" prefix MariaDB puts before 10.x */
    snprintf(ver, sizeof ver, "%s%s", strncmp(version, "5.5.5-", 6) ? "5.5.5-" : "", version);
    proto_build_greeting(&s->out, str_from_cstr(ver), s->id, s->nonce, 45 /* utf8mb4 */);
    s->phase = PH_GREETING;
    s->deadline_ns = clock_mono_ns() + LOGIN_TIMEOUT_NS;
    client_flush(s);
}

/* ------------------------------------------------------------------ login */

static void deny(struct session *s, const char *why)
{
    char msg[300];
    snprintf(msg, sizeof msg, "Access denied for user '%s'@'%s' (using password: %s)%s%s", s->user,
             s->addr, s->token_len ? "YES" : "NO", why ? ": " : "", why ? why : "");
    metric_inc(dbproxy_m.logins_failed);
    log_info("dbproxy: login of '%s' from %s refused%s%s", s->user, s->addr, why ? ": " : "",
             why ? why : "");
    fatal(s, PROTO_ER_ACCESS_DENIED, "28000", msg);
}

static void open_first(struct session *s)
{
    struct worker *w = s->w;
    worker_refresh_view(w);
    int srv = w->view.primary;
    if (srv < 0)
        srv = select_replica(&w->view, -1);
    if (srv < 0) {
        fatal(s, PROTO_ER_CONNECTION_KILLED, "70100",
              "stampede-dbproxy: no database server is available (no primary, no usable"
              " replica)");
        return;
    }
    s->first = srv;
    s->phase = PH_FIRST;
    s->b[srv] = backend_open(w, s, srv);
}

static void authenticate(struct session *s)
{
    struct users_entry e;
    enum users_found f = users_find((struct str){s->user, strlen(s->user)}, s->addr, &e);
    if (f == USERS_PLUGIN) {
        char why[200];
        snprintf(why, sizeof why, "the account uses %s, which stampede-dbproxy does not support",
                 e.plugin);
        deny(s, why);
        return;
    }
    bool good = false;
    if (f == USERS_OK) {
        if (!e.has_password) {
            good = s->token_len == 0;
            s->has_pw = false;
        } else {
            good =
                proto_native_verify(e.h2, s->nonce, PROTO_NONCE_LEN,
                                    (struct str){(const char *)s->token, s->token_len}, s->sha1pw);
            s->has_pw = true;
        }
    }
    if (!good) {
        if (!s->users_retried) {
            /* a new account or a changed password: reload the table once, then decide */
            s->users_retried = true;
            s->users_gen = users_generation();
            s->phase = PH_USERS;
            s->deadline_ns = clock_mono_ns() + USERS_WAIT_NS;
            monitor_request_users();
            return;
        }
        deny(s, NULL);
        return;
    }
    open_first(s);
}

/*
 * The classifier reads statements as utf8mb4 reads them; a session in another character set
 * (latin1's 0xA0 is a blank, multi-byte sets can hide ASCII bytes) is kept on the primary.
 * Handshake collation ids: ascii 11/65, utf8mb3 33/83/192-215/223, utf8mb4 45/46/224-247,
 * binary 63.
 */
static bool charset_id_safe(uint8_t id)
{
    return id == 11 || id == 65 || id == 33 || id == 83 || (id >= 192 && id <= 215) || id == 223 ||
           id == 45 || id == 46 || (id >= 224 && id <= 247) || id == 63;
}

static bool charset_name_safe(struct str name)
{
    return str_case_eq_cstr(name, "utf8mb4") || str_case_eq_cstr(name, "utf8mb3") ||
           str_case_eq_cstr(name, "utf8") || str_case_eq_cstr(name, "ascii") ||
           str_case_eq_cstr(name, "binary");
}

static void on_login(struct session *s, const uint8_t *p, size_t n)
{
    struct proto_login l;
    if (proto_parse_login(p, n, &l) != 0) {
        fatal(s, PROTO_ER_HANDSHAKE, "08S01", "Bad handshake");
        return;
    }
    s->seq = 2;
    if (l.ssl_request) {
        fatal(s, PROTO_ER_NOT_SUPPORTED, "08004",
              "stampede-dbproxy does not offer TLS on this port");
        return;
    }
    if ((l.caps & PROTO_CAPS_REQUIRED) != PROTO_CAPS_REQUIRED) {
        fatal(s, PROTO_ER_HANDSHAKE, "08S01",
              "Bad handshake: the client is too old (protocol 4.1)");
        return;
    }
    if (l.user.len == 0 || l.user.len >= sizeof s->user || l.db.len >= sizeof s->db ||
        l.auth.len > sizeof s->token || l.attrs.len > ATTRS_MAX) {
        fatal(s, PROTO_ER_HANDSHAKE, "08S01", "Bad handshake: a field is too long");
        return;
    }
    memcpy(s->user, l.user.p, l.user.len); /* not empty: checked above */
    s->user[l.user.len] = '\0';
    if (l.db.len) /* an empty slice may have no pointer */
        memcpy(s->db, l.db.p, l.db.len);
    s->db[l.db.len] = '\0';
    s->caps = l.caps & PROTO_CAPS;
    s->charset = l.charset;
    s->rs.unsafe_charset = !charset_id_safe(l.charset);
    if (l.attrs.len) {
        s->attrs = mem_alloc(l.attrs.len);
        memcpy(s->attrs, l.attrs.p, l.attrs.len);
        s->attrs_len = l.attrs.len;
    }
    if (l.auth.len)
        memcpy(s->token, l.auth.p, l.auth.len);
    s->token_len = l.auth.len;
    bool native = l.plugin.len == 0 || str_eq_cstr(l.plugin, "mysql_native_password");
    if (!native || (s->token_len != 0 && s->token_len != PROTO_SHA1_LEN)) {
        /* another method (caching_sha2_password, ed25519...): ask for ours */
        proto_build_auth_switch(&s->out, s->seq++, s->nonce);
        s->phase = PH_SWITCH;
        client_flush(s);
        return;
    }
    authenticate(s);
}

static void on_switch(struct session *s, const uint8_t *p, size_t n)
{
    if (n > sizeof s->token) {
        fatal(s, PROTO_ER_HANDSHAKE, "08S01", "Bad handshake");
        return;
    }
    if (n)
        memcpy(s->token, p, n);
    s->token_len = n;
    authenticate(s);
}

/* ------------------------------------------------------------------ backend set-up */

/* The proxy's own set-up of a new backend connection: track last_gtid in OK packets (its
 * default list of tracked variables is kept). */
static const char SETUP_TRACK[] =
    "\x03SET @@session.session_track_system_variables ="
    " IF(FIND_IN_SET('last_gtid', @@session.session_track_system_variables) > 0"
    " OR @@session.session_track_system_variables = '*',"
    " @@session.session_track_system_variables,"
    " CONCAT_WS(',', NULLIF(@@session.session_track_system_variables, ''), 'last_gtid'))";

/* synced: b can take the session's next command: logged in, set up, history replayed,
 * nothing in flight. */
static bool synced(const struct session *s, const struct bconn *b)
{
    return b && backend_idle(b) && b->hist_done == s->hist.last_id;
}

/* sync: queues what b lacks (set-up and the history after hist_done). */
static void sync_backend(struct session *s, struct bconn *b)
{
    if (b->state != BC_READY || b->change_user_pending)
        return;
    if (!b->set_up) {
        b->set_up = true;
        if (s->caps & CAP_SESSION_TRACK)
            backend_push(b, SETUP_TRACK, sizeof SETUP_TRACK - 1, (struct bx){BX_CHECK, CMD_QUERY});
    }
    for (const struct sescmd *c = sescmd_next(&s->hist, b->hist_done); c;
         c = sescmd_next(&s->hist, c->id))
        backend_push(b, c->payload, c->len, (struct bx){BX_CHECK, c->payload[0]});
    /* everything up to here, pruned entries included (MaxScale replays what it kept) */
    b->hist_done = s->hist.last_id;
}

/* backend_for: s's connection to srv, opened if needed; NULL if it cannot be used now. */
static struct bconn *backend_for(struct session *s, int srv)
{
    if (!s->b[srv])
        s->b[srv] = backend_open(s->w, s, srv);
    sync_backend(s, s->b[srv]);
    return s->b[srv];
}

void session_backend_ready(struct session *s, struct bconn *b)
{
    sync_backend(s, b);
    if (s->phase == PH_FIRST && synced(s, b)) {
        s->rs.autocommit = (b->status & ST_AUTOCOMMIT) != 0;
        ok(s);
        s->phase = PH_READY;
        s->deadline_ns = 0;
        client_flush(s);
        if (s->phase == PH_READY)
            client_input(s);
        return;
    }
    if (s->phase == PH_BUSY)
        step(s);
}

/* ------------------------------------------------------------------ helpers */

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void put_le32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

static const char *target_name(int srv, const struct worker *w)
{
    if (srv < 0)
        return "none";
    return w->view.s[srv].role == SRV_PRIMARY ? "primary" : "replica";
}

static void count_route(struct session *s, int srv, const char *target)
{
    metric_inc(dbproxy_route_metric(target ? target : target_name(srv, s->w), s->reason));
}

static bool primary_live(struct session *s)
{
    return s->w->view.primary >= 0;
}

/* refuse_write: no primary. MaxScale's master_failure_mode=error_on_write. */
static void refuse_write(struct session *s, const char *detail)
{
    metric_inc(dbproxy_m.write_refused);
    char msg[300];
    snprintf(msg, sizeof msg,
             "stampede-dbproxy: the primary database server is unavailable%s%s; this statement"
             " needs it (reads still work). Try again in a moment.",
             detail ? ": " : "", detail ? detail : "");
    error(s, PROTO_ER_READ_ONLY, "HY000", msg);
    finish_command(s);
}

static void refuse_read(struct session *s, const char *msg)
{
    metric_inc(dbproxy_m.read_refused);
    error(s, PROTO_ER_CONNECTION_KILLED, "70100", msg);
    finish_command(s);
}

/* the causal position a read on a replica must have reached */
static bool causal_want(struct session *s, struct gtid_pos *want)
{
    enum dbproxy_causal m = s->w->p->causal;
    if (m == CAUSAL_NONE)
        return false;
    if (m == CAUSAL_GLOBAL)
        global_get(want);
    else
        *want = s->gtid;
    return want->n > 0;
}

/* ------------------------------------------------------------------ sending */

/* send_forward: the current command (as in s->cmd, or rebuilt in out) to b, its response to
 * the client. */
static void send_forward(struct session *s, struct bconn *b, const uint8_t *payload, size_t len,
                         bool binary)
{
    s->target = b->srv;
    s->cs = CS_SENT;
    backend_push(b, payload, len, (struct bx){BX_FORWARD, payload[0], binary, s->cmd_ps});
}

static void push_wait(struct session *s, struct bconn *b, const struct gtid_pos *want)
{
    char g[GTID_TEXT_MAX], q[GTID_TEXT_MAX + 96];
    gtid_format(want, g, sizeof g);
    int n = snprintf(q, sizeof q, "%cSELECT MASTER_GTID_WAIT('%s', %.3f)", CMD_QUERY, g,
                     (double)s->w->p->cfg.causal_reads_timeout_ms / 1000.0);
    backend_push(b, q, (size_t)n, (struct bx){BX_WAIT, CMD_QUERY});
    metric_inc(dbproxy_m.causal_waited);
    (void)s;
}

/* ensure_prepared: true if p is prepared on b; otherwise queues a lazy prepare (the command
 * continues when it is answered). */
static bool ensure_prepared(struct session *s, struct ps *p, struct bconn *b)
{
    if (p->on[b->srv].epoch == b->epoch)
        return true;
    struct buf q;
    buf_init(&q, p->sql_len + 16);
    proto_wr_u8(&q, CMD_STMT_PREPARE);
    buf_append(&q, p->sql, p->sql_len);
    backend_push(b, q.p, q.len, (struct bx){BX_PREPARE, CMD_STMT_PREPARE, false, p->id});
    buf_free(&q);
    (void)s;
    return false;
}

/* ------------------------------------------------------------------ routing */

static void route_primary(struct session *s);
static void route_read(struct session *s);

static struct ps *cmd_ps(struct session *s)
{
    return s->cmd_ps ? ps_find(&s->ps, s->cmd_ps) : NULL;
}

/* send_to: serve the current command on srv (a statement, a prepare or an execute). Returns
 * false while waiting for the backend. */
static bool send_to(struct session *s, int srv, bool read)
{
    struct bconn *b = backend_for(s, srv);
    if (!b || b->state == BC_DEAD)
        return false;
    if (!synced(s, b))
        return false;
    uint8_t c = (uint8_t)s->cmd.p[0];
    struct ps *p = cmd_ps(s);
    if ((c == CMD_STMT_EXECUTE || c == CMD_STMT_FETCH || c == CMD_STMT_BULK_EXECUTE ||
         c == CMD_STMT_SEND_LONG_DATA) &&
        p && !ensure_prepared(s, p, b))
        return false;
    if (read) {
        struct gtid_pos want;
        if (causal_want(s, &want)) {
            struct gtid_pos have = s->w->view.s[srv].pos;
            gtid_merge(&have, &s->w->reached[srv]);
            if (!gtid_reached(&have, &want))
                push_wait(s, b, &want);
            else
                metric_inc(dbproxy_m.causal_skipped);
        }
    }
    s->is_read = read;
    count_route(s, srv, NULL);
    switch (c) {
    case CMD_STMT_EXECUTE:
    case CMD_STMT_BULK_EXECUTE: {
        struct buf *out = &s->scratch;
        buf_reset(out);
        if (c == CMD_STMT_EXECUTE) {
            ps_exec_payload(p, b->srv, (const uint8_t *)s->cmd.p, s->cmd.len, out);
        } else {
            buf_append(out, s->cmd.p, s->cmd.len);
            put_le32((uint8_t *)out->p + 1, p->on[srv].id);
        }
        p->last_srv = srv;
        send_forward(s, b, (const uint8_t *)out->p, out->len, true);
        return true;
    }
    case CMD_STMT_FETCH: {
        uint8_t f[9];
        memcpy(f, s->cmd.p, s->cmd.len < 9 ? s->cmd.len : 9);
        put_le32(f + 1, p->on[srv].id);
        send_forward(s, b, f, s->cmd.len < 9 ? s->cmd.len : 9, true);
        return true;
    }
    case CMD_STMT_SEND_LONG_DATA: {
        struct buf *out = &s->scratch;
        buf_reset(out);
        buf_append(out, s->cmd.p, s->cmd.len);
        put_le32((uint8_t *)out->p + 1, p->on[srv].id);
        backend_push_noreply(b, out->p, out->len);
        p->long_data = true;
        finish_command(s);
        return true;
    }
    default:
        send_forward(s, b, (const uint8_t *)s->cmd.p, s->cmd.len, false);
        return true;
    }
}

static void route_primary(struct session *s)
{
    struct worker *w = s->w;
    int srv = w->view.primary;
    if (srv < 0) {
        const char *why = NULL;
        for (size_t i = 0; i < w->p->nservers; i++)
            if (w->avoid_until[i] > clock_mono_ns() && w->avoid_why[i][0])
                why = w->avoid_why[i];
        refuse_write(s, why);
        return;
    }
    send_to(s, srv, false);
}

static void route_read(struct session *s)
{
    struct worker *w = s->w;
    if (s->force_primary) {
        if (!primary_live(s)) {
            refuse_read(s, "stampede-dbproxy: no replica has this session's latest writes yet"
                           " and the primary is unavailable; try again in a moment");
            return;
        }
        s->reason = s->force_reason ? s->force_reason : "causal_timeout";
        send_to(s, w->view.primary, false);
        return;
    }
    int r = select_replica(&w->view, s->except);
    if (r < 0) {
        if (!primary_live(s)) {
            refuse_read(s, "stampede-dbproxy: no database server can serve reads now"
                           " (no usable replica, no primary)");
            return;
        }
        s->reason = "no_replica";
        send_to(s, w->view.primary, false);
        return;
    }
    /* a client without session tracking: learn the GTID of its write first */
    if (s->gtid_dirty && w->p->causal != CAUSAL_NONE && primary_live(s)) {
        struct bconn *pb = s->b[w->view.primary];
        if (pb && pb->state != BC_DEAD) {
            if (!synced(s, pb))
                return;
            static const char q[] = "\x03SELECT @@last_gtid";
            backend_push(pb, q, sizeof q - 1, (struct bx){BX_LASTGTID, CMD_QUERY});
            metric_inc(dbproxy_m.gtid_lookups);
            s->gtid_dirty = false;
            return;
        }
        s->gtid_dirty = false;
    }
    send_to(s, r, true);
}

/* route_sescmd: the current command on every open backend (at least one). */
static void route_sescmd(struct session *s)
{
    struct worker *w = s->w;
    int chosen = -1;
    /* every open backend must be ready first, so that all of them get it in order */
    bool any = false;
    for (size_t i = 0; i < w->p->nservers; i++) {
        struct bconn *b = s->b[i];
        if (!b)
            continue;
        any = true;
        sync_backend(s, b);
        if (!synced(s, b))
            return;
    }
    if (!any) {
        int srv = primary_live(s) ? w->view.primary : select_replica(&w->view, -1);
        if (srv < 0) {
            refuse_read(s, "stampede-dbproxy: no database server is available");
            return;
        }
        backend_for(s, srv);
        return; /* continues when it is ready */
    }
    if (primary_live(s) && s->b[w->view.primary])
        chosen = w->view.primary;
    for (size_t i = 0; chosen < 0 && i < w->p->nservers; i++)
        if (s->b[i])
            chosen = (int)i;
    uint64_t id = sescmd_add(&s->hist, s->cmd.p, s->cmd.len);
    count_route(s, chosen, "all");
    for (size_t i = 0; i < w->p->nservers; i++) {
        struct bconn *b = s->b[i];
        if (!b)
            continue;
        if ((int)i == chosen) {
            send_forward(s, b, (const uint8_t *)s->cmd.p, s->cmd.len, false);
        } else {
            backend_push(b, s->cmd.p, s->cmd.len, (struct bx){BX_CHECK, (uint8_t)s->cmd.p[0]});
        }
        b->hist_done = id;
    }
}

static void route_previous(struct session *s)
{
    int srv = s->rs.ro_trx ? s->ro_srv : s->prev_srv;
    if (srv < 0 || !s->b[srv] || s->b[srv]->state == BC_DEAD) {
        if (s->rs.ro_trx) {
            fatal(s, PROTO_ER_CONNECTION_KILLED, "70100",
                  "stampede-dbproxy: the server of this read-only transaction was lost");
            return;
        }
        if (primary_live(s)) {
            send_to(s, s->w->view.primary, false);
        } else {
            route_read(s);
        }
        return;
    }
    /* inside a read-only transaction no causal wait: the transaction's snapshot is taken */
    send_to(s, srv, !s->rs.ro_trx && srv != s->w->view.primary);
}

/* step: makes progress on the current command (called again whenever a backend changes). */
static void step(struct session *s)
{
    if (s->phase != PH_BUSY || s->cs != CS_ROUTE)
        return;
    worker_refresh_view(s->w);
    uint8_t c = (uint8_t)s->cmd.p[0];
    struct ps *p = cmd_ps(s);
    if (c == CMD_STMT_FETCH) {
        if (!p || p->cursor_srv < 0 || !s->b[p->cursor_srv]) {
            error(s, 1421, "HY000", "The statement has no open cursor");
            finish_command(s);
            return;
        }
        send_to(s, p->cursor_srv, false);
        return;
    }
    if (c == CMD_STMT_SEND_LONG_DATA || c == CMD_STMT_BULK_EXECUTE) {
        s->reason = c == CMD_STMT_SEND_LONG_DATA ? "long_data" : "write";
        route_primary(s);
        return;
    }
    if (c == CMD_STMT_EXECUTE && p && p->long_data) {
        s->reason = "long_data";
        route_primary(s);
        return;
    }
    struct route_decision d = route_decide(&s->qc, &s->rs);
    if (!s->reason || s->cs == CS_ROUTE)
        s->reason = d.reason;
    if (s->force_primary) {
        route_read(s);
        return;
    }
    switch (d.target) {
    case RT_ALL:
        if (c == CMD_STMT_PREPARE || c == CMD_STMT_EXECUTE) {
            route_primary(s); /* a prepared session command runs on the primary only */
            return;
        }
        route_sescmd(s);
        return;
    case RT_PREVIOUS:
        route_previous(s);
        return;
    case RT_REPLICA:
        route_read(s);
        return;
    case RT_PRIMARY:
        if (c == CMD_STMT_PREPARE && !primary_live(s)) {
            /* preparing runs nothing: any server will do, executing will need the primary */
            route_read(s);
            return;
        }
        route_primary(s);
        return;
    }
}

/* ------------------------------------------------------------------ commands */

static void finish_command(struct session *s)
{
    s->phase = PH_READY;
    s->cs = CS_ROUTE;
    s->cmd_ps = 0;
    s->force_primary = false;
    s->force_reason = NULL;
    s->wait_failed = false;
    s->except = -1;
    s->tries = 0;
    s->sent_bytes = false;
    s->reason = NULL;
    buf_reset(&s->cmd);
    client_flush(s);
}

static bool starts_kw(struct str s, const char *kw)
{
    size_t i = 0, n = strlen(kw);
    while (i < s.len &&
           (s.p[i] == ' ' || s.p[i] == '\t' || s.p[i] == '\n' || s.p[i] == '\r' || s.p[i] == '('))
        i++;
    if (s.len - i < n)
        return false;
    for (size_t k = 0; k < n; k++) {
        char a = s.p[i + k];
        if (a >= 'a' && a <= 'z')
            a = (char)(a - 'a' + 'A');
        if (a != kw[k])
            return false;
    }
    return s.len - i == n || !((s.p[i + n] >= 'A' && s.p[i + n] <= 'Z') ||
                               (s.p[i + n] >= 'a' && s.p[i + n] <= 'z') || s.p[i + n] == '_');
}

static void begin_command(struct session *s, uint8_t last_seq)
{
    s->phase = PH_BUSY;
    s->cs = CS_ROUTE;
    s->seq = (uint8_t)(last_seq + 1);
    s->started_ns = clock_mono_ns();
    s->reason = NULL;
    uint8_t c = (uint8_t)s->cmd.p[0];
    struct str body = {s->cmd.p + 1, s->cmd.len - 1};
    memset(&s->qc, 0, sizeof s->qc);
    s->qc.route = QC_PRIMARY;
    s->qc.reason = "other";
    switch (c) {
    case CMD_QUIT:
        close_now(s);
        return;
    case CMD_PING:
        ok(s);
        finish_command(s);
        return;
    case CMD_QUERY:
        qc_classify(body.p, body.len, &s->qc);
        if (starts_kw(body, "KILL")) {
            error(s, PROTO_ER_NOT_SUPPORTED, "42000",
                  "stampede-dbproxy: KILL is not supported through the proxy (connection ids"
                  " differ per server); connect to the server directly");
            finish_command(s);
            return;
        }
        break;
    case CMD_INIT_DB:
        s->qc.route = QC_ALL;
        s->qc.flags = QC_USE_DB;
        s->qc.reason = "session_command";
        break;
    case CMD_SET_OPTION:
        s->qc.route = QC_ALL;
        s->qc.reason = "session_command";
        break;
    case CMD_FIELD_LIST:
        s->qc.route = QC_REPLICA;
        s->qc.reason = "read";
        break;
    case CMD_STATISTICS:
    case CMD_PROCESS_INFO:
        s->qc.route = QC_PRIMARY;
        s->qc.reason = "other";
        if (!primary_live(s)) {
            s->qc.route = QC_REPLICA;
            s->qc.reason = "read";
        }
        break;
    case CMD_RESET_CONNECTION: {
        /* every backend resets; the session forgets its state */
        bool any = false;
        int chosen = -1;
        for (size_t i = 0; i < s->w->p->nservers; i++)
            if (s->b[i] && s->b[i]->state != BC_DEAD &&
                (chosen < 0 || (int)i == s->w->view.primary))
                chosen = (int)i;
        sescmd_clear(&s->hist);
        ps_clear(&s->ps);
        memset(&s->rs, 0, sizeof s->rs);
        s->rs.autocommit = true;
        s->rs.unsafe_charset = !charset_id_safe(s->charset);
        s->prev_srv = -1;
        s->ro_srv = -1;
        for (size_t i = 0; i < s->w->p->nservers; i++) {
            struct bconn *b = s->b[i];
            if (!b)
                continue;
            if (b->state == BC_DEAD || !backend_idle(b)) {
                backend_close(b);
                s->b[i] = NULL;
                continue;
            }
            any = true;
            struct bx x = {(int)i == chosen ? BX_FORWARD : BX_CHECK, CMD_RESET_CONNECTION};
            backend_push(b, s->cmd.p, s->cmd.len, x);
            b->hist_done = s->hist.last_id; /* the history is empty now */
            b->set_up = false;
            sync_backend(s, b); /* the set-up again */
            if ((int)i == chosen) {
                s->target = (int)i;
                s->cs = CS_SENT;
            }
        }
        if (!any) {
            ok(s);
            finish_command(s);
        }
        return;
    }
    case CMD_STMT_PREPARE: {
        qc_classify(body.p, body.len, &s->qc);
        struct ps *p = ps_new(&s->ps, body.p, body.len, &s->qc);
        s->cmd_ps = p->id;
        break;
    }
    case CMD_STMT_EXECUTE:
    case CMD_STMT_FETCH:
    case CMD_STMT_CLOSE:
    case CMD_STMT_RESET:
    case CMD_STMT_SEND_LONG_DATA:
    case CMD_STMT_BULK_EXECUTE: {
        uint32_t id = s->cmd.len >= 5 ? le32((const uint8_t *)s->cmd.p + 1) : 0;
        if (id == 0xFFFFFFFFu)
            id = s->ps.last;
        struct ps *p = ps_find(&s->ps, id);
        if (c == CMD_STMT_CLOSE) {
            if (p)
                for (size_t i = 0; i < s->w->p->nservers; i++)
                    if (s->b[i] && p->on[i].epoch == s->b[i]->epoch) {
                        uint8_t q[5] = {CMD_STMT_CLOSE};
                        put_le32(q + 1, p->on[i].id);
                        backend_push_noreply(s->b[i], q, 5);
                    }
            ps_delete(&s->ps, id);
            finish_command(s); /* no response */
            return;
        }
        if (!p) {
            char msg[120];
            snprintf(msg, sizeof msg, "Unknown prepared statement handler (%u) given to %s", id,
                     c == CMD_STMT_EXECUTE ? "mysqld_stmt_execute" : "mysqld_stmt_command");
            if (c == CMD_STMT_SEND_LONG_DATA) { /* no response to this one */
                finish_command(s);
                return;
            }
            error(s, PROTO_ER_UNKNOWN_STMT_HANDLER, "HY000", msg);
            finish_command(s);
            return;
        }
        s->cmd_ps = p->id;
        s->qc = p->qc;
        if (c == CMD_STMT_RESET) {
            int chosen = -1;
            for (size_t i = 0; i < s->w->p->nservers; i++)
                if (s->b[i] && p->on[i].epoch == s->b[i]->epoch &&
                    (chosen < 0 || (int)i == p->last_srv))
                    chosen = (int)i;
            p->long_data = false;
            p->cursor_srv = -1;
            if (chosen < 0) {
                ok(s);
                finish_command(s);
                return;
            }
            for (size_t i = 0; i < s->w->p->nservers; i++)
                if (s->b[i] && p->on[i].epoch == s->b[i]->epoch) {
                    uint8_t q[5] = {CMD_STMT_RESET};
                    put_le32(q + 1, p->on[i].id);
                    struct bx x = {(int)i == chosen ? BX_FORWARD : BX_DISCARD, CMD_STMT_RESET};
                    backend_push(s->b[i], q, 5, x);
                }
            s->target = chosen;
            s->cs = CS_SENT;
            return;
        }
        if (c == CMD_STMT_EXECUTE && p->nparams && s->cmd.len > 10) {
            size_t bm = ((size_t)p->nparams + 7) / 8;
            size_t flag_at = 10 + bm;
            if (flag_at < s->cmd.len && s->cmd.p[flag_at] == 1 &&
                flag_at + 1 + 2 * (size_t)p->nparams <= s->cmd.len) {
                if (!p->types)
                    p->types = mem_alloc(2 * (size_t)p->nparams);
                memcpy(p->types, s->cmd.p + flag_at + 1, 2 * (size_t)p->nparams);
                for (size_t i = 0; i < DBPROXY_MAX_SERVERS; i++)
                    p->on[i].types = false;
            }
        }
        break;
    }
    case CMD_CHANGE_USER:
        error(s, PROTO_ER_NOT_SUPPORTED, "42000",
              "stampede-dbproxy does not support CMD_CHANGE_USER; open a new connection");
        finish_command(s);
        return;
    default: {
        char msg[80];
        snprintf(msg, sizeof msg, "stampede-dbproxy does not support command 0x%02x", c);
        error(s, PROTO_ER_UNKNOWN_COM, "08S01", msg);
        finish_command(s);
        return;
    }
    }
    step(s);
}

/* ------------------------------------------------------------------ client input */

/*
 * next_packet: a whole logical packet at the front of the input: its payload is copied into
 * s->cmd (chunks joined). Returns 1 when one was taken, 0 if more input is needed, -1 when it
 * is too large (the session is closed).
 */
static int next_packet(struct session *s, uint8_t *last_seq)
{
    size_t off = s->in_off, total = 0;
    const uint8_t *base = (const uint8_t *)s->in.p;
    for (;;) {
        if (s->in.len - off < PROTO_HDR)
            return 0;
        size_t n = proto_hdr_len(base + off);
        total += n;
        if (total > (size_t)s->w->p->cfg.max_packet) {
            fatal(s, PROTO_ER_NET_PACKET_TOO_LARGE, "08S01",
                  "Got a packet bigger than 'max_allowed_packet' bytes (stampede-dbproxy"
                  " max_packet)");
            return -1;
        }
        if (s->in.len - off < PROTO_HDR + n)
            return 0;
        *last_seq = proto_hdr_seq(base + off);
        off += PROTO_HDR + n;
        if (n < PROTO_MAX_CHUNK)
            break;
    }
    buf_reset(&s->cmd);
    size_t at = s->in_off;
    while (at < off) {
        size_t n = proto_hdr_len(base + at);
        buf_append(&s->cmd, base + at + PROTO_HDR, n);
        at += PROTO_HDR + n;
    }
    s->in_off = off;
    if (s->in_off == s->in.len) {
        s->in.len = 0;
        s->in_off = 0;
    }
    return 1;
}

static void client_input(struct session *s)
{
    for (;;) {
        if (s->phase != PH_GREETING && s->phase != PH_SWITCH && s->phase != PH_READY)
            return;
        uint8_t last_seq = 0;
        int rc = next_packet(s, &last_seq);
        if (rc <= 0)
            return;
        switch (s->phase) {
        case PH_GREETING:
            on_login(s, (const uint8_t *)s->cmd.p, s->cmd.len);
            break;
        case PH_SWITCH:
            on_switch(s, (const uint8_t *)s->cmd.p, s->cmd.len);
            break;
        case PH_READY:
            if (s->cmd.len == 0) {
                fatal(s, PROTO_ER_UNKNOWN_COM, "08S01", "empty command");
                return;
            }
            begin_command(s, last_seq);
            break;
        default:
            return;
        }
        if (gone(s))
            return;
    }
}

static void client_read(struct session *s)
{
    for (;;) {
        if (s->in.cap - s->in.len < 16384) {
            if (s->in_off) {
                memmove(s->in.p, s->in.p + s->in_off, s->in.len - s->in_off);
                s->in.len -= s->in_off;
                s->in_off = 0;
            }
            if (s->in.cap - s->in.len < 16384) {
                size_t want = s->in.cap ? s->in.cap * 2 : 16384;
                if (want > s->in.max) {
                    if (s->in.cap >= s->in.max) {
                        close_now(s);
                        return;
                    }
                    want = s->in.max;
                }
                s->in.p = mem_realloc(s->in.p, want);
                s->in.cap = want;
            }
        }
        size_t room = s->in.cap - s->in.len;
        ssize_t n = recv(s->ev.fd, s->in.p + s->in.len, room, 0);
        if (n > 0) {
            s->in.len += (size_t)n;
            if ((size_t)n < room)
                return; /* drained (level-triggered: more data is another event) */
            continue;
        }
        if (n == 0) {
            close_now(s);
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        close_now(s);
        return;
    }
}

void session_event(struct session *s, uint32_t events)
{
    if (s->phase == PH_DEAD)
        return;
    if (events & EPOLLOUT)
        client_flush(s);
    if (gone(s))
        return;
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) {
        client_read(s);
        if (!gone(s))
            client_input(s);
    }
}

static void session_tick(struct session *s, int64_t now)
{
    if (gone(s))
        return;
    if (s->phase == PH_USERS) {
        if (users_generation() != s->users_gen) {
            s->phase = PH_GREETING; /* not reading: authenticate decides */
            authenticate(s);
            return;
        }
        if (now >= s->deadline_ns) {
            deny(s, NULL);
            return;
        }
        return;
    }
    if (s->deadline_ns && now >= s->deadline_ns &&
        (s->phase == PH_GREETING || s->phase == PH_SWITCH)) {
        fatal(s, PROTO_ER_HANDSHAKE, "08S01", "Bad handshake: login timed out");
    }
}

void session_tick_all(struct worker *w, int64_t now)
{
    for (struct session *s = w->sessions, *next; s; s = next) {
        next = s->next; /* a failure may close s */
        session_tick(s, now);
        if (s->phase == PH_DEAD)
            continue;
        for (size_t i = 0; i < DBPROXY_MAX_SERVERS; i++)
            if (s->b[i] && s->b[i]->deadline_ns && s->phase != PH_DEAD) {
                backend_tick(s->b[i], now);
                if (s->phase == PH_DEAD)
                    break;
            }
    }
}

void session_close_all(struct worker *w)
{
    while (w->sessions)
        session_kill(w->sessions);
    session_reap(w);
}

/* ------------------------------------------------------------------ backend callbacks */

bool session_backend_packet(struct session *s, struct bconn *b, const struct bx *x,
                            const uint8_t *pkt, size_t n, bool last)
{
    (void)last;
    if (s->wait_failed || b->srv != s->target)
        return true; /* dropped: the read runs again on the primary */
    size_t at = s->out.len;
    buf_append(&s->out, pkt, n);
    if (s->out.overflow) {
        close_now(s);
        return false;
    }
    uint8_t *h = (uint8_t *)s->out.p + at;
    h[3] = s->seq++;
    if (x->cmd == CMD_STMT_PREPARE && !s->sent_bytes && n >= PROTO_HDR + 5 && h[PROTO_HDR] == 0x00)
        put_le32(h + PROTO_HDR + 1, x->arg); /* the client sees the proxy's statement id */
    s->sent_bytes = true;
    if (s->out.len > 65536)
        client_flush(s);
    return !gone(s);
}

static void note_gtid(struct session *s, const struct proto_resp *r)
{
    if (!r->state_len)
        return;
    struct str v;
    if (!proto_track_var((struct str){(const char *)r->state_buf, r->state_len}, "last_gtid", &v) ||
        v.len == 0)
        return;
    struct gtid_pos g;
    if (gtid_parse(v, &g) != 0)
        return;
    gtid_merge(&s->gtid, &g);
    if (s->w->p->causal == CAUSAL_GLOBAL)
        global_note(&g);
}

/* the client's response has been forwarded completely */
static void forward_done(struct session *s, struct bconn *b, const struct proto_resp *r)
{
    struct worker *w = s->w;
    int srv = b->srv;
    uint8_t c = (uint8_t)s->cmd.p[0];
    bool on_primary = srv == w->view.primary;
    if (!r->is_err && r->has_status) {
        if (on_primary)
            s->rs.in_trx = (r->status & ST_IN_TRANS) != 0;
        if (on_primary || (s->rs.ro_trx && srv == s->ro_srv))
            s->rs.autocommit = (r->status & ST_AUTOCOMMIT) != 0;
        if (s->rs.ro_trx && srv == s->ro_srv && !(r->status & ST_IN_TRANS))
            s->rs.ro_trx = false;
    }
    if (!r->is_err) {
        if ((s->qc.flags & QC_BEGIN_READONLY) && !on_primary && (r->status & ST_IN_TRANS)) {
            s->rs.ro_trx = true;
            s->rs.in_trx = false;
            s->ro_srv = srv;
        }
        if (on_primary) {
            note_gtid(s, r);
            if (!(s->caps & CAP_SESSION_TRACK) && s->qc.route != QC_REPLICA)
                s->gtid_dirty = true;
        }
        if (s->qc.flags & QC_TEMP_CREATE)
            s->rs.temp_tables = true;
        if (s->qc.flags & QC_LOCK_TABLES)
            s->rs.locked_tables = true;
        if (s->qc.flags & QC_UNLOCK_TABLES)
            s->rs.locked_tables = false;
        if (c == CMD_INIT_DB) {
            size_t l = s->cmd.len - 1 < sizeof s->db - 1 ? s->cmd.len - 1 : sizeof s->db - 1;
            memcpy(s->db, s->cmd.p + 1, l);
            s->db[l] = '\0';
        } else if (c == CMD_QUERY && (s->qc.flags & QC_USE_DB) && s->qc.db_len &&
                   s->qc.db_len < sizeof s->db) {
            memcpy(s->db, s->cmd.p + 1 + s->qc.db_off, s->qc.db_len);
            s->db[s->qc.db_len] = '\0';
        }
        if (c == CMD_QUERY && (s->qc.flags & QC_SET_CHARSET))
            s->rs.unsafe_charset =
                !charset_name_safe((struct str){s->cmd.p + 1 + s->qc.cs_off, s->qc.cs_len});
    }
    struct ps *p = cmd_ps(s);
    if (c == CMD_STMT_PREPARE && p) {
        if (r->is_err) {
            ps_delete(&s->ps, p->id);
        } else {
            p->on[srv] = (struct ps_on){b->epoch, r->stmt_id, false};
            p->nparams = r->nparams;
            p->ncols = r->pcols;
            s->ps.last = p->id;
        }
    }
    if (c == CMD_STMT_EXECUTE && p) {
        p->long_data = false;
        if (!r->is_err && (r->status & ST_CURSOR_EXISTS))
            p->cursor_srv = srv;
    }
    if (s->qc.route == QC_ALL && r->is_err && c != CMD_STMT_PREPARE && c != CMD_STMT_EXECUTE &&
        c != CMD_RESET_CONNECTION) {
        /* the session command failed where it counts: forget it, and close the other backends
         * that ran it (they are reopened with the right history when needed) */
        sescmd_drop(&s->hist, s->hist.last_id);
        for (size_t i = 0; i < w->p->nservers; i++)
            if (s->b[i] && (int)i != srv) {
                backend_close(s->b[i]);
                s->b[i] = NULL;
            }
    }
    s->prev_srv = srv;
    finish_command(s);
    if (s->phase == PH_READY)
        client_input(s);
}

void session_backend_done(struct session *s, struct bconn *b, struct bx x,
                          const struct proto_resp *r)
{
    struct worker *w = s->w;
    switch (x.kind) {
    case BX_FORWARD:
        if (s->wait_failed && b->srv == s->target) {
            /* the read ran on a replica that had not caught up: run it on the primary */
            s->wait_failed = false;
            s->force_primary = true;
            s->force_reason = "causal_timeout";
            s->cs = CS_ROUTE;
            step(s);
            return;
        }
        if (b->srv == s->target && s->phase == PH_BUSY)
            forward_done(s, b, r);
        return;
    case BX_DISCARD:
        return;
    case BX_CHECK:
        if (r->is_err) {
            metric_inc(dbproxy_m.sescmd_failed);
            log_info("dbproxy: session %u: %s refused a session command: %u %s", s->id,
                     w->p->servers[b->srv].name, r->err_code, r->err_msg);
            int srv = b->srv;
            backend_close(b);
            s->b[srv] = NULL;
            if (srv == w->view.primary) {
                fatal(s, PROTO_ER_CONNECTION_KILLED, "70100",
                      "stampede-dbproxy: the primary refused this session's settings; reconnect");
                return;
            }
            s->rs.replica_refused = true; /* MaxScale drops the replica for the session */
        }
        if (s->phase == PH_FIRST) {
            if (!s->b[s->first]) {
                fatal(s, PROTO_ER_CONNECTION_KILLED, "70100",
                      "stampede-dbproxy: could not set up the session on the server");
                return;
            }
            if (synced(s, s->b[s->first]))
                session_backend_ready(s, s->b[s->first]);
            return;
        }
        if (s->phase == PH_BUSY)
            step(s);
        return;
    case BX_WAIT: {
        bool reached = !r->is_err && r->value_set && !r->value_null && strcmp(r->value, "0") == 0;
        if (reached) {
            struct gtid_pos want;
            if (causal_want(s, &want))
                gtid_merge(&w->reached[b->srv], &want);
        } else {
            metric_inc(dbproxy_m.causal_timeouts);
            s->wait_failed = true;
        }
        return;
    }
    case BX_LASTGTID:
        if (!r->is_err && r->value_set && !r->value_null) {
            struct gtid_pos g;
            if (gtid_parse(str_from_cstr(r->value), &g) == 0) {
                gtid_merge(&s->gtid, &g);
                if (w->p->causal == CAUSAL_GLOBAL)
                    global_note(&g);
            }
        }
        if (s->phase == PH_BUSY)
            step(s);
        return;
    case BX_PREPARE: {
        struct ps *p = ps_find(&s->ps, x.arg);
        if (p && !r->is_err)
            p->on[b->srv] = (struct ps_on){b->epoch, r->stmt_id, false};
        if (r->is_err && s->phase == PH_BUSY && s->cmd_ps == x.arg) {
            if (b->srv != w->view.primary && !s->force_primary) {
                /* could not prepare on a replica: the statement goes to the primary */
                s->force_primary = true;
                s->force_reason = "replica_refused";
            } else {
                char msg[200];
                snprintf(msg, sizeof msg, "%s", r->err_msg);
                error(s, r->err_code ? r->err_code : PROTO_ER_UNKNOWN_STMT_HANDLER,
                      r->err_state[0] ? r->err_state : "HY000", msg);
                finish_command(s);
                if (s->phase == PH_READY)
                    client_input(s);
                return;
            }
        }
        if (s->phase == PH_BUSY)
            step(s);
        return;
    }
    case BX_CHANGE_USER:
        return;
    }
}

void session_backend_failed(struct session *s, struct bconn *b, const char *why)
{
    struct worker *w = s->w;
    int srv = b->srv;
    bool was_target = s->phase == PH_BUSY && s->cs == CS_SENT && s->target == srv;
    if (s->b[srv] == b)
        s->b[srv] = NULL;
    if (!b->was_ready)
        worker_avoid(w, srv, why);
    monitor_wake();
    if (s->phase == PH_FIRST) {
        if (b->resp.is_err && b->resp.err_code) {
            /* the server refused the login (e.g. no access to the database): its words */
            fatal(s, b->resp.err_code, b->resp.err_state, b->resp.err_msg);
            return;
        }
        if (++s->tries <= MAX_READ_TRIES) { /* another server may take the session */
            worker_refresh_view(w);
            open_first(s);
            return;
        }
        char msg[300];
        snprintf(msg, sizeof msg, "stampede-dbproxy: cannot reach server %s: %s",
                 w->p->servers[srv].name, why);
        fatal(s, PROTO_ER_CONNECTION_KILLED, "70100", msg);
        return;
    }
    bool primary = srv == w->view.primary || w->view.s[srv].role == SRV_PRIMARY;
    if ((primary && s->rs.in_trx) || (s->rs.ro_trx && srv == s->ro_srv)) {
        metric_inc(dbproxy_m.lost_in_trx);
        log_info("dbproxy: session %u: %s lost inside a transaction (%s): closing the client",
                 s->id, w->p->servers[srv].name, why);
        close_now(s);
        return;
    }
    if (s->phase != PH_BUSY)
        return;
    if (was_target) {
        if (s->is_read && !s->sent_bytes && s->tries < MAX_READ_TRIES) {
            /* retry_failed_reads: nothing reached the client yet */
            metric_inc(dbproxy_m.retried_reads);
            s->tries++;
            s->except = srv;
            s->wait_failed = false;
            s->cs = CS_ROUTE;
            worker_refresh_view(w);
            step(s);
            return;
        }
        if (!s->sent_bytes && b->state == BC_DEAD && b->qn && s->cs == CS_SENT &&
            (uint8_t)s->cmd.p[0] != CMD_STMT_EXECUTE && (uint8_t)s->cmd.p[0] != CMD_QUERY) {
            /* a command that changes nothing (prepare, field list...): report and go on */
            char msg[300];
            snprintf(msg, sizeof msg, "stampede-dbproxy: lost server %s: %s",
                     w->p->servers[srv].name, why);
            error(s, PROTO_ER_CONNECTION_KILLED, "70100", msg);
            finish_command(s);
            return;
        }
        /* a statement in flight on a lost server: its outcome is unknown */
        metric_inc(dbproxy_m.lost_in_trx);
        log_info("dbproxy: session %u: %s lost with a statement in flight (%s): closing the"
                 " client",
                 s->id, w->p->servers[srv].name, why);
        close_now(s);
        return;
    }
    if (s->cs == CS_ROUTE) {
        /* we were waiting for this connection: decide again (the view now knows) */
        if (++s->tries > MAX_READ_TRIES + 2) {
            refuse_read(s, "stampede-dbproxy: no database server answered");
            if (s->phase == PH_READY)
                client_input(s);
            return;
        }
        if (srv != w->view.primary)
            s->except = srv;
        worker_refresh_view(w);
        step(s);
        if (s->phase == PH_READY)
            client_input(s);
    }
}
