/* Unit tests for app/admin/alerts: the alerts page is for admins only and reads the stored
 * alerts from the database (down on the fake site: 503 with Retry-After, never a 500 or an
 * empty list that would read as "all quiet"). */
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

static void test_alerts_are_for_admins_only(void **state)
{
    (void)state;
    struct fake_resp r = fake_request(fake, "GET", "/admin/alerts", NULL, NULL, NULL);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.code, "not_found");
    assert_null(strstr(r.body, "firing"));
    fake_sign_in(fake, 41, "shopper");
    r = fake_request(fake, "GET", "/admin/alerts", NULL, NULL, NULL);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.code, "not_found");
    /* Alertmanager's own webhook is another route (app/ops), not this page */
    r = fake_request(fake, "GET", "/__internal/alerts", NULL, NULL, NULL);
    assert_int_equal(r.status, 405);
}

static void test_without_the_database_the_page_does_not_say_all_quiet(void **state)
{
    (void)state;
    fake_sign_in(fake, 1, "admin");
    struct fake_resp r = fake_request(fake, "GET", "/admin/alerts", NULL, NULL, NULL);
    assert_int_equal(r.status, 503);
    char ra[16];
    assert_true(fake_header(&r, "Retry-After", ra, sizeof ra));
    assert_null(strstr(r.body, "Nothing is firing"));
    /* HEAD is answered like GET */
    r = fake_request(fake, "HEAD", "/admin/alerts", NULL, NULL, NULL);
    assert_int_equal(r.status, 503);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_alerts_are_for_admins_only, teardown_each),
        cmocka_unit_test_teardown(test_without_the_database_the_page_does_not_say_all_quiet,
                                  teardown_each),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}
