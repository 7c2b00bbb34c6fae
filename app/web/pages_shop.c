/* pages_shop — cart, checkout and order pages. */
#include "web/app.h"

#include "core/err.h"
#include "core/sec.h"
#include "shop/cart.h"
#include "shop/order.h"

const char *web_status_label(struct str status);

const char *web_status_label(struct str s)
{
    if (str_eq_cstr(s, "pending_payment"))
        return "Awaiting payment";
    if (str_eq_cstr(s, "paid"))
        return "Paid";
    if (str_eq_cstr(s, "payment_unknown"))
        return "Confirming payment";
    if (str_eq_cstr(s, "cancelled"))
        return "Cancelled";
    if (str_eq_cstr(s, "expired"))
        return "Expired";
    if (str_eq_cstr(s, "refunded"))
        return "Refunded";
    return "Unknown";
}

static void render_cart(struct http_ex *x, int status, struct str error,
                        const struct view_problem *problems, size_t nproblems, struct str notice)
{
    struct shop_ctx s = web_shop(x);
    struct cart c;
    int rc = cart_get(&s, web_req(x)->session.account_id, &c);
    if (rc) {
        web_fail(x, rc);
        return;
    }
    struct view_cart *v = arena_calloc(x->arena, 1, sizeof *v);
    struct view_cart_line *lines = arena_calloc(x->arena, c.n + 1, sizeof *lines);
    for (size_t i = 0; i < c.n; i++) {
        const struct cart_line *l = &c.lines[i];
        lines[i] = (struct view_cart_line){
            .sku_id = l->sku_id,
            .slug = l->slug,
            .name = l->name,
            .brand = l->brand,
            .image_url = web_asset_url(x, l->image),
            .size_mm = l->size_mm,
            .quantity = l->quantity,
            .unit_price = l->unit_price,
            .line_total = l->unit_price * l->quantity,
            .available = l->available,
            .sold_out = l->available == 0,
            .short_of = l->available > 0 && l->available < l->quantity,
            .max_per_account = l->max_per_account,
        };
    }
    v->lines = (struct tpl_list){lines, c.n, sizeof *lines};
    v->empty = c.n == 0;
    v->pairs = c.pairs;
    v->total = c.total;
    v->idempotency_key = sec_token(x->arena, 24);
    v->max_line = x->app->web->cfg.cart_max_line;
    v->error = error;
    v->problems = (struct tpl_list){problems, nproblems, sizeof *problems};
    v->notice = notice;
    web_req(x)->cart_pairs = c.pairs;
    v->layout = web_layout(x, STR("Your cart"));
    x->resp.status = status;
    web_render(x, x->app->web->t_cart, v);
}

void page_cart(struct http_ex *x)
{
    struct str notice = http_param_bool(x, "updated") ? STR("Your cart is updated.") : STR_NULL;
    render_cart(x, 200, STR_NULL, NULL, 0, notice);
}

void page_cart_set(struct http_ex *x)
{
    struct shop_ctx s = web_shop(x);
    struct cart_problem p;
    int rc = cart_set(&s, web_req(x)->session.account_id, http_param_i64(x, "sku_id", 0),
                      http_param_i64(x, "quantity", 1), x->app->web->cfg.cart_max_line, &p);
    switch (rc) {
    case 0:
        http_resp_redirect(x, 303, STR("/cart?updated=1"));
        return;
    case ERR_NOTFOUND:
        http_resp_error(x, 404, "sku_not_found", "That size does not exist.");
        return;
    case ERR_CONFLICT:
        x->error_code = "sold_out";
        render_cart(x, 409, STR("That size is sold out."), NULL, 0, STR_NULL);
        return;
    case ERR_INVAL:
        x->error_code = "invalid_quantity";
        render_cart(x, 400,
                    str_from_cstr(arena_sprintf(x->arena, "Choose between 1 and %lld pairs.",
                                                (long long)x->app->web->cfg.cart_max_line)),
                    NULL, 0, STR_NULL);
        return;
    case ERR_LIMIT:
        x->error_code = "limit_exceeded";
        render_cart(
            x, 409,
            str_from_cstr(arena_sprintf(
                x->arena, "%.*s is limited to %lld per customer (you already ordered %lld).",
                STR_FMT(p.product), (long long)p.limit, (long long)p.already)),
            NULL, 0, STR_NULL);
        return;
    default:
        web_fail(x, rc);
        return;
    }
}

