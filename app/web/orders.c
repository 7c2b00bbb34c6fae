/* orders — the shopper's orders: the list, one order (pages and JSON). */
#include "web/web.h"

#include "shop/address.h"
#include "shop/order.h"

#include <cjson/cJSON.h>

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

/* ship_view: an order's ship-to as the pages show it */
static const struct view_ship *ship_view(struct http_ex *x, const struct order_ship *s)
{
    struct view_ship *v = arena_calloc(x->arena, 1, sizeof *v);
    if (s->has)
        *v = (struct view_ship){true, s->recipient, s->phone, s->postcode, s->address, s->detail};
    return v;
}

bool web_own_order(struct http_ex *x, struct order *o)
{
    struct shop_ctx s = front_shop(x);
    int rc = order_get(&s, front_req(x)->session.account_id, http_param_i64(x, "id", 0), o);
    if (rc != SHOP_OK)
        front_answer(x, rc, NULL);
    return rc == SHOP_OK;
}

/* list: the signed-in shopper's latest orders */
static int list(struct http_ex *x, struct order **orders, size_t *n)
{
    struct shop_ctx s = front_shop(x);
    return order_list(&s, front_req(x)->session.account_id, 100, orders, n);
}

void page_orders(struct http_ex *x)
{
    struct order *orders;
    size_t n;
    int rc = list(x, &orders, &n);
    if (rc) {
        front_answer(x, rc, NULL);
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
            .ship = ship_view(x, &orders[i].ship),
        };
    }
    /* the account page's address (the account page is this list) */
    struct shop_ctx s = front_shop(x);
    struct address addr;
    rc = address_get(&s, front_req(x)->session.account_id, &addr);
    if (rc < 0) {
        front_fail(x, rc);
        return;
    }
    v->ship = web_view_ship(x, rc == SHOP_OK ? &addr : NULL);
    v->orders = (struct tpl_list){rows, n, sizeof *rows};
    v->empty = n == 0;
    v->layout = front_layout(x, STR("My orders"));
    front_render(x, "orders.html", v);
}

/* payment_notice: what the last payment step (?payment=... from pay.c) did, in words;
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
        {"unverified", "notice",
         "That payment link could not be checked, so nothing was changed. Your order is as it "
         "was; you can pay or cancel it here."},
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
            l->slug,    l->name,     l->brand,      front_asset_url(x, l->image),
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
    v->ship = ship_view(x, &o.ship);
    v->lines = (struct tpl_list){lines, o.nlines, sizeof *lines};
    v->layout =
        front_layout(x, str_from_cstr(arena_sprintf(x->arena, "Order #%lld", (long long)o.id)));
    front_render(x, "order.html", v);
}

static cJSON *order_json(const struct order *o)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double)o->id);
    cJSON_AddItemToObject(j, "status", front_json_str(o->status));
    cJSON_AddNumberToObject(j, "total", (double)o->total);
    cJSON_AddItemToObject(j, "currency", front_json_str(o->currency));
    cJSON_AddItemToObject(j, "created_at", front_json_str(o->created_at));
    cJSON_AddItemToObject(j, "hold_expires_at", front_json_str(o->hold_expires_at));
    cJSON_AddNumberToObject(j, "pairs", (double)o->pairs);
    /* where it ships; null for orders placed before addresses existed */
    if (o->ship.has) {
        cJSON *s = cJSON_AddObjectToObject(j, "ship_to");
        cJSON_AddItemToObject(s, "recipient", front_json_str(o->ship.recipient));
        cJSON_AddItemToObject(s, "phone", front_json_str(o->ship.phone));
        cJSON_AddItemToObject(s, "postcode", front_json_str(o->ship.postcode));
        cJSON_AddItemToObject(s, "address", front_json_str(o->ship.address));
        cJSON_AddItemToObject(s, "detail", front_json_str(o->ship.detail));
    } else {
        cJSON_AddNullToObject(j, "ship_to");
    }
    return j;
}

void api_orders(struct http_ex *x)
{
    struct order *orders;
    size_t n;
    int rc = list(x, &orders, &n);
    if (rc) {
        front_answer(x, rc, NULL);
        return;
    }
    cJSON *root = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(root, "orders");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, order_json(&orders[i]));
    http_resp_json(x, 200, root);
}

void api_order(struct http_ex *x)
{
    struct order o;
    if (!web_own_order(x, &o))
        return;
    cJSON *j = order_json(&o);
    cJSON *lines = cJSON_AddArrayToObject(j, "lines");
    for (size_t i = 0; i < o.nlines; i++) {
        const struct order_line *l = &o.lines[i];
        cJSON *k = cJSON_CreateObject();
        cJSON_AddNumberToObject(k, "sku_id", (double)l->sku_id);
        cJSON_AddNumberToObject(k, "size", (double)l->size_mm);
        cJSON_AddNumberToObject(k, "quantity", (double)l->quantity);
        cJSON_AddNumberToObject(k, "unit_price", (double)l->unit_price);
        cJSON *p = cJSON_AddObjectToObject(k, "product");
        cJSON_AddItemToObject(p, "slug", front_json_str(l->slug));
        cJSON_AddItemToObject(p, "name", front_json_str(l->name));
        cJSON_AddItemToObject(p, "brand", front_json_str(l->brand));
        cJSON_AddItemToArray(lines, k);
    }
    http_resp_json(x, 200, j);
}
