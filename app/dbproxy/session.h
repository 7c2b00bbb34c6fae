/*
 * session — one client connection to the proxy and everything it owns: its login, its
 * backend connections (at most one per server, opened when first needed), its session-command
 * history, its prepared statements, its transaction state and the GTID of its last write.
 *
 * One command at a time: a command is read whole (up to max_packet), routed (route.h,
 * select.h), sent to its backend(s), and its response forwarded to the client with the
 * client's sequence numbers; then the next command is read. (Clients that pipeline are served
 * in order.) A command waits while the backend it needs connects, logs in or replays session
 * commands.
 *
 * Read-your-writes (causal_reads=local, MaxScale's default when enabled): the primary reports
 * each transaction's GTID in its OK packets (session tracking of last_gtid, set up by the
 * proxy on every primary connection; for a client without session tracking the proxy asks
 * SELECT @@last_gtid once before the next read). A read sent to a replica that is not known to
 * have that GTID is preceded, in the same round trip, by MASTER_GTID_WAIT(gtid,
 * causal_reads_timeout); if the wait times out the read's result is dropped and the read runs
 * on the primary. causal_reads=global uses the newest GTID any session of this proxy wrote.
 *
 * Failures: a replica that dies before a read's first result byte reached the client: the read
 * runs again elsewhere. The primary dying with a statement in flight or inside a transaction:
 * the outcome is unknown, so the client connection is closed (the client sees "lost
 * connection", as with MaxScale). No primary: writes are refused at once with ER 1290 and a
 * message saying so; reads go on. No server at all for a read: ER 1927.
 *
 * Thread safety: its worker's thread only.
 */
#ifndef STAMPEDE_DBPROXY_SESSION_H
#define STAMPEDE_DBPROXY_SESSION_H

#include "dbproxy/backend.h"
#include "dbproxy/worker.h"

#include <stdbool.h>
#include <stdint.h>

/* session_accept: a new client on fd: sends the greeting. */
void session_accept(struct worker *w, int fd, const char *addr);
void session_event(struct session *s, uint32_t events);
/* session_tick_all: deadlines of every session of w and of their backend connections. */
void session_tick_all(struct worker *w, int64_t now);
/* session_close_all: at shutdown. */
void session_close_all(struct worker *w);
/* session_reap: frees the sessions closed during this loop turn. */
void session_reap(struct worker *w);
/* session_from_ev: the session whose client socket is e. */
struct session *session_from_ev(struct ev *e);

/* Called by backend.c. */
void session_backend_ready(struct session *s, struct bconn *b);
void session_backend_failed(struct session *s, struct bconn *b, const char *why);
/* a wire packet (header included, total bytes n) of the response at the head of b's queue;
 * last: the response is complete after it. Returns false if the session closed. */
bool session_backend_packet(struct session *s, struct bconn *b, const struct bx *x,
                            const uint8_t *pkt, size_t n, bool last);
/* the response at the head of b's queue ended (r: what the tracker saw). */
void session_backend_done(struct session *s, struct bconn *b, struct bx x,
                          const struct proto_resp *r);
/* the client's output buffer is small again: resume b. */
bool session_client_backlogged(const struct session *s);

/* login identity, for backend.c */
struct session_login {
    const char *user;
    const char *db;
    const uint8_t *sha1pw; /* NULL: no password */
    uint32_t caps;
    uint8_t charset;
    const uint8_t *attrs;
    size_t attrs_len;
};
void session_login_info(const struct session *s, struct session_login *out);

#endif
