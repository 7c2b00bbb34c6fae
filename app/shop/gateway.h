/*
 * gateway — the payment gateway as the shop sees it: one interface, one adapter per
 * gateway. gateway_psp.c speaks to stampede-psp (Toss Payments' v1 API shapes: hosted page,
 * confirm, cancel, lookups, HMAC-signed webhooks); an adapter for a real gateway implements
 * the same struct gateway_ops and nothing else in the shop changes.
 *
 * Outcomes of every call, which the saga relies on:
 *   0                the gateway answered yes; *out is the payment as the gateway has it now;
 *   ERR_GATEWAY      the gateway answered no (a 4xx): nothing happened; err has its code;
 *   ERR_UNKNOWN      the request may have reached the gateway but no usable answer came back
 *                    (timeout, connection lost, 5xx): the effect may or may not have happened,
 *                    and only a lookup or the same idempotency key can tell;
 *   ERR_UNAVAILABLE  nothing was sent (cannot connect).
 * Money-moving calls (confirm, cancel) carry an idempotency key, so repeating one with the
 * same key is always safe and never repeats the effect.
 *
 * Memory: results live in the caller's arena. Thread safety: a struct gateway is used by one
 * thread at a time (it keeps its connection); make one per thread.
 */
#ifndef STAMPEDE_SHOP_GATEWAY_H
#define STAMPEDE_SHOP_GATEWAY_H

#include "core/arena.h"
#include "core/str.h"

#include <stdbool.h>
#include <stdint.h>

struct gateway_cancel {
    struct str kind;   /* refund (after capture) or void (before) */
    struct str reason; /* as given to gateway_cancel */
    int64_t amount;
};

struct gateway_payment {
    int64_t seq; /* order of listing (gateway_captured) */
    struct str payment_key;
    struct str order_id;
    /* READY (authorized, not confirmed), DONE (captured), PARTIAL_CANCELED, CANCELED,
     * ABORTED (declined), EXPIRED (never confirmed) */
    struct str status;
    int64_t amount;   /* authorized total */
    int64_t captured; /* ever captured */
    int64_t balance;  /* captured minus refunded */
    struct gateway_cancel *cancels;
    size_t ncancels;
};

struct gateway_error {
    long http_status; /* -1: no answer */
    struct str code;  /* the gateway's code, e.g. AMOUNT_MISMATCH */
    struct str message;
};

struct gateway_event {
    struct str id;
    struct str type;
    struct str payment_key;
    struct str order_id;
};

struct gateway_checkout {
    struct str order_id;
    struct str order_name;
    int64_t amount;
    struct str success_url;
    struct str fail_url;
    struct str customer_email;
};

struct gateway_opts {
    const char *api_url;      /* server API base, e.g. http://127.0.0.1:8090 */
    const char *checkout_url; /* hosted page the shopper's browser goes to */
    const char *secret_key;
    const char *client_key;
    const char *webhook_secret;
    int64_t timeout_ms;
    int64_t connect_timeout_ms;
};

struct gateway;

struct gateway_ops {
    const char *name;
    int (*confirm)(struct gateway *g, struct arena *a, struct str payment_key, struct str order_id,
                   int64_t amount, struct str idem_key, struct gateway_payment *out,
                   struct gateway_error *err);
    int (*cancel)(struct gateway *g, struct arena *a, struct str payment_key, struct str reason,
                  int64_t amount, struct str idem_key, struct gateway_payment *out,
                  struct gateway_error *err);
    int (*get)(struct gateway *g, struct arena *a, struct str payment_key,
               struct gateway_payment *out, struct gateway_error *err);
    int (*by_order)(struct gateway *g, struct arena *a, struct str order_id,
                    struct gateway_payment **out, size_t *n, struct gateway_error *err);
    int (*captured)(struct gateway *g, struct arena *a, int64_t after, int64_t within_s,
                    int64_t limit, struct gateway_payment **out, size_t *n,
                    struct gateway_error *err);
    struct str (*checkout_url)(struct gateway *g, struct arena *a,
                               const struct gateway_checkout *c);
    int (*verify_event)(struct gateway *g, struct arena *a, struct str signature_header,
                        struct str body, int64_t now_s, int64_t tolerance_s,
                        struct gateway_event *out);
    void (*destroy)(struct gateway *g);
};

struct gateway {
    const struct gateway_ops *ops;
    struct gateway_opts opts; /* strings owned by the adapter */
    void *impl;
};

/* gateway_psp_new: the stampede-psp adapter (libcurl); the options' strings are copied. */
struct gateway *gateway_psp_new(const struct gateway_opts *o);
/* gateway_configured: a secret key is set (else every call is ERR_UNAVAILABLE). */
bool gateway_configured(const struct gateway *g);

/* gateway_confirm: captures the authorized payment payment_key for order_id and amount. */
int gateway_confirm(struct gateway *g, struct arena *a, struct str payment_key, struct str order_id,
                    int64_t amount, struct str idem_key, struct gateway_payment *out,
                    struct gateway_error *err);
/* gateway_cancel: voids an authorization, or refunds amount (0: the whole balance). */
int gateway_cancel(struct gateway *g, struct arena *a, struct str payment_key, struct str reason,
                   int64_t amount, struct str idem_key, struct gateway_payment *out,
                   struct gateway_error *err);
/* gateway_get: one payment (ERR_GATEWAY with code NOT_FOUND_PAYMENT when unknown). */
int gateway_get(struct gateway *g, struct arena *a, struct str payment_key,
                struct gateway_payment *out, struct gateway_error *err);
/* gateway_by_order: every payment made for an order. */
int gateway_by_order(struct gateway *g, struct arena *a, struct str order_id,
                     struct gateway_payment **out, size_t *n, struct gateway_error *err);
/* gateway_captured: payments ever captured with seq > after, in seq order (at most limit);
 * with within_s > 0 only those captured or refunded in the last within_s seconds. */
int gateway_captured(struct gateway *g, struct arena *a, int64_t after, int64_t within_s,
                     int64_t limit, struct gateway_payment **out, size_t *n,
                     struct gateway_error *err);
/* gateway_checkout_url: where to send the shopper's browser to pay. */
struct str gateway_checkout_url(struct gateway *g, struct arena *a,
                                const struct gateway_checkout *c);
/*
 * gateway_verify_event: checks a webhook's signature over the raw body (constant time) and
 * that its timestamp is within tolerance_s of now_s, then parses it. ERR_UNAUTH for a
 * missing, malformed, wrong or stale signature; ERR_INVAL for a body that is not an event.
 */
int gateway_verify_event(struct gateway *g, struct arena *a, struct str signature_header,
                         struct str body, int64_t now_s, int64_t tolerance_s,
                         struct gateway_event *out);
void gateway_free(struct gateway *g);

/* gateway_captured_now: the payment holds captured money (balance > 0). */
bool gateway_captured_now(const struct gateway_payment *p);
/* gateway_refunded_for: the payment has a refund or void whose reason is `reason`. */
bool gateway_refunded_for(const struct gateway_payment *p, const char *reason);

#endif
