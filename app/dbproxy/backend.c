/* backend — one connection to a MariaDB server; see backend.h. */
#include "backend.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/mem.h"
#include "dbproxy/select.h"
#include "dbproxy/session.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#define IN_MAX  (1u << 30) /* a whole wire packet (16 MiB) plus what arrived with it, at most */
#define OUT_MAX (1u << 30)

static _Atomic uint64_t epochs;
static _Atomic long open_count[DBPROXY_MAX_SERVERS];

long workers_backends(int srv)
{
    return atomic_load(&open_count[srv]);
}

static struct bconn *alloc_conn(struct worker *w, struct session *s, int srv)
{
    struct bconn *b = mem_calloc(1, sizeof *b);
    b->ev.kind = EV_BACKEND;
    b->ev.fd = -1;
    b->w = w;
    b->s = s;
    b->srv = srv;
    buf_init(&b->in, IN_MAX);
    buf_init(&b->out, OUT_MAX);
    buf_init(&b->pend, OUT_MAX);
    b->epoch = atomic_fetch_add(&epochs, 1) + 1;
    return b;
}

static void fail(struct bconn *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

bool backend_idle(const struct bconn *b)
{
    return b->state == BC_READY && b->qn == 0 && !b->change_user_pending;
}

/* ------------------------------------------------------------------ output */

static void watch(struct bconn *b)
{
    uint32_t ev = 0;
    if (b->state == BC_CONNECT) {
        ev = EPOLLOUT;
    } else {
        if (!b->reading_paused)
            ev |= EPOLLIN | EPOLLRDHUP;
        if (b->out.len)
            ev |= EPOLLOUT;
    }
    if (ev != b->ev.events)
        worker_watch(b->w, &b->ev, ev);
}

static void flush(struct bconn *b)
{
    while (b->out.len) {
        ssize_t n = send(b->ev.fd, b->out.p, b->out.len, MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            fail(b, "write: %s", strerror(errno));
            return;
        }
        memmove(b->out.p, b->out.p + n, b->out.len - (size_t)n);
        b->out.len -= (size_t)n;
    }
    watch(b);
}

/* ------------------------------------------------------------------ life */

void backend_close(struct bconn *b)
{
    if (b->state == BC_DEAD)
        return;
    if (b->pooled)
        pool_remove(b->w, b);
    if (b->counted) {
        select_op_end(b->srv);
        b->counted = false;
    }
    b->state = BC_DEAD;
    if (b->ev.fd >= 0) {
        worker_unwatch(b->w, &b->ev);
        close(b->ev.fd);
        b->ev.fd = -1;
        atomic_fetch_sub(&open_count[b->srv], 1);
    }
    b->s = NULL;
    b->next = b->w->closing; /* freed at the end of the loop turn: callers may still hold b */
    b->w->closing = b;
}

static void fail(struct bconn *b, const char *fmt, ...)
{
    char why[240];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (b->state == BC_DEAD)
        return;
    metric_inc(dbproxy_m.backend_failures[b->srv]);
    log_debug("dbproxy: connection to %s failed: %s", b->w->p->servers[b->srv].name, why);
    struct session *s = b->s;
    backend_close(b);
    if (s)
        session_backend_failed(s, b, why);
    else
        monitor_wake(); /* a pooled connection died: the server may be gone */
}

static int start_connect(struct bconn *b)
{
    const struct dbproxy_server *sv = &b->w->p->servers[b->srv];
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)sv->port);
    if (inet_pton(AF_INET, sv->host, &sa.sin_addr) != 1) {
        if (strcmp(sv->host, "localhost") == 0)
            sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        else
            return -1;
    }
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    b->ev.fd = fd;
    atomic_fetch_add(&open_count[b->srv], 1);
    metric_inc(dbproxy_m.backend_connects[b->srv]);
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    if (rc == 0 || errno == EINPROGRESS) {
        b->state = rc == 0 ? BC_GREETING : BC_CONNECT;
        b->deadline_ns = clock_mono_ns() + b->w->p->cfg.connect_timeout_ms * 1000000;
        watch(b);
        return 0;
    }
    return -1;
}

