/*
 * stmt — a session's prepared statements as its client knows them (MaxScale's PS map): the
 * proxy's own statement ids, which the client got from COM_STMT_PREPARE, each with its SQL and
 * classification and, per backend server, the id it has there. A statement is prepared lazily
 * on whichever backend first runs it (the session queues the COM_STMT_PREPARE), so the ids
 * there differ from the client's and from each other; stmt rewrites each command for the
 * backend it goes to.
 *
 * Memory: the table owns its statements and their copies of the SQL and the bound parameter
 * types. Thread safety: one session, one thread.
 */
#ifndef STAMPEDE_DBPROXY_STMT_H
#define STAMPEDE_DBPROXY_STMT_H

#include "core/buf.h"
#include "dbproxy/classify.h"
#include "dbproxy/dbproxy.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* a statement on one backend server */
struct ps_on {
    uint64_t epoch; /* the backend connection it was prepared on; 0: not prepared there */
    uint32_t id;
    bool types; /* parameter types were sent there */
};

struct ps {
    uint32_t id; /* the client's */
    uint8_t *sql;
    size_t sql_len;
    struct qc_info qc;
    uint16_t nparams, ncols;
    struct ps_on on[DBPROXY_MAX_SERVERS];
    uint8_t *types;  /* 2 * nparams: the types the client bound last */
    int cursor_srv;  /* the server holding its open cursor, or -1 */
    int last_srv;    /* the server that ran it last, or -1 */
    bool long_data;  /* long data was sent since the last execute */
    struct ps *next; /* hash chain */
};

#define PS_BUCKETS 64

struct ps_table {
    struct ps *b[PS_BUCKETS];
    uint32_t next; /* the last id handed out */
    uint32_t last; /* the last statement prepared successfully (the id -1 stands for) */
    size_t count;
};

/* ps_new: a statement for sql (copied) with a fresh id, in t. */
struct ps *ps_new(struct ps_table *t, const void *sql, size_t len, const struct qc_info *qc);
/* ps_find: the statement with the client's id, or NULL. */
struct ps *ps_find(struct ps_table *t, uint32_t id);
/* ps_delete: forgets the statement (no-op if absent). */
void ps_delete(struct ps_table *t, uint32_t id);
/* ps_clear: forgets every statement (COM_RESET_CONNECTION, the session's end). */
void ps_clear(struct ps_table *t);

/*
 * ps_exec_payload: the client's COM_STMT_EXECUTE (cmd, command byte first) rewritten for
 * server srv into out: its statement id there, and the parameter types added when that server
 * has not been sent them (a client sends them only with the first execute after binding, and
 * that one may have run elsewhere). Records that srv has the types.
 */
void ps_exec_payload(struct ps *p, int srv, const uint8_t *cmd, size_t n, struct buf *out);

#endif
