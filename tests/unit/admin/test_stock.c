/* Unit tests for app/admin: the admin pages are invisible to everyone but admins, and their
 * forms need a CSRF token. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include <string.h>

static void test_admin_pages_are_404_for_anonymous_visitors(void **state)
{
    (void)state;
    const char *paths[] = {
        "/admin/stock",    "/admin/payments",  "/admin/stock?saved=1",          "/admin/orders",
        "/admin/orders/1", "/admin/autoscale", "/admin/autoscale?held=1&page=2"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct fake_resp r = fake_request(fake, "GET", paths[i], NULL, NULL, NULL);
        assert_int_equal(r.status, 404);
        assert_string_equal(r.code, "not_found");
    }
}

static void test_admin_changes_need_csrf(void **state)
{
    (void)state;
    struct fake_resp r = fake_request(fake, "POST", "/admin/products/1/price", NULL,
                                      "application/x-www-form-urlencoded", "price=1000");
    assert_int_equal(r.status, 403);
    r = fake_request(fake, "POST", "/admin/stock/1/buckets", NULL,
                     "application/x-www-form-urlencoded", "buckets=4");
    assert_int_equal(r.status, 403);
    r = fake_request(fake, "POST", "/admin/payments/anomalies/1/resolve", NULL,
                     "application/x-www-form-urlencoded", "action=dismiss");
    assert_int_equal(r.status, 403);
}

static void test_admin_parameters_are_validated(void **state)
{
    (void)state;
    /* out of range: refused before the role check could even matter */
    struct fake_resp r = fake_request(fake, "POST", "/admin/stock/1/buckets", NULL,
                                      "application/x-www-form-urlencoded", "buckets=65");
    assert_int_equal(r.status, 400);
    r = fake_request(fake, "POST", "/admin/products/1/price", NULL,
                     "application/x-www-form-urlencoded", "price=0");
    assert_int_equal(r.status, 400);
    r = fake_request(fake, "GET", "/admin/autoscale?page=0", NULL, NULL, NULL);
    assert_int_equal(r.status, 400);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_admin_pages_are_404_for_anonymous_visitors),
        cmocka_unit_test(test_admin_changes_need_csrf),
        cmocka_unit_test(test_admin_parameters_are_validated),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}
