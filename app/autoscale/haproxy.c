/* haproxy — `show stat` over the runtime API, and its CSV; see haproxy.h. */
#include "haproxy.h"

#include "core/clock.h"
#include "core/err.h"

#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define HAP_MAX_COLS 128

enum { C_PX, C_SV, C_SCUR, C_QCUR, C_RTIME, C_STATUS, C_WEIGHT, C_STOT, C_REQTOT, C_N };
static const char *const col_names[C_N] = {"pxname", "svname", "scur", "qcur",   "rtime",
                                           "status", "weight", "stot", "req_tot"};
/* rtime and req_tot are not in every HAProxy's CSV: optional */
static const bool col_optional[C_N] = {false, false, false, false, true, false, false, false, true};

const char *hap_state_name(enum hap_state s)
{
    switch (s) {
    case HAP_UP:
        return "up";
    case HAP_JOINING:
        return "joining";
    case HAP_LEAVING:
        return "leaving";
    case HAP_DOWN:
        break;
    }
    return "down";
}

enum hap_state hap_state_of(struct str st)
{
    if (str_eq_cstr(st, "UP") || str_starts_with(st, STR("UP ")) || str_eq_cstr(st, "no check"))
        return HAP_UP;
    if (str_starts_with(st, STR("DOWN ")))
        return HAP_JOINING; /* "DOWN 1/2": checks pass, rising */
    if (str_starts_with(st, STR("MAINT")) || str_starts_with(st, STR("DRAIN")) ||
        str_starts_with(st, STR("NOLB")))
        return HAP_LEAVING;
    return HAP_DOWN;
}

/* next_field: the field at *p up to ',' or end; advances past the comma. */
static struct str next_field(struct str *line)
{
    size_t i = 0;
    while (i < line->len && line->p[i] != ',')
        i++;
    struct str f = {line->p, i};
    line->p += i < line->len ? i + 1 : i;
    line->len -= i < line->len ? i + 1 : i;
    return f;
}

static struct str next_line(struct str *rest)
{
    size_t i = 0;
    while (i < rest->len && rest->p[i] != '\n')
        i++;
    struct str l = {rest->p, i};
    if (i > 0 && l.p[i - 1] == '\r')
        l.len--;
    rest->p += i < rest->len ? i + 1 : i;
    rest->len -= i < rest->len ? i + 1 : i;
    return l;
}

static bool num(struct str s, int64_t *out)
{
    if (s.len == 0) { /* empty: not applicable to this row */
        *out = 0;
        return true;
    }
    return str_to_i64(s, out);
}

static void copy(char *dst, size_t cap, struct str s)
{
    size_t n = s.len < cap - 1 ? s.len : cap - 1;
    if (n)
        memcpy(dst, s.p, n);
    dst[n] = '\0';
}

