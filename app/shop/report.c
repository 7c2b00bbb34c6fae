/* report — the back office's reads; see report.h. */
#include "report.h"

#include <stdio.h>
#include <string.h>

/* ISO 8601 UTC: the pages show it in Korean time ({{kst}}) inside <time datetime> */
#define ISO(col) "DATE_FORMAT(" col ", '%Y-%m-%dT%H:%i:%sZ')"

static const struct db_stmt q_stock = {
    "report_stock",
    "SELECT p.id, p.slug, p.name, p.brand, k.id, k.size_mm, COALESCE(SUM(s.available), 0),"
    "       COALESCE(SUM(s.held), 0), COALESCE(SUM(s.sold), 0), COALESCE(SUM(s.available > 0), 0),"
    "       p.price_krw"
    "  FROM products p JOIN skus k ON k.product_id = p.id LEFT JOIN stock s ON s.sku_id = k.id"
    " GROUP BY p.id, k.id ORDER BY p.id, k.size_mm",
    DB_IDEMPOTENT};

int report_stock(struct shop_ctx *c, struct report_stock_row **rows, size_t *n)
{
    struct db_result r;
    int rc = db_exec(c->db, &q_stock, NULL, 0, c->arena, &r);
    if (rc)
        return rc;
    *rows = arena_calloc(c->arena, r.nrows + 1, sizeof **rows);
    *n = r.nrows;
    for (size_t i = 0; i < r.nrows; i++)
        (*rows)[i] = (struct report_stock_row){
            .product_id = db_int(&r, i, 0),
            .slug = db_text(&r, i, 1),
            .name = db_text(&r, i, 2),
            .brand = db_text(&r, i, 3),
            .sku_id = db_int(&r, i, 4),
            .size_mm = db_int(&r, i, 5),
            .available = db_int(&r, i, 6),
            .held = db_int(&r, i, 7),
            .sold = db_int(&r, i, 8),
            .buckets = db_int(&r, i, 9),
            .price = db_int(&r, i, 10),
        };
    return 0;
}

static const struct db_stmt q_anomalies = {
    "report_anomalies",
    "SELECT id, kind, order_id, payment_key, amount, detail, " ISO(
        "created_at") ", COALESCE(resolution, ''), COALESCE(resolved_by, ''),"
                      " resolved_at IS NULL FROM payment_anomalies"
                      " ORDER BY resolved_at IS NULL DESC, id DESC LIMIT 200",
    DB_IDEMPOTENT};

static const struct db_stmt q_open = {
    "report_anomalies_open", "SELECT COUNT(*) FROM payment_anomalies WHERE resolved_at IS NULL",
    DB_IDEMPOTENT};

static const struct db_stmt q_runs = {
    "report_reconcile_runs",
    "SELECT id, status, " ISO("started_at") ", read_count, processed_count, skip_count,"
                                            " exit_message FROM batch_job_execution"
                                            " WHERE job_name = 'reconcile-payments'"
                                            " AND status <> 'NOOP' ORDER BY id DESC LIMIT 20",
    DB_IDEMPOTENT};

static const struct db_stmt q_events = {
    "report_payment_log",
    "SELECT " ISO("created_at") ", COALESCE(order_id, 0), COALESCE(payment_key, ''), event,"
                                " COALESCE(amount, 0), source, detail FROM payment_log"
                                " ORDER BY id DESC LIMIT 50",
    DB_IDEMPOTENT};

int report_payments(struct shop_ctx *c, struct report_payments *out)
{
    memset(out, 0, sizeof *out);
    struct db_result a, open, runs, ev;
    int rc;
    if ((rc = db_exec(c->db, &q_anomalies, NULL, 0, c->arena, &a)) ||
        (rc = db_exec(c->db, &q_open, NULL, 0, c->arena, &open)) ||
        (rc = db_exec(c->db, &q_runs, NULL, 0, c->arena, &runs)) ||
        (rc = db_exec(c->db, &q_events, NULL, 0, c->arena, &ev)))
        return rc;
    out->anomalies = arena_calloc(c->arena, a.nrows + 1, sizeof *out->anomalies);
    out->nanomalies = a.nrows;
    for (size_t i = 0; i < a.nrows; i++)
        out->anomalies[i] = (struct report_anomaly){
            .id = db_int(&a, i, 0),
            .kind = db_text(&a, i, 1),
            .order_id = db_int(&a, i, 2),
            .payment_key = db_text(&a, i, 3),
            .amount = db_int(&a, i, 4),
            .detail = db_text(&a, i, 5),
            .created_at = db_text(&a, i, 6),
            .resolution = db_text(&a, i, 7),
            .resolved_by = db_text(&a, i, 8),
            .open = db_int(&a, i, 9) != 0,
        };
    out->open_count = db_int(&open, 0, 0);
    out->runs = arena_calloc(c->arena, runs.nrows + 1, sizeof *out->runs);
    out->nruns = runs.nrows;
    for (size_t i = 0; i < runs.nrows; i++)
        out->runs[i] = (struct report_run){
            db_int(&runs, i, 0), db_text(&runs, i, 1), db_text(&runs, i, 2), db_int(&runs, i, 3),
            db_int(&runs, i, 4), db_int(&runs, i, 5),  db_text(&runs, i, 6)};
    out->events = arena_calloc(c->arena, ev.nrows + 1, sizeof *out->events);
    out->nevents = ev.nrows;
    for (size_t i = 0; i < ev.nrows; i++)
        out->events[i] = (struct report_payment_event){
            db_text(&ev, i, 0), db_int(&ev, i, 1),  db_text(&ev, i, 2), db_text(&ev, i, 3),
            db_int(&ev, i, 4),  db_text(&ev, i, 5), db_text(&ev, i, 6)};
    return 0;
}

