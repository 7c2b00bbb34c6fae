/* api_shop — JSON API for accounts, sessions, cart, checkout and orders (v1). */
#include "web/app.h"

#include "core/err.h"
#include "shop/cart.h"
#include "shop/order.h"
#include "shop/payment.h"

#include <cjson/cJSON.h>

const char *web_status_label(struct str status);

static cJSON *jstr(struct str s)
{
    return cJSON_CreateString(s.p ? s.p : "");
}

static cJSON *account_json(const struct account *a)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "id", (double)a->id);
    cJSON_AddItemToObject(o, "email", jstr(a->email));
    cJSON_AddItemToObject(o, "name", jstr(a->name));
    return o;
}

void api_signup(struct http_ex *x)
{
    const struct web_ctx *w = x->app->web;
    struct shop_ctx s = web_shop(x);
    struct account a;
    const char *why = NULL;
    struct str name = str_trim(http_param_str(x, "name"));
    if (name.len == 0) {
        http_resp_error(x, 422, "invalid_name", "name must not be blank.");
        return;
    }
    int rc = account_signup(&s, &w->policy, http_param_str(x, "email"), name,
                            http_param_str(x, "password"), &a, &why);
    if (rc == ERR_INVAL) {
        http_resp_error(x, 422, "weak_password", why);
        return;
    }
    if (rc == ERR_EXISTS) {
        http_resp_error(x, 409, "email_taken", why);
        return;
    }
    if (rc || (rc = web_start_session(x, &a))) {
        web_fail(x, rc);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "account", account_json(&a));
    http_resp_json(x, 201, o);
}

void api_signin(struct http_ex *x)
{
    const struct web_ctx *w = x->app->web;
    struct shop_ctx s = web_shop(x);
    struct account a;
    int64_t wait = 0;
    int rc =
        account_signin(&s, &w->policy, http_param_str(x, "email"), http_param_str(x, "password"),
                       x->req.client_ip, web_device_account(x), &a, &wait);
    if (rc == ERR_UNAUTH) {
        http_resp_error(x, 401, "invalid_credentials",
                        "That e-mail address and password do not match.");
        return;
    }
    if (rc == ERR_LIMIT) {
        http_resp_header(x, "Retry-After",
                         str_from_cstr(arena_sprintf(x->arena, "%lld", (long long)wait)));
        http_resp_error(x, 429, "too_many_attempts", "Too many failed sign-ins; wait and retry.");
        return;
    }
    if (rc || (rc = web_start_session(x, &a))) {
        web_fail(x, rc);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "account", account_json(&a));
    http_resp_json(x, 200, o);
}

void api_signout(struct http_ex *x)
{
    int rc = web_end_session(x);
    if (rc) {
        web_fail(x, rc);
        return;
    }
    buf_reset(x->resp.body);
    x->resp.status = 204;
}

void api_whoami(struct http_ex *x)
{
    struct web_req *r = web_req(x);
    struct account a = {r->session.account_id, r->session.email, r->session.name, r->session.role};
    cJSON *o = cJSON_CreateObject();
    cJSON_AddItemToObject(o, "account", account_json(&a));
    http_resp_json(x, 200, o);
}

