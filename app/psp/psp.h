/*
 * psp — stampede-psp, a payment-gateway SANDBOX for development and tests. It is never a
 * real gateway: no card data is real, every page says SANDBOX, and it exists so that the
 * shop's payment saga can be tested against a gateway that behaves like one, failures
 * included. Its API follows Toss Payments (hosted page -> redirect with paymentKey, orderId
 * and amount -> server-side confirm with the secret key), with Stripe's idempotency rules
 * and Stripe-style signed webhooks.
 *
 * Parts:
 *   pages.c    the hosted card page (GET/POST /checkout) and its test cards
 *   api.c      the server API under /v1 (confirm, cancel/refund, lookups, fault switches)
 *   ledger.c   payments, ledger, idempotency keys and the webhook outbox in MariaDB
 *              (database stampede_psp, account stampede_psp; sql/psp/)
 *   faults.c   per-call fault injection switched on by tests through the API
 *   webhook.c  the delivery thread: signed, retried with back-off, faults applied
 *   serve.c    HTTP over libmicrohttpd (a thread per connection) into app/http's router
 *   pspcfg.c   configuration directives
 *
 * Threads: libmicrohttpd runs each connection in its own thread; a request borrows a worker
 * (a database connection, an arena and buffers: struct http_app) from a fixed pool for its
 * duration. The webhook thread has its own worker. Shared state is the frozen configuration
 * and the fault table (under a mutex).
 *
 * Errors of the API are Toss-shaped: {"code": "NOT_FOUND_PAYMENT", "message": "..."}.
 */
#ifndef STAMPEDE_PSP_PSP_H
#define STAMPEDE_PSP_PSP_H

#include "core/arena.h"
#include "core/buf.h"
#include "core/config.h"
#include "db/db.h"
#include "http/router.h"
#include "http/server.h"
#include "tpl/tpl.h"

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

struct psp_cfg {
    char *listen_host;
    int64_t listen_port;
    char *pid_file;
    char *log_file;
    char *log_level;
    char *db_host;
    int64_t db_port;
    char *db_user;
    char *db_password;
    char *db_name;
    int64_t db_connect_timeout_ms;
    int64_t db_read_timeout_ms;
    int64_t db_lock_wait_ms;
    char *secret_key;
    char *client_key;
    char *webhook_url;
    char *webhook_secret;
    int64_t webhook_retry_base_ms;
    int64_t webhook_max_attempts;
    int64_t webhook_timeout_ms;
    int64_t webhook_poll_ms;
    int64_t confirm_window_ms;
    int64_t slow_ms;
    int64_t workers;
    int64_t max_connections;
    char *templates_dir;
};

extern const struct cfg_directive psp_cfg_table[];
extern const size_t psp_cfg_table_len;

/* psp_cfg_load: defaults and the file (no environment overrides: the sandbox is not one of
 * the shop's processes). ERR_CONFIG with a reason in err. */
int psp_cfg_load(struct psp_cfg *c, const char *path, struct buf *err);
void psp_cfg_free(struct psp_cfg *c);

/* ---- faults (faults.c) */

#define PSP_MAX_FAULTS 64

/*
 * A fault rule: the next `remaining` calls of `op` (checkout, confirm, cancel, lookup,
 * webhook) — for one orderId, or any when order_id is empty — misbehave as `kind`:
 *   API calls:  slow (sleep delay_ms, then work), timeout (work, commit, then hold the answer
 *               delay_ms), lost (work, commit, close the connection without an answer),
 *               error_after_commit (work, commit, answer 500), error (answer 500, no work);
 *   webhooks:   duplicate (deliver twice), reorder (hold the event delay_ms so later ones
 *               overtake it), bad_signature (sign with another secret), stale (a timestamp
 *               10 minutes old), drop (never deliver).
 */
struct psp_fault {
    char op[16];
    char kind[24];
    char order_id[65];
    int64_t remaining;
    int64_t delay_ms;
};

/* psp_fault_kind_valid: kind is known and fits op. */
bool psp_fault_kind_valid(const char *op, const char *kind);

struct psp;

/* psp_fault_add: adds a rule; ERR_LIMIT when PSP_MAX_FAULTS are set. */
int psp_fault_add(struct psp *p, const struct psp_fault *f);
/* psp_fault_take: consumes one matching rule into *out; false when none matches. */
bool psp_fault_take(struct psp *p, const char *op, struct str order_id, struct psp_fault *out);
/* psp_fault_clear / psp_fault_list (copies at most cap rules; returns the count). */
void psp_fault_clear(struct psp *p);
size_t psp_fault_list(struct psp *p, struct psp_fault *out, size_t cap);

/* ---- the process (serve.c) */

struct psp_pool;

struct psp {
    struct psp_cfg cfg;
    struct tpl_set *tpl;
    const struct tpl *t_checkout;
    const struct tpl *t_message;
    struct router *router;
    struct http_hooks hooks;
    struct http_service svc;
    char *extra_headers;
    struct str css;
    struct psp_pool *pool;
    pthread_mutex_t mu; /* guards faults */
    struct psp_fault faults[PSP_MAX_FAULTS];
    size_t nfaults;
    volatile int *stop;
    pthread_t webhook_thread;
    bool webhook_running;
};

/* One worker: what a request (or the webhook thread) works with. */
struct http_app {
    struct psp *psp;
    struct db *db;
    struct arena *arena;
    struct buf head;
    struct buf body;
    void *curl; /* the webhook thread's libcurl handle */
    /* set by a handler for the glue: a fault's misbehaviour after the work is done */
    bool drop_connection;
    int64_t hold_answer_ms;
};

