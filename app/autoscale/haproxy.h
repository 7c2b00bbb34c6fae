/*
 * haproxy — a client of HAProxy's runtime API (the stats socket, `show stat`) and the parser of
 * its CSV, for the autoscaler: per server of one backend its sessions, queue, response time,
 * status and weight, and how the autoscaler counts it (capacity, joining/leaving, down).
 *
 * Columns are found by name in the `# pxname,svname,...` header line, never by position, so a
 * newer HAProxy that adds columns changes nothing.
 *
 * Memory: results in caller-provided arrays. Thread safety: reentrant. Errors: ERR_IO (cannot
 * connect, read or the answer is cut), ERR_INVAL (no header, a column missing, a bad number).
 */
#ifndef STAMPEDE_AUTOSCALE_HAPROXY_H
#define STAMPEDE_AUTOSCALE_HAPROXY_H

#include "core/buf.h"
#include "core/str.h"

#include <stddef.h>
#include <stdint.h>

#define HAP_MAX_SERVERS 64

enum hap_state {
    HAP_UP,      /* UP, "UP 1/3" (going down, still serving), "no check": capacity */
    HAP_JOINING, /* "DOWN 1/2" (rising after checks pass) */
    HAP_LEAVING, /* MAINT, DRAIN, NOLB: being taken out */
    HAP_DOWN,    /* DOWN and anything else: neither capacity nor in transition */
};

struct hap_server {
    char name[64];
    char status[32];
    enum hap_state state;
    int64_t scur, qcur, rtime_ms, weight, stot, req_tot;
};

struct hap_backend {
    struct hap_server s[HAP_MAX_SERVERS];
    size_t n;
    int64_t queue; /* the BACKEND row's qcur: requests not yet given to a server */
    int up, joining, leaving, down;
    double load;     /* scur + qcur of UP servers + the backend queue */
    double rtime_ms; /* mean rtime over UP servers (0 if none) */
};

/* hap_state_of: the state a `status` column value means. */
enum hap_state hap_state_of(struct str status);
const char *hap_state_name(enum hap_state s);

/*
 * hap_parse_stat: the rows of backend in a `show stat` answer (csv) into *out (reset first;
 * servers beyond HAP_MAX_SERVERS are ignored). 0, or ERR_INVAL when the header or a needed
 * column is missing or a number is malformed.
 */
int hap_parse_stat(struct str csv, const char *backend, struct hap_backend *out);

/*
 * hap_show_stat: sends `show stat` to addr (a unix socket path, or host:port) and appends the
 * answer to out. Waits at most timeout_ms in all. 0 or ERR_IO.
 */
int hap_show_stat(const char *addr, int64_t timeout_ms, struct buf *out);

#endif
