/* Unit tests for app/core/str. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/mem.h"
#include "core/str.h"

static void test_i64_strict(void **state)
{
    (void)state;
    int64_t v;
    assert_true(str_to_i64(STR("0"), &v) && v == 0);
    assert_true(str_to_i64(STR("-42"), &v) && v == -42);
    assert_true(str_to_i64(STR("9223372036854775807"), &v) && v == INT64_MAX);
    assert_true(str_to_i64(STR("-9223372036854775808"), &v) && v == INT64_MIN);
    assert_false(str_to_i64(STR("9223372036854775808"), &v));
    assert_false(str_to_i64(STR(""), &v));
    assert_false(str_to_i64(STR("-"), &v));
    assert_false(str_to_i64(STR("+1"), &v));
    assert_false(str_to_i64(STR(" 1"), &v));
    assert_false(str_to_i64(STR("1x"), &v));
    assert_false(str_to_i64(STR("99999999999999999999"), &v));
}

static void test_utf8(void **state)
{
    (void)state;
    assert_true(str_utf8_valid(STR("plain")));
    assert_true(str_utf8_valid(STR("\xed\x95\x9c\xea\xb8\x80"))); /* 한글 */
    assert_true(str_utf8_valid(STR("\xf0\x9f\x91\x9f")));         /* 👟 */
    assert_false(str_utf8_valid(STR("\xc0\xaf")));                /* overlong '/' */
    assert_false(str_utf8_valid(STR("\xed\xa0\x80")));            /* surrogate */
    assert_false(str_utf8_valid(STR("\xe2\x82")));                /* truncated */
    assert_false(str_utf8_valid(STR("\xff")));
}

static void test_buf_cap_is_sticky(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 10);
    assert_int_equal(buf_append_cstr(&b, "12345"), 0);
    assert_int_equal(buf_append_cstr(&b, "123456"), ERR_NOMEM);
    assert_true(b.overflow);
    assert_int_equal(b.len, 5);
    assert_int_equal(buf_append_cstr(&b, "1"), ERR_NOMEM); /* sticky */
    buf_reset(&b);
    assert_false(b.overflow);
    assert_int_equal(buf_append_cstr(&b, "0123456789"), 0);
    assert_string_equal(buf_cstr(&b), "0123456789");
    buf_free(&b);
}

static void test_buf_failed_allocation_sets_overflow(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1 << 20);
    mem_test_fail_after(0);
    assert_int_equal(buf_append_cstr(&b, "x"), ERR_NOMEM);
    mem_test_fail_after(-1);
    assert_true(b.overflow);
    buf_free(&b);
}

static void test_html_escaping(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1024);
    buf_append_html(&b, STR("<a href=\"x\">Tom & Jerry's</a>"));
    assert_string_equal(buf_cstr(&b),
                        "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;");
    buf_free(&b);
}

/* regression: an empty STR_NULL (p == NULL) crashed the escaper under UBSan */
static void test_null_slices_append_nothing(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 64);
    assert_int_equal(buf_append_html(&b, STR_NULL), 0);
    assert_int_equal(buf_append_urlenc(&b, STR_NULL), 0);
    assert_int_equal(buf_append_str(&b, STR_NULL), 0);
    assert_int_equal(b.len, 0);
    buf_free(&b);
}

static void test_urlenc_and_krw(void **state)
{
    (void)state;
    struct buf b;
    buf_init(&b, 1024);
    buf_append_urlenc(&b, STR("a b/c?d=é"));
    assert_string_equal(buf_cstr(&b), "a%20b%2Fc%3Fd%3D%C3%A9");
    buf_reset(&b);
    buf_append_krw(&b, 129000);
    buf_append_char(&b, ' ');
    buf_append_krw(&b, 1234567);
    buf_append_char(&b, ' ');
    buf_append_krw(&b, 999);
    buf_append_char(&b, ' ');
    buf_append_krw(&b, -1000);
    assert_string_equal(buf_cstr(&b), "129,000 1,234,567 999 -1,000");
    buf_free(&b);
}

static void test_trim_and_compare(void **state)
{
    (void)state;
    struct str s = str_trim(STR("  \tsize 270\t "));
    assert_true(str_eq_cstr(s, "size 270"));
    assert_true(str_case_eq_cstr(STR("Application/JSON"), "application/json"));
    assert_true(str_starts_with(STR("/api/v1"), STR("/api/")));
    assert_false(str_starts_with(STR("/ap"), STR("/api/")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_i64_strict),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_buf_cap_is_sticky),
        cmocka_unit_test(test_buf_failed_allocation_sets_overflow),
        cmocka_unit_test(test_html_escaping),
        cmocka_unit_test(test_null_slices_append_nothing),
        cmocka_unit_test(test_urlenc_and_krw),
        cmocka_unit_test(test_trim_and_compare),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
