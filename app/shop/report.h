/*
 * report — what the admin pages read: stock per size, payment anomalies, reconciliation runs,
 * the payment log and the latest orders (one order: order_get_any, shop/order.h). Plain reads
 * outside transactions (a moment's staleness is fine for a back office); every change goes through
 * the operations of the other modules.
 *
 * Memory: results in the context's arena. Errors: database errors only.
 */
#ifndef STAMPEDE_SHOP_REPORT_H
#define STAMPEDE_SHOP_REPORT_H

#include "shop/shop.h"

#include <stdbool.h>

/* One size with its product, as the stock page lists it (ordered by product, size). */
struct report_stock_row {
    int64_t product_id;
    struct str slug, name, brand;
    int64_t price;
    int64_t sku_id, size_mm;
    int64_t available, held, sold;
    int64_t buckets; /* buckets holding available pairs */
};

int report_stock(struct shop_ctx *c, struct report_stock_row **rows, size_t *n);

struct report_anomaly {
    int64_t id;
    struct str kind;
    int64_t order_id;
    struct str payment_key;
    int64_t amount;
    struct str detail, created_at, resolution, resolved_by;
    bool open;
};

struct report_run {
    int64_t id;
    struct str status, started_at;
    int64_t read, processed, skipped;
    struct str message;
};

struct report_payment_event {
    struct str at;
    int64_t order_id;
    struct str payment_key, event;
    int64_t amount;
    struct str source, detail;
};

struct report_payments {
    struct report_anomaly *anomalies; /* open first, newest first; at most 200 */
    size_t nanomalies;
    int64_t open_count;
    struct report_run *runs; /* reconcile-payments runs that did something; at most 20 */
    size_t nruns;
    struct report_payment_event *events; /* the payment log, newest first; at most 50 */
    size_t nevents;
};

int report_payments(struct shop_ctx *c, struct report_payments *out);

/* One order as the admin's order list shows it, with where it ships (has_ship false: placed
 * before addresses existed). Times are ISO 8601 UTC. */
struct report_order {
    int64_t id;
    struct str email, status;
    int64_t total;
    struct str created_at;
    bool has_ship;
    struct str recipient, postcode, address;
};

/*
 * report_orders: the latest orders of every account, newest first, at most limit; with a
 * search q (empty: all): an order id ("123" or "#123"), a status (pending_payment, paid, ...),
 * or else a part of the shopper's e-mail.
 */
int report_orders(struct shop_ctx *c, struct str q, int64_t limit, struct report_order **rows,
                  size_t *n);

/* How report_orders reads a search. */
struct report_search {
    struct str text;  /* q trimmed, without a leading '#' (empty: every order) */
    int64_t id;       /* the order id when text is a positive number, else -1 */
    const char *like; /* "%text%": the e-mail part (LIKE's own wildcards in text stay ones) */
};

/* report_search_parse: q as report_orders reads it; strings in a (no database). */
void report_search_parse(struct arena *a, struct str q, struct report_search *out);

/* One event in an order's life, oldest first: the stock ledger, the payment log, webhook
 * deliveries of its payment and the admin audit log. */
struct report_event {
    struct str at;     /* ISO 8601 UTC */
    struct str source; /* stock, payment, webhook, admin */
    struct str what;
    struct str detail;
};

/* report_order_timeline: every event of order_id, oldest first (at most 500). */
int report_order_timeline(struct shop_ctx *c, int64_t order_id, struct report_event **rows,
                          size_t *n);

#endif
