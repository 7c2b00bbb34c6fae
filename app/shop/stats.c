/* stats — the shop's state for /metrics; see stats.h. */
#include "stats.h"

#include <stdio.h>
#include <string.h>

static const struct db_stmt q_orders = {
    "stats_orders", "SELECT status, COUNT(*) FROM orders GROUP BY status ORDER BY status",
    DB_IDEMPOTENT};

static const struct db_stmt q_pairs = {
    "stats_pairs",
    "SELECT COALESCE(SUM(available), 0), COALESCE(SUM(held), 0), COALESCE(SUM(sold), 0)"
    "  FROM stock",
    DB_IDEMPOTENT};

/* live: open (or in its pre-queue) and not closed or cancelled */
static const struct db_stmt q_drops = {
    "stats_drops",
    "SELECT d.id, d.product_id, d.serving,"
    "       d.kind = 'queue' AND d.starts_at <= NOW(6) AND d.sold_out_at IS NULL"
    "  FROM drops d"
    " WHERE d.cancelled_at IS NULL AND d.opens_at <= NOW(6) AND d.closes_at > NOW(6)"
    " ORDER BY d.id LIMIT 16",
    DB_IDEMPOTENT};

static const struct db_stmt q_drop = {
    "stats_drop",
    "SELECT (SELECT COALESCE(SUM(s.available), 0) FROM skus k JOIN stock s ON s.sku_id = k.id"
    "         WHERE k.product_id = ?),"
    "       (SELECT COUNT(*) FROM drop_queue q WHERE q.drop_id = ? AND q.admitted_at IS NULL),"
    "       COALESCE((SELECT TIMESTAMPDIFF(MICROSECOND, MAX(l.created_at),"
    "                        COALESCE((SELECT sold_out_at FROM drops WHERE id = ?), NOW(6)))"
    "                   FROM inventory_ledger l JOIN skus k ON k.id = l.sku_id"
    "                  WHERE k.product_id = ?), 0),"
    "       (SELECT COALESCE(SUM(s.held), 0) FROM skus k JOIN stock s ON s.sku_id = k.id"
    "         WHERE k.product_id = ?),"
    "       (SELECT COALESCE(SUM(s.sold), 0) FROM skus k JOIN stock s ON s.sku_id = k.id"
    "         WHERE k.product_id = ?)",
    DB_IDEMPOTENT};

static const struct db_stmt q_audit = {
    "stats_audit",
    "SELECT status, exit_message FROM batch_job_execution"
    " WHERE job_name = 'audit-stock' AND status IN ('COMPLETED', 'FAILED')"
    " ORDER BY id DESC LIMIT 1",
    DB_IDEMPOTENT};

static const struct db_stmt q_anomalies = {
    "stats_anomalies",
    "SELECT k.kind, COUNT(a.id) FROM"
    " (SELECT 'paid_without_capture' AS kind UNION ALL SELECT 'partial_refund') k"
    " LEFT JOIN payment_anomalies a ON a.kind = k.kind AND a.resolved_at IS NULL"
    " GROUP BY k.kind ORDER BY k.kind",
    DB_IDEMPOTENT};

static const struct db_stmt q_overdue = {
    "stats_overdue_holds",
    "SELECT COUNT(*) FROM orders WHERE status = 'pending_payment'"
    " AND hold_expires_at < NOW(6) - INTERVAL 60 SECOND",
    DB_IDEMPOTENT};

/* runs on record plus those `batch prune` deleted (batch_pruned_runs, migration 014), in one
 * statement (one snapshot: a prune committing between two reads cannot make a count fall) */
static const struct db_stmt q_jobs = {
    "stats_jobs",
    "SELECT job_name, SUM(completed), SUM(failed), SUM(noop), MAX(last_ok), MAX(last_us) FROM ("
    "SELECT e.job_name, SUM(e.status = 'COMPLETED') AS completed,"
    "       SUM(e.status IN ('FAILED', 'ABANDONED')) AS failed, SUM(e.status = 'NOOP') AS noop,"
    "       COALESCE(CAST(UNIX_TIMESTAMP(MAX(CASE WHEN e.status = 'COMPLETED'"
    "                                             THEN e.ended_at END)) * 1000 AS SIGNED), 0)"
    "         AS last_ok,"
    "       COALESCE((SELECT TIMESTAMPDIFF(MICROSECOND, l.started_at, l.ended_at)"
    "                   FROM batch_job_execution l"
    "                  WHERE l.job_name = e.job_name AND l.ended_at IS NOT NULL"
    "                  ORDER BY l.id DESC LIMIT 1), -1) AS last_us"
    "  FROM batch_job_execution e GROUP BY e.job_name"
    " UNION ALL "
    "SELECT p.job_name, SUM(CASE WHEN p.status = 'COMPLETED' THEN p.runs ELSE 0 END),"
    "       SUM(CASE WHEN p.status IN ('FAILED', 'ABANDONED') THEN p.runs ELSE 0 END),"
    "       SUM(CASE WHEN p.status = 'NOOP' THEN p.runs ELSE 0 END), 0, -1"
    "  FROM batch_pruned_runs p GROUP BY p.job_name"
    ") t GROUP BY job_name ORDER BY job_name LIMIT 16",
    DB_IDEMPOTENT};

