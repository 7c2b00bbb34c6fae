/*
 * api — the sandbox's server API (Toss Payments v1 shapes), called by the merchant's server
 * with HTTP Basic auth (secret key as user, empty password; checked by the before hook):
 *
 *   POST   /v1/payments/confirm            {paymentKey, orderId, amount}  Idempotency-Key
 *   POST   /v1/payments/{key}/cancel       {cancelReason, cancelAmount?}  Idempotency-Key
 *   GET    /v1/payments/{key}              one payment
 *   GET    /v1/payments?orderId=X          the payments of an order
 *   GET    /v1/payments?capturedAfter=N&limit=M[&updatedWithin=S]   payments ever captured
 *          (changed in the last S seconds), in order: what reconciliation walks
 *   POST   /v1/sandbox/faults              {op, kind, count?, orderId?, delayMs?}
 *   GET    /v1/sandbox/faults, DELETE /v1/sandbox/faults
 *
 * Faults are taken here, per call: `slow` and `error` before the work, `timeout`, `lost`
 * and `error_after_commit` after it has committed.
 */
#include "psp.h"

#include "core/buf.h"
#include "core/clock.h"
#include "core/err.h"
#include "core/log.h"

#include <cjson/cJSON.h>
#include <string.h>

void psp_error(struct http_ex *x, int status, const char *code, const char *message)
{
    x->error_code = code;
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "code", code);
    cJSON_AddStringToObject(j, "message", message);
    http_resp_json(x, status, j);
}

static void fail_internal(struct http_ex *x, int rc)
{
    log_error("route %s failed: %s", x->route ? x->route->name : "-", err_str(rc));
    psp_error(x, 500, "FAILED_INTERNAL_SYSTEM_PROCESSING", "The sandbox failed; try again.");
}

static void send_answer(struct http_ex *x, const struct psp_answer *a, bool replayed)
{
    buf_reset(x->resp.body);
    x->resp.status = a->status;
    x->resp.content_type = "application/json";
    buf_append_str(x->resp.body, a->body);
    if (replayed)
        http_resp_header(x, "Idempotent-Replayed", STR("true"));
}

/* fault_before: takes op's fault for order; true when the request is already answered */
static bool fault_before(struct http_ex *x, const char *op, struct str order_id,
                         struct psp_fault *f, bool *have)
{
    *have = psp_fault_take(x->app->psp, op, order_id, f);
    if (!*have)
        return false;
    log_info("fault %s on %s (order %.*s)", f->kind, op, STR_FMT(order_id));
    if (strcmp(f->kind, "slow") == 0)
        clock_sleep_ms(f->delay_ms > 0 ? f->delay_ms : 2000);
    if (strcmp(f->kind, "error") == 0) {
        psp_error(x, 500, "FAILED_INTERNAL_SYSTEM_PROCESSING",
                  "Sandbox fault: failed before doing anything.");
        return true;
    }
    return false;
}

static void fault_after(struct http_ex *x, const struct psp_fault *f, bool have)
{
    if (!have)
        return;
    if (strcmp(f->kind, "timeout") == 0)
        x->app->hold_answer_ms = f->delay_ms > 0 ? f->delay_ms : 15000;
    else if (strcmp(f->kind, "lost") == 0)
        x->app->drop_connection = true;
    else if (strcmp(f->kind, "error_after_commit") == 0)
        psp_error(x, 500, "FAILED_INTERNAL_SYSTEM_PROCESSING",
                  "Sandbox fault: the work was committed, then this error was answered.");
}

/* slow_card: the slow test card takes cfg.slow_ms at confirm as on the page */
static void slow_card(struct http_ex *x, struct str payment_key)
{
    struct psp_payment p;
    if (psp_payment_get(x->app, payment_key, &p) == 0 && str_eq_cstr(p.card_kind, "slow"))
        clock_sleep_ms(x->app->psp->cfg.slow_ms);
}

/* payment_or_answer: the payment named by the path; false when answered (404 or 500) */
static bool payment_or_answer(struct http_ex *x, struct psp_payment *p)
{
    int rc = psp_payment_get(x->app, http_param_str(x, "paymentKey"), p);
    if (rc == ERR_NOTFOUND)
        psp_error(x, 404, "NOT_FOUND_PAYMENT", "No payment with this paymentKey.");
    else if (rc)
        fail_internal(x, rc);
    return rc == 0;
}

void psp_api_confirm(struct http_ex *x)
{
    struct str key = http_param_str(x, "Idempotency-Key"); /* declared: serve.c */
    struct str pk = http_param_str(x, "paymentKey"), order = http_param_str(x, "orderId");
    struct psp_fault f;
    bool have;
    if (fault_before(x, "confirm", order, &f, &have))
        return;
    slow_card(x, pk);
    struct psp_answer a;
    bool replayed;
    int rc = psp_confirm(x->app, key, pk, order, http_param_i64(x, "amount", 0), &a, &replayed);
    if (rc) {
        fail_internal(x, rc);
        return;
    }
    send_answer(x, &a, replayed);
    fault_after(x, &f, have);
}

void psp_api_cancel(struct http_ex *x)
{
    struct str key = http_param_str(x, "Idempotency-Key"); /* declared: serve.c */
    struct str pk = http_param_str(x, "paymentKey");
    struct psp_payment p;
    if (!payment_or_answer(x, &p))
        return;
    struct psp_fault f;
    bool have;
    if (fault_before(x, "cancel", p.order_id, &f, &have))
        return;
    struct psp_answer a;
    bool replayed;
    int rc = psp_cancel(x->app, key, pk, http_param_str(x, "cancelReason"),
                        http_param_i64(x, "cancelAmount", 0), &a, &replayed);
    if (rc) {
        fail_internal(x, rc);
        return;
    }
    send_answer(x, &a, replayed);
    fault_after(x, &f, have);
}

