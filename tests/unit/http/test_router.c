/* Unit tests for app/http/router and the in-process request path (no socket). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/buf.h"
#include "http/router.h"
#include "http/server.h"

#include <cjson/cJSON.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *last_handler;
static struct str seen_slug;
static int64_t seen_qty;

static void h_home(struct http_ex *x)
{
    last_handler = "home";
    http_resp_text(x, 200, STR("home"));
}

static void h_product(struct http_ex *x)
{
    last_handler = "product";
    seen_slug = http_param_str(x, "slug");
    http_resp_text(x, 200, STR("product"));
}

static void h_add(struct http_ex *x)
{
    last_handler = "add";
    seen_qty = http_param_i64(x, "quantity", -1);
    http_resp_text(x, 200, STR("added"));
}

static void h_undeclared(struct http_ex *x)
{
    last_handler = "undeclared";
    http_resp_text(x, 200, STR("x"));
}

static const struct http_param p_slug[] = {
    {"slug", HTTP_SRC_PATH, HTTP_K_SLUG, 1, 80, true},
    {NULL, 0, 0, 0, 0, false},
};
static const struct http_param p_add[] = {
    {"sku_id", HTTP_SRC_BODY, HTTP_K_ID, 0, 0, true},
    {"quantity", HTTP_SRC_BODY, HTTP_K_INT, 0, 10, false},
    {NULL, 0, 0, 0, 0, false},
};

static const struct http_route routes[] = {
    {HTTP_GET, "/", h_home, "home", NULL, 0},
    {HTTP_GET, "/products/{slug}", h_product, "product", p_slug, 0},
    {HTTP_POST, "/api/v1/cart/items", h_add, "cart_add", p_add, 0},
    {HTTP_GET, "/plain", h_undeclared, "plain", NULL, 0},
};

static struct router *R;
static struct arena *A;
static struct buf head, body, out;
static const struct http_limits lim = {1024, 16, 16};
static struct http_service svc;

static int setup(void **state)
{
    (void)state;
    struct buf err;
    buf_init(&err, 1024);
    R = router_new(routes, sizeof routes / sizeof routes[0], &err);
    assert_non_null(R);
    buf_free(&err);
    A = arena_new(4096, 1 << 24);
    buf_init(&head, 4096);
    buf_init(&body, 1 << 20);
    buf_init(&out, 8192);
    http_init_json();
    svc.router = R;
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    router_free(R);
    arena_destroy(A);
    buf_free(&head);
    buf_free(&body);
    buf_free(&out);
    return 0;
}

/* run: one request through the whole in-process path; returns the status */
static int run(struct http_ex *x, const char *method, const char *uri, const char *ctype,
               const char *req_body)
{
    arena_reset(A);
    last_handler = NULL;
    char *envp[8];
    int n = 0;
    envp[n++] = arena_sprintf(A, "REQUEST_METHOD=%s", method);
    envp[n++] = arena_sprintf(A, "REQUEST_URI=%s", uri);
    envp[n++] = "REMOTE_ADDR=127.0.0.1";
    if (ctype)
        envp[n++] = arena_sprintf(A, "CONTENT_TYPE=%s", ctype);
    envp[n] = NULL;
    char **env = arena_alloc(A, sizeof envp);
    memcpy(env, envp, sizeof envp);
    memset(x, 0, sizeof *x);
    http_serve_one(&svc, x, env, str_from_cstr(req_body ? req_body : ""), false, &lim, A, &head,
                   &body);
    return x->resp.status;
}

static void assert_json_error(struct http_ex *x, const char *code)
{
    assert_string_equal(x->resp.content_type, "application/json");
    cJSON *j = cJSON_ParseWithLength(x->resp.body->p, x->resp.body->len);
    assert_non_null(j);
    cJSON *e = cJSON_GetObjectItem(j, "error");
    assert_non_null(e);
    assert_string_equal(cJSON_GetObjectItem(e, "code")->valuestring, code);
    assert_true(cJSON_IsString(cJSON_GetObjectItem(e, "message")));
    cJSON_Delete(j);
}

static void test_routes_and_path_params(void **state)
{
    (void)state;
    struct http_ex x;
    assert_int_equal(run(&x, "GET", "/", NULL, NULL), 200);
    assert_string_equal(last_handler, "home");
    assert_int_equal(run(&x, "GET", "/products/air-300?utm=x", NULL, NULL), 200);
    assert_string_equal(last_handler, "product");
    assert_true(str_eq_cstr(seen_slug, "air-300"));
    assert_int_equal(run(&x, "HEAD", "/products/air-300", NULL, NULL), 200);
}

