/*
 * pay — the payment steps over HTTP (the saga itself is shop/payment.c):
 *
 *   GET  /orders/{id}/pay      -> 303 to the gateway's hosted page (a link, not a form: the
 *                                 CSP's form-action 'self' would stop a form's redirect)
 *   GET  /payments/success     the gateway's return URL: paymentKey, orderId, amount ->
 *                                 confirm -> 303 to the order page (the confirmation)
 *   GET  /payments/fail        declined or cancelled on the hosted page: order cancelled,
 *                                 pairs released
 *   POST /orders/{id}/cancel   the shopper gives up a pending order
 *   POST /api/v1/orders/{id}/payment  {paymentKey, amount}: the confirm for the app
 *   POST /api/v1/orders/{id}/cancel
 *
 * The return URLs are GETs that act, on sequential order ids, so they act only when proven
 * genuine: each carries the shop's signed `attempt` token for that order (shop/payment.h,
 * payment_return_token), made when the shopper was sent to the gateway. Without it:
 *   - /payments/success acts only for the order's owner signed in (the confirm itself checks
 *     the order, the amount and the gateway); anyone else, signed in or not, gets the same
 *     404 whatever the order and amount, with no database or gateway call made for them;
 *   - /payments/fail changes nothing, ever: the order page says the link was not checked.
 */
#include "web/web.h"

#include "core/clock.h"
#include "core/metrics.h"
#include "shop/payment.h"

#include <cjson/cJSON.h>
#include <stdio.h>

/* ---------------------------------------------------------------- metrics */

/* what a shopper's payment came to (the label values of stampede_payments_total) */
enum pay_outcome {
    PO_PAID,
    PO_PENDING,
    PO_DECLINED,
    PO_CANCELLED,
    PO_EXPIRED,
    PO_ALREADY_PAID,
    PO_IN_PROGRESS,
    PO_AMOUNT_MISMATCH,
    PO_CLOSED,
    PO_FAILED,
    PO_N
};
static const char *const po_names[PO_N] = {
    "paid",         "pending",     "declined",        "cancelled", "expired",
    "already_paid", "in_progress", "amount_mismatch", "closed",    "failed"};
static struct metric *m_pay[PO_N];

void web_pay_metrics(void)
{
    for (int i = 0; i < PO_N; i++) {
        char labels[64];
        snprintf(labels, sizeof labels, "outcome=\"%s\"", po_names[i]);
        m_pay[i] = metrics_counter("stampede_payments_total", labels,
                                   "Payment confirmations and returns from the gateway by outcome "
                                   "(failed: the confirmation itself failed, e.g. no database).");
    }
}

/* count_confirm: a payment_confirm's rc and, when it ran, its outcome */
static void count_confirm(int rc, int outcome)
{
    enum pay_outcome o = PO_FAILED;
    if (rc == SHOP_OK) {
        switch (outcome) {
        case SHOP_OK:
            o = PO_PAID;
            break;
        case SHOP_PAYMENT_PENDING:
            o = PO_PENDING;
            break;
        case SHOP_PAYMENT_DECLINED:
            o = PO_DECLINED;
            break;
        case SHOP_ORDER_EXPIRED:
            o = PO_EXPIRED;
            break;
        case SHOP_ALREADY_PAID:
            o = PO_ALREADY_PAID;
            break;
        case SHOP_PAYMENT_IN_PROGRESS:
            o = PO_IN_PROGRESS;
            break;
        case SHOP_AMOUNT_MISMATCH:
            o = PO_AMOUNT_MISMATCH;
            break;
        default:
            o = PO_CLOSED;
            break;
        }
    }
    metric_inc(m_pay[o]);
}

/* step: the order page's ?payment= word for a confirm's outcome (orders.c says it in words) */
static const char *step(int outcome)
{
    switch (outcome) {
    case SHOP_OK:
        return "paid";
    case SHOP_PAYMENT_PENDING:
        return "unknown";
    case SHOP_PAYMENT_DECLINED:
        return "declined";
    case SHOP_ORDER_EXPIRED:
        return "expired";
    case SHOP_ALREADY_PAID:
        return "paid_otherwise";
    case SHOP_PAYMENT_IN_PROGRESS:
        return "busy";
    case SHOP_AMOUNT_MISMATCH:
        return "amount_mismatch";
    default:
        return "closed";
    }
}

static struct payment_page page_of(struct http_ex *x)
{
    const struct appcfg *cfg = front_cfg(x);
    return (struct payment_page){str_from_cstr(cfg->shop_public_url), front_req(x)->session.email,
                                 str_from_cstr(cfg->secret), cfg->payment_return_ttl_ms / 1000};
}

/* genuine: the request's `attempt` token was made by this shop for order id */
static bool genuine(struct http_ex *x, int64_t id)
{
    return payment_return_ok(x->arena, str_from_cstr(front_cfg(x)->secret), id,
                             http_param_str(x, "attempt"), clock_real_s());
}

void page_order_pay(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    int64_t id = http_param_i64(x, "id", 0);
    struct payment_page pg = page_of(x);
    struct str url, status;
    int rc = payment_checkout_url(&s, front_req(x)->session.account_id, id, &pg, &url, &status);
    if (rc == SHOP_OK)
        http_resp_redirect(x, 303, url);
    else if (rc == SHOP_NOT_PAYABLE)
        front_redirectf(x, "/orders/%lld?payment=not_payable", (long long)id);
    else if (rc == SHOP_PAYMENTS_OFF)
        front_redirectf(x, "/orders/%lld?payment=unavailable", (long long)id);
    else
        front_answer(x, rc, NULL);
}

