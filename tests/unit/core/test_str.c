/* Unit tests for app/core/str. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/buf.h"
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

static void test_trim_and_compare(void **state)
{
    (void)state;
    struct str s = str_trim(STR("  \tsize 270\t "));
    assert_true(str_eq_cstr(s, "size 270"));
    assert_true(str_case_eq_cstr(STR("Application/JSON"), "application/json"));
    assert_true(str_starts_with(STR("/api/v1"), STR("/api/")));
    assert_false(str_starts_with(STR("/ap"), STR("/api/")));
}

static void test_email_syntax(void **state)
{
    (void)state;
    assert_true(str_is_email(STR("a@b.co")));
    assert_true(str_is_email(STR("jürgen-x@example.com")));
    assert_false(str_is_email(STR("a@b")));
    assert_false(str_is_email(STR("@b.co")));
    assert_false(str_is_email(STR("a@@b.co")));
    assert_false(str_is_email(STR("a b@c.co")));
    assert_false(str_is_email(STR("a<b@c.co")));
    assert_false(str_is_email(STR("a@b.co.")));
    assert_false(str_is_email((struct str){"a@b.co\0x", 8}));
    assert_false(str_is_email(STR("\xff@b.co")));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_i64_strict),
        cmocka_unit_test(test_utf8),
        cmocka_unit_test(test_trim_and_compare),
        cmocka_unit_test(test_email_syntax),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