void page_checkout(struct http_ex *x)
{
    const struct web_ctx *w = x->app->web;
    struct checkout_item item = {0}, *direct = NULL;
    if (http_param_has(x, "sku_id")) {
        item = (struct checkout_item){http_param_i64(x, "sku_id", 0),
                                      http_param_i64(x, "quantity", 1)};
        if (item.quantity > w->cfg.cart_max_line) {
            http_resp_error(x, 400, "invalid_quantity",
                            arena_sprintf(x->arena, "At most %lld pairs of a size per order.",
                                          (long long)w->cfg.cart_max_line));
            return;
        }
        direct = &item;
    }
    struct shop_ctx s = web_shop(x);
    struct checkout_result r;
    int rc = checkout_place(&s, web_req(x)->session.account_id,
                            http_param_str(x, "idempotency_key"), direct, &w->checkout, &r);
    if (rc == 0) {
        http_resp_redirect(
            x, 303,
            str_from_cstr(arena_sprintf(x->arena, "/orders/%lld?placed=1", (long long)r.order_id)));
        return;
    }
    if (rc == ERR_CONFLICT) {
        x->error_code = "out_of_stock";
        struct view_problem *p = arena_calloc(x->arena, r.noos + 1, sizeof *p);
        for (size_t i = 0; i < r.noos; i++)
            p[i].text = str_from_cstr(arena_sprintf(x->arena, "%.*s — size %lld: not enough left",
                                                    STR_FMT(r.oos[i].product),
                                                    (long long)r.oos[i].size_mm));
        render_cart(x, 409, STR("Some sizes sold out before your order went through:"), p, r.noos,
                    STR_NULL);
        return;
    }
    if (rc == ERR_LIMIT) {
        x->error_code = "limit_exceeded";
        render_cart(x, 409,
                    str_from_cstr(arena_sprintf(x->arena, "%.*s is limited to %lld per customer.",
                                                STR_FMT(r.limit_product), (long long)r.limit)),
                    NULL, 0, STR_NULL);
        return;
    }
    if (rc == ERR_INVAL && direct) {
        http_resp_error(x, 404, "sku_not_found", "That size is not on sale.");
        return;
    }
    if (rc == ERR_INVAL) {
        http_resp_redirect(x, 303, STR("/cart"));
        return;
    }
    if (rc == ERR_EXISTS) {
        x->error_code = "idempotency_key_reused";
        render_cart(x, 422,
                    STR("Your cart changed while the order was being placed. Review it "
                        "and place the order again."),
                    NULL, 0, STR_NULL);
        return;
    }
    web_fail(x, rc);
}

void page_orders(struct http_ex *x)
{
    struct shop_ctx s = web_shop(x);
    struct order *orders;
    size_t n;
    int rc = order_list(&s, web_req(x)->session.account_id, 100, &orders, &n);
    if (rc) {
        web_fail(x, rc);
        return;
    }
    struct view_orders *v = arena_calloc(x->arena, 1, sizeof *v);
    struct view_order_row *rows = arena_calloc(x->arena, n + 1, sizeof *rows);
    for (size_t i = 0; i < n; i++) {
        rows[i] = (struct view_order_row){
            .id = orders[i].id,
            .status = orders[i].status,
            .status_label = str_from_cstr(web_status_label(orders[i].status)),
            .pending = str_eq_cstr(orders[i].status, "pending_payment"),
            .total = orders[i].total,
            .pairs = orders[i].pairs,
            .created_at = orders[i].created_at,
            .hold_expires_at = orders[i].hold_expires_at,
        };
    }
    v->orders = (struct tpl_list){rows, n, sizeof *rows};
    v->empty = n == 0;
    v->layout = web_layout(x, STR("My orders"));
    web_render(x, x->app->web->t_orders, v);
}