int hap_parse_stat(struct str csv, const char *backend, struct hap_backend *out)
{
    memset(out, 0, sizeof *out);
    struct str rest = csv;
    struct str header = next_line(&rest);
    if (!str_starts_with(header, STR("# ")))
        return ERR_INVAL;
    header.p += 2;
    header.len -= 2;
    int pos[C_N];
    for (int k = 0; k < C_N; k++)
        pos[k] = -1;
    for (int i = 0; header.len > 0 && i < HAP_MAX_COLS; i++) {
        struct str f = next_field(&header);
        for (int k = 0; k < C_N; k++)
            if (str_eq_cstr(f, col_names[k]))
                pos[k] = i;
    }
    for (int k = 0; k < C_N; k++)
        if (pos[k] < 0 && !col_optional[k])
            return ERR_INVAL;
    double rtime_sum = 0;
    while (rest.len > 0) {
        struct str line = next_line(&rest);
        if (line.len == 0 || line.p[0] == '#')
            continue;
        struct str f[C_N] = {{0}};
        int nf = 0;
        for (; line.len > 0 && nf < HAP_MAX_COLS; nf++) {
            struct str v = next_field(&line);
            for (int k = 0; k < C_N; k++)
                if (pos[k] == nf)
                    f[k] = v;
        }
        for (int k = 0; k < C_N; k++)
            if (!col_optional[k] && pos[k] >= nf && nf > 0)
                return ERR_INVAL; /* a row cut short */
        if (!str_eq_cstr(f[C_PX], backend))
            continue;
        if (str_eq_cstr(f[C_SV], "FRONTEND"))
            continue;
        if (str_eq_cstr(f[C_SV], "BACKEND")) {
            if (!num(f[C_QCUR], &out->queue))
                return ERR_INVAL;
            continue;
        }
        if (out->n == HAP_MAX_SERVERS)
            continue;
        struct hap_server *s = &out->s[out->n];
        if (!num(f[C_SCUR], &s->scur) || !num(f[C_QCUR], &s->qcur) ||
            !num(f[C_RTIME], &s->rtime_ms) || !num(f[C_WEIGHT], &s->weight) ||
            !num(f[C_STOT], &s->stot) || !num(f[C_REQTOT], &s->req_tot))
            return ERR_INVAL;
        copy(s->name, sizeof s->name, f[C_SV]);
        copy(s->status, sizeof s->status, f[C_STATUS]);
        s->state = hap_state_of(f[C_STATUS]);
        out->n++;
        switch (s->state) {
        case HAP_UP:
            out->up++;
            out->load += (double)(s->scur + s->qcur);
            rtime_sum += (double)s->rtime_ms;
            break;
        case HAP_JOINING:
            out->joining++;
            break;
        case HAP_LEAVING:
            out->leaving++;
            break;
        case HAP_DOWN:
            out->down++;
            break;
        }
    }
    out->load += (double)out->queue;
    out->rtime_ms = out->up ? rtime_sum / out->up : 0;
    return 0;
}

static int connect_to(const char *addr)
{
    if (addr[0] == '/') {
        struct sockaddr_un sa = {.sun_family = AF_UNIX};
        if (strlen(addr) >= sizeof sa.sun_path)
            return -1;
        memcpy(sa.sun_path, addr, strlen(addr) + 1);
        int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
            close(fd);
            fd = -1;
        }
        return fd;
    }
    const char *colon = strrchr(addr, ':');
    if (!colon || colon == addr || (size_t)(colon - addr) >= 256)
        return -1;
    char host[256];
    memcpy(host, addr, (size_t)(colon - addr));
    host[colon - addr] = '\0';
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res = NULL;
    if (getaddrinfo(host, colon + 1, &hints, &res) != 0)
        return -1;
    int fd = socket(res->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, res->ai_addr, res->ai_addrlen) != 0) {
        close(fd);
        fd = -1;
    }
    freeaddrinfo(res);
    return fd;
}

int hap_show_stat(const char *addr, int64_t timeout_ms, struct buf *out)
{
    int fd = connect_to(addr);
    if (fd < 0)
        return ERR_IO;
    int rc = 0;
    static const char cmd[] = "show stat\n";
    if (write(fd, cmd, sizeof cmd - 1) != (ssize_t)(sizeof cmd - 1)) {
        rc = ERR_IO;
        goto done;
    }
    int64_t deadline = clock_mono_ns() + timeout_ms * 1000000;
    char chunk[8192];
    for (;;) {
        int64_t left = (deadline - clock_mono_ns()) / 1000000;
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (left <= 0 || poll(&p, 1, (int)left) <= 0) {
            rc = ERR_IO;
            break;
        }
        ssize_t n = read(fd, chunk, sizeof chunk);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = ERR_IO;
            break;
        }
        if (n == 0)
            break; /* the API closes after one command */
        if (buf_append(out, chunk, (size_t)n) != 0) {
            rc = ERR_IO;
            break;
        }
    }
done:
    close(fd);
    return rc;
}