void psp_api_payment(struct http_ex *x)
{
    struct psp_payment p;
    if (!payment_or_answer(x, &p))
        return;
    struct psp_fault f;
    bool have;
    if (fault_before(x, "lookup", p.order_id, &f, &have))
        return;
    http_resp_json(x, 200, psp_payment_json(&p));
    fault_after(x, &f, have);
}

void psp_api_payments(struct http_ex *x)
{
    struct psp_payment *list = NULL;
    size_t n = 0;
    int rc;
    int64_t next = 0;
    if (http_param_has(x, "orderId")) {
        struct psp_fault f;
        bool have;
        if (fault_before(x, "lookup", http_param_str(x, "orderId"), &f, &have))
            return;
        rc = psp_payments_by_order(x->app, http_param_str(x, "orderId"), &list, &n);
        if (rc == 0) {
            cJSON *j = cJSON_CreateObject();
            cJSON *arr = cJSON_AddArrayToObject(j, "payments");
            for (size_t i = 0; i < n; i++)
                cJSON_AddItemToArray(arr, psp_payment_json(&list[i]));
            http_resp_json(x, 200, j);
            fault_after(x, &f, have);
            return;
        }
    } else if (http_param_has(x, "capturedAfter")) {
        rc = psp_payments_captured(x->app, http_param_i64(x, "capturedAfter", 0),
                                   http_param_i64(x, "updatedWithin", 0),
                                   http_param_i64(x, "limit", 100), &list, &n);
        if (rc == 0) {
            cJSON *j = cJSON_CreateObject();
            cJSON *arr = cJSON_AddArrayToObject(j, "payments");
            for (size_t i = 0; i < n; i++) {
                cJSON *p = psp_payment_json(&list[i]);
                cJSON_AddNumberToObject(p, "seq", (double)list[i].seq);
                cJSON_AddItemToArray(arr, p);
                next = list[i].seq;
            }
            if (n)
                cJSON_AddNumberToObject(j, "next", (double)next);
            else
                cJSON_AddNullToObject(j, "next");
            http_resp_json(x, 200, j);
            return;
        }
    } else {
        psp_error(x, 400, "INVALID_REQUEST", "Give orderId or capturedAfter.");
        return;
    }
    fail_internal(x, rc);
}

static cJSON *fault_json(const struct psp_fault *f)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "op", f->op);
    cJSON_AddStringToObject(j, "kind", f->kind);
    cJSON_AddNumberToObject(j, "count", (double)f->remaining);
    if (f->order_id[0])
        cJSON_AddStringToObject(j, "orderId", f->order_id);
    if (f->delay_ms)
        cJSON_AddNumberToObject(j, "delayMs", (double)f->delay_ms);
    return j;
}

void psp_api_faults_list(struct http_ex *x)
{
    struct psp_fault list[PSP_MAX_FAULTS];
    size_t n = psp_fault_list(x->app->psp, list, PSP_MAX_FAULTS);
    cJSON *j = cJSON_CreateObject();
    cJSON *arr = cJSON_AddArrayToObject(j, "faults");
    for (size_t i = 0; i < n; i++)
        cJSON_AddItemToArray(arr, fault_json(&list[i]));
    http_resp_json(x, 200, j);
}

void psp_api_faults_add(struct http_ex *x)
{
    struct psp_fault f;
    memset(&f, 0, sizeof f);
    struct str op = http_param_str(x, "op"), kind = http_param_str(x, "kind");
    struct str order = http_param_str(x, "orderId");
    if (op.len >= sizeof f.op || kind.len >= sizeof f.kind || order.len >= sizeof f.order_id) {
        psp_error(x, 400, "INVALID_REQUEST", "op, kind or orderId is too long.");
        return;
    }
    memcpy(f.op, op.p, op.len);
    memcpy(f.kind, kind.p, kind.len);
    if (order.len)
        memcpy(f.order_id, order.p, order.len);
    f.remaining = http_param_i64(x, "count", 1);
    f.delay_ms = http_param_i64(x, "delayMs", 0);
    if (!psp_fault_kind_valid(f.op, f.kind)) {
        psp_error(x, 400, "INVALID_FAULT",
                  "Unknown op or kind: ops checkout, confirm, cancel, lookup, webhook; see the "
                  "sandbox documentation for the kinds of each.");
        return;
    }
    if (psp_fault_add(x->app->psp, &f)) {
        psp_error(x, 409, "TOO_MANY_FAULTS", "Clear the fault rules first.");
        return;
    }
    log_info("fault rule added: %s %s x%lld order %s delay %lldms", f.op, f.kind,
             (long long)f.remaining, f.order_id[0] ? f.order_id : "*", (long long)f.delay_ms);
    http_resp_json(x, 201, fault_json(&f));
}

void psp_api_faults_clear(struct http_ex *x)
{
    psp_fault_clear(x->app->psp);
    buf_reset(x->resp.body);
    x->resp.status = 204;
}

void psp_api_healthz(struct http_ex *x)
{
    cJSON *j = cJSON_CreateObject();
    cJSON_AddStringToObject(j, "status", "ok");
    cJSON_AddBoolToObject(j, "sandbox", true);
    http_resp_json(x, 200, j);
}
