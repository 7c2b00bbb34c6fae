/* jobs — the jobs stampede-batch knows. */
#include "batch.h"

#include "core/buf.h"
#include "core/err.h"
#include "shop/inventory.h"
#include "shop/order.h"

#include <stdio.h>
#include <string.h>

/* ---- expire-holds: pending orders past hold_expires_at give their stock back (I8) */

static const struct db_stmt q_due = {
    "batch_expire_due",
    "SELECT id FROM orders WHERE status = 'pending_payment' AND hold_expires_at < NOW(6)"
    "   AND id > ? ORDER BY id LIMIT ?",
    DB_IDEMPOTENT};

static int read_due(struct batch_run *r, struct str checkpoint, int64_t limit,
                    struct batch_item **items, size_t *n)
{
    return batch_read_ids(r, &q_due, NULL, 0, checkpoint, limit, items, n);
}

static int expire_one(struct batch_run *r, const struct batch_item *it, bool *done)
{
    return order_expire_locked(r->ctx, it->id, done);
}

static const struct batch_step expire_steps[] = {
    {"expire", read_due, expire_one, NULL},
};

/* ---- audit-stock: conservation of every SKU (I1, I2) */

static int audit(struct batch_run *r, struct buf *msg)
{
    struct audit_report rep;
    int rc = inventory_audit(r->ctx, &rep);
    if (rc) {
        buf_printf(msg, "audit could not read the stock: %s", err_str(rc));
        return rc;
    }
    buf_printf(r->log, "audited %zu SKUs in %zu buckets\n", rep.skus, rep.buckets);
    /* the count first: /metrics reads it back (stampede_stock_audit_mismatches, shop/stats.h) */
    if (rep.nissues)
        buf_printf(msg, "%zu mismatch%s: ", rep.nissues, rep.nissues == 1 ? "" : "es");
    for (size_t i = 0; i < rep.nissues; i++) {
        const struct audit_issue *x = &rep.issues[i];
        char where[64];
        if (x->bucket >= 0)
            snprintf(where, sizeof where, "sku %lld bucket %lld", (long long)x->sku_id,
                     (long long)x->bucket);
        else
            snprintf(where, sizeof where, "sku %lld", (long long)x->sku_id);
        buf_printf(r->log, "MISMATCH %s: %s (expected %lld, found %lld)\n", where, x->what,
                   (long long)x->expected, (long long)x->actual);
        if (i < 5)
            buf_printf(msg, "%s%s: %s", i ? "; " : "", where, x->what);
    }
    if (rep.nissues) {
        if (rep.nissues > 5)
            buf_printf(msg, "; and %zu more", rep.nissues - 5);
        return ERR_CONFLICT;
    }
    return 0;
}

static const struct batch_step audit_steps[] = {
    {"audit", NULL, NULL, audit},
};

/* STEPS: a step array and its length */
#define STEPS(a) a, sizeof a / sizeof a[0]

const struct batch_job batch_jobs[] = {
    {"expire-holds", "return the stock of unpaid orders whose hold expired", STEPS(expire_steps)},
    {"reconcile-payments",
     "settle abnormal payments against orders: unknown outcomes, captures for closed or "
     "missing orders, duplicates, wrong amounts, paid orders without a capture",
     STEPS(batch_reconcile_steps)},
    {"audit-stock", "check stock conservation for every SKU against the ledger and orders",
     STEPS(audit_steps)},
    {"audit-payments",
     "check that every captured payment maps to one paid order and every paid order to one "
     "capture (I5)",
     STEPS(batch_audit_payments_steps)},
    {"drop-draw",
     "draw the draw drops past their close (stampede-draw-v1), give winners an order with a "
     "hold, and pass the pair of a winner who did not pay to the next entrant in draw order",
     STEPS(batch_draw_steps)},
};
const size_t batch_jobs_len = sizeof batch_jobs / sizeof batch_jobs[0];

const struct batch_job *batch_job_find(const char *name)
{
    for (size_t i = 0; i < batch_jobs_len; i++)
        if (strcmp(batch_jobs[i].name, name) == 0)
            return &batch_jobs[i];
    return NULL;
}
