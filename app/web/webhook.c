/*
 * webhook — POST /webhooks/psp: the payment gateway's events. No session and no CSRF token:
 * the HMAC signature over the raw body authenticates them (shop/payment.h, payment_webhook).
 * Answers are JSON whatever the sender accepts; anything but a 2xx makes the gateway retry.
 */
#include "web/web.h"

#include "core/log.h"
#include "shop/payment.h"

#include <cjson/cJSON.h>

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
    struct shop_ctx s = front_shop(x);
    struct payment_webhook_result res;
    int rc = payment_webhook(&s, http_param_str(x, "PSP-Signature"), x->req.body,
                             front_cfg(x)->webhook_tolerance_ms / 1000, &res);
    if (rc == SHOP_OK) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddBoolToObject(o, "received", true);
        cJSON_AddBoolToObject(o, "duplicate", res.duplicate);
        cJSON_AddStringToObject(o, "action", res.action);
        http_resp_json(x, 200, o);
    } else if (rc > 0) {
        const struct front_outcome *o = front_outcome(rc);
        if (rc == SHOP_BAD_SIGNATURE)
            log_warn("webhook refused: bad, missing or stale signature");
        json_error(x, o->status, o->code, o->message);
    } else {
        /* the sender retries: the state could not be checked or saved now */
        http_resp_header(x, "Retry-After", STR("5"));
        json_error(x, 503, "try_later", "The event could not be processed now.");
    }
}
