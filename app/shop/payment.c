/* payment — the payment saga: confirm, compensation, settlement, refunds; see payment.h. */
#include "payment.h"

#include "core/clock.h"
#include "core/err.h"
#include "db/retry.h"
#include "core/log.h"
#include "core/sec.h"
#include "shop/audit.h"
#include "shop/inventory.h"

#include <stdio.h>
#include <string.h>

struct order_row {
    int64_t id;
    int64_t account_id;
    int64_t total;
    struct str status;
    struct str payment_key; /* empty when none */
    bool overdue;           /* hold_expires_at has passed */
};

#define ORDER_ROW                                                                               \
    "SELECT account_id, status, total_krw, COALESCE(payment_key, ''), hold_expires_at < NOW(6)" \
    "  FROM orders WHERE id = ?"

static const struct db_stmt q_lock_order = {"pay_lock_order", ORDER_ROW " FOR UPDATE", 0};
static const struct db_stmt q_read_order = {"pay_read_order", ORDER_ROW, 0};

static const struct db_stmt q_set_unknown = {
    "pay_set_unknown", "UPDATE orders SET status = 'payment_unknown', payment_key = ? WHERE id = ?",
    0};

static const struct db_stmt q_mark_paid = {
    "pay_mark_paid",
    "UPDATE orders SET status = 'paid', payment_key = ?, paid_at = NOW(6), closed_at = NOW(6)"
    " WHERE id = ?",
    0};

static const struct db_stmt q_to_pending = {
    "pay_to_pending",
    "UPDATE orders SET status = 'pending_payment', payment_key = NULL WHERE id = ?", 0};

static const struct db_stmt q_close = {
    "pay_close", "UPDATE orders SET status = ?, closed_at = NOW(6) WHERE id = ?", 0};

static const struct db_stmt q_close_unbound = {
    "pay_close_unbound",
    "UPDATE orders SET status = ?, payment_key = NULL, closed_at = NOW(6) WHERE id = ?", 0};

static const struct db_stmt q_log = {
    "pay_log",
    "INSERT INTO payment_log (order_id, payment_key, event, amount, source, detail)"
    " VALUES (?, ?, ?, ?, ?, ?)",
    0};

static const struct db_stmt q_anomaly = {
    "pay_anomaly",
    "INSERT IGNORE INTO payment_anomalies (kind, order_id, payment_key, amount, detail,"
    " job_execution_id) VALUES (?, ?, ?, ?, ?, ?)",
    0};

static const struct db_stmt q_event = {
    "pay_webhook_event",
    "INSERT INTO webhook_events (event_id, event_type, payment_key) VALUES (?, ?, ?)", 0};

static const struct db_stmt q_event_outcome = {
    "pay_webhook_outcome", "UPDATE webhook_events SET outcome = ? WHERE event_id = ?", 0};

struct str payment_order_ref(struct arena *a, int64_t order_id)
{
    return str_from_cstr(arena_sprintf(a, "order-%lld", (long long)order_id));
}

bool payment_order_id(struct str ref, int64_t *order_id)
{
    if (!str_starts_with(ref, STR("order-")))
        return false;
    return str_to_i64((struct str){ref.p + 6, ref.len - 6}, order_id) && *order_id > 0;
}

static struct str confirm_key(struct arena *a, int64_t order_id, struct str payment_key)
{
    return str_from_cstr(
        arena_sprintf(a, "stampede-confirm-%lld-%.*s", (long long)order_id, STR_FMT(payment_key)));
}

