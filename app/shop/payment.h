/*
 * payment — the payment side of the order saga: order (pending_payment, stock held) ->
 * gateway's hosted page -> return URL -> confirm -> paid (held stock sold); compensation on
 * decline, cancel and expiry (hold released); refunds of money that should not have been
 * taken; and the settlement of a gateway payment against its order that webhooks and the
 * reconciliation batch share.
 *
 * The rules (docs/ARCHITECTURE.md, Payments):
 *   - Every decision is made under the order's row lock (SELECT ... FOR UPDATE), from the
 *     order's state and the gateway's state of the payment — never from what a browser said.
 *   - Before the gateway is asked to capture, the order is set payment_unknown with the
 *     payment's key (the recovery point); the confirm carries an idempotency key derived from
 *     order and payment ("stampede-confirm-<order>-<paymentKey>"), so repeating it — a second
 *     tab, a retry, the batch — replays rather than captures again.
 *   - An order is bound to at most one payment (orders.payment_key, unique) and is paid by at
 *     most one capture; any other capture for it is refunded.
 *   - A gateway answer that did not come back leaves the order payment_unknown; only a
 *     lookup or the same key resolves it (reconcile-payments), nothing is guessed.
 *   - Refunds are always of the whole remaining balance, with an idempotency key derived
 *     from the payment and the reason, so no path can refund twice.
 *
 * Gateway order ids are "order-<id>" (payment_order_ref). Functions that end in _locked run
 * inside the caller's transaction; the others open their own (retrying deadlocks) and call
 * the gateway outside any transaction.
 */
#ifndef STAMPEDE_SHOP_PAYMENT_H
#define STAMPEDE_SHOP_PAYMENT_H

#include "shop/gateway.h"
#include "shop/outcome.h"
#include "shop/shop.h"

#include <stdbool.h>

/* Refund reasons: the classification travels with the refund to the gateway, so a run
 * that dies after refunding can still tell what the refund was for. */
#define PAYMENT_REASON_NO_ORDER   "stampede:no_order"
#define PAYMENT_REASON_CLOSED     "stampede:order_closed"
#define PAYMENT_REASON_DUPLICATE  "stampede:duplicate_capture"
#define PAYMENT_REASON_MISMATCH   "stampede:amount_mismatch"
#define PAYMENT_REASON_NOT_NEEDED "stampede:not_needed"
#define PAYMENT_REASON_ADMIN      "stampede:admin_refund"

struct payment_result {
    int outcome; /* SHOP_OK (paid, now or before) or a payment outcome (outcome.h) */
    int64_t order_id;
    struct str status;  /* the order's status afterwards */
    struct str code;    /* the gateway's code when DECLINED */
    struct str message; /* and its message */
};

/* payment_order_ref: "order-<id>"; payment_order_id parses one (false if not ours). */
struct str payment_order_ref(struct arena *a, int64_t order_id);
bool payment_order_id(struct str ref, int64_t *order_id);

struct payment_page {
    struct str public_url; /* the shop's base URL the gateway sends the browser back to */
    struct str customer_email;
    struct str secret;    /* signs the return URLs (security.secret) */
    int64_t return_ttl_s; /* how long a return URL stays valid */
};

/*
 * payment_checkout_url: where the shopper pays for order_id (of account_id): the gateway's
 * hosted page with the order's total and the shop's return URLs, each carrying a token that
 * proves it was made for this order (payment_return_token). SHOP_ORDER_NOT_FOUND for another
 * account's order; SHOP_NOT_PAYABLE when the order no longer waits for payment (*status says
 * what it is); SHOP_PAYMENTS_OFF when no gateway is configured.
 */
int payment_checkout_url(struct shop_ctx *c, int64_t account_id, int64_t order_id,
                         const struct payment_page *pg, struct str *url, struct str *status);

/* payment_return_token: "<expiry>.<mac>" for order_id's return URLs, valid until expires_s. */
struct str payment_return_token(struct arena *a, struct str secret, int64_t order_id,
                                int64_t expires_s);
/* payment_return_ok: token was made by payment_return_token for order_id and has not expired
 * (constant-time compare; no database or gateway involved). */
bool payment_return_ok(struct arena *a, struct str secret, int64_t order_id, struct str token,
                       int64_t now_s);

/*
 * payment_confirm: the return URL. Checks order (of account_id, or any when 0: the caller
 * proved the return URL genuine) and amount against what is stored, sets the recovery point,
 * confirms with the gateway and settles. SHOP_OK with out->outcome saying what happened
 * (SHOP_OK: paid; a payment outcome otherwise); SHOP_ORDER_NOT_FOUND for an unknown or
 * another account's order; database errors.
 */
int payment_confirm(struct shop_ctx *c, int64_t account_id, int64_t order_id,
                    struct str payment_key, int64_t amount, const char *source,
                    struct payment_result *out);

/*
 * payment_abandon: the gateway's fail URL (declined, or cancelled on the hosted page) or the
 * shopper's own cancel: an order still pending_payment is cancelled and its hold released.
 * Orders in any other state are left alone. *status is the order's status afterwards.
 * SHOP_OK; SHOP_ORDER_NOT_FOUND for an unknown or (account_id != 0) another account's order.
 */
