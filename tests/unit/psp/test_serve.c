/* Unit tests for app/psp/serve: the sandbox's routes declare the headers their handlers read
 * (Idempotency-Key on confirm and cancel), so the router refuses a malformed key with the
 * sandbox's own error before any handler or authentication runs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "psp/psp.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <string.h>

static const struct http_route *route(const char *name)
{
    for (size_t i = 0; i < psp_routes_len; i++)
        if (strcmp(psp_routes[i].name, name) == 0)
            return &psp_routes[i];
    fail_msg("no psp route %s", name);
    return NULL;
}

static const struct http_param *declared(const struct http_route *r, const char *name)
{
    for (const struct http_param *p = r->params; p && p->name; p++)
        if (strcmp(p->name, name) == 0)
            return p;
    return NULL;
}

static void test_confirm_and_cancel_declare_the_idempotency_key(void **state)
{
    (void)state;
    const char *names[] = {"psp_confirm", "psp_cancel"};
    for (size_t i = 0; i < 2; i++) {
        const struct http_param *p = declared(route(names[i]), "Idempotency-Key");
        if (!p)
            fail_msg("%s reads Idempotency-Key without declaring it", names[i]);
        assert_int_equal(p->src, HTTP_SRC_HEADER);
        assert_false(p->required); /* optional, as at Toss Payments */
        assert_string_equal(p->invalid_code, "INVALID_IDEMPOTENCY_KEY");
        /* what the shop's gateway client sends passes; what no key looks like does not */
        assert_null(http_validate(p, STR("pay-0123456789abcdef")));
        assert_null(http_validate(p, STR("order-12:confirm.1_x")));
        assert_non_null(http_validate(p, STR("two words")));
        assert_non_null(http_validate(p, STR("semi;colon")));
        char big[302];
        memset(big, 'k', 301);
        big[301] = '\0';
        assert_non_null(http_validate(p, str_from_cstr(big)));
    }
    /* the other routes take no key */
    assert_null(declared(route("psp_payment"), "Idempotency-Key"));
    assert_null(declared(route("psp_faults_add"), "Idempotency-Key"));
}

/* dispatch: one request through the sandbox's router with only its error page (no
 * authentication hook: a handler reached here would crash without its worker) */
static int dispatch(const char *method, const char *uri, const char *key, const char *body,
                    char *out, size_t n)
{
    struct buf err, head, resp;
    buf_init(&err, 4096);
    buf_init(&head, 4096);
    buf_init(&resp, 65536);
    struct router *r = router_new(psp_routes, psp_routes_len, &err);
    assert_non_null(r);
    struct arena *a = arena_new(4096, 1 << 20);
    char m[32], u[256], k[400];
    snprintf(m, sizeof m, "REQUEST_METHOD=%s", method);
    snprintf(u, sizeof u, "REQUEST_URI=%s", uri);
    snprintf(k, sizeof k, "HTTP_IDEMPOTENCY_KEY=%s", key);
    char *env[] = {m, u, "CONTENT_TYPE=application/json", k, NULL};
    struct http_hooks hooks = {.error_page = psp_error_page};
    struct http_limits lim = {1 << 20, 64, 64};
    struct http_ex x = {0};
    assert_int_equal(http_ex_begin(&x, env, str_from_cstr(body), &lim, a, &head, &resp, &hooks), 0);
    router_dispatch(r, &x);
    snprintf(out, n, "%s", buf_cstr(&resp));
    int status = x.resp.status;
    router_free(r);
    arena_destroy(a);
    buf_free(&err);
    buf_free(&head);
    buf_free(&resp);
    return status;
}

static void assert_psp_error(const char *body, const char *code)
{
    cJSON *j = cJSON_Parse(body);
    const cJSON *c = cJSON_GetObjectItem(j, "code");
    if (!cJSON_IsString(c) || strcmp(c->valuestring, code) != 0)
        fail_msg("wanted the sandbox's error %s, got %s", code, body);
    assert_true(cJSON_IsString(cJSON_GetObjectItem(j, "message")));
    cJSON_Delete(j);
}

static void test_a_malformed_key_is_refused_before_anything_else(void **state)
{
    (void)state;
    char out[4096];
    const char *confirm = "{\"paymentKey\":\"psp_1\",\"orderId\":\"order-1\",\"amount\":100}";
    int st = dispatch("POST", "/v1/payments/confirm", "not a token", confirm, out, sizeof out);
    assert_int_equal(st, 400);
    assert_psp_error(out, "INVALID_IDEMPOTENCY_KEY");
    assert_non_null(strstr(out, "Idempotency-Key"));
    st = dispatch("POST", "/v1/payments/psp_1/cancel", "a,b", "{\"cancelReason\":\"x\"}", out,
                  sizeof out);
    assert_int_equal(st, 400);
    assert_psp_error(out, "INVALID_IDEMPOTENCY_KEY");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_confirm_and_cancel_declare_the_idempotency_key),
        cmocka_unit_test(test_a_malformed_key_is_refused_before_anything_else),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
