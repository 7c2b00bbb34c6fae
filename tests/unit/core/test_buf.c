/* Unit tests for app/core/buf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/buf.h"
#include "core/mem.h"
#include "core/str.h"

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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_buf_cap_is_sticky),
        cmocka_unit_test(test_buf_failed_allocation_sets_overflow),
        cmocka_unit_test(test_html_escaping),
        cmocka_unit_test(test_null_slices_append_nothing),
        cmocka_unit_test(test_urlenc_and_krw),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