static void build_change_user(struct bconn *b, struct buf *out)
{
    struct session_login l;
    session_login_info(b->s, &l);
    size_t at = proto_begin(out);
    proto_wr_u8(out, CMD_CHANGE_USER);
    proto_wr_nulstr(out, str_from_cstr(l.user));
    if (l.sha1pw) {
        uint8_t tok[PROTO_SHA1_LEN];
        proto_native_token(tok, l.sha1pw, b->nonce, b->nonce_len);
        proto_wr_u8(out, PROTO_SHA1_LEN);
        proto_wr_bytes(out, tok, PROTO_SHA1_LEN);
    } else {
        proto_wr_u8(out, 0);
    }
    proto_wr_nulstr(out, str_from_cstr(l.db));
    proto_wr_u16(out, l.charset);
    proto_wr_nulstr(out, STR("mysql_native_password"));
    if (b->caps & CAP_CONNECT_ATTRS) {
        if (l.attrs_len)
            proto_wr_bytes(out, l.attrs, l.attrs_len);
        else
            proto_wr_lenenc(out, 0);
    }
    proto_end(out, at, 0);
}

struct bconn *backend_open(struct worker *w, struct session *s, int srv)
{
    struct session_login l;
    session_login_info(s, &l);
    struct bconn *b = pool_take(w, srv, l.caps);
    if (b) {
        metric_inc(dbproxy_m.pool_reused[srv]);
        b->s = s;
        b->hist_done = 0;
        b->set_up = false;
        b->state = BC_LOGIN;
        b->change_user_pending = true;
        b->login_seq = 1;
        b->deadline_ns = clock_mono_ns() + w->p->cfg.connect_timeout_ms * 1000000;
        build_change_user(b, &b->out);
        flush(b);
        return b;
    }
    b = alloc_conn(w, s, srv);
    if (start_connect(b) != 0) {
        /* refused at once (nothing listens) or no socket: reported from backend_tick at the
         * end of this loop turn, so the session is not re-entered while it routes */
        b->connect_errno = errno ? errno : ECONNREFUSED;
        b->deadline_ns = clock_mono_ns();
        b->state = BC_CONNECT;
        w->urgent = true;
    }
    return b;
}

void backend_release(struct bconn *b)
{
    if (b->state == BC_DEAD)
        return;
    b->s = NULL;
    if (backend_idle(b) && b->out.len == 0 && !(b->status & ST_IN_TRANS) && pool_put(b->w, b))
        return;
    backend_close(b);
}

void backend_pause(struct bconn *b, bool pause)
{
    if (b->state == BC_DEAD || b->reading_paused == pause)
        return;
    b->reading_paused = pause;
    watch(b);
    if (!pause && b->in.len > b->in_off)
        backend_event(b, 0); /* packets already buffered */
}

/* ------------------------------------------------------------------ commands */

static void start_head(struct bconn *b)
{
    if (!b->qn)
        return;
    struct bx *x = &b->q[b->qh];
    enum proto_resp_kind k = RK_ONE;
    proto_resp_kind_of(x->cmd, &k);
    proto_resp_init(&b->resp, k, b->caps, x->binary);
    b->sent_ns = clock_mono_ns();
    if (!b->counted) {
        select_op_begin(b->srv);
        b->counted = true;
    }
}

static void enqueue(struct bconn *b, struct bx x)
{
    if (b->qn == BX_MAX) {
        fail(b, "too many commands in flight");
        return;
    }
    b->q[(b->qh + b->qn) % BX_MAX] = x;
    b->qn++;
    if (b->qn == 1)
        start_head(b);
    metric_inc(dbproxy_m.queries[b->srv]);
}

static bool ready(const struct bconn *b)
{
    return b->state == BC_READY && !b->change_user_pending;
}

void backend_push(struct bconn *b, const void *payload, size_t len, struct bx x)
{
    if (b->state == BC_DEAD)
        return;
    uint8_t seq = 0;
    proto_wr_packet(ready(b) ? &b->out : &b->pend, payload, len, &seq);
    enqueue(b, x);
    if (ready(b))
        flush(b);
}

void backend_push_raw(struct bconn *b, const void *packets, size_t len, struct bx x)
{
    if (b->state == BC_DEAD)
        return;
    buf_append(ready(b) ? &b->out : &b->pend, packets, len);
    enqueue(b, x);
    if (ready(b))
        flush(b);
}

void backend_push_noreply(struct bconn *b, const void *payload, size_t len)
{
    if (b->state == BC_DEAD)
        return;
    uint8_t seq = 0;
    proto_wr_packet(ready(b) ? &b->out : &b->pend, payload, len, &seq);
    metric_inc(dbproxy_m.queries[b->srv]);
    if (ready(b))
        flush(b);
}

/* ------------------------------------------------------------------ login */

