/* orders — the latest orders and one order with where it ships (admins only). */
#include "admin/admin.h"

#include "core/log.h"
#include "shop/audit.h"
#include "shop/order.h"
#include "shop/payment.h"
#include "shop/report.h"

#include <stdio.h>

void admin_orders(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    struct report_order *rows;
    size_t n;
    struct str q = http_param_str(x, "q");
    int rc = report_orders(&s, q, 200, &rows, &n);
    if (rc) {
        front_fail(x, rc);
        return;
    }
    struct view_admin_order_row *v = arena_calloc(x->arena, n + 1, sizeof *v);
    for (size_t i = 0; i < n; i++) {
        struct view_admin_ship *ship = arena_calloc(x->arena, 1, sizeof *ship);
        if (rows[i].has_ship)
            *ship = (struct view_admin_ship){.has = true,
                                             .recipient = rows[i].recipient,
                                             .postcode = rows[i].postcode,
                                             .address = rows[i].address};
        v[i] = (struct view_admin_order_row){rows[i].id,    rows[i].email,      rows[i].status,
                                             rows[i].total, rows[i].created_at, ship};
    }
    struct view_admin_orders *page = arena_calloc(x->arena, 1, sizeof *page);
    page->orders = (struct tpl_list){v, n, sizeof *v};
    page->q = q;
    page->layout = front_layout(x, STR("Orders"));
    front_render(x, "admin/orders.html", page);
}

static void order_page(struct http_ex *x, int status, struct str notice, struct str error);

void admin_order(struct http_ex *x)
{
    struct str done = http_param_str(x, "done");
    struct str notice = STR_NULL;
    if (str_eq_cstr(done, "cancelled"))
        notice = STR("The order is cancelled; its pairs are back on sale.");
    else if (str_eq_cstr(done, "refunded"))
        notice = STR("The order is refunded; its pairs are back on sale and the money is on its "
                     "way back to the shopper.");
    else if (str_eq_cstr(done, "refund_pending"))
        notice = STR("The order is refunded and its pairs are back on sale; the gateway could not "
                     "be reached, so reconcile-payments returns the money on its next run.");
    order_page(x, 200, notice, STR_NULL);
}

static void order_page(struct http_ex *x, int status, struct str notice, struct str error)
{
    struct shop_ctx s = front_shop(x);
    struct order o;
    int rc = order_get_any(&s, http_param_i64(x, "id", 0), &o);
    if (rc != SHOP_OK) {
        front_answer(x, rc, NULL);
        return;
    }
    struct view_admin_order *v = arena_calloc(x->arena, 1, sizeof *v);
    struct view_admin_ship *ship = arena_calloc(x->arena, 1, sizeof *ship);
    if (o.ship.has)
        *ship = (struct view_admin_ship){
            true, o.ship.recipient, o.ship.phone, o.ship.postcode, o.ship.address, o.ship.detail};
    struct view_admin_order_line *lines = arena_calloc(x->arena, o.nlines + 1, sizeof *lines);
    for (size_t i = 0; i < o.nlines; i++)
        lines[i] =
            (struct view_admin_order_line){o.lines[i].slug, o.lines[i].name, o.lines[i].size_mm,
                                           o.lines[i].quantity, o.lines[i].unit_price};
    v->id = o.id;
    v->email = o.email;
    v->status = o.status;
    v->pending = str_eq_cstr(o.status, "pending_payment");
    v->total = o.total;
    v->pairs = o.pairs;
    v->created_at = o.created_at;
    v->hold_expires_at = o.hold_expires_at;
    v->paid_at = o.paid_at;
    v->ship = ship;
    v->lines = (struct tpl_list){lines, o.nlines, sizeof *lines};
    v->paid = str_eq_cstr(o.status, "paid");
    v->csrf = front_csrf_token(x);
    v->notice = notice;
    v->error = error;
    struct report_event *ev;
    size_t nev = 0;
    if ((rc = report_order_timeline(&s, o.id, &ev, &nev))) {
        front_fail(x, rc);
        return;
    }
    struct view_admin_event *events = arena_calloc(x->arena, nev + 1, sizeof *events);
    for (size_t i = 0; i < nev; i++)
        events[i] = (struct view_admin_event){ev[i].at, ev[i].source, ev[i].what, ev[i].detail};
    v->events = (struct tpl_list){events, nev, sizeof *events};
    x->resp.status = status;
    v->layout =
        front_layout(x, str_from_cstr(arena_sprintf(x->arena, "Order #%lld", (long long)o.id)));
    front_render(x, "admin/order.html", v);
}

void admin_order_cancel(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    int64_t id = http_param_i64(x, "id", 0);
    struct str admin = front_req(x)->session.email;
    struct str why = http_param_str(x, "reason");
    int rc = payment_cancel(&s, 0, id,
                            str_from_cstr(arena_sprintf(x->arena, "cancelled by %.*s: %.*s",
                                                        STR_FMT(admin), STR_FMT(why))),
                            "admin");
    if (rc == SHOP_OK) {
        char target[40];
        snprintf(target, sizeof target, "order:%lld", (long long)id);
        if (audit_write(&s, admin, "order_cancel", str_from_cstr(target), why))
            log_warn("order %lld cancelled by an admin, but the audit row was not written",
                     (long long)id);
        front_redirectf(x, "/admin/orders/%lld?done=cancelled", (long long)id);
        return;
    }
    if (rc == SHOP_NOT_CANCELLABLE) {
        x->error_code = front_outcome(rc)->code;
        order_page(x, 409, STR_NULL, STR("Only an order that waits for payment can be cancelled."));
        return;
    }
    front_answer(x, rc, NULL);
}

void admin_order_refund(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    int64_t id = http_param_i64(x, "id", 0);
    bool pending = false;
    int rc = payment_admin_refund(&s, id, front_req(x)->session.email, http_param_str(x, "reason"),
                                  &pending);
    if (rc == SHOP_OK) {
        front_redirectf(x, "/admin/orders/%lld?done=%s", (long long)id,
                        pending ? "refund_pending" : "refunded");
        return;
    }
    if (rc == SHOP_NOT_REFUNDABLE) {
        x->error_code = front_outcome(rc)->code;
        order_page(x, 409, STR_NULL, str_from_cstr(front_outcome(rc)->message));
        return;
    }
    front_answer(x, rc, NULL);
}
