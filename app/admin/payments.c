/* admin/payments — payment anomalies, reconciliation runs and the payment log (admins only). */
#include "web/app.h"

#include "core/err.h"
#include "shop/payment.h"

#define ISO(col) "DATE_FORMAT(" col ", '%Y-%m-%d %H:%i:%s')"

static const struct db_stmt q_anomalies = {
    "admin_anomalies",
    "SELECT id, kind, order_id, payment_key, amount, detail, " ISO(
        "created_at") ", COALESCE(resolution, ''), COALESCE(resolved_by, ''),"
                      " resolved_at IS NULL FROM payment_anomalies"
                      " ORDER BY resolved_at IS NULL DESC, id DESC LIMIT 200",
    DB_IDEMPOTENT};

static const struct db_stmt q_open = {
    "admin_anomalies_open", "SELECT COUNT(*) FROM payment_anomalies WHERE resolved_at IS NULL",
    DB_IDEMPOTENT};

static const struct db_stmt q_runs = {
    "admin_reconcile_runs",
    "SELECT id, status, " ISO("started_at") ", read_count, processed_count, skip_count,"
                                            " exit_message FROM batch_job_execution"
                                            " WHERE job_name = 'reconcile-payments'"
                                            " AND status <> 'NOOP' ORDER BY id DESC LIMIT 20",
    DB_IDEMPOTENT};

static const struct db_stmt q_events = {
    "admin_payment_log",
    "SELECT " ISO("created_at") ", COALESCE(order_id, 0), COALESCE(payment_key, ''), event,"
                                " COALESCE(amount, 0), source, detail FROM payment_log"
                                " ORDER BY id DESC LIMIT 50",
    DB_IDEMPOTENT};

static void render(struct http_ex *x, int status, struct str notice, struct str error)
{
    struct shop_ctx s = web_shop(x);
    struct db_result a, open, runs, ev;
    int rc;
    if ((rc = db_exec(s.db, &q_anomalies, NULL, 0, x->arena, &a)) ||
        (rc = db_exec(s.db, &q_open, NULL, 0, x->arena, &open)) ||
        (rc = db_exec(s.db, &q_runs, NULL, 0, x->arena, &runs)) ||
        (rc = db_exec(s.db, &q_events, NULL, 0, x->arena, &ev))) {
        web_fail(x, rc);
        return;
    }
    struct view_admin_payments *v = arena_calloc(x->arena, 1, sizeof *v);
    struct view_anomaly *an = arena_calloc(x->arena, a.nrows + 1, sizeof *an);
    for (size_t i = 0; i < a.nrows; i++) {
        an[i] = (struct view_anomaly){
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
        an[i].can_mark_refunded = an[i].open && str_eq_cstr(an[i].kind, "paid_without_capture");
    }
    struct view_job_run *jr = arena_calloc(x->arena, runs.nrows + 1, sizeof *jr);
    for (size_t i = 0; i < runs.nrows; i++)
        jr[i] = (struct view_job_run){
            db_int(&runs, i, 0), db_text(&runs, i, 1), db_text(&runs, i, 2), db_int(&runs, i, 3),
            db_int(&runs, i, 4), db_int(&runs, i, 5),  db_text(&runs, i, 6)};
    struct view_payment_event *pe = arena_calloc(x->arena, ev.nrows + 1, sizeof *pe);
    for (size_t i = 0; i < ev.nrows; i++)
        pe[i] = (struct view_payment_event){
            db_text(&ev, i, 0), db_int(&ev, i, 1),  db_text(&ev, i, 2), db_text(&ev, i, 3),
            db_int(&ev, i, 4),  db_text(&ev, i, 5), db_text(&ev, i, 6)};
    v->anomalies = (struct tpl_list){an, a.nrows, sizeof *an};
    v->open_count = db_int(&open, 0, 0);
    v->runs = (struct tpl_list){jr, runs.nrows, sizeof *jr};
    v->events = (struct tpl_list){pe, ev.nrows, sizeof *pe};
    v->notice = notice;
    v->error = error;
    v->layout = web_layout(x, STR("Payments"));
    x->resp.status = status;
    web_render(x, x->app->web->t_admin_payments, v);
}

void admin_payments(struct http_ex *x)
{
    struct str done = http_param_str(x, "done");
    struct str notice = str_eq_cstr(done, "refunded")    ? STR("The order is marked refunded and "
                                                                  "its pairs are back in stock.")
                        : str_eq_cstr(done, "dismissed") ? STR("Anomaly dismissed.")
                                                         : STR_NULL;
    render(x, 200, notice, STR_NULL);
}

void admin_anomaly_resolve(struct http_ex *x)
{
    struct shop_ctx s = web_shop(x);
    struct str admin = web_req(x)->session.email;
    int64_t id = http_param_i64(x, "id", 0);
    struct str action = http_param_str(x, "action");
    int rc;
    if (str_eq_cstr(action, "refunded"))
        rc = payment_mark_refunded(&s, id, admin);
    else if (str_eq_cstr(action, "dismiss"))
        rc = payment_dismiss(&s, id, admin);
    else
        rc = ERR_INVAL;
    switch (rc) {
    case 0:
        http_resp_redirect(x, 303,
                           str_eq_cstr(action, "refunded") ? STR("/admin/payments?done=refunded")
                                                           : STR("/admin/payments?done=dismissed"));
        return;
    case ERR_NOTFOUND:
        http_resp_error(x, 404, "anomaly_not_found", "No such open anomaly.");
        return;
    case ERR_INVAL:
        http_resp_error(x, 400, "invalid_action", "Mark refunded or dismiss.");
        return;
    case ERR_CONFLICT:
        render(x, 409, STR_NULL,
               STR("The gateway still holds money for this payment: the order was not "
                   "refunded. Refund it at the gateway first, or dismiss the anomaly."));
        return;
    case ERR_UNAVAILABLE:
        render(x, 503, STR_NULL, STR("The gateway cannot be asked right now; try again."));
        return;
    default:
        web_fail(x, rc);
    }
}