static void login(struct bconn *b, const uint8_t *p, size_t n)
{
    struct proto_greeting g;
    if (proto_parse_greeting(p, n, &g) != 0) {
        fail(b, "not a MariaDB server greeting");
        return;
    }
    memcpy(b->nonce, g.nonce, g.nonce_len);
    b->nonce_len = g.nonce_len;
    b->server_caps = g.caps;
    size_t vl = g.version.len < sizeof b->version - 1 ? g.version.len : sizeof b->version - 1;
    if (vl)
        memcpy(b->version, g.version.p, vl);
    b->version[vl] = '\0';
    struct session_login l;
    session_login_info(b->s, &l);
    uint8_t tok[PROTO_SHA1_LEN];
    struct proto_login out = {0};
    out.caps = (l.caps & g.caps) | CAP_PROTOCOL_41 | CAP_SECURE_CONNECTION | CAP_PLUGIN_AUTH;
    out.caps &= ~(uint32_t)CAP_CONNECT_WITH_DB;
    if (l.db[0])
        out.caps |= CAP_CONNECT_WITH_DB;
    out.max_packet = 1u << 30;
    out.charset = l.charset;
    out.user = str_from_cstr(l.user);
    if (l.sha1pw) {
        proto_native_token(tok, l.sha1pw, b->nonce, b->nonce_len);
        out.auth = (struct str){(const char *)tok, PROTO_SHA1_LEN};
    }
    out.db = str_from_cstr(l.db);
    out.plugin = STR("mysql_native_password");
    out.attrs = (struct str){(const char *)l.attrs, l.attrs_len};
    b->caps = out.caps;
    proto_build_login(&b->out, &out, 1);
    b->login_seq = 2;
    b->state = BC_LOGIN;
    flush(b);
}

static void login_answer(struct bconn *b, const uint8_t *pkt, size_t n)
{
    const uint8_t *p = pkt + PROTO_HDR;
    if (n == 0) {
        fail(b, "empty packet while logging in");
        return;
    }
    if (p[0] == 0x00) {
        struct proto_ok ok;
        if (proto_parse_ok(p, n, b->caps, &ok) == 0)
            b->status = ok.status;
        b->state = BC_READY;
        b->was_ready = true;
        b->change_user_pending = false;
        b->deadline_ns = 0;
        buf_append(&b->out, b->pend.p, b->pend.len);
        buf_reset(&b->pend);
        if (b->qn)
            start_head(b);
        flush(b);
        if (b->state == BC_READY && b->s)
            session_backend_ready(b->s, b);
        return;
    }
    if (p[0] == 0xFF) {
        struct proto_err e;
        proto_parse_err(p, n, &e);
        b->resp.is_err = true;
        b->resp.err_code = e.code;
        memcpy(b->resp.err_state, e.state, 6);
        size_t c = e.msg.len < sizeof b->resp.err_msg - 1 ? e.msg.len : sizeof b->resp.err_msg - 1;
        if (c)
            memcpy(b->resp.err_msg, e.msg.p, c);
        b->resp.err_msg[c] = '\0';
        fail(b, "login refused: %u %s", e.code, b->resp.err_msg);
        return;
    }
    if (p[0] == 0xFE) { /* auth switch */
        struct proto_rd r = proto_rd(p + 1, n - 1);
        struct str plugin = proto_rd_nulstr(&r);
        struct str data = proto_rd_rest(&r);
        if (r.bad || !str_eq_cstr(plugin, "mysql_native_password")) {
            fail(b,
                 "the server asks for authentication plugin %.*s; the proxy speaks"
                 " mysql_native_password only",
                 STR_FMT(plugin));
            return;
        }
        if (data.len && data.p[data.len - 1] == '\0')
            data.len--;
        if (data.len > PROTO_NONCE_LEN)
            data.len = PROTO_NONCE_LEN;
        if (data.len)
            memcpy(b->nonce, data.p, data.len);
        b->nonce_len = data.len;
        struct session_login l;
        session_login_info(b->s, &l);
        uint8_t seq = (uint8_t)(proto_hdr_seq(pkt) + 1);
        uint8_t tok[PROTO_SHA1_LEN];
        size_t tl = 0;
        if (l.sha1pw) {
            proto_native_token(tok, l.sha1pw, b->nonce, b->nonce_len);
            tl = PROTO_SHA1_LEN;
        }
        proto_wr_packet(&b->out, tok, tl, &seq);
        b->login_seq = seq;
        flush(b);
        return;
    }
    fail(b, "unexpected packet 0x%02x while logging in (another authentication method?)", p[0]);
}

/* ------------------------------------------------------------------ input */