static void send_cart(struct http_ex *x, int status)
{
    struct shop_ctx s = web_shop(x);
    struct cart c;
    int rc = cart_get(&s, web_req(x)->session.account_id, &c);
    if (rc) {
        web_fail(x, rc);
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
        cJSON_AddItemToObject(p, "slug", jstr(l->slug));
        cJSON_AddItemToObject(p, "name", jstr(l->name));
        cJSON_AddItemToObject(p, "brand", jstr(l->brand));
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
    struct shop_ctx s = web_shop(x);
    struct cart_problem p;
    int rc = cart_set(&s, web_req(x)->session.account_id, http_param_i64(x, "sku_id", 0),
                      http_param_i64(x, "quantity", 0), x->app->web->cfg.cart_max_line, &p);
    switch (rc) {
    case 0:
        send_cart(x, 200);
        return;
    case ERR_NOTFOUND:
        http_resp_error(x, 404, "sku_not_found", "No such size.");
        return;
    case ERR_CONFLICT:
        http_resp_error(x, 409, "sold_out", "That size is sold out.");
        return;
    case ERR_INVAL:
        http_resp_error(x, 400, "invalid_quantity",
                        arena_sprintf(x->arena, "quantity must be 0..%lld",
                                      (long long)x->app->web->cfg.cart_max_line));
        return;
    case ERR_LIMIT:
        http_resp_error(x, 409, "limit_exceeded",
                        arena_sprintf(x->arena, "%.*s is limited to %lld per customer.",
                                      STR_FMT(p.product), (long long)p.limit));
        return;
    default:
        web_fail(x, rc);
        return;
    }
}

static void order_summary(cJSON *o, int64_t id, struct str status, int64_t total,
                          struct str hold_expires_at)
{
    cJSON_AddNumberToObject(o, "order_id", (double)id);
    cJSON_AddItemToObject(o, "status", jstr(status));
    cJSON_AddNumberToObject(o, "total", (double)total);
    cJSON_AddStringToObject(o, "currency", "KRW");
    cJSON_AddItemToObject(o, "hold_expires_at", jstr(hold_expires_at));
}

void api_checkout(struct http_ex *x)
{
    static const struct http_param key_rule = {
        "Idempotency-Key", HTTP_SRC_BODY, HTTP_K_TOKEN, 8, 255, true};
    struct str key = str_trim(http_header(x, "Idempotency-Key"));
    if (key.len == 0) {
        http_resp_error(x, 400, "idempotency_key_required",
                        "Send an Idempotency-Key header (e.g. a random UUID) with every checkout.");
        return;
    }
    const char *bad = http_validate(&key_rule, key);
    if (bad) {
        http_resp_error(
            x, 400, "invalid_idempotency_key",
            arena_sprintf(x->arena, "Idempotency-Key %s (8..255 of A-Z a-z 0-9 _ . : -).", bad));
        return;
    }
    struct checkout_item item = {0}, *direct = NULL;
    if (http_param_has(x, "sku_id") || http_param_has(x, "quantity")) {
        if (!http_param_has(x, "sku_id")) {
            http_resp_error(x, 400, "invalid_parameter", "Buy now needs sku_id with quantity.");
            return;
        }
        item = (struct checkout_item){http_param_i64(x, "sku_id", 0),
                                      http_param_i64(x, "quantity", 1)};
        /* the same cap as a cart line */
        if (item.quantity > x->app->web->cfg.cart_max_line) {
            http_resp_error(x, 400, "invalid_quantity",
                            arena_sprintf(x->arena, "quantity must be 1..%lld",
                                          (long long)x->app->web->cfg.cart_max_line));
            return;
        }
        direct = &item;
    }
    const struct web_ctx *w = x->app->web;
    struct shop_ctx s = web_shop(x);
    struct checkout_result r;
    int rc = checkout_place(&s, web_req(x)->session.account_id, key, direct, &w->checkout, &r);
    if (rc == 0) {
        cJSON *o = cJSON_CreateObject();
        order_summary(o, r.order_id, r.status, r.total, r.hold_expires_at);
        /* the gateway's hosted page while the order waits for payment, else the order */
        struct payment_page pg = {str_from_cstr(w->cfg.shop_public_url), web_req(x)->session.email};
        struct str url, status;
        if (payment_checkout_url(&s, web_req(x)->session.account_id, r.order_id, &pg, &url,
                                 &status))
            url = str_from_cstr(arena_sprintf(x->arena, "/orders/%lld", (long long)r.order_id));
        cJSON_AddStringToObject(o, "payment_url", arena_cstr(x->arena, url));
        if (r.replayed)
            http_resp_header(x, "Idempotent-Replayed", STR("true"));
        http_resp_json(x, r.replayed ? 200 : 201, o);
        return;
    }
    if (rc == ERR_CONFLICT) {
        cJSON *root = cJSON_CreateObject();
        cJSON *e = cJSON_AddObjectToObject(root, "error");
        cJSON_AddStringToObject(e, "code", "out_of_stock");
        cJSON_AddStringToObject(e, "message", "Not enough pairs left of some sizes.");
        cJSON *skus = cJSON_AddArrayToObject(e, "skus");
        for (size_t i = 0; i < r.noos; i++) {
            cJSON *k = cJSON_CreateObject();
            cJSON_AddNumberToObject(k, "sku_id", (double)r.oos[i].sku_id);
            cJSON_AddNumberToObject(k, "size", (double)r.oos[i].size_mm);
            cJSON_AddItemToObject(k, "product", jstr(r.oos[i].product));
            cJSON_AddNumberToObject(k, "requested", (double)r.oos[i].wanted);
            cJSON_AddItemToArray(skus, k);
        }
        x->error_code = "out_of_stock";
        http_resp_json(x, 409, root);
        return;
    }
    switch (rc) {
    case ERR_LIMIT:
        http_resp_error(x, 409, "limit_exceeded",
                        arena_sprintf(x->arena, "%.*s is limited to %lld per customer.",
                                      STR_FMT(r.limit_product), (long long)r.limit));
        return;
    case ERR_INVAL:
        if (direct)
            http_resp_error(x, 404, "sku_not_found", "No such size on sale.");
        else
            http_resp_error(x, 409, "cart_empty", "The cart is empty.");
        return;
    case ERR_EXISTS:
        http_resp_error(x, 422, "idempotency_key_reused",
                        "This Idempotency-Key was used with a different cart or size.");
        return;
    default:
        web_fail(x, rc);
        return;
    }
}

static cJSON *order_json(const struct order *o)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddNumberToObject(j, "id", (double)o->id);
    cJSON_AddItemToObject(j, "status", jstr(o->status));
    cJSON_AddNumberToObject(j, "total", (double)o->total);
    cJSON_AddItemToObject(j, "currency", jstr(o->currency));
    cJSON_AddItemToObject(j, "created_at", jstr(o->created_at));
    cJSON_AddItemToObject(j, "hold_expires_at", jstr(o->hold_expires_at));
    cJSON_AddNumberToObject(j, "pairs", (double)o->pairs);
    return j;
}

void api_orders(struct http_ex *x)
{
    struct shop_ctx s = web_shop(x);
    struct order *orders;
    size_t n;
    int rc = order_list(&s, web_req(x)->session.account_id, 100, &orders, &n);
    if (rc) {
        web_fail(x, rc);
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
        cJSON_AddItemToObject(p, "slug", jstr(l->slug));
        cJSON_AddItemToObject(p, "name", jstr(l->name));
        cJSON_AddItemToObject(p, "brand", jstr(l->brand));
        cJSON_AddItemToArray(lines, k);
    }
    http_resp_json(x, 200, j);
}
