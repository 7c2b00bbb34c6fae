/*
 * backend — one connection from the proxy to a MariaDB server, on behalf of one session.
 *
 * Life: CONNECT (non-blocking TCP) -> GREETING (read the server's handshake) -> LOGIN (log in
 * as the session's user with that server's nonce; answer an auth switch to
 * mysql_native_password) -> READY. A connection taken from the pool skips to READY at once and
 * is re-authenticated with CMD_CHANGE_USER, queued like any command. Any failure, a timeout
 * (connect_timeout for connect and login) or the server closing the socket makes it DEAD: the
 * session is told (session_backend_failed) and the connection is freed at the end of the turn.
 *
 * Commands and responses. The session appends whole commands to `out` and, for each, pushes
 * an expectation (struct bx) saying what to do with its response: forward it to the client,
 * check it (a replayed session command, the proxy's own set-up), read one value from it (a
 * GTID wait, @@last_gtid), record a prepared statement id, or drop it. Responses arrive in
 * order; a tracker (proto_resp) finds where each ends. Several commands may be in flight
 * (pipelined), which is how a causal read costs no extra round trip.
 *
 * Memory: owns its buffers. Thread safety: its worker's thread only.
 */
#ifndef STAMPEDE_DBPROXY_BACKEND_H
#define STAMPEDE_DBPROXY_BACKEND_H

#include "core/buf.h"
#include "dbproxy/proto.h"
#include "dbproxy/worker.h"

#include <stdbool.h>
#include <stdint.h>

enum bc_state { BC_CONNECT, BC_GREETING, BC_LOGIN, BC_READY, BC_DEAD };

enum bx_kind {
    BX_FORWARD,     /* the client's response: to the client */
    BX_DISCARD,     /* a duplicate (a session command's other backends): drop */
    BX_CHECK,       /* the proxy's own command or a replay: must not fail */
    BX_WAIT,        /* MASTER_GTID_WAIT: 0 means reached */
    BX_LASTGTID,    /* SELECT @@last_gtid */
    BX_PREPARE,     /* a lazy CMD_STMT_PREPARE: its statement id */
    BX_CHANGE_USER, /* CMD_CHANGE_USER of a pooled connection */
};

struct bx {
    enum bx_kind kind;
    uint8_t cmd;
    bool binary;  /* rows of a prepared statement */
    uint32_t arg; /* BX_PREPARE: the proxy's statement id */
};

#define BX_MAX 32

struct bconn {
    struct ev ev;
    struct worker *w;
    struct session *s; /* NULL while pooled */
    int srv;
    enum bc_state state;
    struct buf in, out;
    struct buf pend; /* commands queued before the connection is ready */
    size_t in_off;
    int64_t deadline_ns; /* 0: none */
    int connect_errno;   /* a connect refused at once */
    uint8_t nonce[PROTO_NONCE_LEN];
    size_t nonce_len;
    uint32_t caps; /* negotiated with the server */
    uint32_t server_caps;
    char version[64];
    uint8_t login_seq;
    struct bx q[BX_MAX];
    size_t qh, qn;
    struct proto_resp resp;
    bool counted;       /* select_op_begin was called for the head */
    int64_t sent_ns;    /* when the head was sent (latency) */
    uint64_t hist_done; /* last session-command id this connection has */
    bool set_up;        /* the proxy's own set-up ran for the current session */
    uint16_t status;    /* status flags of its last OK/EOF */
    uint64_t epoch;     /* unique per connection (prepared statement ids belong to it) */
    int64_t idle_since_ns;
    struct bconn *next; /* pool list, or the worker's closing list */
    bool reading_paused;
    bool change_user_pending;
    bool pooled;
    bool was_ready; /* logged in at least once (a failure before is a connect failure) */
};

/*
 * backend_open: a connection to server srv for session s: from the pool (queued
 * CMD_CHANGE_USER) or new. Returns NULL only when a socket cannot be created.
 */
struct bconn *backend_open(struct worker *w, struct session *s, int srv);
/* backend_push: queues a command (payload with command byte first, sent as seq 0) and what to
 * do with its response. The command goes out as soon as the connection is READY. */
void backend_push(struct bconn *b, const void *payload, size_t len, struct bx x);
/* backend_push_raw: like backend_push for bytes already framed (forwarded client packets). */
void backend_push_raw(struct bconn *b, const void *packets, size_t len, struct bx x);
/* backend_push_noreply: a command without a response (CMD_STMT_CLOSE, SEND_LONG_DATA). */
void backend_push_noreply(struct bconn *b, const void *payload, size_t len);
/* backend_idle: READY with nothing in flight. */
bool backend_idle(const struct bconn *b);
/* backend_release: the session is done with b: pooled if clean, else closed. */
void backend_release(struct bconn *b);
/* backend_close: closes now (the session is not told). */
void backend_close(struct bconn *b);
/* backend_event / backend_tick: epoll events and deadline checks (worker.c). */
void backend_event(struct bconn *b, uint32_t events);
void backend_tick(struct bconn *b, int64_t now);
/* backend_pause: stop/resume reading (the client is not keeping up). */
void backend_pause(struct bconn *b, bool pause);

/* pool.c */
struct bconn *pool_take(struct worker *w, int srv, uint32_t caps);
bool pool_put(struct worker *w, struct bconn *b);
void pool_remove(struct worker *w, struct bconn *b);
void pool_expire(struct worker *w, int64_t now);
void pool_drain(struct worker *w);

#endif
