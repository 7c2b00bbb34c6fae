/*
 * stats — the shop's state as numbers for /metrics (app/ops/metrics.c renders them): orders by
 * status, pairs by state, each live drop's queue and stock, the latest stock audit, open
 * payment anomalies, holds that should have expired (I8) and the batch repository's runs.
 *
 * One call is a fixed set of plain reads outside transactions (they go to the replica through
 * the proxy; a few seconds' staleness is fine for monitoring): seven statements plus one per
 * live drop, at most STATS_DROPS drops. Bounded results: at most STATS_STATUSES order
 * statuses, STATS_KINDS anomaly kinds and STATS_JOBS jobs are kept (the rest are dropped, in
 * order). Callers rate-limit it (ops/metrics.c: once per interval per node).
 *
 * Memory: the result is self-contained (fixed arrays, no pointers into the arena). Errors:
 * database errors only; on failure *out is partly filled and must not be used.
 */
#ifndef STAMPEDE_SHOP_STATS_H
#define STAMPEDE_SHOP_STATS_H

#include "shop/shop.h"

#include <stdbool.h>
#include <stdint.h>

#define STATS_STATUSES 12
#define STATS_KINDS    8
#define STATS_JOBS     16
#define STATS_DROPS    16
#define STATS_NAME     48

struct stats_count {
    char name[STATS_NAME]; /* an order status or an anomaly kind ([a-z_]) */
    int64_t n;
};

struct stats_drop {
    int64_t id;
    int64_t pairs_left;      /* available pairs of the drop's product */
    int64_t pairs_held;      /* its pairs held for unpaid orders */
    int64_t pairs_sold;      /* its pairs sold */
    int64_t waiting;         /* queue places not admitted yet (pre-queue included) */
    int64_t admitted;        /* drops.serving: places admitted so far */
    bool admitting;          /* a queue drop past its start and not sold out: admission must
                                be moving while shoppers wait (not in the pre-queue, nor once
                                every pair is promised) */
    int64_t sold_out_lag_us; /* pairs gone: from the last stock move to the sold-out mark
                                (to now while unmarked); 0 while pairs are left */
};

struct stats_job {
    char name[STATS_NAME];
    int64_t completed, failed, noop; /* failed includes ABANDONED; runs on record plus those
                                        `batch prune` deleted, so they never fall */
    int64_t last_success_ms;         /* ended_at of the latest COMPLETED run; 0: never */
    int64_t last_duration_us;        /* the latest finished run's; -1: none finished */
};

struct shop_stats {
    struct stats_count orders[STATS_STATUSES];
    size_t norders;
    int64_t pairs_available, pairs_held, pairs_sold;
    struct stats_drop drops[STATS_DROPS];
    size_t ndrops;
    bool audit_known;         /* a finished audit-stock run exists and says how many */
    int64_t audit_mismatches; /* in the latest finished audit-stock run (0 when COMPLETED) */
    struct stats_count anomalies[STATS_KINDS]; /* open, every kind (0 included) */
    size_t nanomalies;
    int64_t overdue_holds; /* pending_payment orders whose hold ended more than 60 s ago */
    struct stats_job jobs[STATS_JOBS];
    size_t njobs;
};

/*
 * stats_read: fills *out. 0, or the first database error (ERR_DB_CONN, ERR_DB, ...); after
 * an error *out is incomplete.
 */
int stats_read(struct shop_ctx *c, struct shop_stats *out);

/*
 * stats_audit_mismatches: the count an audit-stock run's exit message gives ("... 3
 * mismatches: ..."; batch/jobs.c writes it), the first number followed by " mismatch" at the
 * start or after a space; false when the message carries none.
 */
bool stats_audit_mismatches(struct str exit_message, int64_t *n);

#endif
