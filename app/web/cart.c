/* cart — the cart page and its JSON twin. */
#include "web/web.h"

#include "core/sec.h"
#include "shop/address.h"
#include "shop/cart.h"

#include <cjson/cJSON.h>

void web_render_cart(struct http_ex *x, int status, struct str error,
                     const struct view_problem *problems, size_t nproblems, struct str notice)
{
    struct shop_ctx s = front_shop(x);
    struct cart c;
    int rc = cart_get(&s, front_req(x)->session.account_id, &c);
    if (rc) {
        front_fail(x, rc);
        return;
    }
    /* where the order would ship: without an address the page says to add one first */
    struct address addr;
    rc = c.n ? address_get(&s, front_req(x)->session.account_id, &addr) : SHOP_NO_ADDRESS;
    if (rc < 0) {
        front_fail(x, rc);
        return;
    }
    struct view_cart *v = arena_calloc(x->arena, 1, sizeof *v);
    v->ship = web_view_ship(x, rc == SHOP_OK ? &addr : NULL);
    struct view_cart_line *lines = arena_calloc(x->arena, c.n + 1, sizeof *lines);
    for (size_t i = 0; i < c.n; i++) {
        const struct cart_line *l = &c.lines[i];
        lines[i] = (struct view_cart_line){
            .sku_id = l->sku_id,
            .slug = l->slug,
            .name = l->name,
            .brand = l->brand,
            .image_url = front_asset_url(x, l->image),
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
    v->max_line = shop_rules(&s)->cart_max_line;
    v->error = error;
    v->problems = (struct tpl_list){problems, nproblems, sizeof *problems};
    v->notice = notice;
    front_req(x)->cart_pairs = c.pairs;
    v->layout = front_layout(x, STR("Your cart"));
    x->resp.status = status;
    front_render(x, "cart.html", v);
}

/* set: the domain's cart change for this request */
static int set(struct http_ex *x, int64_t quantity, struct shop_problem *p)
{
    struct shop_ctx s = front_shop(x);
    return cart_set(&s, front_req(x)->session.account_id, http_param_i64(x, "sku_id", 0), quantity,
                    p);
}

void page_cart(struct http_ex *x)
{
    struct str notice = http_param_bool(x, "updated") ? STR("Your cart is updated.") : STR_NULL;
    web_render_cart(x, 200, STR_NULL, NULL, 0, notice);
}

void page_cart_set(struct http_ex *x)
{
    struct shop_problem p;
    int rc = set(x, http_param_i64(x, "quantity", 1), &p);
    if (rc == SHOP_OK) {
        http_resp_redirect(x, 303, STR("/cart?updated=1"));
    } else if (rc == SHOP_SKU_NOT_FOUND || rc < 0) {
        front_answer(x, rc, &p);
    } else {
        /* the refusal on the cart itself, so the shopper sees what to change */
        const struct front_outcome *o = front_outcome(rc);
        x->error_code = o->code;
        web_render_cart(x, o->status, str_from_cstr(front_outcome_message(x, rc, &p)), NULL, 0,
                        STR_NULL);
    }
}

static void send_cart(struct http_ex *x, int status)
{
    struct shop_ctx s = front_shop(x);
    struct cart c;
    int rc = cart_get(&s, front_req(x)->session.account_id, &c);
    if (rc) {
        front_fail(x, rc);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON *items = cJSON_AddArrayToObject(o, "items");
    for (size_t i = 0; i < c.n; i++) {
        const struct cart_line *l = &c.lines[i];
        cJSON *it = cJSON_CreateObject();
        cJSON_AddNumberToObject(it, "sku_id", (double)l->sku_id);
        cJSON_AddNumberToObject(it, "quantity", (double)l->quantity);
        cJSON_AddNumberToObject(it, "size", (double)l->size_mm);
        cJSON *p = cJSON_AddObjectToObject(it, "product");
        cJSON_AddItemToObject(p, "slug", front_json_str(l->slug));
        cJSON_AddItemToObject(p, "name", front_json_str(l->name));
        cJSON_AddItemToObject(p, "brand", front_json_str(l->brand));
        cJSON_AddNumberToObject(it, "unit_price", (double)l->unit_price);
        cJSON_AddNumberToObject(it, "line_total", (double)(l->unit_price * l->quantity));
        cJSON_AddNumberToObject(it, "available", (double)l->available);
        cJSON_AddItemToArray(items, it);
    }
    cJSON_AddNumberToObject(o, "total", (double)c.total);
    cJSON_AddNumberToObject(o, "pairs", (double)c.pairs);
    cJSON_AddStringToObject(o, "currency", "KRW");
    http_resp_json(x, status, o);
}

void api_cart(struct http_ex *x)
{
    send_cart(x, 200);
}

void api_cart_set(struct http_ex *x)
{
    struct shop_problem p;
    int rc = set(x, http_param_i64(x, "quantity", 0), &p);
    if (rc == SHOP_OK)
        send_cart(x, 200);
    else
        front_answer(x, rc, &p);
}