int payment_abandon(struct shop_ctx *c, int64_t account_id, int64_t order_id, struct str why,
                    const char *source, struct str *status);
/* payment_cancel: the shopper's cancel: payment_abandon, and SHOP_NOT_CANCELLABLE when the
 * order was no longer pending (nothing changed). */
int payment_cancel(struct shop_ctx *c, int64_t account_id, int64_t order_id, struct str why,
                   const char *source);

struct payment_webhook_result {
    bool duplicate;     /* the event id was seen before: nothing done */
    const char *action; /* what settling did */
    struct str event_id;
};

/*
 * payment_webhook: a gateway event. Signature and timestamp (tolerance_s) first
 * (SHOP_BAD_SIGNATURE; SHOP_BAD_EVENT for a body that is not an event, or a payment the gateway
 * does not know); then the payment's current state is looked up (ERR_UNAVAILABLE when the
 * gateway cannot tell: the sender retries), and in one transaction
 * the event id is recorded (a duplicate stops there) and the payment settled. Events may come
 * in any order: only the looked-up state counts.
 */
int payment_webhook(struct shop_ctx *c, struct str signature, struct str body, int64_t tolerance_s,
                    struct payment_webhook_result *out);

struct settle_result {
    const char *action; /* none, mark_paid, revert, cancel_order, refund_order, flag, refund */
    const char *refund; /* a PAYMENT_REASON_* when the payment must be refunded, else NULL */
    int64_t order_id;   /* 0: no order */
    bool changed;       /* the order changed */
    bool flagged;       /* a new anomaly was raised */
};

/*
 * payment_settle_locked: brings the order of gateway payment p in line with it, in the
 * caller's transaction (see docs/ARCHITECTURE.md for the table of cases). Refunds are not
 * made here: out->refund names the reason and the caller refunds (payment_refund) — after
 * its commit, or inside a batch chunk. job_id goes with anomalies (0: none).
 */
int payment_settle_locked(struct shop_ctx *c, const struct gateway_payment *p, const char *source,
                          int64_t job_id, struct settle_result *out);

/*
 * payment_refund: refunds (or voids) the whole remaining balance of payment_key at the
 * gateway with the key "stampede-refund-<paymentKey>-<reason>" and logs it. A payment with
 * nothing left to refund is a success. ERR_UNKNOWN / ERR_UNAVAILABLE / ERR_GATEWAY from the
 * gateway otherwise (the batch tries again).
 */
int payment_refund(struct shop_ctx *c, struct str payment_key, int64_t order_id, const char *reason,
                   const char *source);

/*
 * payment_resolve_unknown: one payment_unknown order (reconciliation): repeats the confirm
 * with the same idempotency key — it replays the first answer or does what never happened —
 * and settles by the answer, in the caller's transaction. *done is false when the gateway
 * still gives no answer (the order stays payment_unknown for the next run); *refund as in
 * settle_result.
 */
int payment_resolve_unknown_locked(struct shop_ctx *c, int64_t order_id, int64_t job_id,
                                   struct settle_result *out, bool *done);

/*
 * payment_check_paid_locked: one paid order (reconciliation): its payment is looked up; a
 * paid order whose capture is gone or never happened is flagged for a person.
 */
int payment_check_paid_locked(struct shop_ctx *c, int64_t order_id, int64_t job_id,
                              struct settle_result *out);

/*
 * payment_mark_refunded: an admin's resolution of a paid_without_capture anomaly after the
 * gateway confirms the payment holds no money: the order becomes refunded and its pairs
 * return to stock. SHOP_ANOMALY_NOT_FOUND (no such open anomaly), SHOP_INVALID_ACTION (not a
 * paid_without_capture anomaly), SHOP_STILL_CAPTURED (the gateway still holds a capture for
 * it), SHOP_GATEWAY_DOWN (the gateway could not be asked).
 */
int payment_mark_refunded(struct shop_ctx *c, int64_t anomaly_id, struct str admin);
/*
 * payment_admin_refund: an admin refunds a paid order. In one transaction the order becomes
 * refunded, its pairs return to stock and the admin audit log gets a row; then the whole
 * payment is refunded at the gateway (reason stampede:admin_refund). If the gateway cannot be
 * reached, the order stays refunded and reconcile-payments refunds the capture of the closed
 * order on its next run (as for any capture of a closed order): *gateway_pending says so.
 * SHOP_ORDER_NOT_FOUND; SHOP_NOT_REFUNDABLE when the order is not paid (nothing changed).
 */
int payment_admin_refund(struct shop_ctx *c, int64_t order_id, struct str admin, struct str why,
                         bool *gateway_pending);
/* payment_dismiss: closes an anomaly without changing anything else (SHOP_ANOMALY_NOT_FOUND). */
int payment_dismiss(struct shop_ctx *c, int64_t anomaly_id, struct str admin);

#endif
