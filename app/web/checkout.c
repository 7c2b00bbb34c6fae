/* checkout — placing an order: the cart page's button, "Buy now", and the JSON API. */
#include "web/web.h"

#include "core/err.h"
#include "core/metrics.h"
#include "shop/checkout.h"
#include "shop/payment.h"

#include <cjson/cJSON.h>
#include <stdio.h>

/* ---------------------------------------------------------------- metrics */

/* outcomes of a checkout, a fixed small set (the label values of stampede_checkout_total) */
enum co_outcome {
    CO_OK,
    CO_REPLAYED,
    CO_OUT_OF_STOCK,
    CO_NOT_ADMITTED,
    CO_LIMIT_EXCEEDED,
    CO_ADDRESS_REQUIRED,
    CO_CART_EMPTY,
    CO_KEY_REUSED,
    CO_INVALID,
    CO_RETRY_EXHAUSTED,
    CO_UNAVAILABLE,
    CO_ERROR,
    CO_N
};
static const char *const co_names[CO_N] = {"ok",
                                           "replayed",
                                           "out_of_stock",
                                           "not_admitted",
                                           "limit_exceeded",
                                           "address_required",
                                           "cart_empty",
                                           "key_reused",
                                           "invalid",
                                           "retry_exhausted",
                                           "unavailable",
                                           "error"};
static struct metric *m_checkout[CO_N], *m_checkout_retries;

void web_checkout_metrics(void)
{
    for (int i = 0; i < CO_N; i++) {
        char labels[64];
        snprintf(labels, sizeof labels, "outcome=\"%s\"", co_names[i]);
        m_checkout[i] = metrics_counter("stampede_checkout_total", labels,
                                        "Checkouts (cart, buy now, API) by outcome; replayed: an "
                                        "idempotent repeat of an order already placed.");
    }
    m_checkout_retries =
        metrics_counter("stampede_checkout_retries_total", "",
                        "Checkout transactions run again after a deadlock or lock wait timeout.");
}

static enum co_outcome co_outcome(int rc, const struct checkout_result *r)
{
    switch (rc) {
    case SHOP_OK:
        return r->replayed ? CO_REPLAYED : CO_OK;
    case SHOP_OUT_OF_STOCK:
    case SHOP_SOLD_OUT:
        return CO_OUT_OF_STOCK;
    case SHOP_NOT_ADMITTED:
        return CO_NOT_ADMITTED;
    case SHOP_LIMIT_EXCEEDED:
        return CO_LIMIT_EXCEEDED;
    case SHOP_ADDRESS_REQUIRED:
        return CO_ADDRESS_REQUIRED;
    case SHOP_CART_EMPTY:
        return CO_CART_EMPTY;
    case SHOP_KEY_REUSED:
        return CO_KEY_REUSED;
    case SHOP_INVALID_QUANTITY:
    case SHOP_SKU_NOT_FOUND:
    case SHOP_PRODUCT_NOT_FOUND:
        return CO_INVALID;
    default:
        if (err_is_retryable(rc))
            return CO_RETRY_EXHAUSTED;
        if (err_is_unavailable(rc))
            return CO_UNAVAILABLE;
        return CO_ERROR;
    }
}

/* counted: records a checkout's outcome and retries, and passes rc on */
static int counted(int rc, const struct checkout_result *r)
{
    metric_inc(m_checkout[co_outcome(rc, r)]);
    if (r->attempts > 1)
        metric_add(m_checkout_retries, (uint64_t)(r->attempts - 1));
    return rc;
}

/* place: the domain's checkout for this request: the cart, or "buy now" when the route was
 * given a sku_id (quantity defaults to 1), through its drop when it carries an admission */
static int place(struct http_ex *x, struct str key, struct checkout_result *r)
{
    struct checkout_item item = {0}, *direct = NULL;
    if (http_param_has(x, "sku_id")) {
        item = (struct checkout_item){http_param_i64(x, "sku_id", 0),
                                      http_param_i64(x, "quantity", 1)};
        direct = &item;
    }
    struct shop_ctx s = front_shop(x);
    int64_t drop_id;
    if (direct && web_drop_admission(x, &drop_id)) {
        /* a drop's size: checked against the admission in the checkout's transaction */
        struct checkout_drop d = {drop_id, false};
        return counted(
            checkout_place_drop(&s, front_req(x)->session.account_id, key, direct, &d, r), r);
    }
    return counted(checkout_place(&s, front_req(x)->session.account_id, key, direct, r), r);
}

