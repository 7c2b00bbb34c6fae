/*
 * harness — helpers for integration tests against a real private stack.
 *
 * The ctest fixture `stack` (tests/integration/stack.sh) starts a whole Stampede stack with
 * `./stampede up` on free loopback ports in a temporary folder and writes its settings to a
 * file named by STAMPEDE_STACK_ENV. Tests load it with stack_load, talk HTTP through HAProxy
 * (or to one nginx node) with libcurl, look at the database directly through the primary's
 * socket as root, and drive the stack (stop a server, start it again) with stack_run.
 *
 * Test code: plain libc allocation is fine here (the allocation seam rule is for app/).
 */
#ifndef STAMPEDE_TESTS_HARNESS_H
#define STAMPEDE_TESTS_HARNESS_H

#include <cjson/cJSON.h>
#include <mysql.h>
#include <stdbool.h>
#include <stddef.h>

struct client;

struct stack {
    char repo[512];
    char data[512];
    char build[512];
    char base_url[128]; /* http://127.0.0.1:PORT through HAProxy */
    int http_port;
    int nginx_port[2];
    int db_port[2];
    int mc_port[2];
    int dbproxy_port;        /* stampede-dbproxy: the shop's only database endpoint */
    int dbproxy_status_port; /* its /metrics, /status */
    int port_base;
};

/* stack_load: reads STAMPEDE_STACK_ENV; fails the test when the fixture did not run. */
void stack_load(struct stack *s);
/* stack_run: runs a shell command with the stack's environment from the repository root
 * (e.g. stack_run(s, "./stampede status")); returns the exit status. */