static void test_invalid_path_param_is_400(void **state)
{
    (void)state;
    struct http_ex x;
    assert_int_equal(run(&x, "GET", "/products/Air_300", NULL, NULL), 400);
    assert_null(last_handler);
}

static void test_404_and_405(void **state)
{
    (void)state;
    struct http_ex x;
    assert_int_equal(run(&x, "GET", "/nope", NULL, NULL), 404);
    assert_int_equal(run(&x, "GET", "/api/v1/nope", NULL, NULL), 404);
    assert_json_error(&x, "not_found");
    assert_int_equal(run(&x, "DELETE", "/products/x", NULL, NULL), 405);
    assert_non_null(strstr(buf_cstr(&head), "Allow: GET, HEAD"));
    assert_int_equal(run(&x, "GET", "/api/v1/cart/items", NULL, NULL), 405);
    assert_json_error(&x, "method_not_allowed");
    assert_non_null(strstr(buf_cstr(&head), "Allow: POST"));
}

static void test_body_params_json_and_form(void **state)
{
    (void)state;
    struct http_ex x;
    assert_int_equal(run(&x, "POST", "/api/v1/cart/items", "application/json",
                         "{\"sku_id\": 12, \"quantity\": 2, \"extra\": \"ignored\"}"),
                     200);
    assert_int_equal(seen_qty, 2);
    assert_int_equal(run(&x, "POST", "/api/v1/cart/items",
                         "application/x-www-form-urlencoded; charset=UTF-8", "sku_id=12"),
                     200);
    assert_int_equal(seen_qty, -1); /* optional and absent */
}

static void test_body_param_errors(void **state)
{
    (void)state;
    struct http_ex x;
    assert_int_equal(run(&x, "POST", "/api/v1/cart/items", "application/json", "{\"quantity\":1}"),
                     400);
    assert_json_error(&x, "invalid_parameter");
    assert_non_null(strstr(buf_cstr(&body), "sku_id"));
    assert_int_equal(
        run(&x, "POST", "/api/v1/cart/items", "application/json", "{\"sku_id\":1,\"quantity\":11}"),
        400);
    assert_int_equal(run(&x, "POST", "/api/v1/cart/items", "application/json", "{\"sku_id\":1.5}"),
                     400);
    assert_int_equal(run(&x, "POST", "/api/v1/cart/items", "application/json", "{\"sku_id\":[1]}"),
                     400);
    assert_int_equal(run(&x, "POST", "/api/v1/cart/items", "application/json", "{\"sku_id\":"),
                     400);
    assert_json_error(&x, "bad_json");
    assert_int_equal(run(&x, "POST", "/api/v1/cart/items", "application/json", "[1,2]"), 400);
    assert_int_equal(run(&x, "POST", "/api/v1/cart/items", "application/x-www-form-urlencoded",
                         "sku_id=1&sku_id=2"),
                     400);
    assert_non_null(strstr(buf_cstr(&body), "more than once"));
    assert_int_equal(run(&x, "POST", "/api/v1/cart/items", "text/plain", "sku_id=1"), 415);
    assert_null(last_handler);
}

static void test_malformed_requests_are_400_never_routed(void **state)
{
    (void)state;
    struct http_ex x;
    assert_int_equal(run(&x, "GET", "/products/x?a=%zz", NULL, NULL), 400);
    assert_int_equal(run(&x, "GET", "/products/%2e%2e%2Fetc", NULL, NULL), 400);
    assert_int_equal(run(&x, "GET", "noslash", NULL, NULL), 400);
    assert_null(last_handler);
    char big[2048];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    assert_int_equal(run(&x, "POST", "/api/v1/cart/items", "application/json", big), 413);
    assert_json_error(&x, "payload_too_large");
}

static void test_undeclared_param_aborts(void **state)
{
    (void)state;
    /* a query parameter the route does not declare never reaches the handler ... */
    struct http_ex x;
    assert_int_equal(run(&x, "GET", "/plain?secret=1", NULL, NULL), 200);
    assert_string_equal(last_handler, "undeclared");
    assert_null(x.params[0].p);
    /* ... and asking for it by name is a programming error that stops the process */
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        http_param_str(&x, "secret");
        _exit(0);
    }
    int status = 0;
    waitpid(pid, &status, 0);
    assert_true(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT);
}

