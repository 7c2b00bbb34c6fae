/* Unit tests for app/web/draw: who may call the draw routes and what they validate, before
 * anything reaches the database (the fake site's database is a closed port: 503 proves a
 * handler got as far as the domain). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake.h"

#include <string.h>

static const char *const api[] = {"X-Requested-With: stampede", NULL};

static void test_entering_needs_the_header_and_a_session(void **state)
{
    (void)state;
    struct fake_resp r = fake_request(fake, "POST", "/api/v1/drops/7/entries", NULL,
                                      "application/json", "{\"sku_id\":3}");
    fake_assert_error(&r, 403, "csrf");
    r = fake_request(fake, "POST", "/api/v1/drops/7/entries", api, "application/json",
                     "{\"sku_id\":3}");
    fake_assert_error(&r, 401, "unauthenticated");
    r = fake_request(fake, "POST", "/api/v1/drops/x/entries", api, "application/json",
                     "{\"sku_id\":3}");
    assert_true(r.status == 400 || r.status == 404);
}

static void test_ones_entry_needs_a_session(void **state)
{
    (void)state;
    struct fake_resp r = fake_request(fake, "GET", "/api/v1/drops/7/entry", NULL, NULL, NULL);
    fake_assert_error(&r, 401, "unauthenticated");
}

static void test_proofs_are_public(void **state)
{
    (void)state;
    /* no session needed: the handler goes straight to the database (down here) */
    struct fake_resp r = fake_request(fake, "GET", "/api/v1/drops/7/proof", NULL, NULL, NULL);
    assert_int_equal(r.status, 503);
    r = fake_request(fake, "GET", "/drops/7/proof", NULL, NULL, NULL);
    assert_int_equal(r.status, 503);
    r = fake_request(fake, "GET", "/drops/7/draw", NULL, NULL, NULL);
    assert_int_equal(r.status, 503);
}

static void test_the_entry_form_needs_a_session(void **state)
{
    (void)state;
    struct fake_resp r = fake_request(fake, "POST", "/drops/7/entries", NULL,
                                      "application/x-www-form-urlencoded", "sku_id=3&csrf=x");
    assert_true(r.status == 403 || r.status == 303 || r.status == 401);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_entering_needs_the_header_and_a_session),
        cmocka_unit_test(test_ones_entry_needs_a_session),
        cmocka_unit_test(test_proofs_are_public),
        cmocka_unit_test(test_the_entry_form_needs_a_session),
    };
    return cmocka_run_group_tests(tests, fake_group_setup, fake_group_teardown);
}
