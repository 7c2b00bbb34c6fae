/* Unit tests for app/http/parse: urlencoded, cookies, paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "http/parse.h"

#include <string.h>

static struct arena *A;

static int setup(void **state)
{
    (void)state;
    A = arena_new(4096, 1 << 24);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_destroy(A);
    return 0;
}

static void assert_kv(const struct http_kvs *kv, size_t i, const char *name, const char *value)
{
    assert_true(i < kv->n);
    assert_true(str_eq_cstr(kv->v[i].name, name));
    assert_true(str_eq_cstr(kv->v[i].value, value));
}

static void test_urlencoded_decodes(void **state)
{
    (void)state;
    struct http_kvs kv;
    const char *why = NULL;
    assert_int_equal(
        http_parse_urlencoded(A, STR("a=1&b=x+y%21&empty=&flag&&c=%ED%95%9C"), 64, &kv, &why), 0);
    assert_int_equal(kv.n, 5);
    assert_kv(&kv, 0, "a", "1");
    assert_kv(&kv, 1, "b", "x y!");
    assert_kv(&kv, 2, "empty", "");
    assert_kv(&kv, 3, "flag", "");
    assert_kv(&kv, 4, "c", "\xed\x95\x9c");
    assert_true(str_eq_cstr(http_kvs_get(&kv, STR("b")), "x y!"));
    assert_null(http_kvs_get(&kv, STR("zz")).p);
}

static void test_urlencoded_duplicates_are_kept(void **state)
{
    (void)state;
    struct http_kvs kv;
    const char *why = NULL;
    assert_int_equal(http_parse_urlencoded(A, STR("q=1&q=2"), 64, &kv, &why), 0);
    assert_int_equal(http_kvs_count(&kv, STR("q")), 2);
    assert_true(str_eq_cstr(http_kvs_get(&kv, STR("q")), "1"));
}

static void test_urlencoded_rejects_malformed(void **state)
{
    (void)state;
    struct http_kvs kv;
    const char *why = NULL;
    const char *bad[] = {"a=%",   "a=%4",     "a=%zz",       "a=%00",  "a=%01",
                         "a=%7f", "a=%C0%AF", "a=%ED%A0%80", "a=\x01", "%FF=1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        why = NULL;
        int rc = http_parse_urlencoded(A, str_from_cstr(bad[i]), 64, &kv, &why);
        assert_int_equal(rc, ERR_INVAL);
        assert_non_null(why);
    }
    /* tab, CR and LF are fine in a form field (textarea) */
    assert_int_equal(http_parse_urlencoded(A, STR("t=a%09b%0D%0Ac"), 64, &kv, &why), 0);
}

static void test_urlencoded_limits_pairs(void **state)
{
    (void)state;
    struct http_kvs kv;
    const char *why = NULL;
    assert_int_equal(http_parse_urlencoded(A, STR("a=1&b=2&c=3"), 2, &kv, &why), ERR_TOOBIG);
    char big[20000];
    size_t n = 0;
    while (n + 2 < sizeof big) {
        big[n++] = '&';
    }
    assert_int_equal(http_parse_urlencoded(A, (struct str){big, n}, 64, &kv, &why), ERR_TOOBIG);
}

static void test_cookies_are_lenient(void **state)
{
    (void)state;
    struct http_kvs kv;
    http_parse_cookies(A, STR("sid=abc123; theme=\"dark\";junk;  =x; bad name=1; ok=1;bin=\x01"),
                       16, &kv);
    assert_int_equal(kv.n, 3);
    assert_kv(&kv, 0, "sid", "abc123");
    assert_kv(&kv, 1, "theme", "dark");
    assert_kv(&kv, 2, "ok", "1");
    http_parse_cookies(A, STR("a=1; b=2; c=3; d=4"), 2, &kv);
    assert_int_equal(kv.n, 2);
    http_parse_cookies(A, STR(""), 16, &kv);
    assert_int_equal(kv.n, 0);
}

static void test_path_decoding(void **state)
{
    (void)state;
    struct str out;
    const char *why;
    assert_int_equal(http_decode_path(A, STR("/products/air-max"), &out, &why), 0);
    assert_true(str_eq_cstr(out, "/products/air-max"));
    assert_int_equal(http_decode_path(A, STR("/products/a%20b"), &out, &why), 0);
    assert_true(str_eq_cstr(out, "/products/a b"));
    assert_int_equal(http_decode_path(A, STR("/a%2Fb"), &out, &why), ERR_INVAL);
    assert_int_equal(http_decode_path(A, STR("/a%00"), &out, &why), ERR_INVAL);
    assert_int_equal(http_decode_path(A, STR("/a%"), &out, &why), ERR_INVAL);
    assert_int_equal(http_decode_path(A, STR("/\xff"), &out, &why), ERR_INVAL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_urlencoded_decodes),
        cmocka_unit_test(test_urlencoded_duplicates_are_kept),
        cmocka_unit_test(test_urlencoded_rejects_malformed),
        cmocka_unit_test(test_urlencoded_limits_pairs),
        cmocka_unit_test(test_cookies_are_lenient),
        cmocka_unit_test(test_path_decoding),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
