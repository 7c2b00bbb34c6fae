/*
 * pages_pay — the payment steps over HTTP (the saga itself is shop/payment.c):
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
 *   POST /webhooks/psp         gateway events (no session, no CSRF token: the HMAC
 *                                 signature authenticates them)
 *
 * The success URL needs no session: it only completes a payment the card holder made for
 * exactly that order and amount, and the order page it leads to asks for a sign-in.
 */
#include "web/app.h"

#include "core/err.h"
#include "core/log.h"
#include "shop/payment.h"

#include <cjson/cJSON.h>

static const char *outcome_code(enum payment_outcome o)
{
    switch (o) {
    case PAYMENT_PAID:
        return "paid";
    case PAYMENT_UNKNOWN:
        return "unknown";
    case PAYMENT_DECLINED:
        return "declined";
    case PAYMENT_EXPIRED:
        return "expired";
    case PAYMENT_CLOSED:
        return "closed";
    case PAYMENT_PAID_OTHERWISE:
        return "paid_otherwise";
    case PAYMENT_BUSY:
        return "busy";
    case PAYMENT_AMOUNT_MISMATCH:
        return "amount_mismatch";
    }
    return "unknown";
}

/* answered: 404 for an order that is not the shopper's, 503/500 for other failures; true
 * when rc was an error and the answer is made */
static bool answered(struct http_ex *x, int rc)
{
    if (rc == ERR_NOTFOUND) {
        http_resp_error(x, 404, "order_not_found", "We could not find that order.");
        return true;
    }
    if (rc) {
        web_fail(x, rc);
        return true;
    }
    return false;
}

/* ref_order: the order named by the gateway's orderId parameter (404 when not ours) */
static bool ref_order(struct http_ex *x, int64_t *id)
{
    if (payment_order_id(http_param_str(x, "orderId"), id))
        return true;
    answered(x, ERR_NOTFOUND);
    return false;
}

static struct str order_page(struct http_ex *x, int64_t id, const char *payment)
{
    return str_from_cstr(
        arena_sprintf(x->arena, "/orders/%lld?payment=%s", (long long)id, payment));
}

void page_order_pay(struct http_ex *x)
{
    struct shop_ctx s = web_shop(x);
    struct web_req *r = web_req(x);
    int64_t id = http_param_i64(x, "id", 0);
    struct payment_page pg = {str_from_cstr(x->app->web->cfg.shop_public_url), r->session.email};
    struct str url, status;
    int rc = payment_checkout_url(&s, r->session.account_id, id, &pg, &url, &status);
    if (rc == 0)
        http_resp_redirect(x, 303, url);
    else if (rc == ERR_CONFLICT || rc == ERR_UNAVAILABLE)
        http_resp_redirect(x, 303,
                           order_page(x, id, rc == ERR_CONFLICT ? "not_payable" : "unavailable"));
    else
        answered(x, rc);
}

void page_payment_success(struct http_ex *x)
{
    struct shop_ctx s = web_shop(x);
    struct web_req *r = web_req(x);
    int64_t id;
    if (!ref_order(x, &id))
        return;
    struct payment_result res;
    int rc = payment_confirm(&s, r->signed_in ? r->session.account_id : 0, id,
                             http_param_str(x, "paymentKey"), http_param_i64(x, "amount", 0),
                             "return", &res);
    if (answered(x, rc))
        return;
    http_resp_redirect(x, 303, order_page(x, id, outcome_code(res.outcome)));
}

void page_payment_fail(struct http_ex *x)
{
    struct shop_ctx s = web_shop(x);
    int64_t id;
    if (!ref_order(x, &id))
        return;
    struct str code = http_param_str(x, "code"), status;
    bool cancelled = str_eq_cstr(code, "PAY_PROCESS_CANCELED");
    int rc = payment_abandon(
        &s, web_req(x)->session.account_id, id,
        str_from_cstr(arena_sprintf(x->arena, "%s at the gateway (%.*s)",
                                    cancelled ? "cancelled" : "declined", STR_FMT(code))),
        "return", &status);
    if (answered(x, rc))
        return;
    http_resp_redirect(x, 303, order_page(x, id, cancelled ? "cancelled" : "card_declined"));
}

void page_order_cancel(struct http_ex *x)
{
    struct shop_ctx s = web_shop(x);
    int64_t id = http_param_i64(x, "id", 0);
    struct str status;
    int rc = payment_abandon(&s, web_req(x)->session.account_id, id,
                             STR("cancelled by the shopper"), "shopper", &status);
    if (answered(x, rc))
        return;
    http_resp_redirect(
        x, 303, order_page(x, id, str_eq_cstr(status, "cancelled") ? "cancelled" : "not_payable"));
}

