/*
 * prom — a small client of Prometheus's HTTP API (GET /api/v1/query_range) for the admin
 * dashboard: one range query, its series as (time, value) points. libcurl and cJSON; a short
 * timeout, so a slow or missing Prometheus makes the dashboard say so instead of hanging.
 *
 * Memory: results in the arena. Thread safety: reentrant (an easy handle per call).
 */
#ifndef STAMPEDE_FRONT_PROM_H
#define STAMPEDE_FRONT_PROM_H

#include "core/arena.h"
#include "core/str.h"

#include <stddef.h>
#include <stdint.h>

struct prom_series {
    struct str label; /* the series' labels other than __name__, "k=v, k=v" ("" if none) */
    double *t;        /* unix seconds */
    double *v;
    size_t n;
};

/*
 * prom_range: query over [start, end] (unix seconds) every step seconds from the Prometheus at
 * base_url. 0 with *series (at most 8 kept) or ERR_UNAVAILABLE (unreachable, an error answer,
 * or a malformed one).
 */
int prom_range(struct arena *a, const char *base_url, const char *query, int64_t start, int64_t end,
               int64_t step, struct prom_series **series, size_t *n);

#endif