int stack_run(const struct stack *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* stack_haproxy_stat: one field ("status", "chkdown", "qcur", ...) of a server's line in
 * HAProxy's `show stat` (runtime socket); false when there is no such server or field. */
bool stack_haproxy_stat(const struct stack *s, const char *server, const char *field, char *out,
                        size_t n);
/* stack_served_by: the web node that answered a GET /healthz through HAProxy ("" on failure;
 * a static buffer, valid until the next call). */
const char *stack_served_by(const struct stack *s, struct client *c);
/* stack_pid: the pid in DATA/<relpath> (0 if none). */
int stack_pid(const struct stack *s, const char *relpath);

struct resp {
    long status;
    char *headers; /* raw header block, lower-case names not guaranteed */
    size_t headers_len;
    char *body;
    size_t body_len;
};

struct client;

/* client_new: an HTTP client with its own cookie jar (one shopper). */
struct client *client_new(void);
/* client_new_from: the same, connecting from another local address (e.g. 127.0.0.2: another
 * client address for HAProxy's per-address rate limit). */
struct client *client_new_from(const char *local_addr);
void client_free(struct client *c);
/* client_request: method, absolute URL, optional body and content type, extra header lines
 * ("Name: value", NULL-terminated list); fills r (free with resp_free). Returns 0 or -1 on a
 * transport error (no response). */
int client_request(struct client *c, const char *method, const char *url, const char *ctype,
                   const char *body, const char *const *headers, struct resp *r);
int client_get(struct client *c, const char *url, struct resp *r);
void resp_free(struct resp *r);
/* resp_header: value of a response header (case-insensitive), copied into out; false if
 * absent. */
bool resp_header(const struct resp *r, const char *name, char *out, size_t outlen);
/* resp_json: the body parsed as JSON (caller deletes), or NULL. */
cJSON *resp_json(const struct resp *r);
bool resp_contains(const struct resp *r, const char *needle);

/* url: base_url + path into a static rotating buffer (valid for the next few calls). */
const char *stack_url(const struct stack *s, const char *path);
const char *node_url(const struct stack *s, int node, const char *path);

/* Database access as root through the unix socket of the primary (0) or replica (1). A write
 * through db_execf on the primary returns once the replica has it too (up to 2 s, then it
 * goes on; harness_auto_sync(false) to skip), because the shop reads through the replica. */
MYSQL *stack_db(const struct stack *s, int which);
void harness_auto_sync(bool on);
/* db_scalar: the first column of the first row as an integer (fails the test on error). */
long long db_scalar(MYSQL *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* db_textf: the first column of the first row as text ("" for none or NULL), in a static
 * buffer valid until the next call (fails the test on error). */
const char *db_textf(MYSQL *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* db_execf: runs a statement; returns mysql_errno (0 on success). Test-only SQL. */
unsigned db_execf(MYSQL *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* The test account for direct protocol tests through the proxy: user `sbtest` (password
 * `sbpass`) with all rights on database `sbtest` (also sysbench's), created once on the
 * primary (stack_test_account) and replicated. */
#define TEST_DB_USER     "sbtest"
#define TEST_DB_PASSWORD "sbpass"
#define TEST_DB_NAME     "sbtest"
void stack_test_account(const struct stack *s);
/* stack_proxy_db: a connection through stampede-dbproxy (fails the test if refused). */
MYSQL *stack_proxy_db(const struct stack *s, const char *user, const char *password,
                      const char *db);
/* stack_replica_sync: waits until the replica has applied everything the primary has (after
 * a test wrote on the primary directly and the shop must read it through the replica). */
void stack_replica_sync(const struct stack *s);
/* stack_proxy_metric: the value of one series on the proxy's /metrics (the whole line before
 * the value must match, e.g. "stampede_dbproxy_routed_total{target=\"replica\",reason=\"read\"}");
 * -1 if absent. */
double stack_proxy_metric(const struct stack *s, const char *series);
/* stack_proxy_status: the proxy's /status JSON (caller deletes), or NULL. */
cJSON *stack_proxy_status(const struct stack *s);
/* stack_proxy_server_state: "writable", "readable", "not in use" or "down" for a server name
 * ("primary", "replica") in /status, copied into out; false if unknown. */
bool stack_proxy_server_state(const struct stack *s, const char *name, char *out, size_t n);

/*
 * Concurrent requests (libcurl multi): every hreq is one request; up to max_parallel run at
 * once. Fill method, url, optional body/ctype, up to 6 extra header lines and optionally the
 * local address to send from (another client address for HAProxy and the shop); status, body
 * and headers come back (free with hreq_free). status is -1 on a transport error.
 */
struct hreq {
    const char *method;
    char url[256];
    const char *ctype;
    char *body;
    char hdr[6][320];
    char from[16]; /* the local address to send from ("127.0.0.7"); empty: the default */
    long status;
    char *out;
    size_t out_len;
    char *out_headers;
    size_t out_headers_len;
};
void http_parallel(struct hreq *r, size_t n, size_t max_parallel);
/*
 * http_parallel_until_served: http_parallel, then requests the shop answered "busy, retry"
 * (503 auth_busy: the password-hashing bulkhead was full) are sent again a second later, as a
 * polite client does, for up to max_rounds rounds in all. Returns how many busy answers there
 * were; the requests hold their last answer.
 */
size_t http_parallel_until_served(struct hreq *r, size_t n, size_t max_parallel, int max_rounds);
/* http_retry_busy: only the second part: requests already sent whose answer was "busy" are
 * sent again, for up to max_rounds rounds; returns how many busy answers there were. */
size_t http_retry_busy(struct hreq *r, size_t n, size_t max_parallel, int max_rounds);
void hreq_free(struct hreq *r);

/* cookie_from: the value of cookie `name` set by a response's headers (false if none). */
bool cookie_from(const char *headers, const char *name, char *out, size_t outlen);

/*
 * crowd_sign_in: n shoppers "<prefix>-<i>@test.stampede" (i zero-padded to 3 digits), their
 * accounts made in SQL with one argon2id hash of password for all, each then signed in through
 * the real API (POST /api/v1/session, busy answers retried), so every shopper has a real
 * server-side session: tokens into sid[i], account ids into ids[i] (may be NULL). Addresses
 * are the caller's. Fails the test when a shopper cannot sign in.
 */
void crowd_sign_in(const struct stack *s, MYSQL *db, const char *prefix, const char *password,
                   int n, char (*sid)[64], long long *ids);

/* wait_until: polls cond(arg) every 100 ms for up to timeout_ms; true when it held. */
bool wait_until(bool (*cond)(void *), void *arg, int timeout_ms);

/* A valid shipping address (PUT /api/v1/account/address), and its row for account_addresses
 * (tests that create accounts in SQL: "INSERT INTO account_addresses (account_id, "
 * TEST_ADDRESS_COLUMNS ") SELECT id, " TEST_ADDRESS_VALUES " FROM accounts WHERE ..."). */
#define TEST_ADDRESS_JSON                                                              \
    "{\"recipient\":\"홍길동\",\"phone\":\"010-1234-5678\",\"postcode\":\"06236\"," \
    "\"address\":\"서울특별시 강남구 테헤란로 152\",\"detail\":\"12층\"}"
#define TEST_ADDRESS_COLUMNS "recipient, phone, postcode, address, detail"
#define TEST_ADDRESS_VALUES \
    "'홍길동', '010-1234-5678', '06236', '서울특별시 강남구 테헤란로 152', '12층'"

#endif