/*
 * psp_start: loads templates, builds the router, opens the worker pool, starts the webhook
 * thread and the HTTP daemon; runs until *stop becomes non-zero; returns the exit code.
 */
int psp_run(struct psp *p, volatile int *stop, struct buf *err);

/* psp_load: configuration and templates into p; 0 or ERR_CONFIG with a reason. */
int psp_load(struct psp *p, const char *config_path, struct buf *err);
void psp_unload(struct psp *p);

/* psp_worker_new/free: a worker with its own database connection (opened lazily). */
struct http_app *psp_worker_new(struct psp *p);
void psp_worker_free(struct http_app *w);

/* ---- the ledger (ledger.c): everything runs on w->db, results in w->arena */

struct psp_cancel {
    struct str kind; /* refund | void */
    int64_t amount;
    struct str reason;
    struct str at;
    struct str transaction_key;
};

struct psp_payment {
    int64_t seq;
    struct str payment_key;
    struct str order_id;
    struct str order_name;
    struct str status;
    struct str card_number;
    struct str card_kind;
    struct str fail_code;
    struct str requested_at;
    struct str approved_at; /* empty until captured */
    int64_t amount;
    int64_t captured;
    int64_t balance;
    bool expired_window; /* READY past the confirm window */
    struct psp_cancel *cancels;
    size_t ncancels;
};

/* An API answer as stored for idempotent replays. */
struct psp_answer {
    int status;
    struct str body; /* JSON */
};

struct psp_new_payment {
    struct str order_id;
    struct str order_name;
    int64_t amount;
    struct str card_number; /* masked */
    const char *card_kind;  /* approve | decline | slow */
};

/* psp_error_page: the http error hook: JSON under /v1, a SANDBOX page elsewhere (pages.c). */
void psp_error_page(struct http_ex *x, int status, const char *code, const char *text);
/* The pages' templates and their view schemas (pages.c), compiled at load (serve.c). */
extern const struct tpl_binding psp_view_bindings[];
extern const size_t psp_view_bindings_len;

/* psp_payment_create: a READY (authorized) or ABORTED (declined) payment with its ledger row
 * and, for a decline, a webhook event; out is the new payment. */
int psp_payment_create(struct http_app *w, const struct psp_new_payment *in,
                       struct psp_payment *out);

/* psp_payment_get: by key (ERR_NOTFOUND). */
int psp_payment_get(struct http_app *w, struct str payment_key, struct psp_payment *out);
/* psp_payments_by_order: every payment made for orderId, oldest first. */
int psp_payments_by_order(struct http_app *w, struct str order_id, struct psp_payment **out,
                          size_t *n);
/* psp_payments_captured: payments that were ever captured, seq > after, changed (captured,
 * refunded) within the last within_s seconds (0: any time), at most limit. */
int psp_payments_captured(struct http_app *w, int64_t after, int64_t within_s, int64_t limit,
                          struct psp_payment **out, size_t *n);

/*
 * psp_confirm / psp_cancel: the two money-moving calls, each one transaction. With a
 * non-empty idem_key the answer is stored with the key (see psp_idempotency in sql/psp) and
 * a repeated key replays it (*replayed); the same key with another request is answered 422
 * IDEMPOTENCY_KEY_REUSED. Returns 0 with the answer in *out, or a database error.
 * cancel_amount 0 means the whole balance (or a void before capture).
 */
int psp_confirm(struct http_app *w, struct str idem_key, struct str payment_key,
                struct str order_id, int64_t amount, struct psp_answer *out, bool *replayed);
int psp_cancel(struct http_app *w, struct str idem_key, struct str payment_key, struct str reason,
               int64_t cancel_amount, struct psp_answer *out, bool *replayed);

/* psp_expire_due: READY payments past the confirm window become EXPIRED (with events);
 * *n counts them. */
int psp_expire_due(struct http_app *w, int64_t limit, int64_t *n);

/* psp_payment_json: the Toss-shaped Payment object. */
struct cJSON *psp_payment_json(const struct psp_payment *p);

/* ---- webhooks (webhook.c) */

/* psp_webhook_sign: "t=<t>,v1=<hex HMAC-SHA256(secret, t + "." + body)>" into the arena. */
struct str psp_webhook_sign(struct arena *a, struct str secret, int64_t t, struct str body);
/* psp_webhook_deliver_due: one pass over the outbox (the thread's loop body); *sent counts
 * deliveries attempted. */
int psp_webhook_deliver_due(struct http_app *w, int64_t *sent);
/* psp_webhook_start/stop: the delivery thread. */
int psp_webhook_start(struct psp *p);
void psp_webhook_stop(struct psp *p);

/* ---- handlers (api.c, pages.c) */
void psp_api_confirm(struct http_ex *x);
void psp_api_cancel(struct http_ex *x);
void psp_api_payment(struct http_ex *x);
void psp_api_payments(struct http_ex *x);
void psp_api_faults_add(struct http_ex *x);
void psp_api_faults_list(struct http_ex *x);
void psp_api_faults_clear(struct http_ex *x);
void psp_api_healthz(struct http_ex *x);
void psp_page_checkout(struct http_ex *x);
void psp_page_checkout_post(struct http_ex *x);
void psp_page_css(struct http_ex *x);

/* psp_error: a Toss-shaped JSON error answer. */
void psp_error(struct http_ex *x, int status, const char *code, const char *message);

extern const struct http_route psp_routes[];
extern const size_t psp_routes_len;

#endif