/* ---------------------------------------------------------------- JSON API */

void api_order_payment(struct http_ex *x)
{
    struct shop_ctx s = web_shop(x);
    int64_t id = http_param_i64(x, "id", 0);
    struct payment_result res;
    int rc =
        payment_confirm(&s, web_req(x)->session.account_id, id, http_param_str(x, "paymentKey"),
                        http_param_i64(x, "amount", 0), "api", &res);
    if (answered(x, rc))
        return;
    int status = 200;
    const char *code = NULL, *msg = NULL;
    switch (res.outcome) {
    case PAYMENT_PAID:
        break;
    case PAYMENT_UNKNOWN:
        status = 202; /* accepted: being confirmed; poll the order */
        break;
    case PAYMENT_DECLINED:
        status = 402, code = "payment_declined", msg = "The payment company refused the payment.";
        break;
    case PAYMENT_EXPIRED:
        status = 409, code = "order_expired", msg = "The hold ran out before the payment.";
        break;
    case PAYMENT_CLOSED:
        status = 409, code = "order_closed", msg = "The order no longer waits for payment.";
        break;
    case PAYMENT_PAID_OTHERWISE:
        status = 409, code = "already_paid", msg = "The order was paid by another payment.";
        break;
    case PAYMENT_BUSY:
        status = 409, code = "payment_in_progress",
        msg = "Another payment of this order is being confirmed.";
        break;
    case PAYMENT_AMOUNT_MISMATCH:
        status = 422, code = "amount_mismatch", msg = "The amount differs from the order total.";
        break;
    }
    if (code) {
        cJSON *root = cJSON_CreateObject();
        cJSON *e = cJSON_AddObjectToObject(root, "error");
        cJSON_AddStringToObject(e, "code", code);
        cJSON_AddStringToObject(e, "message", msg);
        if (res.code.len)
            cJSON_AddStringToObject(e, "gateway_code", arena_cstr(x->arena, res.code));
        cJSON_AddStringToObject(e, "order_status", arena_cstr(x->arena, res.status));
        x->error_code = code;
        http_resp_json(x, status, root);
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "order_id", (double)id);
    cJSON_AddStringToObject(o, "status", arena_cstr(x->arena, res.status));
    cJSON_AddStringToObject(o, "payment", outcome_code(res.outcome));
    http_resp_json(x, status, o);
}

void api_order_cancel(struct http_ex *x)
{
    struct shop_ctx s = web_shop(x);
    int64_t id = http_param_i64(x, "id", 0);
    struct str status;
    int rc = payment_abandon(&s, web_req(x)->session.account_id, id,
                             STR("cancelled by the shopper (API)"), "shopper", &status);
    if (answered(x, rc))
        return;
    if (!str_eq_cstr(status, "cancelled")) {
        http_resp_error(x, 409, "not_cancellable",
                        arena_sprintf(x->arena, "The order is %.*s.", STR_FMT(status)));
        return;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddNumberToObject(o, "order_id", (double)id);
    cJSON_AddStringToObject(o, "status", "cancelled");
    http_resp_json(x, 200, o);
}

/* ---------------------------------------------------------------- webhooks */

/* json_error: webhook answers are JSON whatever the sender accepts */
static void json_error(struct http_ex *x, int status, const char *code, const char *message)
{
    x->error_code = code;
    cJSON *root = cJSON_CreateObject();
    cJSON *e = cJSON_AddObjectToObject(root, "error");
    cJSON_AddStringToObject(e, "code", code);
    cJSON_AddStringToObject(e, "message", message);
    http_resp_json(x, status, root);
}

void hook_psp_webhook(struct http_ex *x)
{
    struct shop_ctx s = web_shop(x);
    struct payment_webhook_result res;
    int rc = payment_webhook(&s, http_header(x, "PSP-Signature"), x->req.body,
                             x->app->web->cfg.webhook_tolerance_ms / 1000, &res);
    switch (rc) {
    case 0: {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddBoolToObject(o, "received", true);
        cJSON_AddBoolToObject(o, "duplicate", res.duplicate);
        cJSON_AddStringToObject(o, "action", res.action);
        http_resp_json(x, 200, o);
        return;
    }
    case ERR_UNAUTH:
        log_warn("webhook refused: bad, missing or stale signature");
        json_error(x, 400, "invalid_signature",
                   "The signature is missing, wrong or outside the time window.");
        return;
    case ERR_INVAL:
        json_error(x, 400, "invalid_event", "The body is not an event we know.");
        return;
    default:
        /* the sender retries: the state could not be checked or saved now */
        http_resp_header(x, "Retry-After", STR("5"));
        json_error(x, 503, "try_later", "The event could not be processed now.");
        return;
    }
}