static void handle_packet(struct bconn *b, const uint8_t *pkt, size_t n)
{
    if (b->qn == 0) {
        /* unsolicited: the server is closing the connection (shutdown, KILL) */
        const uint8_t *p = pkt + PROTO_HDR;
        struct proto_err e = {0};
        if (n && p[0] == 0xFF)
            proto_parse_err(p, n, &e);
        fail(b, "the server sent %s while idle", e.code ? "an error" : "data");
        return;
    }
    struct bx x = b->q[b->qh];
    int rc = proto_resp_feed(&b->resp, pkt + PROTO_HDR, n);
    if (rc < 0) {
        fail(b, "protocol error in a response to command 0x%02x", x.cmd);
        return;
    }
    if (x.kind == BX_FORWARD && b->s) {
        if (!session_backend_packet(b->s, b, &x, pkt, PROTO_HDR + n, rc == 1))
            return;
        if (b->state == BC_DEAD)
            return;
    }
    if (rc == 1) {
        b->qh = (b->qh + 1) % BX_MAX;
        b->qn--;
        if (b->counted) {
            select_op_end(b->srv);
            b->counted = false;
        }
        metric_observe_ns(dbproxy_m.latency, clock_mono_ns() - b->sent_ns);
        if (!b->resp.is_err && b->resp.has_status)
            b->status = b->resp.status;
        struct proto_resp r = b->resp;
        if (b->qn)
            start_head(b);
        if (b->s)
            session_backend_done(b->s, b, x, &r);
    }
}

static void read_input(struct bconn *b)
{
    for (;;) {
        if (b->in.cap - b->in.len < 16384) {
            size_t want = b->in.cap ? b->in.cap * 2 : 65536;
            if (b->in_off > b->in.len / 2 && b->in_off) {
                memmove(b->in.p, b->in.p + b->in_off, b->in.len - b->in_off);
                b->in.len -= b->in_off;
                b->in_off = 0;
                continue;
            }
            if (want > IN_MAX) {
                fail(b, "response packet too large");
                return;
            }
            char *np = mem_realloc(b->in.p, want);
            b->in.p = np;
            b->in.cap = want;
        }
        ssize_t n = recv(b->ev.fd, b->in.p + b->in.len, b->in.cap - b->in.len, 0);
        if (n > 0) {
            b->in.len += (size_t)n;
            if ((size_t)n < 16384)
                return;
            continue;
        }
        if (n == 0) {
            fail(b, "the server closed the connection");
            return;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK)
            return;
        fail(b, "read: %s", strerror(errno));
        return;
    }
}

static void process(struct bconn *b)
{
    while (b->state != BC_DEAD) {
        size_t avail = b->in.len - b->in_off;
        if (avail < PROTO_HDR)
            break;
        const uint8_t *pkt = (const uint8_t *)b->in.p + b->in_off;
        size_t n = proto_hdr_len(pkt);
        if (avail < PROTO_HDR + n)
            break;
        if (b->state == BC_READY && b->s && session_client_backlogged(b->s)) {
            backend_pause(b, true);
            break;
        }
        b->in_off += PROTO_HDR + n;
        switch (b->state) {
        case BC_GREETING:
            if (n && pkt[PROTO_HDR] == 0xFF) {
                struct proto_err e;
                proto_parse_err(pkt + PROTO_HDR, n, &e);
                fail(b, "the server refused the connection: %u %.*s", e.code, STR_FMT(e.msg));
                break;
            }
            login(b, pkt + PROTO_HDR, n);
            break;
        case BC_LOGIN:
            login_answer(b, pkt, n);
            break;
        case BC_READY:
            if (b->s == NULL) {
                fail(b, "data on a pooled connection");
                break;
            }
            handle_packet(b, pkt, n);
            break;
        default:
            break;
        }
    }
    if (b->state != BC_DEAD && b->in_off == b->in.len) {
        b->in.len = 0;
        b->in_off = 0;
    }
}

void backend_event(struct bconn *b, uint32_t events)
{
    if (b->state == BC_DEAD)
        return;
    if (b->state == BC_CONNECT) {
        if (!(events & (EPOLLOUT | EPOLLERR | EPOLLHUP)))
            return;
        int err = 0;
        socklen_t l = sizeof err;
        getsockopt(b->ev.fd, SOL_SOCKET, SO_ERROR, &err, &l);
        if (err) {
            fail(b, "connect: %s", strerror(err));
            return;
        }
        b->state = BC_GREETING;
        watch(b);
        return;
    }
    if (events & EPOLLOUT)
        flush(b);
    if (b->state == BC_DEAD)
        return;
    if ((events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) && !b->reading_paused)
        read_input(b);
    if (b->state == BC_DEAD)
        return;
    if (!b->reading_paused || events == 0)
        process(b);
}

void backend_tick(struct bconn *b, int64_t now)
{
    if (b->state == BC_DEAD || !b->deadline_ns || now < b->deadline_ns)
        return;
    if (b->connect_errno)
        fail(b, "connect: %s", strerror(b->connect_errno));
    else
        fail(b, "timed out %s", b->state == BC_LOGIN ? "logging in" : "connecting");
}
