/* payments — payment anomalies, reconciliation runs and the payment log (admins only). */
#include "admin/admin.h"

#include "shop/payment.h"
#include "shop/report.h"

static void render(struct http_ex *x, int status, struct str notice, struct str error)
{
    struct shop_ctx s = front_shop(x);
    struct report_payments rp;
    int rc = report_payments(&s, &rp);
    if (rc) {
        front_fail(x, rc);
        return;
    }
    struct view_admin_payments *v = arena_calloc(x->arena, 1, sizeof *v);
    struct view_anomaly *an = arena_calloc(x->arena, rp.nanomalies + 1, sizeof *an);
    for (size_t i = 0; i < rp.nanomalies; i++) {
        const struct report_anomaly *a = &rp.anomalies[i];
        an[i] = (struct view_anomaly){
            .id = a->id,
            .kind = a->kind,
            .order_id = a->order_id,
            .payment_key = a->payment_key,
            .amount = a->amount,
            .detail = a->detail,
            .created_at = a->created_at,
            .resolution = a->resolution,
            .resolved_by = a->resolved_by,
            .open = a->open,
            .can_mark_refunded = a->open && str_eq_cstr(a->kind, "paid_without_capture"),
        };
    }
    struct view_job_run *jr = arena_calloc(x->arena, rp.nruns + 1, sizeof *jr);
    for (size_t i = 0; i < rp.nruns; i++) {
        const struct report_run *r = &rp.runs[i];
        jr[i] = (struct view_job_run){r->id,        r->status,  r->started_at, r->read,
                                      r->processed, r->skipped, r->message};
    }
    struct view_payment_event *pe = arena_calloc(x->arena, rp.nevents + 1, sizeof *pe);
    for (size_t i = 0; i < rp.nevents; i++) {
        const struct report_payment_event *e = &rp.events[i];
        pe[i] = (struct view_payment_event){e->at,     e->order_id, e->payment_key, e->event,
                                            e->amount, e->source,   e->detail};
    }
    v->anomalies = (struct tpl_list){an, rp.nanomalies, sizeof *an};
    v->open_count = rp.open_count;
    v->runs = (struct tpl_list){jr, rp.nruns, sizeof *jr};
    v->events = (struct tpl_list){pe, rp.nevents, sizeof *pe};
    v->notice = notice;
    v->error = error;
    v->layout = front_layout(x, STR("Payments"));
    x->resp.status = status;
    front_render(x, "admin/payments.html", v);
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
    struct shop_ctx s = front_shop(x);
    struct str admin = front_req(x)->session.email;
    int64_t id = http_param_i64(x, "id", 0);
    struct str action = http_param_str(x, "action");
    int rc;
    if (str_eq_cstr(action, "refunded"))
        rc = payment_mark_refunded(&s, id, admin);
    else if (str_eq_cstr(action, "dismiss"))
        rc = payment_dismiss(&s, id, admin);
    else
        rc = SHOP_INVALID_ACTION;
    if (rc == SHOP_OK) {
        admin_audit(x, str_eq_cstr(action, "refunded") ? "anomaly_refunded" : "anomaly_dismissed",
                    str_from_cstr(arena_sprintf(x->arena, "anomaly:%lld", (long long)id)),
                    STR_NULL);
        http_resp_redirect(x, 303,
                           str_eq_cstr(action, "refunded") ? STR("/admin/payments?done=refunded")
                                                           : STR("/admin/payments?done=dismissed"));
    } else if (rc == SHOP_STILL_CAPTURED || rc == SHOP_GATEWAY_DOWN) {
        /* back on the page, which shows the anomaly and why nothing changed */
        const struct front_outcome *o = front_outcome(rc);
        x->error_code = o->code;
        render(x, o->status, STR_NULL, str_from_cstr(o->message));
    } else {
        front_answer(x, rc, NULL);
    }
}
