/* Unit tests for app/shop/stats: the audit's mismatch count read back from a run's message
 * (batch/jobs.c writes it; stampede_stock_audit_mismatches shows it). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "shop/stats.h"

static void test_audit_mismatches_are_read_from_the_message(void **state)
{
    (void)state;
    int64_t n = -1;
    assert_true(stats_audit_mismatches(STR("3 mismatches: sku 1 bucket 0: held"), &n));
    assert_int_equal(n, 3);
    assert_true(stats_audit_mismatches(STR("1 mismatch: sku 7: sold"), &n));
    assert_int_equal(n, 1);
    /* after a step prefix */
    assert_true(stats_audit_mismatches(STR("step audit: 12 mismatches: sku 2: x"), &n));
    assert_int_equal(n, 12);
    /* no count: an audit that could not run says nothing about mismatches */
    assert_false(stats_audit_mismatches(STR("audit could not read the stock: ERR_DB_CONN"), &n));
    assert_false(stats_audit_mismatches(STR(" mismatch"), &n));
    assert_false(stats_audit_mismatches(STR("x3 mismatches"), &n));
    assert_false(stats_audit_mismatches(STR(""), &n));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_audit_mismatches_are_read_from_the_message),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
