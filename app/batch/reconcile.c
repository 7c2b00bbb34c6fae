/*
 * reconcile — the payment jobs of stampede-batch.
 *
 * reconcile-payments finds abnormal payments and settles each one deterministically, in
 * three chunked, restartable steps (the runner gives leases, checkpoints and restarts):
 *   unknown   orders left payment_unknown (a confirm whose answer was lost, a process that
 *             died mid-confirm) at least min_age_s old: the confirm is repeated with the same
 *             idempotency key — the gateway replays what happened or does what did not — and
 *             the order is settled by the answer (paid, or back to waiting / expired);
 *   captures  every payment the gateway captured, in the gateway's order (checkpoint: its
 *             sequence number) — those captured or refunded in the last captures_window_s
 *             (older ones were settled by the runs of that time; 0 = all) — against its order:
 * captured for a cancelled or expired order, for no order, a second capture for one order, or a
 * wrong amount -> the payment is refunded (and a wrong-amount order cancelled); a capture whose
 * order never heard of it -> the order is marked paid; paid      paid orders of the last
 * paid_window_s whose capture is gone or never happened
 *             -> a payment anomaly for a person (/admin/payments).
 * Every decision is payment_settle_locked's (shop/payment.c), the one the webhooks use.
 * Refunds carry an idempotency key per payment and reason and are always of the whole
 * balance, so a run killed after refunding and started again, a second run, or a concurrent
 * one (it finds the lease taken and does nothing) never refunds twice; each effect is also
 * recorded in batch_action.
 *
 * audit-payments checks invariant I5 from both ledgers: every payment holding captured money
 * belongs to exactly one paid order of the same amount, every paid order has such a payment,
 * and the sums agree.
 */
#include "batch.h"

#include "core/buf.h"
#include "core/err.h"
#include "core/log.h"
#include "shop/payment.h"

#include <stdlib.h>
#include <string.h>

static const struct db_stmt q_action = {
    "reconcile_action",
    "INSERT IGNORE INTO batch_action (item_key, action, job_execution_id, detail)"
    " VALUES (?, ?, ?, ?)",
    0};

/* finish: refunds when settling said so, then records the effect; *done = it acted */
static int finish(struct batch_run *r, struct str payment_key, const struct settle_result *sr,
                  bool *done)
{
    struct shop_ctx *c = r->ctx;
    *done = strcmp(sr->action, "none") != 0 && (strcmp(sr->action, "flag") != 0 || sr->flagged);
    int rc;
    if (sr->refund && (rc = payment_refund(c, payment_key, sr->order_id, sr->refund, "reconcile")))
        return rc; /* the chunk rolls back; the next run (or the restart) tries again */
    if (!*done)
        return 0;
    struct str item = payment_key.len ? payment_key : payment_order_ref(c->arena, sr->order_id);
    const char *what = sr->refund && strcmp(sr->action, "refund") != 0
                           ? arena_sprintf(c->arena, "%s+refund", sr->action)
                           : sr->action;
    struct db_val v[] = {DB_S(item), DB_CS(what), DB_I(r->execution_id),
                         DB_CS(sr->refund ? sr->refund : "")};
    if ((rc = db_exec(c->db, &q_action, v, 4, c->arena, NULL)))
        return rc;
    buf_printf(r->log, "%.*s (order %lld): %s%s%s\n", STR_FMT(item), (long long)sr->order_id,
               sr->action, sr->refund ? ", refunded: " : "", sr->refund ? sr->refund : "");
    return 0;
}

/* ---- step unknown */

static const struct db_stmt q_unknown = {
    "reconcile_unknown",
    "SELECT id FROM orders WHERE status = 'payment_unknown'"
    "   AND updated_at <= NOW(6) - INTERVAL ? SECOND AND id > ? ORDER BY id LIMIT ?",
    DB_IDEMPOTENT};

static int read_unknown(struct batch_run *r, struct str checkpoint, int64_t limit,
                        struct batch_item **items, size_t *n)
{
    struct db_val age = DB_I(batch_param_i64(r, "min_age_s", r->opts->unknown_min_age_s));
    return batch_read_ids(r, &q_unknown, &age, 1, checkpoint, limit, items, n);
}