static const struct db_stmt q_orders = {
    "report_orders",
    "SELECT o.id, a.email, o.status, o.total_krw, " ISO(
        "o.created_at") ","
                        "       o.ship_recipient IS NOT NULL, COALESCE(o.ship_recipient, ''),"
                        "       COALESCE(o.ship_postcode, ''), COALESCE(o.ship_address, '')"
                        "  FROM orders o JOIN accounts a ON a.id = o.account_id"
                        " WHERE ? = '' OR o.id = ? OR o.status = ? OR (? = 0 AND a.email LIKE ?)"
                        " ORDER BY o.id DESC LIMIT ?",
    DB_IDEMPOTENT};

/* an order's events, oldest first (report_order_timeline) */
static const struct db_stmt q_timeline = {
    "report_order_timeline",
    "SELECT at, src, what, detail FROM ("
    "  SELECT " ISO(
        "created_at") " at, 'stock' src, reason what,"
                      "         CONCAT('size ', sku_id, ': available ', d_available, ', held ', "
                      "d_held, ', sold ',"
                      "                d_sold) detail, created_at t, id"
                      "    FROM inventory_ledger WHERE ref_type = 'order' AND ref_id = ?"
                      "  UNION ALL"
                      "  SELECT " ISO(
                          "created_at") ", 'payment', event, CONCAT(source, ': ', detail,"
                                        "         IF(amount IS NULL, '', CONCAT(' (', amount, ' "
                                        "KRW)'))), created_at, id"
                                        "    FROM payment_log WHERE order_id = ?"
                                        "  UNION ALL"
                                        "  SELECT " ISO(
                                            "received_at") ", 'webhook', event_type, "
                                                           "CONCAT(event_id, ': ', outcome),"
                                                           "         received_at, 0 FROM "
                                                           "webhook_events"
                                                           "   WHERE payment_key = (SELECT "
                                                           "payment_key FROM orders WHERE id = ?)"
                                                           "  UNION ALL"
                                                           "  SELECT " ISO(
                                                               "at") ", 'admin', action, "
                                                                     "CONCAT(actor, ': ', detail), "
                                                                     "at, id"
                                                                     "    FROM admin_audit WHERE "
                                                                     "target = ?"
                                                                     ") e ORDER BY t, id LIMIT 500",
    DB_IDEMPOTENT};

int report_order_timeline(struct shop_ctx *c, int64_t order_id, struct report_event **rows,
                          size_t *n)
{
    char ref[32], target[40];
    snprintf(ref, sizeof ref, "%lld", (long long)order_id);
    snprintf(target, sizeof target, "order:%lld", (long long)order_id);
    struct db_result r;
    struct db_val v[] = {DB_CS(ref), DB_I(order_id), DB_I(order_id), DB_CS(target)};
    int rc = db_exec(c->db, &q_timeline, v, 4, c->arena, &r);
    if (rc)
        return rc;
    *rows = arena_calloc(c->arena, r.nrows + 1, sizeof **rows);
    *n = r.nrows;
    for (size_t i = 0; i < r.nrows; i++)
        (*rows)[i] = (struct report_event){db_text(&r, i, 0), db_text(&r, i, 1), db_text(&r, i, 2),
                                           db_text(&r, i, 3)};
    return 0;
}

void report_search_parse(struct arena *a, struct str q, struct report_search *out)
{
    struct str t = str_trim(q);
    if (t.len && t.p[0] == '#')
        t = (struct str){t.p + 1, t.len - 1};
    int64_t id = 0;
    out->text = t;
    out->id = str_to_i64(t, &id) && id > 0 ? id : -1;
    out->like = arena_sprintf(a, "%%%.*s%%", STR_FMT(t));
}

int report_orders(struct shop_ctx *c, struct str q, int64_t limit, struct report_order **rows,
                  size_t *n)
{
    struct db_result r;
    struct report_search s;
    report_search_parse(c->arena, q, &s);
    struct db_val v[] = {DB_S(s.text),   DB_I(s.id),    DB_S(s.text),
                         DB_I(s.id > 0), DB_CS(s.like), DB_I(limit)};
    int rc = db_exec(c->db, &q_orders, v, 6, c->arena, &r);
    if (rc)
        return rc;
    *rows = arena_calloc(c->arena, r.nrows + 1, sizeof **rows);
    *n = r.nrows;
    for (size_t i = 0; i < r.nrows; i++)
        (*rows)[i] = (struct report_order){
            .id = db_int(&r, i, 0),
            .email = db_text(&r, i, 1),
            .status = db_text(&r, i, 2),
            .total = db_int(&r, i, 3),
            .created_at = db_text(&r, i, 4),
            .has_ship = db_int(&r, i, 5) != 0,
            .recipient = db_text(&r, i, 6),
            .postcode = db_text(&r, i, 7),
            .address = db_text(&r, i, 8),
        };
    return 0;
}
