/* events — autoscale_events rows; see events.h. */
#include "events.h"

#include <stdio.h>
#include <string.h>

static const struct db_stmt q_insert = {
    "autoscale_event_insert",
    "INSERT INTO autoscale_events (action, nodes_before, nodes_after, load_per_node, cpu, reason,"
    " result, host) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    0};
static const struct db_stmt q_last = {
    "autoscale_event_last",
    "SELECT CAST(UNIX_TIMESTAMP(MAX(CASE WHEN action IN ('out', 'failed-out') THEN at END))"
    " * 1000 AS SIGNED),"
    " CAST(UNIX_TIMESTAMP(MAX(CASE WHEN action IN ('in', 'failed-in') THEN at END)) * 1000"
    " AS SIGNED) FROM autoscale_events WHERE action IN ('out', 'failed-out', 'in', 'failed-in')",
    DB_IDEMPOTENT | DB_PRIMARY};
static const struct db_stmt q_list = {
    "autoscale_event_list",
    "SELECT id, DATE_FORMAT(at, '%Y-%m-%dT%H:%i:%sZ'), action, nodes_before, nodes_after,"
    " CAST(ROUND(load_per_node, 2) AS CHAR), COALESCE(CAST(ROUND(cpu, 2) AS CHAR), ''), reason,"
    " result, host FROM autoscale_events WHERE (? OR action <> 'held')"
    " ORDER BY id DESC LIMIT ? OFFSET ?",
    DB_IDEMPOTENT};
static const struct db_stmt q_count = {
    "autoscale_event_count", "SELECT COUNT(*) FROM autoscale_events WHERE (? OR action <> 'held')",
    DB_IDEMPOTENT};

int events_insert(struct db *db, struct arena *a, const char *action, int before, int after,
                  double load, double cpu, const char *reason, struct str result, const char *host)
{
    char l[32], c[32];
    snprintf(l, sizeof l, "%.2f", load);
    snprintf(c, sizeof c, "%.2f", cpu);
    struct str why = str_from_cstr(reason);
    if (why.len > EVENTS_REASON_MAX)
        why.len = EVENTS_REASON_MAX;
    if (result.len > EVENTS_RESULT_MAX) { /* the tail says how it ended */
        result.p += result.len - EVENTS_RESULT_MAX;
        result.len = EVENTS_RESULT_MAX;
    }
    struct db_val v[] = {DB_CS(action),
                         DB_I(before),
                         DB_I(after),
                         DB_CS(l),
                         cpu < 0 ? DB_NULLV : DB_CS(c),
                         DB_S(why),
                         DB_S(result),
                         DB_CS(host ? host : "")};
    return db_exec(db, &q_insert, v, 8, a, NULL);
}

int events_last(struct db *db, struct arena *a, int64_t *last_out_ms, int64_t *last_in_ms)
{
    struct db_result r;
    int rc = db_exec(db, &q_last, NULL, 0, a, &r);
    if (rc)
        return rc;
    *last_out_ms = *last_in_ms = INT64_MIN;
    if (r.nrows == 1) {
        if (!db_is_null(&r, 0, 0))
            *last_out_ms = db_int(&r, 0, 0);
        if (!db_is_null(&r, 0, 1))
            *last_in_ms = db_int(&r, 0, 1);
    }
    return 0;
}

int events_list(struct db *db, struct arena *a, bool with_held, int64_t offset, int64_t limit,
                struct events_row **rows, size_t *n, int64_t *total)
{
    *rows = NULL;
    *n = 0;
    *total = 0;
    struct db_result r, c;
    struct db_val v[] = {DB_I(with_held ? 1 : 0), DB_I(limit), DB_I(offset)};
    int rc = db_exec(db, &q_count, v, 1, a, &c);
    if (!rc)
        rc = db_exec(db, &q_list, v, 3, a, &r);
    if (rc)
        return rc;
    *total = c.nrows ? db_int(&c, 0, 0) : 0;
    struct events_row *out = arena_calloc(a, r.nrows + 1, sizeof *out);
    for (size_t i = 0; i < r.nrows; i++) {
        out[i] = (struct events_row){db_int(&r, i, 0),  db_text(&r, i, 1), db_text(&r, i, 2),
                                     db_int(&r, i, 3),  db_int(&r, i, 4),  db_text(&r, i, 5),
                                     db_text(&r, i, 6), db_text(&r, i, 7), db_text(&r, i, 8),
                                     db_text(&r, i, 9)};
    }
    *rows = out;
    *n = r.nrows;
    return 0;
}
