/* Unit tests for app/admin/index: /admin is for admins only (everyone else gets the same 404
 * as for an address that does not exist) and its audit log comes from the database (down on
 * the fake site: 503). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include <stdio.h>
#include <string.h>

static int teardown_each(void **state)
{
    (void)state;
    fake_sign_in(fake, 0, NULL);
    return 0;
}

static void test_admin_looks_like_nothing_to_others(void **state)
{
    (void)state;
    struct fake_resp none = fake_request(fake, "GET", "/no-such-page", NULL, NULL, NULL);
    char want[8192];
    snprintf(want, sizeof want, "%s", none.body);
    assert_int_equal(none.status, 404);
    for (int shopper = 0; shopper < 2; shopper++) {
        fake_sign_in(fake, shopper ? 41 : 0, shopper ? "shopper" : NULL);
        struct fake_resp r = fake_request(fake, "GET", "/admin", NULL, NULL, NULL);
        assert_int_equal(r.status, 404);
        assert_string_equal(r.code, "not_found");
        assert_null(strstr(r.body, "Operations"));
        assert_null(strstr(r.body, "audit"));
        if (!shopper) /* an anonymous visitor cannot tell /admin from no page at all */
            assert_string_equal(r.body, want);
    }
    /* a role that merely contains "admin" is not the admin role */
    fake_sign_in(fake, 42, "admins");
    assert_int_equal(fake_request(fake, "GET", "/admin", NULL, NULL, NULL).status, 404);
    fake_sign_in(fake, 43, "Admin");
    assert_int_equal(fake_request(fake, "GET", "/admin", NULL, NULL, NULL).status, 404);
}

static void test_the_audit_log_needs_the_database(void **state)
{
    (void)state;
    fake_sign_in(fake, 1, "admin");
    struct fake_resp r = fake_request(fake, "GET", "/admin", NULL, NULL, NULL);
    assert_int_equal(r.status, 503);
    char ra[16];
    assert_true(fake_header(&r, "Retry-After", ra, sizeof ra));
    /* the router matches /admin exactly: a trailing part is another (unknown) address */
    r = fake_request(fake, "GET", "/admin/nothing-here", NULL, NULL, NULL);
    assert_int_equal(r.status, 404);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_teardown(test_admin_looks_like_nothing_to_others, teardown_each),
        cmocka_unit_test_teardown(test_the_audit_log_needs_the_database, teardown_each),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}
