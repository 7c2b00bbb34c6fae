/* Unit tests for app/shop/report: how the admin's order search is read (an order number with
 * or without '#', a status, or a part of an e-mail). The queries themselves run against
 * MariaDB in tests/integration/test_admin.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shop/report.h"

#include <string.h>

static struct arena *A;

static int setup(void **state)
{
    (void)state;
    A = arena_new(4096, 1 << 20);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    arena_destroy(A);
    return 0;
}

static struct report_search parse(const char *q)
{
    struct report_search s;
    report_search_parse(A, str_from_cstr(q), &s);
    return s;
}

static void test_an_order_number_with_or_without_its_hash(void **state)
{
    (void)state;
    const char *qs[] = {"123", "#123", "  #123 ", "\t123 "};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        struct report_search s = parse(qs[i]);
        assert_int_equal(s.id, 123);
        assert_true(str_eq_cstr(s.text, "123"));
        assert_string_equal(s.like, "%123%");
    }
}

static void test_what_is_no_order_number(void **state)
{
    (void)state;
    /* zero, negative, too large, mixed, or a hash with a space after it: no id */
    const char *qs[] = {"0",   "-5",   "#-5", "99999999999999999999", "12a", "order-12", "# 12",
                        "1 2", "##12", "paid"};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++)
        if (parse(qs[i]).id != -1)
            fail_msg("\"%s\" read as order %lld", qs[i], (long long)parse(qs[i]).id);
    /* the largest id is one */
    assert_int_equal(parse("9223372036854775807").id, INT64_MAX);
}

static void test_text_is_trimmed_and_matched_inside_e_mails(void **state)
{
    (void)state;
    struct report_search s = parse("  jürgen@Example.com ");
    assert_true(str_eq_cstr(s.text, "jürgen@Example.com"));
    assert_string_equal(s.like, "%jürgen@Example.com%");
    assert_int_equal(s.id, -1);
    /* a status is looked up as it is */
    s = parse("pending_payment");
    assert_true(str_eq_cstr(s.text, "pending_payment"));
    /* only one leading '#' is taken off */
    assert_true(str_eq_cstr(parse("##12").text, "#12"));
}

static void test_an_empty_search_is_every_order(void **state)
{
    (void)state;
    const char *qs[] = {"", "   ", "#"};
    for (size_t i = 0; i < sizeof qs / sizeof qs[0]; i++) {
        struct report_search s = parse(qs[i]);
        assert_int_equal(s.text.len, 0);
        assert_int_equal(s.id, -1);
        assert_string_equal(s.like, "%%");
    }
    struct report_search s;
    report_search_parse(A, STR_NULL, &s);
    assert_int_equal(s.text.len, 0);
    assert_int_equal(s.id, -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_an_order_number_with_or_without_its_hash),
        cmocka_unit_test(test_what_is_no_order_number),
        cmocka_unit_test(test_text_is_trimmed_and_matched_inside_e_mails),
        cmocka_unit_test(test_an_empty_search_is_every_order),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