void page_checkout(struct http_ex *x)
{
    struct checkout_result r;
    int rc = place(x, http_param_str(x, "idempotency_key"), &r);
    const struct front_outcome *o = front_outcome(rc);
    switch (rc) {
    case SHOP_OK:
        front_redirectf(x, "/orders/%lld?placed=1", (long long)r.order_id);
        return;
    case SHOP_CART_EMPTY:
        http_resp_redirect(x, 303, STR("/cart"));
        return;
    case SHOP_OUT_OF_STOCK: {
        x->error_code = o->code;
        struct view_problem *p = arena_calloc(x->arena, r.noos + 1, sizeof *p);
        for (size_t i = 0; i < r.noos; i++)
            p[i].text = str_from_cstr(arena_sprintf(x->arena, "%.*s — size %lld: not enough left",
                                                    STR_FMT(r.oos[i].product),
                                                    (long long)r.oos[i].size_mm));
        web_render_cart(x, o->status, STR("Some sizes sold out before your order went through:"), p,
                        r.noos, STR_NULL);
        return;
    }
    case SHOP_LIMIT_EXCEEDED:
        x->error_code = o->code;
        web_render_cart(x, o->status, str_from_cstr(front_outcome_message(x, rc, &r.problem)), NULL,
                        0, STR_NULL);
        return;
    case SHOP_ADDRESS_REQUIRED:
        /* the cart again, which says where to add the address and comes back here */
        x->error_code = o->code;
        web_render_cart(x, o->status,
                        STR("Add a shipping address before you place the order: we need to "
                            "know where to send your pairs."),
                        NULL, 0, STR_NULL);
        return;
    case SHOP_KEY_REUSED:
        x->error_code = o->code;
        web_render_cart(x, o->status,
                        STR("Your cart changed while the order was being placed. Review it "
                            "and place the order again."),
                        NULL, 0, STR_NULL);
        return;
    default:
        front_answer(x, rc, &r.problem);
        return;
    }
}

static void out_of_stock(struct http_ex *x, const struct checkout_result *r)
{
    const struct front_outcome *o = front_outcome(SHOP_OUT_OF_STOCK);
    cJSON *root = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(root, "error");
    cJSON_AddStringToObject(e, "code", o->code);
    cJSON_AddStringToObject(e, "message", o->message);
    cJSON *skus = cJSON_AddArrayToObject(e, "skus");
    for (size_t i = 0; i < r->noos; i++) {
        cJSON *k = cJSON_CreateObject();
        cJSON_AddNumberToObject(k, "sku_id", (double)r->oos[i].sku_id);
        cJSON_AddNumberToObject(k, "size", (double)r->oos[i].size_mm);
        cJSON_AddItemToObject(k, "product", front_json_str(r->oos[i].product));
        cJSON_AddNumberToObject(k, "requested", (double)r->oos[i].wanted);
        cJSON_AddItemToArray(skus, k);
    }
    x->error_code = o->code;
    http_resp_json(x, o->status, root);
}

void api_checkout(struct http_ex *x)
{
    if (http_param_has(x, "quantity") && !http_param_has(x, "sku_id")) {
        http_resp_error(x, 400, "invalid_parameter", "Buy now needs sku_id with quantity.");
        return;
    }
    struct checkout_result r;
    int rc = place(x, http_param_str(x, "Idempotency-Key"), &r);
    if (rc == SHOP_OUT_OF_STOCK) {
        out_of_stock(x, &r);
        return;
    }
    if (rc != SHOP_OK) {
        front_answer(x, rc, &r.problem);
        return;
    }
    const struct appcfg *cfg = front_cfg(x);
    struct front_req *req = front_req(x);
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "order_id", (double)r.order_id);
    cJSON_AddItemToObject(o, "status", front_json_str(r.status));
    cJSON_AddNumberToObject(o, "total", (double)r.total);
    cJSON_AddStringToObject(o, "currency", "KRW");
    cJSON_AddItemToObject(o, "hold_expires_at", front_json_str(r.hold_expires_at));
    /* the gateway's hosted page while the order waits for payment, else the order */
    struct shop_ctx s = front_shop(x);
    struct payment_page pg = {str_from_cstr(cfg->shop_public_url), req->session.email,
                              str_from_cstr(cfg->secret), cfg->payment_return_ttl_ms / 1000};
    struct str url, status;
    if (payment_checkout_url(&s, req->session.account_id, r.order_id, &pg, &url, &status))
        url = str_from_cstr(arena_sprintf(x->arena, "/orders/%lld", (long long)r.order_id));
    cJSON_AddStringToObject(o, "payment_url", arena_cstr(x->arena, url));
    if (r.replayed)
        http_resp_header(x, "Idempotent-Replayed", STR("true"));
    http_resp_json(x, r.replayed ? 200 : 201, o);
}