static void name_copy(char *dst, struct str s)
{
    size_t n = s.len < STATS_NAME - 1 ? s.len : STATS_NAME - 1;
    memcpy(dst, s.p, n);
    dst[n] = 0;
}

bool stats_audit_mismatches(struct str m, int64_t *n)
{
    static const char word[] = " mismatch";
    const size_t wl = sizeof word - 1;
    for (size_t at = 1; at + wl <= m.len; at++) {
        if (memcmp(m.p + at, word, wl) != 0)
            continue;
        size_t i = at;
        while (i > 0 && at - i < 18 && m.p[i - 1] >= '0' && m.p[i - 1] <= '9')
            i--;
        if (i == at || (i > 0 && m.p[i - 1] != ' '))
            continue;
        int64_t v = 0;
        for (; i < at; i++)
            v = v * 10 + (m.p[i] - '0');
        *n = v;
        return true;
    }
    return false;
}

static int read_counts(struct shop_ctx *c, const struct db_stmt *st, struct stats_count *out,
                       size_t cap, size_t *n)
{
    struct db_result r;
    int rc = db_exec(c->db, st, NULL, 0, c->arena, &r);
    if (rc)
        return rc;
    *n = 0;
    for (size_t i = 0; i < r.nrows && *n < cap; i++) {
        name_copy(out[*n].name, db_text(&r, i, 0));
        out[(*n)++].n = db_int(&r, i, 1);
    }
    return 0;
}

static int read_drops(struct shop_ctx *c, struct shop_stats *out)
{
    struct db_result r;
    int rc = db_exec(c->db, &q_drops, NULL, 0, c->arena, &r);
    if (rc)
        return rc;
    for (size_t i = 0; i < r.nrows && out->ndrops < STATS_DROPS; i++) {
        struct stats_drop *d = &out->drops[out->ndrops++];
        int64_t id = db_int(&r, i, 0), product = db_int(&r, i, 1);
        d->id = id;
        d->admitted = db_int(&r, i, 2);
        d->admitting = db_int(&r, i, 3) != 0;
        struct db_val v[] = {DB_I(product), DB_I(id),      DB_I(id),
                             DB_I(product), DB_I(product), DB_I(product)};
        struct db_result one;
        if ((rc = db_exec(c->db, &q_drop, v, 6, c->arena, &one)))
            return rc;
        if (one.nrows != 1)
            continue;
        d->pairs_left = db_int(&one, 0, 0);
        d->waiting = db_int(&one, 0, 1);
        d->pairs_held = db_int(&one, 0, 3);
        d->pairs_sold = db_int(&one, 0, 4);
        int64_t lag = db_int(&one, 0, 2);
        d->sold_out_lag_us = d->pairs_left > 0 || lag < 0 ? 0 : lag;
    }
    return 0;
}

int stats_read(struct shop_ctx *c, struct shop_stats *out)
{
    memset(out, 0, sizeof *out);
    int rc = read_counts(c, &q_orders, out->orders, STATS_STATUSES, &out->norders);
    if (rc)
        return rc;
    struct db_result r;
    if ((rc = db_exec(c->db, &q_pairs, NULL, 0, c->arena, &r)))
        return rc;
    if (r.nrows == 1) {
        out->pairs_available = db_int(&r, 0, 0);
        out->pairs_held = db_int(&r, 0, 1);
        out->pairs_sold = db_int(&r, 0, 2);
    }
    if ((rc = read_drops(c, out)))
        return rc;
    if ((rc = db_exec(c->db, &q_audit, NULL, 0, c->arena, &r)))
        return rc;
    if (r.nrows == 1) {
        if (str_eq_cstr(db_text(&r, 0, 0), "COMPLETED")) {
            out->audit_known = true;
            out->audit_mismatches = 0;
        } else {
            out->audit_known = stats_audit_mismatches(db_text(&r, 0, 1), &out->audit_mismatches);
        }
    }
    if ((rc = read_counts(c, &q_anomalies, out->anomalies, STATS_KINDS, &out->nanomalies)))
        return rc;
    if ((rc = db_exec(c->db, &q_overdue, NULL, 0, c->arena, &r)))
        return rc;
    out->overdue_holds = r.nrows == 1 ? db_int(&r, 0, 0) : 0;
    if ((rc = db_exec(c->db, &q_jobs, NULL, 0, c->arena, &r)))
        return rc;
    for (size_t i = 0; i < r.nrows && out->njobs < STATS_JOBS; i++) {
        struct stats_job *j = &out->jobs[out->njobs++];
        name_copy(j->name, db_text(&r, i, 0));
        j->completed = db_int(&r, i, 1);
        j->failed = db_int(&r, i, 2);
        j->noop = db_int(&r, i, 3);
        j->last_success_ms = db_int(&r, i, 4);
        j->last_duration_us = db_int(&r, i, 5);
    }
    return 0;
}
