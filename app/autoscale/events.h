/*
 * events — the autoscaler's decision log in the database (autoscale_events, migration 013):
 * written by stampede-autoscale, read back by it at start-up (the times of its last scale-out
 * and scale-in, so a restart honours the cooldowns) and listed by /admin/autoscale.
 *
 * Prepared statements only (db/db.h). Memory: rows and strings in the caller's arena.
 * Thread safety: as the struct db passed in (one thread at a time). Errors: those of db_exec.
 */
#ifndef STAMPEDE_AUTOSCALE_EVENTS_H
#define STAMPEDE_AUTOSCALE_EVENTS_H

#include "core/arena.h"
#include "core/str.h"
#include "db/db.h"

#include <stdbool.h>
#include <stdint.h>

#define EVENTS_REASON_MAX 500
#define EVENTS_RESULT_MAX 2000

struct events_row {
    int64_t id;
    struct str at;     /* ISO 8601 UTC, "2026-12-06T05:15:27Z" */
    struct str action; /* out, in, held, failed-out, failed-in, start */
    int64_t nodes_before, nodes_after;
    struct str load, cpu; /* as stored; cpu "" when unknown */
    struct str reason, result, host;
};

/*
 * events_insert: one row. load and cpu (negative: unknown) are stored with two decimals; reason
 * and result are cut to their column sizes (result keeps its tail). 0 or a db error.
 */
int events_insert(struct db *db, struct arena *a, const char *action, int before, int after,
                  double load, double cpu, const char *reason, struct str result, const char *host);

/*
 * events_last: unix ms of the latest scale-out (out or failed-out) and scale-in (in or
 * failed-in); INT64_MIN when there is none. 0 or a db error (outputs unchanged).
 */
int events_last(struct db *db, struct arena *a, int64_t *last_out_ms, int64_t *last_in_ms);

/*
 * events_list: the newest first, `limit` rows after skipping `offset`, and the total count;
 * held rows only when with_held. 0 or a db error.
 */
int events_list(struct db *db, struct arena *a, bool with_held, int64_t offset, int64_t limit,
                struct events_row **rows, size_t *n, int64_t *total);

#endif
