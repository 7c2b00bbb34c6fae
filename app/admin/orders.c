/* orders — the latest orders and one order with where it ships (admins only). */
#include "admin/admin.h"

#include "shop/order.h"
#include "shop/report.h"

void admin_orders(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    struct report_order *rows;
    size_t n;
    int rc = report_orders(&s, 200, &rows, &n);
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
    page->layout = front_layout(x, STR("Orders"));
    front_render(x, "admin/orders.html", page);
}

void admin_order(struct http_ex *x)
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
    v->layout =
        front_layout(x, str_from_cstr(arena_sprintf(x->arena, "Order #%lld", (long long)o.id)));
    front_render(x, "admin/order.html", v);
}