static int read_order(struct shop_ctx *c, const struct db_stmt *st, int64_t id, struct order_row *o)
{
    struct db_result r;
    struct db_val v[] = {DB_I(id)};
    int rc = db_exec(c->db, st, v, 1, c->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return ERR_NOTFOUND;
    o->id = id;
    o->account_id = db_int(&r, 0, 0);
    o->status = db_text(&r, 0, 1);
    o->total = db_int(&r, 0, 2);
    o->payment_key = db_text(&r, 0, 3);
    o->overdue = db_int(&r, 0, 4) != 0;
    return 0;
}

static bool holds_stock(const struct order_row *o)
{
    return str_eq_cstr(o->status, "pending_payment") || str_eq_cstr(o->status, "payment_unknown");
}

static int plog(struct shop_ctx *c, int64_t order_id, struct str key, const char *event,
                int64_t amount, const char *source, const char *detail)
{
    struct db_val v[] = {order_id ? DB_I(order_id) : DB_NULLV,
                         key.len ? DB_S(key) : DB_NULLV,
                         DB_CS(event),
                         DB_I(amount),
                         DB_CS(source),
                         DB_CS(detail ? detail : "")};
    return db_exec(c->db, &q_log, v, 6, c->arena, NULL);
}

/* in_tx: fn(c, arg) in one transaction, retried after a deadlock or lock wait timeout by the
 * default policy (db/retry.h); fn must set its outputs from scratch each time */
typedef int (*tx_body)(struct shop_ctx *c, void *arg);

struct tx_call {
    struct shop_ctx *c;
    tx_body fn;
    void *arg;
};

static int tx_call(void *arg)
{
    struct tx_call *t = arg;
    return t->fn(t->c, t->arg);
}

static int in_tx(struct shop_ctx *c, tx_body fn, void *arg)
{
    struct tx_call t = {c, fn, arg};
    return db_tx(c->db, &db_retry_default, tx_call, &t);
}

/* ---------------------------------------------------------------- the order's side */

static int act_mark_paid(struct shop_ctx *c, const struct order_row *o, struct str key,
                         const char *source)
{
    struct db_val v[] = {DB_S(key), DB_I(o->id)};
    int rc = inventory_sell(c, o->id);
    if (rc == 0)
        rc = db_exec(c->db, &q_mark_paid, v, 2, c->arena, NULL);
    if (rc == 0)
        rc = plog(c, o->id, key, "paid", o->total, source, "captured; held pairs sold");
    return rc;
}

/* act_revert: the payment being confirmed failed: the order waits for another payment, or
 * expires when its hold ran out meanwhile */
static int act_revert(struct shop_ctx *c, const struct order_row *o, const char *source,
                      const char *why)
{
    struct db_val v[] = {DB_I(o->id)};
    int rc;
    if (o->overdue) {
        struct db_val e[] = {DB_CS("expired"), DB_I(o->id)};
        if ((rc = inventory_release(c, o->id, "expire")) ||
            (rc = db_exec(c->db, &q_close_unbound, e, 2, c->arena, NULL)))
            return rc;
        return plog(c, o->id, o->payment_key, "payment_failed", 0, source,
                    arena_sprintf(c->arena, "%s; hold over, order expired", why));
    }
    if ((rc = db_exec(c->db, &q_to_pending, v, 1, c->arena, NULL)))
        return rc;
    return plog(c, o->id, o->payment_key, "payment_failed", 0, source,
                arena_sprintf(c->arena, "%s; order waits for another payment", why));
}

static int act_close(struct shop_ctx *c, const struct order_row *o, const char *status,
                     const char *source, const char *why)
{
    int rc = str_eq_cstr(o->status, "paid") ? inventory_unsell(c, o->id)
                                            : inventory_release(c, o->id, "release");
    struct db_val v[] = {DB_CS(status), DB_I(o->id)};
    if (rc == 0)
        rc = db_exec(c->db, &q_close, v, 2, c->arena, NULL);
    if (rc == 0)
        rc = plog(c, o->id, o->payment_key, status, 0, source, why);
    return rc;
}

static int flag(struct shop_ctx *c, const char *kind, int64_t order_id, struct str key,
                int64_t amount, const char *detail, int64_t job_id, bool *raised)
{
    struct db_result r;
    struct db_val v[] = {DB_CS(kind),  DB_I(order_id), DB_S(key),
                         DB_I(amount), DB_CS(detail),  job_id ? DB_I(job_id) : DB_NULLV};
    int rc = db_exec(c->db, &q_anomaly, v, 6, c->arena, &r);
    *raised = rc == 0 && r.affected == 1;
    if (rc == 0 && *raised) {
        log_warn("payment anomaly %s: order %lld payment %.*s: %s", kind, (long long)order_id,
                 STR_FMT(key), detail);
        rc = plog(c, order_id, key, "anomaly", amount, "reconcile", kind);
    }
    return rc;
}

/* ---------------------------------------------------------------- settlement */

/* settle_uncaptured: the payment holds no money (declined, voided, refunded or never
 * confirmed): finish a half-done amount-mismatch cancel, revert a confirm that failed, or flag
 * a paid order whose money is gone */
static int settle_uncaptured(struct shop_ctx *c, const struct gateway_payment *p,
                             const struct order_row *o, bool mine, const char *source,
                             int64_t job_id, struct settle_result *out)
{
    bool mismatch = gateway_refunded_for(p, PAYMENT_REASON_MISMATCH);
    int rc = 0;
    if (mismatch && holds_stock(o) && (!o->payment_key.len || mine)) {
        /* refunded for a wrong amount by an earlier run that died before this */
        out->action = "cancel_order";
        rc = act_close(c, o, "cancelled", source, "payment of the wrong amount refunded");
    } else if (mismatch && str_eq_cstr(o->status, "paid") && mine) {
        out->action = "refund_order";
        rc = act_close(c, o, "refunded", source, "payment of the wrong amount refunded");
    } else if (str_eq_cstr(o->status, "payment_unknown") && mine &&
               (str_eq_cstr(p->status, "ABORTED") || str_eq_cstr(p->status, "EXPIRED") ||
                str_eq_cstr(p->status, "CANCELED"))) {
        out->action = "revert";
        rc = act_revert(c, o, source, arena_sprintf(c->arena, "payment %.*s", STR_FMT(p->status)));
    } else if (str_eq_cstr(o->status, "paid") && mine && !str_eq_cstr(p->status, "READY")) {
        out->action = "flag";
        rc = flag(c, "paid_without_capture", o->id, p->payment_key, o->total,
                  arena_sprintf(c->arena,
                                "the order is paid but its payment is %.*s with %lld of %lld"
                                " left at the gateway",
                                STR_FMT(p->status), (long long)p->balance, (long long)p->captured),
                  job_id, &out->flagged);
    }
    out->changed = strcmp(out->action, "none") != 0 && strcmp(out->action, "flag") != 0;
    return rc;
}

/* settle_captured: the payment holds money: mark the order paid, or name the refund it needs
 * (out->refund), cancelling or refunding the order when the amount is wrong */
static int settle_captured(struct shop_ctx *c, const struct gateway_payment *p,
                           const struct order_row *o, bool mine, const char *source, int64_t job_id,
                           struct settle_result *out)
{
    int rc = 0;
    if (holds_stock(o)) {
        if (o->payment_key.len && !mine) {
            out->action = "refund";
            out->refund = PAYMENT_REASON_DUPLICATE;
        } else if (p->amount != o->total || p->balance != o->total) {
            out->action = "cancel_order";
            out->refund = PAYMENT_REASON_MISMATCH;
            rc = act_close(c, o, "cancelled", source,
                           arena_sprintf(c->arena, "captured %lld for a total of %lld: refunded",
                                         (long long)p->balance, (long long)o->total));
        } else {
            out->action = "mark_paid";
            rc = act_mark_paid(c, o, p->payment_key, source);
        }
    } else if (str_eq_cstr(o->status, "paid")) {
        if (!mine) {
            out->action = "refund";
            out->refund = PAYMENT_REASON_DUPLICATE;
        } else if (p->amount != o->total) {
            out->action = "refund_order";
            out->refund = PAYMENT_REASON_MISMATCH;
            rc = act_close(c, o, "refunded", source,
                           arena_sprintf(c->arena, "captured %lld for a total of %lld: refunded",
                                         (long long)p->amount, (long long)o->total));
        } else if (p->balance < o->total) {
            out->action = "flag";
            rc = flag(c, "partial_refund", o->id, p->payment_key, o->total - p->balance,
                      arena_sprintf(c->arena, "%lld of %lld refunded at the gateway, order paid",
                                    (long long)(o->total - p->balance), (long long)o->total),
                      job_id, &out->flagged);
        }
    } else {
        out->action = "refund";
        out->refund = PAYMENT_REASON_CLOSED;
    }
    out->changed = strcmp(out->action, "none") != 0 && strcmp(out->action, "flag") != 0 &&
                   strcmp(out->action, "refund") != 0;
    return rc;
}

int payment_settle_locked(struct shop_ctx *c, const struct gateway_payment *p, const char *source,
                          int64_t job_id, struct settle_result *out)
{
    memset(out, 0, sizeof *out);
    out->action = "none";
    struct order_row o;
    int64_t id = 0;
    bool has_order = payment_order_id(p->order_id, &id);
    if (has_order) {
        int rc = read_order(c, &q_lock_order, id, &o);
        if (rc == ERR_NOTFOUND)
            has_order = false;
        else if (rc)
            return rc;
    }
    out->order_id = has_order ? id : 0;
    bool mine = has_order && o.payment_key.len && str_eq(o.payment_key, p->payment_key);
    if (!gateway_captured_now(p))
        return has_order ? settle_uncaptured(c, p, &o, mine, source, job_id, out) : 0;
    if (!has_order) {
        out->action = "refund";
        out->refund = PAYMENT_REASON_NO_ORDER;
        return 0;
    }
    return settle_captured(c, p, &o, mine, source, job_id, out);
}

int payment_refund(struct shop_ctx *c, struct str payment_key, int64_t order_id, const char *reason,
                   const char *source)
{
    struct str key = str_from_cstr(
        arena_sprintf(c->arena, "stampede-refund-%.*s-%s", STR_FMT(payment_key), reason + 9));
    struct gateway_payment after;
    struct gateway_error err;
    int rc =
        gateway_cancel(c->gw, c->arena, payment_key, str_from_cstr(reason), 0, key, &after, &err);
    if (rc == ERR_GATEWAY && (str_eq_cstr(err.code, "ALREADY_CANCELED_PAYMENT") ||
                              str_eq_cstr(err.code, "NOT_CANCELABLE_PAYMENT"))) {
        log_info("refund of %.*s (%s): nothing left to refund", STR_FMT(payment_key), reason);
        return 0;
    }
    if (rc) {
        log_warn("refund of %.*s (%s) failed: %s %.*s", STR_FMT(payment_key), reason, err_str(rc),
                 STR_FMT(err.code));
        return rc;
    }
    int64_t amount = 0;
    for (size_t i = 0; i < after.ncancels; i++)
        if (str_eq_cstr(after.cancels[i].reason, reason))
            amount += after.cancels[i].amount;
    log_info("refunded %lld of payment %.*s (order %lld): %s", (long long)amount,
             STR_FMT(payment_key), (long long)order_id, reason);
    return plog(c, order_id, payment_key, "refund", amount, source, reason);
}

/* void_quietly: releases an authorization the shop will not confirm (best effort: an
 * unconfirmed authorization also expires at the gateway by itself) */
static void void_quietly(struct shop_ctx *c, struct str payment_key, int64_t order_id,
                         const char *source)
{
    if (payment_refund(c, payment_key, order_id, PAYMENT_REASON_NOT_NEEDED, source))
        log_info("could not void %.*s now; it expires at the gateway", STR_FMT(payment_key));
}

/* ---------------------------------------------------------------- confirm (return URL) */

enum next { NEXT_DONE, NEXT_CONFIRM, NEXT_VOID };

struct pre_confirm {
    int64_t account_id, order_id, amount;
    struct str key;
    const char *source;
    struct payment_result *out;
    enum next next;
    int64_t total;
};

static int pre_confirm(struct shop_ctx *c, void *arg)
{
    struct pre_confirm *q = arg;
    struct payment_result *out = q->out;
    q->next = NEXT_DONE;
    struct order_row o;
    int rc = read_order(c, &q_lock_order, q->order_id, &o);
    if (rc)
        return rc;
    if (q->account_id && o.account_id != q->account_id)
        return ERR_NOTFOUND;
    q->total = o.total;
    out->status = arena_str_dup(c->arena, o.status);
    bool mine = o.payment_key.len && str_eq(o.payment_key, q->key);
    if (q->amount != o.total) {
        out->outcome = SHOP_AMOUNT_MISMATCH;
        return plog(c, o.id, q->key, "amount_mismatch", q->amount, q->source,
                    "the return URL's amount differs from the order total; not confirmed");
    }
    if (str_eq_cstr(o.status, "paid")) {
        out->outcome = mine ? SHOP_OK : SHOP_ALREADY_PAID;
        q->next = mine ? NEXT_DONE : NEXT_VOID;
        return 0;
    }
    if (str_eq_cstr(o.status, "payment_unknown")) {
        /* a second request for the same payment confirms with the same key: the gateway
         * replays the first answer */
        out->outcome = mine ? SHOP_PAYMENT_PENDING : SHOP_PAYMENT_IN_PROGRESS;
        q->next = mine ? NEXT_CONFIRM : NEXT_DONE;
        return 0;
    }
    if (str_eq_cstr(o.status, "pending_payment")) {
        if (o.overdue) {
            struct db_val e[] = {DB_CS("expired"), DB_I(o.id)};
            if ((rc = inventory_release(c, o.id, "expire")) ||
                (rc = db_exec(c->db, &q_close_unbound, e, 2, c->arena, NULL)) ||
                (rc = plog(c, o.id, q->key, "expired", 0, q->source,
                           "payment returned after the hold ran out; not confirmed")))
                return rc;
            out->outcome = SHOP_ORDER_EXPIRED;
            out->status = STR("expired");
            q->next = NEXT_VOID;
            return 0;
        }
        struct db_val v[] = {DB_S(q->key), DB_I(o.id)};
        rc = db_exec(c->db, &q_set_unknown, v, 2, c->arena, NULL);
        if (rc == ERR_EXISTS) { /* this payment is bound to another order */
            out->outcome = SHOP_ORDER_CLOSED;
            return 0;
        }
        if (rc || (rc = plog(c, o.id, q->key, "confirm_started", o.total, q->source,
                             "recovery point written; confirming with the gateway")))
            return rc;
        out->outcome = SHOP_PAYMENT_PENDING;
        out->status = STR("payment_unknown");
        q->next = NEXT_CONFIRM;
        return 0;
    }
    out->outcome = SHOP_ORDER_CLOSED;
    q->next = NEXT_VOID;
    return 0;
}

struct post_confirm {
    int64_t order_id;
    struct str key;
    int grc;
    const struct gateway_payment *p;
    const struct gateway_error *err;
    const char *source;
    int64_t job_id;
    struct settle_result settle;
    struct str status; /* the order's status afterwards */
};

/* post_confirm: applies the gateway's answer (grc, p, err) to the order */
static int post_confirm(struct shop_ctx *c, void *arg)
{
    struct post_confirm *q = arg;
    memset(&q->settle, 0, sizeof q->settle);
    q->settle.action = "none";
    int rc;
    if (q->grc == 0) {
        if ((rc = payment_settle_locked(c, q->p, q->source, q->job_id, &q->settle)))
            return rc;
    } else {
        struct order_row o;
        if ((rc = read_order(c, &q_lock_order, q->order_id, &o)))
            return rc;
        if (str_eq_cstr(o.status, "payment_unknown") && str_eq(o.payment_key, q->key)) {
            q->settle.action = "revert";
            q->settle.changed = true;
            if ((rc = act_revert(c, &o, q->source,
                                 arena_sprintf(c->arena, "gateway refused the confirm: %.*s",
                                               STR_FMT(q->err->code)))))
                return rc;
        }
    }
    struct order_row after;
    if ((rc = read_order(c, &q_read_order, q->order_id, &after)))
        return rc;
    q->status = arena_str_dup(c->arena, after.status);
    return 0;
}

/* confirm_call: the gateway's confirm, and for "already processed" its current state */
static int confirm_call(struct shop_ctx *c, int64_t order_id, struct str key, int64_t total,
                        struct gateway_payment *p, struct gateway_error *err)
{
    int grc = gateway_confirm(c->gw, c->arena, key, payment_order_ref(c->arena, order_id), total,
                              confirm_key(c->arena, order_id, key), p, err);
    if (grc == ERR_GATEWAY && str_eq_cstr(err->code, "ALREADY_PROCESSED_PAYMENT"))
        grc = gateway_get(c->gw, c->arena, key, p, err);
    return grc;
}

int payment_confirm(struct shop_ctx *c, int64_t account_id, int64_t order_id,
                    struct str payment_key, int64_t amount, const char *source,
                    struct payment_result *out)
{
    memset(out, 0, sizeof *out);
    out->order_id = order_id;
    struct pre_confirm pre = {account_id, order_id, amount, payment_key, source, out, NEXT_DONE, 0};
    int rc = in_tx(c, pre_confirm, &pre);
    if (rc == ERR_NOTFOUND)
        return SHOP_ORDER_NOT_FOUND;
    if (rc)
        return rc;
    if (pre.next == NEXT_VOID)
        void_quietly(c, payment_key, order_id, source);
    if (pre.next != NEXT_CONFIRM)
        return 0;

    struct gateway_payment p;
    struct gateway_error err;
    memset(&err, 0, sizeof err);
    int grc = confirm_call(c, order_id, payment_key, pre.total, &p, &err);
    if (grc != 0 && grc != ERR_GATEWAY) {
        /* no answer: the order stays payment_unknown; a lookup will tell (reconcile) */
        out->outcome = SHOP_PAYMENT_PENDING;
        out->status = STR("payment_unknown");
        log_warn("confirm of order %lld payment %.*s: %s; left payment_unknown",
                 (long long)order_id, STR_FMT(payment_key), err_str(grc));
        return plog(c, order_id, payment_key, "confirm_unknown", pre.total, source, err_str(grc));
    }
    struct post_confirm post = {order_id, payment_key, grc, &p, &err, source, 0, {0}, STR_NULL};
    if ((rc = in_tx(c, post_confirm, &post)))
        return rc;
    if (post.settle.refund)
        payment_refund(c, p.payment_key, order_id, post.settle.refund, source);
    out->status = post.status;
    if (grc == ERR_GATEWAY) {
        out->outcome =
            str_eq_cstr(post.status, "expired") ? SHOP_ORDER_EXPIRED : SHOP_PAYMENT_DECLINED;
        out->code = err.code;
        out->message = err.message;
    } else if (str_eq_cstr(post.status, "paid")) {
        out->outcome = SHOP_OK;
    } else {
        out->outcome = SHOP_ORDER_CLOSED;
    }
    return 0;
}

/* ---------------------------------------------------------------- compensation */

struct abandon {
    int64_t account_id, order_id;
    struct str why;
    const char *source;
    struct str *status;
};

static int abandon_tx(struct shop_ctx *c, void *arg)
{
    struct abandon *q = arg;
    struct order_row o;
    int rc = read_order(c, &q_lock_order, q->order_id, &o);
    if (rc)
        return rc;
    if (q->account_id && o.account_id != q->account_id)
        return ERR_NOTFOUND;
    *q->status = arena_str_dup(c->arena, o.status);
    if (!str_eq_cstr(o.status, "pending_payment"))
        return 0;
    *q->status = STR("cancelled");
    return act_close(c, &o, "cancelled", q->source,
                     arena_sprintf(c->arena, "%.*s; held pairs released", STR_FMT(q->why)));
}

int payment_abandon(struct shop_ctx *c, int64_t account_id, int64_t order_id, struct str why,
                    const char *source, struct str *status)
{
    struct abandon q = {account_id, order_id, why, source, status};
    int rc = in_tx(c, abandon_tx, &q);
    return rc == ERR_NOTFOUND ? SHOP_ORDER_NOT_FOUND : rc;
}

int payment_cancel(struct shop_ctx *c, int64_t account_id, int64_t order_id, struct str why,
                   const char *source)
{
    struct str status;
    int rc = payment_abandon(c, account_id, order_id, why, source, &status);
    if (rc == SHOP_OK && !str_eq_cstr(status, "cancelled"))
        return SHOP_NOT_CANCELLABLE;
    return rc;
}

/* ---------------------------------------------------------------- signed return URLs */

/*
 * The gateway sends the shopper's browser back to /payments/success or /payments/fail with
 * the order's reference. Those are GETs that act (confirm, or cancel and release the hold), and
 * order ids are sequential, so each URL carries a token only this shop can make for this
 * order: "<expiry>.<base64url HMAC-SHA256(secret, "pay-return|<order>|<expiry>")[0..16)>".
 * A link forged for someone else's order, or an old one, has no valid token.
 */
static struct str return_mac(struct arena *a, struct str secret, int64_t order_id, int64_t exp)
{
    char msg[96];
    int n = snprintf(msg, sizeof msg, "pay-return|%lld|%lld", (long long)order_id, (long long)exp);
    uint8_t mac[SEC_SHA256_LEN];
    sec_hmac_sha256(mac, secret, msg, (size_t)n);
    return sec_b64url(a, mac, 16);
}

struct str payment_return_token(struct arena *a, struct str secret, int64_t order_id,
                                int64_t expires_s)
{
    return str_from_cstr(arena_sprintf(a, "%lld.%.*s", (long long)expires_s,
                                       STR_FMT(return_mac(a, secret, order_id, expires_s))));
}

bool payment_return_ok(struct arena *a, struct str secret, int64_t order_id, struct str token,
                       int64_t now_s)
{
    const char *dot = token.len ? memchr(token.p, '.', token.len) : NULL;
    int64_t exp;
    if (!dot || !str_to_i64((struct str){token.p, (size_t)(dot - token.p)}, &exp) || exp < now_s)
        return false;
    struct str mac = {dot + 1, (size_t)(token.p + token.len - dot - 1)};
    return sec_equal(mac, return_mac(a, secret, order_id, exp));
}

/* ---------------------------------------------------------------- the hosted page */

static const struct db_stmt q_pay_info = {
    "pay_info",
    "SELECT o.status, o.total_krw, o.hold_expires_at < NOW(6),"
    "       (SELECT p.name FROM order_lines l JOIN products p ON p.id = l.product_id"
    "         WHERE l.order_id = o.id ORDER BY l.line_no LIMIT 1),"
    "       (SELECT COALESCE(SUM(quantity), 0) FROM order_lines WHERE order_id = o.id)"
    "  FROM orders o WHERE o.id = ? AND o.account_id = ?",
    0};

int payment_checkout_url(struct shop_ctx *c, int64_t account_id, int64_t order_id,
                         const struct payment_page *pg, struct str *url, struct str *status)
{
    struct db_result r;
    struct db_val v[] = {DB_I(order_id), DB_I(account_id)};
    int rc = db_exec(c->db, &q_pay_info, v, 2, c->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return SHOP_ORDER_NOT_FOUND;
    *status = db_text(&r, 0, 0);
    if (!str_eq_cstr(*status, "pending_payment") || db_int(&r, 0, 2))
        return SHOP_NOT_PAYABLE;
    if (!gateway_configured(c->gw))
        return SHOP_PAYMENTS_OFF;
    int64_t pairs = db_int(&r, 0, 4);
    struct str token =
        payment_return_token(c->arena, pg->secret, order_id, clock_real_s() + pg->return_ttl_s);
    struct gateway_checkout co = {
        .order_id = payment_order_ref(c->arena, order_id),
        .order_name = str_from_cstr(arena_sprintf(
            c->arena, "%.*s%s", STR_FMT(db_text(&r, 0, 3)),
            pairs > 1 ? arena_sprintf(c->arena, " and %lld more", (long long)pairs - 1) : "")),
        .amount = db_int(&r, 0, 1),
        .success_url = str_from_cstr(arena_sprintf(c->arena, "%.*s/payments/success?attempt=%.*s",
                                                   STR_FMT(pg->public_url), STR_FMT(token))),
        .fail_url = str_from_cstr(arena_sprintf(c->arena, "%.*s/payments/fail?attempt=%.*s",
                                                STR_FMT(pg->public_url), STR_FMT(token))),
        .customer_email = pg->customer_email,
    };
    if (co.order_name.len > 200)
        co.order_name.len = 200; /* the name is a label; the amount is what counts */
    *url = gateway_checkout_url(c->gw, c->arena, &co);
    return 0;
}

/* ---------------------------------------------------------------- webhooks */

struct webhook_tx {
    const struct gateway_event *ev;
    const struct gateway_payment *p;
    struct payment_webhook_result *out;
    struct settle_result settle;
};

static int webhook_tx(struct shop_ctx *c, void *arg)
{
    struct webhook_tx *q = arg;
    q->out->duplicate = false;
    q->out->action = "none";
    memset(&q->settle, 0, sizeof q->settle);
    struct db_val v[] = {DB_S(q->ev->id), DB_S(q->ev->type), DB_S(q->ev->payment_key)};
    int rc = db_exec(c->db, &q_event, v, 3, c->arena, NULL);
    if (rc == ERR_EXISTS) {
        q->out->duplicate = true;
        return 0;
    }
    if (rc || (rc = payment_settle_locked(c, q->p, "webhook", 0, &q->settle)))
        return rc;
    q->out->action = q->settle.action;
    struct db_val o[] = {DB_CS(q->settle.action), DB_S(q->ev->id)};
    return db_exec(c->db, &q_event_outcome, o, 2, c->arena, NULL);
}

int payment_webhook(struct shop_ctx *c, struct str signature, struct str body, int64_t tolerance_s,
                    struct payment_webhook_result *out)
{
    memset(out, 0, sizeof *out);
    out->action = "none";
    struct gateway_event ev;
    int rc =
        gateway_verify_event(c->gw, c->arena, signature, body, clock_real_s(), tolerance_s, &ev);
    if (rc == ERR_UNAUTH)
        return SHOP_BAD_SIGNATURE;
    if (rc == ERR_INVAL)
        return SHOP_BAD_EVENT;
    if (rc)
        return rc;
    out->event_id = ev.id;
    /* the event says what changed; what counts is the payment's state now */
    struct gateway_payment p;
    struct gateway_error err;
    rc = gateway_get(c->gw, c->arena, ev.payment_key, &p, &err);
    if (rc == ERR_GATEWAY && str_eq_cstr(err.code, "NOT_FOUND_PAYMENT"))
        return SHOP_BAD_EVENT;
    if (rc)
        return ERR_UNAVAILABLE;
    struct webhook_tx q = {&ev, &p, out, {0}};
    if ((rc = in_tx(c, webhook_tx, &q)))
        return rc;
    if (q.settle.refund && !out->duplicate)
        payment_refund(c, p.payment_key, q.settle.order_id, q.settle.refund, "webhook");
    return 0;
}

/* ---------------------------------------------------------------- reconciliation */

int payment_resolve_unknown_locked(struct shop_ctx *c, int64_t order_id, int64_t job_id,
                                   struct settle_result *out, bool *done)
{
    memset(out, 0, sizeof *out);
    out->action = "none";
    out->order_id = order_id;
    *done = true;
    struct order_row o;
    int rc = read_order(c, &q_read_order, order_id, &o);
    if (rc == ERR_NOTFOUND)
        return 0;
    if (rc)
        return rc;
    if (!str_eq_cstr(o.status, "payment_unknown"))
        return 0; /* settled meanwhile */
    if (!o.payment_key.len) {
        /* cannot happen (the recovery point names the payment); nothing was confirmed */
        if ((rc = read_order(c, &q_lock_order, order_id, &o)))
            return rc;
        out->action = "revert";
        out->changed = true;
        return act_revert(c, &o, "reconcile", "no payment named");
    }
    struct str key = arena_str_dup(c->arena, o.payment_key);
    struct gateway_payment p;
    struct gateway_error err;
    memset(&err, 0, sizeof err);
    int grc = confirm_call(c, order_id, key, o.total, &p, &err);
    if (grc != 0 && grc != ERR_GATEWAY) {
        *done = false;
        return 0;
    }
    struct post_confirm post = {order_id, key, grc, &p, &err, "reconcile", job_id, {0}, STR_NULL};
    if ((rc = post_confirm(c, &post)))
        return rc;
    *out = post.settle;
    out->order_id = order_id;
    return 0;
}

int payment_check_paid_locked(struct shop_ctx *c, int64_t order_id, int64_t job_id,
                              struct settle_result *out)
{
    memset(out, 0, sizeof *out);
    out->action = "none";
    out->order_id = order_id;
    struct order_row o;
    int rc = read_order(c, &q_read_order, order_id, &o);
    if (rc == ERR_NOTFOUND)
        return 0;
    if (rc || !str_eq_cstr(o.status, "paid"))
        return rc;
    struct gateway_payment p;
    struct gateway_error err;
    int grc =
        o.payment_key.len ? gateway_get(c->gw, c->arena, o.payment_key, &p, &err) : ERR_GATEWAY;
    if (grc == ERR_GATEWAY && (!o.payment_key.len || str_eq_cstr(err.code, "NOT_FOUND_PAYMENT"))) {
        if ((rc = read_order(c, &q_lock_order, order_id, &o)) || !str_eq_cstr(o.status, "paid"))
            return rc;
        out->action = "flag";
        return flag(c, "paid_without_capture", order_id, o.payment_key, o.total,
                    "the order is paid but the gateway has no such payment", job_id, &out->flagged);
    }
    if (grc)
        return grc;
    return payment_settle_locked(c, &p, "reconcile", job_id, out);
}

/* ---------------------------------------------------------------- anomalies (admin) */

static const struct db_stmt q_anomaly_get = {
    "pay_anomaly_get",
    "SELECT kind, order_id, payment_key FROM payment_anomalies WHERE id = ? AND resolved_at IS "
    "NULL",
    0};

static const struct db_stmt q_anomaly_resolve = {
    "pay_anomaly_resolve",
    "UPDATE payment_anomalies SET resolved_at = NOW(6), resolved_by = ?, resolution = ?"
    " WHERE id = ? AND resolved_at IS NULL",
    0};

struct resolve {
    int64_t id, order_id;
    struct str admin;
};

static int resolve_refunded_tx(struct shop_ctx *c, void *arg)
{
    struct resolve *q = arg;
    struct order_row o;
    int rc = read_order(c, &q_lock_order, q->order_id, &o);
    if (rc)
        return rc;
    if (str_eq_cstr(o.status, "paid") &&
        (rc = act_close(c, &o, "refunded", "admin",
                        arena_sprintf(c->arena, "%.*s: the gateway holds no money for it",
                                      STR_FMT(q->admin)))))
        return rc;
    struct db_result r;
    struct db_val v[] = {DB_S(q->admin), DB_CS("marked_refunded"), DB_I(q->id)};
    if ((rc = db_exec(c->db, &q_anomaly_resolve, v, 3, c->arena, &r)))
        return rc;
    return r.affected == 1 ? 0 : ERR_CONFLICT;
}

int payment_mark_refunded(struct shop_ctx *c, int64_t anomaly_id, struct str admin)
{
    struct db_result r;
    struct db_val v[] = {DB_I(anomaly_id)};
    int rc = db_exec(c->db, &q_anomaly_get, v, 1, c->arena, &r);
    if (rc)
        return rc;
    if (r.nrows == 0)
        return SHOP_ANOMALY_NOT_FOUND;
    if (!str_eq_cstr(db_text(&r, 0, 0), "paid_without_capture"))
        return SHOP_INVALID_ACTION;
    struct str key = db_text(&r, 0, 2);
    if (key.len) {
        struct gateway_payment p;
        struct gateway_error err;
        int grc = gateway_get(c->gw, c->arena, key, &p, &err);
        if (grc == 0 && gateway_captured_now(&p))
            return SHOP_STILL_CAPTURED; /* the money is there after all: not refunded */
        if (grc && !(grc == ERR_GATEWAY && str_eq_cstr(err.code, "NOT_FOUND_PAYMENT")))
            return SHOP_GATEWAY_DOWN;
    }
    struct resolve q = {anomaly_id, db_int(&r, 0, 1), admin};
    int rc2 = in_tx(c, resolve_refunded_tx, &q);
    return rc2 == ERR_CONFLICT ? SHOP_ANOMALY_NOT_FOUND : rc2;
}

struct admin_refund {
    int64_t order_id;
    struct str admin, why, key;
};

static int admin_refund_tx(struct shop_ctx *c, void *arg)
{
    struct admin_refund *q = arg;
    struct order_row o;
    int rc = read_order(c, &q_lock_order, q->order_id, &o);
    if (rc == ERR_NOTFOUND)
        return SHOP_ORDER_NOT_FOUND;
    if (rc)
        return rc;
    if (!str_eq_cstr(o.status, "paid") || !o.payment_key.len)
        return SHOP_NOT_REFUNDABLE;
    q->key = arena_str_dup(c->arena, o.payment_key);
    const char *why =
        arena_sprintf(c->arena, "refunded by %.*s: %.*s", STR_FMT(q->admin), STR_FMT(q->why));
    if ((rc = act_close(c, &o, "refunded", "admin", why)))
        return rc;
    char target[40];
    snprintf(target, sizeof target, "order:%lld", (long long)q->order_id);
    return audit_write(c, q->admin, "order_refund", str_from_cstr(target), q->why);
}

int payment_admin_refund(struct shop_ctx *c, int64_t order_id, struct str admin, struct str why,
                         bool *gateway_pending)
{
    struct admin_refund q = {order_id, admin, why, STR_NULL};
    *gateway_pending = false;
    int rc = in_tx(c, admin_refund_tx, &q);
    if (rc)
        return rc;
    /* the saga's second step: money back; on failure reconciliation finishes it */
    if (payment_refund(c, q.key, order_id, PAYMENT_REASON_ADMIN, "admin") != 0)
        *gateway_pending = true;
    return SHOP_OK;
}

int payment_dismiss(struct shop_ctx *c, int64_t anomaly_id, struct str admin)
{
    struct db_result r;
    struct db_val v[] = {DB_S(admin), DB_CS("dismissed"), DB_I(anomaly_id)};
    int rc = db_exec(c->db, &q_anomaly_resolve, v, 3, c->arena, &r);
    if (rc)
        return rc;
    return r.affected == 1 ? SHOP_OK : SHOP_ANOMALY_NOT_FOUND;
}