void page_payment_success(struct http_ex *x)
{
    struct front_req *r = front_req(x);
    int64_t id;
    if (!payment_order_id(http_param_str(x, "orderId"), &id)) {
        front_answer(x, SHOP_ORDER_NOT_FOUND, NULL);
        return;
    }
    bool proven = genuine(x, id);
    if (!proven && !r->signed_in) {
        front_answer(x, SHOP_ORDER_NOT_FOUND, NULL); /* the same for every order and amount */
        return;
    }
    struct shop_ctx s = front_shop(x);
    struct payment_result res;
    int rc =
        payment_confirm(&s, proven ? 0 : r->session.account_id, id, http_param_str(x, "paymentKey"),
                        http_param_i64(x, "amount", 0), "return", &res);
    count_confirm(rc, res.outcome);
    if (rc != SHOP_OK)
        front_answer(x, rc, NULL);
    else
        front_redirectf(x, "/orders/%lld?payment=%s", (long long)id, step(res.outcome));
}

void page_payment_fail(struct http_ex *x)
{
    int64_t id;
    if (!payment_order_id(http_param_str(x, "orderId"), &id)) {
        front_answer(x, SHOP_ORDER_NOT_FOUND, NULL);
        return;
    }
    if (!genuine(x, id)) {
        /* a forged or stale link: nothing changes (the order page checks ownership) */
        x->error_code = "unverified_return";
        front_redirectf(x, "/orders/%lld?payment=unverified", (long long)id);
        return;
    }
    struct shop_ctx s = front_shop(x);
    struct str code = http_param_str(x, "code"), status;
    bool cancelled = str_eq_cstr(code, "PAY_PROCESS_CANCELED");
    int rc = payment_abandon(
        &s, front_req(x)->session.account_id, id,
        str_from_cstr(arena_sprintf(x->arena, "%s at the gateway (%.*s)",
                                    cancelled ? "cancelled" : "declined", STR_FMT(code))),
        "return", &status);
    metric_inc(m_pay[rc != SHOP_OK ? PO_FAILED : cancelled ? PO_CANCELLED : PO_DECLINED]);
    if (rc != SHOP_OK)
        front_answer(x, rc, NULL);
    else
        front_redirectf(x, "/orders/%lld?payment=%s", (long long)id,
                        cancelled ? "cancelled" : "card_declined");
}

/* cancel: the shopper's own cancel of a pending order */
static int cancel(struct http_ex *x, const char *why)
{
    struct shop_ctx s = front_shop(x);
    return payment_cancel(&s, front_req(x)->session.account_id, http_param_i64(x, "id", 0),
                          str_from_cstr(why), "shopper");
}

void page_order_cancel(struct http_ex *x)
{
    int64_t id = http_param_i64(x, "id", 0);
    int rc = cancel(x, "cancelled by the shopper");
    if (rc == SHOP_OK || rc == SHOP_NOT_CANCELLABLE)
        front_redirectf(x, "/orders/%lld?payment=%s", (long long)id,
                        rc == SHOP_OK ? "cancelled" : "not_payable");
    else
        front_answer(x, rc, NULL);
}

/* ---------------------------------------------------------------- JSON API */

void api_order_payment(struct http_ex *x)
{
    struct shop_ctx s = front_shop(x);
    int64_t id = http_param_i64(x, "id", 0);
    struct payment_result res;
    int rc =
        payment_confirm(&s, front_req(x)->session.account_id, id, http_param_str(x, "paymentKey"),
                        http_param_i64(x, "amount", 0), "api", &res);
    count_confirm(rc, res.outcome);
    if (rc != SHOP_OK) {
        front_answer(x, rc, NULL);
        return;
    }
    if (res.outcome == SHOP_OK || res.outcome == SHOP_PAYMENT_PENDING) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "order_id", (double)id);
        cJSON_AddStringToObject(o, "status", arena_cstr(x->arena, res.status));
        cJSON_AddStringToObject(o, "payment", step(res.outcome));
        /* 202: accepted, being confirmed; poll the order */
        http_resp_json(x, res.outcome == SHOP_OK ? 200 : 202, o);
        return;
    }
    const struct front_outcome *out = front_outcome(res.outcome);
    cJSON *root = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(root, "error");
    cJSON_AddStringToObject(e, "code", out->code);
    cJSON_AddStringToObject(e, "message", out->message);
    if (res.code.len)
        cJSON_AddStringToObject(e, "gateway_code", arena_cstr(x->arena, res.code));
    cJSON_AddStringToObject(e, "order_status", arena_cstr(x->arena, res.status));
    x->error_code = out->code;
    http_resp_json(x, out->status, root);
}

void api_order_cancel(struct http_ex *x)
{
    int rc = cancel(x, "cancelled by the shopper (API)");
    if (rc != SHOP_OK) {
        front_answer(x, rc, NULL);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "order_id", (double)http_param_i64(x, "id", 0));
    cJSON_AddStringToObject(o, "status", "cancelled");
    http_resp_json(x, 200, o);
}