static void test_bad_tables_are_refused(void **state)
{
    (void)state;
    struct buf err;
    buf_init(&err, 1024);
    static const struct http_route undeclared[] = {
        {HTTP_GET, "/p/{slug}", h_home, "p", NULL, 0},
    };
    assert_null(router_new(undeclared, 1, &err));
    assert_non_null(strstr(buf_cstr(&err), "{slug} is not declared"));
    buf_reset(&err);
    static const struct http_route twice[] = {
        {HTTP_GET, "/", h_home, "a", NULL, 0},
        {HTTP_GET | HTTP_POST, "/", h_home, "b", NULL, 0},
    };
    assert_null(router_new(twice, 2, &err));
    buf_free(&err);
}

static void test_validators(void **state)
{
    (void)state;
    struct http_param email = {"email", HTTP_SRC_BODY, HTTP_K_EMAIL, 0, 0, true};
    assert_null(http_validate(&email, STR("kim@example.kr")));
    assert_non_null(http_validate(&email, STR("kim@example")));
    assert_non_null(http_validate(&email, STR("@example.kr")));
    assert_non_null(http_validate(&email, STR("a b@example.kr")));
    assert_non_null(http_validate(&email, STR("a@b@example.kr")));
    struct http_param text = {"name", HTTP_SRC_BODY, HTTP_K_TEXT, 1, 3, true};
    assert_null(http_validate(&text, STR("\xea\xb9\x80\xed\x95\x9c\xea\xb8\x80"))); /* 3 chars */
    assert_non_null(http_validate(&text, STR("abcd")));
    assert_non_null(http_validate(&text, STR("")));
    assert_non_null(http_validate(&text, STR("a\x01")));
    struct http_param tok = {"key", HTTP_SRC_BODY, HTTP_K_TOKEN, 8, 64, true};
    assert_null(http_validate(&tok, STR("3f2a-11aa_BB:cc")));
    assert_non_null(http_validate(&tok, STR("short")));
    assert_non_null(http_validate(&tok, STR("has space in it")));
    struct http_param id = {"id", HTTP_SRC_PATH, HTTP_K_ID, 0, 0, true};
    assert_null(http_validate(&id, STR("1")));
    assert_non_null(http_validate(&id, STR("0")));
    assert_non_null(http_validate(&id, STR("-1")));
    assert_non_null(http_validate(&id, STR("01x")));
}

static void test_response_serialization(void **state)
{
    (void)state;
    struct http_ex x;
    static struct http_hooks hooks = {
        .extra_headers = "X-Content-Type-Options: nosniff\r\n",
        .https_headers = "Strict-Transport-Security: max-age=31536000\r\n",
    };
    run(&x, "GET", "/", NULL, NULL);
    x.hooks = &hooks;
    http_resp_header(&x, "X-Evil", STR("a\r\nSet-Cookie: x=1"));
    http_resp_cookie(&x, "sid", STR("abc"), &(struct http_cookie_opts){-1, true, false, "Lax"});
    buf_reset(&out);
    http_resp_serialize(&x, &out);
    const char *h = buf_cstr(&out);
    assert_non_null(strstr(h, "Status: 200 OK\r\n"));
    assert_non_null(strstr(h, "Content-Length: 4\r\n"));
    assert_non_null(strstr(h, "X-Content-Type-Options: nosniff\r\n"));
    assert_null(strstr(h, "Strict-Transport-Security")); /* only over HTTPS */
    assert_null(strstr(h, "X-Evil"));
    assert_non_null(strstr(h, "Set-Cookie: sid=abc; Path=/; HttpOnly; SameSite=Lax\r\n"));
    assert_non_null(strstr(h, "Cache-Control: no-store\r\n"));
    assert_true(strlen(h) > 4 && strcmp(h + strlen(h) - 4, "\r\n\r\n") == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_routes_and_path_params),
        cmocka_unit_test(test_invalid_path_param_is_400),
        cmocka_unit_test(test_404_and_405),
        cmocka_unit_test(test_body_params_json_and_form),
        cmocka_unit_test(test_body_param_errors),
        cmocka_unit_test(test_malformed_requests_are_400_never_routed),
        cmocka_unit_test(test_undeclared_param_aborts),
        cmocka_unit_test(test_bad_tables_are_refused),
        cmocka_unit_test(test_validators),
        cmocka_unit_test(test_response_serialization),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
