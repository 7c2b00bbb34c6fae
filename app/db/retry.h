/*
 * retry — the one way to run a transaction (or any operation) again after a transient
 * database failure.
 *
 * A policy declares which failures are worth another attempt, how many attempts there are in
 * all and the pause between them: a jittered exponential back-off (the n-th retry waits a
 * random 1..min(backoff_ms * 2^(n-1), backoff_max_ms) ms, so colliding transactions spread
 * out instead of colliding again). Declare one static policy per use, next to it:
 *
 *     static const struct db_retry checkout_retry = {"checkout", 6, 1, 64, NULL};
 *
 * db_tx runs a body inside one transaction per attempt: BEGIN, body, COMMIT when the body
 * returns 0, ROLLBACK otherwise. A body must set its outputs from scratch each time, because
 * an attempt that is rolled back may have filled them. The body's result decides:
 *   0            commit (a commit that fails with a retryable error is tried again too);
 *   anything else roll back; tried again when policy->retry_on says so, else returned
 *                (a positive domain outcome, shop/outcome.h, rolls back and is returned).
 *
 * db_retry runs an operation that handles its own transactions (a batch run's start, say)
 * with the same policy.
 *
 * Bounded work: at most `tries` attempts and (tries - 1) pauses of at most backoff_max_ms.
 * When attempts run out the last error is returned and logged once with the policy's name.
 */
#ifndef STAMPEDE_DB_RETRY_H
#define STAMPEDE_DB_RETRY_H

#include "db/db.h"

#include <stdbool.h>
#include <stdint.h>

struct db_retry {
    const char *name;         /* for the log line when attempts run out */
    int tries;                /* attempts in all (>= 1) */
    int64_t backoff_ms;       /* the first pause is 1..backoff_ms (0: no pause) */
    int64_t backoff_max_ms;   /* pauses never exceed this */
    bool (*retry_on)(int rc); /* which results are worth another attempt; NULL:
                                 err_is_retryable (deadlock 1213, lock wait 1205, 1020) */
};

/* The policy most transactions use: 6 attempts, pauses 1..2, 1..4, ... up to 64 ms. */
extern const struct db_retry db_retry_default;

/* db_tx: fn(arg) in a transaction on db, retried by p; returns fn's (or COMMIT's) result. */
int db_tx(struct db *db, const struct db_retry *p, int (*fn)(void *arg), void *arg);

/* db_retry: fn(arg), retried by p; returns fn's last result. */
int db_retry(const struct db_retry *p, int (*fn)(void *arg), void *arg);

/* db_retry_pause: the pause before retry number n (1-based) under p, in ms (for tests). */
int64_t db_retry_pause(const struct db_retry *p, int n);

#endif
