/* Unit tests for app/http/request: parsing one request from FastCGI parameters — strict JSON
 * bodies (review finding 7), the client's address and scheme as our proxies give them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/buf.h"
#include "http/http.h"
#include "http/server.h"

#include <cjson/cJSON.h>
#include <string.h>

static struct arena *A;
static struct buf head, body;
static const struct http_limits lim = {4096, 16, 16};

static int setup(void **state)
{
    (void)state;
    A = arena_new(4096, 1 << 22);
    buf_init(&head, 4096);
    buf_init(&body, 1 << 16);
    http_init_json();
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_destroy(A);
    buf_free(&head);
    buf_free(&body);
    return 0;
}

static int begin(struct http_ex *x, const char *const *extra, const char *ctype, const char *b,
                 size_t blen)
{
    arena_reset(A);
    char **env = arena_calloc(A, 16, sizeof *env);
    int n = 0;
    env[n++] = "REQUEST_METHOD=POST";
    env[n++] = "REQUEST_URI=/api/v1/session";
    env[n++] = "REMOTE_ADDR=10.0.0.9";
    if (ctype)
        env[n++] = arena_sprintf(A, "CONTENT_TYPE=%s", ctype);
    for (int i = 0; extra && extra[i]; i++)
        env[n++] = (char *)extra[i];
    memset(x, 0, sizeof *x);
    return http_ex_begin(x, env, (struct str){b, blen}, &lim, A, &head, &body, NULL);
}

static int json(struct http_ex *x, const char *b)
{
    return begin(x, NULL, "application/json", b, strlen(b));
}

static void assert_bad_json(const char *b, const char *why)
{
    struct http_ex x;
    assert_int_equal(json(&x, b), 400);
    assert_string_equal(x.error_code, "bad_json");
    if (why && !strstr(buf_cstr(&body), why))
        fail_msg("%s: wanted '%s' in %s", b, why, buf_cstr(&body));
}

static void test_one_object_and_nothing_else(void **state)
{
    (void)state;
    struct http_ex x;
    assert_int_equal(json(&x, " {\"a\":1} \n"), 0);
    assert_true(cJSON_IsObject(x.req.json));
    assert_bad_json("{\"a\":1} x", "more after its end");
    assert_bad_json("{\"a\":1}{\"b\":2}", "more after its end");
    assert_bad_json("{\"a\":1}]", "more after its end");
    assert_bad_json("[{\"a\":1}]", "must be an object");
    assert_bad_json("\"text\"", "must be an object");
    assert_bad_json("{\"a\":", "malformed");
}

static void test_duplicate_members_are_refused_at_any_depth(void **state)
{
    (void)state;
    assert_bad_json("{\"a\":1,\"a\":2}", "twice");
    assert_bad_json("{\"x\":{\"b\":[{\"c\":1,\"c\":1}]}}", "twice");
    struct http_ex x;
    assert_int_equal(json(&x, "{\"a\":{\"a\":1},\"b\":[{\"a\":1},{\"a\":2}]}"), 0);
}

static void test_nul_and_control_characters_are_refused(void **state)
{
    (void)state;
    assert_bad_json("{\"email\":\"a@x.com\\u0000@evil.com\"}", "NUL");
    assert_bad_json("{\"a\\u0000b\":1}", "NUL");
    assert_bad_json("{\"a\":\"tab\there\"}", "control character");
    struct http_ex x;
    /* an escaped backslash before u0000 is text, not a NUL; escapes of others are fine */
    assert_int_equal(json(&x, "{\"a\":\"\\\\u0000\",\"b\":\"\\u0041\\n\\\"\"}"), 0);
    assert_string_equal(cJSON_GetObjectItem(x.req.json, "a")->valuestring, "\\u0000");
    /* a raw NUL byte in the body: not UTF-8 text a client sends, refused */
    assert_int_equal(begin(&x, NULL, "application/json", "{\"a\":\"x\0y\"}", 11), 400);
    assert_int_equal(begin(&x, NULL, "application/json", "{\"a\":\"\xff\"}", 9), 400);
}

static void test_client_address_and_scheme(void **state)
{
    (void)state;
    struct http_ex x;
    const char *xff[] = {"HTTP_X_FORWARDED_FOR=1.2.3.4, 192.0.2.7", NULL};
    assert_int_equal(begin(&x, xff, NULL, "", 0), 0);
    assert_true(str_eq_cstr(x.req.client_ip, "192.0.2.7")); /* the hop our HAProxy added */
    assert_false(x.req.https);
    /* HAProxy sets X-Forwarded-Proto itself (haproxy.cfg.in); the app trusts only that */
    const char *https[] = {"HTTP_X_FORWARDED_PROTO=https", NULL};
    assert_int_equal(begin(&x, https, NULL, "", 0), 0);
    assert_true(x.req.https);
    assert_true(str_eq_cstr(x.req.client_ip, "10.0.0.9"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_one_object_and_nothing_else),
        cmocka_unit_test(test_duplicate_members_are_refused_at_any_depth),
        cmocka_unit_test(test_nul_and_control_characters_are_refused),
        cmocka_unit_test(test_client_address_and_scheme),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
