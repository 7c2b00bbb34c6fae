/* Unit tests for app/admin/autoscale: the autoscaler's page is for admins only, its paging is
 * checked by the router, and its decision log comes from the database (down on the fake site:
 * 503, before the autoscaler's /status is asked). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include <string.h>

static int teardown_each(void **state)
{
    (void)state;
    fake_sign_in(fake, 0, NULL);
    return 0;
}

static void test_the_autoscaler_page_is_for_admins_only(void **state)
{
    (void)state;
    const char *paths[] = {"/admin/autoscale", "/admin/autoscale?page=3",
                           "/admin/autoscale?held=1"};
    for (int shopper = 0; shopper < 2; shopper++) {
        fake_sign_in(fake, shopper ? 41 : 0, shopper ? "shopper" : NULL);
        for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
            struct fake_resp r = fake_request(fake, "GET", paths[i], NULL, NULL, NULL);
            assert_int_equal(r.status, 404);
            assert_string_equal(r.code, "not_found");
            assert_null(strstr(r.body, "Autoscaler"));
        }
    }
}

static void test_paging_is_checked_first(void **state)
{
    (void)state;
    fake_sign_in(fake, 1, "admin");
    const char *bad[] = {"/admin/autoscale?page=0",      "/admin/autoscale?page=-1",
                         "/admin/autoscale?page=100001", "/admin/autoscale?page=two",
                         "/admin/autoscale?held=maybe",  "/admin/autoscale?page=1&page=2"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct fake_resp r = fake_request(fake, "GET", bad[i], NULL, NULL, NULL);
        if (r.status != 400)
            fail_msg("%s: %d", bad[i], r.status);
        assert_string_equal(r.code, "invalid_parameter");
    }
}

static void test_the_decision_log_comes_from_the_database(void **state)
{
    (void)state;
    fake_sign_in(fake, 1, "admin");
    const char *paths[] = {"/admin/autoscale", "/admin/autoscale?page=100000&held=on"};
    for (size_t i = 0; i < 2; i++) {
        struct fake_resp r = fake_request(fake, "GET", paths[i], NULL, NULL, NULL);
        assert_int_equal(r.status, 503);
        char ra[16];
        assert_true(fake_header(&r, "Retry-After", ra, sizeof ra));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_the_autoscaler_page_is_for_admins_only, teardown_each),
        cmocka_unit_test_teardown(test_paging_is_checked_first, teardown_each),
        cmocka_unit_test_teardown(test_the_decision_log_comes_from_the_database, teardown_each),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}
