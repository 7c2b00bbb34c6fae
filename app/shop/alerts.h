/*
 * alerts — the alerts the monitoring stack raised, as Alertmanager's webhook delivers them
 * (alerts_record) and as /admin/alerts lists them (alerts_list). One row per episode: the
 * alert's fingerprint and its start; notifications are idempotent (every web node receives a
 * copy, and Alertmanager repeats), and a resolved episode stays resolved.
 *
 * Memory: results in the context's arena. Errors: SHOP_INVALID_ACTION for a payload that is
 * not Alertmanager's webhook JSON (version 4); negative codes for database errors.
 */
#ifndef STAMPEDE_SHOP_ALERTS_H
#define STAMPEDE_SHOP_ALERTS_H

#include "shop/outcome.h"
#include "shop/shop.h"

#include <stdbool.h>

/* At most this many alerts are read from one notification (Alertmanager groups them). */
#define ALERTS_PER_NOTIFICATION_MAX 200

/*
 * alerts_record: stores each alert of an Alertmanager webhook body (JSON, "alerts": [...]).
 * Inserts a new episode or updates a known one (status, end, annotations). On success *n is
 * the number of alerts stored. A database error part way leaves the earlier rows stored; the
 * sender retries the whole notification, which is safe.
 */
int alerts_record(struct shop_ctx *c, struct str body, size_t *n);

struct alerts_row {
    int64_t id;
    struct str fingerprint, name, severity, status, summary, labels, annotations;
    struct str starts_at, ends_at, updated_at; /* ISO 8601 UTC; ends_at empty while firing */
    bool firing;
};

/* alerts_list: the latest `limit` episodes (limit 1..1000), firing ones first, newest first. */
int alerts_list(struct shop_ctx *c, int64_t limit, struct alerts_row **rows, size_t *n);

#endif
