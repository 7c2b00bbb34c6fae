/* Unit tests for app/shop/outcome: every domain outcome has its own name (logs and tests print
 * them), and a value that is no outcome is not mistaken for one. The HTTP answers are
 * tests/unit/front/test_outcome.c's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "core/err.h"
#include "shop/outcome.h"

#include <string.h>

static void test_every_outcome_has_its_own_name(void **state)
{
    (void)state;
    for (int o = 0; o < SHOP_OUTCOME_COUNT; o++) {
        const char *n = shop_outcome_name(o);
        if (strncmp(n, "SHOP_", 5) != 0 || strcmp(n, "SHOP_UNKNOWN") == 0)
            fail_msg("outcome %d has no name (%s)", o, n);
        for (const char *c = n; *c; c++)
            assert_true((*c >= 'A' && *c <= 'Z') || *c == '_');
        for (int p = 0; p < o; p++)
            if (strcmp(shop_outcome_name(p), n) == 0)
                fail_msg("outcomes %d and %d are both named %s", p, o, n);
    }
}

static void test_names_are_the_enumerators(void **state)
{
    (void)state;
    /* the table is indexed by the enumerators: a shifted entry would name the wrong one */
    assert_string_equal(shop_outcome_name(SHOP_OK), "SHOP_OK");
    assert_string_equal(shop_outcome_name(SHOP_PRODUCT_NOT_FOUND), "SHOP_PRODUCT_NOT_FOUND");
    assert_string_equal(shop_outcome_name(SHOP_SOLD_OUT), "SHOP_SOLD_OUT");
    assert_string_equal(shop_outcome_name(SHOP_INVALID_CREDENTIALS), "SHOP_INVALID_CREDENTIALS");
    assert_string_equal(shop_outcome_name(SHOP_AUTH_BUSY), "SHOP_AUTH_BUSY");
    assert_string_equal(shop_outcome_name(SHOP_AMOUNT_MISMATCH), "SHOP_AMOUNT_MISMATCH");
    assert_string_equal(shop_outcome_name(SHOP_NOT_ADMITTED), "SHOP_NOT_ADMITTED");
    assert_string_equal(shop_outcome_name(SHOP_OUTCOME_COUNT - 1), "SHOP_ADDRESS_REQUIRED");
}

static void test_what_is_no_outcome_is_unknown(void **state)
{
    (void)state;
    /* internal failures are negative ERR_* codes, never outcomes */
    assert_string_equal(shop_outcome_name(ERR_DB), "SHOP_UNKNOWN");
    assert_string_equal(shop_outcome_name(-1), "SHOP_UNKNOWN");
    assert_string_equal(shop_outcome_name(SHOP_OUTCOME_COUNT), "SHOP_UNKNOWN");
    assert_string_equal(shop_outcome_name(1 << 20), "SHOP_UNKNOWN");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_outcome_has_its_own_name),
        cmocka_unit_test(test_names_are_the_enumerators),
        cmocka_unit_test(test_what_is_no_outcome_is_unknown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