/* payment_notice: what the last payment step (?payment=... from pages_pay.c) did, in words;
 * nothing when the order's state already says it */
static void payment_notice(struct str step, struct str status, struct str *text, struct str *kind)
{
    static const struct {
        const char *step, *kind, *text;
    } tab[] = {
        {"declined", "error",
         "The payment company refused the payment, so nothing was charged. Your pairs are still "
         "held: you can pay again."},
        {"card_declined", "error",
         "The card was declined, so nothing was charged. The order is cancelled and its pairs "
         "went back on sale."},
        {"cancelled", "notice",
         "The order is cancelled and its pairs went back on sale. Nothing was charged."},
        {"expired", "error",
         "Your hold ran out before the payment arrived, so the order expired. Nothing was "
         "charged; any authorization is released."},
        {"closed", "error", "This order no longer waits for payment. Nothing was charged."},
        {"paid_otherwise", "notice",
         "This order was already paid. The second payment was cancelled and not charged."},
        {"busy", "notice", "Another payment for this order is being confirmed; please wait."},
        {"amount_mismatch", "error",
         "The payment amount did not match the order total, so nothing was charged."},
        {"unavailable", "error", "Payments are not available right now. Please try again soon."},
        {"not_payable", "notice", "This order does not wait for payment."},
    };
    *text = STR_NULL;
    *kind = STR("notice");
    for (size_t i = 0; i < sizeof tab / sizeof tab[0]; i++) {
        if (str_eq_cstr(step, tab[i].step)) {
            /* a step overtaken by events (paid after all) is not worth showing */
            if (str_eq_cstr(status, "paid") && !str_eq_cstr(step, "paid_otherwise"))
                return;
            *text = str_from_cstr(tab[i].text);
            *kind = str_from_cstr(tab[i].kind);
            return;
        }
    }
}

void page_order(struct http_ex *x)
{
    struct order o;
    if (!web_own_order(x, &o))
        return;
    struct view_order *v = arena_calloc(x->arena, 1, sizeof *v);
    struct view_order_line *lines = arena_calloc(x->arena, o.nlines + 1, sizeof *lines);
    for (size_t i = 0; i < o.nlines; i++) {
        const struct order_line *l = &o.lines[i];
        lines[i] = (struct view_order_line){
            l->slug,    l->name,     l->brand,      web_asset_url(x, l->image),
            l->size_mm, l->quantity, l->unit_price, l->unit_price * l->quantity};
    }
    v->id = o.id;
    v->status = o.status;
    v->status_label = str_from_cstr(web_status_label(o.status));
    v->pending = str_eq_cstr(o.status, "pending_payment");
    v->just_placed = http_param_bool(x, "placed");
    v->can_pay = v->pending && !o.hold_over;
    v->confirming = str_eq_cstr(o.status, "payment_unknown");
    v->paid = str_eq_cstr(o.status, "paid");
    v->paid_at = o.paid_at;
    payment_notice(http_param_str(x, "payment"), o.status, &v->notice, &v->notice_kind);
    v->total = o.total;
    v->pairs = o.pairs;
    v->created_at = o.created_at;
    v->hold_expires_at = o.hold_expires_at;
    v->lines = (struct tpl_list){lines, o.nlines, sizeof *lines};
    v->layout =
        web_layout(x, str_from_cstr(arena_sprintf(x->arena, "Order #%lld", (long long)o.id)));
    web_render(x, x->app->web->t_order, v);
}
