/* retry — transactions and operations retried by a declared policy; see retry.h. */
#include "retry.h"

#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/sec.h"

const struct db_retry db_retry_default = {"transaction", 6, 2, 64, NULL};

static bool should_retry(const struct db_retry *p, int rc)
{
    return p->retry_on ? p->retry_on(rc) : err_is_retryable(rc);
}

int64_t db_retry_pause(const struct db_retry *p, int n)
{
    if (p->backoff_ms <= 0 || n < 1)
        return 0;
    int64_t cap = p->backoff_ms;
    for (int i = 1; i < n && cap < p->backoff_max_ms; i++)
        cap *= 2;
    if (p->backoff_max_ms > 0 && cap > p->backoff_max_ms)
        cap = p->backoff_max_ms;
    return 1 + (int64_t)sec_random_below((uint32_t)(cap > 1 ? cap : 1));
}

static void gave_up(const struct db_retry *p, int rc)
{
    metric_inc(db_m_gave_up);
    log_warn("%s: gave up after %d attempts: %s", p->name, p->tries, err_str(rc));
}

int db_tx(struct db *db, const struct db_retry *p, int (*fn)(void *arg), void *arg)
{
    int rc = 0;
    for (int n = 0; n < p->tries; n++) {
        if (n) {
            metric_inc(db_m_retries);
            clock_sleep_ms(db_retry_pause(p, n));
        }
        if ((rc = db_begin(db)))
            break; /* not even begun: nothing to undo, and no reason a retry would begin */
        rc = fn(arg);
        if (rc == 0)
            rc = db_commit(db);
        else
            db_rollback(db);
        if (!should_retry(p, rc))
            return rc;
    }
    if (should_retry(p, rc))
        gave_up(p, rc);
    return rc;
}

int db_retry(const struct db_retry *p, int (*fn)(void *arg), void *arg)
{
    int rc = 0;
    for (int n = 0; n < p->tries; n++) {
        if (n) {
            metric_inc(db_m_retries);
            clock_sleep_ms(db_retry_pause(p, n));
        }
        rc = fn(arg);
        if (!should_retry(p, rc))
            return rc;
    }
    gave_up(p, rc);
    return rc;
}