static const struct db_stmt q_order_key = {
    "reconcile_order_key", "SELECT COALESCE(payment_key, '') FROM orders WHERE id = ?", 0};

/* finish_order: finish() for an item that is an order (its payment key as the item) */
static int finish_order(struct batch_run *r, int64_t order_id, const struct settle_result *sr,
                        bool *done)
{
    struct shop_ctx *c = r->ctx;
    struct db_result k;
    struct db_val v[] = {DB_I(order_id)};
    int rc = db_exec(c->db, &q_order_key, v, 1, c->arena, &k);
    if (rc)
        return rc;
    return finish(r, k.nrows ? db_text(&k, 0, 0) : STR(""), sr, done);
}

static int process_unknown(struct batch_run *r, const struct batch_item *it, bool *done)
{
    struct shop_ctx *c = r->ctx;
    struct settle_result sr;
    bool answered;
    int rc = payment_resolve_unknown_locked(c, it->id, r->execution_id, &sr, &answered);
    if (rc)
        return rc;
    if (!answered) {
        buf_printf(r->log, "order %lld: the gateway still gives no answer; left for the next run\n",
                   (long long)it->id);
        *done = false;
        return 0;
    }
    return finish_order(r, it->id, &sr, done);
}

/* ---- step captures */

static int read_captures(struct batch_run *r, struct str checkpoint, int64_t limit,
                         struct batch_item **items, size_t *n)
{
    struct shop_ctx *c = r->ctx;
    int64_t after = 0;
    if (checkpoint.len && !str_to_i64(checkpoint, &after))
        return ERR_INVAL;
    struct gateway_payment *list;
    struct gateway_error err;
    int64_t within = batch_param_i64(r, "captures_window_s", r->opts->captures_window_s);
    int rc = gateway_captured(c->gw, c->arena, after, within, limit, &list, n, &err);
    if (rc) {
        log_warn("reconcile: cannot list captures after %lld: %s %.*s", (long long)after,
                 err_str(rc), STR_FMT(err.code));
        return rc;
    }
    *items = arena_calloc(c->arena, *n + 1, sizeof **items);
    for (size_t i = 0; i < *n; i++) {
        (*items)[i].id = list[i].seq;
        (*items)[i].key = str_from_cstr(arena_sprintf(c->arena, "%lld", (long long)list[i].seq));
        (*items)[i].data = &list[i];
    }
    return 0;
}

static int process_capture(struct batch_run *r, const struct batch_item *it, bool *done)
{
    const struct gateway_payment *p = it->data;
    struct settle_result sr;
    int rc = payment_settle_locked(r->ctx, p, "reconcile", r->execution_id, &sr);
    if (rc)
        return rc;
    return finish(r, p->payment_key, &sr, done);
}

/* ---- step paid */

static const struct db_stmt q_paid = {
    "reconcile_paid",
    "SELECT id FROM orders WHERE status = 'paid' AND paid_at >= NOW(6) - INTERVAL ? SECOND"
    "   AND id > ? ORDER BY id LIMIT ?",
    DB_IDEMPOTENT};

static int read_paid(struct batch_run *r, struct str checkpoint, int64_t limit,
                     struct batch_item **items, size_t *n)
{
    struct db_val window = DB_I(batch_param_i64(r, "paid_window_s", r->opts->paid_window_s));
    return batch_read_ids(r, &q_paid, &window, 1, checkpoint, limit, items, n);
}

static int process_paid(struct batch_run *r, const struct batch_item *it, bool *done)
{
    struct settle_result sr;
    int rc = payment_check_paid_locked(r->ctx, it->id, r->execution_id, &sr);
    if (rc)
        return rc;
    return finish_order(r, it->id, &sr, done);
}

const struct batch_step batch_reconcile_steps[] = {
    {"unknown", read_unknown, process_unknown, NULL},
    {"captures", read_captures, process_capture, NULL},
    {"paid", read_paid, process_paid, NULL},
};

/* ---- audit-payments (I5) */

static const struct db_stmt q_order_pay = {
    "audit_pay_order",
    "SELECT status, total_krw, COALESCE(payment_key, '') FROM orders WHERE id = ?", DB_IDEMPOTENT};

static const struct db_stmt q_paid_orders = {
    "audit_pay_paid",
    "SELECT id, total_krw, COALESCE(payment_key, '') FROM orders WHERE status = 'paid'"
    " ORDER BY id",
    DB_IDEMPOTENT};

static int cmp_str(const void *a, const void *b)
{
    const struct str *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->p, y->p, n);
    return c ? c : (x->len > y->len) - (x->len < y->len);
}

static void issue(struct batch_run *r, struct buf *msg, size_t *n, const char *text)
{
    buf_printf(r->log, "MISMATCH %s\n", text);
    if (*n < 3)
        buf_printf(msg, "%s%s", *n ? "; " : "", text);
    (*n)++;
}

static int audit_payments(struct batch_run *r, struct buf *msg)
{
    struct shop_ctx *c = r->ctx;
    size_t nissues = 0, nkeys = 0, cap = 256;
    struct str *keys = arena_calloc(c->arena, cap, sizeof *keys);
    int64_t captured = 0, paid = 0, after = 0, seen = 0;
    for (;;) {
        struct gateway_payment *list;
        size_t n;
        struct gateway_error err;
        int rc = gateway_captured(c->gw, c->arena, after, 0, 500, &list, &n, &err);
        if (rc) {
            buf_printf(msg, "cannot list the gateway's captures: %s", err_str(rc));
            return rc;
        }
        if (n == 0)
            break;
        for (size_t i = 0; i < n; i++) {
            const struct gateway_payment *p = &list[i];
            after = p->seq;
            seen++;
            if (p->balance == 0)
                continue; /* refunded in full */
            captured += p->balance;
            int64_t id;
            struct db_result o;
            struct db_val v[] = {DB_I(0)};
            bool ok = payment_order_id(p->order_id, &id);
            if (ok) {
                v[0] = DB_I(id);
                if ((rc = db_exec(c->db, &q_order_pay, v, 1, c->arena, &o)))
                    return rc;
                ok = o.nrows == 1 && str_eq_cstr(db_text(&o, 0, 0), "paid") &&
                     str_eq(db_text(&o, 0, 2), p->payment_key) && db_int(&o, 0, 1) == p->balance &&
                     p->amount == p->balance;
            }
            if (!ok)
                issue(r, msg, &nissues,
                      arena_sprintf(c->arena,
                                    "payment %.*s holds %lld for %.*s, which is not an order "
                                    "paid by it with that total",
                                    STR_FMT(p->payment_key), (long long)p->balance,
                                    STR_FMT(p->order_id)));
            if (nkeys == cap) {
                struct str *more = arena_calloc(c->arena, cap * 2, sizeof *more);
                memcpy(more, keys, cap * sizeof *keys);
                keys = more;
                cap *= 2;
            }
            keys[nkeys++] = p->payment_key;
        }
    }
    qsort(keys, nkeys, sizeof *keys, cmp_str);
    struct db_result po;
    int rc = db_exec(c->db, &q_paid_orders, NULL, 0, c->arena, &po);
    if (rc)
        return rc;
    for (size_t i = 0; i < po.nrows; i++) {
        struct str key = db_text(&po, i, 2);
        paid += db_int(&po, i, 1);
        if (!key.len || !bsearch(&key, keys, nkeys, sizeof *keys, cmp_str))
            issue(r, msg, &nissues,
                  arena_sprintf(c->arena, "order %lld is paid but no payment holds its money",
                                (long long)db_int(&po, i, 0)));
    }
    buf_printf(r->log,
               "audited %lld captured payments and %zu paid orders: %lld held at the gateway, "
               "%lld in paid orders\n",
               (long long)seen, po.nrows, (long long)captured, (long long)paid);
    if (captured != paid)
        issue(r, msg, &nissues,
              arena_sprintf(c->arena, "the gateway holds %lld, paid orders total %lld",
                            (long long)captured, (long long)paid));
    if (nissues > 3)
        buf_printf(msg, "; and %zu more", nissues - 3);
    return nissues ? ERR_CONFLICT : 0;
}

const struct batch_step batch_audit_payments_steps[] = {
    {"audit", NULL, NULL, audit_payments},
};
